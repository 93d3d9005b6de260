/* findings.c - supervision findings: recorded by the supervision office
 * (or raised by electronic monitoring), rectified by the unit, verified and
 * published by the office.
 * operationIds listFindings, createFinding, getFinding, rectifyFinding,
 * verifyFinding, publishFinding. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "opengov/api/handlers.h"
#include "opengov/api/common.h"
#include "opengov/domain/calendar.h"
#include "opengov/base/cursor.h"
#include "opengov/server/idempotency.h"
#include "opengov/db/jsonw.h"
#include "opengov/server/upload.h"
#include "opengov/domain/workcal.h"
#include "opengov/base/msg.h"

static const char *const sources[] = { "inspection", "e_monitoring", "complaint", NULL };
static const char *const manual_sources[] = { "inspection", "complaint", NULL };
static const char *const categories[] = {
	"overdue", "improper_refusal", "missing_reason", "not_online", "disclosure_gap", "other", NULL
};
static const char *const severities[] = { "yellow", "red", NULL };
static const char *const finding_statuses[] = { "open", "rectification_submitted", "closed", NULL };

static const struct field create_fields[] = {
	{ "source", FT_ENUM, F_REQUIRED, 0, 0, manual_sources, NULL, NULL },
	{ "unit_id", FT_UUID, F_REQUIRED, 0, 0, NULL, NULL, NULL },
	{ "request_id", FT_UUID, F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "item_id", FT_UUID, F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "category", FT_ENUM, F_REQUIRED, 0, 0, categories, NULL, NULL },
	{ "severity", FT_ENUM, F_REQUIRED, 0, 0, severities, NULL, NULL },
	{ "title", FT_STRING, F_REQUIRED, 1, 300, NULL, NULL, NULL },
	{ "description", FT_STRING, F_REQUIRED, 1, 5000, NULL, NULL, NULL },
	{ "rectify_by", FT_STRING, F_REQUIRED, 10, 10, NULL, common_check_date, NULL },
	END_FIELDS,
};

static const struct field rectify_fields[] = {
	{ "description", FT_STRING, F_REQUIRED, 1, 5000, NULL, NULL, NULL },
	{ "evidence_ids", FT_ARRAY, 0, 0, 20, NULL, NULL, NULL },
	END_FIELDS,
};

static const struct field verify_fields[] = {
	{ "accepted", FT_BOOL, F_REQUIRED, 0, 0, NULL, NULL, NULL },
	{ "comment", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL, NULL },
	END_FIELDS,
};

#define FINDING_COLUMNS \
	"f.id, f.source, f.rule, f.unit_id, f.request_id, f.item_id, f.report_year, f.category," \
	" f.severity," \
	" f.title, f.description, to_char(f.rectify_by, 'YYYY-MM-DD') AS rectify_by, f.status," \
	" f.rectification, rfc3339(f.rectified_at) AS rectified_at, f.rectifications," \
	" f.verification_comment, rfc3339(f.verified_at) AS verified_at," \
	" rfc3339(f.closed_at) AS closed_at, rfc3339(f.escalated_at) AS escalated_at," \
	" rfc3339(f.published_at) AS published_at, f.created_by, f.created_role," \
	" rfc3339(f.created_at) AS created_at, rfc3339(f.updated_at) AS updated_at, f.version," \
	" (extract(epoch FROM f.created_at) * 1000000)::bigint AS sort_us," \
	" (SELECT q.number FROM requests q WHERE q.id = f.request_id) AS request_number," \
	" (SELECT coalesce(json_agg(json_build_object('id', e.id, 'filename', e.filename," \
	"   'content_type', e.content_type, 'size', e.size, 'sha256', e.sha256," \
	"   'uploaded_at', rfc3339(e.uploaded_at), 'uploaded_by', e.uploaded_by)" \
	"   ORDER BY e.uploaded_at, e.id), '[]') FROM finding_evidence e" \
	"  WHERE e.finding_id = f.id) AS evidence"

/* Supervisors and admins see every finding, unit staff their unit's, the
 * public the published ones. */
