/* calendar.c - the working-day calendar as clients see it: which days of a
 * range are working days and why, the admin's overrides, and which years
 * carry the State Council's official schedule.
 * operationIds getCalendar, setCalendarDay, getCalendarYears,
 * getCalendarYear, setCalendarYear, deleteCalendarYear. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opengov/api/handlers.h"
#include "opengov/api/common.h"
#include "opengov/domain/calendar.h"
#include "opengov/db/jsonw.h"
#include "opengov/domain/workcal.h"

#define CALENDAR_MAX_DAYS 366

#define YEAR_COLUMNS \
	"y.year, true AS complete, y.notice, y.notice_number," \
	" to_char(y.published_on, 'YYYY-MM-DD') AS published_on, y.note, y.recorded_by," \
	" rfc3339(y.recorded_at) AS recorded_at"

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

/* Writes the years without an official schedule from..to touches, as a
 * JSON array of numbers. */
static void write_incomplete_years(struct buf *b, const struct calendar *c, int from, int to)
{
	int first = calendar_year_of(from), last = calendar_year_of(to), years[2];
	size_t n = calendar_missing_years(c, first, last, years, 2);

	/* 366 days touch two years at most. */
	buf_puts(b, "[");
	for (size_t i = 0; i < n && i < 2; i++)
		buf_printf(b, "%s%d", i ? "," : "", years[i]);
	buf_puts(b, "]");
}

/* GET /v1/calendar - getCalendar: 200, 400, 401, 500, 503. Every day of
 * from..to (inclusive, at most 366 days) with whether it is a working day,
 * and the years of the range whose official schedule is not loaded. */
