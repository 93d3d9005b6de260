/* http.c - the request as the handlers see it and the answer they build:
 * FastCGI params copied in, query decoded, headers and body written out. */
#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "opengov/base/config.h"
#include "opengov/base/cursor.h"
#include "opengov/server/http.h"
#include "opengov/base/jsonw.h"
#include "opengov/base/log.h"
#include "opengov/base/metrics.h"
#include "opengov/server/problem.h"
#include "opengov/base/rcache.h"
#include "opengov/server/router.h"

static char *param_dup(FCGX_Request *f, const char *name)
{
	const char *v = FCGX_GetParam(name, f->envp);

	return v ? xstrdup(v) : NULL;
}

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

int req_init(struct req *r, FCGX_Request *fcgi, const struct config *cfg,
	     struct db *db)
{
	memset(r, 0, sizeof *r);
	clock_gettime(CLOCK_MONOTONIC, &r->started);
	r->fcgi = fcgi;
	r->cfg = cfg;
	r->db = db;
	r->route_index = -1;
	r->status = 200;

	r->method = param_dup(fcgi, "REQUEST_METHOD");
	if (!r->method)
		r->method = xstrdup("GET");
	r->path = param_dup(fcgi, "DOCUMENT_URI");
	if (!r->path) {
		const char *uri = FCGX_GetParam("REQUEST_URI", fcgi->envp);
		uri = uri ? uri : "/";
		size_t n = strcspn(uri, "?");
		r->path = xmalloc(n + 1);
		memcpy(r->path, uri, n);
		r->path[n] = '\0';
	}
	const char *uri = FCGX_GetParam("REQUEST_URI", fcgi->envp);
	uri = uri ? uri : r->path;
	size_t rn = strcspn(uri, "?");
	r->raw_path = xmalloc(rn + 1);
	memcpy(r->raw_path, uri, rn);
	r->raw_path[rn] = '\0';
	if (!utf8_valid(r->raw_path, rn) || strpbrk(r->raw_path, "\"\\")) {
		free(r->raw_path);
		r->raw_path = xstrdup("/");
	}
	r->query = param_dup(fcgi, "QUERY_STRING");
	r->content_type = param_dup(fcgi, "CONTENT_TYPE");
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", fcgi->envp);
	r->content_length = cl && *cl ? strtoll(cl, NULL, 10) : 0;
	r->request_id = param_dup(fcgi, "REQUEST_ID");
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
	r->origin = param_dup(fcgi, "HTTP_ORIGIN");
	r->authorization = param_dup(fcgi, "HTTP_AUTHORIZATION");
	r->if_match = param_dup(fcgi, "HTTP_IF_MATCH");
	r->if_none_match = param_dup(fcgi, "HTTP_IF_NONE_MATCH");
	r->idempotency_key = param_dup(fcgi, "HTTP_IDEMPOTENCY_KEY");
	r->remote_addr = param_dup(fcgi, "REMOTE_ADDR");
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

void http_header(struct req *r, const char *name, const char *fmt, ...)
{
	va_list ap;
	char value[1024];

	va_start(ap, fmt);
	vsnprintf(value, sizeof value, fmt, ap);
	va_end(ap);
	/* Header values never carry CR or LF: a split header is an injection. */
	for (char *p = value; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	buf_printf(&r->headers, "%s: %s\r\n", name, value);
}

void http_text(struct req *r, int status, const char *type, const char *text,
	       size_t len)
{
	r->status = status;
	r->out_type = type;
	buf_reset(&r->out);
	buf_append(&r->out, text, len);
	r->replied = true;
}

void http_json(struct req *r, int status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (!text) {
		http_text(r, 500, "application/problem+json", "{}", 2);
		return;
	}
	http_text(r, status,
		  status >= 400 ? "application/problem+json" : "application/json",
		  text, strlen(text));
	free(text);
}

void http_empty(struct req *r, int status)
{
	r->status = status;
	r->out_type = NULL;
	buf_reset(&r->out);
	r->replied = true;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	default: return problem_title(status);
	}
}

void http_send(struct req *r)
{
	FCGX_Stream *out = r->fcgi->out;
	char line[160];
	bool head = !strcmp(r->method, "HEAD");

	snprintf(line, sizeof line, "Status: %d %s\r\n", r->status, reason(r->status));
	FCGX_PutS(line, out);
	if (r->headers.len)
		FCGX_PutStr(r->headers.data, (int)r->headers.len, out);
	/* On every answer, problems and cached ones included: no browser
	 * guesses another type than the one sent, and no link followed from
	 * an answer (a file, the docs) tells its target where it was. */
	FCGX_PutS("X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n", out);
	if (r->out_type) {
		snprintf(line, sizeof line, "Content-Type: %s\r\n", r->out_type);
		FCGX_PutS(line, out);
	}
	if (r->status != 304 && r->status != 204) {
		snprintf(line, sizeof line, "Content-Length: %lu\r\n",
			 (unsigned long)r->out.len);
		FCGX_PutS(line, out);
	}
	FCGX_PutS("\r\n", out);
	if (!head && r->out.len && r->status != 304 && r->status != 204)
		FCGX_PutStr(r->out.data, (int)r->out.len, out);
}

void problem_reply_errors(struct req *r, int status, const char *slug,
			  const char *detail, const struct verrs *errs)
{
	json_t *p = problem_render(status, slug, detail, r->raw_path, r->request_id, errs);

	if (status == 401)
		http_header(r, "WWW-Authenticate", "Bearer realm=\"opengov\"");
	if (status == 503)
		http_header(r, "Retry-After", "5");
	http_json(r, status, p);
}

void problem_reply(struct req *r, int status, const char *slug,
		   const char *detail)
{
	problem_reply_errors(r, status, slug, detail, NULL);
}

void problem_replyf(struct req *r, int status, const char *slug,
		    const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	problem_reply(r, status, slug, detail);
}

const char *http_query(const struct req *r, const char *name)
{
	for (int i = 0; i < r->nquery; i++)
		if (!strcmp(r->qp[i].name, name))
			return r->qp[i].value;
	return NULL;
}

void query_invalid_reply(struct req *r, const char *name, const char *msg)
{
	struct verrs v = { 0 };
	char ptr[96];

	snprintf(ptr, sizeof ptr, "/query/%.80s", name);
	verrs_add(&v, ptr, "%s", msg);
	problem_reply_errors(r, 400, "bad-request", "A query parameter is invalid.", &v);
}

int query_limit_or_reply(struct req *r, int *limit)
{
	const char *v = http_query(r, "limit");
	char *end;

	*limit = 20;
	if (!v)
		return 0;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < 1 || n > 100) {
		query_invalid_reply(r, "limit", "must be an integer from 1 to 100");
		return -1;
	}
	*limit = (int)n;
	return 0;
}

