/* router.c - the route table and everything decided before a handler runs:
 * CORS, 404/405, authentication, roles, unknown query parameters, body
 * size, content type, JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "opengov/base/buf.h"
#include "opengov/base/config.h"
#include "opengov/base/metrics.h"
#include "opengov/server/query.h"
#include "opengov/server/router.h"
#include "opengov/db/replica.h"
#include "opengov/server/conditional.h"
#include "opengov/server/sessions.h"
#include "opengov/base/tokencache.h"

void router_print(FILE *out, const struct route *table, size_t n)
{
	static const struct {
		unsigned bit;
		const char *name;
	} flag_names[] = { { RT_ANON, "anon" }, { RT_JSON, "json" },
			   { RT_NODB, "nodb" }, { RT_UPLOAD, "upload" },
			   { RT_REPLICA, "replica" } };

	for (size_t i = 0; i < n; i++) {
		const struct route *rt = &table[i];
		const char *sep = "";

		fprintf(out, "%s\t%s\t%s\t", rt->method, rt->pattern, rt->operation_id);
		for (int role = 0; role < ROLE__MAX; role++)
			if (rt->roles & ROLE_BIT(role)) {
				fprintf(out, "%s%s", sep, auth_role_name(role));
				sep = ",";
			}
		fputc('\t', out);
		sep = "";
		for (size_t f = 0; f < sizeof flag_names / sizeof flag_names[0]; f++)
			if (rt->flags & flag_names[f].bit) {
				fprintf(out, "%s%s", sep, flag_names[f].name);
				sep = ",";
			}
		fprintf(out, "%s\t%s\n", *sep ? "" : "-", rt->handler_name);
	}
}

const char *const *router_query_names(const struct route *rt)
{
	static const char *const none[] = { NULL };

	for (size_t i = 0; i < route_queries_count; i++)
		if (!strcmp(route_queries[i].operation_id, rt->operation_id))
			return route_queries[i].names;
	return none;
}

void router_print_queries(FILE *out, const struct route *table, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *const *names = router_query_names(&table[i]);

		fprintf(out, "%s\t", table[i].operation_id);
		for (int k = 0; names[k]; k++)
			fprintf(out, "%s%s", k ? "," : "", names[k]);
		fprintf(out, "%s\n", names[0] ? "" : "-");
	}
}

/* Every query parameter must be one the operation declares: a misspelt or
 * unknown filter answered with the unfiltered list would look like an
 * answer. 0, or -1 after answering 400 naming the first stranger. */
static int known_queries_or_reply(struct req *r)
{
	if (!r->nquery)
		return 0;
	const char *const *names = router_query_names(r->route);

	for (int i = 0; i < r->nquery; i++) {
		int k = 0;
		while (names[k] && strcmp(names[k], r->qp[i].name))
			k++;
		if (!names[k]) {
			query_invalid_reply(r, r->qp[i].name,
					    "is not a query parameter of this operation");
			return -1;
		}
	}
	return 0;
}

/* Compares one pattern with a path, character by character, so that the
 * patterns that differ from the path early cost a few comparisons each.
 * The first skip characters of both are known to agree (the index's key:
 * rx_rows). A "{name}" is a whole segment and matches one non-empty
 * segment of the path. */
static bool pattern_match(const char *pat0, size_t skip, const char *path,
			  char params[][64], int *nparams)
{
	const char *pat = pat0 + skip;
	int np = 0;

	path += skip; /* the first skip characters are known to agree */

	while (*pat) {
		if (*pat == '{' && pat > pat0 && pat[-1] == '/') {
			size_t slen = 0;
			while (path[slen] && path[slen] != '/')
				slen++;
			if (slen == 0 || slen >= 64 || np >= PATH_PARAMS_MAX)
				return false;
			memcpy(params[np], path, slen);
			params[np][slen] = '\0';
			np++;
			path += slen;
			while (*pat && *pat != '/')
				pat++;
		} else if (*pat++ != *path++) {
			return false;
		}
	}
	if (*path)
		return false;
	*nparams = np;
	return true;
}

