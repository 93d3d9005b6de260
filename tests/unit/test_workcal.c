/* test_workcal.c - the service's calendar as loaded from the database
 * (db_exec is replaced by a fake: the build links this program with
 * -Wl,--wrap=db_exec), and the day of an instant in the configured zone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/domain/calendar.h"
#include "opengov/base/validate.h"
#include "opengov/domain/workcal.h"

PGresult *__wrap_db_exec(struct db *db, struct db_stmt *stmt, int n,
			 const char *const *params);

/* What the fake database holds. */
struct fake_day {
	const char *date;
	bool working;
};
static struct fake_db {
	long long version;
	const struct fake_day *days;
	size_t ndays;
	const int *years;
	size_t nyears;
	bool down;
	int calls; /* statements run */
	int loads; /* of which workcal_load */
} fake;

static void set_value(PGresult *res, int row, int col, const char *v)
{
	assert_int_equal(PQsetvalue(res, row, col, (char *)v, v ? (int)strlen(v) : -1), 1);
}

static PGresult *result(int ncols)
{
	static PGresAttDesc attrs[4] = {
		{ .name = "version", .format = 0 }, { .name = "day", .format = 0 },
		{ .name = "working", .format = 0 }, { .name = "year", .format = 0 },
	};
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);

	assert_non_null(res);
	assert_int_equal(PQsetResultAttrs(res, ncols, attrs), 1);
	return res;
}

PGresult *__wrap_db_exec(struct db *db, struct db_stmt *stmt, int n,
			 const char *const *params)
{
	char v[32], num[32];

	(void)db;
	(void)n;
	(void)params;
	fake.calls++;
	if (fake.down)
		return NULL;
	snprintf(v, sizeof v, "%lld", fake.version);
	if (!strcmp(stmt->name, "workcal_current")) {
		PGresult *res = result(1);
		set_value(res, 0, 0, v);
		return res;
	}
	if (!strcmp(stmt->name, "workcal_version")) {
		PGresult *res = result(4);
		set_value(res, 0, 0, v);
		set_value(res, 0, 1, NULL);
		set_value(res, 0, 2, NULL);
		set_value(res, 0, 3, NULL);
		return res;
	}
	assert_string_equal(stmt->name, "workcal_load");
	fake.loads++;
	PGresult *res = result(4);
	int row = 0;
	for (size_t i = 0; i < fake.ndays; i++, row++) {
		int day;
		assert_int_equal(calendar_parse(fake.days[i].date, &day), 0);
		snprintf(num, sizeof num, "%d", day);
		set_value(res, row, 0, v);
		set_value(res, row, 1, num);
		set_value(res, row, 2, fake.days[i].working ? "t" : "f");
		set_value(res, row, 3, NULL);
	}
	for (size_t i = 0; i < fake.nyears; i++, row++) {
		snprintf(num, sizeof num, "%d", fake.years[i]);
		set_value(res, row, 0, v);
		set_value(res, row, 1, NULL);
		set_value(res, row, 2, NULL);
		set_value(res, row, 3, num);
	}
	return res;
}

static int D(const char *s)
{
	int day;

	assert_int_equal(calendar_parse(s, &day), 0);
	return day;
}

/* The State Council's 2026 New Year: 1 to 3 January off, Sunday 4 January
 * a make-up working day. */
static const struct fake_day new_year[] = {
	{ "2026-01-01", false }, { "2026-01-02", false },
	{ "2026-01-03", false }, { "2026-01-04", true },
};
static const int years_25_26[] = { 2026, 2025 };

/* Runs first: nothing loaded yet. */
static void test_nothing_loaded(void **state)
{
	(void)state;
	assert_null(workcal_cached());
	assert_int_equal(workcal_version(), -1);
}

static void test_load_and_reload(void **state)
{
	(void)state;
	struct db db = { 0 };

	fake = (struct fake_db){ .version = 7, .days = new_year, .ndays = 4,
			       .years = years_25_26, .nyears = 2 };
	/* -1: the version is asked first, then the calendar loaded. */
	const struct calendar *c = workcal_get(&db, -1);
	assert_non_null(c);
	assert_int_equal(fake.loads, 1);
	assert_int_equal(workcal_version(), 7);
	assert_ptr_equal(workcal_cached(), c);

	/* Across the year boundary: Wednesday 31 December works, the holiday
	 * does not, the make-up Sunday does, the Monday after works. */
	assert_true(calendar_is_working(c, D("2025-12-31")));
	assert_false(calendar_is_working(c, D("2026-01-01")));
	assert_false(calendar_is_working(c, D("2026-01-02")));
	assert_false(calendar_is_working(c, D("2026-01-03")));
	assert_true(calendar_is_working(c, D("2026-01-04")));
	assert_true(calendar_is_working(c, D("2026-01-05")));
	assert_false(calendar_is_working(c, D("2026-01-10"))); /* a plain Saturday */
	/* One working day after 31 December is the make-up Sunday; three
	 * are Tuesday 6 January. */
	assert_int_equal(calendar_add_working_days(c, D("2025-12-31"), 1, NULL, 0), D("2026-01-04"));
	assert_int_equal(calendar_add_working_days(c, D("2025-12-31"), 3, NULL, 0), D("2026-01-06"));
	assert_int_equal(calendar_count_working_days(c, D("2025-12-30"), D("2026-01-04"), NULL, 0), 2);
	/* The years loaded, and only those. */
	assert_true(calendar_year_complete(c, 2025));
	assert_true(calendar_year_complete(c, 2026));
	assert_false(calendar_year_complete(c, 2024));
	assert_false(calendar_year_complete(c, 2027));
	assert_true(calendar_range_complete(c, D("2025-01-01"), D("2026-12-31")));
	assert_false(calendar_range_complete(c, D("2026-12-31"), D("2027-01-01")));
	assert_false(calendar_range_complete(c, D("2024-12-31"), D("2025-01-01")));

	/* The same version: no statement at all. */
	int calls = fake.calls;
	assert_ptr_equal(workcal_get(&db, 7), c);
	assert_int_equal(fake.calls, calls);
	/* -1 asks for the version, which has not moved: no reload. */
	assert_non_null(workcal_get(&db, -1));
	assert_int_equal(fake.loads, 1);

	/* The version moved: 2 January is now a working day, 2027 is known. */
	static const struct fake_day changed[] = {
		{ "2026-01-01", false }, { "2026-01-02", true },
		{ "2026-01-03", false }, { "2026-01-04", true },
	};
	static const int years_3[] = { 2025, 2026, 2027 };
	fake.version = 8;
	fake.days = changed;
	fake.years = years_3;
	fake.nyears = 3;
	c = workcal_get(&db, 8);
	assert_non_null(c);
	assert_int_equal(fake.loads, 2);
	assert_int_equal(workcal_version(), 8);
	assert_true(calendar_is_working(c, D("2026-01-02")));
	assert_true(calendar_year_complete(c, 2027));
	assert_true(calendar_range_complete(c, D("2026-12-31"), D("2027-01-01")));
}

