/* test_calendar.c - working-day arithmetic over the official 2019 and 2026
 * Chinese holiday schedules, checked against hand-computed due dates and
 * against a brute-force walk that shares no code with src/domain/calendar/calendar.c; and
 * the coverage of years (which years carry the official schedule). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "opengov/domain/calendar.h"

#include "cn_schedules.h"

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	expand(f, cn2019, sizeof cn2019 / sizeof cn2019[0]);
	expand(f, cn2026, sizeof cn2026 / sizeof cn2026[0]);
	if (calendar_init(&f->cal, f->days, f->n) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/*
 * The reference: a linear scan (last match wins) and a day-by-day walk.
 * Weekdays come from plain modular arithmetic, not calendar_weekday, so a
 * shared bug cannot hide.
 */
static bool ref_working(const struct cal_override *days, size_t n, int d)
{
	for (size_t i = n; i-- > 0;)
		if (days[i].day == d)
			return days[i].working;
	/* 1970-01-05 (day 4) was a Monday. */
	return (((long long)d - 4) % 7 + 7) % 7 < 5;
}

static bool ref_excluded(const struct cal_interval *ex, size_t nex, int d)
{
	for (size_t i = 0; i < nex; i++)
		if (ex[i].from <= d && d <= ex[i].to)
			return true;
	return false;
}

static int ref_add(const struct fixture *f, int start, int n, const struct cal_interval *ex,
		   size_t nex)
{
	int d = start;

	while (n > 0) {
		d++;
		if (!ref_excluded(ex, nex, d) && ref_working(f->days, f->n, d))
			n--;
	}
	return d;
}

static int ref_count(const struct fixture *f, int from, int to, const struct cal_interval *ex,
		     size_t nex)
{
	int n = 0;

	for (int d = from + 1; d <= to; d++)
		if (!ref_excluded(ex, nex, d) && ref_working(f->days, f->n, d))
			n++;
	return n;
}

/* "label: YYYY-MM-DD", so a failed string comparison names its case. */
static void labelled(char *buf, size_t len, const char *label, int day)
{
	char s[11];

	calendar_format(day, s);
	snprintf(buf, len, "%s: %s", label, s);
}

#define MAX_EX 4

struct due_case {
	const char *name;
	const char *start;
	int n;
	const char *due; /* computed by hand, walking a printed calendar */
	struct {
		const char *from;
		const char *to;
	} ex[MAX_EX];
	size_t nex;
};

/* A case without exclusions. */
#define PLAIN(name, start, n, due) { name, start, n, due, { { NULL, NULL } }, 0 }

