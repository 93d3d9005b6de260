/* deadline.c - the statutory clock of a case: due date, working days used
 * and left, light and on-time verdict. Pure: the calendar does the counting. */
#include <limits.h>
#include <stddef.h>

#include "opengov/domain/deadline.h"

/* Far more than a case ever collects (one correction, a few pauses): a
 * bound keeps the copy on the stack and the input honest. */
#define DEADLINE_MAX_EXCLUDED 64

static const char *const light_names[LIGHT__MAX] = {
	[LIGHT_GREEN] = "green",
	[LIGHT_YELLOW] = "yellow",
	[LIGHT_RED] = "red",
};

int deadline_compute(const struct calendar *c, const struct deadline_input *in,
		     struct deadline_result *r)
{
	struct cal_interval ex[DEADLINE_MAX_EXCLUDED];
	int asof;

	if (!c || !in || !r)
		return -1;
	if (in->allowed < 0 || in->today < in->start)
		return -1;
	if (in->decided >= 0 && in->decided < in->start)
		return -1;
	if (in->nexcluded > DEADLINE_MAX_EXCLUDED || (in->nexcluded && !in->excluded))
		return -1;

	/* A decided case is judged as it stood on the decision day: its clock
	 * stopped there, whatever happened (or was not recorded) after. */
	asof = in->decided >= 0 ? in->decided : in->today;

	/* A running exclusion has no end yet: it has lasted up to the day we
	 * look from. Counting on from there pushes the due date out by one
	 * working day for each working day the pause goes on. */
	for (size_t i = 0; i < in->nexcluded; i++) {
		ex[i] = in->excluded[i];
		if (ex[i].to == INT_MAX)
			ex[i].to = ex[i].from > asof ? ex[i].from : asof;
	}

	r->due = calendar_add_working_days(c, in->start, in->allowed, ex, in->nexcluded);
	r->elapsed = calendar_count_working_days(c, in->start, asof, ex, in->nexcluded);
	/* Both are >= 0 and <= INT_MAX, so the difference cannot overflow. */
	r->remaining = in->allowed - r->elapsed;

	/* Overdue is a matter of dates, not of the count: a case due on a
	 * Friday is late on Saturday although no working day has passed. */
	if (asof > r->due)
		r->light = LIGHT_RED;
	else if (r->remaining <= DEADLINE_YELLOW_DAYS)
		r->light = LIGHT_YELLOW;
	else
		r->light = LIGHT_GREEN;

	if (in->decided >= 0)
		r->on_time = in->decided <= r->due ? 1 : 0;
	else
		r->on_time = -1;
	r->calendar_complete = calendar_range_complete(c, in->start, asof > r->due ? asof : r->due);
	return 0;
}

int deadline_light_days(const struct calendar *c, int start, int allowed,
			const struct cal_interval *excluded, size_t nexcluded,
			int *yellow_on, int *red_on)
{
	if (!c || !yellow_on || !red_on || allowed < 0 ||
	    nexcluded > DEADLINE_MAX_EXCLUDED || (nexcluded && !excluded))
		return -1;
	for (size_t i = 0; i < nexcluded; i++)
		if (excluded[i].to == INT_MAX)
			return -1;
	/* Red the day after the due day; yellow once the working days used
	 * reach allowed - DEADLINE_YELLOW_DAYS, which is the day that many
	 * working days after start. */
	*red_on = calendar_add_working_days(c, start, allowed, excluded, nexcluded) + 1;
	if (allowed <= DEADLINE_YELLOW_DAYS)
		*yellow_on = INT_MIN;
	else
		*yellow_on = calendar_add_working_days(c, start, allowed - DEADLINE_YELLOW_DAYS,
						       excluded, nexcluded);
	return 0;
}

const char *deadline_light_name(enum deadline_light l)
{
	if ((unsigned int)l >= LIGHT__MAX)
		return NULL;
	return light_names[l];
}
