/* reply.c - the answer the handlers build: headers, JSON and text bodies,
 * list pages with their Link, problem+json; written to the FastCGI stream. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <xxhash.h>

#include "opengov/base/cursor.h"
#include "opengov/base/log.h"
#include "opengov/base/metrics.h"
#include "opengov/base/msg.h"
#include "opengov/db/jsonw.h"
#include "opengov/server/conditional.h"
#include "opengov/server/fcgiconn.h"
#include "opengov/server/problem.h"
#include "opengov/server/reply.h"
#include "opengov/server/router.h"

void http_header(struct req *r, const char *name, const char *fmt, ...)
{
	va_list ap;
	char value[1024];
	size_t len;

	va_start(ap, fmt);
	if (!strcmp(fmt, "%s")) {
		/* Most values are one string: copied, not formatted. */
		const char *v = va_arg(ap, const char *);
		if (!v)
			v = "";
		len = strnlen(v, sizeof value - 1);
		memcpy(value, v, len);
		value[len] = '\0';
	} else {
		vsnprintf(value, sizeof value, fmt, ap);
	}
	va_end(ap);
	/* Header values never carry CR or LF: a split header is an injection.
	 * (A NUL written by the format ends the value.) */
	for (len = 0; value[len]; len++)
		if (value[len] == '\r' || value[len] == '\n')
			value[len] = ' ';
	buf_puts(&r->headers, name);
	buf_append(&r->headers, ": ", 2);
	buf_append(&r->headers, value, len);
	buf_append(&r->headers, "\r\n", 2);
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

/* Adds the tokens of a Vary value (v, n bytes) to list, each once. */
static void vary_merge(char *list, size_t size, const char *v, size_t n)
{
	while (n) {
		while (n && (*v == ' ' || *v == ',' || *v == '\t')) {
			v++;
			n--;
		}
		size_t k = 0;
		while (k < n && v[k] != ',' && v[k] != ' ' && v[k] != '\t')
			k++;
		if (k) {
			bool seen = false;
			for (const char *p = list; *p; ) {
				size_t m = strcspn(p, ",");
				if (m == k && !strncasecmp(p, v, k))
					seen = true;
				p += m;
				while (*p == ',' || *p == ' ')
					p++;
			}
			size_t len = strlen(list);
			if (!seen && len + k + 3 < size) {
				if (len)
					strcat(list, ", ");
				strncat(list, v, k);
			}
		}
		v += k;
		n -= k;
	}
}

/* Appends the header lines but Vary, whose values are merged into vary. */
static void put_headers(struct buf *out, const struct buf *h, char *vary, size_t size)
{
	const char *p = h->data, *end = h->data ? h->data + h->len : NULL;

	while (p && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *next = eol ? eol + 1 : end;
		if ((size_t)(end - p) > 5 && !strncasecmp(p, "Vary:", 5)) {
			const char *v = p + 5, *ve = eol ? eol : end;
			if (ve > v && ve[-1] == '\r')
				ve--;
			vary_merge(vary, size, v, (size_t)(ve - v));
		} else {
			buf_append(out, p, (size_t)(next - p));
		}
		p = next;
	}
}

/* Answers larger than this go out in one writev (fcgi_write_stdout); smaller
 * ones fit libfcgi's 8 KiB buffer and leave with its end-of-request records,
 * in the one write of FCGX_Finish_r. */
#define SEND_DIRECT_MIN 8000

void http_send(struct req *r)
{
	static struct buf head; /* kept between answers: one allocation per worker */
	char vary[160] = "";
	bool with_body = strcmp(r->method, "HEAD") && r->out.len && r->status != 304 &&
			 r->status != 204;

	buf_reset(&head);
	buf_printf(&head, "Status: %d %s\r\n", r->status, reason(r->status));
	put_headers(&head, &r->headers, vary, sizeof vary);
	/* Human text (problems, next steps) is in the negotiated language:
	 * every answer varies with Accept-Language, in one Vary line with the
	 * other header names it varies with (Origin, Authorization). */
	vary_merge(vary, sizeof vary, "Accept-Language", 15);
	buf_puts(&head, "Vary: ");
	buf_puts(&head, vary);
	buf_puts(&head, "\r\n");
	/* On every answer, problems and cached ones included: no browser
	 * guesses another type than the one sent, and no link followed from
	 * an answer (a file, the docs) tells its target where it was. */
	buf_puts(&head, "X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n");
	if (r->out_type) {
		buf_puts(&head, "Content-Type: ");
		buf_puts(&head, r->out_type);
		buf_puts(&head, "\r\n");
		if (strstr(r->out_type, "json")) {
			buf_puts(&head, "Content-Language: ");
			buf_puts(&head, lang_tag(r->lang));
			buf_puts(&head, "\r\n");
		}
	}
	if (r->status != 304 && r->status != 204)
		buf_printf(&head, "Content-Length: %lu\r\n", (unsigned long)r->out.len);
	buf_puts(&head, "\r\n");
	if (with_body && head.len + r->out.len > SEND_DIRECT_MIN) {
		/* A failed write leaves nothing to do: nginx has gone, and
		 * FCGX_Finish_r finds the connection broken. */
		(void)fcgi_write_stdout(r->fcgi, head.data, head.len, r->out.data, r->out.len);
		return;
	}
	FCGX_PutStr(head.data, (int)head.len, r->fcgi->out);
	if (with_body)
		FCGX_PutStr(r->out.data, (int)r->out.len, r->fcgi->out);
}

