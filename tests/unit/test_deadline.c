/* test_deadline.c - the statutory clock over the official 2019 schedule:
 * hand-computed cases around the National Day week, checked as well against
 * a day-by-day walk that shares no code with src/domain/calendar/calendar.c. */
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
#include "opengov/domain/deadline.h"

#include "cn_schedules.h"

/* The years whose schedule the fixture holds: 2018 and 2020 are not. */
static const int complete_years[] = { 2019 };
#define NYEARS (sizeof complete_years / sizeof complete_years[0])

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	expand(f, cn2019, sizeof cn2019 / sizeof cn2019[0]);
	if (calendar_init(&f->cal, f->days, f->n) != 0 ||
	    calendar_set_years(&f->cal, complete_years, NYEARS) != 0) {
		calendar_free(&f->cal);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/*
 * The reference: the rules of docs/lifecycle.md restated as a walk over single
 * days. Weekdays come from plain modular arithmetic and the overrides from
 * a linear scan, so a bug in src/domain/calendar/calendar.c cannot hide behind itself.
 */
static bool ref_working(const struct fixture *f, int d)
{
	for (size_t i = f->n; i-- > 0;)
		if (f->days[i].day == d)
			return f->days[i].working;
	/* 1970-01-05 (day 4) was a Monday. */
	return (((long long)d - 4) % 7 + 7) % 7 < 5;
}

/* Whether day d does not count, looking from day asof: a running
 * exclusion covers its first day and everything up to asof. */
static bool ref_excluded(const struct deadline_input *in, int asof, int d)
{
	for (size_t i = 0; i < in->nexcluded; i++) {
		const struct cal_interval *e = &in->excluded[i];

		if (e->to == INT_MAX) {
			if (d == e->from || (e->from <= d && d <= asof))
				return true;
		} else if (e->from <= d && d <= e->to) {
			return true;
		}
	}
	return false;
}

static bool ref_counts(const struct fixture *f, const struct deadline_input *in, int asof, int d)
{
	return ref_working(f, d) && !ref_excluded(in, asof, d);
}

/* The year of day d by the C library, not by src/domain/calendar/calendar.c. */
static int ref_year(int d)
{
	time_t t = (time_t)d * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	return tm.tm_year + 1900;
}

static bool ref_year_complete(int y)
{
	for (size_t i = 0; i < NYEARS; i++)
		if (complete_years[i] == y)
			return true;
	return false;
}

static void ref_deadline(const struct fixture *f, const struct deadline_input *in,
			 struct deadline_result *r)
{
	int asof = in->decided >= 0 ? in->decided : in->today;
	int d = in->start;

	for (int n = in->allowed; n > 0;)
		if (ref_counts(f, in, asof, ++d))
			n--;
	r->due = d;
	r->elapsed = 0;
	for (d = in->start + 1; d <= asof; d++)
		r->elapsed += ref_counts(f, in, asof, d);
	r->remaining = in->allowed - r->elapsed;
	if (asof > r->due)
		r->light = LIGHT_RED;
	else if (r->remaining <= 2)
		r->light = LIGHT_YELLOW;
	else
		r->light = LIGHT_GREEN;
	r->on_time = in->decided < 0 ? -1 : in->decided <= r->due;
	r->calendar_complete = true;
	for (int y = ref_year(in->start); y <= ref_year(asof > r->due ? asof : r->due); y++)
		r->calendar_complete = r->calendar_complete && ref_year_complete(y);
}

/* Field by field: the struct has padding bytes that memcmp would read. */
static bool same_result(const struct deadline_result *a, const struct deadline_result *b)
{
	return a->due == b->due && a->elapsed == b->elapsed && a->remaining == b->remaining &&
	       a->light == b->light && a->on_time == b->on_time &&
	       a->calendar_complete == b->calendar_complete;
}

/* One line per result, so that a failed comparison names its case and
 * shows every field at once. */
static void describe(char *buf, size_t len, const char *name, const struct deadline_result *r)
{
	char due[11];
	const char *light = deadline_light_name(r->light);

	calendar_format(r->due, due);
	snprintf(buf, len, "%s: due %s elapsed %d remaining %d %s on_time %d complete %d", name,
		 due, r->elapsed, r->remaining, light ? light : "?", r->on_time,
		 r->calendar_complete);
}

#define MAX_EX 4
#define RUNNING NULL /* an exclusion's to: still running (INT_MAX) */

struct deadline_case {
	const char *name;
	const char *start;
	int allowed;
	struct {
		const char *from;
		const char *to;
	} ex[MAX_EX];
	size_t nex;
	const char *today;
	const char *decided; /* NULL while open */
	/* Expected, computed by hand on a printed 2019 calendar. */
	const char *due;
	int elapsed;
	int remaining;
	enum deadline_light light;
	int on_time;
};

/*
 * Received Wed 2019-09-25 (day 0), 20 working days: 26, 27 Sep are the 1st
 * and 2nd; 28 Sat off; 29 Sun make-up the 3rd; 30 the 4th; 1..7 Oct the
 * holiday week; 8..11 the 5th..8th; 12 Sat make-up the 9th; 14..18 the
 * 10th..14th; 21..25 the 15th..19th; Mon 28 Oct the 20th. Then 29, 30,
 * 31 Oct, 1 Nov are the 21st..24th, 4..8 Nov the 25th..29th, 11..15 the
 * 30th..34th, 18..22 the 35th..39th and Mon 25 Nov the 40th.
 */
#define DAY0 "2019-09-25"

/* The expected due day, elapsed, remaining, light and on_time. */
#define WANT(due_, elapsed_, remaining_, light_, on_time_)                                        \
	.due = due_, .elapsed = elapsed_, .remaining = remaining_, .light = light_,               \
	.on_time = on_time_

static const struct deadline_case cases[] = {
	/* The open case as the days go by. */
	{ .name = "receipt day", .start = DAY0, .allowed = 20, .today = DAY0,
	  WANT("2019-10-28", 0, 20, LIGHT_GREEN, -1) },
	{ .name = "make-up Sunday", .start = DAY0, .allowed = 20, .today = "2019-09-29",
	  WANT("2019-10-28", 3, 17, LIGHT_GREEN, -1) },
	{ .name = "inside the holiday week", .start = DAY0, .allowed = 20, .today = "2019-10-04",
	  WANT("2019-10-28", 4, 16, LIGHT_GREEN, -1) },
	{ .name = "three days left", .start = DAY0, .allowed = 20, .today = "2019-10-23",
	  WANT("2019-10-28", 17, 3, LIGHT_GREEN, -1) },
	{ .name = "two days left", .start = DAY0, .allowed = 20, .today = "2019-10-24",
	  WANT("2019-10-28", 18, 2, LIGHT_YELLOW, -1) },
	{ .name = "weekend before the due day", .start = DAY0, .allowed = 20, .today = "2019-10-27",
	  WANT("2019-10-28", 19, 1, LIGHT_YELLOW, -1) },
	{ .name = "due today", .start = DAY0, .allowed = 20, .today = "2019-10-28",
	  WANT("2019-10-28", 20, 0, LIGHT_YELLOW, -1) },
	{ .name = "overdue", .start = DAY0, .allowed = 20, .today = "2019-10-29",
	  WANT("2019-10-28", 21, -1, LIGHT_RED, -1) },

	/* Decided cases keep the light of their decision day. */
	{ .name = "decided on the due day", .start = DAY0, .allowed = 20, .today = "2019-12-02",
	  .decided = "2019-10-28",
	  WANT("2019-10-28", 20, 0, LIGHT_YELLOW, 1) },
	{ .name = "decided a day late", .start = DAY0, .allowed = 20, .today = "2019-12-02",
	  .decided = "2019-10-29",
	  WANT("2019-10-28", 21, -1, LIGHT_RED, 0) },
	{ .name = "decided in the holiday week", .start = DAY0, .allowed = 20,
	  .today = "2019-10-29", .decided = "2019-10-05",
	  WANT("2019-10-28", 4, 16, LIGHT_GREEN, 1) },
	{ .name = "decided on the receipt day", .start = DAY0, .allowed = 20, .today = DAY0,
	  .decided = DAY0,
	  WANT("2019-10-28", 0, 20, LIGHT_GREEN, 1) },

	/* One extension of 20: 40 working days. */
	{ .name = "extended, past the first due day", .start = DAY0, .allowed = 40,
	  .today = "2019-10-29",
	  WANT("2019-11-25", 21, 19, LIGHT_GREEN, -1) },
	{ .name = "extended, two days left", .start = DAY0, .allowed = 40, .today = "2019-11-21",
	  WANT("2019-11-25", 38, 2, LIGHT_YELLOW, -1) },
	{ .name = "extended, overdue", .start = DAY0, .allowed = 40, .today = "2019-11-26",
	  WANT("2019-11-25", 41, -1, LIGHT_RED, -1) },
	{ .name = "extended, decided on time", .start = DAY0, .allowed = 40, .today = "2019-12-31",
	  .decided = "2019-11-22",
	  WANT("2019-11-25", 39, 1, LIGHT_YELLOW, 1) },

	/* A closed pause over the 10th..14th working days, Mon..Fri: the due
	 * day becomes the 25th working day, Mon 4 Nov. */
	{ .name = "pause of a working week", .start = DAY0, .allowed = 20,
	  .ex = { { "2019-10-14", "2019-10-18" } }, .nex = 1, .today = "2019-10-21",
	  WANT("2019-11-04", 10, 10, LIGHT_GREEN, -1) },
	/* Thu 17 .. Wed 23 Oct: five working days around a weekend. */
	{ .name = "pause across a weekend", .start = DAY0, .allowed = 20,
	  .ex = { { "2019-10-17", "2019-10-23" } }, .nex = 1, .today = "2019-10-28",
	  WANT("2019-11-04", 15, 5, LIGHT_GREEN, -1) },
	{ .name = "paused, decided after the old due day", .start = DAY0, .allowed = 20,
	  .ex = { { "2019-10-14", "2019-10-18" } }, .nex = 1, .today = "2019-12-02",
	  .decided = "2019-10-31",
	  WANT("2019-11-04", 18, 2, LIGHT_YELLOW, 1) },

	/* A pause from Tue 8 Oct still running on Tue 15 Oct: the clock stays
	 * where it was on 7 Oct (4), and the 7 working days paused so far
	 * (8..12, 14, 15) push the due day from the 20th to the 27th working
	 * day, Wed 6 Nov. */
	{ .name = "running pause", .start = DAY0, .allowed = 20,
	  .ex = { { "2019-10-08", RUNNING } }, .nex = 1, .today = "2019-10-15",
	  WANT("2019-11-06", 4, 16, LIGHT_GREEN, -1) },
	/* Sunday 13 Oct: 8..12 paused, 5 working days, the 25th is 4 Nov. */
	{ .name = "running pause on a Sunday", .start = DAY0, .allowed = 20,
	  .ex = { { "2019-10-08", RUNNING } }, .nex = 1, .today = "2019-10-13",
	  WANT("2019-11-04", 4, 16, LIGHT_GREEN, -1) },
	/* Paused on the day it starts: that day already does not count. */
	{ .name = "running pause from today", .start = DAY0, .allowed = 20,
	  .ex = { { "2019-10-24", RUNNING } }, .nex = 1, .today = "2019-10-24",
	  WANT("2019-10-29", 17, 3, LIGHT_GREEN, -1) },
	/* A running pause that resumed earlier and paused again. */
	{ .name = "closed then running pause", .start = DAY0, .allowed = 20,
	  .ex = { { "2019-09-26", "2019-09-27" }, { "2019-10-21", RUNNING } }, .nex = 2,
	  .today = "2019-10-22",
	  WANT("2019-11-01", 12, 8, LIGHT_GREEN, -1) },

	/* A correction requested on the receipt day, answered by 30 Sep: the
	 * 1st..4th working days do not count, the 20th is the 24th, Fri 1 Nov. */
	{ .name = "correction from day 0", .start = DAY0, .allowed = 20,
	  .ex = { { DAY0, "2019-09-30" } }, .nex = 1, .today = "2019-09-27",
	  WANT("2019-11-01", 0, 20, LIGHT_GREEN, -1) },
	{ .name = "after a correction from day 0", .start = DAY0, .allowed = 20,
	  .ex = { { DAY0, "2019-09-30" } }, .nex = 1, .today = "2019-10-08",
	  WANT("2019-11-01", 1, 19, LIGHT_GREEN, -1) },
	/* The holiday week costs nothing to exclude: it was off anyway. */
	{ .name = "exclusion over the holiday week", .start = DAY0, .allowed = 20,
	  .ex = { { "2019-10-01", "2019-10-07" } }, .nex = 1, .today = "2019-10-28",
	  WANT("2019-10-28", 20, 0, LIGHT_YELLOW, -1) },

	/* Overdue is about dates: due Fri 25 Oct, and on Saturday no working
	 * day has passed since, yet the case is late. */
	{ .name = "due Friday, seen Saturday", .start = "2019-10-21", .allowed = 4,
	  .today = "2019-10-26",
	  WANT("2019-10-25", 4, 0, LIGHT_RED, -1) },
	{ .name = "due Friday, decided Saturday", .start = "2019-10-21", .allowed = 4,
	  .today = "2019-10-28", .decided = "2019-10-26",
	  WANT("2019-10-25", 4, 0, LIGHT_RED, 0) },
	/* Nothing allowed: due on day 0 itself. */
	{ .name = "zero days, day 0", .start = DAY0, .allowed = 0, .today = DAY0,
	  WANT(DAY0, 0, 0, LIGHT_YELLOW, -1) },
	{ .name = "zero days, day 1", .start = DAY0, .allowed = 0, .today = "2019-09-26",
	  WANT(DAY0, 1, -1, LIGHT_RED, -1) },
	/* Received on a holiday: counting starts on Tue 8 Oct. */
	{ .name = "received in the holiday week", .start = "2019-10-03", .allowed = 20,
	  .today = "2019-10-08",
	  WANT("2019-11-01", 1, 19, LIGHT_GREEN, -1) },
};

/* The case's exclusions as day numbers; RUNNING becomes INT_MAX. */
static size_t case_exclusions(const struct deadline_case *c, struct cal_interval *ex)
{
	for (size_t i = 0; i < c->nex; i++) {
		ex[i].from = day_of(c->ex[i].from);
		ex[i].to = c->ex[i].to ? day_of(c->ex[i].to) : INT_MAX;
	}
	return c->nex;
}

static void test_cases(void **state)
{
	const struct fixture *f = *state;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct deadline_case *c = &cases[i];
		struct cal_interval ex[MAX_EX], before[MAX_EX];
		struct deadline_input in = {
			.start = day_of(c->start),
			.allowed = c->allowed,
			.excluded = ex,
			.nexcluded = case_exclusions(c, ex),
			.today = day_of(c->today),
			.decided = c->decided ? day_of(c->decided) : -1,
		};
		struct deadline_result want = {
			.due = day_of(c->due),
			.elapsed = c->elapsed,
			.remaining = c->remaining,
			.light = c->light,
			.on_time = c->on_time,
			/* Every case lies in 2019, whose schedule is loaded. */
			.calendar_complete = true,
		};
		struct deadline_result got, ref;
		char sw[160], sg[160];

		memcpy(before, ex, sizeof ex);
		memset(&got, 0x5a, sizeof got);
		assert_int_equal(deadline_compute(&f->cal, &in, &got), 0);
		ref_deadline(f, &in, &ref);
		describe(sw, sizeof sw, c->name, &want);
		describe(sg, sizeof sg, c->name, &got);
		assert_string_equal(sg, sw);
		describe(sg, sizeof sg, c->name, &ref);
		assert_string_equal(sg, sw);
		/* The caller's exclusions are read, never rewritten. */
		assert_memory_equal(ex, before, sizeof ex);
	}
}