/* The database away: NULL, and the calendar last loaded stays. */
static void test_database_down(void **state)
{
	(void)state;
	struct db db = { 0 };

	long long before = workcal_version();
	assert_true(before >= 0);
	const struct calendar *kept = workcal_cached();
	assert_non_null(kept);
	fake.down = true;
	assert_null(workcal_get(&db, -1));
	assert_null(workcal_get(&db, before + 1));
	assert_int_equal(workcal_version(), before);
	assert_ptr_equal(workcal_cached(), kept);
	/* The version in hand still answers without the database. */
	assert_ptr_equal(workcal_get(&db, before), kept);
	fake.down = false;
}

/* No override rows: the version is still learnt (a second statement), and
 * the weekday rule alone applies. */
static void test_no_overrides(void **state)
{
	(void)state;
	struct db db = { 0 };

	fake = (struct fake_db){ .version = 12 };
	const struct calendar *c = workcal_get(&db, 12);
	assert_non_null(c);
	assert_int_equal(workcal_version(), 12);
	assert_int_equal(fake.calls, 2);
	assert_true(calendar_is_working(c, D("2026-01-01")));
	assert_false(calendar_is_working(c, D("2026-01-04")));
	assert_false(calendar_year_complete(c, 2026));
	/* Asked again with that version: nothing runs. */
	assert_ptr_equal(workcal_get(&db, 12), c);
	assert_int_equal(fake.calls, 2);
}

static int T(const char *iso)
{
	long long t;

	assert_int_equal(rfc3339_parse(iso, &t), 0);
	return workcal_day_of((time_t)t);
}

/* The day of an instant is the day in the configured zone: China's
 * midnight is 16:00 UTC the day before, at the turn of the year too. */
static void test_day_of(void **state)
{
	(void)state;
	workcal_set_zone("Asia/Shanghai");
	assert_int_equal(T("2025-12-31T15:59:59Z"), D("2025-12-31"));
	assert_int_equal(T("2025-12-31T16:00:00Z"), D("2026-01-01"));
	assert_int_equal(T("2026-12-31T23:59:59+08:00"), D("2026-12-31"));
	assert_int_equal(T("2027-01-01T00:00:00+08:00"), D("2027-01-01"));
	assert_int_equal(T("2028-02-28T16:00:00Z"), D("2028-02-29"));
	assert_int_equal(T("1970-01-01T00:00:00Z"), D("1970-01-01"));
	/* An empty or absent zone leaves the zone as it was. */
	workcal_set_zone("");
	assert_int_equal(T("2025-12-31T16:00:00Z"), D("2026-01-01"));
	workcal_set_zone(NULL);
	assert_int_equal(T("2025-12-31T16:00:00Z"), D("2026-01-01"));
	workcal_set_zone("UTC");
	assert_int_equal(T("2025-12-31T16:00:00Z"), D("2025-12-31"));
	assert_int_equal(T("2025-12-31T23:59:59Z"), D("2025-12-31"));
	assert_int_equal(T("2026-01-01T00:00:00Z"), D("2026-01-01"));
	workcal_set_zone("America/New_York");
	assert_int_equal(T("2026-01-01T04:59:59Z"), D("2025-12-31"));
	assert_int_equal(T("2026-01-01T05:00:00Z"), D("2026-01-01"));
	/* Today is the day of now. */
	workcal_set_zone("Asia/Shanghai");
	int before = workcal_day_of(time(NULL));
	int today = workcal_today();
	int after = workcal_day_of(time(NULL));
	assert_true(today == before || today == after);
	assert_true(today > D("2025-01-01"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_loaded),
		cmocka_unit_test(test_load_and_reload),
		cmocka_unit_test(test_database_down),
		cmocka_unit_test(test_no_overrides),
		cmocka_unit_test(test_day_of),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
