/* http.h - one request and the answer being built for it (struct req),
 * shared by the router and every handler. */
#ifndef OPENGOV_HTTP_H
#define OPENGOV_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>
#include <fcgiapp.h>

#include "opengov/base/auth.h"
#include "opengov/base/buf.h"
#include "opengov/db/db.h"
#include "opengov/base/validate.h"

struct config;
struct route;

#define PATH_PARAMS_MAX 4
#define QUERY_PARAMS_MAX 32

struct qparam {
	char *name;
	char *value;
};

struct req {
	FCGX_Request *fcgi;
	const struct config *cfg;
	struct db *db;

	/* what came in (copies: FCGX params die with the request) */
	char *method;
	char *path;     /* decoded and normalised by nginx ($uri): for routing */
	char *raw_path; /* as the client sent it: the problem's instance */
	char *query;
	char *content_type;
	long long content_length;
	char *request_id;
	char *origin;
	char *authorization;
	char *if_match;
	char *if_none_match;
	char *idempotency_key;
	char *remote_addr;
	int nquery;
	struct qparam qp[QUERY_PARAMS_MAX + 1]; /* and a cursor */
	int npath;
	char path_params[PATH_PARAMS_MAX][64];
	char *body;
	size_t body_len;
	json_t *json; /* the parsed body, when the route takes JSON */

	const struct route *route;
	int route_index; /* for metrics; -1 when no route matched */
	bool authed;
	struct claims claims;

	/* what goes out */
	int status;
	struct buf headers;
	struct buf out;
	const char *out_type;
	bool replied;
	struct timespec started;
};

/* Fills r from the FastCGI request. Returns 0, -1 on a malformed query, or
 * -2 when it names more than QUERY_PARAMS_MAX distinct parameters. */
int req_init(struct req *r, FCGX_Request *fcgi, const struct config *cfg,
	     struct db *db);
void req_free(struct req *r);

/* Reads the body (content_length bytes, already capped by the caller);
 * once per request: a re-run finds it already read. */
int req_read_body(struct req *r);
/* Forgets the answer being built and all the dispatch worked out (route,
 * caller, parsed body), keeping what came in and the body: the request can
 * be dispatched again from the start, and nothing of the earlier run shows. */
void req_reset_answer(struct req *r);

void http_header(struct req *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Answers with a JSON body; takes the reference to body. */
void http_json(struct req *r, int status, json_t *body);
/* Answers with pre-serialised text of the given type. */
void http_text(struct req *r, int status, const char *type, const char *text,
	       size_t len);
void http_empty(struct req *r, int status);
/* Writes the answer to the FastCGI stream. */
void http_send(struct req *r);

/* The problem+json answers. */
void problem_reply(struct req *r, int status, const char *slug,
		   const char *detail);
void problem_reply_errors(struct req *r, int status, const char *slug,
			  const char *detail, const struct verrs *errs);
void problem_replyf(struct req *r, int status, const char *slug,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Query parameters (already percent-decoded and UTF-8 checked). */
const char *http_query(const struct req *r, const char *name);
/* limit: 1..100, default 20. Return 0, or -1 after answering 400. */
int query_limit_or_reply(struct req *r, int *limit);
int query_uuid_or_reply(struct req *r, const char *name, const char **out);
int query_enum_or_reply(struct req *r, const char *name,
			const char *const *choices, const char **out);
int query_time_or_reply(struct req *r, const char *name, const char **out);
/* true/false. */
int query_bool_or_reply(struct req *r, const char *name, const char **out);
/* Free text of min..max characters, no control characters; trimmed of
 * surrounding spaces into out (outlen bytes). *present = 0 when absent. */
int query_text_or_reply(struct req *r, const char *name, int min, int max,
			char *out, size_t outlen, bool *present);
/* An RFC 3339 date-time or a YYYY-MM-DD date (*is_date set). */
int query_when_or_reply(struct req *r, const char *name, const char **out,
			bool *is_date);
/* ?cursor= of a list kept in (time, id) order: microseconds since 1970 of
 * a time PostgreSQL holds, and a UUID. after[0][0] == 0 when absent.
 * Returns 0, or -1 after answering 400. */
int query_time_cursor_or_reply(struct req *r, char after[2][128]);
/* Answers 400 naming the query parameter and what is wrong with it. */
void query_invalid_reply(struct req *r, const char *name, const char *msg);
/* Decodes ?cursor= into n parts; parts[0][0] == 0 when absent. */
int query_cursor_or_reply(struct req *r, int n, char parts[][128]);

/* ETag helpers: true (and a 304 sent) when If-None-Match matches. */
bool http_not_modified(struct req *r, const char *etag);
/* Reads served from the worker's cache (rcache.h), for a representation
 * that is the same for every caller it is served to. http_cached_reply
 * answers (200 or 304 with the ETag, the kept headers) and returns true when
 * key is cached and current, unless the request asks for a fresh answer
 * (Cache-Control: no-cache); otherwise it sets *gen, to be passed with the
 * answer read from the database (0: do not keep it) to http_cache_reply
 * (which answers too), or to http_cache_keep once the answer is made
 * (keeping the headers added since headers_mark, r->headers.len before). */
bool http_cached_reply(struct req *r, const char *key, uint64_t *gen);
void http_cache_reply(struct req *r, const char *key, uint64_t gen, const char *etag,
		      const struct buf *body);
void http_cache_keep(struct req *r, const char *key, uint64_t gen, size_t headers_mark);
/* The cache key of a list page, "prefix?query"; false when it is too long
 * to be kept (the page is then read from the database). */
bool http_list_cache_key(const struct req *r, const char *prefix, char *key, size_t size);
/* PATCH precondition: 0 when If-Match equals etag; else answers 428/412. */
int http_if_match_or_reply(struct req *r, const char *etag);

/* Sends list bodies: {"data": [...], "next_cursor": ...} plus Link, the
 * data array already written as JSON text. */
void http_list_text(struct req *r, const struct buf *data, const char *next_cursor);
/* Answers a page of a keyset list: the first limit rows of res (fetched
 * with limit + 1) as objects, and when there are more, the cursor made of
 * the key columns of the last row shown. res stays the caller's. */
void http_list_rows(struct req *r, const PGresult *res, int limit,
		    const char *const *key_cols, int nkeys);
/* Answers with one result row as a JSON object (see jw_row). */
void http_row(struct req *r, int status, const PGresult *res, int row);
/* Answers 200/201 with a JSON object already written as text. */
void http_json_text(struct req *r, int status, const struct buf *body);

/* A 409 for an action the current status does not allow: names the status
 * and what is allowed now (allowed: NULL-terminated, may be empty). */
void conflict_reply(struct req *r, const char *detail, const char *status,
		    const char *const *allowed);

/* Database failure → 503 (lost) or 500. */
void db_error_reply(struct req *r);
/* db_exec that answers on failure. */
PGresult *db_exec_or_reply(struct req *r, struct db_stmt *stmt, int n,
			   const char *const *params);
int db_begin_or_reply(struct req *r);
int db_commit_or_reply(struct req *r);

/* Appends the audit entry for a write, inside the caller's transaction. */
int audit_append_or_reply(struct req *r, const char *action,
			  const char *entity, const char *entity_id,
			  json_t *detail);

/* A clerk or an approver (r->claims.unit is theirs). */
bool req_is_unit_staff(const struct req *r);
/* A supervisor or an admin: reads everything. */
bool req_sees_everything(const struct req *r);

/* The caller as the audit log names it: the token's sub, or "anonymous". */
const char *req_actor(const struct req *r);
const char *req_role(const struct req *r);


#endif