/* Day by day through a running pause from Tue 8 Oct: the elapsed count
 * stays at its 7 Oct value, and the due day moves one working day later
 * for each working day the pause has lasted. */
static void test_running_pause_day_by_day(void **state)
{
	const struct fixture *f = *state;
	struct cal_interval pause = { day_of("2019-10-08"), INT_MAX };
	struct deadline_input in = {
		.start = day_of(DAY0), .allowed = 20, .excluded = &pause, .nexcluded = 1,
		.today = day_of("2019-10-07"), .decided = -1,
	};
	struct deadline_result r, frozen;
	int paused = 0;

	assert_int_equal(deadline_compute(&f->cal, &in, &frozen), 0);
	assert_int_equal(frozen.elapsed, 4);
	for (int today = pause.from; today <= day_of("2019-12-31"); today++) {
		struct deadline_result ref;
		int due = day_of(DAY0);

		paused += ref_working(f, today);
		/* The plain calendar's (20 + paused)th working day. */
		for (int n = 20 + paused; n > 0;)
			n -= ref_working(f, ++due);
		in.today = today;
		assert_int_equal(deadline_compute(&f->cal, &in, &r), 0);
		assert_int_equal(r.elapsed, frozen.elapsed);
		assert_int_equal(r.remaining, 16);
		assert_int_equal(r.light, LIGHT_GREEN);
		assert_int_equal(r.on_time, -1);
		assert_int_equal(r.due, due);
		ref_deadline(f, &in, &ref);
		assert_true(same_result(&r, &ref));
	}
	/* Resumed on 15 Oct: the same due day as seen on the 15th, and the
	 * clock runs again from the 16th. */
	pause.to = day_of("2019-10-15");
	in.today = day_of("2019-10-16");
	assert_int_equal(deadline_compute(&f->cal, &in, &r), 0);
	assert_int_equal(r.due, day_of("2019-11-06"));
	assert_int_equal(r.elapsed, 5);
}

