/* requests.c - applications: for government information (disclosure) and
 * for service items (approval), online by the applicant or registered by a
 * clerk from paper, the counter or the post; reading them, withdrawing,
 * resubmitting after a correction notice. The state machine and the clock
 * are api/caseflow.c and src/domain/calendar/caseclock.c.
 * operationIds listRequests, createRequest, getRequest, withdrawRequest,
 * resubmitRequest. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "opengov/server/quota.h"
#include "opengov/api/handlers.h"
#include "opengov/api/common.h"
#include "opengov/api/caseflow.h"
#include "opengov/base/cursor.h"
#include "opengov/server/idempotency.h"
#include "opengov/db/jsonw.h"
#include "opengov/domain/workcal.h"
#include "opengov/domain/formschema.h"


static const char *const lights[] = { "green", "yellow", "red", NULL };

static const char *const deliveries[] = { "electronic", "paper", NULL };

/* The channels a clerk registers (every one but online). */
static const char *const *clerk_channels(void)
{
	return case_channel_names(BY_CLERK);
}

static const char *const applicant_types[] = {
	"natural_person", "company", "research_body", "ngo", "legal_service", "other", NULL
};

static const struct field disclosure_new[] = {
	{ "kind", FT_ENUM, F_REQUIRED, 0, 0, NULL, NULL, case_kind_list },
	{ "unit_id", FT_UUID, F_REQUIRED, 0, 0, NULL, NULL, NULL },
	{ "description", FT_STRING, F_REQUIRED, 1, 5000, NULL, NULL, NULL },
	{ "purpose", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL, NULL },
	{ "delivery", FT_ENUM, F_REQUIRED, 0, 0, deliveries, NULL, NULL },
	{ "channel", FT_ENUM, 0, 0, 0, NULL, NULL, clerk_channels },
	{ "received_at", FT_STRING, 0, 20, 40, NULL, NULL, NULL },
	{ "applicant", FT_OBJECT, 0, 0, 0, NULL, NULL, NULL },
	END_FIELDS,
};

static const struct field approval_new[] = {
	{ "kind", FT_ENUM, F_REQUIRED, 0, 0, NULL, NULL, case_kind_list },
	{ "item_id", FT_UUID, F_REQUIRED, 0, 0, NULL, NULL, NULL },
	{ "form", FT_OBJECT, F_REQUIRED, 0, 0, NULL, NULL, NULL },
	{ "channel", FT_ENUM, 0, 0, 0, NULL, NULL, clerk_channels },
	{ "received_at", FT_STRING, 0, 20, 40, NULL, NULL, NULL },
	{ "applicant", FT_OBJECT, 0, 0, 0, NULL, NULL, NULL },
	END_FIELDS,
};

static const struct field applicant_fields[] = {
	{ "type", FT_ENUM, F_REQUIRED, 0, 0, applicant_types, NULL, NULL },
	{ "name", FT_STRING, F_REQUIRED, 1, 200, NULL, NULL, NULL },
	{ "account_id", FT_UUID, F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "id_number", FT_STRING, F_NULLABLE, 1, 64, NULL, NULL, NULL },
	{ "phone", FT_STRING, F_NULLABLE, 1, 32, NULL, NULL, NULL },
	{ "email", FT_STRING, F_NULLABLE, 3, 254, NULL, NULL, NULL },
	{ "address", FT_STRING, F_NULLABLE, 1, 500, NULL, NULL, NULL },
	END_FIELDS,
};

static const struct field withdraw_fields[] = {
	{ "reason", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL, NULL },
	END_FIELDS,
};

static const struct field resubmit_fields[] = {
	{ "fields", FT_OBJECT, 0, 0, 0, NULL, NULL, NULL },
	{ "note", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL, NULL },
	END_FIELDS,
};

static const struct field resubmit_disclosure[] = {
	{ "description", FT_STRING, 0, 1, 5000, NULL, NULL, NULL },
	{ "purpose", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL, NULL },
	{ "delivery", FT_ENUM, 0, 0, 0, deliveries, NULL, NULL },
	END_FIELDS,
};

static const struct field resubmit_approval[] = {
	{ "form", FT_OBJECT, 0, 0, 0, NULL, NULL, NULL },
	END_FIELDS,
};

/* ---- GET /v1/requests/{id} --------------------------------------------- */

/* GET /v1/requests/{id} - getRequest: 200, 304, 401, 404. */
void api_requests_get(struct req *r)
{
	struct request_ref ref;
	char etag[40];
	PGresult *res = request_load_or_reply(r, r->path_params[0], false, &ref);

	if (!res)
		return;
	const struct calendar *cal = request_calendar_or_reply(r, res);
	if (cal) {
		request_etag(res, 0, r->lang, etag, sizeof etag);
		http_header(r, "Cache-Control", "private, no-cache");
		if (!http_not_modified(r, etag)) {
			struct buf body = { 0 };
			request_write(&body, r, cal, res, 0, workcal_today());
			http_json_text(r, 200, &body);
			buf_free(&body);
		}
	}
	PQclear(res);
}

/* ---- GET /v1/requests -------------------------------------------------- */

/* The orders of ?sort=: each a key column (what the cursor holds, as text)
 * with its cast, and a direction; ties by id in the same direction. The
 * key of due and light is the day the light turns red ('infinity' without
 * a running clock: last), which orders red before yellow before green. */
