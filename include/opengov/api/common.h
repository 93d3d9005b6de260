/* common.h - the steps several resources' handlers (api/) take alike,
 * written once: who is the staff of a row's unit, the 422 answer, the
 * audit entry and commit that end a change, reading one row or a page of
 * rows, locking a row for a change, the complaint finding the system
 * opens, and reading a resource whose published rows anyone may read
 * (the catalogue's items, the disclosure log's entries). A handler keeps
 * what is its own: its statements, its checks, its problem details.
 * Files handed in and served back are src/server/upload.c's. */
#ifndef OPENGOV_APICOMMON_H
#define OPENGOV_APICOMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "opengov/base/buf.h"
#include "opengov/base/cursor.h"
#include "opengov/db/db.h"
#include "opengov/server/http.h"
#include "opengov/base/rcache.h"

struct verrs;

/* The categories of information items (the catalogue's, a guide's),
 * NULL-ended: sql/002's items_check. */
extern const char *const common_information_categories[];

/* The names of body's members, as a JSON array: what a PATCH changed, for
 * its audit entry. */
json_t *common_member_names(const json_t *body);

/* Answers 422 (validation) with the errors v; returns -1. */
int common_invalid_reply(struct req *r, const struct verrs *v, const char *what);
/* A field's check (struct field): a date, YYYY-MM-DD. */
const char *common_check_date(const char *s);
/* The ETag of a row that counts its changes in column version. */
void common_version_etag(const PGresult *res, int row, char *out, size_t len);

/* The caller is a clerk or approver of unit. */
bool common_unit_staff(const struct req *r, const char *unit);
/* The caller sees how a row of unit got where it is (its workflow): staff
 * of unit, supervisors, admins. */
bool common_sees_workflow(const struct req *r, const char *unit);

/* The one row st selects with the n values p, or NULL after answering
 * 404 with detail (rolled back when in a transaction) or the database's
 * error. */
PGresult *common_row_or_reply(struct req *r, struct db_stmt *st, int n, const char *const *p,
			      const char *detail);

/* Records a change in the audit log, inside the open transaction: action
 * on entity id, with detail (NULL for none), which it frees. 0, or -1
 * after answering. */
int common_audit_or_reply(struct req *r, const char *action, const char *entity,
			  const char *id, json_t *detail);
/* The same, then commits. */
int common_audit_commit_or_reply(struct req *r, const char *action, const char *entity,
				 const char *id, json_t *detail);

/* Opens the system's complaint finding about the request of row q (id,
 * number, its calendar's columns) in category, with title and desc (which
 * it frees; NULL: there was no memory for it), due for rectification in
 * ACCOUNTABILITY_RECTIFY_DAYS working days; detail goes to its audit
 * entry (freed). Its id into id. 0, or -1 after answering, rolled back. */
int common_open_finding_or_reply(struct req *r, const PGresult *q, const char *category,
				 const char *title, char *desc, json_t *detail, char id[37]);

/* Ends and runs b, a page of a list newest first by time_col then id_col:
 * the rows after the cursor after, lim of them (the page and one more to
 * tell whether another follows), through the statement cache; frees b.
 * The rows, or NULL after answering the database's error. */
/* updated_since on a large table (requests, items): the ids of its rows
 * changed since then, when there are at most COMMON_SINCE_FEW of them (st
 * selects "ids" as a uuid[] text and "n", the count, of at most
 * COMMON_SINCE_FEW + 1 rows of updated_at >= $1), and common_and_since adds
 * "AND col >= since" and, with those ids, "AND id_col = ANY(ids)": the page
 * is then read by primary key instead of by walking the list's order past
 * every row that did not change (one plan serves all values, and a bound
 * on updated_at alone looks unselective to it). 0, or -1 after answering. */
#define COMMON_SINCE_FEW 1000
#define COMMON_SINCE_LIMIT_SQL "1001" /* COMMON_SINCE_FEW + 1, for the SQL */
int common_since_ids_or_reply(struct req *r, struct db_stmt *st, const char *since,
			      char **ids);
void common_and_since(struct sqlb *b, const char *col, const char *id_col, const char *since,
		      const char *ids);

PGresult *common_page_or_reply(struct req *r, struct sqlb *b, const char *time_col,
			       const char *id_col, char after[2][CURSOR_PART_MAX], const char *lim);
/* The cursor of the page after a page of common_page_or_reply (n rows
 * read for limit shown: the last shown row's sort_us and id), or NULL when
 * this page is the last. Free it. */
char *common_next_cursor(const PGresult *res, int n, int limit);
/* Answers a page of such rows whose column "j" holds each row's JSON,
 * private to the caller. Frees res. */
void common_json_page_reply(struct req *r, PGresult *res, int limit);

/* Opens the transaction and locks, for a change, the row st selects with
 * $1 the id in the path. The row, or NULL after answering (rolled back):
 * 404 with detail when the id is not a UUID, there is no such row or
 * visible (unless NULL) says the caller may not see it; the database's
 * error. */
PGresult *common_lock_or_reply(struct req *r, struct db_stmt *st,
			       bool (*visible)(const struct req *r, const PGresult *res),
			       const char *detail);

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
/* Answers the page of res's first n rows (fetched with limit + 1 rows;
 * columns sort_us and id make the next cursor) and keeps it for the cache;
 * more (NULL unless) is the cursor's two parts when a short page may still
 * be followed. */
void common_published_list_reply(struct req *r, const struct published *p,
				 struct published_page *pg, const PGresult *res, int n,
				 int limit, const char *const *more);

#endif