static const struct due_case due_cases[] = {
	/* 26, 27 Thu Fri; 29 Sun make-up; 30; holiday week; 8..11; 12 Sat
	 * make-up; 14..18, 21..25 are the 10th..19th; 28 Mon the 20th. */
	PLAIN("2019 National Day week", "2019-09-25", 20, "2019-10-28"),
	/* 29..01 are 1..4; 02 Sat, 03 Sun make-up 5, 6; 11..15 7..11;
	 * 18..22 12..16; 25..28 17..20. */
	PLAIN("2019 Spring Festival", "2019-01-28", 20, "2019-02-28"),
	/* 11..13 1..3; 14 Sat make-up 4; 15..23 off; 24..27 5..8; 28 Sat
	 * make-up 9; 2..6 Mar 10..14; 9..13 15..19; 16 Mar the 20th. */
	PLAIN("2026 Spring Festival", "2026-02-10", 20, "2026-03-16"),
	PLAIN("2019 Labour Day", "2019-04-26", 20, "2019-05-27"),
	PLAIN("2026 Labour Day", "2026-04-28", 20, "2026-05-28"),
	PLAIN("2026 National Day week", "2026-09-28", 20, "2026-10-30"),
	/* Day 0 is the holiday; counting starts on the next working day. */
	PLAIN("receipt on a holiday, 1", "2019-10-03", 1, "2019-10-08"),
	PLAIN("receipt on a holiday, 20", "2019-10-03", 20, "2019-11-01"),
	PLAIN("receipt on Spring Festival, 1", "2026-02-16", 1, "2026-02-24"),
	PLAIN("receipt on a make-up Saturday, 1", "2019-10-12", 1, "2019-10-14"),
	PLAIN("receipt on a make-up Saturday, 20", "2019-10-12", 20, "2019-11-08"),
	PLAIN("receipt on 2026 make-up Saturday, 20", "2026-02-14", 20, "2026-03-20"),
	/* 29 Dec Sat counts; 30 Dec .. 1 Jan do not. */
	PLAIN("2018 year end, 1", "2018-12-28", 1, "2018-12-29"),
	PLAIN("2018 year end, 2", "2018-12-28", 2, "2019-01-02"),
	PLAIN("2018 year end, 5", "2018-12-28", 5, "2019-01-07"),
	PLAIN("2018 year end, 20", "2018-12-28", 20, "2019-01-28"),
	PLAIN("2025 year end, 1", "2025-12-31", 1, "2026-01-04"),
	PLAIN("2025 year end, 2", "2025-12-31", 2, "2026-01-05"),
	PLAIN("0 days from a holiday", "2019-10-01", 0, "2019-10-01"),
	PLAIN("0 days from a working day", "2019-10-08", 0, "2019-10-08"),
	PLAIN("1 day onto a make-up Sunday", "2019-09-27", 1, "2019-09-29"),
	PLAIN("1 day over the holiday week", "2019-09-30", 1, "2019-10-08"),
	PLAIN("1 day from a Saturday onto a make-up Sunday", "2026-09-19", 1, "2026-09-20"),
	PLAIN("1 day, plain Friday", "2019-11-08", 1, "2019-11-11"),
	/* The exclusions, all against the 2019 National Day case (due 10-28). */
	{ "pause of 5 working days", "2019-09-25", 20, "2019-11-04",
	  { { "2019-10-14", "2019-10-18" } }, 1 },
	{ "adjacent pauses, 5 working days", "2019-09-25", 20, "2019-11-04",
	  { { "2019-10-16", "2019-10-18" }, { "2019-10-14", "2019-10-15" } }, 2 },
	/* 26, 27 are lost: 29 Sep becomes the 1st, so due = 22nd = 10-30. */
	{ "exclusion containing the start", "2019-09-25", 20, "2019-10-30",
	  { { "2019-09-20", "2019-09-27" } }, 1 },
	/* Union 8..14 Oct holds 6 working days (8..12 incl. Sat 12, 14). */
	{ "overlapping unsorted exclusions", "2019-09-25", 20, "2019-11-05",
	  { { "2019-10-09", "2019-10-14" },
	    { "2019-10-08", "2019-10-10" },
	    { "2019-10-11", "2019-10-11" } },
	  3 },
	{ "exclusion on a weekend", "2019-09-25", 20, "2019-10-28",
	  { { "2019-10-19", "2019-10-20" } }, 1 },
	{ "exclusion on the holiday week", "2019-09-25", 20, "2019-10-28",
	  { { "2019-10-01", "2019-10-07" } }, 1 },
	{ "exclusions before start and after due", "2019-09-25", 20, "2019-10-28",
	  { { "2019-09-01", "2019-09-24" }, { "2019-10-29", "2019-11-30" } }, 2 },
	{ "empty exclusion (from > to)", "2019-09-25", 20, "2019-10-28",
	  { { "2019-10-20", "2019-10-14" } }, 1 },
	/* 24 Oct is the 18th; 25..29 excluded; 30, 31 are the 19th, 20th. */
	{ "exclusion over the due date", "2019-09-25", 20, "2019-10-31",
	  { { "2019-10-25", "2019-10-29" } }, 1 },
};

static size_t case_exclusions(const struct due_case *c, struct cal_interval *ex)
{
	for (size_t i = 0; i < c->nex; i++) {
		ex[i].from = day_of(c->ex[i].from);
		ex[i].to = day_of(c->ex[i].to);
	}
	return c->nex;
}

static void test_due_dates(void **state)
{
	const struct fixture *f = *state;
	char want[96], got[96];

	for (size_t i = 0; i < sizeof due_cases / sizeof due_cases[0]; i++) {
		const struct due_case *c = &due_cases[i];
		struct cal_interval ex[MAX_EX];
		size_t nex = case_exclusions(c, ex);
		int start = day_of(c->start);
		int due = calendar_add_working_days(&f->cal, start, c->n, ex, nex);

		snprintf(want, sizeof want, "%s: %s", c->name, c->due);
		labelled(got, sizeof got, c->name, due);
		assert_string_equal(got, want);
		labelled(got, sizeof got, c->name, ref_add(f, start, c->n, ex, nex));
		assert_string_equal(got, want);
		assert_int_equal(calendar_count_working_days(&f->cal, start, due, ex, nex), c->n);
		assert_int_equal(ref_count(f, start, due, ex, nex), c->n);
	}
}