struct request_sort {
	const char *name;
	const char *key;  /* SQL of the key, as text in the select list */
	const char *expr; /* the ordered expression (an index's) */
	const char *cast; /* of the cursor's key */
	bool asc;
};

static const struct request_sort request_sorts[] = {
	{ "received", "(extract(epoch FROM q.received_at) * 1000000)::bigint::text",
	  "q.received_at", NULL, false },
	{ "received_asc", "(extract(epoch FROM q.received_at) * 1000000)::bigint::text",
	  "q.received_at", NULL, true },
	{ "due", "coalesce(q.red_on, 'infinity'::date)::text",
	  "coalesce(q.red_on, 'infinity'::date)", "date", true },
	{ "due_desc", "coalesce(q.red_on, 'infinity'::date)::text",
	  "coalesce(q.red_on, 'infinity'::date)", "date", false },
	{ "light", "coalesce(q.red_on, 'infinity'::date)::text",
	  "coalesce(q.red_on, 'infinity'::date)", "date", true },
};

static const char *const request_sort_names[] = { "received", "received_asc", "due",
						  "due_desc", "light", NULL };

/* ?cursor= of listRequests: the sort it was issued for, the key, the id.
 * A cursor of another order would skip or repeat rows: 400. */
static int request_cursor_or_reply(struct req *r, const struct request_sort *so,
				   char after[3][CURSOR_PART_MAX])
{
	int y, m, d;

	if (query_cursor_or_reply(r, 3, after))
		return -1;
	if (!after[0][0])
		return 0;
	if (strcmp(after[0], so->name)) {
		query_invalid_reply(r, "cursor", "belongs to another sort order: ask for the"
				    " first page again");
		return -1;
	}
	bool key_ok;
	if (so->cast) {
		key_ok = !strcmp(after[1], "infinity") || !strcmp(after[1], "-infinity") ||
			 !date_parse(after[1], &y, &m, &d);
	} else {
		char *end;
		errno = 0;
		long long us = strtoll(after[1], &end, 10);
		key_ok = !errno && !*end && end != after[1] && us > -62135596800000000LL &&
			 us < 253402300799000000LL;
	}
	if (!key_ok || !uuid_valid(after[2])) {
		query_invalid_reply(r, "cursor", "is not a cursor this server issued");
		return -1;
	}
	return 0;
}

/* ?number_prefix=: the start of a case number, letters, digits and '-'
 * (GK-2019-). The next string in byte order after every number it starts
 * is the prefix with its last character's byte raised by one. */
static int number_prefix_or_reply(struct req *r, char lo[32], char hi[32], bool *present)
{
	const char *v = http_query(r, "number_prefix");
	size_t n = v ? strlen(v) : 0;

	*present = false;
	if (!v)
		return 0;
	if (n < 2 || n > 20 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != n) {
		query_invalid_reply(r, "number_prefix", "must be 2 to 20 capital letters, digits"
				    " or '-', the start of a case number (GK-2019-)");
		return -1;
	}
	memcpy(lo, v, n + 1);
	memcpy(hi, v, n + 1);
	hi[n - 1]++;
	*present = true;
	return 0;
}

/* What a request's text search reads (sql/025: request_search_text). */
static const char *const request_search_columns[] = {
	"q.description", "q.purpose", "(q.applicant ->> 'name')", NULL
};

/* GET /v1/requests - listRequests: 200, 304, 400, 401. Newest received
 * first unless ?sort= says otherwise, ties by id; scoped by role; filters
 * kind, status, unit, light, received_from, received_to, number,
 * number_prefix, q (text), updated_since. */
