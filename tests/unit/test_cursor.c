/* test_cursor.c - cursor round trips and rejection of foreign cursors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/base64url.h"
#include "opengov/cursor.h"

static void test_round_trip(void **state)
{
	(void)state;
	const char *parts[] = { "2019-12-02T08:00:00Z", "6f1c8a4e-0000-4000-8000-000000000001",
				"市公安局 \"quoted\" \\ slash" };
	char out[3][CURSOR_PART_MAX];

	char *c = cursor_encode(parts, 3);
	assert_non_null(c);
	/* URL-safe: no characters that need escaping in a query string. */
	assert_int_equal(strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
			 strlen(c));
	assert_int_equal(cursor_decode(c, 3, out), 0);
	for (int i = 0; i < 3; i++)
		assert_string_equal(out[i], parts[i]);
	/* The wrong number of parts is refused. */
	assert_int_equal(cursor_decode(c, 2, out), -1);
	free(c);
}

static void test_rejects_garbage(void **state)
{
	(void)state;
	char out[1][CURSOR_PART_MAX];
	char big[CURSOR_MAX_LEN + 10];

	assert_int_equal(cursor_decode(NULL, 1, out), -1);
	assert_int_equal(cursor_decode("", 1, out), -1);
	assert_int_equal(cursor_decode("!!!!", 1, out), -1);
	assert_int_equal(cursor_decode("abc", 1, out), -1); /* not JSON */
	assert_int_equal(cursor_decode("e30", 1, out), -1); /* {} */
	assert_int_equal(cursor_decode("WzFd", 1, out), -1); /* [1]: not a string */
	memset(big, 'A', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(cursor_decode(big, 1, out), -1);
}

static void test_too_long_part(void **state)
{
	(void)state;
	char longpart[CURSOR_PART_MAX + 5];

	memset(longpart, 'x', sizeof longpart - 1);
	longpart[sizeof longpart - 1] = '\0';
	const char *parts[] = { longpart };
	assert_null(cursor_encode(parts, 1));
	assert_null(cursor_encode(parts, 0));
}

static void test_b64url(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } cases[] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
		{ "\xfb\xff", "-_8" },
	};
	char enc[64];
	unsigned char dec[64];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = strlen(cases[i].in);
		b64url_encode((const unsigned char *)cases[i].in, n, enc);
		assert_string_equal(enc, cases[i].out);
		assert_int_equal(b64url_decode(enc, strlen(enc), dec), (long)n);
		assert_memory_equal(dec, cases[i].in, n);
	}
	assert_int_equal(b64url_decode("Zm9v=", 5, dec), -1);
	assert_int_equal(b64url_decode("Z", 1, dec), -1);
	assert_int_equal(b64url_decode("Zh", 2, dec), -1); /* non-zero tail bits */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_rejects_garbage),
		cmocka_unit_test(test_too_long_part),
		cmocka_unit_test(test_b64url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
