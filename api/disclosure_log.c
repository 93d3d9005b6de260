/* disclosure_log.c - the disclosure log (依申请公开转主动公开): answers to
 * disclosure requests published for anyone to read, never with the applicant.
 * operationIds publishDisclosure, listDisclosureLog, getDisclosureLogEntry,
 * withdrawDisclosureLogEntry, uploadDisclosureLogFile,
 * getDisclosureLogFileContent, createItemFromDisclosureLogEntry,
 * linkDisclosureLogRequests. */
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "opengov/api/handlers.h"
#include "opengov/api/common.h"
#include "opengov/api/caseflow.h"
#include "opengov/base/cursor.h"
#include "opengov/db/jsonw.h"
#include "opengov/server/problem.h"
#include "opengov/base/rcache.h"
#include "opengov/server/upload.h"
#include "opengov/base/msg.h"

static const char *const entry_statuses[] = { "published", "withdrawn", NULL };
static const char *const information_categories[] = {
	"general", "project", "regulation", "work_dynamic", "personnel",
	"financial", "business", "annual_report", NULL
};

static const struct field publish_fields[] = {
	{ "title", FT_STRING, F_REQUIRED, 1, 300, NULL, NULL, NULL },
	{ "summary", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL, NULL },
	{ "answer", FT_STRING, F_REQUIRED, 1, 20000, NULL, NULL, NULL },
	END_FIELDS,
};

static const struct field withdraw_fields[] = {
	{ "reason", FT_STRING, F_REQUIRED, 1, 2000, NULL, NULL, NULL },
	END_FIELDS,
};

static const struct field item_fields[] = {
	{ "category", FT_ENUM, F_NULLABLE, 0, 0, information_categories, NULL, NULL },
	END_FIELDS,
};

#define LINK_MAX 20          /* request ids in one link call */
#define ENTRY_REQUESTS_MAX 100 /* requests one entry answers */
#define ENTRY_FILES_MAX 20   /* files of one version */

/* What an entry shows: the unit, the request's number and days (in the
 * service's time zone), its outcome, the text, the files of the current
 * version, the requests it answers; the workflow for its unit's staff,
 * supervisors and admins. These columns read nothing of
 * requests.applicant*: the applicant cannot leak into an answer (only the
 * guard of the text, applicants_st, reads them). */
#define FILES_JSON \
	"(SELECT coalesce(json_agg(json_build_object('id', f.id, 'filename', f.filename," \
	"  'content_type', f.content_type, 'size', f.size, 'sha256', f.sha256," \
	"  'uploaded_at', rfc3339(f.uploaded_at)) ORDER BY f.uploaded_at, f.id), '[]')" \
	" FROM disclosure_log_files f WHERE f.entry_id = e.id AND f.version = e.version)"

#define REQUESTS_JSON \
	"(SELECT coalesce(json_agg(json_build_object('number', r.number," \
	"  'received_on', to_char(r.received_at, 'YYYY-MM-DD')," \
	"  'answered_on', to_char(r.decided_at, 'YYYY-MM-DD'), 'outcome', r.outcome)" \
	"  ORDER BY r.received_at, r.number), '[]')" \
	" FROM disclosure_log_requests l JOIN requests r ON r.id = l.request_id" \
	" WHERE l.entry_id = e.id)"

#define ENTRY_COLUMNS(ANSWER, REQUESTS) \
	"e.id, e.unit_id, u.name AS unit_name, q.number AS request_number," \
	" to_char(q.received_at, 'YYYY-MM-DD') AS received_on," \
	" to_char(q.decided_at, 'YYYY-MM-DD') AS answered_on, q.outcome, e.title, e.summary," \
	" " ANSWER " AS answer, " FILES_JSON " AS files," \
	" (SELECT count(*) FROM disclosure_log_requests l WHERE l.entry_id = e.id) AS request_count," \
	" " REQUESTS " AS requests, e.status, e.version, rfc3339(e.published_at) AS published_at," \
	" rfc3339(e.revised_at) AS revised_at, rfc3339(e.updated_at) AS updated_at, e.request_id," \
	" (SELECT json_agg(l.request_id ORDER BY l.linked_at, l.request_id)" \
	"  FROM disclosure_log_requests l WHERE l.entry_id = e.id) AS request_ids," \
	" e.published_by, e.revised_by, rfc3339(e.withdrawn_at) AS withdrawn_at, e.withdrawn_by," \
	" e.withdraw_reason, (SELECT coalesce(json_agg(i.item_id ORDER BY i.created_at, i.item_id)," \
	"  '[]') FROM disclosure_log_items i WHERE i.entry_id = e.id) AS item_ids," \
	" e.rev, u.version AS unit_version," \
	" (extract(epoch FROM e.published_at) * 1000000)::bigint AS sort_us"

#define ENTRY_FROM \
	" FROM disclosure_log e JOIN requests q ON q.id = e.request_id" \
	" JOIN units u ON u.id = e.unit_id"

/* Lists leave the answer and the requests out: pages stay small. */
#define FULL_COLUMNS ENTRY_COLUMNS("e.answer", REQUESTS_JSON)
#define LIST_COLUMNS ENTRY_COLUMNS("NULL::text", "NULL::json")

DB_STMT(entry_by_id, "dlog_get",
	"SELECT " FULL_COLUMNS ENTRY_FROM " WHERE e.id = $1");

static void put(struct buf *b, bool *first, const char *key, const PGresult *res, int row)
{
	jw_key(b, first, key);
	jw_value(b, res, row, db_col(res, key));
}

