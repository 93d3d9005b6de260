/* common.c - what several resources' handlers do alike (include/opengov/api/common.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opengov/domain/accountability.h"
#include "opengov/domain/accountstore.h"
#include "opengov/api/common.h"
#include "opengov/base/auth.h"
#include "opengov/domain/calendar.h"
#include "opengov/api/caseflow.h"
#include "opengov/base/cursor.h"
#include "opengov/db/db.h"
#include "opengov/server/problem.h"
#include "opengov/base/validate.h"
#include "opengov/domain/workcal.h"

const char *const common_information_categories[] = {
	"general", "project", "regulation", "work_dynamic", "personnel",
	"financial", "business", "annual_report", NULL
};

json_t *common_member_names(const json_t *body)
{
	json_t *names = json_array();
	const char *key;
	json_t *val;

	json_object_foreach((json_t *)body, key, val)
		json_array_append_new(names, json_string(key));
	return names;
}

int common_invalid_reply(struct req *r, const struct verrs *v, const char *what)
{
	problem_reply_errors(r, 422, "validation", what, v);
	return -1;
}

const char *common_check_date(const char *s)
{
	int day;

	return calendar_parse(s, &day) ? "must be a date, YYYY-MM-DD" : NULL;
}

void common_version_etag(const PGresult *res, int row, char *out, size_t len)
{
	snprintf(out, len, "\"%s\"", db_get(res, row, "version"));
}

bool common_unit_staff(const struct req *r, const char *unit)
{
	return req_is_unit_staff(r) && !strcmp(r->claims.unit, unit);
}

bool common_sees_workflow(const struct req *r, const char *unit)
{
	return req_sees_everything(r) || common_unit_staff(r, unit);
}

int common_audit_or_reply(struct req *r, const char *action, const char *entity,
			  const char *id, json_t *detail)
{
	int rc = audit_append_or_reply(r, action, entity, id, detail);

	json_decref(detail);
	return rc;
}

int common_audit_commit_or_reply(struct req *r, const char *action, const char *entity,
				 const char *id, json_t *detail)
{
	if (common_audit_or_reply(r, action, entity, id, detail))
		return -1;
	return db_commit_or_reply(r);
}

int common_open_finding_or_reply(struct req *r, const PGresult *q, const char *category,
				 const char *title, char *desc, json_t *detail, char id[37])
{
	const struct calendar *cal = request_calendar_or_reply(r, q);
	char rectify[11];
	int rc = -1;

	if (!cal)
		goto out;
	if (!desc) {
		db_rollback(r->db);
		problem_reply(r, 500, "internal", "The server ran out of memory.");
		goto out;
	}
	calendar_format(calendar_add_working_days(cal, workcal_today(),
						  ACCOUNTABILITY_RECTIFY_DAYS, NULL, 0), rectify);
	struct account_finding f = { db_get(q, 0, "id"), category, title, desc, rectify,
				     r->request_id, detail };
	rc = accountstore_open_finding(r->db, &f, id);
	if (rc)
		db_error_reply(r);
out:
	json_decref(detail);
	free(desc);
	return rc;
}

int common_since_ids_or_reply(struct req *r, struct db_stmt *st, const char *since,
			      char **ids)
{
	*ids = NULL;
	if (!since)
		return 0;
	const char *p[] = { since };
	PGresult *res = db_exec_or_reply(r, st, 1, p);
	if (!res)
		return -1;
	if (atoi(db_get(res, 0, "n")) <= COMMON_SINCE_FEW)
		*ids = xstrdup(db_get(res, 0, "ids"));
	PQclear(res);
	return 0;
}

void common_and_since(struct sqlb *b, const char *col, const char *id_col, const char *since,
		      const char *ids)
{
	/* Inclusive: updated_at is shown to the second, and a client passing
	 * back the newest it saw must not miss a change made in that second. */
	sqlb_and_between(b, col, since, false, NULL, false);
	if (ids) {
		sqlb_add(b, " AND ");
		sqlb_add(b, id_col);
		sqlb_add(b, " = ANY(");
		sqlb_param(b, ids, "uuid[]");
		sqlb_add(b, ")");
	}
}

PGresult *common_page_or_reply(struct req *r, struct sqlb *b, const char *time_col,
			       const char *id_col, char after[2][CURSOR_PART_MAX], const char *lim)
{
	sqlb_and_before(b, time_col, id_col, after);
	sqlb_add(b, " ORDER BY ");
	sqlb_add(b, time_col);
	sqlb_add(b, " DESC, ");
	sqlb_add(b, id_col);
	sqlb_add(b, " DESC LIMIT ");
	sqlb_param(b, lim, "int");
	PGresult *res = db_exec_cached(r->db, b->sql.data, b->n, b->params);
	sqlb_free(b);
	if (!res)
		db_error_reply(r);
	return res;
}

PGresult *common_row_or_reply(struct req *r, struct db_stmt *st, int n, const char *const *p,
			      const char *detail)
{
	PGresult *res = db_exec_or_reply(r, st, n, p);

	if (res && PQntuples(res) != 1) {
		PQclear(res);
		if (r->db->in_tx)
			db_rollback(r->db);
		problem_reply(r, 404, "not-found", detail);
		return NULL;
	}
	return res;
}

