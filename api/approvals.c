/* approvals.c - the steps staff take on a request (accept, ask for a
 * correction, refuse acceptance, pause, resume, extend, decide), each one an
 * immutable row, and the record of them.
 * operationIds createApproval, listRequestApprovals, listApprovals. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "opengov/api.h"
#include "opengov/caseflow.h"
#include "opengov/cursor.h"
#include "opengov/jsonw.h"
#include "opengov/workcal.h"

static const char *const staff_actions[] = {
	"accept", "request_correction", "refuse_acceptance", "pause", "resume",
	"extend", "decide", NULL
};

static const char *const all_actions[] = {
	"submit", "register", "resubmit", "withdraw", "abandon", "accept",
	"request_correction", "refuse_acceptance", "pause", "resume", "extend",
	"decide", NULL
};

static const char *const approval_outcomes[] = { "approved", "rejected", NULL };

static const char *const disclosure_outcomes[] = {
	"disclosed", "partially_disclosed", "withheld", "already_public", "not_held",
	"not_within_scope", "duplicate", NULL
};

static const char *const all_outcomes[] = {
	"approved", "rejected", "disclosed", "partially_disclosed", "withheld",
	"already_public", "not_held", "not_within_scope", "duplicate", NULL
};

static const char *const reason_codes[] = {
	"state_secret", "law_prohibited", "security_stability", "third_party_rights",
	"internal_affairs", "process_information", "enforcement_file", NULL
};

static const char *const pause_reasons[] = {
	"third_party_consultation", "expert_review", "hearing", "on_site_inspection",
	"other", NULL
};

static const char *const disclosure_fields[] = { "description", "purpose", "delivery", NULL };

static const char *const approval_fields[] = { "form", NULL };

#define END_FIELDS { NULL, 0, 0, 0, 0, NULL, NULL }

#define APPROVAL_COLUMNS \
	"a.id, a.request_id, q.number AS request_number, a.seq, a.unit_id, a.action, a.actor," \
	" a.actor_role, rfc3339(a.at) AS at, a.from_status, a.to_status, a.outcome," \
	" a.reason_code, a.legal_basis, a.responsible_unit_id, a.reason, a.comment, a.days," \
	" a.items, to_char(a.respond_by, 'YYYY-MM-DD') AS respond_by," \
	" (extract(epoch FROM a.at) * 1000000)::bigint AS _sort_us"


/* One body shape per action: what each step carries. */
static const struct field accept_fields[] = {
	{ "action", FT_ENUM, F_REQUIRED, 0, 0, staff_actions, NULL },
	{ "comment", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL },
	END_FIELDS,
};

static const struct field correction_fields[] = {
	{ "action", FT_ENUM, F_REQUIRED, 0, 0, staff_actions, NULL },
	{ "items", FT_ARRAY, F_REQUIRED, 1, 30, NULL, NULL },
	{ "respond_within_days", FT_INT, F_REQUIRED, 1, CORRECTION_MAX_DAYS, NULL, NULL },
	{ "comment", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL },
	END_FIELDS,
};

static const struct field correction_item_fields[] = {
	{ "material_code", FT_STRING, 0, 1, 32, NULL, NULL },
	{ "field", FT_STRING, 0, 1, 32, NULL, NULL },
	{ "reason", FT_STRING, F_REQUIRED, 1, 1000, NULL, NULL },
	END_FIELDS,
};

static const struct field refuse_fields[] = {
	{ "action", FT_ENUM, F_REQUIRED, 0, 0, staff_actions, NULL },
	{ "reason", FT_STRING, F_REQUIRED, 1, 2000, NULL, NULL },
	{ "legal_basis", FT_STRING, F_NULLABLE, 1, 2000, NULL, NULL },
	{ "comment", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL },
	END_FIELDS,
};

static const struct field pause_fields[] = {
	{ "action", FT_ENUM, F_REQUIRED, 0, 0, staff_actions, NULL },
	{ "reason", FT_ENUM, F_REQUIRED, 0, 0, pause_reasons, NULL },
	{ "comment", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL },
	END_FIELDS,
};