static bool finding_visible(const struct req *r, const PGresult *res, int row)
{
	return common_sees_workflow(r, db_get(res, row, "unit_id")) ||
	       db_get(res, row, "published_at") != NULL;
}

static void not_found(struct req *r)
{
	problem_reply(r, 404, "not-found", "There is no such finding.");
}

static void put(struct buf *b, bool *first, const char *key, const PGresult *res, int row)
{
	jw_key(b, first, key);
	jw_value(b, res, row, db_col(res, key));
}

/* The actions each status allows. */
static const char *const *status_actions(const char *status, bool published)
{
	static const char *const open_p[] = { "rectification", NULL };
	static const char *const open_u[] = { "rectification", "publish", NULL };
	static const char *const submitted_p[] = { "verification", NULL };
	static const char *const submitted_u[] = { "verification", "publish", NULL };
	static const char *const closed_u[] = { "publish", NULL };
	static const char *const none[] = { NULL };

	if (!strcmp(status, "open"))
		return published ? open_p : open_u;
	if (!strcmp(status, "rectification_submitted"))
		return published ? submitted_p : submitted_u;
	return published ? none : closed_u;
}

/* The English of the findings electronic monitoring raises (src/domain/
 * monitor.c), whose record is Chinese: by rule, with the request's number
 * or the report's year. */
static const struct {
	const char *rule, *title, *description;
} rule_texts[] = {
	{ "overdue", "Overdue without a decision %s",
	  "Case %s passed its deadline without a decision; electronic monitoring found it." },
	{ "acceptance_lapsed", "No acceptance decision in time %s",
	  "Application %s was neither accepted, corrected nor refused within 5 working days;"
	  " it is accepted from the day it was received (Licensing Law Art. 32)." },
	{ "pause_overrun", "Paused past the time declared %s",
	  "Case %s is still paused past the working days declared to the applicant"
	  " (Licensing Law Art. 45); electronic monitoring found it." },
	{ "delivery_overdue", "Licence not delivered in time %s",
	  "The licence of case %s was due to be delivered within 10 working days of the decision"
	  " (Licensing Law Art. 44) and has not been; electronic monitoring found it." },
	{ "report_unpublished", "Annual report on government information disclosure not published %s",
	  "The unit has not published its report on government information disclosure of %s,"
	  " due by 31 January of the next year (OGI Regulations Art. 49); electronic monitoring"
	  " found it." },
	{ "publication_late", "Information not published within 20 working days %s",
	  "The information item was published more than 20 working days after its document was"
	  " made (OGI Regulations Art. 26); electronic monitoring found it.%s" },
};

/* Row's title and description in English into title and desc when the
 * finding is one the system wrote and the caller reads English; false
 * (the stored Chinese) otherwise. */
static bool finding_english(const struct req *r, const PGresult *res, int row,
			    char *title, size_t tlen, char *desc, size_t dlen)
{
	const char *rule = db_get(res, row, "rule");

	if (r->lang != LANG_EN || !rule || strcmp(db_get(res, row, "created_role"), "system"))
		return false;
	const char *what = db_get(res, row, "request_number");
	if (!what)
		what = db_get(res, row, "report_year");
	for (size_t i = 0; i < sizeof rule_texts / sizeof rule_texts[0]; i++) {
		if (strcmp(rule_texts[i].rule, rule))
			continue;
		snprintf(title, tlen, rule_texts[i].title, what ? what : "");
		snprintf(desc, dlen, rule_texts[i].description, what ? what : "");
		return true;
	}
	return false;
}

/* The finding's ETag: its version, and the language when its text is the
 * system's (English and Chinese are two representations then). */
static void finding_etag(const struct req *r, const PGresult *res, int row, char *out, size_t len)
{
	if (db_get(res, row, "rule") && !strcmp(db_get(res, row, "created_role"), "system"))
		snprintf(out, len, "\"%s.%s\"", db_get(res, row, "version"),
			 r->lang == LANG_EN ? "en" : "zh");
	else
		common_version_etag(res, row, out, len);
}