int query_uuid_or_reply(struct req *r, const char *name, const char **out)
{
	const char *v = http_query(r, name);

	*out = NULL;
	if (!v)
		return 0;
	if (!uuid_valid(v)) {
		query_invalid_reply(r, name, "must be a UUID");
		return -1;
	}
	*out = v;
	return 0;
}

int query_enum_or_reply(struct req *r, const char *name,
			const char *const *choices, const char **out)
{
	const char *v = http_query(r, name);

	*out = NULL;
	if (!v)
		return 0;
	if (choice_index(choices, v) < 0) {
		char msg[160] = "must be one of:";
		for (int i = 0; choices[i]; i++) {
			strncat(msg, i ? ", " : " ", sizeof msg - strlen(msg) - 1);
			strncat(msg, choices[i], sizeof msg - strlen(msg) - 1);
		}
		query_invalid_reply(r, name, msg);
		return -1;
	}
	*out = v;
	return 0;
}

/* Rewrites the parameter's value as UTC with Z (PostgreSQL refuses offsets
 * beyond 15:59 that RFC 3339 allows), keeping the fraction of a second. */
static const char *normalise_time(struct req *r, const char *name, long long epoch)
{
	const char *v = http_query(r, name);
	const char *frac = strchr(v, '.');
	size_t flen = frac ? strspn(frac + 1, "0123456789") : 0;
	char buf[64];
	struct tm tm;
	time_t t = (time_t)epoch;

	gmtime_r(&t, &tm);
	/* Four digits of year: strftime's %Y writes the year 541 as "541". */
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%s%.*sZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, flen ? "." : "",
		 (int)flen, frac ? frac + 1 : "");
	for (int i = 0; i < r->nquery; i++)
		if (!strcmp(r->qp[i].name, name)) {
			free(r->qp[i].value);
			r->qp[i].value = xstrdup(buf);
			return r->qp[i].value;
		}
	return v;
}

