/* reports.c - the annual government information disclosure report and the
 * unit scoreboard of the performance assessment, computed from live data.
 * operationIds getAnnualReport, getUnitScoreboard. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opengov/accountability.h"
#include "opengov/api.h"
#include "opengov/calendar.h"
#include "opengov/caserules.h"
#include "opengov/cursor.h"
#include "opengov/jsonw.h"
#include "opengov/workcal.h"

/* The breakdowns of the report, in the order of DESIGN.md and the schema. */
static const char *const info_categories[] = { "general", "project", "regulation",
	"work_dynamic", "personnel", "financial", "business", "annual_report", NULL };
static const char *const service_categories[] = { "administrative_license",
	"non_administrative_license", "public_service", "referral", NULL };
static const char *const applicant_types[] = { "natural_person", "company", "research_body",
	"ngo", "legal_service", "other", NULL };
static const char *const finding_categories[] = { "overdue", "improper_refusal",
	"missing_reason", "not_online", "disclosure_gap", "other", NULL };
static const char *const formats[] = { "json", "csv", NULL };

/* The open statuses, from the rules table (src/caserules.c) when the
 * statement is first used: OPEN_STATUSES marks where they go. */
#define OPEN_STATUSES "(@OPEN@)"

/* tmpl with every @OPEN@ replaced by the open statuses; kept in *cache. */
static const char *with_open_statuses(const char *tmpl, char **cache)
{
	if (*cache)
		return *cache;
	struct buf b = { 0 };
	const char *mark;
	while ((mark = strstr(tmpl, "@OPEN@"))) {
		buf_append(&b, tmpl, (size_t)(mark - tmpl));
		buf_puts(&b, case_open_statuses_sql());
		tmpl = mark + strlen("@OPEN@");
	}
	buf_puts(&b, tmpl);
	*cache = b.data; /* kept for the life of the process */
	return *cache;
}

/* ---------------------------------------------------------------- annual */

/* The year's bounds, local midnight of 1 January of the year ($1) and of
 * the next ($3): the session's TimeZone is the configured zone. Passed as
 * timestamptz parameters, they are converted once, not on every row. */
#define Y1 "$1::timestamptz"
#define Y2 "$3::timestamptz"
#define IN_YEAR(col) col " >= " Y1 " AND " col " < " Y2
/* Every part adds up unit by unit (the report indexes of
 * sql/007_reports.sql lead with unit_id): $2, when given, is the one unit. */
#define PER_UNIT(alias, sub) \
	" SELECT " alias ".* FROM units u CROSS JOIN LATERAL (" sub ") AS " alias \
	" WHERE ($2::uuid IS NULL OR u.id = $2::uuid)"

/* Every figure of the report in one statement, as rows (k, d, v): the
 * figure, its breakdown value ('*' for the total over the breakdown) and the
 * value as text. Closed means decided (decided_at), or not accepted,
 * withdrawn or abandoned (closed_at). Each part reads one range of one
 * index of sql/007_reports.sql per unit, index-only:
 *   rc  requests received in the year, and which of them are still open at
 *       its end (carried forward);
 *   du  decisions in the year: outcomes, reasons, processing, and which
 *       of them were received before it (carried over), by working days
 *       used; dc the same without them, h the histogram of working days
 *       (average and median);
 *   cc  other closures in the year, likewise;
 *   x   requests received before the year and open at its end (carried over
 *       and carried forward): open now, or closed after the year;
 * then information published in the year, service items on offer at its
 * end, and findings. The balance new + carried over = outcomes + carried
 * forward holds unless a request was closed before it was received, or
 * closed twice (decided_at and closed_at both set). */
