/* calendar.h - working days: weekends off, holidays off, make-up working
 * days on (a Saturday can be a working day), and which years carry the
 * official schedule. Dates are day numbers (days since 1970-01-01) in the
 * configured time zone. Pure: the overrides and the years come from the
 * database, the arithmetic is here and unit-tested. */
#ifndef OPENGOV_CALENDAR_H
#define OPENGOV_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>

/* A day that differs from the weekday rule, or confirms it (a holiday on a
 * Sunday): working or not. */
struct cal_override {
	int day;
	bool working;
};

/* Overrides sorted by day, no duplicates (calendar_init sorts a copy);
 * the complete years, sorted, no duplicates (calendar_set_years). */
struct calendar {
	struct cal_override *days;
	size_t n;
	int *years;
	size_t nyears;
	/* Whether each day from days[0] to days[n - 1] is a working day, one
	 * byte a day (built by calendar_init): a deadline walks day by day,
	 * and a look-up here spares a binary search per day. NULL: none. */
	unsigned char *working;
	int working_from;
	int working_n;
};

/* An interval of days that does not count (paused, waiting for a
 * correction): from and to inclusive. */
struct cal_interval {
	int from;
	int to;
};

/* Copies and sorts the overrides (a later duplicate wins); no year is
 * complete yet. 0 or -1. */
int calendar_init(struct calendar *c, const struct cal_override *days, size_t n);
/* Frees the overrides and the years. */
void calendar_free(struct calendar *c);

/*
 * Coverage. A year is complete when the State Council's official schedule
 * of its holidays and make-up working days is loaded; in any other year the
 * weekday rule alone is a guess (1 October counted as a working day).
 */

/* Copies and sorts the complete years (duplicates kept once), replacing
 * any earlier set; call after calendar_init. 0 or -1. */
int calendar_set_years(struct calendar *c, const int *years, size_t n);
/* The year of a day number. */
int calendar_year_of(int day);
bool calendar_year_complete(const struct calendar *c, int year);
/* Whether every year touched by the days from..to (inclusive) is complete.
 * A range with to < from touches no year: true. */
bool calendar_range_complete(const struct calendar *c, int from, int to);
/* The years first..last (inclusive) that are not complete, in order: the
 * first max of them go into out (which may be NULL when max is 0). Returns
 * how many there are, which may be more than max. */
size_t calendar_missing_years(const struct calendar *c, int first, int last, int *out,
			      size_t max);
/* The years a report of coverage covers: from the first complete year (or
 * this_year, if earlier or none) through next year (or the last complete
 * year, if later). */
void calendar_report_years(const struct calendar *c, int this_year, int *first, int *last);

/* "YYYY-MM-DD" (a real date, years 1900..9999) to a day number; 0 or -1. */
int calendar_parse(const char *s, int *day);
/* Day number to "YYYY-MM-DD" (out holds 11 bytes). */
void calendar_format(int day, char out[11]);
/* 1 = Monday .. 7 = Sunday (ISO 8601). */
int calendar_weekday(int day);

bool calendar_is_working(const struct calendar *c, int day);

/* The nth working day after start (start itself is day 0 and never counts),
 * skipping days inside any excluded interval. n = 0 gives start. */
int calendar_add_working_days(const struct calendar *c, int start, int n,
			      const struct cal_interval *excluded, size_t nexcluded);

/* Working days d with from < d <= to that lie in no excluded interval;
 * 0 when to <= from. */
int calendar_count_working_days(const struct calendar *c, int from, int to,
				const struct cal_interval *excluded, size_t nexcluded);

#endif
