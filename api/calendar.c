/* calendar.c - the working-day calendar as clients see it: which days of a
 * range are working days and why, and the admin's overrides.
 * operationIds getCalendar, setCalendarDay. */
#include <stdio.h>
#include <string.h>

#include "opengov/api.h"
#include "opengov/calendar.h"
#include "opengov/jsonw.h"

#define CALENDAR_MAX_DAYS 366

#define DAY_COLUMNS \
	"to_char(d, 'YYYY-MM-DD') AS date, extract(isodow FROM d)::int AS weekday," \
	" coalesce(c.working, extract(isodow FROM d) < 6) AS working," \
	" CASE WHEN c.day IS NULL THEN 'rule' ELSE 'override' END AS source, c.note"

static int date_or_reply(struct req *r, const char *name, int *day)
{
	const char *v = http_query(r, name);

	if (!v) {
		query_invalid_reply(r, name, "is required (YYYY-MM-DD)");
		return -1;
	}
	if (calendar_parse(v, day)) {
		query_invalid_reply(r, name, "must be a date, YYYY-MM-DD");
		return -1;
	}
	return 0;
}

/* GET /v1/calendar - getCalendar: 200, 400. Every day of from..to
 * (inclusive, at most 366 days) with whether it is a working day. */
void calendar_get(struct req *r)
{
	static struct db_stmt st = { "calendar_range",
		"SELECT " DAY_COLUMNS " FROM generate_series($1::date, $2::date, interval '1 day') AS d"
		" LEFT JOIN calendar_days c ON c.day = d::date ORDER BY d", 0 };
	int from, to, working = 0;

	if (date_or_reply(r, "from", &from) || date_or_reply(r, "to", &to))
		return;
	if (to < from || to - from >= CALENDAR_MAX_DAYS) {
		query_invalid_reply(r, "to", "must be on or after from, at most 366 days in all");
		return;
	}
	const char *p[] = { http_query(r, "from"), http_query(r, "to") };
	PGresult *res = db_exec_or_reply(r, &st, 2, p);
	if (!res)
		return;
	for (int i = 0; i < PQntuples(res); i++)
		working += db_get(res, i, "working")[0] == 't';
	struct buf b = { 0 };
	buf_puts(&b, "{\"from\":");
	jw_string(&b, p[0]);
	buf_puts(&b, ",\"to\":");
	jw_string(&b, p[1]);
	buf_printf(&b, ",\"working_days\":%d,\"data\":", working);
	jw_rows(&b, res, PQntuples(res));
	buf_puts(&b, "}");
	PQclear(res);
	http_header(r, "Cache-Control", "public, max-age=60");
	http_json_text(r, 200, &b);
	buf_free(&b);
}

static const struct field day_fields[] = {
	{ "working", FT_BOOL, F_REQUIRED, 0, 0, NULL, NULL, NULL },
	{ "note", FT_STRING, F_NULLABLE, 0, 200, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL },
};

/* PUT /v1/calendar/{date} - setCalendarDay (admin): 200, 401, 403, 404
 * (not a date), 415, 422. Declares one day a working day or not, e.g. a
 * holiday or a make-up working day; audited. */
void calendar_put(struct req *r)
{
	static struct db_stmt st = { "calendar_set",
		"WITH up AS (INSERT INTO calendar_days (day, working, note, updated_by)"
		" VALUES ($1::date, $2::boolean, $3, $4)"
		" ON CONFLICT (day) DO UPDATE SET working = excluded.working, note = excluded.note,"
		" updated_by = excluded.updated_by, updated_at = now() RETURNING *)"
		" SELECT " DAY_COLUMNS " FROM up AS c, LATERAL (SELECT c.day AS d) AS x", 0 };
	struct verrs v = { 0 };
	int day;

	if (calendar_parse(r->path_params[0], &day)) {
		problem_reply(r, 404, "not-found", "There is no such date (YYYY-MM-DD).");
		return;
	}
	if (validate_object(r->json, day_fields, &v)) {
		problem_reply_errors(r, 422, "validation", "The day is invalid.", &v);
		return;
	}
	json_t *note = json_object_get(r->json, "note");
	const char *p[] = { r->path_params[0],
			    json_is_true(json_object_get(r->json, "working")) ? "true" : "false",
			    json_string_value(note), req_actor(r) };
	if (db_begin_or_reply(r))
		return;
	PGresult *res = db_exec_or_reply(r, &st, 4, p);
	if (!res)
		return;
	json_t *detail = json_pack("{s:s, s:b}", "date", p[0], "working", p[1][0] == 't');
	if (p[2])
		json_object_set_new(detail, "note", json_string(p[2]));
	int rc = audit_append_or_reply(r, "calendar.set", "calendar", p[0], detail);
	json_decref(detail);
	if (rc || db_commit_or_reply(r)) {
		PQclear(res);
		return;
	}
	http_row(r, 200, res, 0);
	PQclear(res);
}