void api_calendar_get(struct req *r)
{
	DB_STMT(st, "calendar_range",
		"SELECT " DAY_COLUMNS ", (SELECT version FROM calendar_meta) AS _cal_version"
		" FROM generate_series($1::date, $2::date, interval '1 day') AS d"
		" LEFT JOIN calendar_days c ON c.day = d::date ORDER BY d");
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
	/* The years as of the version read with the days (jw_rows leaves
	 * out a column named _...). */
	const char *v = db_get(res, 0, "_cal_version");
	const struct calendar *cal = workcal_get(r->db, v ? strtoll(v, NULL, 10) : -1);
	if (!cal) {
		PQclear(res);
		db_error_reply(r);
		return;
	}
	for (int i = 0; i < PQntuples(res); i++)
		working += db_get(res, i, "working")[0] == 't';
	struct buf b = { 0 };
	buf_puts(&b, "{\"from\":");
	jw_string(&b, p[0]);
	buf_puts(&b, ",\"to\":");
	jw_string(&b, p[1]);
	buf_printf(&b, ",\"working_days\":%d,\"incomplete_years\":", working);
	write_incomplete_years(&b, cal, from, to);
	buf_puts(&b, ",\"data\":");
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
void api_calendar_put(struct req *r)
{
	DB_STMT(st, "calendar_set",
		"WITH up AS (INSERT INTO calendar_days (day, working, note, updated_by)"
		" VALUES ($1::date, $2::boolean, $3, $4)"
		" ON CONFLICT (day) DO UPDATE SET working = excluded.working, note = excluded.note,"
		" updated_by = excluded.updated_by, updated_at = now() RETURNING *)"
		" SELECT " DAY_COLUMNS " FROM up AS c, LATERAL (SELECT c.day AS d) AS x");
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
	if (common_audit_commit_or_reply(r, "calendar.set", "calendar", p[0], detail)) {
		PQclear(res);
		return;
	}
	http_row(r, 200, res, 0);
	PQclear(res);
}

/* "YYYY" of a path, 1900..9999, to a number; 0 or -1. */
static int year_param(const char *s, int *year)
{
	if (strnlen(s, 5) != 4)
		return -1;
	for (int i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	*year = atoi(s);
	return *year >= 1900 ? 0 : -1;
}

static int year_or_reply(struct req *r, int *year)
{
	if (year_param(r->path_params[0], year)) {
		problem_reply(r, 404, "not-found", "There is no such year (YYYY).");
		return -1;
	}
	return 0;
}

/* GET /v1/calendar/years - getCalendarYears: 200, 400, 401, 500, 503.
 * Every year from the first with an official schedule (or this year, if
 * none is earlier) through next year (or the last recorded, if later),
 * each with its notice or nulls, and the years missing. */
void api_calendar_years_list(struct req *r)
{
	DB_STMT(st, "calendar_years_list",
		"WITH b AS (SELECT least(min(year), $1::int) AS first,"
		"  greatest(max(year), $1::int + 1) AS last FROM calendar_years)"
		" SELECT g AS year, y.year IS NOT NULL AS complete, y.notice, y.notice_number,"
		" to_char(y.published_on, 'YYYY-MM-DD') AS published_on, y.note, y.recorded_by,"
		" rfc3339(y.recorded_at) AS recorded_at"
		" FROM b, generate_series(b.first, b.last) AS g"
		" LEFT JOIN calendar_years y ON y.year = g ORDER BY g");
	char this_year[16];

	snprintf(this_year, sizeof this_year, "%d", calendar_year_of(workcal_today()));
	const char *p[] = { this_year };
	PGresult *res = db_exec_or_reply(r, &st, 1, p);
	if (!res)
		return;
	struct buf b = { 0 };
	bool first = true;
	buf_puts(&b, "{\"data\":");
	jw_rows(&b, res, PQntuples(res));
	buf_puts(&b, ",\"missing\":[");
	for (int i = 0; i < PQntuples(res); i++) {
		if (db_get(res, i, "complete")[0] == 't')
			continue;
		buf_printf(&b, "%s%s", first ? "" : ",", db_get(res, i, "year"));
		first = false;
	}
	buf_puts(&b, "]}");
	PQclear(res);
	http_header(r, "Cache-Control", "public, max-age=60");
	http_json_text(r, 200, &b);
	buf_free(&b);
}

static bool has_error(const struct verrs *v, const char *pointer)
{
	for (int i = 0; i < v->n; i++)
		if (!strcmp(v->e[i].pointer, pointer))
			return true;
	return false;
}

/* A year's notice comes out in the year before it (a later change to it in
 * the year itself), and not in the future. */
static void check_published_on(struct verrs *v, const char *on, int year)
{
	int day;

	if (calendar_parse(on, &day))
		verrs_add(v, "/published_on", "must be a date, YYYY-MM-DD");
	else if (day > workcal_today())
		verrs_add(v, "/published_on", "must not be in the future");
	else if (calendar_year_of(day) != year - 1 && calendar_year_of(day) != year)
		verrs_add(v, "/published_on", "must be in %d or %d", year - 1, year);
}

static const struct field year_fields[] = {
	{ "notice", FT_STRING, F_REQUIRED, 1, 200, NULL, NULL, NULL },
	{ "notice_number", FT_STRING, F_REQUIRED, 1, 64, NULL, NULL, NULL },
	{ "published_on", FT_STRING, F_REQUIRED, 10, 10, NULL, NULL, NULL },
	{ "note", FT_STRING, F_NULLABLE, 0, 500, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL },
};

/* PUT /v1/calendar/years/{year} - setCalendarYear (admin): 200, 400, 401,
 * 403, 404 (not a year), 409 (no holiday of the year entered yet), 413,
 * 415, 422, 500, 503. Records that the year's official schedule is loaded,
 * with its notice; audited as calendar.year. */
void api_calendar_year_put(struct req *r)
{
	DB_STMT(st, "calendar_year_set",
		"WITH up AS (INSERT INTO calendar_years (year, notice, notice_number, published_on,"
		"  note, recorded_by)"
		" SELECT $1::int, $2, $3, $4::date, $5, $6"
		" WHERE EXISTS (SELECT 1 FROM calendar_days WHERE NOT working"
		"  AND day BETWEEN make_date($1::int, 1, 1) AND make_date($1::int, 12, 31))"
		" ON CONFLICT (year) DO UPDATE SET notice = excluded.notice,"
		" notice_number = excluded.notice_number, published_on = excluded.published_on,"
		" note = excluded.note, recorded_by = excluded.recorded_by, recorded_at = now()"
		" RETURNING *)"
		" SELECT " YEAR_COLUMNS " FROM up AS y");
	struct verrs v = { 0 };
	int year;

	if (year_or_reply(r, &year))
		return;
	validate_object(r->json, year_fields, &v);
	const char *on = json_member_str(r->json, "published_on");
	if (on && !has_error(&v, "/published_on"))
		check_published_on(&v, on, year);
	if (v.n) {
		problem_reply_errors(r, 422, "validation", "The year's notice is invalid.", &v);
		return;
	}
	char ys[8];
	snprintf(ys, sizeof ys, "%d", year);
	const char *p[] = { ys, json_member_str(r->json, "notice"),
			    json_member_str(r->json, "notice_number"), on,
			    json_member_str(r->json, "note"), req_actor(r) };
	if (db_begin_or_reply(r))
		return;
	PGresult *res = db_exec_or_reply(r, &st, 6, p);
	if (!res)
		return;
	if (PQntuples(res) != 1) {
		PQclear(res);
		db_rollback(r->db);
		problem_replyf(r, 409, "conflict",
			       "No public holiday of %d is in the calendar: enter the days of the"
			       " official schedule with PUT /v1/calendar/{date} first.", year);
		return;
	}
	json_t *detail = json_pack("{s:i, s:s, s:s, s:s}", "year", year, "notice", p[1],
				   "notice_number", p[2], "published_on", p[3]);
	if (p[4])
		json_object_set_new(detail, "note", json_string(p[4]));
	if (common_audit_commit_or_reply(r, "calendar.year", "calendar", ys, detail)) {
		PQclear(res);
		return;
	}
	http_row(r, 200, res, 0);
	PQclear(res);
}

/* DELETE /v1/calendar/years/{year} - deleteCalendarYear (admin): 200, 400,
 * 401, 403, 404 (not a year, or not recorded), 500, 503. The year counts
 * as without an official schedule again (its days stay): answers the year
 * as it now stands; audited as calendar.year_delete. */
void api_calendar_year_delete(struct req *r)
{
	DB_STMT(st, "calendar_year_delete",
		"WITH d AS (DELETE FROM calendar_years WHERE year = $1::int RETURNING *)"
		" SELECT " YEAR_COLUMNS " FROM d AS y");
	int year;

	if (year_or_reply(r, &year))
		return;
	char ys[8];
	snprintf(ys, sizeof ys, "%d", year);
	const char *p[] = { ys };
	if (db_begin_or_reply(r))
		return;
	PGresult *res = db_exec_or_reply(r, &st, 1, p);
	if (!res)
		return;
	if (PQntuples(res) != 1) {
		PQclear(res);
		db_rollback(r->db);
		problem_replyf(r, 404, "not-found", "No official schedule of %d is recorded.", year);
		return;
	}
	json_t *detail = json_pack("{s:i, s:s, s:s, s:s}", "year", year,
				   "notice", db_get(res, 0, "notice"),
				   "notice_number", db_get(res, 0, "notice_number"),
				   "published_on", db_get(res, 0, "published_on"));
	PQclear(res);
	if (common_audit_commit_or_reply(r, "calendar.year_delete", "calendar", ys, detail))
		return;
	struct buf b = { 0 };
	buf_printf(&b, "{\"year\":%d,\"complete\":false,\"notice\":null,\"notice_number\":null,"
		   "\"published_on\":null,\"note\":null,\"recorded_by\":null,\"recorded_at\":null}",
		   year);
	http_json_text(r, 200, &b);
	buf_free(&b);
}

/* GET /v1/calendar/years/{year} - getCalendarYear: 200, 400, 401, 404 (not a
 * year), 500, 503. The year as it stands: with its notice when its official
 * schedule is recorded, else complete false and nulls (as the list shows a
 * year missing), so that a client may ask about next year before it is. */
void api_calendar_year_get(struct req *r)
{
	DB_STMT(st, "calendar_year_get",
		"SELECT $1::int AS year, y.year IS NOT NULL AS complete, y.notice, y.notice_number,"
		" to_char(y.published_on, 'YYYY-MM-DD') AS published_on, y.note, y.recorded_by,"
		" rfc3339(y.recorded_at) AS recorded_at"
		" FROM (SELECT 1) AS one LEFT JOIN calendar_years y ON y.year = $1::int");
	int year;
	char ys[8];

	if (year_or_reply(r, &year))
		return;
	snprintf(ys, sizeof ys, "%d", year);
	const char *p[] = { ys };
	PGresult *res = db_exec_or_reply(r, &st, 1, p);
	if (!res)
		return;
	http_header(r, "Cache-Control", "public, max-age=60");
	http_row(r, 200, res, 0);
	PQclear(res);
}
