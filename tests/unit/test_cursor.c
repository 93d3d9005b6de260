/* test_cursor.c - cursor round trips and rejection of foreign cursors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/base/base64url.h"
#include "opengov/base/cursor.h"

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

/* The cursor whose JSON text is json (any bytes: NULs too), into out
 * (which holds CURSOR_MAX_LEN * 2 bytes). */
static const char *enc_json(const char *json, size_t n, char *out)
{
	b64url_encode((const unsigned char *)json, n, out);
	return out;
}

/* A JSON array of nparts strings of 'x' with the given lengths. */
static size_t json_parts(char *json, const size_t *lens, int nparts)
{
	size_t o = 0;

	json[o++] = '[';
	for (int i = 0; i < nparts; i++) {
		if (i)
			json[o++] = ',';
		json[o++] = '"';
		memset(json + o, 'x', lens[i]);
		o += lens[i];
		json[o++] = '"';
	}
	json[o++] = ']';
	json[o] = '\0';
	return o;
}

/* Decoding copies a part's length + 1 bytes: 127 characters fit the
 * 128-byte slot, 128 must be refused (no one-byte overflow). */
static void test_part_length_limit(void **state)
{
	(void)state;
	char json[1024], c[2 * CURSOR_MAX_LEN];
	char out[2][CURSOR_PART_MAX];
	size_t lens[1];

	for (size_t len = CURSOR_PART_MAX - 3; len <= CURSOR_PART_MAX + 2; len++) {
		lens[0] = len;
		size_t n = json_parts(json, lens, 1);
		memset(out, '#', sizeof out);
		int rc = cursor_decode(enc_json(json, n, c), 1, out);
		if (len < CURSOR_PART_MAX) {
			assert_int_equal(rc, 0);
			assert_int_equal(strlen(out[0]), len);
		} else {
			assert_int_equal(rc, -1);
		}
		/* Nothing is written past the first slot. */
		assert_int_equal(out[1][0], '#');
	}
	/* The same limit counts bytes, not characters: 42 three-byte
	 * characters (126 bytes) fit, 43 (129 bytes) do not. */
	char *p = json;
	*p++ = '[';
	*p++ = '"';
	for (int i = 0; i < 42; i++)
		p += sprintf(p, "市");
	strcpy(p, "\"]");
	assert_int_equal(cursor_decode(enc_json(json, strlen(json), c), 1, out), 0);
	assert_int_equal(strlen(out[0]), 126);
	p = json + strlen(json) - 2;
	strcpy(p, "市\"]");
	assert_int_equal(cursor_decode(enc_json(json, strlen(json), c), 1, out), -1);
	/* Encoding has the same limit. */
	char part[CURSOR_PART_MAX + 1];
	memset(part, 'x', sizeof part);
	part[CURSOR_PART_MAX - 1] = '\0';
	const char *parts[] = { part };
	char *e = cursor_encode(parts, 1);
	assert_non_null(e);
	free(e);
	part[CURSOR_PART_MAX - 1] = 'x';
	part[CURSOR_PART_MAX] = '\0';
	assert_null(cursor_encode(parts, 1));
}

/* The whole cursor: 512 characters (a 384-byte JSON text) are read, 514
 * (the next valid length) and more are not, and nothing overflows the
 * decoding buffer whatever the length. */
static void test_total_length_limit(void **state)
{
	(void)state;
	char json[2048], c[4 * CURSOR_MAX_LEN];
	char out[CURSOR_MAX_PARTS][CURSOR_PART_MAX];
	/* 13 bytes of brackets, quotes and commas around 4 parts. */
	size_t at[] = { 93, 93, 93, 92 }, over[] = { 93, 93, 93, 93 };
	size_t big[] = { 127, 127, 127, 127 };

	size_t n = json_parts(json, at, 4);
	assert_int_equal(n, 384);
	enc_json(json, n, c);
	assert_int_equal(strlen(c), CURSOR_MAX_LEN);
	assert_int_equal(cursor_decode(c, 4, out), 0);
	assert_int_equal(strlen(out[3]), 92);

	n = json_parts(json, over, 4);
	enc_json(json, n, c);
	assert_int_equal(strlen(c), CURSOR_MAX_LEN + 2);
	assert_int_equal(cursor_decode(c, 4, out), -1);
	/* 513 characters: refused for its length, whatever its content. */
	c[CURSOR_MAX_LEN + 1] = '\0';
	assert_int_equal(cursor_decode(c, 4, out), -1);

	/* Four parts at their limit: a 521-byte text, a 695-character
	 * cursor that would not fit the decoding buffer. */
	n = json_parts(json, big, 4);
	enc_json(json, n, c);
	assert_true(strlen(c) > CURSOR_MAX_LEN * 4 / 3);
	assert_int_equal(cursor_decode(c, 4, out), -1);
}