/* The schedules themselves: make-up days fall on weekends, and the
 * calendar answers every day of both years as the reference does. */
static void test_is_working(void **state)
{
	const struct fixture *f = *state;
	static const struct {
		const char *date;
		bool working;
	} known[] = {
		{ "2018-12-29", true }, { "2018-12-30", false }, { "2019-01-01", false },
		{ "2019-01-02", true }, { "2019-02-02", true }, { "2019-02-03", true },
		{ "2019-02-04", false }, { "2019-02-10", false }, { "2019-02-11", true },
		{ "2019-09-28", false }, { "2019-09-29", true }, { "2019-10-01", false },
		{ "2019-10-07", false }, { "2019-10-08", true }, { "2019-10-12", true },
		{ "2019-10-13", false }, { "2026-01-04", true }, { "2026-02-14", true },
		{ "2026-02-23", false }, { "2026-02-28", true }, { "2026-03-01", false },
		{ "2026-05-09", true }, { "2026-09-20", true }, { "2026-10-10", true },
		{ "2026-10-11", false }, { "2026-10-12", true },
	};

	for (size_t i = 0; i < f->n; i++)
		if (f->days[i].working)
			assert_true(calendar_weekday(f->days[i].day) >= 6);
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		char want[32], got[32];

		snprintf(want, sizeof want, "%s %d", known[i].date, known[i].working);
		snprintf(got, sizeof got, "%s %d", known[i].date,
			 calendar_is_working(&f->cal, day_of(known[i].date)));
		assert_string_equal(got, want);
	}
	for (int d = day_of("2018-12-01"); d <= day_of("2027-01-31"); d++)
		assert_int_equal(calendar_is_working(&f->cal, d), ref_working(f->days, f->n, d));
	/* No calendar at all: the weekday rule alone. */
	assert_true(calendar_is_working(NULL, day_of("2019-10-01")));
	assert_false(calendar_is_working(NULL, day_of("2019-09-29")));
}

/* A pause holding exactly 5 working days moves the due date by exactly 5
 * working days, wherever it falls between receipt and due date. */
static void test_pause_shifts_by_its_length(void **state)
{
	const struct fixture *f = *state;
	static const char *const starts[] = { "2018-12-28", "2019-01-28", "2019-04-26",
					      "2019-09-25", "2019-10-12", "2026-02-10",
					      "2026-09-18", "2025-12-31" };

	for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
		int start = day_of(starts[i]);

		for (int j = 0; j < 20; j++) {
			/* From the day after the jth working day through the
			 * (j+5)th: weekends and holidays in the gap included. */
			struct cal_interval pause = {
				calendar_add_working_days(&f->cal, start, j, NULL, 0) + 1,
				calendar_add_working_days(&f->cal, start, j + 5, NULL, 0),
			};

			assert_int_equal(calendar_count_working_days(&f->cal, pause.from - 1,
								     pause.to, NULL, 0),
					 5);
			assert_int_equal(calendar_add_working_days(&f->cal, start, 20, &pause, 1),
					 calendar_add_working_days(&f->cal, start, 25, NULL, 0));
		}
	}
}

/* A small deterministic generator: the same "random" cases every run. */
static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

static size_t random_exclusions(uint32_t *seed, int base, int span, struct cal_interval *ex)
{
	size_t n = lcg(seed) % (MAX_EX + 1);

	for (size_t i = 0; i < n; i++) {
		ex[i].from = base + (int)(lcg(seed) % (uint32_t)span);
		/* Mostly short, sometimes empty (to < from), sometimes long. */
		ex[i].to = ex[i].from + (int)(lcg(seed) % 40) - 3;
	}
	return n;
}

/* count(start, add(start, n)) == n everywhere, with and without exclusions,
 * and both agree with the brute-force walk. */