/* Dates PostgreSQL and clients agree on: years 1..9999. */
#define EPOCH_MIN -62135596800LL /* 0001-01-01T00:00:00Z */
#define EPOCH_MAX 253402300799LL /* 9999-12-31T23:59:59Z */

int query_time_or_reply(struct req *r, const char *name, const char **out)
{
	const char *v = http_query(r, name);
	long long epoch;

	*out = NULL;
	if (!v)
		return 0;
	if (rfc3339_parse(v, &epoch) || epoch < EPOCH_MIN || epoch > EPOCH_MAX) {
		query_invalid_reply(r, name, "must be an RFC 3339 date-time, e.g. 2019-01-01T00:00:00Z");
		return -1;
	}
	*out = normalise_time(r, name, epoch);
	return 0;
}

int query_bool_or_reply(struct req *r, const char *name, const char **out)
{
	const char *v = http_query(r, name);

	*out = NULL;
	if (!v)
		return 0;
	if (strcmp(v, "true") && strcmp(v, "false")) {
		query_invalid_reply(r, name, "must be true or false");
		return -1;
	}
	*out = v;
	return 0;
}

int query_text_or_reply(struct req *r, const char *name, int min, int max,
			char *out, size_t outlen, bool *present)
{
	const char *v = http_query(r, name);

	*present = false;
	out[0] = '\0';
	if (!v)
		return 0;
	while (*v == ' ')
		v++;
	size_t n = strlen(v);
	while (n && v[n - 1] == ' ')
		n--;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
			query_invalid_reply(r, name, "must not contain control characters");
			return -1;
		}
	if (n >= outlen) {
		query_invalid_reply(r, name, "is too long");
		return -1;
	}
	memcpy(out, v, n);
	out[n] = '\0';
	size_t chars = utf8_length(out);
	if ((int)chars < min || (int)chars > max) {
		char msg[96];
		snprintf(msg, sizeof msg, "must be %d to %d characters long", min, max);
		query_invalid_reply(r, name, msg);
		return -1;
	}
	*present = true;
	return 0;
}

int query_when_or_reply(struct req *r, const char *name, const char **out,
			bool *is_date)
{
	const char *v = http_query(r, name);
	long long epoch;
	int y, m, d;

	*out = NULL;
	*is_date = false;
	if (!v)
		return 0;
	if (!date_parse(v, &y, &m, &d)) {
		*is_date = true;
		*out = v;
		return 0;
	}
	if (rfc3339_parse(v, &epoch) || epoch < EPOCH_MIN || epoch > EPOCH_MAX) {
		query_invalid_reply(r, name, "must be a date (2019-01-31) or an RFC 3339 date-time");
		return -1;
	}
	*out = normalise_time(r, name, epoch);
	return 0;
}

void conflict_reply(struct req *r, const char *detail, const char *status,
		    const char *const *allowed)
{
	json_t *p = problem_render(409, "conflict", detail, r->raw_path, r->request_id, NULL);
	json_t *a = json_array();

	for (int i = 0; allowed && allowed[i]; i++)
		json_array_append_new(a, json_string(allowed[i]));
	json_object_set_new(p, "current_status", json_string(status));
	json_object_set_new(p, "allowed_actions", a);
	http_json(r, 409, p);
}

int query_cursor_or_reply(struct req *r, int n, char parts[][128])
{
	const char *v = http_query(r, "cursor");

	parts[0][0] = '\0';
	if (!v)
		return 0;
	if (cursor_decode(v, n, parts)) {
		query_invalid_reply(r, "cursor", "is not a cursor this server issued");
		return -1;
	}
	return 0;
}

int query_time_cursor_or_reply(struct req *r, char after[2][128])
{
	char *end;

	if (query_cursor_or_reply(r, 2, after))
		return -1;
	if (!after[0][0])
		return 0;
	errno = 0;
	long long us = strtoll(after[0], &end, 10);
	/* Microseconds since 1970 of a time PostgreSQL holds (years 1..9999). */
	if (errno || *end || end == after[0] || us < -62135596800000000LL ||
	    us > 253402300799000000LL || !uuid_valid(after[1])) {
		query_invalid_reply(r, "cursor", "is not a cursor this server issued");
		return -1;
	}
	return 0;
}

