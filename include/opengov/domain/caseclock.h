/* caseclock.h - the clocks of a case as the requests table keeps them:
 * loaded from a row, changed by a step, turned into deadlines and into the
 * light dates lists filter on. A case has up to four clocks, each counted
 * in working days from its own day 0 (src/domain/calendar/deadline.c):
 *   - acceptance (approval): 5 days from receipt or resubmission to accept,
 *     ask for a correction or refuse (Licensing Law Art. 32);
 *   - statutory: disclosure 20 days from receipt (OGI Art. 33), approval
 *     the item's statutory days from acceptance (Art. 42), each extendable
 *     once; on_time is judged against it;
 *   - committed (approval): the item's shorter promise from the same day 0,
 *     which the light follows;
 *   - delivery (approved licences): 10 days from the decision (Art. 44).
 * A wait (correction, pause, fee) excludes the days after the day it began,
 * up to the day it ends or its limit, whichever comes first: a same-day
 * pause and resume excludes nothing, and a pause that outruns its limit
 * counts again. Shared by the handlers and the monitor. */
#ifndef OPENGOV_CASECLOCK_H
#define OPENGOV_CASECLOCK_H

#include <stdbool.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "opengov/domain/calendar.h"
#include "opengov/domain/caserules.h"
#include "opengov/domain/deadline.h"

#define CASE_MAX_INTERVALS 64

struct case_state {
	enum case_kind kind;
	enum case_status status;
	int received;        /* day of receipt */
	int start;           /* day 0 of the statutory clock; -1 not started */
	int allowed;         /* statutory working days, extension included */
	int committed;       /* approval: committed working days, extension included; -1 none */
	int acc_start;       /* approval acceptance stage: day 0, or -1 */
	int acc_due;         /* its last day, or -1 */
	json_t *extensions;  /* [{days, reason, at}] */
	json_t *excluded;    /* [{from, to|null, reason, limit}] */
	json_t *correction;  /* the open or last notice, or NULL */
	int correction_due;  /* -1 none */
	int corrections;
	json_t *pause;       /* the running or last pause, or NULL */
	int pause_limit;     /* -1 */
	json_t *fee;         /* the fee notice, or NULL */
	int fee_due;         /* -1 */
	int decided;         /* day of the decision, -1 */
	int closed;          /* day closed without a decision, -1 */
	int delivery_due;    /* -1 */
	int delivered;       /* day the licence was delivered, -1 */
	char outcome[32];    /* "" before a decision */
};

/* From a row of the columns REQUEST_COLUMNS selects (include/opengov/
 * caseflow.h; days as day numbers). */
void state_load(struct case_state *s, const PGresult *res, int row);
void state_free(struct case_state *s);

/* The excluded intervals as the calendar takes them: a running one ends at
 * its limit (or, an old one without a limit, at INT_MAX); at most max. */
size_t state_intervals(const struct case_state *s, struct cal_interval *out, size_t max);
bool state_running_exclusion(const struct case_state *s);
/* A wait that began on day `day`: the days after it, up to limit, do not
 * count. */
void state_open_exclusion(struct case_state *s, int day, int limit, const char *reason);
/* It ended on day: the interval closes there (its limit at most); an
 * interval that excluded nothing is dropped. */
void state_close_exclusion(struct case_state *s, int day);

/* The statutory clock as of today; -1 when it has not started. Then only
 * out->calendar_complete is set: whether a clock started today would count
 * in complete years (true for a case closed without a clock). */
int state_deadline(const struct calendar *cal, const struct case_state *s, int today,
		   struct deadline_result *out);
/* The committed clock (approval; for disclosure, the statutory one). */
int state_committed(const struct calendar *cal, const struct case_state *s, int today,
		    struct deadline_result *out);
/* The acceptance stage's clock (approval, while it lasts); -1 otherwise. */
int state_acceptance(const struct calendar *cal, const struct case_state *s, int today,
		     struct deadline_result *out);
/* The clock the light follows today, whichever it is; -1 when none runs. */
int state_light_clock(const struct calendar *cal, const struct case_state *s, int today,
		      struct deadline_result *out);

/* The light as the dates lists filter on: yellow from yellow, red from red
 * ("infinity": never, "-infinity": already; "" for no light). */
void state_light_dates(const struct calendar *cal, const struct case_state *s, int today,
		       char yellow[16], char red[16]);
/* Today's light from those dates; NULL for none. */
const char *light_of(const char *yellow, const char *red, int today);

#endif
