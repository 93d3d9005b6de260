/* test_tokencache.c - the per-worker cache of verified tokens: hits, exp,
 * tampering, eviction. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/base/tokencache.h"

static struct tokencache tc;

static struct claims claims_for(const char *sub, long long exp)
{
	struct claims c = { .role = ROLE_CLERK, .exp = exp };

	snprintf(c.sub, sizeof c.sub, "%s", sub);
	snprintf(c.unit, sizeof c.unit, "6f1c8a4e-0000-4000-8000-000000000001");
	return c;
}

static void test_hit_and_miss(void **state)
{
	(void)state;
	struct claims c = claims_for("alice", 2000), out;

	memset(&tc, 0, sizeof tc);
	assert_false(tokencache_get(&tc, "aaa.bbb.ccc", 1000, &out));
	tokencache_put(&tc, "aaa.bbb.ccc", &c);
	assert_true(tokencache_get(&tc, "aaa.bbb.ccc", 1000, &out));
	assert_string_equal(out.sub, "alice");
	assert_int_equal(out.role, ROLE_CLERK);
	assert_int_equal(tc.hits, 1);
	assert_int_equal(tc.misses, 1);
}

static void test_tampered_token_misses(void **state)
{
	(void)state;
	struct claims c = claims_for("alice", 2000), out;

	memset(&tc, 0, sizeof tc);
	tokencache_put(&tc, "aaa.bbb.ccc", &c);
	assert_false(tokencache_get(&tc, "aaa.bbb.ccd", 1000, &out));
	assert_false(tokencache_get(&tc, "aaa.bbb.cc", 1000, &out));
	assert_false(tokencache_get(&tc, "aaa.bbb.ccc ", 1000, &out));
}

static void test_expiry_is_enforced(void **state)
{
	(void)state;
	struct claims c = claims_for("bob", 2000), out;

	memset(&tc, 0, sizeof tc);
	tokencache_put(&tc, "t1", &c);
	assert_true(tokencache_get(&tc, "t1", 1999, &out));
	assert_false(tokencache_get(&tc, "t1", 2000, &out)); /* exp is exclusive */
	assert_false(tokencache_get(&tc, "t1", 1999, &out)); /* and it was dropped */
}

static void test_many_tokens(void **state)
{
	(void)state;
	char tok[32];
	struct claims out;
	int found = 0;

	memset(&tc, 0, sizeof tc);
	for (int i = 0; i < 1000; i++) {
		snprintf(tok, sizeof tok, "token-%d", i);
		struct claims c = claims_for(tok, 5000);
		tokencache_put(&tc, tok, &c);
	}
	/* Direct-mapped: later tokens evict earlier ones, but whatever is found
	 * is the token's own claims. */
	for (int i = 0; i < 1000; i++) {
		snprintf(tok, sizeof tok, "token-%d", i);
		if (tokencache_get(&tc, tok, 100, &out)) {
			assert_string_equal(out.sub, tok);
			found++;
		}
	}
	assert_true(found > 0 && found <= TOKENCACHE_SLOTS);
	snprintf(tok, sizeof tok, "token-%d", 999);
	assert_true(tokencache_get(&tc, tok, 100, &out)); /* the last one put is there */
}

/* A token longer than an entry holds is never remembered: verified each
 * time, and never mistaken for another that shares its first bytes. */
static void test_long_token_not_remembered(void **state)
{
	(void)state;
	static char tok[TOKENCACHE_TOKEN_MAX + 2];
	struct claims c = claims_for("carol", 2000), out;

	memset(&tc, 0, sizeof tc);
	memset(tok, 'a', sizeof tok - 1);
	tokencache_put(&tc, tok, &c);
	assert_false(tokencache_get(&tc, tok, 1000, &out));
	tok[TOKENCACHE_TOKEN_MAX] = '\0'; /* the longest remembered */
	tokencache_put(&tc, tok, &c);
	assert_true(tokencache_get(&tc, tok, 1000, &out));
	tok[TOKENCACHE_TOKEN_MAX - 1] = '\0';
	assert_false(tokencache_get(&tc, tok, 1000, &out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_and_miss),
		cmocka_unit_test(test_tampered_token_misses),
		cmocka_unit_test(test_expiry_is_enforced),
		cmocka_unit_test(test_many_tokens),
		cmocka_unit_test(test_long_token_not_remembered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