/* Where a pattern or a path is filed in the index: its first two segments
 * ("/v1/requests" of "/v1/requests/{id}/materials", "/healthz" of itself), the
 * text before the third '/'. A pattern matches a path only if these agree
 * when they are literal: each literal character matches itself, and a
 * parameter never takes a '/'. A pattern with a parameter among them is
 * tried for every path. */
static size_t route_key_len(const char *s)
{
	size_t len = 0;
	int slashes = 0;

	while (s[len] && !(s[len] == '/' && ++slashes == 3))
		len++;
	return len;
}

static uint32_t route_key_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* The table filed by route_key: for each key, the rows that may match a
 * path with that key (its own and the wildcards), in table order, so that
 * a request tries a handful of patterns instead of all of them (every
 * request tried all 89, and pattern_match was the worker's busiest
 * function in a cached answer's profile). Built on first use, per
 * process; a table of more keys than the slots allow is scanned whole. */
#define RX_SLOTS 256
struct rx_slot {
	const char *key; /* NULL: free */
	size_t len;
	unsigned short *rows; /* RX_WILD marks a row whose key has a parameter */
	size_t nrows;
};
#define RX_WILD 0x8000u
static struct {
	const struct route *table;
	size_t n;
	bool usable;
	struct rx_slot slot[RX_SLOTS];
	unsigned short *wild; /* the rows tried for a key of no slot */
	size_t nwild;
} rx;

static struct rx_slot *rx_find(const char *key, size_t len)
{
	for (uint32_t h = route_key_hash(key, len), k = 0; k < RX_SLOTS; k++) {
		struct rx_slot *s = &rx.slot[(h + k) % RX_SLOTS];
		if (!s->key || (s->len == len && !memcmp(s->key, key, len)))
			return s;
	}
	return NULL;
}

static void rx_free(void)
{
	for (size_t k = 0; k < RX_SLOTS; k++)
		free(rx.slot[k].rows);
	free(rx.wild);
	memset(&rx, 0, sizeof rx);
}

static void rx_build(const struct route *table, size_t n)
{
	size_t keys = 0;

	rx_free();
	rx.table = table;
	rx.n = n;
	if (n >= RX_WILD)
		return;
	rx.wild = xcalloc(n ? n : 1, sizeof *rx.wild);
	for (size_t i = 0; i < n; i++) {
		const char *p = table[i].pattern;
		size_t len = route_key_len(p);
		if (memchr(p, '{', len)) {
			rx.wild[rx.nwild++] = (unsigned short)(i | RX_WILD);
			continue;
		}
		struct rx_slot *s = rx_find(p, len);
		if (!s || (!s->key && ++keys > RX_SLOTS / 2))
			return; /* too many keys to probe well: scan the table */
		if (!s->key) {
			s->key = p;
			s->len = len;
			s->rows = xcalloc(n, sizeof *s->rows);
		}
	}
	/* Each key's rows: its own and the wildcards, in table order. */
	for (size_t i = 0; i < n; i++) {
		const char *p = table[i].pattern;
		size_t len = route_key_len(p);
		bool wild = memchr(p, '{', len) != NULL;
		for (size_t k = 0; k < RX_SLOTS; k++) {
			struct rx_slot *s = &rx.slot[k];
			if (s->key && (wild || (s->len == len && !memcmp(s->key, p, len))))
				s->rows[s->nrows++] = (unsigned short)(wild ? i | RX_WILD : i);
		}
	}
	rx.usable = true;
}

/* The rows of table that may match path: *rows NULL means all n of them.
 * *skip: how much of the path the key's own rows are known to share. */
static size_t rx_rows(const struct route *table, size_t n, const char *path,
		      const unsigned short **rows, size_t *skip)
{
	if (rx.table != table || rx.n != n)
		rx_build(table, n);
	*rows = NULL;
	*skip = 0;
	if (!rx.usable)
		return n;
	size_t len = route_key_len(path);
	const struct rx_slot *s = rx_find(path, len);
	if (s && s->key) {
		*rows = s->rows;
		*skip = len;
		return s->nrows;
	}
	*rows = rx.wild;
	return rx.nwild;
}

/* Row k of rows (or of the whole table) and how much of its pattern to
 * skip. */
static size_t rx_row(const unsigned short *rows, size_t k, size_t key_skip, size_t *skip)
{
	if (!rows) {
		*skip = 0;
		return k;
	}
	*skip = rows[k] & RX_WILD ? 0 : key_skip;
	return rows[k] & ~RX_WILD;
}

enum match_result router_match(const struct route *table, size_t n,
			       const char *method, const char *path,
			       size_t *index, char params[][64], int *nparams,
			       char *allow, size_t allowlen)
{
	char tmp[PATH_PARAMS_MAX][64], best[PATH_PARAMS_MAX][64];
	int ntmp, fewest = PATH_PARAMS_MAX + 1, nbest = PATH_PARAMS_MAX + 1;
	size_t ibest = 0;
	const unsigned short *rows;
	size_t key_skip, skip;
	size_t nrows = rx_rows(table, n, path, &rows, &key_skip);

	if (allowlen)
		allow[0] = '\0';
	if (!strcmp(method, "HEAD"))
		method = "GET";
	/* A literal segment beats a parameter, as in OpenAPI: of the patterns
	 * that match, only those with the fewest parameters count, so that
	 * /v1/calendar/years is not taken for the date "years". One pass finds
	 * both the fewest any pattern of the path needs and, of the method's,
	 * the first with the fewest: the route when the two agree. */
	for (size_t k = 0; k < nrows; k++) {
		size_t i = rx_row(rows, k, key_skip, &skip);
		if (!pattern_match(table[i].pattern, skip, path, tmp, &ntmp))
			continue;
		if (ntmp < fewest)
			fewest = ntmp;
		if (ntmp < nbest && !strcmp(table[i].method, method)) {
			nbest = ntmp;
			ibest = i;
			memcpy(best, tmp, sizeof tmp);
		}
	}
	if (fewest > PATH_PARAMS_MAX)
		return MATCH_NO_PATH;
	if (nbest == fewest) {
		*index = ibest;
		memcpy(params, best, sizeof best);
		*nparams = nbest;
		return MATCH_OK;
	}
	/* The path is there, not for this method: the methods it has, for the
	 * 405's Allow and the preflight (a second pass for those only). */
	snprintf(allow, allowlen, "OPTIONS");
	for (size_t k = 0; k < nrows; k++) {
		size_t i = rx_row(rows, k, key_skip, &skip);
		if (!pattern_match(table[i].pattern, skip, path, tmp, &ntmp) || ntmp != fewest)
			continue;
		if (strlen(allow) + strlen(table[i].method) + 3 < allowlen) {
			strcat(allow, ", ");
			strcat(allow, table[i].method);
			if (!strcmp(table[i].method, "GET"))
				strcat(allow, ", HEAD");
		}
	}
	return MATCH_NO_METHOD;
}

static void cors_headers(struct req *r)
{
	if (!config_origin_allowed(r->cfg, r->origin))
		return;
	http_header(r, "Access-Control-Allow-Origin", "%s", r->origin);
	http_header(r, "Vary", "Origin");
	/* What a browser's script may read of an answer: the validators, where
	 * a new resource is, the next page, a file's name, a replayed
	 * idempotent answer, when to try again. */
	http_header(r, "Access-Control-Expose-Headers",
		    "ETag, Location, Link, X-Request-Id, Retry-After, Content-Disposition,"
		    " Idempotent-Replayed");
}

static void preflight(struct req *r, const char *allow)
{
	if (config_origin_allowed(r->cfg, r->origin)) {
		http_header(r, "Access-Control-Allow-Methods", "%s", allow);
		http_header(r, "Access-Control-Allow-Headers",
			    "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key,"
			    " Cache-Control, Pragma");
		http_header(r, "Access-Control-Max-Age", "600");
	}
	http_header(r, "Allow", "%s", allow);
	http_empty(r, 204);
}

/* The worker's verified tokens (each worker process has its own). */
static struct tokencache tokens;

/* A token that verified still has to belong to a live account and
 * session (sessions.c; cached per worker, so no query in steady state). */
static int account_check(struct req *r)
{
	if (session_check_or_reply(r)) {
		memset(&r->claims, 0, sizeof r->claims);
		return -1;
	}
	r->authed = true;
	return 0;
}

static int authenticate(struct req *r)
{
	const char *h = r->authorization;

	if (!h || !*h)
		return 0;
	if (strncasecmp(h, "Bearer ", 7)) {
		problem_reply(r, 401, "unauthorized",
			      "Authorization must be a Bearer token.");
		return -1;
	}
	h += 7;
	while (*h == ' ')
		h++;
	time_t now = time(NULL);
	/* Verified tokens are remembered per worker (tokencache.h): RS256/
	 * ES256 re-parse the key each time, and HS256's decoding and HMAC
	 * were a tenth of a list page's time in the worker. */
	if (tokencache_get(&tokens, h, now, &r->claims))
		return account_check(r);
	enum auth_status st = auth_verify(&r->cfg->auth, h, now, &r->claims);
	if (st != AUTH_OK) {
		problem_replyf(r, 401, "unauthorized", "The token was refused: %s.",
			       auth_status_message(st));
		return -1;
	}
	tokencache_put(&tokens, h, &r->claims);
	return account_check(r);
}

static bool json_content_type(const char *ct, bool patch)
{
	if (!ct)
		return false;
	size_t n = strcspn(ct, ";");
	while (n && ct[n - 1] == ' ')
		n--;
	if (n == 16 && !strncasecmp(ct, "application/json", 16))
		return true;
	return patch && n == 28 && !strncasecmp(ct, "application/merge-patch+json", 28);
}

/* The types an upload may declare: the three it may be, or none in
 * particular (the content decides; the handler checks it agrees). */
static bool upload_content_type(const char *ct)
{
	static const char *const types[] = { "application/octet-stream",
		"application/pdf", "image/jpeg", "image/png", NULL };

	if (!ct || !*ct)
		return true;
	size_t n = strcspn(ct, ";");
	while (n && ct[n - 1] == ' ')
		n--;
	for (int i = 0; types[i]; i++)
		if (n == strlen(types[i]) && !strncasecmp(ct, types[i], n))
			return true;
	return false;
}

static int read_upload_body(struct req *r)
{
	if (!upload_content_type(r->content_type)) {
		problem_reply(r, 415, "unsupported-media-type",
			      "Send the file as application/pdf, image/jpeg or image/png"
			      " (or application/octet-stream).");
		return -1;
	}
	if (req_read_body(r)) {
		problem_reply(r, 400, "bad-request", "The body ended early.");
		return -1;
	}
	return 0;
}

static int parse_json_body(struct req *r)
{
	json_error_t err;

	if (!json_content_type(r->content_type, !strcmp(r->method, "PATCH"))) {
		problem_reply(r, 415, "unsupported-media-type",
			      "Send the body as application/json.");
		return -1;
	}
	if (req_read_body(r)) {
		problem_reply(r, 400, "invalid-json", "The body ended early.");
		return -1;
	}
	if (!utf8_valid(r->body, r->body_len)) {
		problem_reply(r, 400, "invalid-json", "The body is not valid UTF-8.");
		return -1;
	}
	if (json_text_depth(r->body, r->body_len) > JSON_MAX_DEPTH) {
		problem_replyf(r, 400, "invalid-json",
			       "The body nests deeper than %d levels.", JSON_MAX_DEPTH);
		return -1;
	}
	r->json = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err);
	if (!r->json) {
		problem_replyf(r, 400, "invalid-json",
			       "The body is not valid JSON: %s (line %d, column %d).",
			       err.text, err.line, err.column);
		return -1;
	}
	if (!json_is_object(r->json)) {
		problem_reply(r, 400, "invalid-json", "The body must be a JSON object.");
		return -1;
	}
	return 0;
}