static const char annual_sql[] =
	"WITH rc AS (" PER_UNIT("r",
	" SELECT q.kind, q.applicant_type, count(*) AS n,"
	"  count(*) FILTER (WHERE coalesce(q.decided_at, q.closed_at, 'infinity') >= " Y2 ")"
	"   AS open_at_end"
	" FROM requests q WHERE q.unit_id = u.id AND " IN_YEAR("q.received_at")
	" GROUP BY 1, 2") "),"
	"du AS (" PER_UNIT("r",
	" SELECT q.kind, q.applicant_type, q.outcome, q.reason_code, q.days_used, count(*) AS n,"
	"  count(*) FILTER (WHERE q.received_at < " Y1 ") AS from_before,"
	"  count(*) FILTER (WHERE q.on_time) AS on_time,"
	"  count(*) FILTER (WHERE q.kind = 'disclosure' AND q.extensions <> '[]') AS extended"
	" FROM requests q WHERE q.unit_id = u.id AND " IN_YEAR("q.decided_at")
	" GROUP BY 1, 2, 3, 4, 5") "),"
	"dc AS (SELECT kind, applicant_type, outcome, reason_code, sum(n) AS n,"
	"  sum(from_before) AS from_before, sum(on_time) AS on_time, sum(extended) AS extended"
	" FROM du GROUP BY 1, 2, 3, 4),"
	"cc AS (" PER_UNIT("r",
	" SELECT q.kind, q.applicant_type, q.status, count(*) AS n,"
	"  count(*) FILTER (WHERE q.received_at < " Y1 ") AS from_before"
	" FROM requests q WHERE q.unit_id = u.id AND " IN_YEAR("q.closed_at")
	" GROUP BY 1, 2, 3") "),"
	"x AS (" PER_UNIT("r",
	" SELECT o.kind, o.applicant_type, count(*) AS n FROM ("
	"  SELECT q.kind, q.applicant_type FROM requests q"
	"  WHERE q.unit_id = u.id AND q.status IN " OPEN_STATUSES " AND q.received_at < " Y1
	"  UNION ALL SELECT q.kind, q.applicant_type FROM requests q"
	"  WHERE q.unit_id = u.id AND q.decided_at >= " Y2 " AND q.received_at < " Y1
	"  UNION ALL SELECT q.kind, q.applicant_type FROM requests q"
	"  WHERE q.unit_id = u.id AND q.closed_at >= " Y2 " AND q.received_at < " Y1 ") AS o"
	" GROUP BY 1, 2") "),"
	"h AS (SELECT days_used AS days, sum(n) AS n FROM du"
	" WHERE kind = 'disclosure' AND days_used IS NOT NULL GROUP BY 1),"
	"hc AS (SELECT days, n, sum(n) OVER (ORDER BY days) AS cum, sum(n) OVER () AS total FROM h),"
	"dd AS (SELECT round(sum(days * n) / nullif(sum(n), 0), 1) AS average,"
	"  round((min(days) FILTER (WHERE cum >= floor((total + 1) / 2))"
	"   + min(days) FILTER (WHERE cum >= floor(total / 2) + 1)) / 2.0, 1) AS median FROM hc),"
	/* Information published in the year, whatever became of it since
	 * (withdrawn too); drafts have no published_at. sort_at is
	 * published_at for these. */
	"pd AS (" PER_UNIT("r",
	" SELECT i.category, count(*) AS n FROM items i"
	" WHERE i.unit_id = u.id AND i.kind = 'information' AND i.status IN ('published', 'withdrawn')"
	"  AND " IN_YEAR("i.sort_at") " GROUP BY 1") "),"
	/* Service items on offer at the end of the year. */
	"sv AS (" PER_UNIT("r",
	" SELECT i.category, count(*) AS n, count(*) FILTER (WHERE i.online) AS online FROM items i"
	" WHERE i.unit_id = u.id AND i.kind = 'service' AND i.status IN ('published', 'withdrawn')"
	"  AND i.published_at < " Y2 " AND coalesce(i.withdrawn_at, 'infinity') >= " Y2
	" GROUP BY 1") "),"
	/* Findings: every event of a finding follows its creation. */
	"fs AS (" PER_UNIT("r",
	" SELECT fd.category,"
	"  count(*) FILTER (WHERE " IN_YEAR("fd.created_at") ") AS opened,"
	"  count(*) FILTER (WHERE " IN_YEAR("fd.rectified_at") ") AS rectified,"
	"  count(*) FILTER (WHERE " IN_YEAR("fd.closed_at") ") AS closed,"
	"  count(*) FILTER (WHERE " IN_YEAR("fd.published_at") ") AS published"
	" FROM findings fd WHERE fd.unit_id = u.id AND fd.created_at < " Y2 " GROUP BY 1") "),"
	"f(k, d, v) AS ("
	" SELECT 'received', applicant_type, n FROM rc WHERE kind = 'disclosure'"
	" UNION ALL SELECT 'carried_forward', applicant_type, open_at_end FROM rc"
	"  WHERE kind = 'disclosure'"
	" UNION ALL SELECT 'carried_over', applicant_type, from_before FROM dc"
	"  WHERE kind = 'disclosure'"
	" UNION ALL SELECT 'carried_over', applicant_type, from_before FROM cc"
	"  WHERE kind = 'disclosure'"
	" UNION ALL SELECT y.k, x.applicant_type, x.n FROM x"
	"  CROSS JOIN (VALUES ('carried_over'), ('carried_forward')) AS y(k) WHERE x.kind = 'disclosure'"
	" UNION ALL SELECT 'outcomes', applicant_type, n FROM dc WHERE kind = 'disclosure'"
	" UNION ALL SELECT 'outcomes', applicant_type, n FROM cc WHERE kind = 'disclosure'"
	" UNION ALL SELECT 'outcome', outcome, n FROM dc WHERE kind = 'disclosure'"
	" UNION ALL SELECT 'outcome', status, n FROM cc WHERE kind = 'disclosure'"
	" UNION ALL SELECT outcome, reason_code, n FROM dc WHERE kind = 'disclosure'"
	"  AND outcome IN ('withheld', 'partially_disclosed')"
	" UNION ALL SELECT y.k, '', y.v FROM dc CROSS JOIN LATERAL (VALUES ('decided', dc.n),"
	"  ('on_time', dc.on_time), ('extended', dc.extended)) AS y(k, v) WHERE dc.kind = 'disclosure'"
	" UNION ALL SELECT 'approvals_received', '', n FROM rc WHERE kind = 'approval'"
	" UNION ALL SELECT y.k, '', y.v FROM dc CROSS JOIN LATERAL (VALUES"
	"  ('approvals_decided', dc.n), ('approvals_on_time', dc.on_time),"
	"  ('approvals_' || dc.outcome, dc.n)) AS y(k, v) WHERE dc.kind = 'approval'"
	" UNION ALL SELECT 'proactive', category, n FROM pd"
	" UNION ALL SELECT y.k, sv.category, y.v FROM sv"
	"  CROSS JOIN LATERAL (VALUES ('service', sv.n), ('service_online', sv.online)) AS y(k, v)"
	" UNION ALL SELECT y.k, fs.category, y.v FROM fs CROSS JOIN LATERAL (VALUES"
	"  ('findings_opened', fs.opened), ('findings_rectified', fs.rectified),"
	"  ('findings_closed', fs.closed), ('findings_published', fs.published)) AS y(k, v)),"
	"t AS (SELECT k, CASE WHEN grouping(d) = 1 THEN '*' ELSE d END AS d, sum(v) AS v"
	" FROM f WHERE v > 0 GROUP BY GROUPING SETS ((k, d), (k))),"
	"p AS (SELECT"
	"  coalesce(sum(v) FILTER (WHERE k = 'received'), 0) AS received,"
	"  coalesce(sum(v) FILTER (WHERE k = 'carried_over'), 0) AS carried_over,"
	"  coalesce(sum(v) FILTER (WHERE k = 'outcomes'), 0) AS outcomes,"
	"  coalesce(sum(v) FILTER (WHERE k = 'carried_forward'), 0) AS carried_forward,"
	"  sum(v) FILTER (WHERE k = 'decided') AS decided,"
	"  coalesce(sum(v) FILTER (WHERE k = 'on_time'), 0) AS on_time,"
	"  sum(v) FILTER (WHERE k = 'approvals_decided') AS ap_decided,"
	"  coalesce(sum(v) FILTER (WHERE k = 'approvals_on_time'), 0) AS ap_on_time,"
	"  sum(v) FILTER (WHERE k = 'service') AS service,"
	"  coalesce(sum(v) FILTER (WHERE k = 'service_online'), 0) AS service_online"
	" FROM t WHERE d = '*')"
	"SELECT k, d, v::text AS v FROM t"
	" UNION ALL SELECT y.k, '*', y.v FROM dd CROSS JOIN LATERAL (VALUES"
	"  ('average_working_days', dd.average::text), ('median_working_days', dd.median::text))"
	"  AS y(k, v)"
	" UNION ALL SELECT y.k, '*', y.v FROM p CROSS JOIN LATERAL (VALUES"
	"  ('on_time_rate', round(p.on_time / nullif(p.decided, 0), 4)::text),"
	"  ('approvals_on_time_rate', round(p.ap_on_time / nullif(p.ap_decided, 0), 4)::text),"
	"  ('online_rate', round(p.service_online / nullif(p.service, 0), 4)::text),"
	"  ('new_plus_carried_over', (p.received + p.carried_over)::text),"
	"  ('outcomes_plus_carried_forward', (p.outcomes + p.carried_forward)::text),"
	"  ('balanced', (p.received + p.carried_over = p.outcomes + p.carried_forward)::text))"
	"  AS y(k, v)"
	" UNION ALL SELECT 'generated_at', '*', rfc3339(now())"
	" UNION ALL SELECT 'unit_known', '*', (SELECT count(*) FROM units WHERE id = $2::uuid)::text"
	"  WHERE $2::uuid IS NOT NULL";

