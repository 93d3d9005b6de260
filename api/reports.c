/* reports.c - the annual government information disclosure report (the
 * figures and the national form, exported as JSON, CSV and XLSX), its
 * publication as frozen numbered revisions, the figures units enter for it,
 * and the unit scoreboard of the performance assessment.
 * operationIds getAnnualReport, publishAnnualReport, listReportPublications,
 * getReportPublication, getReportFigures, putReportFigures,
 * getUnitScoreboard. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "opengov/domain/accountability.h"
#include "opengov/api/handlers.h"
#include "opengov/api/common.h"
#include "opengov/domain/calendar.h"
#include "opengov/domain/caserules.h"
#include "opengov/base/cursor.h"
#include "opengov/db/jsonw.h"
#include "opengov/domain/reportform.h"
#include "opengov/domain/workcal.h"

/* The breakdowns of the report, in the order of the items table's CHECK
 * constraint (sql/002_items.sql) and openapi.yaml's category enums. */
static const char *const info_categories[] = { "general", "project", "regulation",
	"work_dynamic", "personnel", "financial", "business", "annual_report", NULL };
static const char *const service_categories[] = { "administrative_license",
	"non_administrative_license", "public_service", "referral", NULL };
static const char *const applicant_types[] = { "natural_person", "company", "research_body",
	"ngo", "legal_service", "other", NULL };
static const char *const finding_categories[] = { "overdue", "improper_refusal",
	"missing_reason", "not_online", "disclosure_gap", "other", NULL };
/* json: the figures and the national form; csv: the form in its own
 * layout and labels; xlsx: the same, a sheet per table; figures_csv: every
 * figure of the JSON as section,item,dimension,value. */
static const char *const formats[] = { "json", "csv", "xlsx", "figures_csv", NULL };

/* The open statuses, from the rules table (src/domain/caserules.c) when the
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
	" SELECT q.kind, q.applicant_type, q.status, q.outcome, count(*) AS n,"
	"  count(*) FILTER (WHERE q.received_at < " Y1 ") AS from_before"
	" FROM requests q WHERE q.unit_id = u.id AND " IN_YEAR("q.closed_at")
	" GROUP BY 1, 2, 3, 4") "),"
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
	/* Table 二 of the national form, Art. 20(1): rules and administrative
	 * normative documents issued, abolished and in force (sql/014). */
	"dt AS (" PER_UNIT("r",
	" SELECT i.document_type,"
	"  count(*) FILTER (WHERE " IN_YEAR("i.published_at") ") AS issued,"
	"  count(*) FILTER (WHERE i.abolished_on >= $1::date AND i.abolished_on < $3::date)"
	"   AS abolished,"
	"  count(*) FILTER (WHERE i.published_at < " Y2 " AND coalesce(i.abolished_on, 'infinity')"
	"   >= $3::date) AS in_force"
	" FROM items i WHERE i.unit_id = u.id AND i.document_type IS NOT NULL"
	"  AND i.status IN ('published', 'withdrawn') GROUP BY 1") "),"
	/* Art. 20(5): the administrative licensing decisions of the year, the
	 * approval cases of administrative_license items decided in it (an
	 * approval of another kind of service item is not a 行政许可). Read
	 * from the licence items' side (sql/021): one index range per licence
	 * item, whatever the number of other approvals. */
	"lc AS ("
	" SELECT count(*) AS n FROM items i JOIN requests q ON q.item_id = i.id"
	" WHERE i.category = 'administrative_license' AND q.kind = 'approval'"
	"  AND q.decided_at IS NOT NULL AND " IN_YEAR("q.decided_at")
	"  AND ($2::uuid IS NULL OR q.unit_id = $2::uuid)),"
	/* The citizens' ratings (好差评) given in the year, by score. */
	"rt AS (" PER_UNIT("r",
	" SELECT x.score, count(*) AS n FROM ratings x"
	" WHERE x.unit_id = u.id AND " IN_YEAR("x.rated_at") " GROUP BY 1") "),"
	/* Art. 20(6) and (8): the figures the units entered for the year. */
	"fg AS (" PER_UNIT("r",
	" SELECT x.penalty_decisions, x.coercion_decisions, x.fees_10k_yuan FROM report_figures x"
	" WHERE x.unit_id = u.id AND x.year = extract(year FROM $1::date)::int") "),"
	/* Table 六: the information-processing fees noticed in the year. */
	"fe AS (" PER_UNIT("r",
	" SELECT count(*) AS notices, sum((q.fee->>'amount')::bigint) AS amount,"
	"  count(*) FILTER (WHERE q.fee->>'paid_on' IS NOT NULL) AS paid,"
	"  sum((q.fee->>'amount')::bigint) FILTER (WHERE q.fee->>'paid_on' IS NOT NULL) AS paid_amount"
	" FROM requests q WHERE q.unit_id = u.id AND q.fee IS NOT NULL"
	"  AND (q.fee->>'notice_date')::date >= $1::date AND (q.fee->>'notice_date')::date < $3::date")
	"),"
	/* Where the information went out in the year, by channel (sql/031):
	 * pieces per channel; the bulletin's issues and their print runs
	 * counted once per issue however many units' pieces it carried. */
	"pc AS (" PER_UNIT("r",
	" SELECT p.channel, count(*) AS n FROM item_publications p"
	" WHERE p.unit_id = u.id AND p.published_on >= $1::date AND p.published_on < $3::date"
	" GROUP BY 1") "),"
	"pb AS (SELECT count(*) AS issues, sum(copies) AS copies FROM ("
	" SELECT p.issue, max(p.copies) AS copies FROM item_publications p"
	" WHERE p.channel = 'bulletin' AND p.published_on >= $1::date AND p.published_on < $3::date"
	"  AND ($2::uuid IS NULL OR p.unit_id = $2::uuid) GROUP BY 1) AS bi),"
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
	" UNION ALL SELECT 'r3d', outcome || '|' || coalesce(reason_code, '') || '|' || applicant_type,"
	"  n FROM dc WHERE kind = 'disclosure'"
	" UNION ALL SELECT 'r3c', status || '|' || coalesce(outcome, '') || '|' || applicant_type,"
	"  n FROM cc WHERE kind = 'disclosure'"
	" UNION ALL SELECT y.k, dt.document_type, y.v FROM dt CROSS JOIN LATERAL (VALUES"
	"  ('doc_issued', dt.issued), ('doc_abolished', dt.abolished), ('doc_in_force', dt.in_force))"
	"  AS y(k, v)"
	" UNION ALL SELECT 'licensing', '', n FROM lc"
	" UNION ALL SELECT 'rating', score::text, n FROM rt"
	/* Table 四: appeals filed in the year by group and result as it stood
	 * on 31 December (sql/015). */
	" UNION ALL SELECT 'appeal', a.category || '|' || a.result, a.count"
	"  FROM appeal_report_counts(extract(year FROM $1::date)::int, $2::uuid) AS a"
	"  WHERE a.result <> 'total'"
	" UNION ALL SELECT y.k, '', y.v FROM fg CROSS JOIN LATERAL (VALUES"
	"  ('fig_units', 1), ('fig_penalties', fg.penalty_decisions),"
	"  ('fig_coercions', fg.coercion_decisions), ('fig_fees', fg.fees_10k_yuan)) AS y(k, v)"
	"  WHERE y.v IS NOT NULL"
	" UNION ALL SELECT y.k, '', y.v FROM fe CROSS JOIN LATERAL (VALUES"
	"  ('fee_notices', fe.notices), ('fee_amount', fe.amount), ('fee_paid', fe.paid),"
	"  ('fee_paid_amount', fe.paid_amount)) AS y(k, v)"
	" UNION ALL SELECT 'channel', channel, n FROM pc"
	" UNION ALL SELECT y.k, '', y.v FROM pb CROSS JOIN LATERAL (VALUES"
	"  ('bulletin_issues', pb.issues), ('bulletin_copies', pb.copies)) AS y(k, v)"
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
	" UNION ALL SELECT y.k, '*', y.v FROM (SELECT sum(score * n) AS points, sum(n) AS n,"
	"  sum(n) FILTER (WHERE score <= 2) AS bad FROM rt) AS rs CROSS JOIN LATERAL (VALUES"
	"  ('rating_average', round(rs.points::numeric / nullif(rs.n, 0), 2)::text),"
	"  ('rating_bad', coalesce(rs.bad, 0)::text),"
	"  ('rating_bad_share', round(coalesce(rs.bad, 0)::numeric / nullif(rs.n, 0), 4)::text))"
	"  AS y(k, v)"
	" UNION ALL SELECT 'generated_at', '*', rfc3339(now())"
	" UNION ALL SELECT 'unit_name', '*', name FROM units WHERE id = $2::uuid"
	" UNION ALL (SELECT 'publication', '*', json_build_object('id', id, 'revision', revision,"
	"  'published_at', rfc3339(published_at))::text FROM report_publications"
	"  WHERE year = extract(year FROM $1::date)::int AND unit_id IS NOT DISTINCT FROM $2::uuid"
	"  ORDER BY revision DESC LIMIT 1)"
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
	struct jw j;                /* the JSON, unless csv */
	int depth;                  /* the CSV's path: */
	const char *path[RW_DEPTH]; /* the keys from the section down */
	bool dim_keys[RW_DEPTH];    /* this object's keys are breakdown values */
	const char *label;          /* the label of the array entry being written */
};