void router_dispatch(struct req *r)
{
	char allow[128];
	size_t idx = 0;

	cors_headers(r);
	if (!strcmp(r->method, "OPTIONS")) {
		enum match_result m = router_match(routes, routes_count, "OPTIONS",
						   r->path, &idx, r->path_params,
						   &r->npath, allow, sizeof allow);
		if (m == MATCH_NO_PATH)
			problem_reply(r, 404, "not-found", "There is no such resource.");
		else
			preflight(r, allow);
		return;
	}
	switch (router_match(routes, routes_count, r->method, r->path, &idx,
			     r->path_params, &r->npath, allow, sizeof allow)) {
	case MATCH_NO_PATH:
		problem_reply(r, 404, "not-found", "There is no such resource.");
		return;
	case MATCH_NO_METHOD:
		http_header(r, "Allow", "%s", allow);
		problem_replyf(r, 405, "method-not-allowed",
			       "%s is not allowed here; allowed: %s.", r->method, allow);
		return;
	case MATCH_OK:
		break;
	}
	r->route = &routes[idx];
	r->route_index = (int)idx;

	if (authenticate(r))
		return;
	if (!r->authed && !(r->route->flags & RT_ANON)) {
		problem_reply(r, 401, "unauthorized",
			      "This resource needs a Bearer token.");
		return;
	}
	if (r->authed && !(r->route->roles & ROLE_BIT(r->claims.role))) {
		if (r->route->deny)
			problem_reply(r, 403, "forbidden", r->route->deny);
		else
			problem_replyf(r, 403, "forbidden", "The %s role may not do this.",
				       auth_role_name(r->claims.role));
		return;
	}
	if (known_queries_or_reply(r))
		return;
	long max = (r->route->flags & RT_UPLOAD) ? UPLOAD_MAX_BYTES : r->cfg->max_body;
	if (r->content_length < 0 || r->content_length > max) {
		problem_replyf(r, 413, "payload-too-large",
			       "The body is larger than %ld bytes.", max);
		return;
	}
	if ((r->route->flags & RT_JSON) && parse_json_body(r))
		return;
	if ((r->route->flags & RT_UPLOAD) && read_upload_body(r))
		return;
	/* Anonymous readers of the public record may be answered by the read
	 * replica (within its lag bound); whoever sent a token, and whoever
	 * asks for no-cache, reads the primary: a caller's own writes and
	 * every staff view are never stale. */
	if ((r->route->flags & RT_REPLICA) && !r->authed && !http_wants_fresh(r) &&
	    replica_configured()) {
		struct db *rd = replica_pick(false);
		/* No primary (a failover under way): the replica's record rather
		 * than a 503, whatever its lag (src/db/replica.c). */
		if (!rd && !db_ensure(r->primary)) {
			r->primary->req_connect_failed = false;
			rd = replica_pick(true);
		}
		metrics_replica_read(rd != NULL);
		if (rd)
			r->db = rd;
	}
	r->route->handler(r);
	/* nginx stores no answer of the replica's in its edge cache either:
	 * it would outlive the purge that a change on the primary caused. */
	if (r->db != r->primary)
		http_header(r, "X-Accel-Expires", "0");
	if (!r->replied)
		problem_reply(r, 500, "internal", "The server failed to answer.");
}