static const struct field extend_fields[] = {
	{ "action", FT_ENUM, F_REQUIRED, 0, 0, staff_actions, NULL },
	{ "days", FT_INT, F_REQUIRED, 1, EXTENSION_MAX_DAYS, NULL, NULL },
	{ "reason", FT_STRING, F_REQUIRED, 1, 2000, NULL, NULL },
	{ "comment", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL },
	END_FIELDS,
};

static const struct field decide_fields[] = {
	{ "action", FT_ENUM, F_REQUIRED, 0, 0, staff_actions, NULL },
	{ "outcome", FT_ENUM, F_REQUIRED, 0, 0, all_outcomes, NULL },
	{ "legal_basis", FT_STRING, F_REQUIRED, 1, 2000, NULL, NULL },
	{ "reason_code", FT_ENUM, F_NULLABLE, 0, 0, reason_codes, NULL },
	{ "responsible_unit_id", FT_UUID, F_NULLABLE, 0, 0, NULL, NULL },
	{ "comment", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL },
	END_FIELDS,
};

static int invalid_reply(struct req *r, struct verrs *v, const char *what)
{
	problem_reply_errors(r, 422, "validation", what, v);
	return -1;
}

/* The codes of the item's materials; required ones only with required. */
static json_t *item_material_codes(struct req *r, const char *item_id, bool required)
{
	static struct db_stmt st = { "requests_item_materials",
		"SELECT m->>'code' AS code, coalesce((m->>'required')::boolean, false) AS required"
		" FROM items i, jsonb_array_elements(i.materials) AS m WHERE i.id = $1", 0 };
	const char *p[] = { item_id };
	PGresult *res = db_exec_or_reply(r, &st, 1, p);

	if (!res)
		return NULL;
	json_t *codes = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		if (!required || db_get(res, i, "required")[0] == 't')
			json_array_append_new(codes, json_string(db_get(res, i, "code")));
	PQclear(res);
	return codes;
}

static bool codes_has(const json_t *codes, const char *code)
{
	size_t i;
	json_t *c;

	json_array_foreach(codes, i, c)
		if (!strcmp(json_string_value(c), code))
			return true;
	return false;
}

/* Checks the checklist of a correction notice into v: entries well
 * formed, each field one the kind has, each material one the item lists. */
static void check_correction_items(struct req *r, const json_t *items, const char *kind,
				   const json_t *codes, struct verrs *v)
{
	const char *const *fields = !strcmp(kind, "disclosure") ? disclosure_fields : approval_fields;
	size_t i;
	json_t *e;
	char ptr[64];

	(void)r;
	json_array_foreach(items, i, e) {
		struct verrs inner = { 0 };
		snprintf(ptr, sizeof ptr, "/items/%zu", i);
		if (!json_is_object(e)) {
			verrs_add(v, ptr, "must be an object: {material_code or field, reason}");
			continue;
		}
		if (validate_object(e, correction_item_fields, &inner)) {
			for (int k = 0; k < inner.n; k++)
				verrs_nest(v, ptr, &inner.e[k]);
			continue;
		}
		const char *code = json_member_str(e, "material_code"), *field = json_member_str(e, "field");
		char sub[96];
		if (!code == !field) {
			verrs_add(v, ptr, "must name either a material_code or a field");
			continue;
		}
		snprintf(sub, sizeof sub, "%s/%s", ptr, code ? "material_code" : "field");
		if (field && choice_index(fields, field) < 0)
			verrs_add(v, sub, "field %s cannot be corrected on a %s request", field, kind);
		if (code && check_code_value(code))
			verrs_add(v, sub, "is not a valid code");
		else if (code && codes && !codes_has(codes, code))
			verrs_add(v, sub, "%s is not one of the item's materials", code);
		for (size_t j = 0; j < i; j++) {
			json_t *o = json_array_get(items, j);
			const char *oc = json_member_str(o, "material_code"), *of = json_member_str(o, "field");
			if ((code && oc && !strcmp(code, oc)) || (field && of && !strcmp(field, of)))
				verrs_add(v, sub, "repeats entry %zu", j);
		}
	}
}