/* The code and text of a plain detail in r's language; a detail that is
 * not in the catalogue keeps its English, takes the type's generic code
 * and is logged. */
static const char *detail_in(struct req *r, const char *slug, const char *detail,
			     const char **code)
{
	const struct msg *m = detail ? msg_find(detail, 0) : NULL;

	*code = m && m->kind == MSG_PROBLEM ? m->code : NULL;
	if (detail && !m)
		log_warn("message not in the catalogue: \"%s\" (%s)", detail, slug);
	return m && r->lang == LANG_ZH ? m->zh : detail;
}

static void problem_send(struct req *r, int status, json_t *p)
{
	if (status == 401)
		http_header(r, "WWW-Authenticate", "Bearer realm=\"opengov\"");
	if (status == 503)
		http_header(r, "Retry-After", "5");
	http_json(r, status, p);
}

json_t *problem_new(struct req *r, int status, const char *slug, const char *detail,
		    const struct verrs *errs)
{
	const char *code;
	const char *text = detail_in(r, slug, detail, &code);

	return problem_render(status, slug, code, text, r->lang, r->raw_path, r->request_id, errs);
}

void problem_reply_errors(struct req *r, int status, const char *slug,
			  const char *detail, const struct verrs *errs)
{
	problem_send(r, status, problem_new(r, status, slug, detail, errs));
}

void problem_reply(struct req *r, int status, const char *slug,
		   const char *detail)
{
	problem_reply_errors(r, status, slug, detail, NULL);
}

void problem_reply_member(struct req *r, int status, const char *slug,
			  const char *detail, const char *member, const char *value)
{
	json_t *p = problem_new(r, status, slug, detail, NULL);

	json_object_set_new(p, member, json_string(value));
	problem_send(r, status, p);
}

void problem_replyf(struct req *r, int status, const char *slug,
		    const char *fmt, ...)
{
	char detail[768];
	va_list ap;

	va_start(ap, fmt);
	const struct msg *m = msg_vformat(detail, sizeof detail, r->lang, fmt, ap);
	va_end(ap);
	if (!m)
		log_warn("message not in the catalogue: \"%s\" (%s)", fmt, slug);
	const char *code = m && m->kind == MSG_PROBLEM ? m->code : NULL;
	problem_send(r, status, problem_render(status, slug, code, detail, r->lang, r->raw_path,
					       r->request_id, NULL));
}

void conflict_reply(struct req *r, const char *detail, const char *status,
		    const char *const *allowed)
{
	const char *code;
	const char *text = detail_in(r, "conflict", detail, &code);

	conflict_reply_text(r, code, text, status, allowed);
}

void conflict_reply_text(struct req *r, const char *code, const char *text,
			 const char *status, const char *const *allowed)
{
	json_t *p = problem_render(409, "conflict", code, text, r->lang, r->raw_path,
				   r->request_id, NULL);
	json_t *a = json_array();

	for (int i = 0; allowed && allowed[i]; i++)
		json_array_append_new(a, json_string(allowed[i]));
	json_object_set_new(p, "current_status", json_string(status));
	json_object_set_new(p, "allowed_actions", a);
	http_json(r, 409, p);
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
	/* A page's validator is a hash of the page: it changes whenever any
	 * byte of it would (a row, its order, the next cursor, the caller's
	 * view of it), with no query of its own. XXH3's 128 bits: a validator
	 * needs no secrecy, only that two pages never share one (SHA-256 took
	 * 16 us of a 26 kB page, a tenth of the worker's time on it). */
	XXH128_hash_t hv = XXH3_128bits(body.data, body.len);
	char etag[40];
	snprintf(etag, sizeof etag, "\"L%016llx%016llx\"", (unsigned long long)hv.high64,
		 (unsigned long long)hv.low64);
	/* What a page holds depends on who asks (their role, unit, own rows). */
	const char *h = r->headers.data ? r->headers.data : "";
	if (strncmp(h, "Vary: Authorization", 19) && !strstr(h, "\nVary: Authorization"))
		http_header(r, "Vary", "Authorization");
	if (!http_not_modified(r, etag))
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