static void test_count_matches_add(void **state)
{
	const struct fixture *f = *state;
	static const char *const ranges[][2] = { { "2018-12-01", "2020-01-31" },
						 { "2025-12-01", "2027-01-31" } };
	uint32_t seed = 20191001;

	for (size_t r = 0; r < 2; r++)
		for (int s = day_of(ranges[r][0]); s <= day_of(ranges[r][1]); s++)
			for (int n = 0; n <= 45; n += 1 + (s & 3)) {
				struct cal_interval ex[MAX_EX];
				size_t nex = random_exclusions(&seed, s - 10, 80, ex);
				int plain = calendar_add_working_days(&f->cal, s, n, NULL, 0);
				int due = calendar_add_working_days(&f->cal, s, n, ex, nex);

				assert_int_equal(calendar_count_working_days(&f->cal, s, plain,
									     NULL, 0),
						 n);
				assert_int_equal(calendar_count_working_days(&f->cal, s, due, ex,
									     nex),
						 n);
				assert_int_equal(plain, ref_add(f, s, n, NULL, 0));
				assert_int_equal(due, ref_add(f, s, n, ex, nex));
				/* Excluding days can only push the due date later. */
				assert_true(due >= plain);
			}
}

/* The closed-form count against the walk on arbitrary ranges, including
 * empty and reversed ones, day numbers around 1970 and year ends. */
static void test_count_ranges(void **state)
{
	const struct fixture *f = *state;
	static const char *const bases[] = { "1969-11-20", "2018-12-20", "2019-09-15",
					     "2026-02-01", "2026-12-15" };
	uint32_t seed = 20260215;

	for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++) {
		int base = day_of(bases[b]);

		for (int i = 0; i < 4000; i++) {
			struct cal_interval ex[MAX_EX];
			int from = base + (int)(lcg(&seed) % 120);
			int to = from + (int)(lcg(&seed) % 150) - 10;
			size_t nex = random_exclusions(&seed, base - 5, 150, ex);

			assert_int_equal(calendar_count_working_days(&f->cal, from, to, ex, nex),
					 ref_count(f, from, to, ex, nex));
		}
	}
	/* to <= from is 0, whatever the calendar says. */
	assert_int_equal(calendar_count_working_days(&f->cal, 100, 100, NULL, 0), 0);
	assert_int_equal(calendar_count_working_days(&f->cal, 100, 50, NULL, 0), 0);
	/* A whole year: 2019 had 250 working days, 2026 has 248. */
	assert_int_equal(calendar_count_working_days(&f->cal, day_of("2018-12-31"),
						     day_of("2019-12-31"), NULL, 0),
			 250);
	assert_int_equal(calendar_count_working_days(&f->cal, day_of("2025-12-31"),
						     day_of("2026-12-31"), NULL, 0),
			 248);
	/* The 2019 holiday week costs nothing to exclude: it was off anyway. */
	struct cal_interval week = { day_of("2019-10-01"), day_of("2019-10-07") };

	assert_int_equal(calendar_count_working_days(&f->cal, day_of("2019-09-25"),
						     day_of("2019-10-28"), &week, 1),
			 20);
}

/* Extremes must end and must not overflow (UBSan watches). */
static void test_extremes(void **state)
{
	const struct fixture *f = *state;
	struct cal_interval forever = { INT_MIN, INT_MAX };
	struct cal_interval long_pause = { day_of("2019-10-08"), day_of("2119-10-07") };
	int due;

	assert_int_equal(calendar_add_working_days(&f->cal, INT_MAX - 2, 10, NULL, 0), INT_MAX);
	assert_int_equal(calendar_add_working_days(&f->cal, 0, 5, &forever, 1), INT_MAX);
	assert_int_equal(calendar_count_working_days(&f->cal, INT_MIN, INT_MAX, &forever, 1), 0);
	/* A century's pause is skipped in one step, not walked. */
	due = calendar_add_working_days(&f->cal, day_of("2019-09-25"), 5, &long_pause, 1);
	assert_int_equal(due, calendar_add_working_days(&f->cal, long_pause.to, 1, NULL, 0));
	assert_int_equal(calendar_count_working_days(&f->cal, day_of("2019-09-25"), due,
						     &long_pause, 1),
			 5);
	/* Without a calendar, 1 Jan 1900 .. 31 Dec 9999: weekdays only. */
	assert_int_equal(calendar_count_working_days(NULL, day_of("1970-01-04"),
						     day_of("1970-01-11"), NULL, 0),
			 5);
	assert_true(calendar_count_working_days(NULL, INT_MIN, INT_MAX, NULL, 0) == INT_MAX);
	assert_int_equal(calendar_add_working_days(NULL, day_of("1969-12-31"), 1, NULL, 0),
			 day_of("1970-01-01"));
	assert_int_equal(calendar_add_working_days(NULL, -3, 1, NULL, 0), -2); /* Mon */
	assert_int_equal(calendar_add_working_days(NULL, -5, 1, NULL, 0), -3); /* Sat */
}

