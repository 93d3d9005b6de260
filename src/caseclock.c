/* caseclock.c - the statutory clock of a case, between its row and the
 * deadline arithmetic of src/deadline.c. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opengov/caseclock.h"
#include "opengov/db.h"

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

void state_load(struct case_state *s, const PGresult *res, int row)
{
	snprintf(s->kind, sizeof s->kind, "%s", db_get(res, row, "kind"));
	snprintf(s->status, sizeof s->status, "%s", db_get(res, row, "status"));
	s->received = day_or(res, row, "received_day", 0);
	s->start = day_or(res, row, "clock_start", -1);
	s->allowed = day_or(res, row, "days_allowed", 0);
	s->extensions = json_col(res, row, "extensions");
	s->excluded = json_col(res, row, "excluded");
	s->correction = json_col(res, row, "correction");
	if (!json_is_array(s->extensions)) {
		json_decref(s->extensions);
		s->extensions = json_array();
	}
	if (!json_is_array(s->excluded)) {
		json_decref(s->excluded);
		s->excluded = json_array();
	}
	s->correction_due = day_or(res, row, "correction_due", -1);
	s->corrections = day_or(res, row, "corrections", 0);
	s->decided = day_or(res, row, "decided_day", -1);
	s->closed = day_or(res, row, "closed_day", -1);
}

void state_free(struct case_state *s)
{
	json_decref(s->extensions);
	json_decref(s->excluded);
	json_decref(s->correction);
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

/* The excluded intervals as the calendar takes them; a running one has
 * to = INT_MAX. Returns how many (at most max). */
size_t state_intervals(const struct case_state *s, struct cal_interval *out, size_t max)
{
	size_t n = 0, i;
	json_t *e;

	json_array_foreach(s->excluded, i, e) {
		if (n == max)
			break;
		out[n].from = parse_day(json_object_get(e, "from"), 0);
		out[n].to = parse_day(json_object_get(e, "to"), INT_MAX);
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

void state_open_exclusion(struct case_state *s, int today, const char *reason)
{
	json_array_append_new(s->excluded, json_pack("{s:o, s:n, s:s}", "from", json_day(today), "to",
						     "reason", reason));
}

void state_close_exclusion(struct case_state *s, int today)
{
	size_t i;
	json_t *e;

	json_array_foreach(s->excluded, i, e)
		if (json_is_null(json_object_get(e, "to")))
			json_object_set_new(e, "to", json_day(today));
}


/* The clock of s as of today. -1 when it has not started. */
int state_deadline(const struct calendar *cal, const struct case_state *s, int today,
			  struct deadline_result *out)
{
	struct cal_interval ex[MAX_INTERVALS];
	struct deadline_input in = { 0 };

	if (s->start < 0) {
		/* No clock: whether one started today would count in known
		 * years; closed without one, nothing depends on the calendar. */
		out->calendar_complete = s->decided >= 0 || s->closed >= 0 ||
			calendar_range_complete(cal, today, calendar_add_working_days(cal, today,
										      s->allowed, NULL, 0));
		return -1;
	}
	in.start = s->start;
	in.allowed = s->allowed;
	in.nexcluded = state_intervals(s, ex, MAX_INTERVALS);
	in.excluded = ex;
	in.today = today < s->start ? s->start : today;
	in.decided = s->decided >= 0 ? s->decided : s->closed;
	if (in.decided >= 0 && in.decided < s->start)
		in.decided = s->start;
	return deadline_compute(cal, &in, out);
}

/* The light as the dates lists filter on: yellow from *yellow, red from
 * *red ("infinity": never, "-infinity": already); NULL for no light. */
void state_light_dates(const struct calendar *cal, const struct case_state *s, int today,
			      char yellow[16], char red[16])
{
	struct deadline_result d;
	bool closed = !strcmp(s->status, "withdrawn") || !strcmp(s->status, "not_accepted") ||
		      !strcmp(s->status, "abandoned");

	yellow[0] = red[0] = '\0';
	if (closed || state_deadline(cal, s, today, &d))
		return;
	bool running = (!strcmp(s->status, "submitted") || !strcmp(s->status, "accepted")) &&
		       !state_running_exclusion(s);
	if (running) {
		struct cal_interval ex[MAX_INTERVALS];
		size_t n = state_intervals(s, ex, MAX_INTERVALS);
		int y, rd;
		if (deadline_light_days(cal, s->start, s->allowed, ex, n, &y, &rd) == 0) {
			if (y == INT_MIN)
				strcpy(yellow, "-infinity");
			else
				calendar_format(y, yellow);
			calendar_format(rd, red);
		}
		return;
	}
	/* Stopped (paused, waiting for a correction, decided): the light holds. */
	strcpy(yellow, d.light == LIGHT_GREEN ? "infinity" : "-infinity");
	strcpy(red, d.light == LIGHT_RED ? "-infinity" : "infinity");
}

/* The light of today from the stored dates (NULL for none). */
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