/* The finding as the caller may see it: the public reads what was found
 * and what the unit did, not the office's internal comments, who recorded
 * it or the evidence files. */
static void finding_write(struct buf *b, const struct req *r, const PGresult *res, int row)
{
	static const char *const public_cols[] = {
		"id", "source", "unit_id", "request_id", "item_id", "report_year", "category", "severity",
		"title", "description", "rectify_by", "status", "rectification", "rectified_at",
		"closed_at", "escalated_at", "published_at", "created_at", "updated_at", NULL
	};
	static const char *const internal_cols[] = {
		"rule", "rectifications", "verification_comment", "verified_at", "created_by",
		"created_role", "version", "evidence", NULL
	};
	bool internal = common_sees_workflow(r, db_get(res, row, "unit_id"));
	bool first = true;
	char title[400], desc[600];
	bool english = finding_english(r, res, row, title, sizeof title, desc, sizeof desc);

	buf_puts(b, "{");
	for (int i = 0; public_cols[i]; i++) {
		if (english && (!strcmp(public_cols[i], "title") || !strcmp(public_cols[i], "description"))) {
			jw_key(b, &first, public_cols[i]);
			jw_string(b, public_cols[i][0] == 't' ? title : desc);
			continue;
		}
		put(b, &first, public_cols[i], res, row);
	}
	jw_key(b, &first, "published");
	buf_puts(b, db_get(res, row, "published_at") ? "true" : "false");
	if (internal) {
		for (int i = 0; internal_cols[i]; i++)
			put(b, &first, internal_cols[i], res, row);
		const char *const *acts = status_actions(db_get(res, row, "status"),
							 db_get(res, row, "published_at") != NULL);
		bool supervisor = r->claims.role == ROLE_SUPERVISOR;
		bool staff = common_unit_staff(r, db_get(res, row, "unit_id"));
		const char *mine[4];
		size_t n = 0;
		for (int i = 0; acts[i] && n < sizeof mine / sizeof mine[0]; i++)
			if (!strcmp(acts[i], "rectification") ? staff : supervisor)
				mine[n++] = acts[i];
		jw_key(b, &first, "allowed_actions");
		jw_strings(b, mine, n);
	}
	buf_puts(b, "}");
}

static void finding_reply(struct req *r, int status, const PGresult *res)
{
	struct buf body = { 0 };

	finding_write(&body, r, res, 0);
	http_json_text(r, status, &body);
	buf_free(&body);
}

/* Inserts a step row (the finding row is locked by the caller). */
static PGresult *insert_step(struct req *r, const char *id, const char *action,
			     const char *from, const char *to, const char *accepted,
			     const char *comment, const char *evidence)
{
	DB_STMT(st, "finding_steps_insert",
		"INSERT INTO finding_steps (finding_id, seq, action, actor, actor_role, from_status,"
		" to_status, accepted, comment, evidence)"
		" SELECT :finding_id, coalesce(max(seq), 0) + 1, :action, :actor, :actor_role,"
		" :from_status, :to_status, :accepted::boolean, :comment, :evidence::jsonb"
		" FROM finding_steps WHERE finding_id = :finding_id RETURNING id");
	struct db_args a = { 0 };
	DB_ARG(&a, st, "finding_id", id);
	DB_ARG(&a, st, "action", action);
	DB_ARG(&a, st, "actor", req_actor(r));
	DB_ARG(&a, st, "actor_role", req_role(r));
	DB_ARG(&a, st, "from_status", from);
	DB_ARG(&a, st, "to_status", to);
	DB_ARG(&a, st, "accepted", accepted);
	DB_ARG(&a, st, "comment", comment);
	DB_ARG(&a, st, "evidence", evidence);
	PGresult *res = db_exec_args(r->db, &st, &a);

	if (!res)
		db_error_reply(r);
	return res;
}