static void test_weekday(void **state)
{
	(void)state;
	static const struct {
		const char *date;
		int weekday;
	} cases[] = {
		{ "2019-10-01", 2 }, { "1970-01-01", 4 }, { "1900-01-01", 1 },
		{ "1969-12-31", 3 }, { "1969-12-28", 7 }, { "2000-02-29", 2 },
		{ "2019-09-29", 7 }, { "2019-10-12", 6 }, { "2026-02-14", 6 },
		{ "2026-02-17", 2 }, { "9999-12-31", 5 }, { "2018-12-29", 6 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char want[32], got[32];

		snprintf(want, sizeof want, "%s %d", cases[i].date, cases[i].weekday);
		snprintf(got, sizeof got, "%s %d", cases[i].date,
			 calendar_weekday(day_of(cases[i].date)));
		assert_string_equal(got, want);
	}
	for (int d = -30000; d < 30000; d++)
		assert_int_equal(calendar_weekday(d) % 7, calendar_weekday(d + 1) - 1);
	assert_int_equal(calendar_weekday(INT_MIN) % 7 + 1, calendar_weekday(INT_MIN + 1));
	assert_true(calendar_weekday(INT_MAX) >= 1 && calendar_weekday(INT_MAX) <= 7);
}

static void test_parse_format(void **state)
{
	(void)state;
	static const struct {
		const char *date;
		int day;
	} known[] = {
		{ "1970-01-01", 0 },	   { "1969-12-31", -1 },     { "1900-01-01", -25567 },
		{ "2000-02-29", 11016 },   { "2000-03-01", 11017 },  { "2019-01-01", 17897 },
		{ "2019-10-01", 18170 },   { "2026-02-17", 20501 },  { "9999-12-31", 2932896 },
		{ "1904-02-29", -24048 },
	};
	static const char *const bad[] = {
		"",	      "2019-1-01",  "2019-01-01x", "2019-01-1",	 "1900-02-29",
		"2019-02-29", "2100-02-29", "2019-13-01",  "2019-00-10", "2019-04-31",
		"2019-01-00", "2019-01-32", "1899-12-31",  "0000-01-01", "10000-01-01",
		"2019/01/01", "+019-01-01", " 2019-01-01", "2019-01-01 ", "2019-01-0a",
		"2019-01--1", "20190101",   "2019-01-01\n",
	};
	char out[11];
	int d;

	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		d = INT_MIN;
		assert_int_equal(calendar_parse(known[i].date, &d), 0);
		assert_int_equal(d, known[i].day);
		calendar_format(known[i].day, out);
		assert_string_equal(out, known[i].date);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char got[40], want[40];

		d = 12345;
		snprintf(got, sizeof got, "'%s' %d", bad[i], calendar_parse(bad[i], &d));
		snprintf(want, sizeof want, "'%s' -1", bad[i]);
		assert_string_equal(got, want);
		assert_int_equal(d, 12345); /* untouched on failure */
	}
	assert_int_equal(calendar_parse(NULL, &d), -1);
	assert_int_equal(calendar_parse("2019-01-01", NULL), -1);
	/* Every day of 1900..9999 survives format then parse. */
	for (int day = -25567; day <= 2932896; day++) {
		calendar_format(day, out);
		assert_int_equal(calendar_parse(out, &d), 0);
		assert_int_equal(d, day);
	}
	/* Beyond four-digit years: a marker that parse refuses. */
	calendar_format(INT_MAX, out);
	assert_string_equal(out, "0000-00-00");
	calendar_format(INT_MIN, out);
	assert_string_equal(out, "0000-00-00");
	assert_int_equal(calendar_parse(out, &d), -1);
	calendar_format(-719528, out); /* 0000-01-01: still four digits */
	assert_string_equal(out, "0000-01-01");
}

