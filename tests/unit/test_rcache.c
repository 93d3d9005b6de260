/* test_rcache.c - the workers' cache of rendered reads: off until the
 * shared generation is mapped, hits within a generation, nothing across a
 * change, entries stored under an older generation never served, header
 * lines kept with the body, size limits, two keys in one slot. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/base/rcache.h"

static const char key1[] = "units/6f1c8a4e-0000-4000-8000-000000000001";

static void test_off_until_initialised(void **state)
{
	(void)state;
	struct rcache_hit hit;

	assert_int_equal(rcache_generation(), 0);
	rcache_put(key1, rcache_generation(), "\"1\"", "", 0, "{}", 2);
	assert_false(rcache_get(key1, rcache_generation(), &hit));
	rcache_invalidate(); /* harmless without the mapping */
	assert_int_equal(rcache_generation(), 0);
	assert_int_equal(rcache_init(), 0);
	assert_int_not_equal(rcache_generation(), 0);
}

static void test_hit_then_change(void **state)
{
	(void)state;
	struct rcache_hit hit;
	uint64_t gen = rcache_generation();

	assert_false(rcache_get(key1, gen, &hit));
	rcache_put(key1, gen, "\"3\"", "", 0, "{\"name\":\"a\"}", 12);
	assert_true(rcache_get(key1, gen, &hit));
	assert_string_equal(hit.etag, "\"3\"");
	assert_int_equal(hit.len, 12);
	assert_memory_equal(hit.body, "{\"name\":\"a\"}", 12);
	rcache_invalidate();
	assert_int_not_equal(rcache_generation(), gen);
	assert_false(rcache_get(key1, rcache_generation(), &hit));
}

static void test_headers_kept(void **state)
{
	(void)state;
	struct rcache_hit hit;
	uint64_t gen = rcache_generation();
	static const char link[] = "Link: </v1/items?cursor=abc>; rel=\"next\"\r\n";

	rcache_put("items?q=x", gen, "", link, strlen(link), "{\"data\":[]}", 11);
	assert_true(rcache_get("items?q=x", gen, &hit));
	assert_string_equal(hit.etag, "");
	assert_int_equal(hit.headers_len, strlen(link));
	assert_memory_equal(hit.headers, link, strlen(link));
	assert_int_equal(hit.len, 11);
	assert_memory_equal(hit.body, "{\"data\":[]}", 11);
	/* the limit counts headers and body together */
	char *body = calloc(1, RCACHE_BODY_MAX);
	rcache_put("items?q=y", gen, "", link, strlen(link), body, RCACHE_BODY_MAX - strlen(link) + 1);
	assert_false(rcache_get("items?q=y", gen, &hit));
	rcache_put("items?q=y", gen, "", link, strlen(link), body, RCACHE_BODY_MAX - strlen(link));
	assert_true(rcache_get("items?q=y", gen, &hit));
	free(body);
}

/* Rows read before a change, stored after it: stale at birth. */
static void test_put_under_an_older_generation(void **state)
{
	(void)state;
	struct rcache_hit hit;
	uint64_t before = rcache_generation();

	rcache_invalidate();
	rcache_put(key1, before, "\"4\"", "", 0, "{}", 2);
	assert_false(rcache_get(key1, rcache_generation(), &hit));
}

static void test_limits(void **state)
{
	(void)state;
	struct rcache_hit hit;
	uint64_t gen = rcache_generation();
	size_t big = RCACHE_BODY_MAX + 1;
	char *body = malloc(big);
	char long_key[RCACHE_KEY_MAX + 8];

	memset(body, 'x', big);
	rcache_put("items/big", gen, "\"1\"", "", 0, body, big);
	assert_false(rcache_get("items/big", gen, &hit));
	rcache_put("items/big", gen, "\"1\"", "", 0, body, big - 1);
	assert_true(rcache_get("items/big", gen, &hit));
	assert_int_equal(hit.len, big - 1);
	free(body);
	memset(long_key, 'k', sizeof long_key - 1);
	long_key[sizeof long_key - 1] = '\0';
	rcache_put(long_key, gen, "\"1\"", "", 0, "{}", 2);
	assert_false(rcache_get(long_key, gen, &hit));
	rcache_put("items/x", gen, "\"a-very-long-etag-that-does-not-fit-in-the-slot\"", "", 0, "{}", 2);
	assert_false(rcache_get("items/x", gen, &hit));
}

/* Many keys: each found under its own name or not at all, never another's. */
static void test_collisions(void **state)
{
	(void)state;
	struct rcache_hit hit;
	uint64_t gen = rcache_generation();
	char key[64], body[64];
	int found = 0;

	for (int i = 0; i < 4 * RCACHE_SLOTS; i++) {
		snprintf(key, sizeof key, "items/%d", i);
		snprintf(body, sizeof body, "{\"n\":%d}", i);
		rcache_put(key, gen, "\"1\"", "", 0, body, strlen(body));
	}
	for (int i = 0; i < 4 * RCACHE_SLOTS; i++) {
		snprintf(key, sizeof key, "items/%d", i);
		snprintf(body, sizeof body, "{\"n\":%d}", i);
		if (rcache_get(key, gen, &hit)) {
			found++;
			assert_int_equal(hit.len, strlen(body));
			assert_memory_equal(hit.body, body, hit.len);
		}
	}
	assert_true(found > 0 && found <= RCACHE_SLOTS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_until_initialised),
		cmocka_unit_test(test_hit_then_change),
		cmocka_unit_test(test_headers_kept),
		cmocka_unit_test(test_put_under_an_older_generation),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_collisions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
