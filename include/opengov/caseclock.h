/* caseclock.h - the statutory clock of a case as the requests table keeps
 * it (clock_start, days_allowed, extensions, excluded, correction): loaded
 * from a row, changed by a step, turned into the deadline and the light
 * dates lists filter on. Shared by the handlers and the monitor. */
#ifndef OPENGOV_CASECLOCK_H
#define OPENGOV_CASECLOCK_H

#include <stdbool.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "opengov/calendar.h"
#include "opengov/deadline.h"

#define CASE_MAX_INTERVALS 64

struct case_state {
	char kind[16];
	char status[24];
	int received;        /* day of receipt */
	int start;           /* day 0 of the clock; -1 not started */
	int allowed;         /* working days allowed, extensions included */
	json_t *extensions;  /* [{days, reason, at}] */
	json_t *excluded;    /* [{from, to|null, reason}] */
	json_t *correction;  /* the open or last notice, or NULL */
	int correction_due;  /* -1 none */
	int corrections;
	int decided;         /* day of the decision, -1 */
	int closed;          /* day closed without a decision, -1 */
};

/* From a row with the columns kind, status, received_day, clock_start,
 * days_allowed, extensions, excluded, correction, correction_due,
 * corrections, decided_day, closed_day (days as day numbers). */
void state_load(struct case_state *s, const PGresult *res, int row);
void state_free(struct case_state *s);

/* The excluded intervals as the calendar takes them (a running one has
 * to = INT_MAX); returns how many, at most max. */
size_t state_intervals(const struct case_state *s, struct cal_interval *out, size_t max);
bool state_running_exclusion(const struct case_state *s);
void state_open_exclusion(struct case_state *s, int today, const char *reason);
void state_close_exclusion(struct case_state *s, int today);

/* The clock as of today; -1 when it has not started. Then only
 * out->calendar_complete is set: whether a clock started today would count
 * in complete years (true for a case closed without a clock). */
int state_deadline(const struct calendar *cal, const struct case_state *s, int today,
		   struct deadline_result *out);
/* The light as the dates lists filter on: yellow from yellow, red from red
 * ("infinity": never, "-infinity": already; "" for no light). */
void state_light_dates(const struct calendar *cal, const struct case_state *s, int today,
		       char yellow[16], char red[16]);
/* Today's light from those dates; NULL for none. */
const char *light_of(const char *yellow, const char *red, int today);

#endif