static void rw_push(struct rw *w, const char *key, bool array, bool dims)
{
	if (!w->csv && array)
		jw_array(&w->j, key);
	else if (!w->csv)
		jw_object(&w->j, key);
	w->path[w->depth] = key;
	w->depth++;
	w->dim_keys[w->depth] = dims;
}

static void rw_obj(struct rw *w, const char *key)
{
	rw_push(w, key, false, false);
}

/* An object whose keys are the values of a breakdown (applicant types). */
static void rw_dims(struct rw *w, const char *key)
{
	rw_push(w, key, false, true);
}

static void rw_arr(struct rw *w, const char *key)
{
	rw_push(w, key, true, false);
}

static void rw_close(struct rw *w)
{
	w->depth--;
	if (!w->csv)
		jw_end(&w->j);
}

/* An array entry {label_key: label, ...}. */
static void rw_entry(struct rw *w, const char *label_key, const char *label)
{
	if (!w->csv) {
		jw_object(&w->j, NULL);
		jw_str(&w->j, label_key, label);
	}
	w->depth++;
	w->dim_keys[w->depth] = false;
	w->path[w->depth - 1] = NULL; /* the entry itself has no key */
	w->label = label;
}

static void rw_entry_end(struct rw *w)
{
	w->label = NULL;
	rw_close(w);
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
	if (w->csv)
		csv_row(w, key, value);
	else
		jw_raw(&w->j, key, value);
}

static void rw_str(struct rw *w, const char *key, const char *value)
{
	if (w->csv)
		csv_row(w, key, value);
	else
		jw_str(&w->j, key, value);
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
	rw_close(w);
	rw_close(w);
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
	rw_close(w);
}

/* ---- the national form (国办公开办函〔2021〕30号) ------------------------ */

/* Table 三 from the figures: the rows 一, 二, 四 by applicant type, and every
 * request closed in the year under the row its outcome, reason or status
 * counts in (src/domain/reportform.c, from the rules table). */
