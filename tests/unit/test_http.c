/* test_http.c - the request as req_init makes it from FastCGI parameters
 * (query decoding and its limits), the query readers that rewrite values,
 * If-None-Match / If-Match lists and the Link header of a list's next page. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/base/config.h"
#include "opengov/server/http.h"

struct env {
	char *vars[8];
	int n;
	FCGX_Request fcgi;
	struct config cfg;
};

static void env_add(struct env *e, const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 2;

	e->vars[e->n] = malloc(len);
	snprintf(e->vars[e->n], len, "%s=%s", name, value);
	e->vars[++e->n] = NULL;
}

/* req_init on a GET of path?query. */
static int req_of(struct req *r, struct env *e, const char *path, const char *query)
{
	memset(e, 0, sizeof *e);
	env_add(e, "REQUEST_METHOD", "GET");
	env_add(e, "DOCUMENT_URI", path);
	env_add(e, "REQUEST_ID", "test");
	if (query)
		env_add(e, "QUERY_STRING", query);
	e->fcgi.envp = e->vars;
	return req_init(r, &e->fcgi, &e->cfg, NULL);
}

static void env_free(struct env *e)
{
	for (int i = 0; i < e->n; i++)
		free(e->vars[i]);
}

/* The Link header's target (between '<' and '>'), malloc'd; fails the test
 * unless the header is one complete line. */
static char *link_target(struct req *r)
{
	const char *h = buf_str(&r->headers);
	const char *l = strstr(h, "Link: <");

	assert_non_null(l);
	const char *end = strstr(l, ">; rel=\"next\"\r\n");
	assert_non_null(end);
	assert_null(memchr(l, '\n', (size_t)(end - l)));
	size_t n = (size_t)(end - l - 7);
	char *t = malloc(n + 1);
	memcpy(t, l + 7, n);
	t[n] = '\0';
	return t;
}

static void next_page(struct req *r)
{
	struct buf data = { 0 };

	buf_puts(&data, "[]");
	http_list_text(r, &data, "WyJhIl0");
	buf_free(&data);
}

/* A 200-character search is 1800 bytes encoded: the Link carries all of
 * it (http_header's 1 KiB line used to cut it, without its '>'). */
static void test_link_long_query(void **state)
{
	(void)state;
	struct env e, e2;
	struct req r, r2;
	char query[4096] = "q=", want[4096] = "/v1/items?q=";

	for (int i = 0; i < 200; i++) {
		strcat(query, "%E5%B8%82");
		strcat(want, "%E5%B8%82");
	}
	strcat(query, "&limit=20&cursor=old");
	strcat(want, "&limit=20&cursor=WyJhIl0");
	assert_int_equal(req_of(&r, &e, "/v1/items", query), 0);
	next_page(&r);
	char *t = link_target(&r);
	assert_string_equal(t, want);
	/* Followed, it is the same query with the new cursor. */
	assert_int_equal(req_of(&r2, &e2, "/v1/items", strchr(t, '?') + 1), 0);
	assert_int_equal(r2.nquery, 3);
	assert_string_equal(http_query(&r2, "q"), http_query(&r, "q"));
	assert_string_equal(http_query(&r2, "cursor"), "WyJhIl0");
	free(t);
	req_free(&r);
	req_free(&r2);
	env_free(&e);
	env_free(&e2);
}

/* Nothing in the path can end the URI or the line. */
static void test_link_path_encoded(void **state)
{
	(void)state;
	struct env e;
	struct req r;

	assert_int_equal(req_of(&r, &e, "/v1/a b>c\r\nX: y", "limit=5"), 0);
	next_page(&r);
	char *t = link_target(&r);
	assert_string_equal(t, "/v1/a%20b%3Ec%0D%0AX%3A%20y?limit=5&cursor=WyJhIl0");
	free(t);
	req_free(&r);
	env_free(&e);
	/* An ordinary path is written as it is. */
	assert_int_equal(req_of(&r, &e, "/v1/requests/6f1c8a4e-0000-4000-8000-000000000001/appeals",
				NULL), 0);
	next_page(&r);
	t = link_target(&r);
	assert_string_equal(t, "/v1/requests/6f1c8a4e-0000-4000-8000-000000000001/appeals"
			       "?cursor=WyJhIl0");
	free(t);
	req_free(&r);
	env_free(&e);
}

/* QUERY_PARAMS_MAX parameters are accepted, one more is not; a cursor has
 * a slot of its own, so the next page's Link (the parameters and a cursor)
 * is accepted too. */
