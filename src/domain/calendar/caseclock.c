/* caseclock.c - the clocks of a case (acceptance, statutory, committed),
 * between its row and the deadline arithmetic of src/domain/calendar/deadline.c. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opengov/domain/caseclock.h"
#include "opengov/db/db.h"

#define MAX_INTERVALS CASE_MAX_INTERVALS

static int day_or(const PGresult *res, int row, const char *col, int dflt)
{
	const char *v = db_get(res, row, col);

	return v ? atoi(v) : dflt;
}

static json_t *json_col(const PGresult *res, int row, const char *col)
{
	const char *v = db_get(res, row, col);

	if (v && !strcmp(v, "[]")) /* most cases: no exclusion, no extension */
		return json_array();
	return v ? json_loads(v, 0, NULL) : NULL;
}

static json_t *json_array_col(const PGresult *res, int row, const char *col)
{
	json_t *j = json_col(res, row, col);

	if (!json_is_array(j)) {
		json_decref(j);
		j = json_array();
	}
	return j;
}

void state_load(struct case_state *s, const PGresult *res, int row)
{
	const char *outcome = db_get(res, row, "outcome");
	int k = case_kind_parse(db_get(res, row, "kind"));
	int st = case_status_parse(db_get(res, row, "status"));

	memset(s, 0, sizeof *s);
	s->kind = k < 0 ? CK_DISCLOSURE : (enum case_kind)k;
	s->status = st < 0 ? CS_WITHDRAWN : (enum case_status)st;
	s->received = day_or(res, row, "received_day", 0);
	s->start = day_or(res, row, "clock_start", -1);
	s->allowed = day_or(res, row, "days_allowed", 0);
	s->committed = day_or(res, row, "committed_days", -1);
	s->acc_start = day_or(res, row, "acceptance_start", -1);
	s->acc_due = day_or(res, row, "acceptance_due", -1);
	s->extensions = json_array_col(res, row, "extensions");
	s->excluded = json_array_col(res, row, "excluded");
	s->correction = json_col(res, row, "correction");
	s->correction_due = day_or(res, row, "correction_due", -1);
	s->corrections = day_or(res, row, "corrections", 0);
	s->pause = json_col(res, row, "pause");
	s->pause_limit = day_or(res, row, "pause_limit", -1);
	s->fee = json_col(res, row, "fee");
	s->fee_due = day_or(res, row, "fee_due", -1);
	s->decided = day_or(res, row, "decided_day", -1);
	s->closed = day_or(res, row, "closed_day", -1);
	s->delivery_due = day_or(res, row, "delivery_due", -1);
	s->delivered = day_or(res, row, "delivered_day", -1);
	snprintf(s->outcome, sizeof s->outcome, "%s", outcome ? outcome : "");
}

void state_free(struct case_state *s)
{
	json_decref(s->extensions);
	json_decref(s->excluded);
	json_decref(s->correction);
	json_decref(s->pause);
	json_decref(s->fee);
	s->extensions = s->excluded = s->correction = s->pause = s->fee = NULL;
}

static json_t *json_day(int day)
{
	char d[11];

	calendar_format(day, d);
	return json_string(d);
}

static int parse_day(const json_t *v, int dflt)
{
	int day;
	const char *s = json_string_value(v);

	return s && !calendar_parse(s, &day) ? day : dflt;
}

size_t state_intervals(const struct case_state *s, struct cal_interval *out, size_t max)
{
	size_t n = 0, i;
	json_t *e;

	json_array_foreach(s->excluded, i, e) {
		if (n == max)
			break;
		out[n].from = parse_day(json_object_get(e, "from"), 0);
		/* A running wait ends at its limit at the latest: that is the
		 * due date if nobody ends it sooner, and the days after the limit
		 * count again. */
		out[n].to = parse_day(json_object_get(e, "to"),
				      parse_day(json_object_get(e, "limit"), INT_MAX));
		n++;
	}
	return n;
}

bool state_running_exclusion(const struct case_state *s)
{
	size_t i;
	json_t *e;

	json_array_foreach(s->excluded, i, e)
		if (json_is_null(json_object_get(e, "to")))
			return true;
	return false;
}

void state_open_exclusion(struct case_state *s, int day, int limit, const char *reason)
{
	json_array_append_new(s->excluded, json_pack("{s:o, s:n, s:s, s:o}", "from", json_day(day + 1),
						     "to", "reason", reason, "limit",
						     limit >= 0 ? json_day(limit) : json_null()));
}

void state_close_exclusion(struct case_state *s, int day)
{
	size_t i;
	json_t *e;

	for (i = 0; i < json_array_size(s->excluded); i++) {
		e = json_array_get(s->excluded, i);
		if (!json_is_null(json_object_get(e, "to")))
			continue;
		int from = parse_day(json_object_get(e, "from"), 0);
		int limit = parse_day(json_object_get(e, "limit"), INT_MAX);
		int to = day < limit ? day : limit;
		if (to < from) { /* it excluded nothing: the same day, or before any working day */
			json_array_remove(s->excluded, i);
			i--;
			continue;
		}
		json_object_set_new(e, "to", json_day(to));
	}
}

