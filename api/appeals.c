/* appeals.c - what the applicant did with the answer outside the unit:
 * administrative reconsideration (行政复议) and litigation (行政诉讼),
 * recorded by the clerks of the request's unit with their result and the
 * decisions or judgments as documents; a corrected answer (纠正) opens a
 * finding on the unit. Table 四 of the annual report counts them
 * (appeal_report_counts, sql/015).
 * operationIds createAppeal, listRequestAppeals, getAppeal,
 * recordAppealResult, uploadAppealDocument, getAppealDocumentContent,
 * listAppeals. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "opengov/domain/accountability.h"
#include "opengov/domain/accountstore.h"
#include "opengov/api/handlers.h"
#include "opengov/api/common.h"
#include "opengov/api/caseflow.h"
#include "opengov/base/cursor.h"
#include "opengov/db/jsonw.h"
#include "opengov/server/upload.h"
#include "opengov/domain/workcal.h"
#include "opengov/base/msg.h"

static const struct field create_fields[] = {
	{ "kind", FT_ENUM, F_REQUIRED, 0, 0, appeal_kind_names, NULL, NULL },
	{ "body", FT_STRING, F_REQUIRED, 1, 200, NULL, NULL, NULL },
	{ "filed_on", FT_STRING, F_REQUIRED, 10, 10, NULL, common_check_date, NULL },
	{ "after_reconsideration", FT_BOOL, F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "result", FT_ENUM, 0, 0, 0, appeal_result_names, NULL, NULL },
	{ "result_on", FT_STRING, F_NULLABLE, 10, 10, NULL, common_check_date, NULL },
	{ "case_number", FT_STRING, F_NULLABLE, 1, 100, NULL, NULL, NULL },
	{ "note", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL, NULL },
	END_FIELDS,
};

static const struct field result_fields[] = {
	{ "result", FT_ENUM, F_REQUIRED, 0, 0, appeal_decided_names, NULL, NULL },
	{ "result_on", FT_STRING, F_REQUIRED, 10, 10, NULL, common_check_date, NULL },
	{ "note", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL, NULL },
	END_FIELDS,
};

/* An appeal as every answer selects it, from "appeals a". */
#define APPEAL_COLUMNS \
	"a.id, a.request_id, (SELECT number FROM requests WHERE id = a.request_id)" \
	" AS request_number, a.unit_id, a.kind, a.body," \
	" to_char(a.filed_on, 'YYYY-MM-DD') AS filed_on, a.filed_on - DATE '1970-01-01' AS filed_day," \
	" a.after_reconsideration, a.result, to_char(a.result_on, 'YYYY-MM-DD') AS result_on," \
	" a.case_number, a.note, a.finding_id," \
	" (SELECT coalesce(json_agg(json_build_object('id', d.id, 'filename', d.filename," \
	"   'content_type', d.content_type, 'size', d.size, 'sha256', d.sha256," \
	"   'uploaded_at', rfc3339(d.uploaded_at), 'uploaded_by', d.uploaded_by)" \
	"   ORDER BY d.uploaded_at, d.id), '[]') FROM appeal_documents d" \
	"  WHERE d.appeal_id = a.id) AS documents," \
	" a.recorded_by, rfc3339(a.created_at) AS created_at, rfc3339(a.updated_at) AS updated_at," \
	" a.version, (extract(epoch FROM a.created_at) * 1000000)::bigint AS sort_us"

static void not_found(struct req *r)
{
	problem_reply(r, 404, "not-found", "There is no such appeal.");
}

/* What the appeal allows now, whoever may do it. */
static const char *const *appeal_actions(const char *result)
{
	static const char *const pending[] = { "record_result", "upload_document", NULL };
	static const char *const decided[] = { "upload_document", NULL };

	return !strcmp(result, "pending") ? pending : decided;
}