static void table3_from(const PGresult *res, struct rf_table3 *t)
{
	static const struct { const char *code, *k; } plain[] = {
		{ "3.1", "received" }, { "3.2", "carried_over" }, { "3.4", "carried_forward" },
	};

	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
		for (int c = 0; c < RF_TOTAL; c++)
			rf_table3_add(t, plain[i].code, rf_columns[c].key,
				      atoll(fig_count(res, plain[i].k, rf_columns[c].key)));
	for (int i = 0; i < PQntuples(res); i++) {
		const char *k = PQgetvalue(res, i, 0);
		bool decided = !strcmp(k, "r3d");
		if (!decided && strcmp(k, "r3c"))
			continue;
		char d[160], *rest = d;
		snprintf(d, sizeof d, "%s", PQgetvalue(res, i, 1));
		if (!strcmp(d, "*"))
			continue;
		/* decided: outcome|reason|type; closed: status|outcome|type */
		const char *a = strsep(&rest, "|"), *b = strsep(&rest, "|"), *type = rest;
		if (!type)
			continue;
		const char *row = decided ? rf_row_of("decided", a, b) : rf_row_of(a, b, NULL);
		rf_table3_add(t, row, type, atoll(PQgetvalue(res, i, 2)));
	}
	rf_table3_finish(t);
}

static long long count_of(const PGresult *res, const char *k, const char *d)
{
	return atoll(fig_count(res, k, d));
}

/* The JSON keys of the form's parts: table 二's documents and their
 * figures, table 四's groups (the categories of appeal_report_counts,
 * sql/015). */
static const char *const doc_keys[RF__DOCS] = { "rules", "normative_documents" };
static const char *const fig_keys[RF__DOC_FIGURES] = { "issued", "abolished", "in_force" };
static const char *const group_keys[RF__APPEAL_GROUPS] = { "reconsideration",
	"litigation_direct", "litigation_after_reconsideration" };

/* The form of the report from its figures. */
static void form_from(const PGresult *res, int year, struct rf_report *f)
{
	static const char *const types[RF__DOCS] = { "rule", "normative_document" };
	static const char *const figure_keys[RF__DOC_FIGURES] = { "doc_issued", "doc_abolished",
								   "doc_in_force" };
	const char *name = fig(res, "unit_name", "*");

	memset(f, 0, sizeof *f);
	f->year = year;
	snprintf(f->title, sizeof f->title, "%s%d年政府信息公开工作年度报告",
		 name ? name : "全市", year);
	for (int d = 0; d < RF__DOCS; d++)
		for (int k = 0; k < RF__DOC_FIGURES; k++)
			f->docs[d][k] = count_of(res, figure_keys[k], types[d]);
	f->licensing = count_of(res, "licensing", "*");
	/* The units' own figures: none entered, none shown. */
	f->figures_entered = fig(res, "fig_units", "*") != NULL;
	f->penalties = count_of(res, "fig_penalties", "*");
	f->coercions = count_of(res, "fig_coercions", "*");
	/* Four decimals, as stored (numeric(14, 4)) and as a frozen copy
	 * reads back (form_parse). */
	if (f->figures_entered)
		snprintf(f->fees_10k_yuan, sizeof f->fees_10k_yuan, "%.4f",
			 atof(fig_count(res, "fig_fees", "*")));
	table3_from(res, &f->t3);
	/* Table 四: each group's results, and its 总计 their sum. */
	for (int g = 0; g < RF__APPEAL_GROUPS; g++) {
		long long total = 0;
		for (size_t k = 0; k < rf_table4_result_count; k++) {
			char d[96];
			if (!strcmp(rf_table4_results[k].key, "total")) {
				f->appeals[g][k] = total;
				continue;
			}
			snprintf(d, sizeof d, "%s|%s", group_keys[g], rf_table4_results[k].key);
			total += f->appeals[g][k] = count_of(res, "appeal", d);
		}
	}
	f->fee_notices = count_of(res, "fee_notices", "*");
	f->fee_amount = count_of(res, "fee_amount", "*");
	f->fee_paid = count_of(res, "fee_paid", "*");
	f->fee_paid_amount = count_of(res, "fee_paid_amount", "*");
}

/* The form's tables as JSON: 二 (proactive), 三 (applications, row by row
 * and column by column), 四 (appeals), 六 (the fees). */
static void form_write(struct jw *w, const char *key, const struct rf_report *r)
{
	jw_object(w, key);
	jw_str(w, "template", RF_TEMPLATE);
	jw_str(w, "title", r->title);
	jw_object(w, "proactive");
	for (int d = 0; d < RF__DOCS; d++) {
		jw_object(w, doc_keys[d]);
		jw_int(w, "issued", r->docs[d][RF_ISSUED]);
		jw_int(w, "abolished", r->docs[d][RF_ABOLISHED]);
		jw_int(w, "in_force", r->docs[d][RF_IN_FORCE]);
		jw_end(w);
	}
	jw_int(w, "licensing_decisions", r->licensing);
	if (r->figures_entered) {
		jw_int(w, "penalty_decisions", r->penalties);
		jw_int(w, "coercion_decisions", r->coercions);
	} else {
		jw_raw(w, "penalty_decisions", NULL);
		jw_raw(w, "coercion_decisions", NULL);
	}
	jw_raw(w, "administrative_fees_10k_yuan", r->fees_10k_yuan[0] ? r->fees_10k_yuan : NULL);
	jw_end(w);

	jw_object(w, "applications");
	jw_array(w, "columns");
	for (int c = 0; c < RF__COLS; c++) {
		jw_object(w, NULL);
		jw_str(w, "key", rf_columns[c].key);
		jw_str(w, "label", rf_columns[c].label);
		jw_end(w);
	}
	jw_end(w);
	jw_array(w, "rows");
	for (size_t i = 0; i < rf_row_count; i++) {
		jw_object(w, NULL);
		jw_str(w, "row", rf_rows[i].code);
		jw_array(w, "labels");
		jw_str(w, NULL, rf_rows[i].l1);
		jw_str(w, NULL, rf_rows[i].l2);
		jw_str(w, NULL, rf_rows[i].l3);
		jw_end(w);
		jw_object(w, "values");
		for (int c = 0; c < RF__COLS; c++)
			jw_int(w, rf_columns[c].key, r->t3.v[i][c]);
		jw_end(w);
		jw_end(w);
	}
	jw_end(w);
	jw_object(w, "balanced");
	for (int c = 0; c < RF__COLS; c++)
		jw_bool(w, rf_columns[c].key, rf_table3_balanced(&r->t3, (enum rf_column)c));
	jw_end(w);
	jw_end(w);

	jw_object(w, "appeals");
	for (int k = 0; k < RF__APPEAL_GROUPS; k++) {
		jw_object(w, group_keys[k]);
		for (size_t j = 0; j < rf_table4_result_count; j++)
			jw_int(w, rf_table4_results[j].key, r->appeals[k][j]);
		jw_end(w);
	}
	jw_end(w);

	jw_object(w, "other");
	jw_object(w, "fees");
	jw_int(w, "notices", r->fee_notices);
	jw_int(w, "amount_yuan", r->fee_amount);
	jw_int(w, "paid", r->fee_paid);
	jw_int(w, "paid_amount_yuan", r->fee_paid_amount);
	jw_end(w);
	jw_end(w);
	jw_end(w);
}