/* Runs one report statement in a transaction of its own that plans it for
 * these dates (the session keeps generic plans, which cannot tell a year
 * of requests from a day of them) and without JIT (compiling it would cost
 * more than the index reads it speeds up). NULL after answering. */
static PGresult *report_exec_or_reply(struct req *r, const char *sql, int n,
				      const char *const *params)
{
	if (db_begin_or_reply(r))
		return NULL;
	/* A year of a city's cases is read by parallel index scans: the
	 * workers of a page read stay serial (session default), a report
	 * may use the cores. */
	PGresult *res = db_exec_simple(r->db, "SET LOCAL plan_cache_mode = force_custom_plan;"
					      " SET LOCAL jit = off;"
					      " SET LOCAL max_parallel_workers_per_gather = 2");
	if (res) {
		PQclear(res);
		res = db_exec_params(r->db, sql, n, params);
	}
	if (!res) {
		db_error_reply(r);
		return NULL;
	}
	if (db_commit_or_reply(r)) {
		PQclear(res);
		return NULL;
	}
	return res;
}

/* One walk over the report writes either format, so the JSON and the CSV
 * of a report always carry the same numbers. JSON: nested objects. CSV: one
 * row section,item,dimension,value per number, where section is the
 * top-level key, item the keys below it joined by '.' (an array entry's
 * `count` left out), and dimension the breakdown value (an array entry's
 * label, or the key of a by_applicant_type object); empty when none. */