void api_requests_list(struct req *r)
{
	const char *kind, *status, *unit, *light, *from, *to, *sort, *since, *number;
	bool from_date = false, to_date = false, has_q = false, has_prefix = false;
	char after[3][CURSOR_PART_MAX], lim[16], today[11], q[404], pattern[1040];
	char prefix_lo[32], prefix_hi[32];
	int limit;

	if (query_limit_or_reply(r, &limit) ||
	    query_enum_or_reply(r, "kind", case_kind_list(), &kind) ||
	    query_enum_or_reply(r, "status", case_status_names(), &status) ||
	    query_uuid_or_reply(r, "unit", &unit) ||
	    query_enum_or_reply(r, "light", lights, &light) ||
	    query_when_or_reply(r, "received_from", &from, &from_date) ||
	    query_when_or_reply(r, "received_to", &to, &to_date) ||
	    query_time_or_reply(r, "updated_since", &since) ||
	    query_enum_or_reply(r, "sort", request_sort_names, &sort) ||
	    number_prefix_or_reply(r, prefix_lo, prefix_hi, &has_prefix) ||
	    query_search_or_reply(r, "q", q, sizeof q, &has_q))
		return;
	number = http_query(r, "number");
	if (number && (!*number || strlen(number) > 32)) {
		query_invalid_reply(r, "number", "must be a case number of 1 to 32 characters");
		return;
	}
	const struct request_sort *so = &request_sorts[sort ? choice_index(request_sort_names, sort)
							  : 0];
	if (request_cursor_or_reply(r, so, after))
		return;
	DB_STMT(changed, "requests_changed_since",
		"SELECT coalesce(array_agg(id), '{}')::text AS ids, count(*) AS n FROM"
		" (SELECT id FROM requests WHERE updated_at >= $1::timestamptz ORDER BY updated_at DESC"
		" LIMIT " COMMON_SINCE_LIMIT_SQL ") AS s");
	char *since_ids = NULL;
	if (common_since_ids_or_reply(r, &changed, since, &since_ids))
		return;
	snprintf(lim, sizeof lim, "%d", limit + 1);
	calendar_format(workcal_today(), today);

	struct sqlb b = { 0 };
	sqlb_add(&b, "SELECT " REQUEST_COLUMNS ", " REQUEST_REDRESS_COLUMNS ", ");
	sqlb_add(&b, so->key);
	sqlb_add(&b, " AS sort_key FROM requests q WHERE ");
	if (req_sees_everything(r)) {
		sqlb_add(&b, "true");
	} else if (req_is_unit_staff(r)) {
		sqlb_add(&b, "q.unit_id = ");
		sqlb_param(&b, r->claims.unit, "uuid");
	} else {
		sqlb_add(&b, "q.applicant_sub = ");
		sqlb_param(&b, r->claims.sub, "text");
	}
	sqlb_and_eq(&b, "q.kind", kind, "text");
	sqlb_and_eq(&b, "q.status", status, "text");
	sqlb_and_eq(&b, "q.unit_id", unit, "uuid");
	/* Numbers are looked up in request_number_keys (sql/033: requests
	 * has no index on number, so that setting it is a heap-only update). */
	if (number) {
		sqlb_add(&b, " AND q.id = (SELECT k.request_id FROM request_number_keys k"
			     " WHERE k.number = ");
		sqlb_param(&b, number, "text");
		sqlb_add(&b, ")");
	}
	if (has_prefix) {
		sqlb_add(&b, " AND q.id IN (SELECT k.request_id FROM request_number_keys k"
			     " WHERE k.number >= ");
		sqlb_param(&b, prefix_lo, "text");
		sqlb_add(&b, " AND k.number < ");
		sqlb_param(&b, prefix_hi, "text");
		sqlb_add(&b, ")");
	}
	if (light) {
		if (!strcmp(light, "red")) {
			sqlb_add(&b, " AND q.red_on <= ");
			sqlb_param(&b, today, "date");
		} else if (!strcmp(light, "yellow")) {
			sqlb_add(&b, " AND q.yellow_on <= ");
			sqlb_param(&b, today, "date");
			sqlb_add(&b, " AND q.red_on > ");
			sqlb_param(&b, today, "date");
		} else {
			sqlb_add(&b, " AND q.yellow_on > ");
			sqlb_param(&b, today, "date");
		}
	}
	sqlb_and_between(&b, "q.received_at", from, from_date, to, to_date);
	common_and_since(&b, "q.updated_at", "q.id", since, since_ids);
	if (has_q) {
		/* The bigram index narrows (sql/025), the substring decides. */
		sql_like_pattern(q, pattern, sizeof pattern);
		sqlb_add(&b, " AND (search_tokens(request_search_text(q.description, q.purpose,"
			     " q.applicant)) COLLATE \"C\") @> search_query_tokens(lower(");
		sqlb_param(&b, q, "text");
		sqlb_add(&b, ")) AND ");
		sqlb_substring(&b, request_search_columns, q, pattern);
	}
	const char *cmp = so->asc ? " > " : " < ", *dir = so->asc ? " ASC" : " DESC";
	if (after[0][0]) {
		sqlb_add(&b, " AND (");
		sqlb_add(&b, so->expr);
		sqlb_add(&b, ", q.id)");
		sqlb_add(&b, cmp);
		sqlb_add(&b, "(");
		if (so->cast) {
			sqlb_param(&b, after[1], so->cast);
		} else {
			sqlb_add(&b, "timestamptz 'epoch' + ");
			sqlb_param(&b, after[1], "bigint");
			sqlb_add(&b, " * interval '1 microsecond'");
		}
		sqlb_add(&b, ", ");
		sqlb_param(&b, after[2], "uuid");
		sqlb_add(&b, ")");
	}
	sqlb_add(&b, " ORDER BY ");
	sqlb_add(&b, so->expr);
	sqlb_add(&b, dir);
	sqlb_add(&b, ", q.id");
	sqlb_add(&b, dir);
	sqlb_add(&b, " LIMIT ");
	sqlb_param(&b, lim, "int");
	PGresult *res = db_exec_cached(r->db, b.sql.data, b.n, b.params);
	sqlb_free(&b);
	free(since_ids);
	if (!res) {
		db_error_reply(r);
		return;
	}
	const struct calendar *cal = request_calendar_or_reply(r, res);
	if (!cal) {
		PQclear(res);
		return;
	}
	int n = PQntuples(res), day = workcal_today();
	struct buf data = { 0 };
	buf_append(&data, "[", 1);
	for (int i = 0; i < n && i < limit; i++) {
		if (i)
			buf_append(&data, ",", 1);
		request_write(&data, r, cal, res, i, day);
	}
	buf_append(&data, "]", 1);
	char *next = NULL;
	if (n > limit) {
		const char *key[] = { so->name, db_get(res, limit - 1, "sort_key"),
				      db_get(res, limit - 1, "id") };
		next = cursor_encode(key, 3);
	}
	PQclear(res);
	http_header(r, "Cache-Control", "private, no-cache");
	http_list_text(r, &data, next);
	buf_free(&data);
	free(next);
}