/* A closed pause holding exactly 5 working days moves the due day by
 * exactly 5 working days, wherever it lies before the due day. */
static void test_pause_shifts_by_five(void **state)
{
	const struct fixture *f = *state;
	static const char *const starts[] = { "2018-12-28", "2019-01-28", "2019-04-26",
					      "2019-09-25", "2019-10-03", "2019-10-12" };

	for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
		int start = day_of(starts[i]);
		int nth[26];

		/* nth[k]: the kth working day after start, by the reference. */
		nth[0] = start;
		for (int k = 1, d = start; k <= 25; k++) {
			while (!ref_working(f, ++d))
				;
			nth[k] = d;
		}
		for (int j = 0; j < 20; j++) {
			/* The day after the jth working day through the
			 * (j+5)th: the weekends and holidays in between too. */
			struct cal_interval pause = { nth[j] + 1, nth[j + 5] };
			struct deadline_input in = {
				.start = start, .allowed = 20, .excluded = &pause,
				.nexcluded = 1, .today = start, .decided = -1,
			};
			struct deadline_result r;

			assert_int_equal(deadline_compute(&f->cal, &in, &r), 0);
			assert_int_equal(r.due, nth[25]);
			assert_int_equal(r.elapsed, 0);
			/* Seen on the last paused day: j working days used. */
			in.today = pause.to;
			assert_int_equal(deadline_compute(&f->cal, &in, &r), 0);
			assert_int_equal(r.due, nth[25]);
			assert_int_equal(r.elapsed, j);
		}
	}
}