static void appeal_write(struct buf *b, const struct req *r, const PGresult *res, int row)
{
	static const char *const cols[] = {
		"id", "request_id", "request_number", "unit_id", "kind", "body", "filed_on",
		"after_reconsideration", "result", "result_on", "case_number", "note", NULL
	};
	static const char *const tail[] = {
		"documents", "recorded_by", "created_at", "updated_at", "version", NULL
	};
	const char *unit = db_get(res, row, "unit_id");
	bool first = true;

	buf_puts(b, "{");
	for (int i = 0; cols[i]; i++) {
		jw_key(b, &first, cols[i]);
		jw_value(b, res, row, db_col(res, cols[i]));
	}
	jw_key(b, &first, "finding_id");
	/* Staff of the appeal's unit, supervisors and admins see which
	 * finding a corrected result opened. */
	if (common_sees_workflow(r, unit))
		jw_value(b, res, row, db_col(res, "finding_id"));
	else
		buf_puts(b, "null");
	for (int i = 0; tail[i]; i++) {
		jw_key(b, &first, tail[i]);
		jw_value(b, res, row, db_col(res, tail[i]));
	}
	/* The clerks of the request's unit record results and documents. */
	jw_key(b, &first, "allowed_actions");
	if (r->claims.role == ROLE_CLERK && !strcmp(r->claims.unit, unit))
		jw_strings(b, appeal_actions(db_get(res, row, "result")), SIZE_MAX);
	else
		jw_strings(b, NULL, 0);
	buf_puts(b, "}");
}

static void appeal_reply(struct req *r, int status, const PGresult *res)
{
	struct buf body = { 0 };
	char etag[32];

	common_version_etag(res, 0, etag, sizeof etag);
	http_header(r, "ETag", "%s", etag);
	http_header(r, "Cache-Control", "private, no-cache");
	appeal_write(&body, r, res, 0);
	http_json_text(r, status, &body);
	buf_free(&body);
}

/* The finding a corrected answer opens, its id into id. -1 after
 * answering (rolled back). */
static int corrected_finding_or_reply(struct req *r, const PGresult *q, const char *kind,
				      const char *appeal_body, const char *result_on,
				      const char *case_number, char id[37])
{
	char title[96], *desc;
	int k = appeal_kind_parse(kind);

	snprintf(title, sizeof title, "%s纠正 %s", appeal_kind_label(k), db_get(q, 0, "number"));
	/* The record is in Chinese, as the findings monitoring raises. */
	if (asprintf(&desc, "案件 %s 的答复已于 %s 经%s（%s%s%s）被纠正：请检查其办理情况。",
		     db_get(q, 0, "number"), result_on,
		     k == AK_LITIGATION ? "行政诉讼" : "行政复议", appeal_body,
		     case_number ? "，" : "", case_number ? case_number : "") < 0)
		desc = NULL;
	return common_open_finding_or_reply(r, q,
		appeal_finding_category(db_get(q, 0, "status"), db_get(q, 0, "outcome")), title,
		desc, json_pack("{s:s, s:s}", "reason", "appeal_corrected", "appeal_kind", kind), id);
}

/* Opens the transaction and locks the request the caller may see, for the
 * clerks of its unit. NULL after answering (404, 403). */
static PGresult *clerk_request_or_reply(struct req *r, struct request_ref *ref)
{
	if (db_begin_or_reply(r))
		return NULL;
	PGresult *q = request_load_or_reply(r, r->path_params[0], true, ref);
	if (!q)
		return NULL;
	if (!ref->unit_staff || r->claims.role != ROLE_CLERK) {
		PQclear(q);
		db_rollback(r->db);
		problem_reply(r, 403, "forbidden", "Only the clerks of the request's unit record its appeals.");
		return NULL;
	}
	return q;
}

/* Ends a write of the appeal of row 0 of res: the audit entry, the commit
 * (the request's appeals and version moved with the row: sql/015). -1
 * after answering. */
static int finish_or_reply(struct req *r, const struct request_ref *ref, const PGresult *res,
			   const char *action, json_t *detail)
{
	json_object_set_new(detail, "request_id", json_string(ref->id));
	json_object_set_new(detail, "number", json_string(ref->number));
	return common_audit_commit_or_reply(r, action, "appeal", db_get(res, 0, "id"), detail);
}

/* POST /v1/requests/{id}/appeals - createAppeal (a clerk of the request's
 * unit): 201, 401, 403, 404, 415, 422. */