static const struct field *action_fields(const char *action)
{
	if (!action)
		return NULL;
	if (!strcmp(action, "accept") || !strcmp(action, "resume"))
		return accept_fields;
	if (!strcmp(action, "request_correction"))
		return correction_fields;
	if (!strcmp(action, "refuse_acceptance"))
		return refuse_fields;
	if (!strcmp(action, "pause"))
		return pause_fields;
	if (!strcmp(action, "extend"))
		return extend_fields;
	if (!strcmp(action, "decide"))
		return decide_fields;
	return NULL;
}

/* The decision's own rules, which depend on the kind of request. */
static void check_decision(const json_t *b, const char *kind, const char *own_unit,
			   struct verrs *v)
{
	const char *outcome = json_member_str(b, "outcome");
	const char *code = json_member_str(b, "reason_code");
	const char *unit = json_member_str(b, "responsible_unit_id");
	bool needs_code = !strcmp(outcome, "withheld") || !strcmp(outcome, "partially_disclosed");
	bool needs_unit = !strcmp(outcome, "not_within_scope");

	if (choice_index(!strcmp(kind, "disclosure") ? disclosure_outcomes : approval_outcomes,
			 outcome) < 0) {
		verrs_add(v, "/outcome", "is not an outcome of a %s request", kind);
		return;
	}
	if (needs_code && !code)
		verrs_add(v, "/reason_code", "is required when the outcome is %s", outcome);
	if (!needs_code && code)
		verrs_add(v, "/reason_code", "applies only to withheld and partially_disclosed");
	if (needs_unit && !unit)
		verrs_add(v, "/responsible_unit_id", "is required: name the unit that holds the information");
	if (!needs_unit && unit)
		verrs_add(v, "/responsible_unit_id", "applies only to not_within_scope");
	if (needs_unit && unit && !strcasecmp(unit, own_unit))
		verrs_add(v, "/responsible_unit_id", "must be another unit than the request's own");
}

/* Records the step and answers 201: the step and the request it moved. */
static void step_reply(struct req *r, const struct request_ref *ref, struct case_state *s,
		       const struct calendar *cal, struct case_step *st,
		       const struct case_changes *c, json_t *detail)
{
	static struct db_stmt one = { "approvals_one",
		"SELECT " APPROVAL_COLUMNS " FROM approvals a JOIN requests q ON q.id = a.request_id"
		" WHERE a.id = $1", 0 };
	char step_id[37], loc[96], etag[32];
	PGresult *row = case_commit_or_reply(r, ref, s, cal, st, c, detail, step_id);

	if (!row)
		return;
	const char *p[] = { step_id };
	PGresult *a = db_exec_or_reply(r, &one, 1, p);
	if (a) {
		struct buf body = { 0 };
		buf_puts(&body, "{\"approval\":");
		jw_row(&body, a, 0);
		buf_puts(&body, ",\"request\":");
		request_write(&body, r, cal, row, 0, workcal_today());
		buf_puts(&body, "}");
		snprintf(loc, sizeof loc, "/v1/requests/%s/approvals", ref->id);
		http_header(r, "Location", "%s", loc);
		request_etag(row, 0, etag, sizeof etag);
		http_header(r, "ETag", "%s", etag);
		http_json_text(r, 201, &body);
		buf_free(&body);
		PQclear(a);
	}
	PQclear(row);
}

/* POST /v1/requests/{id}/approvals - createApproval (clerk: accept,
 * request_correction, refuse_acceptance; approver: pause, resume, extend,
 * decide): 201, 401, 403, 404, 409, 415, 422. */