/* A small deterministic generator: the same "random" cases every run. */
static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

/* Every start of 2019 with random allowances, exclusions (some running,
 * some empty), days of looking and decisions, against the reference. */
static void test_against_reference(void **state)
{
	const struct fixture *f = *state;
	uint32_t seed = 20191001;

	for (int start = day_of("2018-12-20"); start <= day_of("2019-12-31"); start++)
		for (int k = 0; k < 40; k++) {
			struct cal_interval ex[MAX_EX];
			struct deadline_input in = {
				.start = start,
				.allowed = (int)(lcg(&seed) % 46),
				.excluded = ex,
				.nexcluded = lcg(&seed) % (MAX_EX + 1),
				.today = start + (int)(lcg(&seed) % 90),
				.decided = -1,
			};
			struct deadline_result r, ref;

			for (size_t i = 0; i < in.nexcluded; i++) {
				ex[i].from = start - 5 + (int)(lcg(&seed) % 100);
				if (lcg(&seed) % 4 == 0)
					ex[i].to = INT_MAX;
				else
					ex[i].to = ex[i].from + (int)(lcg(&seed) % 30) - 2;
			}
			if (lcg(&seed) % 2)
				in.decided = start + (int)(lcg(&seed) %
							   (uint32_t)(in.today - start + 1));
			assert_int_equal(deadline_compute(&f->cal, &in, &r), 0);
			ref_deadline(f, &in, &ref);
			if (!same_result(&r, &ref)) {
				char a[160], b[160];

				describe(a, sizeof a, "got", &r);
				describe(b, sizeof b, "ref", &ref);
				fail_msg("start %d k %d: %s / %s", start, k, a, b);
			}
			assert_int_equal(r.remaining, in.allowed - r.elapsed);
		}
}