void api_appeals_create(struct req *r)
{
	DB_STMT(ins, "appeals_insert",
		"WITH a AS (INSERT INTO appeals (request_id, unit_id, kind, body, filed_on,"
		" after_reconsideration, result, result_on, case_number, note, finding_id,"
		" recorded_by, recorded_role)"
		" VALUES (:request_id, :unit_id, :kind, :body, :filed_on::date,"
		" :after_reconsideration::boolean, :result, :result_on::date, :case_number,"
		" :note, :finding_id::uuid,"
		" :recorded_by, :recorded_role) RETURNING *)"
		" SELECT " APPEAL_COLUMNS " FROM a");
	struct verrs v = { 0 };
	struct request_ref ref;
	char finding[37] = "", loc[160];
	json_t *j = r->json;

	if (validate_object(j, create_fields, &v))
		return (void)common_invalid_reply(r, &v, "The appeal is invalid.");
	json_t *after = json_object_get(j, "after_reconsideration");
	struct appeal_input in = {
		json_member_str(j, "kind"), json_member_str(j, "filed_on"),
		json_member_str(j, "result"), json_member_str(j, "result_on"),
		after && !json_is_null(after),
	};
	PGresult *q = clerk_request_or_reply(r, &ref), *res = NULL;
	if (!q)
		return;
	const char *received = db_get(q, 0, "received_day");
	if (appeal_check(&in, workcal_today(), received ? atoi(received) : APPEAL_NO_DAY, &v)) {
		db_rollback(r->db);
		common_invalid_reply(r, &v, "The appeal is invalid.");
		goto out;
	}
	const char *result = in.result ? in.result : "pending";
	const char *case_number = json_member_str(j, "case_number");
	if (appeal_result_parse(result) == AR_CORRECTED &&
	    corrected_finding_or_reply(r, q, in.kind, json_member_str(j, "body"), in.result_on,
				       case_number, finding))
		goto out;
	struct db_args a = { 0 };
	DB_ARG(&a, ins, "request_id", ref.id);
	DB_ARG(&a, ins, "unit_id", ref.unit_id);
	DB_ARG(&a, ins, "kind", in.kind);
	DB_ARG(&a, ins, "body", json_member_str(j, "body"));
	DB_ARG(&a, ins, "filed_on", in.filed_on);
	DB_ARG(&a, ins, "after_reconsideration",
	       in.after_given ? (json_is_true(after) ? "true" : "false") : NULL);
	DB_ARG(&a, ins, "result", result);
	DB_ARG(&a, ins, "result_on", in.result_on);
	DB_ARG(&a, ins, "case_number", case_number);
	DB_ARG(&a, ins, "note", json_member_str(j, "note"));
	DB_ARG(&a, ins, "finding_id", finding[0] ? finding : NULL);
	DB_ARG(&a, ins, "recorded_by", req_actor(r));
	DB_ARG(&a, ins, "recorded_role", req_role(r));
	if (!(res = db_exec_args(r->db, &ins, &a))) {
		db_error_reply(r);
		goto out;
	}
	json_t *detail = json_pack("{s:s, s:s, s:s, s:o}", "kind", in.kind, "result", result,
				   "filed_on", in.filed_on,
				   "finding_id", finding[0] ? json_string(finding) : json_null());
	if (finish_or_reply(r, &ref, res, "appeal.create", detail))
		goto out;
	snprintf(loc, sizeof loc, "/v1/requests/%s/appeals/%s", ref.id, db_get(res, 0, "id"));
	http_header(r, "Location", "%s", loc);
	appeal_reply(r, 201, res);
out:
	PQclear(res);
	PQclear(q);
}

/* The appeal aid of request ref, locked with lock (in the caller's
 * transaction). NULL after answering 404 (rolled back) or 5xx. */