static void entry_write(struct buf *b, const struct req *r, const PGresult *res, int row,
			bool full)
{
	static const char *const head[] = { "id", "unit_id", "unit_name", "request_number",
		"received_on", "answered_on", "outcome", "title", "summary", NULL };
	static const char *const tail[] = { "status", "version", "published_at", "revised_at",
		"updated_at", NULL };
	static const char *const workflow[] = { "request_id", "request_ids", "published_by",
		"revised_by", "withdrawn_at", "withdrawn_by", "withdraw_reason", "item_ids", NULL };
	bool first = true;

	buf_puts(b, "{");
	for (int i = 0; head[i]; i++)
		put(b, &first, head[i], res, row);
	if (full)
		put(b, &first, "answer", res, row);
	put(b, &first, "files", res, row);
	put(b, &first, "request_count", res, row);
	if (full)
		put(b, &first, "requests", res, row);
	for (int i = 0; tail[i]; i++)
		put(b, &first, tail[i], res, row);
	if (common_sees_workflow(r, db_get(res, row, "unit_id"))) {
		bool wfirst = true;
		jw_key(b, &first, "workflow");
		buf_puts(b, "{");
		for (int i = 0; workflow[i]; i++)
			put(b, &wfirst, workflow[i], res, row);
		buf_puts(b, "}");
	}
	buf_puts(b, "}");
}

/* The entry's representation moves with its row (rev) and with its unit's
 * name (the unit's version). */
static void entry_etag(const PGresult *res, int row, char *out, size_t len)
{
	snprintf(out, len, "\"%s.%s\"", db_get(res, row, "rev"), db_get(res, row, "unit_version"));
}

/* Published entries are the public log. */
static const struct published entry_resource = {
	.name = "disclosure-log", .by_id = &entry_by_id,
	.not_found = "There is no such disclosure log entry.",
	.etag = entry_etag, .write = entry_write,
};

/* ---- guarding the applicant ------------------------------------------ */

/* What of a request's applicant, written into text, would name them: their
 * name (two characters or more; five when it is all ASCII, an account's
 * user name, so that "gov" does not match every web address), ID number,
 * phone, email, address or account (five or more, so that a short number
 * does not match every date). Returns what matched, or NULL. */
static bool ascii_only(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

static const char *applicant_in(const char *applicant, const char *sub, const char *text)
{
	static const struct { const char *key, *what; size_t min; } fields[] = {
		{ "name", "name", 2 }, { "id_number", "ID number", 5 }, { "phone", "phone number", 5 },
		{ "email", "email address", 5 }, { "address", "address", 5 },
		{ "account_id", "account", 5 },
	};
	json_t *a = applicant ? json_loads(applicant, 0, NULL) : NULL;
	const char *hit = NULL;

	if (!text)
		goto done;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0] && !hit; i++) {
		const char *v = json_member_str(a, fields[i].key);
		size_t min = fields[i].min;
		if (v && i == 0 && ascii_only(v))
			min = 5;
		if (v && utf8_length(v) >= min && strcasestr(text, v))
			hit = fields[i].what;
	}
	if (!hit && sub && utf8_length(sub) >= 5 && strcasestr(text, sub))
		hit = "account";
done:
	json_decref(a);
	return hit;
}

/* The applicants of request rid and of the requests of entry eid (either
 * may be NULL): number, applicant, applicant_sub. */
DB_STMT(applicants_st, "dlog_applicants",
	"SELECT q.number, q.applicant, q.applicant_sub FROM requests q"
	" WHERE q.id = $1::uuid OR q.id IN (SELECT request_id FROM disclosure_log_requests"
	"  WHERE entry_id = $2::uuid) ORDER BY q.number");

/* Adds an error for each text (pointers[i] -> texts[i]) that names an
 * applicant of res. */
static void check_applicants(const PGresult *res, const char *const *pointers,
			     const char *const *texts, int n, struct verrs *v)
{
	for (int i = 0; i < n; i++)
		for (int k = 0; k < PQntuples(res); k++) {
			const char *what = applicant_in(db_get(res, k, "applicant"),
							db_get(res, k, "applicant_sub"), texts[i]);
			if (what) {
				verrs_add(v, pointers[i],
					  "contains the %s of the applicant of %s: the log never shows who applied",
					  what, db_get(res, k, "number"));
				break;
			}
		}
}

/* ---- 409s -------------------------------------------------------------- */

/* What may be done with an entry in its status (whoever of its unit's
 * approvers does it). */
static const char *const *entry_actions(const char *status)
{
	static const char *const published[] = { "publish", "withdraw", "upload_file",
		"link_requests", "create_item", NULL };
	static const char *const withdrawn[] = { "publish", NULL };

	return !strcmp(status, "published") ? published : withdrawn;
}