/* The stored light days agree with deadline_compute on every day of a
 * running clock: what a list filters on is what a case shows. */
static void test_light_days_agree(void **state)
{
	const struct fixture *f = *state;
	uint32_t seed = 20261127;

	for (int start = day_of("2018-12-20"); start <= day_of("2019-12-31"); start += 3)
		for (int k = 0; k < 8; k++) {
			struct cal_interval ex[MAX_EX];
			size_t n = lcg(&seed) % 3;
			int allowed = (int)(lcg(&seed) % 46), yellow, red;

			for (size_t i = 0; i < n; i++) {
				ex[i].from = start + (int)(lcg(&seed) % 60);
				ex[i].to = ex[i].from + (int)(lcg(&seed) % 15);
			}
			assert_int_equal(deadline_light_days(&f->cal, start, allowed, ex, n,
							     &yellow, &red), 0);
			for (int today = start; today < start + 120; today++) {
				struct deadline_input in = { .start = start, .allowed = allowed,
					.excluded = ex, .nexcluded = n, .today = today, .decided = -1 };
				struct deadline_result r;
				enum deadline_light l = today >= red ? LIGHT_RED
						      : today >= yellow ? LIGHT_YELLOW : LIGHT_GREEN;

				assert_int_equal(deadline_compute(&f->cal, &in, &r), 0);
				if (r.light != l)
					fail_msg("start %d allowed %d today %d: compute %d, days %d",
						 start, allowed, today, r.light, l);
			}
		}
	/* A running exclusion has no fixed days. */
	struct cal_interval running = { day_of("2019-03-01"), INT_MAX };
	int y, r;
	assert_int_equal(deadline_light_days(&f->cal, day_of("2019-03-01"), 20, &running, 1,
					     &y, &r), -1);
	assert_int_equal(deadline_light_days(&f->cal, day_of("2019-03-01"), -1, NULL, 0,
					     &y, &r), -1);
}