static PGresult *appeal_load_or_reply(struct req *r, const struct request_ref *ref, bool lock)
{
	DB_STMT(get, "appeals_get",
		"SELECT " APPEAL_COLUMNS " FROM appeals a WHERE a.id = $1 AND a.request_id = $2");
	DB_STMT(get_lock, "appeals_lock",
		"SELECT " APPEAL_COLUMNS " FROM appeals a WHERE a.id = $1 AND a.request_id = $2"
		" FOR UPDATE");
	const char *aid = r->path_params[1];

	if (!uuid_valid(aid)) {
		if (r->db->in_tx)
			db_rollback(r->db);
		not_found(r);
		return NULL;
	}
	const char *p[] = { aid, ref->id };
	return common_row_or_reply(r, lock ? &get_lock : &get, 2, p, "There is no such appeal.");
}

/* GET /v1/requests/{id}/appeals/{aid} - getAppeal (whoever may see the
 * request): 200, 304, 401, 404. */
void api_appeals_get(struct req *r)
{
	struct request_ref ref;
	char etag[32];

	if (request_find_or_reply(r, r->path_params[0], false, &ref))
		return;
	PGresult *res = appeal_load_or_reply(r, &ref, false);
	if (!res)
		return;
	common_version_etag(res, 0, etag, sizeof etag);
	http_header(r, "Cache-Control", "private, no-cache");
	if (!http_not_modified(r, etag)) {
		struct buf body = { 0 };
		appeal_write(&body, r, res, 0);
		http_json_text(r, 200, &body);
		buf_free(&body);
	}
	PQclear(res);
}

/* POST /v1/requests/{id}/appeals/{aid}/result - recordAppealResult (a clerk
 * of the request's unit, while the appeal is pending): 200, 401, 403, 404,
 * 409, 415, 422. */
void api_appeals_result(struct req *r)
{
	DB_STMT(upd, "appeals_result",
		"WITH a AS (UPDATE appeals SET result = $2, result_on = $3::date,"
		" note = coalesce($4, note), finding_id = $5::uuid, version = version + 1,"
		" updated_at = clock_timestamp() WHERE id = $1 RETURNING *)"
		" SELECT " APPEAL_COLUMNS " FROM a");
	struct verrs v = { 0 };
	struct request_ref ref;
	char finding[37] = "", loc[160];
	PGresult *cur = NULL, *res = NULL;

	if (validate_object(r->json, result_fields, &v))
		return (void)common_invalid_reply(r, &v, "The result is invalid.");
	const char *result = json_member_str(r->json, "result");
	const char *result_on = json_member_str(r->json, "result_on");
	const char *note = json_member_str(r->json, "note");
	PGresult *q = clerk_request_or_reply(r, &ref);
	if (!q)
		return;
	if (!(cur = appeal_load_or_reply(r, &ref, true)))
		goto out;
	const char *now = db_get(cur, 0, "result");
	if (strcmp(now, "pending")) {
		char detail[400];
		const struct msg *m = msg_format(detail, sizeof detail, r->lang,
						 "The appeal's result is recorded (%s on %s):"
						 " it is not changed.", now, db_get(cur, 0, "result_on"));
		db_rollback(r->db);
		conflict_reply_text(r, m ? m->code : NULL, detail, now, appeal_actions(now));
		goto out;
	}
	if (appeal_result_check(result, result_on, atoi(db_get(cur, 0, "filed_day")),
				workcal_today(), &v)) {
		db_rollback(r->db);
		common_invalid_reply(r, &v, "The result is invalid.");
		goto out;
	}
	if (appeal_result_parse(result) == AR_CORRECTED &&
	    corrected_finding_or_reply(r, q, db_get(cur, 0, "kind"), db_get(cur, 0, "body"),
				       result_on, db_get(cur, 0, "case_number"), finding))
		goto out;
	const char *p[] = { db_get(cur, 0, "id"), result, result_on, note,
			    finding[0] ? finding : NULL };
	if (!(res = db_exec_or_reply(r, &upd, 5, p)))
		goto out;
	json_t *detail = json_pack("{s:s, s:s, s:s, s:o}", "from", "pending", "result", result,
				   "result_on", result_on,
				   "finding_id", finding[0] ? json_string(finding) : json_null());
	if (finish_or_reply(r, &ref, res, "appeal.result", detail))
		goto out;
	snprintf(loc, sizeof loc, "/v1/requests/%s/appeals/%s", ref.id, db_get(res, 0, "id"));
	http_header(r, "Content-Location", "%s", loc);
	appeal_reply(r, 200, res);
out:
	PQclear(res);
	PQclear(cur);
	PQclear(q);
}

