/* router.h - the route table: method, path pattern, handler, who may call.
 * 404, 405, 415, 413 and 401/403 are decided here before any handler runs. */
#ifndef OPENGOV_ROUTER_H
#define OPENGOV_ROUTER_H

#include <stddef.h>
#include <stdio.h>
#include "opengov/server/http.h"

typedef void (*handler_fn)(struct req *r);

#define RT_ANON 0x1   /* callers without a token are admitted */
#define RT_JSON 0x2   /* the body is a JSON object */
#define RT_NODB 0x4   /* needs no database */
#define RT_UPLOAD 0x8 /* the body is a raw file (materials) of up to
			* UPLOAD_MAX_BYTES: read as is, never parsed */
#define RT_REPLICA 0x10 /* an anonymous GET may read the replica (src/db/replica.c) */

/* The largest upload (files.size allows no more). */
#define UPLOAD_MAX_BYTES 10485760L

struct route {
	const char *method;
	const char *pattern; /* "/v1/units/{id}": {x} matches one segment */
	const char *operation_id; /* openapi.yaml's */
	const char *handler_name;
	handler_fn handler;
	unsigned roles;      /* ROLE_BIT mask of token roles admitted */
	unsigned flags;
	const char *deny;    /* the 403's detail for other roles; NULL: generic */
};

/* The route table, made of api/routes.def by api/routes.c: the one place
 * the server learns of the layer above it (its handlers are called only
 * through this table). */
extern const struct route routes[];
extern const size_t routes_count;

/* Prints the table as `opengov routes` does: one tab-separated line per
 * route (method, pattern, operationId, roles, flags, handler). */
void router_print(FILE *out, const struct route *table, size_t n);

/* The query parameters an operation accepts (api/queries.def); an
 * operation without a row accepts none. */
struct route_query {
	const char *operation_id;
	const char *const *names; /* NULL-terminated */
};
extern const struct route_query route_queries[];
extern const size_t route_queries_count;

/* The names rt accepts (NULL-terminated; an empty list when none). */
const char *const *router_query_names(const struct route *rt);

/* Prints api/queries.def as `opengov queries` does: one line per route,
 * operationId, a tab and its query parameters comma-separated ("-" for
 * none). */
void router_print_queries(FILE *out, const struct route *table, size_t n);

enum match_result { MATCH_OK, MATCH_NO_PATH, MATCH_NO_METHOD };

/* Pure matching: finds the row for method+path; fills params and, for
 * MATCH_NO_METHOD, the Allow list. */
enum match_result router_match(const struct route *table, size_t n,
			       const char *method, const char *path,
			       size_t *index, char params[][64], int *nparams,
			       char *allow, size_t allowlen);

/* Runs the whole request: CORS, matching, auth, body, handler. */
void router_dispatch(struct req *r);

#endif