/* 409: the entry's status (or its item) does not allow this. */
static void entry_conflict(struct req *r, const char *status, const char *item_id,
			   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The problem of a 409 whose detail is fmt (English, in the catalogue)
 * formatted in r->lang. */
static json_t *conflict_problem(struct req *r, const char *fmt, va_list ap)
{
	char detail[600];
	const struct msg *m = msg_vformat(detail, sizeof detail, r->lang, fmt, ap);

	return problem_render(409, "conflict", m ? m->code : NULL, detail, r->lang, r->raw_path,
			      r->request_id, NULL);
}

static void entry_conflict(struct req *r, const char *status, const char *item_id,
			   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	json_t *p = conflict_problem(r, fmt, ap);
	va_end(ap);
	json_t *a = json_array();
	const char *const *acts = entry_actions(status);

	for (int i = 0; acts[i]; i++)
		json_array_append_new(a, json_string(acts[i]));
	json_object_set_new(p, "current_status", json_string(status));
	json_object_set_new(p, "allowed_actions", a);
	if (item_id)
		json_object_set_new(p, "item_id", json_string(item_id));
	http_json(r, 409, p);
}

/* 409: the request cannot be published, and why (reason is a code). */
static void publication_conflict(struct req *r, const char *reason, const char *status,
				 const char *outcome, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void publication_conflict(struct req *r, const char *reason, const char *status,
				 const char *outcome, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	json_t *p = conflict_problem(r, fmt, ap);
	va_end(ap);

	json_object_set_new(p, "reason", json_string(reason));
	json_object_set_new(p, "current_status", json_string(status));
	json_object_set_new(p, "outcome", outcome ? json_string(outcome) : json_null());
	http_json(r, 409, p);
}

/* ---- answers after a change -------------------------------------------- */

/* Ends a change of entry id inside the open transaction: audit entry,
 * the entry read back, commit, the answer (201 with Location, else 200
 * with Content-Location). Consumes detail. */
static void finish(struct req *r, const char *id, int status, const char *action,
		   json_t *detail)
{
	char etag[48], loc[96];

	if (common_audit_or_reply(r, action, "disclosure_log", id, detail))
		return;
	const char *p[] = { id };
	PGresult *res = db_exec_or_reply(r, &entry_by_id, 1, p);
	if (!res)
		return;
	if (db_commit_or_reply(r)) {
		PQclear(res);
		return;
	}
	struct buf body = { 0 };
	entry_write(&body, r, res, 0, true);
	entry_etag(res, 0, etag, sizeof etag);
	PQclear(res);
	snprintf(loc, sizeof loc, "/v1/disclosure-log/%s", id);
	http_header(r, status == 201 ? "Location" : "Content-Location", "%s", loc);
	http_header(r, "ETag", "%s", etag);
	http_header(r, "Cache-Control", "private, no-cache");
	http_json_text(r, status, &body);
	buf_free(&body);
}

static bool own_entry(const struct req *r, const PGresult *res)
{
	return common_unit_staff(r, db_get(res, 0, "unit_id"));
}

/* Opens the transaction and locks entry {id} for a change by an approver
 * of its unit. Another unit's staff get 404, as for the request behind
 * it. Returns the row (id, unit_id, status, version, request_id, title,
 * summary, answer) or NULL after answering. */
static PGresult *lock_own_entry_or_reply(struct req *r)
{
	DB_STMT(lock, "dlog_lock",
		"SELECT id, unit_id, status, version, request_id, title, summary, answer,"
		" (SELECT count(*) FROM disclosure_log_files f"
		"  WHERE f.entry_id = e.id AND f.version = e.version) AS files,"
		" (SELECT count(*) FROM disclosure_log_requests l WHERE l.entry_id = e.id) AS requests"
		" FROM disclosure_log e WHERE id = $1 FOR UPDATE");
	return common_lock_or_reply(r, &lock, own_entry, entry_resource.not_found);
}

/* Marks the locked entry changed (its ETag moves); 0 or -1 after answering. */
static int touch_or_reply(struct req *r, const char *id)
{
	DB_STMT(touch, "dlog_touch",
		"UPDATE disclosure_log SET rev = rev + 1, updated_at = now() WHERE id = $1");
	const char *p[] = { id };
	PGresult *res = db_exec_or_reply(r, &touch, 1, p);

	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

/* ---- publication ------------------------------------------------------- */

/* Whether request row q (locked) may be published; answers 409 (rolled
 * back) when not. */
static int eligible_or_reply(struct req *r, const struct request_ref *ref, const PGresult *q)
{
	const char *status = db_get(q, 0, "status");
	const char *outcome = db_get(q, 0, "outcome");
	if (ref->kind != CK_DISCLOSURE) {
		db_rollback(r->db);
		publication_conflict(r, "not_disclosure", status, outcome,
				     "The request is an application for a service item: only answers to"
				     " disclosure requests are published in the log.");
		return -1;
	}
	if (strcmp(status, "decided")) {
		db_rollback(r->db);
		publication_conflict(r, "not_decided", status, outcome,
				     "The request is %s: only a decided request's answer is published.",
				     status);
		return -1;
	}
	if (!outcome || (strcmp(outcome, "disclosed") && strcmp(outcome, "partially_disclosed"))) {
		db_rollback(r->db);
		publication_conflict(r, "not_disclosed", status, outcome,
				     "The request was decided %s: only answers that disclosed the information"
				     " (disclosed, partially_disclosed) are published.",
				     outcome ? outcome : "without an outcome");
		return -1;
	}
	return 0;
}

/* POST /v1/requests/{id}/publication - publishDisclosure (approver of the
 * request's unit): 200 (a new version), 201 (published), 400, 401, 403,
 * 404, 409 (not a decided disclosure request whose outcome is disclosed or
 * partially_disclosed; answered in another entry), 413, 415, 422 (also:
 * the text names the applicant). Publishing again replaces the text,
 * starts the next version without files, and publishes a withdrawn entry
 * again. */
void api_disclosure_log_publish(struct req *r)
{
	DB_STMT(link_st, "dlog_link_of_request",
		"SELECT e.id, e.request_id = l.request_id AS own FROM disclosure_log_requests l"
		" JOIN disclosure_log e ON e.id = l.entry_id WHERE l.request_id = $1"
		" FOR UPDATE OF e");
	DB_STMT(ins, "dlog_insert",
		"WITH e AS (INSERT INTO disclosure_log (request_id, unit_id, title, summary, answer,"
		"  published_by, revised_by) VALUES ($1, $2, $3, $4, $5, $6, $6)"
		"  RETURNING id, version, title, summary, answer),"
		" v AS (INSERT INTO disclosure_log_versions (entry_id, version, title, summary, answer,"
		"  published_by) SELECT id, version, title, summary, answer, $6 FROM e),"
		" l AS (INSERT INTO disclosure_log_requests (request_id, entry_id, linked_by)"
		"  SELECT $1, id, $6 FROM e)"
		" SELECT id, version FROM e");
	DB_STMT(upd, "dlog_republish",
		"WITH e AS (UPDATE disclosure_log SET version = version + 1, status = 'published',"
		"  title = $2, summary = $3, answer = $4, revised_at = now(), revised_by = $5,"
		"  withdrawn_at = NULL, withdrawn_by = NULL, withdraw_reason = NULL, rev = rev + 1,"
		"  updated_at = now() WHERE id = $1 RETURNING id, version, title, summary, answer),"
		" v AS (INSERT INTO disclosure_log_versions (entry_id, version, title, summary, answer,"
		"  published_by) SELECT id, version, title, summary, answer, $5 FROM e)"
		" SELECT id, version FROM e");
	struct verrs v = { 0 };
	struct request_ref ref;
	char entry[40] = "", outcome[32];

	if (validate_object(r->json, publish_fields, &v))
		return (void)common_invalid_reply(r, &v, "The publication is invalid.");
	const char *title = json_member_str(r->json, "title");
	const char *summary = json_member_str(r->json, "summary");
	const char *answer = json_member_str(r->json, "answer");
	if (db_begin_or_reply(r))
		return;
	PGresult *q = request_load_or_reply(r, r->path_params[0], true, &ref);
	if (!q)
		return;
	int refused = eligible_or_reply(r, &ref, q);
	if (!refused)
		snprintf(outcome, sizeof outcome, "%s", db_get(q, 0, "outcome"));
	PQclear(q);
	if (refused)
		return;

	const char *lp[] = { ref.id };
	PGresult *link = db_exec_or_reply(r, &link_st, 1, lp);
	if (!link)
		return;
	if (PQntuples(link) == 1) {
		snprintf(entry, sizeof entry, "%s", db_get(link, 0, "id"));
		if (strcmp(db_get(link, 0, "own"), "t")) {
			PQclear(link);
			db_rollback(r->db);
			publication_conflict(r, "answered_elsewhere", "decided", outcome,
					     "The request's answer is published in disclosure log entry %s,"
					     " which answers it with other requests.", entry);
			return;
		}
	}
	PQclear(link);

	/* The text must not name this request's applicant, nor (publishing
	 * again) any applicant of the requests the entry answers. */
	const char *ap[] = { ref.id, *entry ? entry : NULL };
	PGresult *who = db_exec_or_reply(r, &applicants_st, 2, ap);
	if (!who)
		return;
	static const char *const pointers[] = { "/title", "/summary", "/answer" };
	const char *texts[] = { title, summary, answer };
	check_applicants(who, pointers, texts, 3, &v);
	PQclear(who);
	if (v.n) {
		db_rollback(r->db);
		common_invalid_reply(r, &v, "The publication names the applicant.");
		return;
	}

	PGresult *res;
	if (*entry) {
		const char *p[] = { entry, title, summary, answer, req_actor(r) };
		res = db_exec_or_reply(r, &upd, 5, p);
	} else {
		const char *p[] = { ref.id, ref.unit_id, title, summary, answer, req_actor(r) };
		res = db_exec_or_reply(r, &ins, 6, p);
	}
	if (!res)
		return;
	snprintf(entry, sizeof entry, "%s", db_get(res, 0, "id"));
	json_int_t version = (json_int_t)db_get_ll(res, 0, "version");
	PQclear(res);
	finish(r, entry, version == 1 ? 201 : 200,
	       version == 1 ? "disclosure_log.publish" : "disclosure_log.republish",
	       json_pack("{s:s, s:s, s:I}", "request_id", ref.id, "number", ref.number,
			 "version", version));
}

/* ---- reading ------------------------------------------------------------- */

struct log_filters {
	const char *unit, *status, *from, *to, *since;
	bool from_date, to_date, has_q;
	char q[512];
	char pattern[1040];
	char after[2][CURSOR_PART_MAX];
};

/* Who sees what, the filters, the cursor. */
static void list_conditions(const struct req *r, struct log_filters *f, struct sqlb *b)
{
	if (req_sees_everything(r)) {
		sqlb_add(b, "true");
	} else if (req_is_unit_staff(r)) {
		sqlb_add(b, "(e.status = 'published' OR e.unit_id = ");
		sqlb_param(b, r->claims.unit, "uuid");
		sqlb_add(b, ")");
	} else {
		sqlb_add(b, "e.status = 'published'");
	}
	sqlb_and_eq(b, "e.unit_id", f->unit, "uuid");
	sqlb_and_eq(b, "e.status", f->status, "text");
	sqlb_and_between(b, "e.published_at", f->from, f->from_date, f->to, f->to_date);
	sqlb_and_between(b, "e.updated_at", f->since, false, NULL, false);
	sqlb_and_before(b, "e.published_at", "e.id", f->after);
}

#define LIST_ORDER " ORDER BY e.published_at DESC, e.id DESC"

/* What a search tests for the substring. */
static const char *const search_columns[] = { "e.title", "e.summary", "e.answer", NULL };

/* A page. With q, the search index (the bigrams of sql/002, over title,
 * summary and answer) finds the entries holding every bigram of q, on its
 * own (asked together with the other filters, the planner may take the
 * index of one of them and compute the bigrams of every row it reads:
 * search_tokens() is inlined and looks cheap, a third of a millisecond a
 * row), with the columns the filters test. The candidates the caller may
 * see are put in list order by those keys alone, and the substring test
 * (which reads the answer) runs down that order until the page is full: a
 * common word tests a page's worth of answers, a rare one its few
 * candidates. Only the page's rows are then read in full. */
static PGresult *list_page(struct req *r, struct log_filters *f, const char *lim)
{
	struct sqlb b = { 0 };
	PGresult *res;

	if (f->has_q) { /* never without bigrams: refused by the caller */
		sqlb_add(&b, "WITH t AS MATERIALIZED (SELECT e.id, e.published_at, e.status, e.unit_id,"
			     " e.updated_at"
			     " FROM disclosure_log e WHERE (search_tokens(disclosure_log_search_text("
			     "e.title, e.summary, e.answer)) COLLATE \"C\") @> search_query_tokens(lower(");
		sqlb_param(&b, f->q, "text");
		sqlb_add(&b, "))), top AS (SELECT s.id FROM (SELECT e.id, e.published_at FROM t AS e"
			     " WHERE ");
		list_conditions(r, f, &b);
		sqlb_add(&b, " ORDER BY e.published_at DESC, e.id DESC) AS s WHERE EXISTS (SELECT 1"
			     " FROM disclosure_log e WHERE e.id = s.id AND ");
		sqlb_substring(&b, search_columns, f->q, f->pattern);
		sqlb_add(&b, ") LIMIT ");
		sqlb_param(&b, lim, "int");
		sqlb_add(&b, ") SELECT " LIST_COLUMNS ENTRY_FROM " WHERE e.id IN (SELECT id FROM top)"
			     LIST_ORDER);
	} else {
		sqlb_add(&b, "SELECT " LIST_COLUMNS ENTRY_FROM " WHERE ");
		list_conditions(r, f, &b);
		sqlb_add(&b, LIST_ORDER " LIMIT ");
		sqlb_param(&b, lim, "int");
	}
	res = db_exec_cached(r->db, b.sql.data, b.n, b.params);
	sqlb_free(&b);
	return res;
}

/* GET /v1/disclosure-log - listDisclosureLog (anyone): 200, 400, 401.
 * Newest first by first publication, ties by id; filters unit, status,
 * from, to (publication), q. Anonymous and public callers read published
 * entries, from the workers' cache while nothing changed. */
void api_disclosure_log_list(struct req *r)
{
	struct log_filters f = { 0 };
	struct published_page pg;
	char lim[16];
	int limit;

	if (query_limit_or_reply(r, &limit) ||
	    query_uuid_or_reply(r, "unit", &f.unit) ||
	    query_enum_or_reply(r, "status", entry_statuses, &f.status) ||
	    query_when_or_reply(r, "from", &f.from, &f.from_date) ||
	    query_when_or_reply(r, "to", &f.to, &f.to_date) ||
	    query_search_or_reply(r, "q", f.q, sizeof f.q, &f.has_q) ||
	    query_time_or_reply(r, "updated_since", &f.since) ||
	    query_time_cursor_or_reply(r, f.after))
		return;
	snprintf(lim, sizeof lim, "%d", limit + 1);

	if (common_published_list_cached(r, &entry_resource, &pg))
		return;
	if (f.has_q)
		sql_like_pattern(f.q, f.pattern, sizeof f.pattern);
	PGresult *res = list_page(r, &f, lim);
	if (!res) {
		db_error_reply(r);
		return;
	}
	common_published_list_reply(r, &entry_resource, &pg, res, PQntuples(res), limit, NULL);
	PQclear(res);
}

/* GET /v1/disclosure-log/{id} - getDisclosureLogEntry (anyone): 200, 304,
 * 401, 404. Anonymous and public callers read published entries, all in
 * the same form, from the workers' cache while nothing changed. */
void api_disclosure_log_get(struct req *r)
{
	common_published_get(r, &entry_resource);
}

/* ---- changes of an entry ----------------------------------------------- */

/* POST /v1/disclosure-log/{id}/withdraw - withdrawDisclosureLogEntry
 * (approver of the entry's unit): 200, 400, 401, 403, 404, 409 (already
 * withdrawn), 413, 415, 422. Gone from the public list and entry at once,
 * on every worker; its request may be published again. */
void api_disclosure_log_withdraw(struct req *r)
{
	DB_STMT(upd, "dlog_withdraw",
		"UPDATE disclosure_log SET status = 'withdrawn', withdrawn_at = now(),"
		" withdrawn_by = $2, withdraw_reason = $3, rev = rev + 1, updated_at = now()"
		" WHERE id = $1");
	struct verrs v = { 0 };
	char id[40];

	if (validate_object(r->json, withdraw_fields, &v))
		return (void)common_invalid_reply(r, &v, "The withdrawal is invalid.");
	PGresult *cur = lock_own_entry_or_reply(r);
	if (!cur)
		return;
	snprintf(id, sizeof id, "%s", db_get(cur, 0, "id"));
	json_int_t version = (json_int_t)db_get_ll(cur, 0, "version");
	if (strcmp(db_get(cur, 0, "status"), "published")) {
		PQclear(cur);
		db_rollback(r->db);
		entry_conflict(r, "withdrawn", NULL, "The entry is withdrawn already.");
		return;
	}
	PQclear(cur);
	const char *reason = json_member_str(r->json, "reason");
	const char *p[] = { id, req_actor(r), reason };
	PGresult *res = db_exec_or_reply(r, &upd, 3, p);
	if (!res)
		return;
	PQclear(res);
	finish(r, id, 200, "disclosure_log.withdraw",
	       json_pack("{s:s, s:I}", "reason", reason, "version", version));
}

/* POST /v1/disclosure-log/{id}/files?filename= - uploadDisclosureLogFile
 * (approver of the entry's unit): 201, 400, 401, 403, 404, 409 (withdrawn;
 * the version holds ENTRY_FILES_MAX files), 413, 415, 422 (also: the name
 * names an applicant). A disclosed document of the current version, checked
 * like a material; public as soon as it is stored. */
void api_disclosure_log_file_upload(struct req *r)
{
	DB_STMT(ins, "dlog_file_insert",
		"WITH f AS (INSERT INTO files (content_type, size, sha256, content)"
		" VALUES ($1, $2::int, $3, $4::bytea) RETURNING id)"
		" INSERT INTO disclosure_log_files (entry_id, version, filename, file_id, content_type,"
		" size, sha256, uploaded_by)"
		" SELECT $5::uuid, $6::int, $7, f.id, $1, $2::int, $3, $8 FROM f"
		" RETURNING id, entry_id, version, filename, content_type, size, sha256,"
		" rfc3339(uploaded_at) AS uploaded_at");
	struct upload u;
	char loc[160], etag[72], id[40], version[16];
	struct verrs v = { 0 };

	if (upload_take_or_reply(r, &u))
		return;
	PGresult *cur = lock_own_entry_or_reply(r);
	if (!cur)
		return;
	snprintf(id, sizeof id, "%s", db_get(cur, 0, "id"));
	snprintf(version, sizeof version, "%s", db_get(cur, 0, "version"));
	bool published = !strcmp(db_get(cur, 0, "status"), "published");
	long long files = db_get_ll(cur, 0, "files");
	PQclear(cur);
	if (!published || files >= ENTRY_FILES_MAX) {
		db_rollback(r->db);
		entry_conflict(r, published ? "published" : "withdrawn", NULL,
			       published ? "The entry's version holds 20 files, the most it may:"
					   " publish a new version to replace them."
					 : "The entry is withdrawn: publish it again first.");
		return;
	}
	const char *ap[] = { NULL, id };
	PGresult *who = db_exec_or_reply(r, &applicants_st, 2, ap);
	if (!who)
		return;
	static const char *const pointers[] = { "/query/filename" };
	const char *texts[] = { u.filename };
	check_applicants(who, pointers, texts, 1, &v);
	PQclear(who);
	if (v.n) {
		db_rollback(r->db);
		common_invalid_reply(r, &v, "The file name names the applicant.");
		return;
	}
	const char *p[] = { id, version, u.filename, req_actor(r) };
	PGresult *res = upload_store_or_reply(r, &ins, &u, 4, p);
	if (!res)
		return;
	if (touch_or_reply(r, id)) {
		PQclear(res);
		return;
	}
	json_t *detail = json_pack("{s:s, s:s, s:I, s:s}", "file_id", db_get(res, 0, "id"),
				   "sha256", u.sha256, "size", (json_int_t)r->body_len,
				   "version", version);
	if (common_audit_commit_or_reply(r, "disclosure_log.file_upload", "disclosure_log", id,
					 detail)) {
		PQclear(res);
		return;
	}
	snprintf(loc, sizeof loc, "/v1/disclosure-log/%s/files/%s/content", id, db_get(res, 0, "id"));
	snprintf(etag, sizeof etag, "\"%s\"", u.sha256);
	upload_created_reply(r, res, loc, etag);
	PQclear(res);
}

/* A file of the current version of a published entry is public; the rest
 * is seen by those who see the entry's workflow. */
static bool file_visible(struct req *r, const PGresult *res)
{
	return (!strcmp(db_get(res, 0, "status"), "published") &&
		!strcmp(db_get(res, 0, "current"), "t")) ||
	       common_sees_workflow(r, db_get(res, 0, "unit_id"));
}

/* GET /v1/disclosure-log/{id}/files/{fid}/content -
 * getDisclosureLogFileContent (anyone): 200, 304, 401, 404. A file of the
 * current version of a published entry; earlier versions' files and a
 * withdrawn entry's to its unit's staff, supervisors and admins only. */
void api_disclosure_log_file_content(struct req *r)
{
	DB_STMT(st, "dlog_file_get",
		"SELECT f.file_id, f.filename, f.content_type, f.sha256, e.unit_id, e.status,"
		" f.version = e.version AS current"
		" FROM disclosure_log_files f JOIN disclosure_log e ON e.id = f.entry_id"
		" WHERE f.id = $1 AND f.entry_id = $2");
	const char *p[] = { r->path_params[1], r->path_params[0] };

	upload_serve(r, &st, 2, p, file_visible, "There is no such file.");
}

/* POST /v1/disclosure-log/{id}/item - createItemFromDisclosureLogEntry
 * (approver of the entry's unit): 201, 400, 401, 403, 404, 409 (withdrawn;
 * an item made from it is not withdrawn), 413, 415, 422. A draft
 * information item (category general unless given) with the entry's
 * title, summary and answer, linked to the entry and through it to its
 * requests; then reviewed like any item (submitItem, reviewItem). */
void api_disclosure_log_create_item(struct req *r)
{
	DB_STMT(live, "dlog_live_item",
		"SELECT i.id, i.status FROM disclosure_log_items l JOIN items i ON i.id = l.item_id"
		" WHERE l.entry_id = $1 AND i.status <> 'withdrawn' ORDER BY l.created_at DESC LIMIT 1");
	DB_STMT(ins, "dlog_item_insert",
		"WITH i AS (INSERT INTO items (kind, unit_id, category, title, summary, body, created_by)"
		"  SELECT 'information', e.unit_id, $2, e.title, e.summary, e.answer, $3"
		"  FROM disclosure_log e WHERE e.id = $1 RETURNING id),"
		" l AS (INSERT INTO disclosure_log_items (item_id, entry_id, created_by)"
		"  SELECT id, $1, $3 FROM i)"
		" SELECT id FROM i");
	struct verrs v = { 0 };
	char id[40], item[40];

	if (validate_object(r->json, item_fields, &v))
		return (void)common_invalid_reply(r, &v, "The item is invalid.");
	const char *category = json_member_str(r->json, "category");
	if (!category)
		category = "general";
	PGresult *cur = lock_own_entry_or_reply(r);
	if (!cur)
		return;
	snprintf(id, sizeof id, "%s", db_get(cur, 0, "id"));
	bool published = !strcmp(db_get(cur, 0, "status"), "published");
	PQclear(cur);
	if (!published) {
		db_rollback(r->db);
		entry_conflict(r, "withdrawn", NULL, "The entry is withdrawn: publish it again first.");
		return;
	}
	const char *lp[] = { id };
	PGresult *it = db_exec_or_reply(r, &live, 1, lp);
	if (!it)
		return;
	if (PQntuples(it) == 1) {
		char detail[200];
		snprintf(item, sizeof item, "%s", db_get(it, 0, "id"));
		snprintf(detail, sizeof detail, "%s", db_get(it, 0, "status"));
		PQclear(it);
		db_rollback(r->db);
		entry_conflict(r, "published", item,
			       "The entry is in the catalogue already as item %s (%s); it may be made"
			       " again once that item is withdrawn.", item, detail);
		return;
	}
	PQclear(it);
	const char *p[] = { id, category, req_actor(r) };
	PGresult *res = db_exec_or_reply(r, &ins, 3, p);
	if (!res)
		return;
	snprintf(item, sizeof item, "%s", db_get(res, 0, "id"));
	PQclear(res);
	if (touch_or_reply(r, id))
		return;
	json_t *d1 = json_pack("{s:s, s:s, s:s, s:s}", "kind", "information", "category", category,
			       "source", "disclosure_log", "entry_id", id);
	if (common_audit_or_reply(r, "item.create", "item", item, d1))
		return;
	json_t *d2 = json_pack("{s:s, s:s}", "item_id", item, "category", category);
	if (common_audit_commit_or_reply(r, "disclosure_log.create_item", "disclosure_log", id, d2))
		return;
	items_created_reply(r, item);
}

/* Parses request_ids: 1..LINK_MAX distinct UUIDs into ids (canonical lower
 * case). Returns how many, or -1 with errors in v. */
static int parse_request_ids(const json_t *body, char ids[][40], struct verrs *v)
{
	static const struct field fields[] = {
		{ "request_ids", FT_ARRAY, F_REQUIRED, 1, LINK_MAX, NULL, NULL, NULL },
		END_FIELDS,
	};
	size_t i;
	json_t *e;

	if (validate_object(body, fields, v))
		return -1;
	json_array_foreach(json_object_get(body, "request_ids"), i, e) {
		const char *s = json_string_value(e);
		char ptr[48];
		snprintf(ptr, sizeof ptr, "/request_ids/%zu", i);
		if (!s || !uuid_valid(s)) {
			verrs_add(v, ptr, "must be a request's id (a UUID)");
			continue;
		}
		for (int k = 0; k < 36; k++)
			ids[i][k] = (char)(s[k] >= 'A' && s[k] <= 'F' ? s[k] + 32 : s[k]);
		ids[i][36] = '\0';
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ids[j], ids[i]))
				verrs_add(v, ptr, "repeats entry %zu", j);
	}
	return v->n ? -1 : (int)i;
}

/* POST /v1/disclosure-log/{id}/requests - linkDisclosureLogRequests
 * (approver of the entry's unit): 200, 400, 401, 403, 404, 409 (withdrawn),
 * 413, 415, 422 (an id that is not a disclosure request of the unit decided
 * disclosed or partially_disclosed, one answered in another entry, one
 * whose applicant the text names; more than ENTRY_REQUESTS_MAX in all).
 * Other requests that asked for the same information; the ones linked
 * already are left as they are. All or nothing. */
void api_disclosure_log_link_requests(struct req *r)
{
	DB_STMT(reqs, "dlog_link_candidates",
		"SELECT q.id, q.number, q.kind, q.status, q.outcome, q.unit_id, q.applicant,"
		" q.applicant_sub, l.entry_id FROM requests q"
		" LEFT JOIN disclosure_log_requests l ON l.request_id = q.id"
		" WHERE q.id = ANY ($1::uuid[]) ORDER BY q.id FOR UPDATE OF q");
	DB_STMT(ins, "dlog_link_insert",
		"INSERT INTO disclosure_log_requests (request_id, entry_id, linked_by)"
		" SELECT unnest($1::uuid[]), $2, $3");
	char ids[LINK_MAX][40];
	struct verrs v = { 0 };
	char id[40];

	int n = parse_request_ids(r->json, ids, &v);
	if (n < 0)
		return (void)common_invalid_reply(r, &v, "The request ids are invalid.");
	PGresult *cur = lock_own_entry_or_reply(r);
	if (!cur)
		return;
	snprintf(id, sizeof id, "%s", db_get(cur, 0, "id"));
	if (strcmp(db_get(cur, 0, "status"), "published")) {
		PQclear(cur);
		db_rollback(r->db);
		entry_conflict(r, "withdrawn", NULL, "The entry is withdrawn: publish it again first.");
		return;
	}
	long long linked = db_get_ll(cur, 0, "requests");
	const char *texts[] = { db_get(cur, 0, "title"), db_get(cur, 0, "summary"),
				db_get(cur, 0, "answer") };

	struct buf arr = { 0 };
	buf_puts(&arr, "{");
	for (int i = 0; i < n; i++)
		buf_printf(&arr, "%s%s", i ? "," : "", ids[i]);
	buf_puts(&arr, "}");
	const char *p[] = { buf_str(&arr) };
	PGresult *res = db_exec_or_reply(r, &reqs, 1, p);
	if (!res) {
		buf_free(&arr);
		PQclear(cur);
		return;
	}

	/* Each id in its turn: the new ones go into fresh. */
	struct buf fresh = { 0 };
	int nfresh = 0;
	json_t *numbers = json_array();
	buf_puts(&fresh, "{");
	for (int i = 0; i < n; i++) {
		char ptr[48];
		int row = -1;
		snprintf(ptr, sizeof ptr, "/request_ids/%d", i);
		for (int k = 0; k < PQntuples(res); k++)
			if (!strcmp(db_get(res, k, "id"), ids[i]))
				row = k;
		if (row < 0 || strcmp(db_get(res, row, "unit_id"), r->claims.unit)) {
			verrs_add(&v, ptr, "is not a request of this unit");
			continue;
		}
		const char *number = db_get(res, row, "number");
		const char *status = db_get(res, row, "status");
		const char *outcome = db_get(res, row, "outcome");
		const char *entry = db_get(res, row, "entry_id");
		if (strcmp(db_get(res, row, "kind"), "disclosure")) {
			verrs_add(&v, ptr, "%s is an application for a service item, not a disclosure request",
				  number);
		} else if (strcmp(status, "decided") || !outcome ||
			   (strcmp(outcome, "disclosed") && strcmp(outcome, "partially_disclosed"))) {
			verrs_add(&v, ptr, "%s is %s%s%s: only requests decided disclosed or"
				  " partially_disclosed are answered by the log", number, status,
				  outcome ? " " : "", outcome ? outcome : "");
		} else if (entry && strcmp(entry, id)) {
			verrs_add(&v, ptr, "%s is answered in disclosure log entry %s", number, entry);
		} else if (!entry) {
			for (int t = 0; t < 3; t++) {
				const char *what = applicant_in(db_get(res, row, "applicant"),
								db_get(res, row, "applicant_sub"), texts[t]);
				if (what) {
					verrs_add(&v, ptr, "%s's applicant: the entry's %s contains their %s;"
						  " publish a version without it first", number,
						  t == 0 ? "title" : t == 1 ? "summary" : "answer", what);
					break;
				}
			}
			buf_printf(&fresh, "%s%s", nfresh ? "," : "", ids[i]);
			json_array_append_new(numbers, json_string(number));
			nfresh++;
		}
	}
	buf_puts(&fresh, "}");
	PQclear(res);
	PQclear(cur);
	buf_free(&arr);
	if (!v.n && linked + nfresh > ENTRY_REQUESTS_MAX)
		verrs_add(&v, "/request_ids", "would make %lld requests: an entry answers at most %d",
			  linked + nfresh, ENTRY_REQUESTS_MAX);
	if (v.n) {
		db_rollback(r->db);
		buf_free(&fresh);
		json_decref(numbers);
		common_invalid_reply(r, &v, "Some requests cannot be answered by this entry.");
		return;
	}
	if (nfresh) {
		const char *ip[] = { buf_str(&fresh), id, req_actor(r) };
		PGresult *ir = db_exec(r->db, &ins, 3, ip);
		buf_free(&fresh);
		if (!ir) {
			json_decref(numbers);
			/* Linked elsewhere by a transaction that committed while
			 * this one waited for the requests' locks. */
			if (!strcmp(r->db->sqlstate, SQLSTATE_UNIQUE)) {
				db_rollback(r->db);
				entry_conflict(r, "published", NULL, "Another approver linked one of these requests"
					       " meanwhile: read the entry and its requests again.");
				return;
			}
			db_error_reply(r);
			return;
		}
		PQclear(ir);
		if (touch_or_reply(r, id)) {
			json_decref(numbers);
			return;
		}
		finish(r, id, 200, "disclosure_log.link_requests",
		       json_pack("{s:o}", "numbers", numbers));
		return;
	}
	/* Nothing new: the entry as it is, nothing written. */
	buf_free(&fresh);
	json_decref(numbers);
	db_rollback(r->db);
	const char *gp[] = { id };
	PGresult *g = db_exec_or_reply(r, &entry_by_id, 1, gp);
	if (!g)
		return;
	char etag[48], loc[96];
	struct buf body = { 0 };
	entry_write(&body, r, g, 0, true);
	entry_etag(g, 0, etag, sizeof etag);
	PQclear(g);
	snprintf(loc, sizeof loc, "/v1/disclosure-log/%s", id);
	http_header(r, "Content-Location", "%s", loc);
	http_header(r, "ETag", "%s", etag);
	http_header(r, "Cache-Control", "private, no-cache");
	http_json_text(r, 200, &body);
	buf_free(&body);
}