/* POST /v1/requests/{id}/appeals/{aid}/documents?filename= -
 * uploadAppealDocument (a clerk of the request's unit): 201, 400, 401, 403,
 * 404, 413, 415, 422. The raw file, checked like a material. */
void api_appeals_document_upload(struct req *r)
{
	DB_STMT(ins, "appeal_documents_insert",
		"WITH f AS (INSERT INTO files (content_type, size, sha256, content)"
		" VALUES ($1, $2::int, $3, $4::bytea) RETURNING id)"
		" INSERT INTO appeal_documents (appeal_id, filename, file_id, content_type, size,"
		" sha256, uploaded_by, uploaded_role)"
		" SELECT $5::uuid, $6, f.id, $1, $2::int, $3, $7, $8 FROM f"
		" RETURNING id, appeal_id, filename, content_type, size, sha256,"
		" rfc3339(uploaded_at) AS uploaded_at, uploaded_by");
	/* The appeal lists its documents: its ETag moves with them. */
	DB_STMT(touch, "appeals_touch",
		"UPDATE appeals SET version = version + 1, updated_at = clock_timestamp()"
		" WHERE id = $1");
	struct upload u;
	char loc[200], etag[72];
	struct request_ref ref;
	PGresult *cur = NULL, *res = NULL, *t = NULL;

	if (upload_take_or_reply(r, &u))
		return;
	PGresult *q = clerk_request_or_reply(r, &ref);
	if (!q)
		return;
	if (!(cur = appeal_load_or_reply(r, &ref, true)))
		goto out;
	const char *aid = db_get(cur, 0, "id");
	const char *p[] = { aid, u.filename, req_actor(r), req_role(r) };
	if (!(res = upload_store_or_reply(r, &ins, &u, 4, p)))
		goto out;
	const char *tp[] = { aid };
	if (!(t = db_exec_or_reply(r, &touch, 1, tp)))
		goto out;
	json_t *detail = json_pack("{s:s, s:s, s:I}", "document_id", db_get(res, 0, "id"),
				   "sha256", u.sha256, "size", (json_int_t)r->body_len);
	if (finish_or_reply(r, &ref, cur, "appeal.document_upload", detail))
		goto out;
	snprintf(loc, sizeof loc, "/v1/requests/%s/appeals/%s/documents/%s/content", ref.id, aid,
		 db_get(res, 0, "id"));
	snprintf(etag, sizeof etag, "\"%s\"", u.sha256);
	upload_created_reply(r, res, loc, etag);
out:
	PQclear(t);
	PQclear(res);
	PQclear(cur);
	PQclear(q);
}

/* GET /v1/requests/{id}/appeals/{aid}/documents/{did}/content -
 * getAppealDocumentContent (whoever may see the request): 200, 304, 401,
 * 404. */
void api_appeals_document_content(struct req *r)
{
	DB_STMT(st, "appeal_documents_get",
		"SELECT d.file_id, d.filename, d.content_type, d.sha256"
		" FROM appeal_documents d JOIN appeals a ON a.id = d.appeal_id"
		" WHERE d.id = $1 AND d.appeal_id = $2 AND a.request_id = $3");
	struct request_ref ref;

	if (request_find_or_reply(r, r->path_params[0], false, &ref))
		return;
	const char *p[] = { r->path_params[2], r->path_params[1], ref.id };
	upload_serve(r, &st, 3, p, NULL, "There is no such document.");
}

/* Answers a page of appeals (fetched with limit + 1), newest recorded
 * first, with the cursor of the last one shown. */
static void list_reply(struct req *r, PGresult *res, int limit)
{
	int n = PQntuples(res);
	struct buf data = { 0 };
	char *next = NULL;

	buf_puts(&data, "[");
	for (int i = 0; i < n && i < limit; i++) {
		if (i)
			buf_puts(&data, ",");
		appeal_write(&data, r, res, i);
	}
	buf_puts(&data, "]");
	next = common_next_cursor(res, n, limit);
	http_header(r, "Cache-Control", "private, no-cache");
	http_list_text(r, &data, next);
	buf_free(&data);
	free(next);
}

