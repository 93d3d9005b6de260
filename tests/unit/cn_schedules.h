/* cn_schedules.h - the official holiday and make-up working day schedules
 * the calendar and deadline tests count with (shared test data). */
#ifndef OPENGOV_TEST_CN_SCHEDULES_H
#define OPENGOV_TEST_CN_SCHEDULES_H

#include <stdbool.h>

/* A run of days, both ends inclusive, all off or all working. */
struct run {
	const char *from;
	const char *to;
	bool working;
};

/* State Council notice of 2018-12-06 for 2019 (incl. the 2018 year end). */
static const struct run cn2019[] __attribute__((unused)) = {
	{ "2018-12-29", "2018-12-29", true }, /* Saturday */
	{ "2018-12-30", "2019-01-01", false }, /* New Year */
	{ "2019-02-02", "2019-02-03", true }, /* Saturday, Sunday */
	{ "2019-02-04", "2019-02-10", false }, /* Spring Festival */
	{ "2019-04-05", "2019-04-07", false }, /* Qingming */
	{ "2019-04-28", "2019-04-28", true }, /* Sunday */
	{ "2019-05-01", "2019-05-04", false }, /* Labour Day */
	{ "2019-05-05", "2019-05-05", true }, /* Sunday */
	{ "2019-06-07", "2019-06-09", false }, /* Dragon Boat */
	{ "2019-09-13", "2019-09-15", false }, /* Mid-Autumn */
	{ "2019-09-29", "2019-09-29", true }, /* Sunday */
	{ "2019-10-01", "2019-10-07", false }, /* National Day */
	{ "2019-10-12", "2019-10-12", true }, /* Saturday */
};

/* State Council notice for 2026. */
static const struct run cn2026[] __attribute__((unused)) = {
	{ "2026-01-01", "2026-01-03", false }, /* New Year */
	{ "2026-01-04", "2026-01-04", true }, /* Sunday */
	{ "2026-02-14", "2026-02-14", true }, /* Saturday */
	{ "2026-02-15", "2026-02-23", false }, /* Spring Festival */
	{ "2026-02-28", "2026-02-28", true }, /* Saturday */
	{ "2026-04-04", "2026-04-06", false }, /* Qingming */
	{ "2026-05-01", "2026-05-05", false }, /* Labour Day */
	{ "2026-05-09", "2026-05-09", true }, /* Saturday */
	{ "2026-06-19", "2026-06-21", false }, /* Dragon Boat */
	{ "2026-09-20", "2026-09-20", true }, /* Sunday */
	{ "2026-09-25", "2026-09-27", false }, /* Mid-Autumn */
	{ "2026-10-01", "2026-10-07", false }, /* National Day */
	{ "2026-10-10", "2026-10-10", true }, /* Saturday */
};

/* Room for both schedules expanded to single days. */
#define MAX_OVERRIDES 128

/* Schedules expanded to single days, as the database would hold them.
 * (Include after cmocka.h and opengov/calendar.h.) */
struct fixture {
	struct cal_override days[MAX_OVERRIDES];
	size_t n;
	struct calendar cal;
};

static __attribute__((unused)) int day_of(const char *s)
{
	int d = INT_MIN;

	if (calendar_parse(s, &d) != 0)
		fail_msg("bad date in the test itself: %s", s);
	return d;
}

static __attribute__((unused)) void expand(struct fixture *f, const struct run *runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int d = day_of(runs[i].from); d <= day_of(runs[i].to); d++) {
			assert_true(f->n < MAX_OVERRIDES);
			f->days[f->n].day = d;
			f->days[f->n].working = runs[i].working;
			f->n++;
		}
}

static __attribute__((unused)) int teardown(void **state)
{
	struct fixture *f = *state;

	calendar_free(&f->cal);
	free(f);
	return 0;
}

#endif