/* Ends a write: audit entry, commit, the finding. Consumes detail. */
static void finish(struct req *r, PGresult *res, int status, const char *action,
		   json_t *detail, const char *idem_route)
{
	char loc[96], etag[32];
	const char *id = db_get(res, 0, "id");

	if (common_audit_or_reply(r, action, "finding", id, detail))
		return;
	snprintf(loc, sizeof loc, "/v1/findings/%s", id);
	finding_etag(r, res, 0, etag, sizeof etag);
	finding_reply(r, status, res);
	if (idem_route && idem_store_or_reply(r, idem_route, loc, etag))
		return;
	if (db_commit_or_reply(r))
		return;
	http_header(r, status == 201 ? "Location" : "Content-Location", "%s", loc);
	http_header(r, "ETag", "%s", etag);
	http_header(r, "Cache-Control", "private, no-cache");
}

#define ROUTE_CREATE "POST /v1/findings"

/* POST /v1/findings - createFinding (supervisor): 201, 401, 403, 415, 422. */
void api_findings_create(struct req *r)
{
	DB_STMT(ins, "findings_insert",
		"WITH f AS (INSERT INTO findings (source, unit_id, request_id, item_id, category,"
		" severity, title, description, rectify_by, created_by, created_role)"
		" SELECT :source, :unit_id::uuid, :request_id::uuid, :item_id::uuid,"
		" :category, :severity, :title, :description, :rectify_by::date, :created_by,"
		" :created_role"
		" WHERE (:request_id::uuid IS NULL OR EXISTS (SELECT"
		" 1 FROM requests WHERE id = :request_id::uuid"
		"   AND unit_id = :unit_id::uuid))"
		" AND (:item_id::uuid IS NULL OR EXISTS (SELECT 1"
		" FROM items WHERE id = :item_id::uuid"
		"   AND unit_id = :unit_id::uuid))"
		" RETURNING *),"
		" s AS (INSERT INTO finding_steps (finding_id, seq, action, actor, actor_role,"
		"  to_status) SELECT id, 1, 'create', :created_by, :created_role,"
		" 'open' FROM f)"
		" SELECT " FINDING_COLUMNS " FROM f");
	struct verrs v = { 0 };
	int due, today = workcal_today();

	if (validate_object(r->json, create_fields, &v))
		return (void)common_invalid_reply(r, &v, "The finding is invalid.");
	calendar_parse(json_member_str(r->json, "rectify_by"), &due);
	if (due < today) {
		verrs_add(&v, "/rectify_by", "must be today or later");
		return (void)common_invalid_reply(r, &v, "The finding is invalid.");
	}
	if (idem_begin(r, ROUTE_CREATE) == IDEM_ANSWERED)
		return;
	const char *source = json_member_str(r->json, "source");
	const char *unit_id = json_member_str(r->json, "unit_id");
	const char *request_id = json_member_str(r->json, "request_id");
	const char *item_id = json_member_str(r->json, "item_id");
	const char *category = json_member_str(r->json, "category");
	const char *severity = json_member_str(r->json, "severity");
	struct db_args a = { 0 };
	DB_ARG(&a, ins, "source", source);
	DB_ARG(&a, ins, "unit_id", unit_id);
	DB_ARG(&a, ins, "request_id", request_id);
	DB_ARG(&a, ins, "item_id", item_id);
	DB_ARG(&a, ins, "category", category);
	DB_ARG(&a, ins, "severity", severity);
	DB_ARG(&a, ins, "title", json_member_str(r->json, "title"));
	DB_ARG(&a, ins, "description", json_member_str(r->json, "description"));
	DB_ARG(&a, ins, "rectify_by", json_member_str(r->json, "rectify_by"));
	DB_ARG(&a, ins, "created_by", req_actor(r));
	DB_ARG(&a, ins, "created_role", req_role(r));
	PGresult *res = db_exec_args(r->db, &ins, &a);
	if (!res) {
		if (!strcmp(r->db->sqlstate, SQLSTATE_FK)) {
			db_rollback(r->db);
			verrs_add(&v, "/unit_id", "is not a unit");
			common_invalid_reply(r, &v, "The finding is invalid.");
			return;
		}
		db_error_reply(r);
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		db_rollback(r->db);
		if (request_id)
			verrs_add(&v, "/request_id", "is not a request of this unit");
		if (item_id)
			verrs_add(&v, "/item_id", "is not an item of this unit");
		common_invalid_reply(r, &v, "The finding is invalid.");
		return;
	}
	finish(r, res, 201, "finding.create",
	       json_pack("{s:s, s:s, s:s, s:s}", "source", source, "unit_id", unit_id,
			 "category", category, "severity", severity), ROUTE_CREATE);
	PQclear(res);
}

