/* test_router.c - route matching: parameters, 404 versus 405, Allow. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/server/router.h"

static void h(struct req *r) { (void)r; }

static const struct route table[] = {
	{ .method = "GET", .pattern = "/v1/units", .handler = h, .roles = ROLES_ALL, .flags = RT_ANON },
	{ .method = "POST", .pattern = "/v1/units", .handler = h, .roles = ROLES_ALL, .flags = RT_JSON },
	{ .method = "GET", .pattern = "/v1/units/{id}", .handler = h, .roles = ROLES_ALL, .flags = RT_ANON },
	{ .method = "PATCH", .pattern = "/v1/units/{id}", .handler = h, .roles = ROLES_ALL, .flags = RT_JSON },
	{ .method = "GET", .pattern = "/v1/requests/{id}/materials/{mid}/content", .handler = h, .roles = ROLES_ALL, .flags = 0 },
	{ .method = "GET", .pattern = "/v1/audit/verify", .handler = h, .roles = ROLES_ALL, .flags = 0 },
	{ .method = "PUT", .pattern = "/v1/calendar/{date}", .handler = h, .roles = ROLES_ALL, .flags = RT_JSON },
	{ .method = "GET", .pattern = "/v1/calendar/years", .handler = h, .roles = ROLES_ALL, .flags = RT_ANON },
	{ .method = "PUT", .pattern = "/v1/calendar/years/{year}", .handler = h, .roles = ROLES_ALL, .flags = RT_JSON },
};
#define N (sizeof table / sizeof table[0])

static enum match_result match(const char *method, const char *path, size_t *idx,
			       char params[][64], int *np, char *allow)
{
	return router_match(table, N, method, path, idx, params, np, allow, 128);
}

static void test_exact_and_params(void **state)
{
	(void)state;
	char params[PATH_PARAMS_MAX][64], allow[128];
	size_t idx = 99;
	int np = -1;

	assert_int_equal(match("GET", "/v1/units", &idx, params, &np, allow), MATCH_OK);
	assert_int_equal(idx, 0);
	assert_int_equal(np, 0);
	assert_int_equal(match("POST", "/v1/units", &idx, params, &np, allow), MATCH_OK);
	assert_int_equal(idx, 1);
	assert_int_equal(match("GET", "/v1/units/abc", &idx, params, &np, allow), MATCH_OK);
	assert_int_equal(idx, 2);
	assert_int_equal(np, 1);
	assert_string_equal(params[0], "abc");
	assert_int_equal(match("GET", "/v1/requests/r1/materials/m2/content", &idx,
			       params, &np, allow), MATCH_OK);
	assert_int_equal(idx, 4);
	assert_int_equal(np, 2);
	assert_string_equal(params[0], "r1");
	assert_string_equal(params[1], "m2");
	/* A literal segment is not a parameter. */
	assert_int_equal(match("GET", "/v1/audit/verify", &idx, params, &np, allow), MATCH_OK);
	assert_int_equal(idx, 5);
}

static void test_head_is_get(void **state)
{
	(void)state;
	char params[PATH_PARAMS_MAX][64], allow[128];
	size_t idx = 99;
	int np;

	assert_int_equal(match("HEAD", "/v1/units/x", &idx, params, &np, allow), MATCH_OK);
	assert_int_equal(idx, 2);
}

static void test_not_found(void **state)
{
	(void)state;
	char params[PATH_PARAMS_MAX][64], allow[128];
	size_t idx;
	int np;

	assert_int_equal(match("GET", "/v1/unit", &idx, params, &np, allow), MATCH_NO_PATH);
	assert_int_equal(match("GET", "/v1/units/", &idx, params, &np, allow), MATCH_NO_PATH);
	assert_int_equal(match("GET", "/v1/units/a/b", &idx, params, &np, allow), MATCH_NO_PATH);
	assert_int_equal(match("GET", "/v1/unitsx", &idx, params, &np, allow), MATCH_NO_PATH);
	assert_int_equal(match("GET", "", &idx, params, &np, allow), MATCH_NO_PATH);
	assert_int_equal(match("GET", "/", &idx, params, &np, allow), MATCH_NO_PATH);
	assert_int_equal(match("GET", "//v1/units", &idx, params, &np, allow), MATCH_NO_PATH);
	/* An over-long parameter does not match. */
	char longp[200] = "/v1/units/";
	memset(longp + 10, 'a', 100);
	longp[110] = '\0';
	assert_int_equal(match("GET", longp, &idx, params, &np, allow), MATCH_NO_PATH);
}

static void test_method_not_allowed(void **state)
{
	(void)state;
	char params[PATH_PARAMS_MAX][64], allow[128];
	size_t idx;
	int np;

	assert_int_equal(match("DELETE", "/v1/units", &idx, params, &np, allow),
			 MATCH_NO_METHOD);
	assert_string_equal(allow, "OPTIONS, GET, HEAD, POST");
	assert_int_equal(match("PUT", "/v1/units/x", &idx, params, &np, allow),
			 MATCH_NO_METHOD);
	assert_string_equal(allow, "OPTIONS, GET, HEAD, PATCH");
}

/* A literal segment wins over a parameter, whatever the order of the
 * rows: /v1/calendar/years is the list of years, never the date "years". */