void approvals_create(struct req *r)
{
	struct verrs v = { 0 };
	const char *action = json_member_str(r->json, "action");
	const struct field *fields = action_fields(action);
	struct request_ref ref;
	struct case_state s;
	const struct calendar *cal;

	if (!fields) {
		verrs_add(&v, "/action", "is required: one of accept, request_correction,"
			  " refuse_acceptance, pause, resume, extend, decide");
		invalid_reply(r, &v, "The step is invalid.");
		return;
	}
	if (validate_object(r->json, fields, &v)) {
		invalid_reply(r, &v, "The step is invalid.");
		return;
	}
	if (!strcmp(action, "pause") && !strcmp(json_member_str(r->json, "reason"), "other") &&
	    !json_member_str(r->json, "comment")) {
		verrs_add(&v, "/comment", "is required when the reason is other");
		invalid_reply(r, &v, "The step is invalid.");
		return;
	}
	PGresult *cur = case_begin_or_reply(r, r->path_params[0], &ref, &s, &cal);
	if (!cur)
		return;
	bool clerk_step = case_clerk_action(action);
	enum auth_role need = clerk_step ? ROLE_CLERK : ROLE_APPROVER;
	if (!ref.unit_staff || r->claims.role != need) {
		db_rollback(r->db);
		problem_replyf(r, 403, "forbidden", "Only %s of the request's unit may %s.",
			       clerk_step ? "a clerk" : "an approver", action);
		goto out;
	}
	/* Rules of the kind come before the status: an approval request is
	 * never extended, whatever its status. */
	if (!strcmp(action, "extend") && strcmp(s.kind, "disclosure")) {
		db_rollback(r->db);
		verrs_add(&v, "/action", "only disclosure requests are extended; an approval keeps its committed days");
		invalid_reply(r, &v, "The extension is invalid.");
		goto out;
	}
	if (!case_action_allowed(&s, action)) {
		db_rollback(r->db);
		case_wrong_status(r, &s, action);
		goto out;
	}

	int today = workcal_today();
	struct case_step st = { .action = action, .from = ref.status, .days = -1, .respond_by = -1,
			   .comment = json_member_str(r->json, "comment") };
	struct case_changes c = { 0 };
	json_t *detail = json_object();
	char *items_text = NULL;
	bool disclosure = !strcmp(s.kind, "disclosure");

	if (!strcmp(action, "accept")) {
		if (!disclosure) {
			json_t *req = item_material_codes(r, ref.item_id, true);
			json_t *up = request_latest_uploads(cur);
			size_t i;
			json_t *code;
			if (!req) {
				json_decref(up);
				json_decref(detail);
				goto out;
			}
			json_array_foreach(req, i, code) {
				const char *k = json_string_value(code);
				if (!json_object_get(up, k)) {
					/* latest_uploads is only read with a notice: ask directly */
					static struct db_stmt has = { "requests_has_material",
						"SELECT 1 FROM materials WHERE request_id = $1 AND code = $2 LIMIT 1", 0 };
					const char *p[] = { ref.id, k };
					PGresult *h = db_exec_or_reply(r, &has, 2, p);
					if (!h) {
						json_decref(req);
						json_decref(up);
						json_decref(detail);
						goto out;
					}
					if (PQntuples(h) == 0) {
						char ptr[64];
						snprintf(ptr, sizeof ptr, "/materials/%.40s", k);
						verrs_add(&v, ptr, "required material %s has not been uploaded", k);
					}
					PQclear(h);
				}
			}
			json_decref(req);
			json_decref(up);
			if (v.n) {
				db_rollback(r->db);
				json_decref(detail);
				problem_reply_errors(r, 422, "missing-materials",
						     "Required materials are missing: the application cannot be accepted yet.", &v);
				goto out;
			}
			s.start = today;
		}
		strcpy(s.status, "accepted");
		c.accepted = true;
	} else if (!strcmp(action, "request_correction")) {
		json_t *codes = NULL;
		if (!disclosure && !(codes = item_material_codes(r, ref.item_id, false))) {
			json_decref(detail);
			goto out;
		}
		json_t *items = json_object_get(r->json, "items");
		check_correction_items(r, items, s.kind, codes, &v);
		json_decref(codes);
		if (!v.n && disclosure && s.corrections > 0)
			verrs_add(&v, "/action", "a disclosure request gets one correction notice, and this one has had it");
		if (!v.n && disclosure &&
		    calendar_count_working_days(cal, s.received, today, NULL, 0) > CORRECTION_WINDOW)
			verrs_add(&v, "/action", "a correction notice is possible only within %d working days of receipt",
				  CORRECTION_WINDOW);
		if (v.n) {
			db_rollback(r->db);
			json_decref(detail);
			invalid_reply(r, &v, "The correction notice is invalid.");
			goto out;
		}
		int within = (int)json_integer_value(json_object_get(r->json, "respond_within_days"));
		char due[11];
		s.correction_due = calendar_add_working_days(cal, today, within, NULL, 0);
		calendar_format(s.correction_due, due);
		json_decref(s.correction);
		s.correction = json_pack("{s:O, s:s, s:n}", "items", items, "respond_by", due,
					 "resubmitted_at");
		s.corrections++;
		if (disclosure)
			state_open_exclusion(&s, today, "correction");
		strcpy(s.status, "correction_required");
		items_text = json_dumps(items, JSON_COMPACT);
		st.items = items_text;
		st.days = within;
		st.respond_by = s.correction_due;
		json_object_set_new(detail, "respond_by", json_string(due));
	} else if (!strcmp(action, "refuse_acceptance")) {
		st.reason = json_member_str(r->json, "reason");
		st.legal_basis = json_member_str(r->json, "legal_basis");
		strcpy(s.status, "not_accepted");
		state_close_exclusion(&s, today);
		s.closed = today;
		c.closed = true;
	} else if (!strcmp(action, "pause")) {
		st.reason = json_member_str(r->json, "reason");
		state_open_exclusion(&s, today, st.reason);
		strcpy(s.status, "paused");
	} else if (!strcmp(action, "resume")) {
		state_close_exclusion(&s, today);
		strcpy(s.status, "accepted");
	} else if (!strcmp(action, "extend")) {
		char at[32];
		/* The kind was checked before the status. */
		if (json_array_size(s.extensions) > 0)
			verrs_add(&v, "/action", "a disclosure request is extended once, and this one has been");
		if (v.n) {
			db_rollback(r->db);
			json_decref(detail);
			invalid_reply(r, &v, "The extension is invalid.");
			goto out;
		}
		st.days = (int)json_integer_value(json_object_get(r->json, "days"));
		st.reason = json_member_str(r->json, "reason");
		case_now_rfc3339(at);
		json_array_append_new(s.extensions, json_pack("{s:i, s:s, s:s}", "days", st.days,
							      "reason", st.reason, "at", at));
		s.allowed += st.days;
		json_object_set_new(detail, "days", json_integer(st.days));
	} else { /* decide */
		check_decision(r->json, s.kind, ref.unit_id, &v);
		const char *ru = json_member_str(r->json, "responsible_unit_id");
		if (!v.n && ru) {
			static struct db_stmt unit_st = { "requests_unit_exists",
				"SELECT 1 FROM units WHERE id = $1", 0 };
			const char *up[] = { ru };
			PGresult *u = db_exec_or_reply(r, &unit_st, 1, up);
			if (!u) {
				json_decref(detail);
				goto out;
			}
			if (PQntuples(u) == 0)
				verrs_add(&v, "/responsible_unit_id", "is not a unit");
			PQclear(u);
		}
		if (v.n) {
			db_rollback(r->db);
			json_decref(detail);
			invalid_reply(r, &v, "The decision is invalid.");
			goto out;
		}
		st.outcome = c.outcome = json_member_str(r->json, "outcome");
		st.reason_code = c.reason_code = json_member_str(r->json, "reason_code");
		st.legal_basis = c.legal_basis = json_member_str(r->json, "legal_basis");
		st.responsible_unit = c.responsible_unit = json_member_str(r->json, "responsible_unit_id");
		strcpy(s.status, "decided");
		state_close_exclusion(&s, today);
		s.decided = today;
		c.decided = true;
		json_object_set_new(detail, "outcome", json_string(st.outcome));
	}
	step_reply(r, &ref, &s, cal, &st, &c, detail);
	free(items_text);
out:
	state_free(&s);
	PQclear(cur);
}

