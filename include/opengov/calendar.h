/* calendar.h - working days: weekends off, holidays off, make-up working
 * days on (a Saturday can be a working day). Dates are day numbers (days
 * since 1970-01-01) in the configured time zone. Pure: the overrides come
 * from the database, the arithmetic is here and unit-tested. */
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

/* Overrides sorted by day, no duplicates (calendar_init sorts a copy). */
struct calendar {
	struct cal_override *days;
	size_t n;
};

/* An interval of days that does not count (paused, waiting for a
 * correction): from and to inclusive. */
struct cal_interval {
	int from;
	int to;
};

/* Copies and sorts the overrides (a later duplicate wins). 0 or -1. */
int calendar_init(struct calendar *c, const struct cal_override *days, size_t n);
void calendar_free(struct calendar *c);

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