/* Empty cursors and empty payloads. */
static void test_empty(void **state)
{
	(void)state;
	char c[64];
	char out[2][CURSOR_PART_MAX];

	assert_int_equal(cursor_decode("", 1, out), -1);
	assert_int_equal(cursor_decode(NULL, 1, out), -1);
	assert_int_equal(cursor_decode(enc_json("", 0, c), 1, out), -1);
	assert_int_equal(cursor_decode(enc_json("[]", 2, c), 1, out), -1);
	assert_int_equal(cursor_decode(enc_json("\"\"", 2, c), 1, out), -1);
	assert_int_equal(cursor_decode(enc_json("null", 4, c), 1, out), -1);
	assert_int_equal(cursor_decode(enc_json(" ", 1, c), 1, out), -1);
	/* An empty part is a value like any other. */
	memset(out, '#', sizeof out);
	assert_int_equal(cursor_decode(enc_json("[\"\"]", 4, c), 1, out), 0);
	assert_string_equal(out[0], "");
	const char *parts[] = { "", "" };
	char *e = cursor_encode(parts, 2);
	assert_non_null(e);
	assert_int_equal(cursor_decode(e, 2, out), 0);
	assert_string_equal(out[0], "");
	assert_string_equal(out[1], "");
	free(e);
	/* Zero parts asked or given, and more than the maximum. */
	assert_int_equal(cursor_decode(enc_json("[\"a\"]", 5, c), 0, out), -1);
	assert_int_equal(cursor_decode(enc_json("[]", 2, c), 0, out), -1);
	assert_int_equal(cursor_decode(enc_json("[]", 2, c), -1, out), -1);
	assert_null(cursor_encode(parts, 0));
	const char *five[] = { "a", "b", "c", "d", "e" };
	assert_null(cursor_encode(five, CURSOR_MAX_PARTS + 1));
}

/* A NUL inside a part (JSON's \u0000, or a raw NUL byte in the text)
 * would cut the part short in C: refused. */
static void test_embedded_nul(void **state)
{
	(void)state;
	char c[64];
	char out[1][CURSOR_PART_MAX];

	assert_int_equal(cursor_decode(enc_json("[\"a\\u0000b\"]", 12, c), 1, out), -1);
	assert_int_equal(cursor_decode(enc_json("[\"\\u0000\"]", 10, c), 1, out), -1);
	assert_int_equal(cursor_decode(enc_json("[\"a\"]\0", 6, c), 1, out), -1);
	assert_int_equal(cursor_decode(enc_json("[\"a\0b\"]", 7, c), 1, out), -1);
	/* The escape of another control character is fine. */
	assert_int_equal(cursor_decode(enc_json("[\"a\\u0001b\"]", 12, c), 1, out), 0);
	assert_string_equal(out[0], "a\x01" "b");
}

/* Exactly n parts: one more or one less is not our cursor; nor are
 * duplicate keys, nested arrays or trailing bytes. */
static void test_part_count(void **state)
{
	(void)state;
	char c[128];
	char out[CURSOR_MAX_PARTS + 1][CURSOR_PART_MAX];
	static const char three[] = "[\"a\",\"b\",\"c\"]";

	enc_json(three, strlen(three), c);
	assert_int_equal(cursor_decode(c, 3, out), 0);
	assert_string_equal(out[2], "c");
	assert_int_equal(cursor_decode(c, 2, out), -1);
	assert_int_equal(cursor_decode(c, 4, out), -1);
	assert_int_equal(cursor_decode(c, 1, out), -1);
	assert_int_equal(cursor_decode(c, CURSOR_MAX_PARTS + 1, out), -1);
	assert_int_equal(cursor_decode(enc_json("[\"a\",[\"b\"]]", 11, c), 2, out), -1);
	assert_int_equal(cursor_decode(enc_json("[\"a\"] x", 7, c), 1, out), -1);
	assert_int_equal(cursor_decode(enc_json("[\"a\",]", 6, c), 1, out), -1);
	/* A cursor that is one base64url character longer: refused. */
	size_t len = strlen(enc_json(three, strlen(three), c));
	c[len] = 'A';
	c[len + 1] = '\0';
	assert_int_equal(cursor_decode(c, 3, out), -1);
}

/* One value, one spelling: a 4n+1-character input has 6 spare bits and
 * would decode like its 4n-character prefix; the unused low bits of the
 * last character must be zero. */
static void test_b64url_spellings(void **state)
{
	(void)state;
	unsigned char dec[32];

	assert_int_equal(b64url_decode("Zm9v", 4, dec), 3);
	assert_int_equal(b64url_decode("Zm9vA", 5, dec), -1);
	assert_int_equal(b64url_decode("Zm9vZ", 5, dec), -1);
	assert_int_equal(b64url_decode("A", 1, dec), -1);
	assert_int_equal(b64url_decode("AAAAA", 5, dec), -1);
	assert_int_equal(b64url_decode("Zm9vYmFyA", 9, dec), -1);
	assert_int_equal(b64url_decode("", 0, dec), 0);
	/* "Zg" is "f"; "Zh".."Zv" would be "f" too. */
	assert_int_equal(b64url_decode("Zg", 2, dec), 1);
	for (const char *t = "hijklmnopqrstuv"; *t; t++) {
		char s[3] = { 'Z', *t, '\0' };
		assert_int_equal(b64url_decode(s, 2, dec), -1);
	}
	/* "Zm8" is "fo"; "Zm9" would be too. */
	assert_int_equal(b64url_decode("Zm8", 3, dec), 2);
	assert_int_equal(b64url_decode("Zm9", 3, dec), -1);
	/* Padding, the standard alphabet and NUL are not ours. */
	assert_int_equal(b64url_decode("Zg==", 4, dec), -1);
	assert_int_equal(b64url_decode("+/8A", 4, dec), -1);
	assert_int_equal(b64url_decode("Zm\0v", 4, dec), -1);
	/* Every byte value round-trips (the alphabet's ends: '-' and '_'). */
	unsigned char all[256];
	char enc[400];
	unsigned char back[300];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	size_t el = b64url_encode(all, sizeof all, enc);
	assert_int_equal(el, 342);
	assert_int_equal(b64url_decode(enc, el, back), 256);
	assert_memory_equal(back, all, 256);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_rejects_garbage),
		cmocka_unit_test(test_too_long_part),
		cmocka_unit_test(test_b64url),
		cmocka_unit_test(test_part_length_limit),
		cmocka_unit_test(test_total_length_limit),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_part_count),
		cmocka_unit_test(test_b64url_spellings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