static void annual_write(struct rw *w, const PGresult *res, int year, const char *unit,
			 const struct rf_report *form)
{
	char y[16];

	snprintf(y, sizeof y, "%d", year);
	w->depth = 0;
	if (!w->csv) {
		jw_init(&w->j, w->b);
		jw_object(&w->j, NULL);
	}
	rw_val(w, "year", y);
	rw_str(w, "unit_id", unit);
	rw_str(w, "generated_at", fig(res, "generated_at", "*"));

	rw_obj(w, "proactive_disclosure");
	rw_val(w, "total", fig_count(res, "proactive", "*"));
	counts_by(w, res, "by_category", "category", info_categories, "proactive");
	rw_close(w);

	rw_obj(w, "applications");
	by_applicant(w, res, "received", "received");
	by_applicant(w, res, "carried_over", "carried_over");
	rw_obj(w, "outcomes");
	rw_val(w, "total", fig_count(res, "outcomes", "*"));
	rw_dims(w, "by_applicant_type");
	for (int i = 0; applicant_types[i]; i++)
		rw_val(w, applicant_types[i], fig_count(res, "outcomes", applicant_types[i]));
	rw_close(w);
	counts_by(w, res, "by_outcome", "outcome", case_outcome_names(CK_DISCLOSURE), "outcome");
	counts_by(w, res, "withheld_by_reason", "reason_code", case_reason_names(), "withheld");
	counts_by(w, res, "partially_disclosed_by_reason", "reason_code", case_reason_names(),
		  "partially_disclosed");
	rw_val(w, "not_accepted", fig_count(res, "outcome", "not_accepted"));
	rw_val(w, "withdrawn", fig_count(res, "outcome", "withdrawn"));
	rw_val(w, "abandoned", fig_count(res, "outcome", "abandoned"));
	rw_close(w);
	by_applicant(w, res, "carried_forward", "carried_forward");
	rw_obj(w, "balance");
	rw_val(w, "new_plus_carried_over", fig_count(res, "new_plus_carried_over", "*"));
	rw_val(w, "outcomes_plus_carried_forward", fig_count(res, "outcomes_plus_carried_forward", "*"));
	rw_val(w, "balanced", fig(res, "balanced", "*"));
	rw_close(w);
	rw_close(w);

	rw_obj(w, "processing");
	rw_val(w, "decided", fig_count(res, "decided", "*"));
	rw_val(w, "average_working_days", fig(res, "average_working_days", "*"));
	rw_val(w, "median_working_days", fig(res, "median_working_days", "*"));
	rw_val(w, "on_time", fig_count(res, "on_time", "*"));
	rw_val(w, "on_time_rate", fig(res, "on_time_rate", "*"));
	rw_val(w, "extended", fig_count(res, "extended", "*"));
	rw_close(w);

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
	rw_close(w);
	rw_close(w);

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
	rw_close(w);
	rw_close(w);

	rw_obj(w, "approvals");
	rw_val(w, "received", fig_count(res, "approvals_received", "*"));
	rw_val(w, "decided", fig_count(res, "approvals_decided", "*"));
	rw_val(w, "approved", fig_count(res, "approvals_approved", "*"));
	rw_val(w, "rejected", fig_count(res, "approvals_rejected", "*"));
	rw_val(w, "on_time_rate", fig(res, "approvals_on_time_rate", "*"));
	rw_close(w);

	/* The channels the year's information went out through (the work
	 * summary's "direct reporting 3,000+ pieces, 17 bulletin issues"). */
	static const char *const channels[] = { "portal", "direct_report", "bulletin",
						"touch_screen", "press", "other", NULL };
	rw_obj(w, "publication_channels");
	rw_dims(w, "by_channel");
	for (int i = 0; channels[i]; i++)
		rw_val(w, channels[i], fig_count(res, "channel", channels[i]));
	rw_close(w);
	rw_val(w, "bulletin_issues", fig_count(res, "bulletin_issues", "*"));
	rw_val(w, "bulletin_copies", fig_count(res, "bulletin_copies", "*"));
	rw_close(w);

	rw_obj(w, "ratings");
	rw_val(w, "count", fig_count(res, "rating", "*"));
	rw_val(w, "average", fig(res, "rating_average", "*"));
	rw_val(w, "bad", fig_count(res, "rating_bad", "*"));
	rw_val(w, "bad_share", fig(res, "rating_bad_share", "*"));
	rw_dims(w, "by_score");
	for (int i = 0; i < 5; i++) {
		char score[2] = { (char)('1' + i), 0 };
		rw_val(w, score, fig_count(res, "rating", score));
	}
	rw_close(w);
	rw_close(w);

	if (!w->csv) {
		form_write(&w->j, "form", form);
		jw_raw(&w->j, "publication", fig(res, "publication", "*"));
		jw_end(&w->j);
	}
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

/* Answers with the report in format (NULL: JSON). */
static void report_send(struct req *r, const PGresult *res, int year, const char *unit,
			const struct rf_report *form, const char *format)
{
	struct buf b = { 0 };
	bool figures = format && !strcmp(format, "figures_csv");

	cache_headers(r);
	if (format && !strcmp(format, "xlsx")) {
		char *x;
		size_t n;
		if (rf_xlsx(form, &x, &n)) {
			problem_reply(r, 500, "internal", "The workbook could not be written.");
			return;
		}
		http_header(r, "Content-Disposition",
			    "attachment; filename=\"annual-report-%d.xlsx\"", year);
		http_text(r, 200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			  x, n);
		free(x);
		return;
	}
	if (format && !strcmp(format, "csv")) {
		rf_csv(&b, form);
		http_header(r, "Content-Disposition", "attachment; filename=\"annual-report-%d.csv\"",
			    year);
		http_text(r, 200, "text/csv; charset=utf-8", b.data, b.len);
		buf_free(&b);
		return;
	}
	struct rw w = { .b = &b, .csv = figures };
	if (figures)
		buf_puts(&b, "\xEF\xBB\xBF" "section,item,dimension,value\r\n");
	annual_write(&w, res, year, unit, form);
	if (figures) {
		http_header(r, "Content-Disposition",
			    "attachment; filename=\"annual-report-figures-%d.csv\"", year);
		http_text(r, 200, "text/csv; charset=utf-8", b.data, b.len);
	} else {
		http_json_text(r, 200, &b);
	}
	buf_free(&b);
}

/* Every figure of the year's report, of one unit (unit) or the city (NULL):
 * the rows of annual_sql, or NULL after answering (404 for a unit that does
 * not exist). */
static PGresult *annual_figures_or_reply(struct req *r, int year, const char *unit)
{
	static char *annual_text;
	char y1[32], y2[32];

	snprintf(y1, sizeof y1, "%d-01-01", year);
	snprintf(y2, sizeof y2, "%d-01-01", year + 1);
	const char *p[] = { y1, unit, y2 };
	PGresult *res = report_exec_or_reply(r, with_open_statuses(annual_sql, &annual_text), 3, p);
	if (res && unit && !strcmp(fig_count(res, "unit_known", "*"), "0")) {
		PQclear(res);
		problem_reply(r, 404, "not-found", "There is no such unit.");
		return NULL;
	}
	return res;
}

/* GET /v1/reports/annual - getAnnualReport: 200 (JSON, the form as CSV or
 * XLSX, or the figures as CSV), 400, 404. */
void api_reports_annual(struct req *r)
{
	const char *unit, *format;
	int year;

	if (year_or_reply(r, &year) || query_uuid_or_reply(r, "unit", &unit) ||
	    query_enum_or_reply(r, "format", formats, &format))
		return;
	PGresult *res = annual_figures_or_reply(r, year, unit);
	if (!res)
		return;
	struct rf_report form;
	form_from(res, year, &form);
	report_send(r, res, year, unit, &form, format);
	PQclear(res);
}

/* ---------------------------------------------------------- publication */

/* The form back from a published snapshot's JSON, to export it again. */
static void form_parse(const json_t *form, int year, struct rf_report *f)
{
	const json_t *pro = json_object_get(form, "proactive");
	const json_t *fees = json_object_get(json_object_get(form, "other"), "fees");
	const json_t *rows = json_object_get(json_object_get(form, "applications"), "rows");
	const json_t *e;
	size_t i;

	memset(f, 0, sizeof *f);
	f->year = year;
	snprintf(f->title, sizeof f->title, "%s", json_member_str(form, "title") ?
		 json_member_str(form, "title") : "");
	for (int d = 0; d < RF__DOCS; d++)
		for (int k = 0; k < RF__DOC_FIGURES; k++)
			f->docs[d][k] = json_integer_value(json_object_get(
				json_object_get(pro, doc_keys[d]), fig_keys[k]));
	f->licensing = json_integer_value(json_object_get(pro, "licensing_decisions"));
	f->figures_entered = json_is_integer(json_object_get(pro, "penalty_decisions"));
	f->penalties = json_integer_value(json_object_get(pro, "penalty_decisions"));
	f->coercions = json_integer_value(json_object_get(pro, "coercion_decisions"));
	const json_t *fee = json_object_get(pro, "administrative_fees_10k_yuan");
	if (json_is_number(fee))
		snprintf(f->fees_10k_yuan, sizeof f->fees_10k_yuan, "%.4f", json_number_value(fee));
	json_array_foreach(rows, i, e) {
		int row = rf_row_index(json_member_str(e, "row"));
		if (row < 0)
			continue;
		for (int c = 0; c < RF__COLS; c++)
			f->t3.v[row][c] = json_integer_value(json_object_get(
				json_object_get(e, "values"), rf_columns[c].key));
	}
	for (int g = 0; g < RF__APPEAL_GROUPS; g++)
		for (size_t k = 0; k < rf_table4_result_count; k++)
			f->appeals[g][k] = json_integer_value(json_object_get(
				json_object_get(json_object_get(form, "appeals"), group_keys[g]),
				rf_table4_results[k].key));
	f->fee_notices = json_integer_value(json_object_get(fees, "notices"));
	f->fee_amount = json_integer_value(json_object_get(fees, "amount_yuan"));
	f->fee_paid = json_integer_value(json_object_get(fees, "paid"));
	f->fee_paid_amount = json_integer_value(json_object_get(fees, "paid_amount_yuan"));
}

/* Every number, boolean and string of a report by its path, for the list of
 * what a revision changed (the time it was computed and the publication
 * member left out). */
static void flatten(const json_t *v, const char *path, json_t *out)
{
	char sub[512];
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, x) {
			if (!*path && (!strcmp(key, "generated_at") || !strcmp(key, "publication")))
				continue;
			snprintf(sub, sizeof sub, "%s/%s", path, key);
			flatten(x, sub, out);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			/* rows and labelled entries by their label, not their place */
			const char *label = json_member_str(x, "row") ? json_member_str(x, "row")
				: json_member_str(x, "key") ? json_member_str(x, "key")
				: json_member_str(x, "category") ? json_member_str(x, "category")
				: json_member_str(x, "outcome") ? json_member_str(x, "outcome")
				: json_member_str(x, "reason_code");
			if (label)
				snprintf(sub, sizeof sub, "%s/%s", path, label);
			else
				snprintf(sub, sizeof sub, "%s/%zu", path, i);
			flatten(x, sub, out);
		}
	} else {
		json_object_set(out, path, (json_t *)v);
	}
}