#define RW_DEPTH 6

struct rw {
	struct buf *b;
	bool csv;
	int depth;
	bool first[RW_DEPTH];
	const char *path[RW_DEPTH]; /* the keys from the section down */
	bool dim_keys[RW_DEPTH];    /* this object's keys are breakdown values */
	const char *label;          /* the label of the array entry being written */
};

static void rw_key(struct rw *w, const char *key)
{
	if (w->csv)
		return;
	if (!w->first[w->depth])
		buf_puts(w->b, ",");
	w->first[w->depth] = false;
	if (key) {
		jw_string(w->b, key);
		buf_puts(w->b, ":");
	}
}

static void rw_push(struct rw *w, const char *key, const char *open, bool dims)
{
	rw_key(w, key);
	if (!w->csv)
		buf_puts(w->b, open);
	w->path[w->depth] = key;
	w->depth++;
	w->first[w->depth] = true;
	w->dim_keys[w->depth] = dims;
}

static void rw_obj(struct rw *w, const char *key)
{
	rw_push(w, key, "{", false);
}

/* An object whose keys are the values of a breakdown (applicant types). */
static void rw_dims(struct rw *w, const char *key)
{
	rw_push(w, key, "{", true);
}

static void rw_arr(struct rw *w, const char *key)
{
	rw_push(w, key, "[", false);
}

static void rw_close(struct rw *w, const char *close)
{
	w->depth--;
	if (!w->csv)
		buf_puts(w->b, close);
}

/* An array entry {label_key: label, ...}. */
static void rw_entry(struct rw *w, const char *label_key, const char *label)
{
	rw_key(w, NULL);
	if (!w->csv) {
		buf_puts(w->b, "{");
		jw_string(w->b, label_key);
		buf_puts(w->b, ":");
		jw_string(w->b, label);
	}
	w->depth++;
	w->first[w->depth] = false;
	w->dim_keys[w->depth] = false;
	w->path[w->depth - 1] = NULL; /* the entry itself has no key */
	w->label = label;
}

static void rw_entry_end(struct rw *w)
{
	w->label = NULL;
	rw_close(w, "}");
}

static void csv_row(struct rw *w, const char *key, const char *value)
{
	const char *dim = "";
	bool dot = false;

	buf_puts(w->b, w->depth ? w->path[0] : "report");
	buf_puts(w->b, ",");
	for (int i = 1; i < w->depth; i++) {
		if (!w->path[i])
			continue;
		buf_printf(w->b, "%s%s", dot ? "." : "", w->path[i]);
		dot = true;
	}
	if (w->dim_keys[w->depth])
		dim = key;
	else if (w->label && !strcmp(key, "count"))
		dim = w->label;
	else {
		buf_printf(w->b, "%s%s", dot ? "." : "", key);
		if (w->label)
			dim = w->label;
	}
	/* Every label and value is an identifier, a number, true/false, a
	 * UUID or a timestamp: nothing to quote. */
	buf_printf(w->b, ",%s,%s\r\n", dim, value ? value : "");
}

