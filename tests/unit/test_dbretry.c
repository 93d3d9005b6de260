/* test_dbretry.c - when a request may run again after a database failure
 * (db_request_retry), how often and after what pause; the failure a
 * ROLLBACK must not erase. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/db/db.h"

static void fresh(struct db *db)
{
	memset(db, 0, sizeof *db);
	db_request_begin(db);
}

static void test_nothing_failed(void **state)
{
	(void)state;
	struct db db;

	fresh(&db);
	assert_int_equal(db_request_retry(&db, false), DB_RETRY_NONE);
	assert_int_equal(db_request_retry(&db, true), DB_RETRY_NONE);
	assert_string_equal(db_request_retry_state(&db), "");
}

static void test_aborted_transactions(void **state)
{
	(void)state;
	static const struct {
		const char *sqlstate;
		bool committed;
		enum db_retry want;
	} cases[] = {
		{ "40P01", false, DB_RETRY_DEADLOCK },
		{ "40001", false, DB_RETRY_SERIALIZATION },
		/* an earlier transaction of the request committed: a re-run
		 * would do it twice */
		{ "40P01", true, DB_RETRY_NONE },
		{ "40001", true, DB_RETRY_NONE },
		/* other failures are answered, not re-run */
		{ "", false, DB_RETRY_NONE },
	};
	struct db db;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fresh(&db);
		snprintf(db.retry_state, sizeof db.retry_state, "%s", cases[i].sqlstate);
		db.req_committed = cases[i].committed;
		assert_int_equal(db_request_retry(&db, false), cases[i].want);
		assert_int_equal(db_request_retry(&db, true), cases[i].want);
	}
}

static void test_lost_connection(void **state)
{
	(void)state;
	static const struct {
		bool unsafe, connect_failed, committed, read_only;
		enum db_retry want;
	} cases[] = {
		{ false, false, false, false, DB_RETRY_CONNECTION },
		{ false, false, false, true, DB_RETRY_CONNECTION },
		/* a statement that may have committed: only a read runs again */
		{ true, false, false, false, DB_RETRY_NONE },
		{ true, false, false, true, DB_RETRY_CONNECTION },
		/* the server is still away: the client is told, not kept waiting */
		{ false, true, false, false, DB_RETRY_NONE },
		{ false, true, false, true, DB_RETRY_NONE },
		{ false, false, true, false, DB_RETRY_NONE },
		{ false, false, true, true, DB_RETRY_NONE },
	};
	struct db db;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fresh(&db);
		db.req_lost = true;
		db.req_unsafe = cases[i].unsafe;
		db.req_connect_failed = cases[i].connect_failed;
		db.req_committed = cases[i].committed;
		assert_int_equal(db_request_retry(&db, cases[i].read_only), cases[i].want);
	}
}

static void test_begin_forgets_the_last_request(void **state)
{
	(void)state;
	struct db db;

	fresh(&db);
	strcpy(db.retry_state, "40P01");
	db.req_lost = db.req_unsafe = db.req_committed = db.req_connect_failed = true;
	db.req_ok = 7;
	db_request_begin(&db);
	assert_int_equal(db_request_retry(&db, true), DB_RETRY_NONE);
	assert_int_equal(db.req_ok, 0);
	assert_false(db.req_lost || db.req_unsafe || db.req_committed || db.req_connect_failed);
}

static void test_limits_and_backoff(void **state)
{
	(void)state;
	assert_int_equal(db_retry_limit(DB_RETRY_NONE), 0);
	assert_int_equal(db_retry_limit(DB_RETRY_CONNECTION), 1);
	assert_int_equal(db_retry_limit(DB_RETRY_DEADLOCK), 3);
	assert_int_equal(db_retry_limit(DB_RETRY_SERIALIZATION), 3);
	/* attempt n waits base/2 .. 3 base/2 with base = 5 ms << (n - 1) */
	for (int attempt = 1; attempt <= 3; attempt++) {
		long base = 5000L << (attempt - 1);
		long lo = base, hi = 0;
		for (unsigned rnd = 0; rnd < 100000; rnd += 7) {
			long d = db_retry_delay_us(attempt, rnd * 2654435761u);
			lo = d < lo ? d : lo;
			hi = d > hi ? d : hi;
		}
		assert_true(lo >= base / 2);
		assert_true(hi < base / 2 + base);
		assert_true(hi - lo > base / 2); /* jittered, not a constant */
	}
	/* out of range attempts are clamped, never a negative or huge pause */
	assert_true(db_retry_delay_us(0, 123) >= 2500);
	assert_true(db_retry_delay_us(1000, 0xffffffffu) < 500000);
}

static void test_rollback_keeps_the_failure(void **state)
{
	(void)state;
	struct db db;

	fresh(&db);
	db.in_tx = true;
	strcpy(db.sqlstate, "40P01");
	strcpy(db.constraint, "units_parent_fk");
	db_rollback(&db); /* no connection: nothing sent, the failure stays */
	assert_false(db.in_tx);
	assert_string_equal(db.sqlstate, "40P01");
	assert_string_equal(db.constraint, "units_parent_fk");
}

static void test_unreachable_server_is_not_rerun(void **state)
{
	(void)state;
	DB_STMT(st, "one", "SELECT 1");
	struct db db;

	fresh(&db);
	db.url = "postgresql:///opengov?host=/nonexistent-opengov-test&connect_timeout=1";
	db_request_begin(&db);
	assert_null(db_exec(&db, &st, 0, NULL));
	assert_true(db.lost);
	assert_true(db.req_connect_failed);
	assert_int_equal(db_request_retry(&db, true), DB_RETRY_NONE);
	db_close(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_failed),
		cmocka_unit_test(test_aborted_transactions),
		cmocka_unit_test(test_lost_connection),
		cmocka_unit_test(test_begin_forgets_the_last_request),
		cmocka_unit_test(test_limits_and_backoff),
		cmocka_unit_test(test_rollback_keeps_the_failure),
		cmocka_unit_test(test_unreachable_server_is_not_rerun),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