/* [{path, before, after}] of what differs between two reports. */
static json_t *report_changes(const json_t *before, const json_t *after)
{
	json_t *a = json_object(), *b = json_object(), *out = json_array();
	const char *key;
	json_t *v;

	flatten(before, "", a);
	flatten(after, "", b);
	json_object_foreach(b, key, v) {
		json_t *old = json_object_get(a, key);
		if (!old || !json_equal(old, v))
			json_array_append_new(out, json_pack("{s:s, s:O, s:O}", "path", key, "before",
							     old ? old : json_null(), "after", v));
	}
	json_object_foreach(a, key, v)
		if (!json_object_get(b, key))
			json_array_append_new(out, json_pack("{s:s, s:O, s:n}", "path", key,
							     "before", v, "after"));
	json_decref(a);
	json_decref(b);
	return out;
}

#define PUBLICATION_COLUMNS \
	"p.id, p.year, p.unit_id, p.revision, rfc3339(p.published_at) AS published_at," \
	" p.published_by, p.note, p.changes"

static const struct field publish_fields[] = {
	{ "year", FT_INT, F_REQUIRED, 2000, 9999, NULL, NULL, NULL },
	{ "unit_id", FT_UUID, F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "note", FT_STRING, F_NULLABLE, 1, 2000, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL },
};