/* A decided case does not change as the days go by, even with a pause
 * that was never closed: its clock stopped on the decision day. */
static void test_decided_is_stable(void **state)
{
	const struct fixture *f = *state;
	struct cal_interval pause = { day_of("2019-10-21"), INT_MAX };
	struct deadline_input in = {
		.start = day_of(DAY0), .allowed = 20, .excluded = &pause, .nexcluded = 1,
		.decided = day_of("2019-10-25"),
	};
	struct deadline_result first, r;

	in.today = in.decided;
	assert_int_equal(deadline_compute(&f->cal, &in, &first), 0);
	/* 21..25 Oct paused: 5 working days, the 25th is Mon 4 Nov. */
	assert_int_equal(first.due, day_of("2019-11-04"));
	assert_int_equal(first.elapsed, 14);
	assert_int_equal(first.on_time, 1);
	for (in.today = in.decided; in.today <= day_of("2020-03-01"); in.today++) {
		assert_int_equal(deadline_compute(&f->cal, &in, &r), 0);
		assert_true(same_result(&r, &first));
	}
}

static void test_errors(void **state)
{
	const struct fixture *f = *state;
	struct cal_interval many[65];
	const struct deadline_input good = {
		.start = day_of(DAY0), .allowed = 20, .today = day_of("2019-10-24"), .decided = -1,
	};
	struct deadline_input in;
	struct deadline_result r;

	assert_int_equal(deadline_compute(&f->cal, &good, &r), 0);
	assert_int_equal(deadline_compute(NULL, &good, &r), -1);
	assert_int_equal(deadline_compute(&f->cal, NULL, &r), -1);
	assert_int_equal(deadline_compute(&f->cal, &good, NULL), -1);

	in = good;
	in.allowed = -1;
	assert_int_equal(deadline_compute(&f->cal, &in, &r), -1);
	in.allowed = INT_MIN;
	assert_int_equal(deadline_compute(&f->cal, &in, &r), -1);

	in = good;
	in.today = in.start - 1;
	assert_int_equal(deadline_compute(&f->cal, &in, &r), -1);

	in = good;
	in.decided = in.start - 1;
	assert_int_equal(deadline_compute(&f->cal, &in, &r), -1);
	in.decided = in.start; /* day 0 is a valid decision day */
	assert_int_equal(deadline_compute(&f->cal, &in, &r), 0);

	/* Exclusions promised but not given. */
	in = good;
	in.nexcluded = 1;
	assert_int_equal(deadline_compute(&f->cal, &in, &r), -1);

	/* 64 exclusions are taken, 65 are not. */
	for (size_t i = 0; i < 65; i++) {
		many[i].from = good.start + (int)i;
		many[i].to = i % 2 ? INT_MAX : good.start;
	}
	in = good;
	in.excluded = many;
	in.nexcluded = 64;
	assert_int_equal(deadline_compute(&f->cal, &in, &r), 0);
	in.nexcluded = 65;
	assert_int_equal(deadline_compute(&f->cal, &in, &r), -1);
}