static void test_query_limit_and_link(void **state)
{
	(void)state;
	struct env e, e2;
	struct req r, r2;
	char query[1024] = "";

	for (int i = 0; i < QUERY_PARAMS_MAX; i++)
		sprintf(query + strlen(query), "%sp%d=%d", i ? "&" : "", i, i);
	assert_int_equal(req_of(&r, &e, "/v1/items", query), 0);
	assert_int_equal(r.nquery, QUERY_PARAMS_MAX);
	next_page(&r);
	char *t = link_target(&r);
	assert_int_equal(req_of(&r2, &e2, "/v1/items", strchr(t, '?') + 1), 0);
	assert_int_equal(r2.nquery, QUERY_PARAMS_MAX + 1);
	assert_string_equal(http_query(&r2, "p31"), "31");
	assert_string_equal(http_query(&r2, "cursor"), "WyJhIl0");
	free(t);
	req_free(&r2);
	env_free(&e2);
	/* A repeated cursor is still only the first. */
	strcat(query, "&cursor=a&cursor=b");
	assert_int_equal(req_of(&r2, &e2, "/v1/items", query), 0);
	assert_string_equal(http_query(&r2, "cursor"), "a");
	req_free(&r2);
	env_free(&e2);
	req_free(&r);
	env_free(&e);
	/* One parameter more (not a cursor) is refused: -2, so that the
	 * answer names the limit. */
	strcpy(query + strlen(query) - strlen("&cursor=a&cursor=b"), "&p32=32");
	assert_int_equal(req_of(&r, &e, "/v1/items", query), -2);
	req_free(&r);
	env_free(&e);
}

/* Malformed escapes and bad UTF-8 are refused; '+' is a space; the first
 * of a repeated name counts. */
static void test_query_decoding(void **state)
{
	(void)state;
	static const char *const bad[] = { "q=%", "q=%4", "q=%zz", "q=%4g", "%=x", "q=%00",
					   "q=%C3", "q=%C0%AF", "q=%ED%A0%80" };
	struct env e;
	struct req r;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(req_of(&r, &e, "/v1/items", bad[i]), -1);
		req_free(&r);
		env_free(&e);
	}
	assert_int_equal(req_of(&r, &e, "/v1/items", "q=a+b%2Bc&q=second&&flag&=v"), 0);
	assert_string_equal(http_query(&r, "q"), "a b+c");
	assert_string_equal(http_query(&r, "flag"), "");
	assert_string_equal(http_query(&r, ""), "v");
	assert_int_equal(r.nquery, 3);
	req_free(&r);
	env_free(&e);
}

/* Times are rewritten as UTC with four digits of year, whatever the year
 * (strftime's %Y wrote 541, which is not RFC 3339). */
static void test_time_normalised(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } cases[] = {
		{ "0541-10-01T08:00:00.5%2B08:00", "0541-10-01T00:00:00.5Z" },
		{ "0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z" },
		{ "2019-10-01T08:00:00%2B08:00", "2019-10-01T00:00:00Z" },
		{ "2019-12-31T20:00:00.123456789-05:00", "2020-01-01T01:00:00.123456789Z" },
		{ "9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z" },
	};
	struct env e;
	struct req r;
	char q[128];
	const char *out;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(q, sizeof q, "since=%s", cases[i].in);
		assert_int_equal(req_of(&r, &e, "/v1/items", q), 0);
		assert_int_equal(query_time_or_reply(&r, "since", &out), 0);
		assert_string_equal(out, cases[i].out);
		req_free(&r);
		env_free(&e);
	}
	/* Before year 1 or after 9999 in UTC: refused. */
	assert_int_equal(req_of(&r, &e, "/v1/items", "since=0001-01-01T00:00:00%2B00:01"), 0);
	assert_int_equal(query_time_or_reply(&r, "since", &out), -1);
	assert_int_equal(r.status, 400);
	req_free(&r);
	env_free(&e);
}

/* req_init reads its parameters in one pass: the first of a name wins (as
 * FCGX_GetParam's), a name only matches whole, absent ones are NULL. */