/* ---- POST /v1/requests ------------------------------------------------- */

#define ROUTE_CREATE "POST /v1/requests"

/* Checks the applicant block of a registration into v. */
static void check_applicant(const json_t *a, struct verrs *v)
{
	struct verrs inner = { 0 };

	if (!a) {
		verrs_add(v, "/applicant", "is required when a clerk registers an application");
		return;
	}
	if (validate_object(a, applicant_fields, &inner))
		for (int k = 0; k < inner.n; k++)
			verrs_nest(v, "/applicant", &inner.e[k]);
	const char *email = json_member_str(a, "email");
	if (email && !strchr(email, '@'))
		verrs_add(v, "/applicant/email", "must be an email address");
}

/* received_at of a registration: RFC 3339, not in the future, not before
 * the previous year. Returns 0 and the time, or adds to v. */
static int check_received(const char *s, time_t *out, struct verrs *v)
{
	long long epoch;
	time_t now = time(NULL);
	struct tm tm;

	if (!s) {
		verrs_add(v, "/received_at", "is required: when the application really arrived");
		return -1;
	}
	if (rfc3339_parse(s, &epoch)) {
		verrs_add(v, "/received_at", "must be an RFC 3339 date-time");
		return -1;
	}
	if (epoch > (long long)now + 60) {
		verrs_add(v, "/received_at", "must not be in the future");
		return -1;
	}
	localtime_r(&now, &tm);
	int earliest_year = tm.tm_year + 1900 - 1;
	time_t t = (time_t)epoch;
	localtime_r(&t, &tm);
	if (tm.tm_year + 1900 < earliest_year) {
		verrs_add(v, "/received_at", "must not be before %d-01-01", earliest_year);
		return -1;
	}
	*out = t;
	return 0;
}

/* An application being made: what the body and the caller say, and what
 * the item adds. */
struct new_request {
	const char *kind;
	bool disclosure, clerk;
	time_t received;
	json_t *applicant;       /* a clerk's registration: the applicant block */
	const char *acct;        /* its account, if any */
	const char *unit, *item;
	char unit_buf[40];
	int statutory, committed;
	char *form_text;
};

/* The applicant's account, and the body: 403 or 422 answered, -1. */
static int new_request_parse_or_reply(struct req *r, struct new_request *n)
{
	struct verrs v = { 0 };

	n->clerk = r->claims.role == ROLE_CLERK;
	n->received = time(NULL);
	n->statutory = APPROVAL_DAYS;
	/* Only applicants and clerks get here (api/routes.def). */
	if (!n->clerk && !uuid_valid(r->claims.sub)) { /* not one of our accounts */
		problem_reply(r, 403, "forbidden",
			      "Only holders of an applicant account apply online: register one first.");
		return -1;
	}
	n->kind = json_member_str(r->json, "kind");
	if (!n->kind || case_kind_parse(n->kind) < 0) {
		verrs_add(&v, "/kind", "is required: disclosure or approval");
		return common_invalid_reply(r, &v, "The application is invalid.");
	}
	n->disclosure = case_kind_parse(n->kind) == CK_DISCLOSURE;
	validate_object(r->json, n->disclosure ? disclosure_new : approval_new, &v);
	n->applicant = json_object_get(r->json, "applicant");
	if (n->clerk) {
		if (!json_member_str(r->json, "channel"))
			verrs_add(&v, "/channel", "is required: paper, counter, post or fax");
		check_received(json_member_str(r->json, "received_at"), &n->received, &v);
		check_applicant(n->applicant, &v);
		n->acct = n->applicant ? json_member_str(n->applicant, "account_id") : NULL;
	} else {
		static const char *const staff_only[] = { "channel", "received_at", "applicant", NULL };
		for (int i = 0; staff_only[i]; i++)
			if (json_object_get(r->json, staff_only[i]))
				verrs_add(&v, staff_only[i][0] == 'c' ? "/channel"
					  : staff_only[i][0] == 'r' ? "/received_at" : "/applicant",
					  "is set by a clerk registering an application not made online");
	}
	json_t *form = json_object_get(r->json, "form");
	n->form_text = form ? json_dumps(form, JSON_COMPACT) : NULL;
	if (n->form_text && strlen(n->form_text) > 65536)
		verrs_add(&v, "/form", "must not exceed 64 KiB");
	n->unit = json_member_str(r->json, "unit_id");
	n->item = json_member_str(r->json, "item_id");
	return v.n ? common_invalid_reply(r, &v, "The application is invalid.") : 0;
}

/* Checks form against the item's form schema (its text; NULL: the item
 * has no form and any object is taken), the errors under prefix. */
static void check_form(const char *schema_text, const json_t *form, const char *prefix,
		       struct verrs *v)
{
	json_t *schema = schema_text ? json_loads(schema_text, 0, NULL) : NULL;

	if (schema && form)
		formschema_validate(schema, form, prefix, v);
	json_decref(schema);
}