/* A number, boolean or null (value NULL), written as is. */
static void rw_val(struct rw *w, const char *key, const char *value)
{
	if (w->csv) {
		csv_row(w, key, value);
		return;
	}
	rw_key(w, key);
	buf_puts(w->b, value ? value : "null");
}

static void rw_str(struct rw *w, const char *key, const char *value)
{
	if (w->csv) {
		csv_row(w, key, value);
		return;
	}
	rw_key(w, key);
	jw_string(w->b, value);
}

/* The value of figure k for breakdown d; NULL when the statement gave no
 * row (a count of zero, or a rate with nothing to divide). */
static const char *fig(const PGresult *res, const char *k, const char *d)
{
	for (int i = 0; i < PQntuples(res); i++)
		if (!strcmp(PQgetvalue(res, i, 0), k) && !strcmp(PQgetvalue(res, i, 1), d))
			return PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2);
	return NULL;
}

static const char *fig_count(const PGresult *res, const char *k, const char *d)
{
	const char *v = fig(res, k, d);

	return v ? v : "0";
}

/* {total, by_applicant_type: {natural_person: n, ...}} */
static void by_applicant(struct rw *w, const PGresult *res, const char *key, const char *k)
{
	rw_obj(w, key);
	rw_val(w, "total", fig_count(res, k, "*"));
	rw_dims(w, "by_applicant_type");
	for (int i = 0; applicant_types[i]; i++)
		rw_val(w, applicant_types[i], fig_count(res, k, applicant_types[i]));
	rw_close(w, "}");
	rw_close(w, "}");
}

/* [{label_key: label, count: n}, ...] over all labels. */
static void counts_by(struct rw *w, const PGresult *res, const char *key,
		      const char *label_key, const char *const *labels, const char *k)
{
	rw_arr(w, key);
	for (int i = 0; labels[i]; i++) {
		rw_entry(w, label_key, labels[i]);
		rw_val(w, "count", fig_count(res, k, labels[i]));
		rw_entry_end(w);
	}
	rw_close(w, "]");
}

