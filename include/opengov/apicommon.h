/* apicommon.h - what several resources' handlers (api/) do alike: who is
 * the staff of a row's unit, and reading a resource whose published rows
 * anyone may read (the catalogue's items, the disclosure log's entries).
 * Files handed in and served back are src/upload.c's. */
#ifndef OPENGOV_APICOMMON_H
#define OPENGOV_APICOMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "opengov/buf.h"
#include "opengov/http.h"
#include "opengov/rcache.h"

struct db_stmt;

/* The caller is a clerk or approver of unit. */
bool common_unit_staff(const struct req *r, const char *unit);
/* The caller sees how a row of unit got where it is (its workflow): staff
 * of unit, supervisors, admins. */
bool common_sees_workflow(const struct req *r, const char *unit);

/* ---- resources anyone may read once published ---------------------------
 * Published rows are everyone's, the others their unit's staff's, the
 * supervisors' and the admins'. Anonymous and public callers all read the
 * same answers, kept by the workers' cache (rcache) until the resource
 * changes; anonymous readers of a published row may be served from
 * shared caches for a minute, of a list for half a minute. */
struct published {
	const char *name;      /* the cache's key prefix: "items" */
	struct db_stmt *by_id; /* the row by its id ($1) */
	const char *not_found; /* the 404's detail */
	void (*etag)(const PGresult *res, int row, char *out, size_t len);
	/* The row as the caller may read it; full: as one resource, not a
	 * page's entry. */
	void (*write)(struct buf *b, const struct req *r, const PGresult *res, int row, bool full);
};

/* Whether the caller may read a row of unit in status. */
bool common_published_visible(const struct req *r, const char *unit, const char *status);
/* Cache-Control and Vary of one row (published: its status is). */
void common_published_headers(struct req *r, bool published);
/* GET of one row by the id in the path: 200, 304, 404. */
void common_published_get(struct req *r, const struct published *p);

/* A page of a list, from the cache where the caller reads what the public
 * reads. */
struct published_page {
	char key[RCACHE_KEY_MAX];
	uint64_t gen;
	bool cacheable;
};

/* Answers from the cache and returns true, or readies pg and returns
 * false: the page is then read and answered by common_published_list_reply. */
bool common_published_list_cached(struct req *r, const struct published *p,
				  struct published_page *pg);
/* Answers the page of res (fetched with limit + 1 rows; columns sort_us and
 * id make the next cursor) and keeps it for the cache; more (NULL unless)
 * is the cursor's two parts when a short page may still be followed. */
void common_published_list_reply(struct req *r, const struct published *p,
				 struct published_page *pg, const PGresult *res, int limit,
				 const char *const *more);

#endif
