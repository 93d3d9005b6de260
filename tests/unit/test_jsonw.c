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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_string_escapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
