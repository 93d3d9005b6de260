/* test_dbstmt.c - the registry of prepared statements: what db_stmts_check()
 * refuses (two statements of one name above all), that the executable's own
 * registry is clean, how :name parameters become $n, and the binder. The
 * tables here are built by hand, not with DB_STMT, so that they stay out
 * of this executable's registry. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/db/db.h"

#define STMT(n, s) { .name = (n), .sql = (s), .file = "t.c", .line = __LINE__ }

/* db_stmts_check of a table, its report in out (freed by the caller). */
static int check(struct db_stmt *const *stmts, size_t n, const struct db_arg_use *const *uses,
		 size_t nuses, char **out)
{
	size_t len;
	FILE *f = open_memstream(out, &len);
	int problems = db_stmts_check(stmts, n, uses, nuses, f);

	fclose(f);
	return problems;
}

static void test_duplicate_names(void **state)
{
	(void)state;
	static struct db_stmt a = STMT("items_get", "SELECT 1");
	static struct db_stmt b = STMT("units_get", "SELECT 2");
	static struct db_stmt c = STMT("items_get", "SELECT 3");
	struct db_stmt *const table[] = { &a, &b, NULL, &c };
	char *out;

	assert_int_equal(check(table, 4, NULL, 0, &out), 1);
	assert_non_null(strstr(out, "statement name items_get is declared twice"));
	free(out);
	assert_int_equal(check(table, 2, NULL, 0, &out), 0);
	free(out);
}

static void test_names_and_sql(void **state)
{
	(void)state;
	static char longname[80];
	memset(longname, 'x', 64);
	static struct db_stmt s[] = {
		STMT("", "SELECT 1"),
		STMT(longname, "SELECT 1"),
		STMT("dyn12", "SELECT 1"),
		STMT("empty", ""),
		STMT("mixed", "SELECT $1, :a"),
		STMT("gap", "SELECT $1, $3"),
		STMT("quote", "SELECT 'abc"),
		STMT("comment", "SELECT /* a /* b */ 1"),
		STMT("dollar", "SELECT $q$ abc"),
		STMT("dynamo", "SELECT $1::int"), /* fine: only dyn<digits> is reserved */
	};
	struct db_stmt *table[sizeof s / sizeof *s];
	char *out;

	for (size_t i = 0; i < sizeof s / sizeof *s; i++)
		table[i] = &s[i];
	assert_int_equal(check(table, sizeof s / sizeof *s, NULL, 0, &out), 9);
	assert_non_null(strstr(out, "has no name"));
	assert_non_null(strstr(out, "name longer than 63 bytes"));
	assert_non_null(strstr(out, "statement dyn12"));
	assert_non_null(strstr(out, "statement empty (t.c:"));
	assert_non_null(strstr(out, "mixes $n and :name"));
	assert_non_null(strstr(out, "$2 is not used"));
	assert_non_null(strstr(out, "statement quote"));
	assert_non_null(strstr(out, "statement comment"));
	assert_non_null(strstr(out, "statement dollar"));
	assert_null(strstr(out, "dynamo"));
	free(out);
}

static void test_named_rewrite(void **state)
{
	(void)state;
	static struct db_stmt st = STMT("named",
		"SELECT :title, :n::int, ':nope', \"a:b\", E'\\':nope', $$ :nope $$,"
		" $x$ :nope $x$ -- :nope\n, /* :nope /* :nope */ */ :title, t.a[1 : 2], :n_2");

	assert_int_equal(db_stmt_parse(&st), 0);
	assert_int_equal(st.nparams, 3);
	assert_string_equal(st.names[0], "title");
	assert_string_equal(st.names[1], "n");
	assert_string_equal(st.names[2], "n_2");
	assert_string_equal(st.text,
		"SELECT $1, $2::int, ':nope', \"a:b\", E'\\':nope', $$ :nope $$,"
		" $x$ :nope $x$ -- :nope\n, /* :nope /* :nope */ */ $1, t.a[1 : 2], $3");
	/* Numbered statements are prepared as written. */
	static struct db_stmt num = STMT("numbered", "SELECT $2::int + $1, 'a:b'::text");
	assert_int_equal(db_stmt_parse(&num), 0);
	assert_int_equal(num.nparams, 2);
	assert_null(num.names);
	assert_ptr_equal(num.text, num.sql);
}