/* True when the header list (a, "b", W/"c", *) names etag. */
static bool etag_listed(const char *list, const char *etag)
{
	const char *p = list;
	size_t elen = strlen(etag);

	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (!strncmp(p, "W/", 2))
			p += 2;
		size_t n = strcspn(p, ",");
		while (n && p[n - 1] == ' ')
			n--;
		if (n == elen && !strncmp(p, etag, n))
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

bool http_not_modified(struct req *r, const char *etag)
{
	http_header(r, "ETag", "%s", etag);
	if (r->if_none_match && etag_listed(r->if_none_match, etag)) {
		http_empty(r, 304);
		return true;
	}
	return false;
}

/* A request with Cache-Control: no-cache (or Pragma: no-cache) asks for an
 * answer read from the database now: it is not served from the cache (and
 * refreshes it). */
static bool wants_fresh(const struct req *r)
{
	const char *cc = FCGX_GetParam("HTTP_CACHE_CONTROL", r->fcgi->envp);
	const char *pragma = FCGX_GetParam("HTTP_PRAGMA", r->fcgi->envp);

	return (cc && (strcasestr(cc, "no-cache") || strcasestr(cc, "max-age=0"))) ||
	       (pragma && strcasestr(pragma, "no-cache"));
}

bool http_cached_reply(struct req *r, const char *key, uint64_t *gen)
{
	struct rcache_hit hit;

	/* Changes notified since the last request first; with no connection
	 * to the database, changes cannot be known: no cache. */
	*gen = db_poll_notifies(r->db) ? 0 : rcache_generation();
	if (wants_fresh(r) || !rcache_get(key, *gen, &hit)) {
		metrics_cache(false);
		return false;
	}
	metrics_cache(true);
	if (*hit.etag && http_not_modified(r, hit.etag))
		return true;
	buf_append(&r->headers, hit.headers, hit.headers_len);
	http_text(r, 200, "application/json", hit.body, hit.len);
	return true;
}

void http_cache_reply(struct req *r, const char *key, uint64_t gen, const char *etag,
		      const struct buf *body)
{
	rcache_put(key, gen, etag, "", 0, body->data ? body->data : "{}",
		   body->data ? body->len : 2);
	if (!http_not_modified(r, etag))
		http_json_text(r, 200, body);
}

bool http_list_cache_key(const struct req *r, const char *prefix, char *key, size_t size)
{
	int n = snprintf(key, size, "%s?%s", prefix, r->query ? r->query : "");

	return n > 0 && (size_t)n < size;
}

void http_cache_keep(struct req *r, const char *key, uint64_t gen, size_t headers_mark)
{
	if (r->status != 200 || headers_mark > r->headers.len)
		return;
	rcache_put(key, gen, "", r->headers.data ? r->headers.data + headers_mark : "",
		   r->headers.len - headers_mark, r->out.data ? r->out.data : "", r->out.len);
}

int http_if_match_or_reply(struct req *r, const char *etag)
{
	if (!r->if_match || !*r->if_match) {
		problem_reply(r, 428, "precondition-required",
			      "Send If-Match with the ETag of the version you are changing.");
		return -1;
	}
	/* Our ETags are strong, but nginx marks them weak (W/) when it gzips an
	 * answer: the same tag in its weak form names the same version. */
	if (!etag_listed(r->if_match, etag)) {
		problem_reply(r, 412, "precondition-failed",
			      "The resource changed since you read it: fetch it again and retry.");
		return -1;
	}
	return 0;
}

/* Rebuilds the query string with cursor replaced, for the Link header. */
static void next_link(struct req *r, const char *cursor)
{
	struct buf q = { 0 };

	for (int i = 0; i < r->nquery; i++) {
		if (!strcmp(r->qp[i].name, "cursor"))
			continue;
		buf_puts(&q, q.len ? "&" : "");
		for (const unsigned char *p = (const unsigned char *)r->qp[i].name; *p; p++)
			buf_printf(&q, isalnum(*p) || strchr("-._~", *p) ? "%c" : "%%%02X", *p);
		buf_puts(&q, "=");
		for (const unsigned char *p = (const unsigned char *)r->qp[i].value; *p; p++)
			buf_printf(&q, isalnum(*p) || strchr("-._~", *p) ? "%c" : "%%%02X", *p);
	}
	buf_printf(&q, "%scursor=%s", q.len ? "&" : "", cursor);
	/* Written straight into the headers: http_header's 1 KiB line would
	 * cut a long query (a 200-character search is 1800 bytes encoded) and
	 * leave a Link without its closing '>'. The path is encoded too, so
	 * that nothing in it (CR, LF, '>', a space) can end the line or the
	 * URI early. */
	buf_puts(&r->headers, "Link: <");
	for (const unsigned char *p = (const unsigned char *)r->path; *p; p++)
		buf_printf(&r->headers, isalnum(*p) || strchr("-._~/", *p) ? "%c" : "%%%02X", *p);
	buf_printf(&r->headers, "?%s>; rel=\"next\"\r\n", buf_str(&q));
	buf_free(&q);
}

void http_list_text(struct req *r, const struct buf *data, const char *next_cursor)
{
	struct buf body = { 0 };

	buf_puts(&body, "{\"data\":");
	buf_append(&body, data->data ? data->data : "[]", data->data ? data->len : 2);
	buf_puts(&body, ",\"next_cursor\":");
	if (next_cursor) {
		buf_printf(&body, "\"%s\"", next_cursor); /* base64url: nothing to escape */
		next_link(r, next_cursor);
	} else {
		buf_puts(&body, "null");
	}
	buf_puts(&body, "}");
	http_text(r, 200, "application/json", body.data, body.len);
	buf_free(&body);
}

void http_json_text(struct req *r, int status, const struct buf *body)
{
	http_text(r, status, "application/json", body->data ? body->data : "{}",
		  body->data ? body->len : 2);
}

void http_list_rows(struct req *r, const PGresult *res, int limit,
		    const char *const *key_cols, int nkeys)
{
	struct buf data = { 0 };
	char *next = NULL;

	jw_rows(&data, res, limit);
	if (PQntuples(res) > limit && nkeys <= CURSOR_MAX_PARTS) {
		const char *key[CURSOR_MAX_PARTS];
		for (int i = 0; i < nkeys; i++)
			key[i] = db_get(res, limit - 1, key_cols[i]);
		next = cursor_encode(key, nkeys);
	}
	http_list_text(r, &data, next);
	buf_free(&data);
	free(next);
}

void http_row(struct req *r, int status, const PGresult *res, int row)
{
	struct buf body = { 0 };

	jw_row(&body, res, row);
	http_json_text(r, status, &body);
	buf_free(&body);
}

void db_error_reply(struct req *r)
{
	if (r->db->in_tx)
		db_rollback(r->db);
	if (r->db->lost)
		problem_reply(r, 503, "service-unavailable",
			      "The database is unavailable; retry shortly.");
	else if (!strcmp(r->db->sqlstate, "40001") || !strcmp(r->db->sqlstate, "40P01"))
		problem_reply(r, 503, "service-unavailable",
			      "A concurrent update got in the way; retry.");
	else
		problem_reply(r, 500, "internal",
			      "The server failed to answer; the request id identifies it in the logs.");
}

PGresult *db_exec_or_reply(struct req *r, struct db_stmt *stmt, int n,
			   const char *const *params)
{
	PGresult *res = db_exec(r->db, stmt, n, params);

	if (!res)
		db_error_reply(r);
	return res;
}

int db_begin_or_reply(struct req *r)
{
	if (db_begin(r->db)) {
		db_error_reply(r);
		return -1;
	}
	return 0;
}

int db_commit_or_reply(struct req *r)
{
	if (db_commit(r->db)) {
		db_error_reply(r);
		return -1;
	}
	return 0;
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

int audit_append_or_reply(struct req *r, const char *action,
			  const char *entity, const char *entity_id,
			  json_t *detail)
{
	DB_STMT(st, "audit_append",
		"SELECT audit_append($1, $2, $3, $4, $5, $6, $7::jsonb)");
	char *d = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
	const char *p[] = { req_actor(r), req_role(r), action, entity, entity_id,
			    r->request_id, d };
	PGresult *res = db_exec_or_reply(r, &st, 7, p);

	free(d);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}