/* Absurd but legal input ends and does not overflow (UBSan watches). */
static void test_extremes(void **state)
{
	const struct fixture *f = *state;
	struct cal_interval forever = { day_of(DAY0), INT_MAX };
	struct deadline_input in = {
		.start = day_of(DAY0), .allowed = 100000, .today = day_of(DAY0), .decided = -1,
	};
	struct deadline_result r, ref;

	/* Four centuries of working days. */
	assert_int_equal(deadline_compute(&f->cal, &in, &r), 0);
	ref_deadline(f, &in, &ref);
	assert_true(same_result(&r, &ref));
	assert_int_equal(r.remaining, 100000);
	assert_int_equal(r.light, LIGHT_GREEN);

	/* A running pause from day 0, seen two centuries later. */
	in.allowed = 20;
	in.excluded = &forever;
	in.nexcluded = 1;
	in.today = day_of("2219-09-25");
	assert_int_equal(deadline_compute(&f->cal, &in, &r), 0);
	assert_int_equal(r.elapsed, 0);
	assert_true(r.due > in.today);
	assert_int_equal(r.light, LIGHT_GREEN);

	/* The last representable day: already overdue. */
	in.excluded = NULL;
	in.nexcluded = 0;
	in.today = INT_MAX;
	assert_int_equal(deadline_compute(&f->cal, &in, &r), 0);
	assert_int_equal(r.due, day_of("2019-10-28"));
	assert_int_equal(r.light, LIGHT_RED);
	assert_true(r.remaining < 0);
}