static int compute(const struct calendar *cal, const struct case_state *s, int start, int allowed,
		   bool exclusions, int today, struct deadline_result *out)
{
	struct cal_interval ex[MAX_INTERVALS];
	struct deadline_input in = { 0 };

	in.start = start;
	in.allowed = allowed;
	if (exclusions) {
		in.nexcluded = state_intervals(s, ex, MAX_INTERVALS);
		in.excluded = ex;
	}
	in.today = today < start ? start : today;
	in.decided = s->decided >= 0 ? s->decided : s->closed;
	if (in.decided >= 0 && in.decided < start)
		in.decided = start;
	return deadline_compute(cal, &in, out);
}

int state_deadline(const struct calendar *cal, const struct case_state *s, int today,
		   struct deadline_result *out)
{
	if (s->start < 0) {
		/* No clock: whether one started today would count in known
		 * years; closed without one, nothing depends on the calendar. */
		out->calendar_complete = s->decided >= 0 || s->closed >= 0 ||
			calendar_range_complete(cal, today, calendar_add_working_days(cal, today,
										      s->allowed, NULL, 0));
		return -1;
	}
	return compute(cal, s, s->start, s->allowed, true, today, out);
}

int state_committed(const struct calendar *cal, const struct case_state *s, int today,
		    struct deadline_result *out)
{
	if (s->start < 0)
		return -1;
	int allowed = s->kind == CK_APPROVAL && s->committed >= 0 ? s->committed : s->allowed;
	return compute(cal, s, s->start, allowed, true, today, out);
}

/* The acceptance stage lasts while an approval request is submitted and
 * not yet accepted. */
static bool in_acceptance(const struct case_state *s)
{
	return s->kind == CK_APPROVAL && s->status == CS_SUBMITTED && s->start < 0 &&
	       s->acc_start >= 0;
}

int state_acceptance(const struct calendar *cal, const struct case_state *s, int today,
		     struct deadline_result *out)
{
	if (!in_acceptance(s))
		return -1;
	struct case_state open = *s;
	open.decided = open.closed = -1;
	return compute(cal, &open, s->acc_start, APPROVAL_ACCEPTANCE_DAYS, false, today, out);
}

int state_light_clock(const struct calendar *cal, const struct case_state *s, int today,
		      struct deadline_result *out)
{
	if (case_statuses[s->status].phase == PHASE_CLOSED)
		return -1;
	if (in_acceptance(s))
		return state_acceptance(cal, s, today, out);
	return state_committed(cal, s, today, out);
}

void state_light_dates(const struct calendar *cal, const struct case_state *s, int today,
		       char yellow[16], char red[16])
{
	struct deadline_result d;
	struct cal_interval ex[MAX_INTERVALS];
	int y, rd, rc;

	yellow[0] = red[0] = '\0';
	if (state_light_clock(cal, s, today, &d))
		return;
	if (case_statuses[s->status].phase == PHASE_RUNNING ||
	    case_statuses[s->status].phase == PHASE_WAITING) {
		if (in_acceptance(s)) {
			rc = deadline_light_days(cal, s->acc_start, APPROVAL_ACCEPTANCE_DAYS, NULL, 0,
						 &y, &rd);
		} else {
			size_t n = state_intervals(s, ex, MAX_INTERVALS);
			int allowed = s->kind == CK_APPROVAL && s->committed >= 0 ? s->committed
										  : s->allowed;
			rc = deadline_light_days(cal, s->start, allowed, ex, n, &y, &rd);
		}
		if (rc == 0) {
			if (y == INT_MIN)
				strcpy(yellow, "-infinity");
			else
				calendar_format(y, yellow);
			calendar_format(rd, red);
			return;
		}
		/* A wait without a limit (recorded before limits existed): the
		 * light holds while it lasts. */
	}
	/* Decided, or held: the light stays what it was. */
	strcpy(yellow, d.light == LIGHT_GREEN ? "infinity" : "-infinity");
	strcpy(red, d.light == LIGHT_RED ? "-infinity" : "infinity");
}

const char *light_of(const char *yellow, const char *red, int today)
{
	int y, rd;

	if (!yellow[0] || !red[0])
		return NULL;
	if (!strcmp(red, "-infinity") || (strcmp(red, "infinity") && !calendar_parse(red, &rd) &&
					   today >= rd))
		return "red";
	if (!strcmp(yellow, "-infinity") ||
	    (strcmp(yellow, "infinity") && !calendar_parse(yellow, &y) && today >= y))
		return "yellow";
	return "green";
}