/* The item applied for (a published service item, online unless a clerk
 * registers it: its unit and days), the clerk's own unit, the applicant's
 * account. -1 after answering (rolled back). */
static int new_request_resolve_or_reply(struct req *r, struct new_request *n)
{
	DB_STMT(item_st, "requests_item",
		"SELECT unit_id, status, kind, online, committed_days, statutory_days, form_schema"
		" FROM items WHERE id = $1");
	DB_STMT(account_st, "requests_applicant_account",
		"SELECT role FROM accounts WHERE id = $1");
	struct verrs v = { 0 };
	PGresult *res;
	const char *channel = n->clerk ? json_member_str(r->json, "channel") : "online";
	int guide = GUIDE_ACCEPTED;

	if (n->disclosure) {
		/* Before the quota's unit is taken (api_requests_create): a
		 * request to no unit is bad input and takes nothing. The foreign
		 * key still answers for a unit removed in between. The same
		 * statement reads whether the unit's current guide lists the
		 * channel (OGI Regulations Art. 12, 28; api/guides.c). */
		if ((guide = guides_channel_check(r, n->unit, channel)) < 0)
			return -1;
		if (guide == GUIDE_NO_UNIT)
			verrs_add(&v, "/unit_id", "is not a unit");
	} else {
		const char *p[] = { n->item };
		if (!(res = db_exec_or_reply(r, &item_st, 1, p)))
			return -1;
		if (PQntuples(res) != 1 || strcmp(db_get(res, 0, "kind"), "service") ||
		    strcmp(db_get(res, 0, "status"), "published"))
			verrs_add(&v, "/item_id", "is not a published service item");
		else if (!n->clerk && db_get(res, 0, "online")[0] != 't')
			verrs_add(&v, "/item_id", "cannot be applied for online: apply at the unit's counter");
		else {
			snprintf(n->unit_buf, sizeof n->unit_buf, "%s", db_get(res, 0, "unit_id"));
			n->unit = n->unit_buf;
			n->committed = atoi(db_get(res, 0, "committed_days"));
			if (db_get(res, 0, "statutory_days"))
				n->statutory = atoi(db_get(res, 0, "statutory_days"));
			check_form(db_get(res, 0, "form_schema"), json_object_get(r->json, "form"),
				   "/form", &v);
		}
		PQclear(res);
	}
	if (!v.n && n->clerk && strcasecmp(n->unit, r->claims.unit)) {
		db_rollback(r->db);
		problem_reply(r, 403, "forbidden", "Clerks register applications to their own unit only.");
		return -1;
	}
	if (!v.n && n->acct) {
		const char *p[] = { n->acct };
		if (!(res = db_exec_or_reply(r, &account_st, 1, p)))
			return -1;
		if (PQntuples(res) != 1 || strcmp(db_get(res, 0, "role"), "public"))
			verrs_add(&v, "/applicant/account_id", "is not an applicant's account");
		PQclear(res);
	}
	/* A disclosure application comes through a channel the unit's
	 * current guide lists (read above). */
	if (!v.n && guide == GUIDE_REFUSED)
		verrs_add(&v, "/channel", "is not a channel the unit's disclosure guide"
			  " accepts (%s): see GET /v1/units/{id}/guide", channel);
	if (v.n) {
		db_rollback(r->db);
		return common_invalid_reply(r, &v, "The application is invalid.");
	}
	return 0;
}

/* The request inserted with its number, first step and audit entry, in one
 * statement: its row (REQUEST_DETAIL_COLUMNS), or NULL after answering.
 *
 * Creations wait on one another (docs/performance.md, "Creations"): the
 * counter of their kind and year is a row locked from the moment a
 * creation takes its number to the end of its commit (that is what keeps
 * the numbers gapless: a creation that fails gives its number back), and
 * so are the audit chain's head and, at commit, the events counter and
 * the NOTIFY queue. So:
 * - the number is taken last (request_create, sql/033): the row and its
 *   index entries are written first, with a provisional number, and the
 *   number set by an update that touches no index;
 * - the quota's unit is taken before, in a statement of its own
 *   (api_requests_create): the applicant's and the address's counters are
 *   not held while the creation runs;
 * - the creation is one statement, run on its own (autocommit) unless an
 *   Idempotency-Key holds a transaction open: no round trip of the
 *   worker while anything is locked;
 * - the statement commits with synchronous_commit off for its own
 *   transaction (set_config(..., true)): the locks go as soon as the
 *   commit record is written, and the handler answers only after
 *   db_wait_durable() has seen the WAL flushed past it. Creations that
 *   commit meanwhile share that flush (group commit). A crash before the
 *   flush loses this commit and every later one (WAL is replayed in
 *   order, and a later number's commit comes later), so the numbers stay
 *   gapless, and no client was told 201 of a lost creation. */
