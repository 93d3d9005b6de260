/* test_validate.c - the body and value validators, and problem rendering. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/server/problem.h"
#include "opengov/base/validate.h"

static const char *const colours[] = { "red", "green", NULL };

static const char *no_spaces(const char *s)
{
	return strchr(s, ' ') ? "must not contain spaces" : NULL;
}

static const struct field fields[] = {
	{ "name", FT_STRING, F_REQUIRED, 1, 5, NULL, no_spaces, NULL },
	{ "kind", FT_STRING, F_FIXED, 1, 10, NULL, NULL, NULL },
	{ "colour", FT_ENUM, 0, 0, 0, colours, NULL, NULL },
	{ "id", FT_UUID, F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "n", FT_INT, 0, 1, 20, NULL, NULL, NULL },
	{ "flag", FT_BOOL, 0, 0, 0, NULL, NULL, NULL },
	{ "form", FT_OBJECT, 0, 0, 0, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL },
};

static int check(const char *text, struct verrs *v)
{
	json_t *o = json_loads(text, 0, NULL);
	assert_non_null(o);
	memset(v, 0, sizeof *v);
	int n = validate_object(o, fields, v);
	json_decref(o);
	return n;
}

static void test_valid(void **state)
{
	(void)state;
	struct verrs v;

	assert_int_equal(check("{\"name\":\"abc\"}", &v), 0);
	assert_int_equal(check("{\"name\":\"市公安局\",\"colour\":\"red\",\"id\":null,"
			       "\"n\":20,\"flag\":false,\"form\":{}}", &v), 0);
	assert_int_equal(check("{\"name\":\"a\",\"id\":\"6F1C8A4E-0000-4000-8000-000000000001\"}", &v), 0);
}

static void test_each_error(void **state)
{
	(void)state;
	struct verrs v;

	assert_int_equal(check("{}", &v), 1);
	assert_string_equal(v.e[0].pointer, "/name");
	assert_string_equal(v.e[0].message, "is required");

	assert_int_equal(check("{\"name\":\"abc\",\"extra\":1}", &v), 1);
	assert_string_equal(v.e[0].pointer, "/extra");
	assert_string_equal(v.e[0].message, "unknown field");

	assert_int_equal(check("{\"name\":123}", &v), 1);
	assert_string_equal(v.e[0].message, "must be a string");

	/* Length counts characters, not bytes: five CJK characters fit, six do not. */
	assert_int_equal(check("{\"name\":\"市公安局市\"}", &v), 0);
	assert_int_equal(check("{\"name\":\"市公安局市公\"}", &v), 1);
	assert_int_equal(check("{\"name\":\"\"}", &v), 1);
	assert_int_equal(check("{\"name\":\"a b\"}", &v), 1);
	assert_string_equal(v.e[0].message, "must not contain spaces");

	assert_int_equal(check("{\"name\":\"a\",\"colour\":\"blue\"}", &v), 1);
	assert_string_equal(v.e[0].message, "must be one of: red, green");
	assert_int_equal(check("{\"name\":\"a\",\"colour\":null}", &v), 1);

	assert_int_equal(check("{\"name\":\"a\",\"id\":\"not-a-uuid\"}", &v), 1);
	assert_string_equal(v.e[0].message, "must be a UUID");

	assert_int_equal(check("{\"name\":\"a\",\"n\":21}", &v), 1);
	assert_int_equal(check("{\"name\":\"a\",\"n\":0}", &v), 1);
	assert_int_equal(check("{\"name\":\"a\",\"n\":1.5}", &v), 1);
	assert_int_equal(check("{\"name\":\"a\",\"n\":\"3\"}", &v), 1);
	assert_int_equal(check("{\"name\":\"a\",\"n\":99999999999999999}", &v), 1);
	assert_int_equal(check("{\"name\":\"a\",\"flag\":1}", &v), 1);
	assert_int_equal(check("{\"name\":\"a\",\"form\":[]}", &v), 1);
	/* Several errors are all reported. */
	assert_int_equal(check("{\"x\":1,\"y\":2,\"n\":\"z\"}", &v), 4);
}