DB_STMT(finding_by_id, "findings_get",
	"SELECT " FINDING_COLUMNS " FROM findings f WHERE f.id = $1");
DB_STMT(finding_lock, "findings_lock",
	"SELECT " FINDING_COLUMNS " FROM findings f WHERE f.id = $1 FOR UPDATE");

/* GET /v1/findings/{id} - getFinding: 200, 304, 404. */
void api_findings_get(struct req *r)
{
	const char *id = r->path_params[0];
	char etag[32];

	if (!uuid_valid(id))
		return not_found(r);
	const char *p[] = { id };
	PGresult *res = db_exec_or_reply(r, &finding_by_id, 1, p);
	if (!res)
		return;
	if (PQntuples(res) != 1 || !finding_visible(r, res, 0)) {
		PQclear(res);
		return not_found(r);
	}
	finding_etag(r, res, 0, etag, sizeof etag);
	http_header(r, "Vary", "Authorization");
	if (!r->authed)
		http_header(r, "Cache-Control", "public, max-age=60");
	else
		http_header(r, "Cache-Control", "private, no-cache");
	if (!http_not_modified(r, etag))
		finding_reply(r, 200, res);
	PQclear(res);
}

/* GET /v1/findings - listFindings: 200, 304, 400. Newest first; filters
 * unit, status, source, severity, category, published, updated_since. */
void api_findings_list(struct req *r)
{
	const char *unit, *status, *source, *severity, *category, *published, *since;
	char after[2][CURSOR_PART_MAX], lim[16];
	int limit;

	if (query_limit_or_reply(r, &limit) ||
	    query_uuid_or_reply(r, "unit", &unit) ||
	    query_enum_or_reply(r, "status", finding_statuses, &status) ||
	    query_enum_or_reply(r, "source", sources, &source) ||
	    query_enum_or_reply(r, "severity", severities, &severity) ||
	    query_enum_or_reply(r, "category", categories, &category) ||
	    query_bool_or_reply(r, "published", &published) ||
	    query_time_or_reply(r, "updated_since", &since) ||
	    query_time_cursor_or_reply(r, after))
		return;
	snprintf(lim, sizeof lim, "%d", limit + 1);
	struct sqlb b = { 0 };
	sqlb_add(&b, "SELECT " FINDING_COLUMNS " FROM findings f WHERE ");
	if (req_sees_everything(r)) {
		sqlb_add(&b, "true");
	} else if (req_is_unit_staff(r)) {
		sqlb_add(&b, "(f.unit_id = ");
		sqlb_param(&b, r->claims.unit, "uuid");
		sqlb_add(&b, " OR f.published_at IS NOT NULL)");
	} else {
		sqlb_add(&b, "f.published_at IS NOT NULL");
	}
	sqlb_and_eq(&b, "f.unit_id", unit, "uuid");
	sqlb_and_eq(&b, "f.status", status, "text");
	sqlb_and_eq(&b, "f.source", source, "text");
	sqlb_and_eq(&b, "f.severity", severity, "text");
	sqlb_and_eq(&b, "f.category", category, "text");
	if (published)
		sqlb_add(&b, !strcmp(published, "true") ? " AND f.published_at IS NOT NULL"
							 : " AND f.published_at IS NULL");
	sqlb_and_between(&b, "f.updated_at", since, false, NULL, false);
	PGresult *res = common_page_or_reply(r, &b, "f.created_at", "f.id", after, lim);
	if (!res)
		return;
	int n = PQntuples(res);
	struct buf data = { 0 };
	buf_puts(&data, "[");
	for (int i = 0; i < n && i < limit; i++) {
		if (i)
			buf_puts(&data, ",");
		finding_write(&data, r, res, i);
	}
	buf_puts(&data, "]");
	char *next = common_next_cursor(res, n, limit);
	PQclear(res);
	http_header(r, "Vary", "Authorization");
	http_header(r, "Cache-Control", r->authed ? "private, no-cache" : "public, max-age=30");
	http_list_text(r, &data, next);
	buf_free(&data);
	free(next);
}