static PGresult *new_request_insert_or_reply(struct req *r, const struct new_request *n,
					     const struct calendar *cal, long long cal_version)
{
	DB_STMT(ins, "requests_insert",
		"WITH who AS (SELECT a.applicant_type AS type, jsonb_build_object('type',"
		"  a.applicant_type, 'name', coalesce(a.display_name, a.username), 'account_id',"
		"  a.id::text, 'id_number', NULL, 'phone', NULL, 'email', NULL, 'address', NULL)"
		"  AS applicant"
		"  FROM accounts a WHERE :registered_by::text IS NULL AND a.id = :applicant_sub::uuid"
		"  AND a.role = 'public'"
		"  UNION ALL SELECT :applicant::jsonb->>'type', :applicant::jsonb"
		"  WHERE :registered_by::text IS NOT NULL),"
		" c AS (SELECT set_config('synchronous_commit', 'off', true) AS commit_mode)"
		/* No applicant, no row: request_create (sql/033) writes the
		 * request, then takes its number, then its first step and its
		 * audit entry. One row: the request's; none: no applicant
		 * account (403). */
		" SELECT " REQUEST_DETAIL_COLUMNS
		" FROM who CROSS JOIN c CROSS JOIN LATERAL request_create(:kind, :year::int,"
		"  :unit_id::uuid, :item_id::uuid, :applicant_sub::text, who.type, who.applicant, :channel,"
		"  :registered_by, :description, :purpose, :delivery, :form::jsonb,"
		"  :received_at::timestamptz, DATE '1970-01-01' + :clock_start::int,"
		"  :days_allowed::int, :yellow_on::date, :red_on::date, :light, :clock_calendar::bigint,"
		"  :committed_days::int, DATE '1970-01-01' + :acceptance_start::int,"
		"  DATE '1970-01-01' + :acceptance_due::int, :action, :actor, :actor_role,"
		"  :audit_action, :request_id) AS q");
	struct verrs v = { 0 };
	struct case_state s;
	char yellow[16], red[16], year[16], start[16], allowed[16], version_text[24];
	char committed_text[16], acc_start[16], acc_due[16];
	struct tm tm;

	/* The clocks start at receipt (src/domain/casestep.c case_init): a
	 * disclosure request's 20 days, an approval request's 5-day acceptance
	 * stage. */
	case_init(&s, cal, n->disclosure ? CK_DISCLOSURE : CK_APPROVAL,
		  workcal_day_of(n->received), n->statutory, n->committed);
	state_light_dates(cal, &s, workcal_today(), yellow, red);
	state_free(&s);
	localtime_r(&n->received, &tm);
	snprintf(year, sizeof year, "%d", tm.tm_year + 1900);
	snprintf(start, sizeof start, "%d", s.start);
	snprintf(allowed, sizeof allowed, "%d", s.allowed);
	snprintf(version_text, sizeof version_text, "%lld", cal_version);
	snprintf(committed_text, sizeof committed_text, "%d", s.committed);
	snprintf(acc_start, sizeof acc_start, "%d", s.acc_start);
	snprintf(acc_due, sizeof acc_due, "%d", s.acc_due);

	char *applicant_text = NULL;
	if (n->clerk) {
		json_t *a = json_deep_copy(n->applicant);
		static const char *const opt[] = { "account_id", "id_number", "phone", "email",
						   "address", NULL };
		for (int i = 0; opt[i]; i++)
			if (!json_object_get(a, opt[i]))
				json_object_set_new(a, opt[i], json_null());
		applicant_text = json_dumps(a, JSON_COMPACT);
		json_decref(a);
	}
	bool d = n->disclosure, clerk = n->clerk;
	struct db_args a = { 0 };
	DB_ARG(&a, ins, "kind", n->kind);
	DB_ARG(&a, ins, "year", year);
	DB_ARG(&a, ins, "unit_id", n->unit);
	DB_ARG(&a, ins, "item_id", d ? NULL : n->item);
	DB_ARG(&a, ins, "applicant_sub", clerk ? n->acct : r->claims.sub);
	DB_ARG(&a, ins, "action", clerk ? "register" : "submit");
	DB_ARG(&a, ins, "actor", req_actor(r));
	DB_ARG(&a, ins, "channel", clerk ? json_member_str(r->json, "channel") : "online");
	/* The clerk who registers on paper; NULL: the applicant applies online. */
	DB_ARG(&a, ins, "registered_by", clerk ? r->claims.sub : NULL);
	DB_ARG(&a, ins, "applicant", applicant_text);
	DB_ARG(&a, ins, "description", d ? json_member_str(r->json, "description") : NULL);
	DB_ARG(&a, ins, "purpose", d ? json_member_str(r->json, "purpose") : NULL);
	DB_ARG(&a, ins, "delivery", d ? json_member_str(r->json, "delivery") : NULL);
	DB_ARG(&a, ins, "form", n->form_text);
	DB_ARG(&a, ins, "received_at", clerk ? json_member_str(r->json, "received_at") : NULL);
	DB_ARG(&a, ins, "clock_start", d ? start : NULL);
	DB_ARG(&a, ins, "days_allowed", allowed);
	DB_ARG(&a, ins, "yellow_on", yellow[0] ? yellow : NULL);
	DB_ARG(&a, ins, "red_on", red[0] ? red : NULL);
	DB_ARG(&a, ins, "actor_role", req_role(r));
	DB_ARG(&a, ins, "light", light_of(yellow, red, workcal_today()));
	DB_ARG(&a, ins, "clock_calendar", version_text);
	DB_ARG(&a, ins, "audit_action", clerk ? "request.register" : "request.submit");
	DB_ARG(&a, ins, "request_id", r->request_id);
	DB_ARG(&a, ins, "committed_days", d ? NULL : committed_text);
	DB_ARG(&a, ins, "acceptance_start", d ? NULL : acc_start);
	DB_ARG(&a, ins, "acceptance_due", d ? NULL : acc_due);
	PGresult *res = db_exec_args(r->db, &ins, &a);
	free(applicant_text);
	if (!res) {
		if (!strcmp(r->db->sqlstate, SQLSTATE_FK)) {
			db_rollback(r->db);
			verrs_add(&v, "/unit_id", "is not a unit");
			common_invalid_reply(r, &v, "The application is invalid.");
			return NULL;
		}
		db_error_reply(r);
		return NULL;
	}
	if (PQntuples(res) != 1 || !db_get(res, 0, "id")) {
		PQclear(res);
		db_rollback(r->db);
		/* the caller has no applicant account */
		problem_reply(r, 403, "forbidden",
			      "Only holders of an applicant account apply online: register one first.");
		return NULL;
	}
	return res;
}