static void test_patch(void **state)
{
	(void)state;
	struct verrs v = { 0 };
	json_t *o;

	/* Nothing is required in a change, but something must change. */
	o = json_loads("{\"n\":3}", 0, NULL);
	assert_int_equal(validate_patch(o, fields, &v), 0);
	json_decref(o);
	o = json_loads("{}", 0, NULL);
	assert_int_equal(validate_patch(o, fields, &v), 1);
	assert_string_equal(v.e[0].pointer, "");
	json_decref(o);
	/* A fixed member may be set at creation, never changed. */
	memset(&v, 0, sizeof v);
	o = json_loads("{\"name\":\"a\",\"kind\":\"x\"}", 0, NULL);
	assert_int_equal(validate_object(o, fields, &v), 0);
	assert_int_equal(validate_patch(o, fields, &v), 1);
	assert_string_equal(v.e[0].pointer, "/kind");
	assert_string_equal(v.e[0].message, "cannot be changed");
	json_decref(o);
	/* Bounds and types still hold. */
	memset(&v, 0, sizeof v);
	o = json_loads("{\"n\":99,\"zz\":1}", 0, NULL);
	assert_int_equal(validate_patch(o, fields, &v), 2);
	json_decref(o);
}

static void test_not_object(void **state)
{
	(void)state;
	struct verrs v = { 0 };
	json_t *a = json_array();

	assert_int_equal(validate_object(a, fields, &v), 1);
	assert_string_equal(v.e[0].pointer, "");
	json_decref(a);
}

static void test_many_errors_capped(void **state)
{
	(void)state;
	struct verrs v = { 0 };

	for (int i = 0; i < 40; i++)
		verrs_add(&v, "/x", "m%d", i);
	assert_int_equal(v.n, VERR_MAX);
}