static void test_arg_uses(void **state)
{
	(void)state;
	static struct db_stmt named = STMT("ins", "INSERT INTO t VALUES (:a, :b, :c)");
	static struct db_stmt num = STMT("sel", "SELECT $1");
	static const struct db_arg_use ua = { &named, "a", "t.c", 1 };
	static const struct db_arg_use ub = { &named, "b", "t.c", 2 };
	static const struct db_arg_use ux = { &named, "x", "t.c", 3 };
	static const struct db_arg_use un = { &num, "a", "t.c", 4 };
	struct db_stmt *const table[] = { &named, &num };
	const struct db_arg_use *const uses[] = { &ua, &ub, &ux, &un };
	char *out;

	assert_int_equal(check(table, 2, uses, 4, &out), 3);
	assert_non_null(strstr(out, "t.c:3: statement ins has no parameter :x"));
	assert_non_null(strstr(out, "no DB_ARG sets :c"));
	assert_non_null(strstr(out, "t.c:4: DB_ARG :a of statement sel, whose parameters are numbered"));
	free(out);
}

static void test_binder(void **state)
{
	(void)state;
	static struct db_stmt st = STMT("bind", "SELECT :b, :a, :b, :c");
	static struct db_stmt other = STMT("other", "SELECT :a");
	const char *p[DB_ARGS_MAX];
	struct db_args a = { 0 };

	db_arg(&a, &st, "a", "1");
	db_arg(&a, &st, "b", "2");
	assert_int_equal(db_args_params(&st, &a, p), -1); /* :c unset */
	db_arg(&a, &st, "c", NULL); /* NULL is a value: SQL NULL */
	assert_int_equal(db_args_params(&st, &a, p), 3);
	assert_string_equal(p[0], "2");
	assert_string_equal(p[1], "1");
	assert_null(p[2]);

	struct db_args wrong = { 0 };
	db_arg(&wrong, &st, "a", "1");
	db_arg(&wrong, &st, "b", "2");
	db_arg(&wrong, &st, "c", "3");
	db_arg(&wrong, &st, "d", "4"); /* no such parameter */
	assert_int_equal(db_args_params(&st, &wrong, p), -1);

	struct db_args mixed = { 0 };
	db_arg(&mixed, &other, "a", "1");
	assert_int_equal(db_args_params(&st, &mixed, p), -1); /* another statement's */
	assert_int_equal(db_args_params(&other, &mixed, p), 1);
}

static void test_built_at_run_time(void **state)
{
	(void)state;
	static char sql[64];
	static struct db_stmt st = { .name = "built", .sql = sql, .built = true, .file = "t.c" };
	struct db_stmt *const table[] = { &st };
	char *out;

	assert_int_equal(check(table, 1, NULL, 0, &out), 0);
	free(out);
	snprintf(sql, sizeof sql, "SELECT $1::int");
	assert_int_equal(db_stmt_parse(&st), 0);
	assert_int_equal(st.nparams, 1);
	assert_string_equal(st.text, "SELECT $1::int");
}

/* The executable's own statements: every DB_STMT and DB_ARG of src/ and
 * api/ is linked into this test, so a clash anywhere fails here. */
static void test_registry_is_clean(void **state)
{
	(void)state;
	struct db_stmt *const *stmts;
	const struct db_arg_use *const *uses;
	size_t n = db_stmts_registered(&stmts), m = 0;

	db_arg_uses_registered(&uses);
	for (size_t i = 0; i < n; i++)
		m += stmts[i] != NULL;
	assert_true(m >= 130);
	assert_int_equal(db_stmts_check_registered(stderr), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duplicate_names),
		cmocka_unit_test(test_names_and_sql),
		cmocka_unit_test(test_named_rewrite),
		cmocka_unit_test(test_arg_uses),
		cmocka_unit_test(test_binder),
		cmocka_unit_test(test_built_at_run_time),
		cmocka_unit_test(test_registry_is_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