static void test_init_duplicates_last_wins(void **state)
{
	(void)state;
	const int oct1 = 18170;
	const struct cal_override dup[] = {
		{ oct1 + 5, false }, { oct1, false }, { oct1 + 5, true }, { oct1, true },
		{ oct1 - 2, true },  { oct1, false }, { oct1 + 5, true },
	};
	struct calendar c = { .days = NULL };

	assert_int_equal(calendar_init(&c, dup, sizeof dup / sizeof dup[0]), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.days[0].day, oct1 - 2);
	assert_true(c.days[0].working);
	assert_int_equal(c.days[1].day, oct1);
	assert_false(c.days[1].working); /* the third of three, the last */
	assert_int_equal(c.days[2].day, oct1 + 5);
	assert_true(c.days[2].working);
	calendar_free(&c);
	assert_null(c.days);
	assert_int_equal(c.n, 0);
	calendar_free(&c); /* twice is harmless */

	/* Many duplicates, enough that qsort's instability would show. */
	struct cal_override many[500];

	for (int i = 0; i < 500; i++) {
		many[i].day = (i * 37) % 11;
		many[i].working = (i * 7) % 3 == 0;
	}
	assert_int_equal(calendar_init(&c, many, 500), 0);
	assert_int_equal(c.n, 11);
	for (size_t i = 0; i < c.n; i++) {
		assert_int_equal(c.days[i].day, (int)i);
		assert_int_equal(c.days[i].working, ref_working(many, 500, (int)i));
	}
	calendar_free(&c);
}

static void test_init_unsorted_and_empty(void **state)
{
	const struct fixture *f = *state;
	struct cal_override shuffled[MAX_OVERRIDES];
	struct calendar c;
	uint32_t seed = 42;

	/* The 2019 and 2026 schedules in a scrambled order: same calendar. */
	memcpy(shuffled, f->days, f->n * sizeof f->days[0]);
	for (size_t i = f->n - 1; i > 0; i--) {
		size_t j = lcg(&seed) % (i + 1);
		struct cal_override t = shuffled[i];

		shuffled[i] = shuffled[j];
		shuffled[j] = t;
	}
	assert_int_equal(calendar_init(&c, shuffled, f->n), 0);
	/* The calendar holds its own copy. */
	memset(shuffled, 0, sizeof shuffled);
	assert_int_equal(c.n, f->cal.n);
	for (size_t i = 0; i < c.n; i++) {
		assert_int_equal(c.days[i].day, f->cal.days[i].day);
		assert_int_equal(c.days[i].working, f->cal.days[i].working);
		if (i)
			assert_true(c.days[i - 1].day < c.days[i].day);
	}
	assert_int_equal(calendar_add_working_days(&c, day_of("2019-09-25"), 20, NULL, 0),
			 day_of("2019-10-28"));
	calendar_free(&c);

	/* No overrides at all: days may be NULL. */
	assert_int_equal(calendar_init(&c, NULL, 0), 0);
	assert_int_equal(c.n, 0);
	assert_true(calendar_is_working(&c, day_of("2019-10-01")));
	assert_false(calendar_is_working(&c, day_of("2019-09-29")));
	/* 26, 27, 30 Sep, 1..4 Oct, 7 Oct: the 8th working day without holidays. */
	assert_int_equal(calendar_add_working_days(&c, day_of("2019-09-25"), 8, NULL, 0),
			 day_of("2019-10-07"));
	calendar_free(&c);

	assert_int_equal(calendar_init(&c, NULL, 3), -1);
	assert_null(c.days);
	assert_int_equal(c.n, 0);
	assert_int_equal(calendar_init(NULL, f->days, f->n), -1);
}

/* ---- coverage: the years whose official schedule is loaded ---------- */

/* The shipped years (sql/012), given out of order and with a duplicate. */
static const int shipped[] = { 2026, 2019, 2021, 2020, 2025, 2022, 2024, 2023, 2021 };
#define NSHIPPED (sizeof shipped / sizeof shipped[0])

/* The year of day d by the C library, not by src/domain/calendar/calendar.c. */
static int ref_year(int d)
{
	time_t t = (time_t)d * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	return tm.tm_year + 1900;
}

static bool ref_year_complete(const int *years, size_t n, int y)
{
	for (size_t i = 0; i < n; i++)
		if (years[i] == y)
			return true;
	return false;
}