/* ---- the record ---------------------------------------------------------- */

/* GET /v1/requests/{id}/approvals - listRequestApprovals: 200, 400, 401,
 * 404. Every step, in order (keyset pages by seq, like every list). */
void request_approvals_list(struct req *r)
{
	static struct db_stmt st = { "approvals_of_request",
		"SELECT " APPROVAL_COLUMNS " FROM approvals a JOIN requests q ON q.id = a.request_id"
		" WHERE a.request_id = $1 AND a.seq > $2::int ORDER BY a.seq LIMIT $3", 0 };
	static const char *const keys[] = { "seq" };
	struct request_ref ref;
	char after[1][CURSOR_PART_MAX], lim[16];
	int limit;

	if (query_limit_or_reply(r, &limit) || query_cursor_or_reply(r, 1, after))
		return;
	if (after[0][0]) {
		char *end;
		errno = 0;
		long seq = strtol(after[0], &end, 10);
		if (errno || *end || end == after[0] || seq < 1 || seq > INT_MAX) {
			query_invalid_reply(r, "cursor", "is not a cursor this server issued");
			return;
		}
	}
	if (request_find_or_reply(r, r->path_params[0], false, &ref))
		return;
	snprintf(lim, sizeof lim, "%d", limit + 1);
	const char *p[] = { ref.id, after[0][0] ? after[0] : "0", lim };
	PGresult *res = db_exec_or_reply(r, &st, 3, p);
	if (!res)
		return;
	http_header(r, "Cache-Control", "private, no-cache");
	http_list_rows(r, res, limit, keys, 1);
	PQclear(res);
}