/* calendar_complete: every day from day 0 through the later of the due
 * day and the day looked from (or decided on) lies in a complete year. */
static void test_calendar_complete(void **state)
{
	const struct fixture *f = *state;
	static const struct {
		const char *start;
		int allowed;
		const char *today;
		const char *decided;
		bool complete;
	} spans[] = {
		{ DAY0, 20, "2019-10-10", NULL, true },
		{ DAY0, 20, "2019-12-31", NULL, true },
		/* Still open (red) in 2020: its elapsed days count in 2020. */
		{ DAY0, 20, "2020-01-02", NULL, false },
		/* Decided in 2019: seen in 2020, it stays as it was. */
		{ DAY0, 20, "2020-03-01", "2019-10-28", true },
		/* Due in 2020, even though looked at in 2019. */
		{ "2019-12-10", 20, "2019-12-11", NULL, false },
		/* Received in 2018, whose schedule is not loaded. */
		{ "2018-12-28", 20, "2019-01-02", NULL, false },
		/* Day 0 on the last day of 2019, nothing allowed. */
		{ "2019-12-31", 0, "2019-12-31", NULL, true },
	};

	for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++) {
		struct deadline_input in = {
			.start = day_of(spans[i].start), .allowed = spans[i].allowed,
			.today = day_of(spans[i].today),
			.decided = spans[i].decided ? day_of(spans[i].decided) : -1,
		};
		struct deadline_result r, ref;

		assert_int_equal(deadline_compute(&f->cal, &in, &r), 0);
		ref_deadline(f, &in, &ref);
		assert_true(same_result(&r, &ref));
		if (r.calendar_complete != spans[i].complete)
			fail_msg("case %zu (%s, today %s): calendar_complete %d", i,
				 spans[i].start, spans[i].today, r.calendar_complete);
	}

	/* A calendar that knows no year knows no deadline for sure. */
	struct calendar none;
	struct deadline_input in = { .start = day_of(DAY0), .allowed = 20,
				     .today = day_of(DAY0), .decided = -1 };
	struct deadline_result r;

	assert_int_equal(calendar_init(&none, f->days, f->n), 0);
	assert_int_equal(deadline_compute(&none, &in, &r), 0);
	assert_int_equal(r.due, day_of("2019-10-28"));
	assert_false(r.calendar_complete);
	calendar_free(&none);
}

static void test_light_names(void **state)
{
	(void)state;
	assert_string_equal(deadline_light_name(LIGHT_GREEN), "green");
	assert_string_equal(deadline_light_name(LIGHT_YELLOW), "yellow");
	assert_string_equal(deadline_light_name(LIGHT_RED), "red");
	assert_null(deadline_light_name(LIGHT__MAX));
	assert_null(deadline_light_name((enum deadline_light)-1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_running_pause_day_by_day, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_shifts_by_five, setup, teardown),
		cmocka_unit_test_setup_teardown(test_against_reference, setup, teardown),
		cmocka_unit_test_setup_teardown(test_light_days_agree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decided_is_stable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extremes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calendar_complete, setup, teardown),
		cmocka_unit_test(test_light_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