/* POST /v1/reports/annual/publications - publishAnnualReport (an approver
 * for their unit's report, an admin for the city's): 201, 400, 401, 403,
 * 404, 409 (the year is not over), 413, 415, 422. Freezes the report as it
 * stands now: a numbered revision, the first 1, each later one with what
 * changed against the one before (OGI Regulations Art. 49: units by 31
 * January, the city by 31 March of the next year). */
void api_reports_publish(struct req *r)
{
	DB_STMT(last, "reports_last_publication",
		"SELECT revision, report FROM report_publications"
		" WHERE year = $1::int AND unit_id IS NOT DISTINCT FROM $2::uuid"
		" ORDER BY revision DESC LIMIT 1");
	DB_STMT(ins, "reports_publish",
		"WITH p AS (INSERT INTO report_publications (year, unit_id, revision, report, changes,"
		"  note, published_by, published_role)"
		"  VALUES ($1::int, $2::uuid, $3::int, $4::jsonb, $5::jsonb, $6, $7, $8) RETURNING *)"
		" SELECT " PUBLICATION_COLUMNS ", p.report FROM p");
	DB_STMT(lock, "reports_publish_lock",
		"SELECT pg_advisory_xact_lock(hashtext('opengov.report.' || $1 || '.' || coalesce($2, '')))"
		);
	struct verrs v = { 0 };
	char year_text[16], rev[16];

	if (validate_object(r->json, publish_fields, &v)) {
		problem_reply_errors(r, 422, "validation", "The publication is invalid.", &v);
		return;
	}
	int year = (int)json_integer_value(json_object_get(r->json, "year"));
	const char *unit = json_member_str(r->json, "unit_id");
	if (unit ? !(r->claims.role == ROLE_APPROVER && !strcasecmp(unit, r->claims.unit))
		 : r->claims.role != ROLE_ADMIN) {
		problem_reply(r, 403, "forbidden", unit
			      ? "A unit's report is published by an approver of the unit."
			      : "The city's report is published by an admin.");
		return;
	}
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	if (year > tm.tm_year + 1900 - 1) {
		problem_replyf(r, 409, "conflict",
			       "The report of %d is published once the year is over (OGI Regulations"
			       " Art. 49: by 31 January of the next year).", year);
		return;
	}
	snprintf(year_text, sizeof year_text, "%d", year);
	PGresult *res = annual_figures_or_reply(r, year, unit);
	if (!res)
		return;
	struct rf_report form;
	struct buf b = { 0 };
	struct rw w = { .b = &b };
	form_from(res, year, &form);
	annual_write(&w, res, year, unit, &form);
	PQclear(res);
	json_t *report = json_loadb(b.data, b.len, 0, NULL);
	buf_free(&b);
	json_object_del(report, "publication");
	json_t *changes = NULL;
	PGresult *out = NULL, *prev = NULL;
	const char *lp[] = { year_text, unit };
	if (db_begin_or_reply(r) || !(res = db_exec_or_reply(r, &lock, 2, lp)))
		goto done;
	PQclear(res);
	if (!(prev = db_exec_or_reply(r, &last, 2, lp)))
		goto done;
	int revision = 1;
	if (PQntuples(prev)) {
		json_t *before = json_loads(db_get(prev, 0, "report"), 0, NULL);
		revision = atoi(db_get(prev, 0, "revision")) + 1;
		changes = report_changes(before, report);
		json_decref(before);
	} else {
		changes = json_array();
	}
	char *report_text = json_dumps(report, JSON_COMPACT);
	char *changes_text = json_dumps(changes, JSON_COMPACT);
	snprintf(rev, sizeof rev, "%d", revision);
	const char *ip[] = { year_text, unit, rev, report_text, changes_text,
			     json_member_str(r->json, "note"), req_actor(r), req_role(r) };
	out = db_exec_or_reply(r, &ins, 8, ip);
	free(report_text);
	free(changes_text);
	if (!out)
		goto done;
	json_t *detail = json_pack("{s:i, s:o, s:i, s:I}", "year", year,
				   "unit_id", unit ? json_string(unit) : json_null(),
				   "revision", revision, "changes",
				   (json_int_t)json_array_size(changes));
	if (audit_append_or_reply(r, "report.publish", "report_publication",
				  db_get(out, 0, "id"), detail)) {
		json_decref(detail);
		goto done;
	}
	json_decref(detail);
	if (db_commit_or_reply(r))
		goto done;
	char loc[96];
	snprintf(loc, sizeof loc, "/v1/reports/annual/publications/%s", db_get(out, 0, "id"));
	http_header(r, "Location", "%s", loc);
	/* The same validator getReportPublication gives its JSON form: the
	 * revision never changes. */
	http_header(r, "ETag", "\"%s.json\"", db_get(out, 0, "id"));
	http_row(r, 201, out, 0);
done:
	PQclear(prev);
	PQclear(out);
	json_decref(report);
	json_decref(changes);
}