static void annual_write(struct rw *w, const PGresult *res, int year, const char *unit)
{
	char y[16];

	snprintf(y, sizeof y, "%d", year);
	if (!w->csv)
		buf_puts(w->b, "{");
	w->depth = 0;
	w->first[0] = true;
	rw_val(w, "year", y);
	rw_str(w, "unit_id", unit);
	rw_str(w, "generated_at", fig(res, "generated_at", "*"));

	rw_obj(w, "proactive_disclosure");
	rw_val(w, "total", fig_count(res, "proactive", "*"));
	counts_by(w, res, "by_category", "category", info_categories, "proactive");
	rw_close(w, "}");

	rw_obj(w, "applications");
	by_applicant(w, res, "received", "received");
	by_applicant(w, res, "carried_over", "carried_over");
	rw_obj(w, "outcomes");
	rw_val(w, "total", fig_count(res, "outcomes", "*"));
	rw_dims(w, "by_applicant_type");
	for (int i = 0; applicant_types[i]; i++)
		rw_val(w, applicant_types[i], fig_count(res, "outcomes", applicant_types[i]));
	rw_close(w, "}");
	counts_by(w, res, "by_outcome", "outcome", case_outcome_names(CK_DISCLOSURE), "outcome");
	counts_by(w, res, "withheld_by_reason", "reason_code", case_reason_names(), "withheld");
	counts_by(w, res, "partially_disclosed_by_reason", "reason_code", case_reason_names(),
		  "partially_disclosed");
	rw_val(w, "not_accepted", fig_count(res, "outcome", "not_accepted"));
	rw_val(w, "withdrawn", fig_count(res, "outcome", "withdrawn"));
	rw_val(w, "abandoned", fig_count(res, "outcome", "abandoned"));
	rw_close(w, "}");
	by_applicant(w, res, "carried_forward", "carried_forward");
	rw_obj(w, "balance");
	rw_val(w, "new_plus_carried_over", fig_count(res, "new_plus_carried_over", "*"));
	rw_val(w, "outcomes_plus_carried_forward", fig_count(res, "outcomes_plus_carried_forward", "*"));
	rw_val(w, "balanced", fig(res, "balanced", "*"));
	rw_close(w, "}");
	rw_close(w, "}");

	rw_obj(w, "processing");
	rw_val(w, "decided", fig_count(res, "decided", "*"));
	rw_val(w, "average_working_days", fig(res, "average_working_days", "*"));
	rw_val(w, "median_working_days", fig(res, "median_working_days", "*"));
	rw_val(w, "on_time", fig_count(res, "on_time", "*"));
	rw_val(w, "on_time_rate", fig(res, "on_time_rate", "*"));
	rw_val(w, "extended", fig_count(res, "extended", "*"));
	rw_close(w, "}");

	rw_obj(w, "service_items");
	rw_val(w, "total", fig_count(res, "service", "*"));
	rw_val(w, "online", fig_count(res, "service_online", "*"));
	rw_val(w, "online_rate", fig(res, "online_rate", "*"));
	rw_arr(w, "by_category");
	for (int i = 0; service_categories[i]; i++) {
		rw_entry(w, "category", service_categories[i]);
		rw_val(w, "count", fig_count(res, "service", service_categories[i]));
		rw_val(w, "online", fig_count(res, "service_online", service_categories[i]));
		rw_entry_end(w);
	}
	rw_close(w, "]");
	rw_close(w, "}");

	rw_obj(w, "supervision");
	rw_val(w, "findings_opened", fig_count(res, "findings_opened", "*"));
	rw_val(w, "rectified", fig_count(res, "findings_rectified", "*"));
	rw_val(w, "closed", fig_count(res, "findings_closed", "*"));
	rw_val(w, "published", fig_count(res, "findings_published", "*"));
	rw_arr(w, "by_category");
	for (int i = 0; finding_categories[i]; i++) {
		rw_entry(w, "category", finding_categories[i]);
		rw_val(w, "opened", fig_count(res, "findings_opened", finding_categories[i]));
		rw_val(w, "closed", fig_count(res, "findings_closed", finding_categories[i]));
		rw_entry_end(w);
	}
	rw_close(w, "]");
	rw_close(w, "}");

	rw_obj(w, "approvals");
	rw_val(w, "received", fig_count(res, "approvals_received", "*"));
	rw_val(w, "decided", fig_count(res, "approvals_decided", "*"));
	rw_val(w, "approved", fig_count(res, "approvals_approved", "*"));
	rw_val(w, "rejected", fig_count(res, "approvals_rejected", "*"));
	rw_val(w, "on_time_rate", fig(res, "approvals_on_time_rate", "*"));
	rw_close(w, "}");

	if (!w->csv)
		buf_puts(w->b, "}");
}

/* A year of four digits, 2000..9999. 0, or -1 after answering 400. */
static int year_or_reply(struct req *r, int *year)
{
	const char *v = http_query(r, "year");

	if (!v) {
		query_invalid_reply(r, "year", "is required: a year from 2000 to 9999");
		return -1;
	}
	if (strlen(v) != 4 || strspn(v, "0123456789") != 4 || atoi(v) < 2000) {
		query_invalid_reply(r, "year", "must be a year from 2000 to 9999");
		return -1;
	}
	*year = atoi(v);
	return 0;
}

/* Anonymous answers may be kept by shared caches for five minutes. */
static void cache_headers(struct req *r)
{
	http_header(r, "Cache-Control", "%s", r->authed ? "private, no-cache" : "public, max-age=300");
}

/* GET /v1/reports/annual - getAnnualReport: 200 (JSON or CSV), 400, 404. */
void reports_annual(struct req *r)
{
	const char *unit, *format;
	char y1[32], y2[32];
	int year;

	if (year_or_reply(r, &year) || query_uuid_or_reply(r, "unit", &unit) ||
	    query_enum_or_reply(r, "format", formats, &format))
		return;
	bool csv = format && !strcmp(format, "csv");
	snprintf(y1, sizeof y1, "%d-01-01", year);
	snprintf(y2, sizeof y2, "%d-01-01", year + 1);
	const char *p[] = { y1, unit, y2 };
	static char *annual_text;
	PGresult *res = report_exec_or_reply(r, with_open_statuses(annual_sql, &annual_text), 3, p);
	if (!res)
		return;
	if (unit && !strcmp(fig_count(res, "unit_known", "*"), "0")) {
		PQclear(res);
		problem_reply(r, 404, "not-found", "There is no such unit.");
		return;
	}
	struct buf b = { 0 };
	struct rw w = { .b = &b, .csv = csv };
	if (csv)
		buf_puts(&b, "\xEF\xBB\xBF" "section,item,dimension,value\r\n");
	annual_write(&w, res, year, unit);
	PQclear(res);
	cache_headers(r);
	if (csv) {
		http_header(r, "Content-Disposition", "attachment; filename=\"annual-report-%d.csv\"",
			    year);
		http_text(r, 200, "text/csv; charset=utf-8", b.data, b.len);
	} else {
		http_json_text(r, 200, &b);
	}
	buf_free(&b);
}

