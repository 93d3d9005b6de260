/* request.c - the request as the handlers see it: FastCGI params copied in,
 * the query decoded, the body read; and who the caller is. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "opengov/server/query.h"
#include "opengov/server/request.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes s into a new string; NULL when malformed or not UTF-8. */
static char *url_decode(const char *s, size_t len)
{
	char *out = xmalloc(len + 1);
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
			int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	if (!utf8_valid(out, o)) {
		free(out);
		return NULL;
	}
	return out;
}

static int parse_query(struct req *r)
{
	const char *q = r->query;

	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		if (len) {
			const char *eq = memchr(q, '=', len);
			size_t nlen = eq ? (size_t)(eq - q) : len;
			char *name = url_decode(q, nlen);
			char *value = eq ? url_decode(eq + 1, len - nlen - 1) : xstrdup("");
			if (!name || !value) {
				free(name);
				free(value);
				return -1;
			}
			/* A cursor has a slot of its own: the Link to the next
			 * page adds one to the parameters it repeats, and must
			 * be a query this parser accepts. A repeated name counts
			 * once. */
			if (r->nquery >= QUERY_PARAMS_MAX && strcmp(name, "cursor") &&
			    !http_query(r, name)) {
				free(name);
				free(value);
				return -2;
			}
			if (http_query(r, name)) { /* the first one counts */
				free(name);
				free(value);
			} else {
				r->qp[r->nquery].name = name;
				r->qp[r->nquery].value = value;
				r->nquery++;
			}
		}
		q = amp ? amp + 1 : NULL;
	}
	return 0;
}

/* The FastCGI parameters req_init reads, found in one pass over the
 * request's environment (FCGX_GetParam walks all of it, some thirty
 * names compared with strncmp, for each name asked: sixteen times a
 * request, 4% of a cached answer's worker time in perf). */
enum fparam {
	FP_METHOD, FP_DOCUMENT_URI, FP_REQUEST_URI, FP_QUERY, FP_CONTENT_TYPE,
	FP_CONTENT_LENGTH, FP_REQUEST_ID, FP_ORIGIN, FP_AUTHORIZATION, FP_IF_MATCH,
	FP_IF_NONE_MATCH, FP_IDEMPOTENCY_KEY, FP_REMOTE_ADDR, FP_ACCEPT_LANGUAGE,
	FP_CACHE_CONTROL, FP_PRAGMA, FP_COUNT
};

static const struct {
	const char *name;
	size_t len;
} fparams[FP_COUNT] = {
#define FP(id, s) [id] = { s, sizeof s - 1 }
	FP(FP_METHOD, "REQUEST_METHOD"),
	FP(FP_DOCUMENT_URI, "DOCUMENT_URI"),
	FP(FP_REQUEST_URI, "REQUEST_URI"),
	FP(FP_QUERY, "QUERY_STRING"),
	FP(FP_CONTENT_TYPE, "CONTENT_TYPE"),
	FP(FP_CONTENT_LENGTH, "CONTENT_LENGTH"),
	FP(FP_REQUEST_ID, "REQUEST_ID"),
	FP(FP_ORIGIN, "HTTP_ORIGIN"),
	FP(FP_AUTHORIZATION, "HTTP_AUTHORIZATION"),
	FP(FP_IF_MATCH, "HTTP_IF_MATCH"),
	FP(FP_IF_NONE_MATCH, "HTTP_IF_NONE_MATCH"),
	FP(FP_IDEMPOTENCY_KEY, "HTTP_IDEMPOTENCY_KEY"),
	FP(FP_REMOTE_ADDR, "REMOTE_ADDR"),
	FP(FP_ACCEPT_LANGUAGE, "HTTP_ACCEPT_LANGUAGE"),
	FP(FP_CACHE_CONTROL, "HTTP_CACHE_CONTROL"),
	FP(FP_PRAGMA, "HTTP_PRAGMA"),
#undef FP
};

/* Points v[i] at the value of fparams[i], or NULL; the first of a name
 * wins, as with FCGX_GetParam. */
static void fparams_read(char **envp, const char *v[FP_COUNT])
{
	for (int i = 0; i < FP_COUNT; i++)
		v[i] = NULL;
	for (char **e = envp; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq)
			continue;
		size_t n = (size_t)(eq - *e);
		for (int i = 0; i < FP_COUNT; i++) {
			if (fparams[i].len == n && !v[i] && !memcmp(*e, fparams[i].name, n)) {
				v[i] = eq + 1;
				break;
			}
		}
	}
}

static char *dup_or_null(const char *v)
{
	return v ? xstrdup(v) : NULL;
}

int req_init(struct req *r, FCGX_Request *fcgi, const struct config *cfg,
	     struct db *db)
{
	const char *v[FP_COUNT];