/* POST /v1/requests - createRequest (public online; clerk on paper, at the
 * counter, by post or fax): 201, 401, 403, 415, 422, 429 (an applicant's
 * quota, Retry-After). */
void api_requests_create(struct req *r)
{
	struct new_request n = { 0 };
	PGresult *res = NULL;
	bool quota_taken = false;

	if (new_request_parse_or_reply(r, &n))
		goto out;
	/* Without an Idempotency-Key the creation is one statement, atomic on
	 * its own (the quota's unit too): no transaction round trips while the
	 * number counter and the audit chain are locked. With one, the key's
	 * row joins it in a transaction. */
	if (r->idempotency_key && idem_begin(r, ROUTE_CREATE) == IDEM_ANSWERED)
		goto out;
	if (new_request_resolve_or_reply(r, &n))
		goto out;
	/* The applicant's quota, once the application is known to be valid
	 * (bad input takes nothing); given back if the creation is refused
	 * or fails below. */
	if (quota_take_apart_or_reply(r, QUOTA_REQUEST, &quota_taken))
		goto out;
	/* The worker's copy of the calendar, as it is: the row records which
	 * version its dates come from, and the monitor computes them again
	 * if the calendar has moved since. */
	long long cal_version = workcal_version();
	const struct calendar *cal = workcal_get(r->db, cal_version >= 0 ? cal_version : -1);
	if (!cal) {
		db_error_reply(r);
		goto out;
	}
	if (!(res = new_request_insert_or_reply(r, &n, cal, workcal_version())))
		goto out;
	/* Committed already unless a transaction is open (and then its unit
	 * goes with its rollback): the unit stays taken. */
	quota_taken = false;
	struct request_ref ref;
	request_fill_ref(r, res, 0, &ref);
	char loc[96], etag[40];
	struct buf body = { 0 };
	snprintf(loc, sizeof loc, "/v1/requests/%s", ref.id);
	request_etag(res, 0, r->lang, etag, sizeof etag);
	request_write(&body, r, cal, res, 0, workcal_today());
	http_json_text(r, 201, &body);
	buf_free(&body);
	/* A transaction is open with an Idempotency-Key. */
	if (r->idempotency_key && idem_store_or_reply(r, ROUTE_CREATE, loc, etag))
		goto out;
	if (r->db->in_tx && db_commit_or_reply(r))
		goto out;
	/* Committed without waiting for the disk (new_request_insert_or_reply):
	 * the 201 only once it is there. */
	if (db_wait_durable(r->db)) {
		db_error_reply(r);
		goto out;
	}
	http_header(r, "Location", "%s", loc);
	http_header(r, "ETag", "%s", etag);
	http_header(r, "Cache-Control", "private, no-cache");
out:
	if (quota_taken)
		quota_give_back(r, QUOTA_REQUEST);
	PQclear(res);
	free(n.form_text);
}

/* ---- withdrawing, resubmitting ------------------------------------------ */

/* Records the applicant's step and answers with the request. */
static void step_reply(struct req *r, const struct request_ref *ref, struct case_state *s,
		       const struct calendar *cal, struct case_step *st,
		       const struct case_changes *c)
{
	char step_id[37], loc[96];
	PGresult *row = case_commit_or_reply(r, ref, s, cal, st, c, NULL, step_id);

	if (!row)
		return;
	snprintf(loc, sizeof loc, "/v1/requests/%s", ref->id);
	http_header(r, "Content-Location", "%s", loc);
	request_reply(r, 200, row, cal);
	PQclear(row);
}

/* Opens the applicant's step a: the request locked, the law's own steps
 * recorded, the caller and the status checked. NULL after answering. */
static PGresult *applicant_step_or_reply(struct req *r, enum case_action a,
					 struct request_ref *ref, struct case_state *s,
					 const struct calendar **cal, struct case_changes *c)
{
	PGresult *cur = case_begin_or_reply(r, r->path_params[0], ref, s, cal, c);

	if (!cur)
		return NULL;
	if (!request_acts_for_applicant(r, ref)) {
		db_rollback(r->db);
		problem_replyf(r, 403, "forbidden", "Only the applicant may %s an application.",
			       a == CA_WITHDRAW ? "withdraw" : "resubmit");
	} else if (case_possible_or_reply(r, s, *cal, a, cur) == 0) {
		return cur;
	}
	PQclear(cur);
	return NULL;
}

