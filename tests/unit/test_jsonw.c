/* test_jsonw.c - the buffer writer's nesting: commas, keys and closing
 * brackets where a JSON parser expects them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/db/jsonw.h"

static void test_nested(void **state)
{
	(void)state;
	struct buf b = { 0 };
	struct jw w;

	jw_init(&w, &b);
	jw_object(&w, NULL);
	jw_raw(&w, "year", "2019");
	jw_str(&w, "unit", NULL);
	jw_array(&w, "rows");
	jw_object(&w, NULL);
	jw_str(&w, "k", "a\"b\n");
	jw_int(&w, "n", -3);
	jw_end(&w);
	jw_object(&w, NULL);
	jw_end(&w);
	jw_array(&w, NULL);
	jw_bool(&w, NULL, true);
	jw_raw(&w, NULL, NULL);
	jw_end(&w);
	jw_end(&w);
	jw_member(&w, "raw");
	buf_puts(&b, "{}");
	jw_end(&w);
	buf_append(&b, "", 1);
	assert_string_equal(b.data, "{\"year\":2019,\"unit\":null,\"rows\":[{\"k\":\"a\\\"b\\n\",\"n\":-3},"
				    "{},[true,null]],\"raw\":{}}");
	/* A stray end writes nothing. */
	jw_end(&w);
	assert_int_equal(b.len, strlen(b.data) + 1);
	buf_free(&b);
}

static void test_string_escapes(void **state)
{
	(void)state;
	struct buf b = { 0 };

	jw_string(&b, "\x01\t\\/\xe5\xb8\x82");
	buf_append(&b, "", 1);
	assert_string_equal(b.data, "\"\\u0001\\t\\\\/\xe5\xb8\x82\"");
	buf_free(&b);
}

/* jw_key's one-append path and its fall-back agree: plain, escaped and
 * long keys, first and later. */
static void test_keys(void **state)
{
	(void)state;
	struct buf b = { 0 };
	bool first = true;
	char lng[101];

	memset(lng, 'k', 100);
	lng[100] = '\0';
	jw_key(&b, &first, "id");
	buf_puts(&b, "1");
	jw_key(&b, &first, "a\"b");
	buf_puts(&b, "2");
	jw_key(&b, &first, lng);
	buf_puts(&b, "3");
	jw_key(&b, &first, "");
	buf_puts(&b, "4");
	assert_int_equal(strncmp(b.data, "\"id\":1,\"a\\\"b\":2,\"kkk", 20), 0);
	assert_int_equal(b.len, strlen("\"id\":1,\"a\\\"b\":2,\"\":3,\"\":4") + 100);
	assert_string_equal(b.data + b.len - 12, "kkkk\":3,\"\":4");
	buf_free(&b);

	buf_printf(&b, "%d-%s", 42, "x");
	buf_printf(&b, "%s", lng);
	char big[401];
	memset(big, 'z', 400);
	big[400] = '\0';
	buf_printf(&b, "%s!", big); /* does not fit: formatted again */
	assert_int_equal(b.len, 505);
	assert_int_equal(strlen(b.data), 505);
	assert_string_equal(b.data + 500, "zzzz!");
	assert_int_equal(strncmp(b.data, "42-xkkk", 7), 0);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