static void test_params_read_in_one_pass(void **state)
{
	(void)state;
	struct env e;
	struct req r;

	memset(&e, 0, sizeof e);
	env_add(&e, "HTTP_X_REQUEST_METHOD", "DELETE");
	env_add(&e, "REQUEST_METHOD", "POST");
	env_add(&e, "DOCUMENT_URI", "/v1/x");
	env_add(&e, "REQUEST_URI", "/v1/%78?a=1");
	env_add(&e, "HTTP_ORIGIN", "https://a.example");
	env_add(&e, "HTTP_ORIGIN", "https://b.example");
	env_add(&e, "HTTP_CACHE_CONTROL", "max-age=0");
	e.fcgi.envp = e.vars;
	assert_int_equal(req_init(&r, &e.fcgi, &e.cfg, NULL), 0);
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.path, "/v1/x");
	assert_string_equal(r.raw_path, "/v1/%78");
	assert_string_equal(r.origin, "https://a.example");
	assert_null(r.authorization);
	assert_null(r.query);
	assert_null(r.pragma);
	assert_int_equal(strlen(r.request_id), 32); /* made up: none came */
	assert_true(http_wants_fresh(&r));
	req_free(&r);
	env_free(&e);

	memset(&e, 0, sizeof e);
	e.fcgi.envp = e.vars;
	assert_int_equal(req_init(&r, &e.fcgi, &e.cfg, NULL), 0);
	assert_string_equal(r.method, "GET");
	assert_string_equal(r.path, "/");
	assert_false(http_wants_fresh(&r));
	req_free(&r);

	env_add(&e, "HTTP_PRAGMA", "no-cache");
	env_add(&e, "REQUEST_URI", "/v1/units?limit=1");
	e.fcgi.envp = e.vars;
	assert_int_equal(req_init(&r, &e.fcgi, &e.cfg, NULL), 0);
	assert_string_equal(r.path, "/v1/units");
	assert_true(http_wants_fresh(&r));
	req_free(&r);
	env_free(&e);
}

static bool etag_names(const char *header, bool if_match)
{
	struct env e;
	struct req r;

	memset(&e, 0, sizeof e);
	env_add(&e, "REQUEST_ID", "test");
	env_add(&e, if_match ? "HTTP_IF_MATCH" : "HTTP_IF_NONE_MATCH", header);
	e.fcgi.envp = e.vars;
	assert_int_equal(req_init(&r, &e.fcgi, &e.cfg, NULL), 0);
	bool yes = if_match ? http_if_match_or_reply(&r, "\"7.1\"") == 0
			    : http_not_modified(&r, "\"7.1\"");
	if (!if_match) {
		assert_non_null(strstr(buf_str(&r.headers), "ETag: \"7.1\"\r\n"));
		assert_int_equal(r.status, yes ? 304 : 200);
	} else if (!yes) {
		assert_int_equal(r.status, *header ? 412 : 428);
	}
	req_free(&r);
	env_free(&e);
	return yes;
}

/* Lists of entity tags, weak or strong, with spaces and empty members. */
static void test_etag_lists(void **state)
{
	(void)state;
	static const char *const yes[] = { "\"7.1\"", "W/\"7.1\"", "\"1\", \"7.1\"",
					   "\"1\",W/\"7.1\"", " , \"7.1\" ,", "*", "\"1\", *" };
	static const char *const no[] = { "", "\"7.10\"", "\"7.\"", "7.1", "\"7.1", "W/",
					  "\"1\", \"2\"", "w/\"7.1\"", "\"7.1\"x", ", ," };

	for (int m = 0; m <= 1; m++) {
		for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
			if (!etag_names(yes[i], m))
				fail_msg("%s does not name \"7.1\"", yes[i]);
		for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
			if (etag_names(no[i], m))
				fail_msg("%s names \"7.1\"", no[i]);
	}
}

/* A header's value, copied or formatted, is one line: CR and LF become
 * spaces, a value is cut at 1023 bytes, a NULL string is empty. */
static void test_header_values(void **state)
{
	(void)state;
	struct env e;
	struct req r;
	char big[2000];

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(req_of(&r, &e, "/v1/items", ""), 0);
	http_header(&r, "X-A", "%s", "one\r\nX-Evil: 1");
	http_header(&r, "X-B", "%d-%s", 7, "a\nb");
	const char *volatile nothing = NULL; /* unknown to the compiler's format check */
	http_header(&r, "X-C", "%s", nothing);
	http_header(&r, "X-D", "%s", big);
	http_header(&r, "X-E", "%.*s", 3000, big);
	char want_d[1100] = "X-D: ";
	memcpy(want_d + 5, big, 1023);
	memcpy(want_d + 5 + 1023, "\r\n", 3);
	struct buf w = { 0 };
	buf_puts(&w, "X-A: one  X-Evil: 1\r\nX-B: 7-a b\r\nX-C: \r\n");
	buf_puts(&w, want_d);
	buf_puts(&w, "X-E: ");
	buf_append(&w, big, 1023);
	buf_puts(&w, "\r\n");
	assert_int_equal(r.headers.len, w.len);
	assert_memory_equal(r.headers.data, w.data, w.len);
	buf_free(&w);
	req_free(&r);
	env_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_long_query),
		cmocka_unit_test(test_link_path_encoded),
		cmocka_unit_test(test_query_limit_and_link),
		cmocka_unit_test(test_query_decoding),
		cmocka_unit_test(test_time_normalised),
		cmocka_unit_test(test_etag_lists),
		cmocka_unit_test(test_params_read_in_one_pass),
		cmocka_unit_test(test_header_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