static void test_year_of(void **state)
{
	(void)state;
	assert_int_equal(calendar_year_of(day_of("2019-01-01")), 2019);
	assert_int_equal(calendar_year_of(day_of("2018-12-31")), 2018);
	assert_int_equal(calendar_year_of(day_of("2024-02-29")), 2024);
	assert_int_equal(calendar_year_of(day_of("2026-12-31")), 2026);
	assert_int_equal(calendar_year_of(0), 1970);
	assert_int_equal(calendar_year_of(-1), 1969);
	for (int d = day_of("1900-01-01"); d <= day_of("2100-12-31"); d += 13)
		assert_int_equal(calendar_year_of(d), ref_year(d));
	/* The extremes stay in range (UBSan watches). */
	assert_true(calendar_year_of(INT_MAX) > 5000000);
	assert_true(calendar_year_of(INT_MIN) < -5000000);
}

static void test_set_years(void **state)
{
	(void)state;
	struct calendar c;

	assert_int_equal(calendar_init(&c, NULL, 0), 0);
	/* calendar_init knows no year. */
	assert_null(c.years);
	assert_int_equal(c.nyears, 0);
	assert_false(calendar_year_complete(&c, 2019));
	assert_int_equal(calendar_set_years(&c, shipped, NSHIPPED), 0);
	assert_int_equal(c.nyears, 8); /* sorted, the duplicate once */
	for (size_t i = 0; i < c.nyears; i++)
		assert_int_equal(c.years[i], 2019 + (int)i);
	/* A copy: the caller's array may go. */
	int mine[] = { 2030 };
	assert_int_equal(calendar_set_years(&c, mine, 1), 0);
	mine[0] = 2031;
	assert_true(calendar_year_complete(&c, 2030));
	assert_false(calendar_year_complete(&c, 2019)); /* replaced, not added */
	assert_int_equal(calendar_set_years(&c, NULL, 0), 0);
	assert_int_equal(c.nyears, 0);
	assert_int_equal(calendar_set_years(&c, NULL, 1), -1);
	assert_int_equal(calendar_set_years(NULL, shipped, 1), -1);
	assert_int_equal(calendar_set_years(&c, shipped, NSHIPPED), 0);
	calendar_free(&c);
	assert_null(c.years);
	assert_int_equal(c.nyears, 0);
	/* No calendar knows nothing. */
	assert_false(calendar_year_complete(NULL, 2019));
	assert_false(calendar_range_complete(NULL, day_of("2019-01-01"), day_of("2019-01-01")));
	assert_int_equal(calendar_missing_years(NULL, 2019, 2020, NULL, 0), 2);
}

static void test_range_complete(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(calendar_set_years(&f->cal, shipped, NSHIPPED), 0);
	/* National Day 2025: received 25 Sep, due 29 Oct. */
	assert_true(calendar_range_complete(&f->cal, day_of("2025-09-25"), day_of("2025-10-29")));
	/* The shipped years end to end. */
	assert_true(calendar_range_complete(&f->cal, day_of("2019-01-01"), day_of("2026-12-31")));
	/* A clock from 3 Dec 2026 that runs into January 2027. */
	assert_true(calendar_range_complete(&f->cal, day_of("2026-12-03"), day_of("2026-12-31")));
	assert_false(calendar_range_complete(&f->cal, day_of("2026-12-03"), day_of("2027-01-04")));
	/* 2018-12-29 is a make-up day of the 2019 notice, but 2018 is not
	 * complete: a range through it is not either. */
	assert_false(calendar_range_complete(&f->cal, day_of("2018-12-29"), day_of("2019-01-10")));
	assert_true(calendar_range_complete(&f->cal, day_of("2019-01-01"), day_of("2019-01-01")));
	assert_false(calendar_range_complete(&f->cal, day_of("2027-06-01"), day_of("2027-06-01")));
	/* An empty range touches no year. */
	assert_true(calendar_range_complete(&f->cal, day_of("2027-06-02"), day_of("2027-06-01")));
	/* Any length costs the same, and ends. */
	assert_false(calendar_range_complete(&f->cal, INT_MIN, INT_MAX));
	assert_false(calendar_range_complete(&f->cal, day_of("2019-01-01"), INT_MAX));

	/* A gap in the middle shows. */
	const int gap[] = { 2019, 2021 };
	struct calendar c;

	assert_int_equal(calendar_init(&c, NULL, 0), 0);
	assert_int_equal(calendar_set_years(&c, gap, 2), 0);
	assert_false(calendar_range_complete(&c, day_of("2019-12-01"), day_of("2021-01-31")));
	assert_true(calendar_range_complete(&c, day_of("2021-01-01"), day_of("2021-12-31")));

	/* Random ranges against the year-by-year reference. */
	uint32_t seed = 2027;
	for (int k = 0; k < 20000; k++) {
		int from = day_of("2015-01-01") + (int)(lcg(&seed) % 5500);
		int to = from - 5 + (int)(lcg(&seed) % 1200);
		bool want = true;

		for (int y = ref_year(from); to >= from && y <= ref_year(to); y++)
			want = want && ref_year_complete(shipped, NSHIPPED, y);
		if (calendar_range_complete(&f->cal, from, to) != want) {
			char a[11], b[11];

			calendar_format(from, a);
			calendar_format(to, b);
			fail_msg("%s..%s: want %d", a, b, want);
		}
	}
	calendar_free(&c);
}

