/* request.h - one request and the answer being built for it (struct req):
 * the FastCGI params copied in, the query decoded, the body read; and who
 * the caller is. */
#ifndef OPENGOV_REQUEST_H
#define OPENGOV_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>
#include <fcgiapp.h>

#include "opengov/base/auth.h"
#include "opengov/base/buf.h"
#include "opengov/base/lang.h"
#include "opengov/base/validate.h"
#include "opengov/db/db.h"

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
	struct db *db;      /* the connection the handler uses */
	struct db *primary; /* the worker's primary one: db, unless the router
			     * gave a read to the replica (RT_REPLICA) */

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
	/* borrowed from the FastCGI request, which outlives r */
	const char *cache_control, *pragma;
	enum lang lang; /* of the human text: Accept-Language, zh-CN by default */
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

/* A clerk or an approver (r->claims.unit is theirs). */
bool req_is_unit_staff(const struct req *r);
/* A supervisor or an admin: reads everything. */
bool req_sees_everything(const struct req *r);

/* The caller as the audit log names it: the token's sub, or "anonymous". */
const char *req_actor(const struct req *r);
const char *req_role(const struct req *r);

#endif
