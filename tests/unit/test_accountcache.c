/* test_accountcache.c - the workers' cache of account and session states:
 * hits within a generation, nothing after an invalidation (a NOTIFY or a
 * reconnect), an entry read under an older generation never served, the
 * session as part of the key, the shared generation seen by a forked
 * worker. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "opengov/base/accountcache.h"

static const char account_id[] = "7a9e2c41-3b5d-4f60-8e1a-2c3d4e5f6a7b";
static const char sid1[] = "0b6f3a52-8d3e-4c59-9f8e-3f1a2b7c9d10";
static const char sid2[] = "0b6f3a52-8d3e-4c59-9f8e-3f1a2b7c9d11";

static void test_hit_then_invalidate(void **state)
{
	(void)state;
	struct account_state in = { .exists = true, .active = true, .version = 2,
				    .session_live = true }, out;
	uint64_t gen = accountcache_generation();

	assert_false(accountcache_get(account_id, sid1, &out));
	accountcache_put(account_id, sid1, gen, &in);
	assert_true(accountcache_get(account_id, sid1, &out));
	assert_true(out.exists && out.active && out.session_live);
	assert_int_equal(out.version, 2);
	/* Another session of the same account is another entry. */
	assert_false(accountcache_get(account_id, sid2, &out));
	assert_false(accountcache_get(account_id, "", &out));
	accountcache_invalidate();
	assert_false(accountcache_get(account_id, sid1, &out));
}

static void test_older_generation_never_served(void **state)
{
	(void)state;
	struct account_state in = { .exists = true, .active = false, .version = 1 }, out;
	uint64_t gen = accountcache_generation();

	/* Read before a change was notified, stored after: stale at once. */
	accountcache_invalidate();
	accountcache_put(account_id, "", gen, &in);
	assert_false(accountcache_get(account_id, "", &out));
	accountcache_put(account_id, "", accountcache_generation(), &in);
	assert_true(accountcache_get(account_id, "", &out));
	assert_false(out.active);
}

static void test_shared_between_workers(void **state)
{
	(void)state;
	struct account_state in = { .exists = true, .active = true, .version = 1 }, out;
	int status = 0;

	assert_int_equal(accountcache_init(), 0);
	accountcache_put(account_id, sid1, accountcache_generation(), &in);
	assert_true(accountcache_get(account_id, sid1, &out));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		accountcache_invalidate(); /* another worker heard a NOTIFY */
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_false(accountcache_get(account_id, sid1, &out));
}

static void test_overlong_keys_not_cached(void **state)
{
	(void)state;
	struct account_state in = { .exists = true }, out;
	char big[100];

	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	accountcache_put(big, "", accountcache_generation(), &in);
	assert_false(accountcache_get(big, "", &out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_then_invalidate),
		cmocka_unit_test(test_older_generation_never_served),
		cmocka_unit_test(test_shared_between_workers),
		cmocka_unit_test(test_overlong_keys_not_cached),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