/* GET /v1/reports/annual/publications - listReportPublications: 200, 400.
 * Anyone: the published reports, newest first, without their figures;
 * filters year and unit (city=true: the city's only). */
void api_reports_publications_list(struct req *r)
{
	const char *unit, *city;
	char after[2][CURSOR_PART_MAX], lim[16];
	int limit, year = 0;
	bool year_given = http_query(r, "year") != NULL;

	if (query_limit_or_reply(r, &limit) || (year_given && year_or_reply(r, &year)) ||
	    query_uuid_or_reply(r, "unit", &unit) || query_bool_or_reply(r, "city", &city) ||
	    query_time_cursor_or_reply(r, after))
		return;
	char y[16];
	snprintf(y, sizeof y, "%d", year);
	snprintf(lim, sizeof lim, "%d", limit + 1);
	struct sqlb b = { 0 };
	sqlb_add(&b, "SELECT " PUBLICATION_COLUMNS ","
		 " (extract(epoch FROM p.published_at) * 1000000)::bigint AS _sort_us"
		 " FROM report_publications p WHERE true");
	if (year_given)
		sqlb_and_eq(&b, "p.year", y, "int");
	sqlb_and_eq(&b, "p.unit_id", unit, "uuid");
	if (city && !strcmp(city, "true"))
		sqlb_add(&b, " AND p.unit_id IS NULL");
	else if (city)
		sqlb_add(&b, " AND p.unit_id IS NOT NULL");
	PGresult *res = common_page_or_reply(r, &b, "p.published_at", "p.id", after, lim);
	if (!res)
		return;
	static const char *const keys[] = { "_sort_us", "id" };
	cache_headers(r);
	http_list_rows(r, res, limit, keys, 2);
	PQclear(res);
}

/* GET /v1/reports/annual/publications/{id} - getReportPublication: 200
 * (JSON with the frozen report, or the form as CSV or XLSX), 304, 400, 404.
 * A published report never changes: it is cached for a day. */
void api_reports_publication_get(struct req *r)
{
	DB_STMT(one, "reports_publication",
		"SELECT " PUBLICATION_COLUMNS ", p.report FROM report_publications p WHERE p.id = $1");
	static const char *const pub_formats[] = { "json", "csv", "xlsx", NULL };
	const char *format;
	char etag[64];

	if (query_enum_or_reply(r, "format", pub_formats, &format))
		return;
	if (!uuid_valid(r->path_params[0])) {
		problem_reply(r, 404, "not-found", "There is no such published report.");
		return;
	}
	const char *p[] = { r->path_params[0] };
	PGresult *res = common_row_or_reply(r, &one, 1, p, "There is no such published report.");
	if (!res)
		return;
	snprintf(etag, sizeof etag, "\"%s.%s\"", db_get(res, 0, "id"), format ? format : "json");
	http_header(r, "Cache-Control", "public, max-age=86400");
	if (http_not_modified(r, etag)) {
		PQclear(res);
		return;
	}
	if (format && strcmp(format, "json")) {
		json_t *report = json_loads(db_get(res, 0, "report"), 0, NULL);
		struct rf_report form;
		int year = atoi(db_get(res, 0, "year"));
		form_parse(json_object_get(report, "form"), year, &form);
		json_decref(report);
		if (!strcmp(format, "csv")) {
			struct buf b = { 0 };
			rf_csv(&b, &form);
			http_header(r, "Content-Disposition",
				    "attachment; filename=\"annual-report-%d-r%s.csv\"", year,
				    db_get(res, 0, "revision"));
			http_text(r, 200, "text/csv; charset=utf-8", b.data, b.len);
			buf_free(&b);
		} else {
			char *x;
			size_t n;
			if (rf_xlsx(&form, &x, &n)) {
				problem_reply(r, 500, "internal", "The workbook could not be written.");
			} else {
				http_header(r, "Content-Disposition",
					    "attachment; filename=\"annual-report-%d-r%s.xlsx\"", year,
					    db_get(res, 0, "revision"));
				http_text(r, 200, "application/vnd.openxmlformats-officedocument."
					  "spreadsheetml.sheet", x, n);
				free(x);
			}
		}
	} else {
		http_row(r, 200, res, 0);
	}
	PQclear(res);
}

/* ------------------------------------------------------- report figures */

static const struct field figure_fields[] = {
	{ "penalty_decisions", FT_INT, F_NULLABLE, 0, 100000000, NULL, NULL, NULL },
	{ "coercion_decisions", FT_INT, F_NULLABLE, 0, 100000000, NULL, NULL, NULL },
	{ "fees_10k_yuan", FT_NUMBER, F_NULLABLE, 0, 1000000000, NULL, NULL, NULL },
	{ "note", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL },
};

