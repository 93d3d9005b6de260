/* deadline.h - the statutory clock of a case: due date, working days used
 * and left, and its light, computed from the working-day calendar. Pure;
 * unit-tested in tests/unit/test_deadline.c. */
#ifndef OPENGOV_DEADLINE_H
#define OPENGOV_DEADLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "opengov/domain/calendar.h"

enum deadline_light { LIGHT_GREEN, LIGHT_YELLOW, LIGHT_RED, LIGHT__MAX };

/* Working days left at which a case turns yellow. */
#define DEADLINE_YELLOW_DAYS 2

struct deadline_input {
	int start;    /* day 0: receipt, acceptance or resubmission */
	int allowed;  /* working days allowed, extensions included */
	/* Intervals that do not count (paused, waiting for a correction); an
	 * interval still running has to = INT_MAX and counts up to today. */
	const struct cal_interval *excluded;
	size_t nexcluded;
	int today;    /* the current day in the service's time zone */
	int decided;  /* the day the case was decided, or -1 while open */
};

struct deadline_result {
	int due;       /* the allowed-th working day after start, exclusions skipped */
	int elapsed;   /* working days used: start < d <= min(today, decided), not excluded */
	int remaining; /* allowed - elapsed: 0 on the due day, negative when overdue */
	enum deadline_light light; /* of the open case, or at its decision */
	int on_time;   /* decided cases: 1 decided on or before due, else 0; open: -1 */
	/* Every day from start through the later of due and the day looked
	 * from (today, or the decision) lies in a year whose official schedule
	 * is loaded (calendar_range_complete): the figures are not guesses. */
	bool calendar_complete;
};

/* Computes r from in. An open exclusion (to = INT_MAX) pushes the due date
 * out day by day: it is taken as running up to today, and the due date is
 * counted on from there. Returns 0, or -1 for nonsense input (allowed < 0,
 * today < start). */
int deadline_compute(const struct calendar *c, const struct deadline_input *in,
		     struct deadline_result *r);

/* For a running clock (open, no running exclusion, closed exclusions
 * only), the first day it shows yellow and the first day it shows red: the
 * light of any day d >= start is red when d >= *red_on, yellow when
 * d >= *yellow_on, else green. *yellow_on is INT_MIN when the clock is
 * yellow from the start (allowed <= DEADLINE_YELLOW_DAYS). Stored with the
 * case, they let a list filter on the light with an index. 0 or -1 (as
 * deadline_compute; a running exclusion is nonsense here). */
int deadline_light_days(const struct calendar *c, int start, int allowed,
			const struct cal_interval *excluded, size_t nexcluded,
			int *yellow_on, int *red_on);

const char *deadline_light_name(enum deadline_light l);

#endif