static bool lock_visible(const struct req *r, const PGresult *res)
{
	return finding_visible(r, res, 0);
}

/* Opens the transaction and locks the finding the caller may see. */
static PGresult *lock_or_reply(struct req *r)
{
	return common_lock_or_reply(r, &finding_lock, lock_visible, "There is no such finding.");
}

static void wrong_status(struct req *r, const PGresult *cur, const char *action)
{
	char detail[400];
	const char *status = db_get(cur, 0, "status");
	const struct msg *m = msg_format(detail, sizeof detail, r->lang,
					 "The finding is %s: %s is not possible now.", status, action);

	conflict_reply_text(r, m ? m->code : NULL, detail, status, status_actions(status, db_get(cur, 0, "published_at") != NULL));
}

DB_STMT(finding_update, "findings_update",
	"WITH f AS (UPDATE findings SET status = coalesce($2, status),"
	" rectification = CASE WHEN $3::text IS NOT NULL THEN $3 ELSE rectification END,"
	" rectified_at = CASE WHEN $3::text IS NOT NULL THEN now() ELSE rectified_at END,"
	" rectifications = rectifications + CASE WHEN $3::text IS NOT NULL THEN 1 ELSE 0 END,"
	" verification_comment = CASE WHEN $4::boolean IS NOT"
	" NULL THEN $5 ELSE verification_comment END,"
	" verified_at = CASE WHEN $4::boolean IS NOT NULL THEN now() ELSE verified_at END,"
	" closed_at = CASE WHEN $4::boolean THEN now() ELSE closed_at END,"
	" published_at = CASE WHEN $6::boolean THEN now() ELSE published_at END,"
	" published_by = CASE WHEN $6::boolean THEN $7 ELSE published_by END,"
	" version = version + 1, updated_at = now() WHERE id = $1 RETURNING *)"
	" SELECT " FINDING_COLUMNS " FROM f");

/* POST /v1/findings/{id}/rectification - rectifyFinding (clerk, approver of
 * the unit): 200, 401, 403, 404, 409, 415, 422. */
void api_findings_rectify(struct req *r)
{
	DB_STMT(ev, "finding_evidence_check",
		"SELECT count(*) FROM finding_evidence WHERE finding_id = $1"
		" AND id = ANY ($2::uuid[])");
	struct verrs v = { 0 };
	json_t *ids = NULL;

	if (validate_object(r->json, rectify_fields, &v))
		return (void)common_invalid_reply(r, &v, "The rectification report is invalid.");
	ids = json_object_get(r->json, "evidence_ids");
	size_t i;
	json_t *e;
	json_array_foreach(ids, i, e)
		if (!json_is_string(e) || !uuid_valid(json_string_value(e)))
			verrs_add(&v, "/evidence_ids", "entry %zu is not a UUID", i);
	if (v.n)
		return (void)common_invalid_reply(r, &v, "The rectification report is invalid.");
	PGresult *cur = lock_or_reply(r);
	if (!cur)
		return;
	const char *id = db_get(cur, 0, "id");
	if (!common_unit_staff(r, db_get(cur, 0, "unit_id"))) {
		db_rollback(r->db);
		problem_reply(r, 403, "forbidden", "Only the staff of the finding's unit report its rectification.");
	} else if (strcmp(db_get(cur, 0, "status"), "open")) {
		db_rollback(r->db);
		wrong_status(r, cur, "rectification");
	} else {
		char *idtext = ids ? json_dumps(ids, JSON_COMPACT) : NULL;
		char arr[20 * 40 + 4] = "{";
		json_array_foreach(ids, i, e) {
			if (i)
				strcat(arr, ",");
			strcat(arr, json_string_value(e));
		}
		strcat(arr, "}");
		const char *cp[] = { id, arr };
		PGresult *cnt = ids && json_array_size(ids) ? db_exec_or_reply(r, &ev, 2, cp) : NULL;
		if (ids && json_array_size(ids) &&
		    (!cnt || atoi(PQgetvalue(cnt, 0, 0)) != (int)json_array_size(ids))) {
			if (cnt) {
				db_rollback(r->db);
				verrs_add(&v, "/evidence_ids", "name evidence uploaded to this finding");
				common_invalid_reply(r, &v, "The rectification report is invalid.");
			}
			PQclear(cnt);
			free(idtext);
			PQclear(cur);
			return;
		}
		PQclear(cnt);
		const char *desc = json_member_str(r->json, "description");
		PGresult *st = insert_step(r, id, "rectify", "open", "rectification_submitted", NULL,
					   desc, idtext);
		free(idtext);
		if (st) {
			PQclear(st);
			const char *p[] = { id, "rectification_submitted", desc, NULL, NULL, "false", NULL };
			PGresult *res = db_exec_or_reply(r, &finding_update, 7, p);
			if (res) {
				finish(r, res, 200, "finding.rectify",
				       json_pack("{s:s, s:s, s:I}", "from", "open", "to",
						 "rectification_submitted", "evidence",
						 (json_int_t)json_array_size(ids)), NULL);
				PQclear(res);
			}
		}
	}
	PQclear(cur);
}