/* ------------------------------------------------------------ scoreboard */

/* The longest range the scoreboard adds up: five years. */
#define SCOREBOARD_MAX_YEARS 5

/* Every unit's figures over the days from..to, scored and graded, and one
 * page of them in (score desc, code) order after the cursor ($3 score, $4
 * code), $5 rows. The range goes in as the instants $1 (local midnight of
 * from) and $2 (local midnight after to), converted once. Each figure is
 * one range of one index per unit (sql/007_reports.sql), read index-only
 * and counted without hashing a row, which is what a million of them would
 * cost. A rate with nothing to judge is null
 * and counts as met (1) for the score and the grade alike. */
#define F "$1::timestamptz"
#define T "$2::timestamptz"
#define IN_RANGE(col) col " >= " F " AND " col " < " T
#define RATING_BAD_MAX_SQL "2" /* RATING_BAD_MAX of opengov/accountability.h */
_Static_assert(RATING_BAD_MAX == 2, "RATING_BAD_MAX_SQL says 2");
static const char scoreboard_sql[] =
	"WITH s AS (SELECT u.id, u.code, u.name, u.kind, rq.received, dq.decided, dq.on_time,"
	"  dq.late + red.n AS overdue, dq.average_days, it.items, it.online, fd.opened, fd.closed,"
	"  rt.ratings, rt.average_rating, rt.bad_ratings"
	" FROM units u"
	" CROSS JOIN LATERAL (SELECT count(*) AS received FROM requests q"
	"  WHERE q.unit_id = u.id AND " IN_RANGE("q.received_at") ") AS rq"
	" CROSS JOIN LATERAL (SELECT count(*) AS decided,"
	"  count(*) FILTER (WHERE q.on_time) AS on_time,"
	"  count(*) FILTER (WHERE NOT q.on_time) AS late,"
	"  round(avg(q.days_used), 1) AS average_days FROM requests q"
	"  WHERE q.unit_id = u.id AND " IN_RANGE("q.decided_at") ") AS dq"
	" CROSS JOIN LATERAL (SELECT count(*) AS n FROM requests q"
	"  WHERE q.unit_id = u.id AND q.status IN " OPEN_STATUSES " AND q.received_at < " T
	"  AND q.red_on <= current_date) AS red"
	" CROSS JOIN LATERAL (SELECT count(*) AS items, count(*) FILTER (WHERE i.online) AS online"
	"  FROM items i WHERE i.unit_id = u.id AND i.kind = 'service'"
	"  AND i.status = 'published') AS it"
	" CROSS JOIN LATERAL (SELECT"
	"  count(*) FILTER (WHERE " IN_RANGE("fd.created_at") ") AS opened,"
	"  count(*) FILTER (WHERE " IN_RANGE("fd.closed_at") ") AS closed"
	"  FROM findings fd WHERE fd.unit_id = u.id AND fd.created_at < " T ") AS fd"
	/* The ratings of the unit's requests rated in the range (sql/015). */
	" CROSS JOIN LATERAL (SELECT count(*) AS ratings, round(avg(g.score), 2) AS average_rating,"
	"  count(*) FILTER (WHERE g.score <= " RATING_BAD_MAX_SQL ") AS bad_ratings FROM ratings g"
	"  WHERE g.unit_id = u.id AND " IN_RANGE("g.rated_at") ") AS rt),"
	"x AS (SELECT s.*,"
	"  s.on_time::numeric / nullif(s.on_time + s.overdue, 0) AS t,"
	"  s.online::numeric / nullif(s.items, 0) AS o,"
	"  CASE WHEN s.opened > 0 THEN least(1, s.closed::numeric / s.opened) END AS c FROM s),"
	"g AS (SELECT x.*,"
	"  round(100 * (0.5 * coalesce(t, 1) + 0.25 * coalesce(o, 1) + 0.25 * coalesce(c, 1)), 1)"
	"   AS score,"
	"  CASE WHEN coalesce(t, 1) >= 0.95 AND coalesce(o, 1) >= 0.90 AND coalesce(c, 1) >= 0.90"
	"   THEN 'excellent'"
	"   WHEN coalesce(t, 1) >= 0.85 AND coalesce(o, 1) >= 0.80 AND coalesce(c, 1) >= 0.75"
	"   THEN 'good'"
	"   WHEN coalesce(t, 1) >= 0.70 AND coalesce(o, 1) >= 0.60 AND coalesce(c, 1) >= 0.50"
	"   THEN 'pass' ELSE 'fail' END AS grade FROM x)"
	"SELECT id AS unit_id, code AS unit_code, name AS unit_name, kind AS unit_kind,"
	" received, decided, on_time, round(t, 4) AS on_time_rate, overdue,"
	" average_days AS average_working_days, items AS service_items, online AS online_items,"
	" round(o, 4) AS online_rate, opened AS findings_opened, closed AS findings_closed,"
	" round(c, 4) AS rectification_rate, average_rating, ratings,"
	" round(bad_ratings::numeric / nullif(ratings, 0), 4) AS bad_rating_share, score, grade"
	" FROM g"
	" WHERE $3::numeric IS NULL OR score < $3::numeric OR score = $3::numeric AND code > $4"
	" ORDER BY score DESC, code LIMIT $5::int";