static void test_literal_beats_parameter(void **state)
{
	(void)state;
	char params[PATH_PARAMS_MAX][64], allow[128];
	size_t idx;
	int np;

	assert_int_equal(match("GET", "/v1/calendar/years", &idx, params, &np, allow), MATCH_OK);
	assert_int_equal(idx, 7);
	assert_int_equal(np, 0);
	assert_int_equal(match("PUT", "/v1/calendar/years", &idx, params, &np, allow),
			 MATCH_NO_METHOD);
	assert_string_equal(allow, "OPTIONS, GET, HEAD");
	assert_int_equal(match("PUT", "/v1/calendar/2026-10-01", &idx, params, &np, allow),
			 MATCH_OK);
	assert_int_equal(idx, 6);
	assert_string_equal(params[0], "2026-10-01");
	assert_int_equal(match("GET", "/v1/calendar/2026-10-01", &idx, params, &np, allow),
			 MATCH_NO_METHOD);
	assert_string_equal(allow, "OPTIONS, PUT");
	assert_int_equal(match("PUT", "/v1/calendar/years/2027", &idx, params, &np, allow),
			 MATCH_OK);
	assert_int_equal(idx, 8);
	assert_string_equal(params[0], "2027");
	assert_int_equal(match("POST", "/v1/calendar/years/2027", &idx, params, &np, allow),
			 MATCH_NO_METHOD);
	assert_string_equal(allow, "OPTIONS, PUT");
}

static void test_real_table_is_sane(void **state)
{
	(void)state;
	/* Every row of the real table matches itself and no earlier row
	 * shadows it. */
	for (size_t i = 0; i < routes_count; i++) {
		char params[PATH_PARAMS_MAX][64], allow[128], path[256];
		size_t idx = 999;
		int np;
		const char *p = routes[i].pattern;
		size_t o = 0;
		while (*p && o < sizeof path - 40) {
			if (*p == '{') {
				o += (size_t)snprintf(path + o, sizeof path - o,
						      "00000000-0000-0000-0000-000000000000");
				p = strchr(p, '}') + 1;
			} else {
				path[o++] = *p++;
			}
		}
		path[o] = '\0';
		assert_int_equal(router_match(routes, routes_count, routes[i].method, path,
					      &idx, params, &np, allow, sizeof allow),
				 MATCH_OK);
		assert_int_equal(idx, i);
		assert_non_null(routes[i].handler);
	}
}

/* The index files patterns by their first two segments: a pattern with a
 * parameter there is tried for every path, in table order with the rest,
 * and a path of a key no pattern has meets only those. */
static void test_index_keeps_wildcards_and_order(void **state)
{
	(void)state;
	static const struct route t[] = {
		{ .method = "GET", .pattern = "/v1/units/{id}", .handler = h, .roles = ROLES_ALL },
		{ .method = "GET", .pattern = "/{v}/units/special", .handler = h, .roles = ROLES_ALL },
		{ .method = "GET", .pattern = "/healthz", .handler = h, .roles = ROLES_ALL },
		{ .method = "POST", .pattern = "/{v}/units/special", .handler = h, .roles = ROLES_ALL },
	};
	char params[PATH_PARAMS_MAX][64], allow[128];
	size_t idx = 99;
	int np;

	assert_int_equal(router_match(t, 4, "GET", "/v2/units/special", &idx, params, &np, allow, 128),
			 MATCH_OK);
	assert_int_equal(idx, 1);
	assert_string_equal(params[0], "v2");
	/* Both match with one parameter: the first in the table wins. */
	assert_int_equal(router_match(t, 4, "GET", "/v1/units/special", &idx, params, &np, allow, 128),
			 MATCH_OK);
	assert_int_equal(idx, 0);
	assert_int_equal(router_match(t, 4, "POST", "/v1/units/special", &idx, params, &np, allow, 128),
			 MATCH_OK);
	assert_int_equal(idx, 3);
	assert_int_equal(router_match(t, 4, "GET", "/healthz", &idx, params, &np, allow, 128),
			 MATCH_OK);
	assert_int_equal(idx, 2);
	assert_int_equal(router_match(t, 4, "GET", "/healthz/", &idx, params, &np, allow, 128),
			 MATCH_NO_PATH);
	assert_int_equal(router_match(t, 4, "GET", "/nothing", &idx, params, &np, allow, 128),
			 MATCH_NO_PATH);
	assert_int_equal(router_match(t, 4, "GET", "", &idx, params, &np, allow, 128),
			 MATCH_NO_PATH);
	/* The Allow of a wildcard's path comes from the same rows. */
	assert_int_equal(router_match(t, 4, "DELETE", "/v2/units/special", &idx, params, &np, allow, 128),
			 MATCH_NO_METHOD);
	assert_string_equal(allow, "OPTIONS, GET, HEAD, POST");
}

/* A table of more keys than the index holds is scanned whole, and still
 * matches every row. */
static void test_index_too_many_keys(void **state)
{
	(void)state;
	enum { K = 300 };
	static struct route t[K];
	static char pats[K][16];
	char params[PATH_PARAMS_MAX][64], allow[128];
	size_t idx;
	int np;

	for (int i = 0; i < K; i++) {
		snprintf(pats[i], sizeof pats[i], "/k%d/x", i);
		t[i] = (struct route){ .method = "GET", .pattern = pats[i], .handler = h,
				       .roles = ROLES_ALL };
	}
	for (int i = 0; i < K; i += 37) {
		char path[16];
		snprintf(path, sizeof path, "/k%d/x", i);
		assert_int_equal(router_match(t, K, "GET", path, &idx, params, &np, allow, 128),
				 MATCH_OK);
		assert_int_equal(idx, (size_t)i);
	}
	assert_int_equal(router_match(t, K, "GET", "/k1/y", &idx, params, &np, allow, 128),
			 MATCH_NO_PATH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_and_params),
		cmocka_unit_test(test_head_is_get),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_method_not_allowed),
		cmocka_unit_test(test_literal_beats_parameter),
		cmocka_unit_test(test_real_table_is_sane),
		cmocka_unit_test(test_index_keeps_wildcards_and_order),
		cmocka_unit_test(test_index_too_many_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