/* POST /v1/findings/{id}/verification - verifyFinding (supervisor): 200,
 * 401, 403, 404, 409, 415, 422. Accepted: closed; rejected: open again. */
void api_findings_verify(struct req *r)
{
	struct verrs v = { 0 };

	if (validate_object(r->json, verify_fields, &v))
		return (void)common_invalid_reply(r, &v, "The verification is invalid.");
	bool accepted = json_is_true(json_object_get(r->json, "accepted"));
	const char *comment = json_member_str(r->json, "comment");
	if (!accepted && (!comment || !*comment)) {
		verrs_add(&v, "/comment", "is required when the rectification is rejected: say what is missing");
		return (void)common_invalid_reply(r, &v, "The verification is invalid.");
	}
	PGresult *cur = lock_or_reply(r);
	if (!cur)
		return;
	const char *id = db_get(cur, 0, "id");
	if (strcmp(db_get(cur, 0, "status"), "rectification_submitted")) {
		db_rollback(r->db);
		wrong_status(r, cur, "verification");
	} else {
		const char *to = accepted ? "closed" : "open";
		PGresult *st = insert_step(r, id, "verify", "rectification_submitted", to,
					   accepted ? "true" : "false", comment, NULL);
		if (st) {
			PQclear(st);
			const char *p[] = { id, to, NULL, accepted ? "true" : "false", comment, "false", NULL };
			PGresult *res = db_exec_or_reply(r, &finding_update, 7, p);
			if (res) {
				finish(r, res, 200, accepted ? "finding.close" : "finding.reopen",
				       json_pack("{s:s, s:s, s:b}", "from", "rectification_submitted",
						 "to", to, "accepted", accepted), NULL);
				PQclear(res);
			}
		}
	}
	PQclear(cur);
}

/* POST /v1/findings/{id}/publish - publishFinding (supervisor): 200, 401,
 * 403, 404, 409 (already published). */
void api_findings_publish(struct req *r)
{
	PGresult *cur = lock_or_reply(r);

	if (!cur)
		return;
	const char *id = db_get(cur, 0, "id");
	const char *status = db_get(cur, 0, "status");
	if (db_get(cur, 0, "published_at")) {
		db_rollback(r->db);
		conflict_reply(r, "The finding is already published.", status,
			       status_actions(status, true));
	} else {
		PGresult *st = insert_step(r, id, "publish", status, status, NULL, NULL, NULL);
		if (st) {
			PQclear(st);
			const char *p[] = { id, NULL, NULL, NULL, NULL, "true", req_actor(r) };
			PGresult *res = db_exec_or_reply(r, &finding_update, 7, p);
			if (res) {
				finish(r, res, 200, "finding.publish", json_pack("{s:s}", "status", status),
				       NULL);
				PQclear(res);
			}
		}
	}
	PQclear(cur);
}