	memset(r, 0, sizeof *r);
	clock_gettime(CLOCK_MONOTONIC, &r->started);
	r->fcgi = fcgi;
	r->cfg = cfg;
	r->db = db;
	r->primary = db;
	r->route_index = -1;
	r->status = 200;
	fparams_read(fcgi->envp, v);

	r->method = xstrdup(v[FP_METHOD] ? v[FP_METHOD] : "GET");
	const char *uri = v[FP_REQUEST_URI];
	r->path = dup_or_null(v[FP_DOCUMENT_URI]);
	if (!r->path) {
		const char *u = uri ? uri : "/";
		size_t n = strcspn(u, "?");
		r->path = xmalloc(n + 1);
		memcpy(r->path, u, n);
		r->path[n] = '\0';
	}
	uri = uri ? uri : r->path;
	size_t rn = strcspn(uri, "?");
	r->raw_path = xmalloc(rn + 1);
	memcpy(r->raw_path, uri, rn);
	r->raw_path[rn] = '\0';
	if (!utf8_valid(r->raw_path, rn) || strpbrk(r->raw_path, "\"\\")) {
		free(r->raw_path);
		r->raw_path = xstrdup("/");
	}
	r->query = dup_or_null(v[FP_QUERY]);
	r->content_type = dup_or_null(v[FP_CONTENT_TYPE]);
	const char *cl = v[FP_CONTENT_LENGTH];
	r->content_length = cl && *cl ? strtoll(cl, NULL, 10) : 0;
	r->request_id = dup_or_null(v[FP_REQUEST_ID]);
	if (!r->request_id || !*r->request_id) {
		unsigned char raw[16];
		char hex[33];
		free(r->request_id);
		if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
			memset(raw, 0, sizeof raw);
		for (int i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02x", raw[i]);
		r->request_id = xstrdup(hex);
	}
	r->origin = dup_or_null(v[FP_ORIGIN]);
	r->authorization = dup_or_null(v[FP_AUTHORIZATION]);
	r->if_match = dup_or_null(v[FP_IF_MATCH]);
	r->if_none_match = dup_or_null(v[FP_IF_NONE_MATCH]);
	r->idempotency_key = dup_or_null(v[FP_IDEMPOTENCY_KEY]);
	r->remote_addr = dup_or_null(v[FP_REMOTE_ADDR]);
	r->cache_control = v[FP_CACHE_CONTROL];
	r->pragma = v[FP_PRAGMA];
	r->lang = lang_negotiate(v[FP_ACCEPT_LANGUAGE]);
	if (!utf8_valid(r->path, strlen(r->path)))
		return -1;
	return parse_query(r);
}

void req_free(struct req *r)
{
	free(r->method);
	free(r->path);
	free(r->raw_path);
	free(r->query);
	free(r->content_type);
	free(r->request_id);
	free(r->origin);
	free(r->authorization);
	free(r->if_match);
	free(r->if_none_match);
	free(r->idempotency_key);
	free(r->remote_addr);
	for (int i = 0; i < r->nquery; i++) {
		free(r->qp[i].name);
		free(r->qp[i].value);
	}
	free(r->body);
	json_decref(r->json);
	buf_free(&r->headers);
	buf_free(&r->out);
}

int req_read_body(struct req *r)
{
	size_t want = (size_t)r->content_length;

	if (r->body) /* read by an earlier run of this request (server.c) */
		return r->body_len == want ? 0 : -1;
	r->body = xmalloc(want + 1);
	size_t got = 0;
	while (got < want) {
		int n = FCGX_GetStr(r->body + got, (int)(want - got), r->fcgi->in);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	r->body[got] = '\0';
	r->body_len = got;
	return got == want ? 0 : -1;
}

void req_reset_answer(struct req *r)
{
	json_decref(r->json);
	r->json = NULL;
	r->route = NULL;
	r->route_index = -1;
	r->authed = false;
	memset(&r->claims, 0, sizeof r->claims);
	r->npath = 0;
	memset(r->path_params, 0, sizeof r->path_params);
	r->status = 200;
	buf_reset(&r->headers);
	buf_reset(&r->out);
	r->out_type = NULL;
	r->replied = false;
}

bool req_is_unit_staff(const struct req *r)
{
	return r->authed && (r->claims.role == ROLE_CLERK || r->claims.role == ROLE_APPROVER);
}

bool req_sees_everything(const struct req *r)
{
	return r->authed && (r->claims.role == ROLE_SUPERVISOR || r->claims.role == ROLE_ADMIN);
}

const char *req_actor(const struct req *r)
{
	return r->authed ? r->claims.sub : "anonymous";
}

const char *req_role(const struct req *r)
{
	return r->authed ? auth_role_name(r->claims.role) : "anonymous";
}