/* A date query parameter, or dflt when absent. 0, or -1 after 400. */
static int day_or_reply(struct req *r, const char *name, int dflt, int *day)
{
	const char *v = http_query(r, name);

	*day = dflt;
	if (v && calendar_parse(v, day)) {
		query_invalid_reply(r, name, "must be a date, YYYY-MM-DD");
		return -1;
	}
	return 0;
}

/* The day `years` years after day (the same month and day; 28 February
 * for 29 February). */
static int years_later(int day, int years)
{
	char s[11], t[40];
	int y, m, d, later;

	calendar_format(day, s);
	if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return day + 365 * years;
	if (m == 2 && d == 29)
		d = 28;
	snprintf(t, sizeof t, "%04d-%02d-%02d", y + years, m, d);
	return calendar_parse(t, &later) ? day + 365 * years : later;
}

/* A cursor of ours: a score 0..100 with at most one decimal, and a code. */
static bool cursor_valid(char parts[][CURSOR_PART_MAX])
{
	char *end;

	errno = 0;
	double score = strtod(parts[0], &end);
	if (errno || end == parts[0] || *end || score < 0 || score > 100 ||
	    strspn(parts[0], "0123456789.") != strlen(parts[0]))
		return false;
	return check_code_value(parts[1]) == NULL;
}

/* GET /v1/stats/units - getUnitScoreboard: 200, 400. Every unit, best
 * score first; keyset-paginated on (score, code). */
void stats_units(struct req *r)
{
	char after[2][CURSOR_PART_MAX], lim[16], from_s[11], to_s[11], jan1[11];
	int limit, from, to, year_start, last, today = workcal_today();

	calendar_format(today, jan1);
	memcpy(jan1 + 4, "-01-01", 7);
	if (calendar_parse(jan1, &year_start))
		year_start = today;
	if (day_or_reply(r, "from", year_start, &from) || day_or_reply(r, "to", today, &to) ||
	    query_limit_or_reply(r, &limit) || query_cursor_or_reply(r, 2, after))
		return;
	if (to < from) {
		query_invalid_reply(r, "to", "must be on or after from");
		return;
	}
	/* The day after to must have a date too. */
	if (!calendar_parse("9999-12-31", &last) && to >= last) {
		query_invalid_reply(r, "to", "must be before 9999-12-31");
		return;
	}
	if (to >= years_later(from, SCOREBOARD_MAX_YEARS)) {
		query_invalid_reply(r, "to", "must be less than 5 years after from");
		return;
	}
	if (after[0][0] && !cursor_valid(after)) {
		query_invalid_reply(r, "cursor", "is not a cursor this server issued");
		return;
	}
	calendar_format(from, from_s);
	calendar_format(to + 1, to_s);
	snprintf(lim, sizeof lim, "%d", limit + 1);
	const char *p[] = { from_s, to_s, after[0][0] ? after[0] : NULL,
			    after[0][0] ? after[1] : NULL, lim };
	static char *scoreboard_text;
	PGresult *res = report_exec_or_reply(r, with_open_statuses(scoreboard_sql, &scoreboard_text),
					     5, p);
	if (!res)
		return;
	static const char *const key[] = { "score", "unit_code" };
	cache_headers(r);
	http_list_rows(r, res, limit, key, 2);
	PQclear(res);
}