/* POST /v1/findings/{id}/evidence?filename= - uploadFindingEvidence (clerk,
 * approver of the finding's unit, while it is open): 201, 400, 401, 403,
 * 404, 409, 413, 415, 422. The raw file, checked like a material. */
void api_findings_evidence_upload(struct req *r)
{
	DB_STMT(ins, "finding_evidence_insert",
		"WITH f AS (INSERT INTO files (content_type, size, sha256, content)"
		" VALUES ($1, $2::int, $3, $4::bytea) RETURNING id)"
		" INSERT INTO finding_evidence (finding_id, filename, file_id, content_type, size,"
		" sha256, uploaded_by, uploaded_role)"
		" SELECT $5::uuid, $6, f.id, $1, $2::int, $3, $7, $8 FROM f"
		" RETURNING id, finding_id, filename, content_type, size, sha256,"
		" rfc3339(uploaded_at) AS uploaded_at, uploaded_by");
	struct upload u;
	char loc[160];

	if (upload_take_or_reply(r, &u))
		return;
	PGresult *cur = lock_or_reply(r);
	if (!cur)
		return;
	char id[40];
	snprintf(id, sizeof id, "%s", db_get(cur, 0, "id"));
	if (!common_unit_staff(r, db_get(cur, 0, "unit_id"))) {
		db_rollback(r->db);
		problem_reply(r, 403, "forbidden", "Only the staff of the finding's unit add evidence to it.");
		PQclear(cur);
		return;
	}
	if (strcmp(db_get(cur, 0, "status"), "open")) {
		db_rollback(r->db);
		wrong_status(r, cur, "adding evidence");
		PQclear(cur);
		return;
	}
	const char *p[] = { id, u.filename, req_actor(r), req_role(r) };
	PGresult *res = upload_store_or_reply(r, &ins, &u, 4, p);
	PQclear(cur);
	if (!res)
		return;
	/* The finding lists its evidence: its ETag moves with it. */
	DB_STMT(touch, "findings_touch",
		"UPDATE findings SET version = version + 1, updated_at = now() WHERE id = $1");
	const char *tp[] = { id };
	PGresult *tres = db_exec_or_reply(r, &touch, 1, tp);
	if (!tres) {
		PQclear(res);
		return;
	}
	PQclear(tres);
	json_t *detail = json_pack("{s:s, s:s, s:I}", "evidence_id", db_get(res, 0, "id"),
				   "sha256", u.sha256, "size", (json_int_t)r->body_len);
	if (common_audit_commit_or_reply(r, "finding.evidence_upload", "finding",
					 db_get(res, 0, "finding_id"), detail)) {
		PQclear(res);
		return;
	}
	snprintf(loc, sizeof loc, "/v1/findings/%s/evidence/%s/content", db_get(res, 0, "finding_id"),
		 db_get(res, 0, "id"));
	upload_created_reply(r, res, loc, "\"1\""); /* evidence never changes */
	PQclear(res);
}

/* Evidence is seen by the staff of the finding's unit, supervisors and
 * admins. */
static bool evidence_visible(struct req *r, const PGresult *res)
{
	return common_sees_workflow(r, db_get(res, 0, "unit_id"));
}

/* GET /v1/findings/{id}/evidence/{eid}/content - getFindingEvidenceContent
 * (staff of the finding's unit, supervisors, admins): 200, 304, 401, 404. */
void api_findings_evidence_content(struct req *r)
{
	DB_STMT(st, "finding_evidence_get",
		"SELECT e.file_id, e.filename, e.content_type, e.sha256, f.unit_id"
		" FROM finding_evidence e JOIN findings f ON f.id = e.finding_id"
		" WHERE e.id = $1 AND e.finding_id = $2");
	const char *p[] = { r->path_params[1], r->path_params[0] };

	upload_serve(r, &st, 2, p, evidence_visible, "There is no such evidence.");
}