PGresult *common_lock_or_reply(struct req *r, struct db_stmt *st,
			       bool (*visible)(const struct req *r, const PGresult *res),
			       const char *detail)
{
	const char *id = r->path_params[0];

	if (!uuid_valid(id)) {
		problem_reply(r, 404, "not-found", detail);
		return NULL;
	}
	if (db_begin_or_reply(r))
		return NULL;
	const char *p[] = { id };
	PGresult *res = common_row_or_reply(r, st, 1, p, detail);
	if (!res)
		return NULL;
	if (visible && !visible(r, res)) {
		PQclear(res);
		db_rollback(r->db);
		problem_reply(r, 404, "not-found", detail);
		return NULL;
	}
	return res;
}

bool common_published_visible(const struct req *r, const char *unit, const char *status)
{
	return !strcmp(status, "published") || common_sees_workflow(r, unit);
}

/* Cache-Control and Vary of one row (published: its status is). */
static void published_headers(struct req *r, bool published)
{
	http_header(r, "Cache-Control", !r->authed && published ? "public, max-age=60"
								 : "private, no-cache");
	http_header(r, "Vary", "Authorization");
}

/* The public's view: the same for every anonymous or public caller. */
static bool public_view(const struct req *r)
{
	return !r->authed || r->claims.role == ROLE_PUBLIC;
}

void common_published_get(struct req *r, const struct published *p)
{
	const char *id = r->path_params[0];
	char etag[64], key[RCACHE_KEY_MAX];
	bool pv = public_view(r);
	uint64_t gen = 0;

	if (!uuid_valid(id)) {
		problem_reply(r, 404, "not-found", p->not_found);
		return;
	}
	snprintf(key, sizeof key, "%s/%.36s", p->name, id);
	if (pv && http_cached_reply(r, key, &gen)) {
		published_headers(r, true); /* all they see is published */
		return;
	}
	const char *params[] = { id };
	PGresult *res = db_exec_or_reply(r, p->by_id, 1, params);
	if (!res)
		return;
	if (PQntuples(res) != 1 ||
	    !common_published_visible(r, db_get(res, 0, "unit_id"), db_get(res, 0, "status"))) {
		PQclear(res);
		problem_reply(r, 404, "not-found", p->not_found);
		return;
	}
	struct buf body = { 0 };
	bool published = !strcmp(db_get(res, 0, "status"), "published");
	p->etag(res, 0, etag, sizeof etag);
	p->write(&body, r, res, 0, true);
	PQclear(res);
	published_headers(r, published);
	if (pv)
		http_cache_reply(r, key, gen, etag, &body);
	else if (!http_not_modified(r, etag))
		http_json_text(r, 200, &body);
	buf_free(&body);
}

static void list_headers(struct req *r)
{
	if (!r->authed)
		http_header(r, "Cache-Control", "public, max-age=30");
	http_header(r, "Vary", "Authorization");
}

bool common_published_list_cached(struct req *r, const struct published *p,
				  struct published_page *pg)
{
	pg->gen = 0;
	pg->cacheable = public_view(r) && http_list_cache_key(r, p->name, pg->key, sizeof pg->key);
	if (pg->cacheable && http_cached_reply(r, pg->key, &pg->gen)) {
		list_headers(r);
		return true;
	}
	return false;
}

void common_published_list_reply(struct req *r, const struct published *p,
				 struct published_page *pg, const PGresult *res, int n,
				 int limit, const char *const *more)
{
	struct buf data = { 0 };
	char *next = NULL;

	buf_append(&data, "[", 1);
	for (int i = 0; i < n && i < limit; i++) {
		if (i)
			buf_append(&data, ",", 1);
		p->write(&data, r, res, i, false);
	}
	buf_append(&data, "]", 1);
	if (n > limit) {
		const char *last[] = { db_get(res, limit - 1, "sort_us"), db_get(res, limit - 1, "id") };
		next = cursor_encode(last, 2);
	} else if (more) {
		next = cursor_encode(more, 2);
	}
	list_headers(r);
	size_t mark = r->headers.len;
	http_list_text(r, &data, next);
	if (pg->cacheable)
		http_cache_keep(r, pg->key, pg->gen, mark);
	buf_free(&data);
	free(next);
}

char *common_next_cursor(const PGresult *res, int n, int limit)
{
	if (n <= limit)
		return NULL;
	const char *key[] = { db_get(res, limit - 1, "sort_us"), db_get(res, limit - 1, "id") };
	return cursor_encode(key, 2);
}

void common_json_page_reply(struct req *r, PGresult *res, int limit)
{
	int n = PQntuples(res);
	struct buf data = { 0 };

	buf_puts(&data, "[");
	for (int i = 0; i < n && i < limit; i++) {
		buf_puts(&data, i ? "," : "");
		buf_puts(&data, db_get(res, i, "j"));
	}
	buf_puts(&data, "]");
	char *next = common_next_cursor(res, n, limit);
	PQclear(res);
	http_header(r, "Cache-Control", "private, no-cache");
	http_list_text(r, &data, next);
	buf_free(&data);
	free(next);
}
