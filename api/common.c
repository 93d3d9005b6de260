/* common.c - what several resources' handlers do alike (apicommon.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opengov/apicommon.h"
#include "opengov/auth.h"
#include "opengov/cursor.h"
#include "opengov/db.h"
#include "opengov/problem.h"

bool common_unit_staff(const struct req *r, const char *unit)
{
	return req_is_unit_staff(r) && !strcmp(r->claims.unit, unit);
}

bool common_sees_workflow(const struct req *r, const char *unit)
{
	return req_sees_everything(r) || common_unit_staff(r, unit);
}

bool common_published_visible(const struct req *r, const char *unit, const char *status)
{
	return !strcmp(status, "published") || common_sees_workflow(r, unit);
}

void common_published_headers(struct req *r, bool published)
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
		common_published_headers(r, true); /* all they see is published */
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
	common_published_headers(r, published);
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
				 struct published_page *pg, const PGresult *res, int limit,
				 const char *const *more)
{
	int n = PQntuples(res);
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