/* GET /v1/requests/{id}/appeals - listRequestAppeals (whoever may see the
 * request): 200, 400, 401, 404. Newest recorded first. */
void api_appeals_list_of_request(struct req *r)
{
	char after[2][CURSOR_PART_MAX], lim[16];
	struct request_ref ref;
	int limit;

	const char *since;

	if (query_limit_or_reply(r, &limit) || query_time_or_reply(r, "updated_since", &since) ||
	    query_time_cursor_or_reply(r, after))
		return;
	if (request_find_or_reply(r, r->path_params[0], false, &ref))
		return;
	snprintf(lim, sizeof lim, "%d", limit + 1);
	struct sqlb b = { 0 };
	sqlb_add(&b, "SELECT " APPEAL_COLUMNS " FROM appeals a WHERE a.request_id = ");
	sqlb_param(&b, ref.id, "uuid");
	sqlb_and_between(&b, "a.updated_at", since, false, NULL, false);
	PGresult *res = common_page_or_reply(r, &b, "a.created_at", "a.id", after, lim);
	if (!res)
		return;
	list_reply(r, res, limit);
	PQclear(res);
}

/* ?year=: a year of four digits, 2000..9999, or absent. 0, or -1 after
 * answering 400. */
static int query_year_or_reply(struct req *r, const char **from, const char **to,
			       char buf[2][11])
{
	const char *v = http_query(r, "year");

	*from = *to = NULL;
	if (!v)
		return 0;
	if (strlen(v) != 4 || strspn(v, "0123456789") != 4 || atoi(v) < 2000) {
		query_invalid_reply(r, "year", "must be a year from 2000 to 9999");
		return -1;
	}
	snprintf(buf[0], 11, "%s-01-01", v);
	snprintf(buf[1], 11, "%s-12-31", v);
	*from = buf[0];
	*to = buf[1];
	return 0;
}

/* GET /v1/appeals - listAppeals (clerks and approvers: their unit's;
 * supervisors and admins: all): 200, 400, 401, 403. Newest recorded first;
 * filters unit, kind, result (as it stands now), year (filed in it). */
void api_appeals_list(struct req *r)
{
	const char *unit, *kind, *result, *from, *to, *since;
	char after[2][CURSOR_PART_MAX], lim[16], years[2][11];
	int limit;

	if (query_limit_or_reply(r, &limit) ||
	    query_uuid_or_reply(r, "unit", &unit) ||
	    query_enum_or_reply(r, "kind", appeal_kind_names, &kind) ||
	    query_enum_or_reply(r, "result", appeal_result_names, &result) ||
	    query_year_or_reply(r, &from, &to, years) ||
	    query_time_or_reply(r, "updated_since", &since) ||
	    query_time_cursor_or_reply(r, after))
		return;
	snprintf(lim, sizeof lim, "%d", limit + 1);
	struct sqlb b = { 0 };
	sqlb_add(&b, "SELECT " APPEAL_COLUMNS " FROM appeals a WHERE ");
	if (req_sees_everything(r)) {
		sqlb_add(&b, "true");
	} else {
		sqlb_add(&b, "a.unit_id = ");
		sqlb_param(&b, r->claims.unit, "uuid");
	}
	sqlb_and_eq(&b, "a.unit_id", unit, "uuid");
	sqlb_and_eq(&b, "a.kind", kind, "text");
	sqlb_and_eq(&b, "a.result", result, "text");
	if (from) {
		sqlb_add(&b, " AND a.filed_on BETWEEN ");
		sqlb_param(&b, from, "date");
		sqlb_add(&b, " AND ");
		sqlb_param(&b, to, "date");
	}
	sqlb_and_between(&b, "a.updated_at", since, false, NULL, false);
	PGresult *res = common_page_or_reply(r, &b, "a.created_at", "a.id", after, lim);
	if (!res)
		return;
	list_reply(r, res, limit);
	PQclear(res);
}