static void test_missing_years(void **state)
{
	struct fixture *f = *state;
	int out[8];

	assert_int_equal(calendar_set_years(&f->cal, shipped, NSHIPPED), 0);
	memset(out, 0, sizeof out);
	assert_int_equal(calendar_missing_years(&f->cal, 2017, 2028, out, 8), 4);
	assert_int_equal(out[0], 2017);
	assert_int_equal(out[1], 2018);
	assert_int_equal(out[2], 2027);
	assert_int_equal(out[3], 2028);
	assert_int_equal(out[4], 0); /* nothing past the count */
	/* Only max written; the count is all of them. */
	memset(out, 0, sizeof out);
	assert_int_equal(calendar_missing_years(&f->cal, 2017, 2028, out, 1), 4);
	assert_int_equal(out[0], 2017);
	assert_int_equal(out[1], 0);
	assert_int_equal(calendar_missing_years(&f->cal, 2017, 2028, NULL, 0), 4);
	assert_int_equal(calendar_missing_years(&f->cal, 2017, 2028, NULL, 5), 4);
	assert_int_equal(calendar_missing_years(&f->cal, 2019, 2026, out, 8), 0);
	assert_int_equal(calendar_missing_years(&f->cal, 2027, 2027, out, 8), 1);
	assert_int_equal(out[0], 2027);
	assert_int_equal(calendar_missing_years(&f->cal, 2028, 2027, out, 8), 0);
	/* The whole int range is counted, not walked. */
	assert_int_equal(calendar_missing_years(&f->cal, INT_MIN, INT_MAX, out, 2),
			 (uint64_t)UINT32_MAX + 1 - 8);
	assert_int_equal(out[0], INT_MIN);
	assert_int_equal(out[1], INT_MIN + 1);
}

static void test_report_years(void **state)
{
	struct fixture *f = *state;
	int first, last;

	assert_int_equal(calendar_set_years(&f->cal, shipped, NSHIPPED), 0);
	calendar_report_years(&f->cal, 2026, &first, &last);
	assert_int_equal(first, 2019);
	assert_int_equal(last, 2027);
	/* Years later: through next year, missing ones and all. */
	calendar_report_years(&f->cal, 2030, &first, &last);
	assert_int_equal(first, 2019);
	assert_int_equal(last, 2031);
	/* A recorded year after next year stretches the report. */
	const int later[] = { 2019, 2029 };
	assert_int_equal(calendar_set_years(&f->cal, later, 2), 0);
	calendar_report_years(&f->cal, 2026, &first, &last);
	assert_int_equal(first, 2019);
	assert_int_equal(last, 2029);
	/* Nothing loaded: this year and next. */
	assert_int_equal(calendar_set_years(&f->cal, NULL, 0), 0);
	calendar_report_years(&f->cal, 2026, &first, &last);
	assert_int_equal(first, 2026);
	assert_int_equal(last, 2027);
	calendar_report_years(NULL, INT_MAX, &first, &last);
	assert_int_equal(first, INT_MAX);
	assert_int_equal(last, INT_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_due_dates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_is_working, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_shifts_by_its_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_matches_add, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extremes, setup, teardown),
		cmocka_unit_test(test_weekday),
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_init_duplicates_last_wins),
		cmocka_unit_test_setup_teardown(test_init_unsorted_and_empty, setup, teardown),
		cmocka_unit_test(test_year_of),
		cmocka_unit_test(test_set_years),
		cmocka_unit_test_setup_teardown(test_range_complete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_years, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_years, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