/* POST /v1/requests/{id}/withdraw - withdrawRequest (the applicant; a
 * clerk for applications not made online): 200, 401, 403, 404, 409, 415,
 * 422. */
void api_requests_withdraw(struct req *r)
{
	struct verrs v = { 0 };
	struct request_ref ref;
	struct case_state s = { 0 };
	struct case_changes c = { 0 };
	const struct calendar *cal;

	if (validate_object(r->json, withdraw_fields, &v)) {
		common_invalid_reply(r, &v, "The withdrawal is invalid.");
		return;
	}
	PGresult *cur = applicant_step_or_reply(r, CA_WITHDRAW, &ref, &s, &cal, &c);
	if (cur) {
		struct case_step st = { .action = case_actions[CA_WITHDRAW].step,
					.from = case_statuses[s.status].name, .days = -1,
					.respond_by = -1, .reason = json_member_str(r->json, "reason") };
		case_do_close(&s, CS_WITHDRAWN, workcal_today());
		c.closed = true;
		step_reply(r, &ref, &s, cal, &st, &c);
	}
	state_free(&s);
	PQclear(cur);
}

/* POST /v1/requests/{id}/resubmission - resubmitRequest (the applicant; a
 * clerk for applications not made online): 200, 401, 403, 404, 409, 415,
 * 422 (an entry of the checklist is not redone: each one named). */
void api_requests_resubmit(struct req *r)
{
	struct verrs v = { 0 };
	struct request_ref ref;
	struct case_state s = { 0 };
	struct case_changes c = { 0 };
	const struct calendar *cal;

	if (validate_object(r->json, resubmit_fields, &v)) {
		common_invalid_reply(r, &v, "The resubmission is invalid.");
		return;
	}
	PGresult *cur = applicant_step_or_reply(r, CA_RESUBMISSION, &ref, &s, &cal, &c);
	if (!cur)
		goto out;
	json_t *fields = json_object_get(r->json, "fields");
	bool disclosure = s.kind == CK_DISCLOSURE;
	struct verrs inner = { 0 };
	if (fields && validate_object(fields, disclosure ? resubmit_disclosure : resubmit_approval,
				      &inner)) {
		for (int k = 0; k < inner.n; k++)
			verrs_nest(&v, "/fields", &inner.e[k]);
		db_rollback(r->db);
		common_invalid_reply(r, &v, "The resubmission is invalid.");
		goto out;
	}
	/* A corrected form is a form: it must fill in the item's. */
	json_t *form = json_object_get(fields, "form");
	if (!disclosure && form) {
		DB_STMT(st, "requests_item_form", "SELECT form_schema FROM items WHERE id = $1");
		const char *p[] = { ref.item_id };
		PGresult *res = db_exec_or_reply(r, &st, 1, p);
		if (!res)
			goto out;
		check_form(PQntuples(res) ? db_get(res, 0, "form_schema") : NULL, form, "/fields/form", &v);
		PQclear(res);
		if (v.n) {
			db_rollback(r->db);
			common_invalid_reply(r, &v, "The resubmission is invalid.");
			goto out;
		}
	}
	json_t *items = json_object_get(s.correction, "items");
	json_t *up = request_latest_uploads(cur);
	json_int_t notice = json_integer_value(json_object_get(s.correction, "notice_us"));
	size_t i;
	json_t *e;
	char ptr[64];
	json_array_foreach(items, i, e) {
		const char *code = json_member_str(e, "material_code"), *field = json_member_str(e, "field");
		if (code && json_integer_value(json_object_get(up, code)) <= notice) {
			snprintf(ptr, sizeof ptr, "/materials/%s", code);
			verrs_add(&v, ptr, "upload a new version of material %s (%s)", code,
				  json_member_str(e, "reason"));
		} else if (field && !json_object_get(fields, field)) {
			snprintf(ptr, sizeof ptr, "/fields/%s", field);
			verrs_add(&v, ptr, "send the corrected %s (%s)", field, json_member_str(e, "reason"));
		}
	}
	const char *key;
	json_t *val;
	json_object_foreach(fields, key, val) {
		bool listed = false;
		json_array_foreach(items, i, e) {
			const char *field = json_member_str(e, "field");
			if (field && !strcmp(field, key))
				listed = true;
		}
		if (!listed) {
			snprintf(ptr, sizeof ptr, "/fields/%.40s", key);
			verrs_add(&v, ptr, "was not asked for by the correction notice");
		}
	}
	json_decref(up);
	if (v.n) {
		db_rollback(r->db);
		problem_reply_errors(r, 422, "correction-incomplete",
				     "The correction is not complete: every entry of the checklist must be redone.",
				     &v);
		goto out;
	}
	char at[32];
	struct case_step st = { .action = case_actions[CA_RESUBMISSION].step,
				.from = case_statuses[s.status].name, .days = -1,
				.respond_by = -1, .comment = json_member_str(r->json, "note") };
	c.fields = fields;
	case_now_rfc3339(at);
	json_object_set_new(s.correction, "resubmitted_at", json_string(at));
	case_do_resubmission(&s, cal, workcal_today());
	step_reply(r, &ref, &s, cal, &st, &c);
out:
	state_free(&s);
	PQclear(cur);
}