/* GET /v1/approvals - listApprovals (staff of a unit: theirs; supervisors,
 * admins: all): 200, 400, 401, 403. Newest first; filters unit, action,
 * outcome, from, to. */
void approvals_list(struct req *r)
{
	const char *unit, *action, *outcome, *from, *to;
	bool from_date = false, to_date = false;
	char after[2][CURSOR_PART_MAX], lim[16];
	int limit;

	if (r->claims.role == ROLE_PUBLIC) {
		problem_reply(r, 403, "forbidden",
			      "The record of all steps is for staff; applicants read their own request's steps.");
		return;
	}
	if (query_limit_or_reply(r, &limit) ||
	    query_uuid_or_reply(r, "unit", &unit) ||
	    query_enum_or_reply(r, "action", all_actions, &action) ||
	    query_enum_or_reply(r, "outcome", all_outcomes, &outcome) ||
	    query_when_or_reply(r, "from", &from, &from_date) ||
	    query_when_or_reply(r, "to", &to, &to_date) ||
	    query_time_cursor_or_reply(r, after))
		return;
	snprintf(lim, sizeof lim, "%d", limit + 1);
	struct sqlb b = { 0 };
	sqlb_add(&b, "SELECT " APPROVAL_COLUMNS " FROM approvals a JOIN requests q ON q.id = a.request_id WHERE ");
	if (req_is_unit_staff(r)) {
		sqlb_add(&b, "a.unit_id = ");
		sqlb_param(&b, r->claims.unit, "uuid");
	} else {
		sqlb_add(&b, "true");
	}
	sqlb_and_eq(&b, "a.unit_id", unit, "uuid");
	sqlb_and_eq(&b, "a.action", action, "text");
	sqlb_and_eq(&b, "a.outcome", outcome, "text");
	sqlb_and_between(&b, "a.at", from, from_date, to, to_date);
	sqlb_and_before(&b, "a.at", "a.id", after);
	sqlb_add(&b, " ORDER BY a.at DESC, a.id DESC LIMIT ");
	sqlb_param(&b, lim, "int");
	PGresult *res = db_exec_cached(r->db, b.sql.data, b.n, b.params);
	sqlb_free(&b);
	if (!res) {
		db_error_reply(r);
		return;
	}
	static const char *const keys[] = { "_sort_us", "id" };
	http_header(r, "Cache-Control", "private, no-cache");
	http_list_rows(r, res, limit, keys, 2);
	PQclear(res);
}