#define FIGURE_COLUMNS \
	"f.unit_id, f.year, f.penalty_decisions, f.coercion_decisions," \
	" f.fees_10k_yuan::float8 AS fees_10k_yuan, f.note, f.updated_by," \
	" rfc3339(f.updated_at) AS updated_at, f.version"

/* The unit and year of the path: 0, or -1 after answering 404. */
static int figure_path_or_reply(struct req *r, char year[8])
{
	const char *y = r->path_params[1];

	if (!uuid_valid(r->path_params[0]) || strlen(y) != 4 || strspn(y, "0123456789") != 4 ||
	    atoi(y) < 2000) {
		problem_reply(r, 404, "not-found", "There are no such figures.");
		return -1;
	}
	snprintf(year, 8, "%s", y);
	return 0;
}

/* GET /v1/units/{id}/report-figures/{year} - getReportFigures: 200, 304,
 * 400, 404. Anyone: the figures of table 二 the unit entered for the year. */
void api_reports_figures_get(struct req *r)
{
	DB_STMT(st, "reports_figures_get",
		"SELECT " FIGURE_COLUMNS " FROM report_figures f WHERE f.unit_id = $1 AND f.year = $2::int"
		);
	char year[8], etag[32];

	if (figure_path_or_reply(r, year))
		return;
	const char *p[] = { r->path_params[0], year };
	PGresult *res = common_row_or_reply(r, &st, 2, p,
					    "The unit has entered no figures for this year.");
	if (!res)
		return;
	common_version_etag(res, 0, etag, sizeof etag);
	http_header(r, "Cache-Control", "private, no-cache");
	if (!http_not_modified(r, etag))
		http_row(r, 200, res, 0);
	PQclear(res);
}

/* PUT /v1/units/{id}/report-figures/{year} - putReportFigures (clerk or
 * approver of the unit, admin): 200, 400, 401, 403, 404, 413, 415, 422.
 * Enters the administrative penalties and coercive measures decided and the
 * administrative fees collected (in 10,000 yuan) in the year, which the
 * system does not hold (OGI Regulations Art. 20(6), (8)); audited; shown
 * in table 二 as entered. */
void api_reports_figures_put(struct req *r)
{
	DB_STMT(st, "reports_figures_put",
		"WITH u AS (SELECT id FROM units WHERE id = $1),"
		" f AS (INSERT INTO report_figures AS f (unit_id, year, penalty_decisions,"
		"  coercion_decisions, fees_10k_yuan, note, updated_by)"
		"  SELECT u.id, $2::int, $3::int, $4::int, $5::numeric, $6, $7 FROM u"
		"  ON CONFLICT (unit_id, year) DO UPDATE SET penalty_decisions = EXCLUDED.penalty_decisions,"
		"  coercion_decisions = EXCLUDED.coercion_decisions, fees_10k_yuan = EXCLUDED.fees_10k_yuan,"
		"  note = EXCLUDED.note, updated_by = EXCLUDED.updated_by, updated_at = now(),"
		"  version = f.version + 1 RETURNING *)"
		" SELECT " FIGURE_COLUMNS " FROM f");
	struct verrs v = { 0 };
	char year[8], pen[24], coe[24], fees[48], etag[32];

	if (figure_path_or_reply(r, year))
		return;
	if (r->claims.role != ROLE_ADMIN && strcasecmp(r->claims.unit, r->path_params[0])) {
		problem_reply(r, 403, "forbidden", "A unit's figures are entered by its own staff.");
		return;
	}
	if (validate_object(r->json, figure_fields, &v)) {
		problem_reply_errors(r, 422, "validation", "The figures are invalid.", &v);
		return;
	}
	json_t *pj = json_object_get(r->json, "penalty_decisions");
	json_t *cj = json_object_get(r->json, "coercion_decisions");
	json_t *fj = json_object_get(r->json, "fees_10k_yuan");
	snprintf(pen, sizeof pen, "%lld", (long long)json_integer_value(pj));
	snprintf(coe, sizeof coe, "%lld", (long long)json_integer_value(cj));
	snprintf(fees, sizeof fees, "%.4f", json_number_value(fj));
	const char *p[] = { r->path_params[0], year, json_is_integer(pj) ? pen : NULL,
			    json_is_integer(cj) ? coe : NULL, json_is_number(fj) ? fees : NULL,
			    json_member_str(r->json, "note"), req_actor(r) };
	if (db_begin_or_reply(r))
		return;
	PGresult *res = common_row_or_reply(r, &st, 7, p, "There is no such unit.");
	if (!res)
		return;
	json_t *detail = json_pack("{s:i, s:O, s:O, s:O}", "year", atoi(year), "penalty_decisions",
				   pj ? pj : json_null(), "coercion_decisions", cj ? cj : json_null(),
				   "fees_10k_yuan", fj ? fj : json_null());
	char id[80];
	snprintf(id, sizeof id, "%s/%s", r->path_params[0], year);
	if (common_audit_commit_or_reply(r, "report.figures", "report_figures", id, detail)) {
		PQclear(res);
		return;
	}
	common_version_etag(res, 0, etag, sizeof etag);
	http_header(r, "ETag", "%s", etag);
	http_row(r, 200, res, 0);
	PQclear(res);
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
	"  rt.ratings, rt.average_rating, rt.bad_ratings, lp.late_publications"
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
	"  WHERE g.unit_id = u.id AND " IN_RANGE("g.rated_at") ") AS rt"
	/* Information published in the range later than Art. 26's 20 working
	 * days after it was made (sql/031, items_published_late). */
	" CROSS JOIN LATERAL (SELECT count(*) AS late_publications FROM items i"
	"  WHERE i.unit_id = u.id AND i.published_late AND " IN_RANGE("i.published_at") ") AS lp),"
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
	" round(bad_ratings::numeric / nullif(ratings, 0), 4) AS bad_rating_share,"
	" late_publications, score, grade"
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
void api_reports_unit_stats(struct req *r)
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