static void test_utf8(void **state)
{
	(void)state;
	assert_true(utf8_valid("abc", 3));
	assert_true(utf8_valid("市公安局", strlen("市公安局")));
	assert_true(utf8_valid("\xf0\x9f\x98\x80", 4)); /* emoji */
	assert_false(utf8_valid("\xff", 1));
	assert_false(utf8_valid("\xc3", 1));             /* truncated */
	assert_false(utf8_valid("\xe5\xb8", 2));         /* truncated */
	assert_false(utf8_valid("\xc0\xaf", 2));         /* overlong */
	assert_false(utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	assert_false(utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(utf8_valid("a\0b", 3));
	assert_int_equal(utf8_length("市公安局ab"), 6);
}

static void test_depth(void **state)
{
	(void)state;
	char deep[100];

	assert_int_equal(json_text_depth("{}", 2), 1);
	assert_int_equal(json_text_depth("{\"a\":[{}]}", 10), 3);
	assert_int_equal(json_text_depth("{\"a\":\"[[[[\\\"[[\"}", 15), 1);
	memset(deep, '[', 33);
	memset(deep + 33, ']', 33);
	assert_int_equal(json_text_depth(deep, 66), 33);
}

static void test_rfc3339(void **state)
{
	(void)state;
	long long t;

	assert_int_equal(rfc3339_parse("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(rfc3339_parse("2019-10-01T08:00:00+08:00", &t), 0);
	assert_int_equal(t, 1569888000);
	assert_int_equal(rfc3339_parse("2019-10-01T00:00:00.123456Z", &t), 0);
	assert_int_equal(rfc3339_parse("2020-02-29T00:00:00Z", &t), 0);
	assert_int_equal(rfc3339_parse("2019-02-29T00:00:00Z", &t), -1);
	assert_int_equal(rfc3339_parse("2019-13-01T00:00:00Z", &t), -1);
	assert_int_equal(rfc3339_parse("2019-10-01", &t), -1);
	assert_int_equal(rfc3339_parse("2019-10-01T00:00:00", &t), -1);
	assert_int_equal(rfc3339_parse("2019-10-01T00:00:00Zjunk", &t), -1);
}

static void expect_date(const char *s, int y, int m, int d)
{
	int yy = -1, mm = -1, dd = -1;

	if (date_parse(s, &yy, &mm, &dd) != 0)
		fail_msg("date_parse refused %s", s);
	assert_int_equal(yy, y);
	assert_int_equal(mm, m);
	assert_int_equal(dd, d);
}

static void refuse_date(const char *s)
{
	int y, m, d;

	if (date_parse(s, &y, &m, &d) != -1)
		fail_msg("date_parse accepted %s", s);
}

/* Real calendar dates only: the last day of every month at, below and
 * above it, the leap-year rule's three clauses, the year bounds. */
static void test_date_parse(void **state)
{
	(void)state;
	static const int last[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	char s[32];

	for (int m = 1; m <= 12; m++) {
		snprintf(s, sizeof s, "2026-%02d-%02d", m, last[m - 1]);
		expect_date(s, 2026, m, last[m - 1]);
		snprintf(s, sizeof s, "2026-%02d-%02d", m, last[m - 1] - 1);
		expect_date(s, 2026, m, last[m - 1] - 1);
		snprintf(s, sizeof s, "2026-%02d-%02d", m, last[m - 1] + 1);
		refuse_date(s);
		snprintf(s, sizeof s, "2026-%02d-01", m);
		expect_date(s, 2026, m, 1);
		snprintf(s, sizeof s, "2026-%02d-00", m);
		refuse_date(s);
	}
	refuse_date("2026-04-31");
	refuse_date("2019-02-29");
	expect_date("2020-02-29", 2020, 2, 29);
	refuse_date("2020-02-30");
	refuse_date("1900-02-29"); /* divisible by 100: not leap */
	refuse_date("2100-02-29");
	refuse_date("2200-02-29"); /* by 40 and 100, not 400 */
	expect_date("2000-02-29", 2000, 2, 29); /* by 400: leap */
	expect_date("2400-02-29", 2400, 2, 29);
	expect_date("2024-02-29", 2024, 2, 29);
	refuse_date("2026-00-10");
	refuse_date("2026-13-01");
	expect_date("2026-12-31", 2026, 12, 31);
	/* Years 1900..9999. */
	expect_date("1900-01-01", 1900, 1, 1);
	refuse_date("1899-12-31");
	refuse_date("0000-01-01");
	expect_date("9999-12-31", 9999, 12, 31);
	/* The exact shape: ten characters, ASCII digits, '-' separators. */
	refuse_date("");
	refuse_date("2026-4-30");
	refuse_date("2026-04-3");
	refuse_date("2026-04-300");
	refuse_date("2026-04-30 ");
	refuse_date(" 2026-04-30");
	refuse_date("2026/04/30");
	refuse_date("20260430xx");
	refuse_date("+026-04-30");
	refuse_date("2026-+4-30");
	refuse_date("2026-04-+3");
	refuse_date("2026-04-3a");
	refuse_date("2026-04-30T00:00:00Z");
}

static void expect_time(const char *s, long long want)
{
	long long t = -12345;

	if (rfc3339_parse(s, &t) != 0)
		fail_msg("rfc3339_parse refused %s", s);
	if (t != want)
		fail_msg("rfc3339_parse(%s) = %lld, want %lld", s, t, want);
}

static void refuse_time(const char *s)
{
	long long t;

	if (rfc3339_parse(s, &t) != -1)
		fail_msg("rfc3339_parse accepted %s", s);
}

/* Each field at, below and above its limit; offsets both ways. */
static void test_rfc3339_limits(void **state)
{
	(void)state;
	const long long day = 1569888000; /* 2019-10-01T00:00:00Z */

	expect_time("2019-10-01T23:00:00Z", day + 23 * 3600);
	refuse_time("2019-10-01T24:00:00Z");
	refuse_time("2019-10-01T25:00:00Z");
	expect_time("2019-10-01T00:59:00Z", day + 59 * 60);
	refuse_time("2019-10-01T00:60:00Z");
	expect_time("2019-10-01T00:00:59Z", day + 59);
	/* A leap second is read as the second before it; 61 never exists. */
	expect_time("2016-12-31T23:59:60Z", 1483228799);
	expect_time("2016-12-31T23:59:59Z", 1483228799);
	refuse_time("2016-12-31T23:59:61Z");
	/* Lower case t and z (RFC 3339 section 5.6 note). */
	expect_time("2019-10-01t00:00:00z", day);
	refuse_time("2019-10-01 00:00:00Z");
	/* Fractions: one to nine digits, ignored. */
	expect_time("2019-10-01T00:00:00.5Z", day);
	expect_time("2019-10-01T00:00:00.123456789Z", day);
	refuse_time("2019-10-01T00:00:00.1234567890Z");
	refuse_time("2019-10-01T00:00:00.Z");
	refuse_time("2019-10-01T00:00:00,5Z");
	/* Offsets: +hh:mm east of UTC is earlier in UTC. */
	expect_time("2019-10-01T08:00:00+08:00", day);
	expect_time("2019-09-30T19:00:00-05:00", day);
	expect_time("2019-10-01T05:30:00+05:30", day);
	expect_time("2019-10-01T00:00:00+00:00", day);
	expect_time("2019-10-01T00:00:00-00:00", day);
	expect_time("2019-10-01T23:59:00+23:59", day + 23 * 3600 + 59 * 60 - (23 * 3600 + 59 * 60));
	expect_time("2019-10-01T00:00:00-23:59", day + 23 * 3600 + 59 * 60);
	refuse_time("2019-10-01T00:00:00+24:00");
	refuse_time("2019-10-01T00:00:00+08:60");
	refuse_time("2019-10-01T00:00:00+0800");
	refuse_time("2019-10-01T00:00:00+08");
	refuse_time("2019-10-01T00:00:00+08:00:00");
	refuse_time("2019-10-01T00:00:00+08:0");
	refuse_time("2019-10-01T00:00:00+8:00");
	refuse_time("2019-10-01T00:00:00.5+08:00x");
	/* Dates as strictly as date_parse (years from 0001 here). */
	refuse_time("2026-04-31T00:00:00Z");
	expect_time("2026-04-30T00:00:00Z", 1777507200);
	refuse_time("2019-02-29T00:00:00Z");
	expect_time("2020-02-29T00:00:00Z", 1582934400);
	refuse_time("2100-02-29T00:00:00Z");
	refuse_time("1800-02-29T00:00:00Z");
	refuse_time("2200-02-29T00:00:00Z");
	expect_time("1600-02-29T00:00:00Z", -11670998400LL);
	expect_time("2000-02-29T00:00:00Z", 951782400);
	refuse_time("2019-00-01T00:00:00Z");
	refuse_time("2019-10-00T00:00:00Z");
	refuse_time("2019-10-32T00:00:00Z");
	refuse_time("0000-01-01T00:00:00Z");
	expect_time("0001-01-01T00:00:00Z", -62135596800LL);
	expect_time("9999-12-31T23:59:59Z", 253402300799LL);
	/* Shape. */
	refuse_time("");
	refuse_time("2019-10-01T00:00:00");
	refuse_time("2019-10-01T0:00:00Z");
	refuse_time("2019-10-01T00:00Z");
	refuse_time("2019-10-01T-1:00:00Z");
	refuse_time("2019-10-01T00:00:00ZZ");
}

static void test_problem_render(void **state)
{
	(void)state;
	struct verrs v = { 0 };

	verrs_add(&v, "/code", "is required");
	json_t *p = problem_render(422, "validation", "unit_invalid", "The unit is invalid.",
				   LANG_EN, "/v1/units", "abc123", &v);
	assert_string_equal(json_string_value(json_object_get(p, "type")), "/problems/validation");
	assert_string_equal(json_string_value(json_object_get(p, "title")), "Unprocessable Content");
	assert_int_equal(json_integer_value(json_object_get(p, "status")), 422);
	assert_string_equal(json_string_value(json_object_get(p, "detail")), "The unit is invalid.");
	assert_string_equal(json_string_value(json_object_get(p, "instance")), "/v1/units");
	assert_string_equal(json_string_value(json_object_get(p, "request_id")), "abc123");
	json_t *errs = json_object_get(p, "errors");
	assert_int_equal(json_array_size(errs), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 0), "pointer")),
			    "/code");
	assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 0), "code")),
			    "required");
	assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 0), "message")),
			    "is required");
	assert_string_equal(json_string_value(json_object_get(p, "code")), "unit_invalid");
	json_decref(p);

	/* In Chinese: the title and the errors' messages; no code given is
	 * the type's generic one. */
	p = problem_render(422, "validation", NULL, "单位信息有误。", LANG_ZH, "/v1/units", "abc123", &v);
	assert_string_equal(json_string_value(json_object_get(p, "title")), "内容无法处理");
	assert_string_equal(json_string_value(json_object_get(p, "code")), "validation");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(p, "errors"), 0), "message")),
			    "为必填项");
	json_decref(p);

	p = problem_render(404, "not-found", NULL, NULL, LANG_EN, NULL, NULL, NULL);
	assert_null(json_object_get(p, "errors"));
	assert_string_equal(json_string_value(json_object_get(p, "detail")), "Not Found");
	assert_string_equal(json_string_value(json_object_get(p, "code")), "not_found");
	json_decref(p);
	assert_string_equal(problem_title(503), "Service Unavailable");
	assert_string_equal(problem_title(429), "Too Many Requests");
}

/* The search's rule (issue 13): refused exactly when no bigram and no
 * non-ASCII character exists, at the edges of the string too. */
static void test_search_query_indexable(void **state)
{
	(void)state;
	static const char *const yes[] = { "ab", "20", "a%", "%_", " ab ", "a bc", "户",
		"a 户", "é", "x  yz", NULL };
	static const char *const no[] = { "a", "%", "a b", "l R", "_", " x ", "a b c d",
		"", "   ", NULL };

	for (int i = 0; yes[i]; i++)
		assert_true(search_query_indexable(yes[i]));
	for (int i = 0; no[i]; i++)
		assert_false(search_query_indexable(no[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_each_error),
		cmocka_unit_test(test_patch),
		cmocka_unit_test(test_not_object),
		cmocka_unit_test(test_many_errors_capped),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_date_parse),
		cmocka_unit_test(test_rfc3339_limits),
		cmocka_unit_test(test_problem_render),
		cmocka_unit_test(test_search_query_indexable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
