/* monitor.c - electronic monitoring, one pass: the steps the law takes by
 * itself (an approval application not handled within its acceptance stage
 * deemed accepted, with a finding; a correction or fee not in by its day
 * abandoned; a third party's 15 working days over, the clock resumed);
 * light dates of open cases computed again after a calendar change; today's
 * light on every open case; one e_monitoring finding per case and rule
 * (overdue, an approval pause past its declared duration, a licence not
 * delivered in time); findings open past their rectify_by turned red.
 * Every rule acts the day after its limit, never on it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <unistd.h>

#include "opengov/base/buf.h"
#include "opengov/domain/calendar.h"
#include "opengov/domain/casestore.h"
#include "opengov/base/log.h"
#include "opengov/domain/monitor.h"
#include "opengov/domain/workcal.h"

#define BATCH 100

/* Fills buf once with fmt, its %s the open statuses of the rules table
 * (the same list, in the same words, as the partial indexes' predicates). */
#define OPEN_SQL(buf, fmt)                                                   \
	do {                                                                 \
		if (!(buf)[0])                                               \
			snprintf((buf), sizeof(buf), (fmt), case_open_statuses_sql()); \
	} while (0)

/* Rows a rule that writes audit entries changes in one transaction. */
#define MONITOR_BATCH 200
#define MONITOR_BATCH_SQL "200"

/* Runs st and adds what it did to *done: the rows it changed (changed),
 * or the count its one row holds. 0, or -1 when it failed. */
static int count_into(struct db *db, struct db_stmt *st, int n, const char *const *p,
		      bool changed, int *done)
{
	PGresult *res = db_exec(db, st, n, p);

	if (!res)
		return -1;
	*done += atoi(changed ? PQcmdTuples(res) : PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* A finding of rule on the case, unless it has one: raised by the
 * system, red, 10 working days to rectify. */
static int raise_finding(struct db *db, const char *request_id, const char *rule,
			 const char *title, const char *description, const char *rectify_by,
			 int *done)
{
	DB_STMT(st, "monitor_finding",
		"WITH f AS (INSERT INTO findings (source, rule, unit_id, request_id, category,"
		"  severity, title, description, rectify_by, created_by, created_role)"
		"  SELECT 'e_monitoring', $2, q.unit_id, q.id, 'overdue', 'red', $3 || ' ' || q.number,"
		"   $4, $5::date, 'monitor', 'system' FROM requests q WHERE q.id = $1"
		"  ON CONFLICT (request_id, rule) WHERE rule IS NOT NULL DO NOTHING"
		"  RETURNING id, request_id, unit_id),"
		" s AS (INSERT INTO finding_steps (finding_id, seq, action, actor, actor_role, to_status)"
		"  SELECT id, 1, 'create', 'monitor', 'system', 'open' FROM f)"
		" SELECT count(audit_append('monitor', 'system', 'finding.create', 'finding', f.id::text,"
		"  NULL, jsonb_build_object('source', 'e_monitoring', 'rule', $2::text,"
		"  'request_id', f.request_id, 'unit_id', f.unit_id))) FROM f");
	const char *p[] = { request_id, rule, title, description, rectify_by };

	return count_into(db, &st, 5, p, false, done);
}

struct settle_ctx {
	struct monitor_report *rep;
	const char *rectify_by;
};

/* After each step the law took: its count, and the finding it calls for. */
static int on_settled(struct db *db, const struct case_key *k, enum case_action a,
		      const struct case_state *s, void *arg)
{
	struct settle_ctx *x = arg;
	char text[512], due[11];

	switch (a) {
	case CA_DEEMED_ACCEPT:
		x->rep->deemed_accepted++;
		calendar_format(s->acc_due, due);
		/* The record is in Chinese; api/findings.c shows English from
		 * the rule when asked. */
		snprintf(text, sizeof text,
			 "申请 %s 在 5 个工作日内（%s 前）未作出受理、一次告知补正或者不予受理的决定，"
			 "自收到申请材料之日起即为受理（《中华人民共和国行政许可法》第三十二条）。",
			 k->number, due);
		return raise_finding(db, k->id, "acceptance_lapsed", "逾期未作受理决定", text,
				     x->rectify_by, &x->rep->findings_created);
	case CA_ABANDON:
		x->rep->abandoned++;
		return 0;
	case CA_RESUME:
		x->rep->consultations_ended++;
		return 0;
	default:
		return 0;
	}
}

/* One case whose limit passed, if it still has: claimed without waiting
 * (another monitor, or its own handler, may hold it) and settled. */
static int settle_one(struct db *db, const char *id, int today, struct settle_ctx *x)
{
	struct case_state s;
	struct case_changes c = { 0 };

	if (db_begin(db))
		return -1;
	PGresult *res = casestore_lock(db, id, true);
	if (!res) {
		db_rollback(db);
		return -1;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		db_rollback(db);
		return 0;
	}
	const char *v = db_get(res, 0, "cal_version");
	const struct calendar *cal = workcal_get(db, v ? strtoll(v, NULL, 10) : -1);
	if (!cal) {
		PQclear(res);
		db_rollback(db);
		return -1;
	}
	state_load(&s, res, 0);
	struct case_key k = { db_get(res, 0, "id"), db_get(res, 0, "unit_id"),
			      db_get(res, 0, "number") };
	int n = casestore_settle(db, &k, &s, today, "monitor", NULL, &c, on_settled, x);
	PGresult *row = n > 0 ? casestore_write(db, k.id, cal, &s, &c, today) : NULL;
	int rc = n < 0 || (n > 0 && !row) ? -1 : 0;
	PQclear(row);
	PQclear(res);
	state_free(&s);
	if (rc) {
		db_rollback(db);
		return -1;
	}
	return db_commit(db);
}

/* The cases whose limit passed before today: an acceptance stage, a
 * correction notice, a fee notice, a third party's 15 days. */
static int settle_due(struct db *db, int today, const char *day, struct settle_ctx *x)
{
	DB_STMT(due, "monitor_limits_passed",
		"SELECT id FROM (SELECT id FROM requests WHERE status = 'submitted'"
		"  AND acceptance_due < $1::date"
		" UNION ALL SELECT id FROM requests WHERE status = 'correction_required'"
		"  AND correction_due < $1::date"
		" UNION ALL SELECT id FROM requests WHERE status = 'awaiting_payment'"
		"  AND fee_due < $1::date"
		" UNION ALL SELECT id FROM requests WHERE status = 'paused' AND kind = 'disclosure'"
		"  AND pause_limit < $1::date) AS d"
		" WHERE id > $2::uuid ORDER BY id LIMIT 100");
	char after[37] = "00000000-0000-0000-0000-000000000000";

	for (;;) {
		const char *p[] = { day, after };
		PGresult *res = db_exec(db, &due, 2, p);
		if (!res)
			return -1;
		int n = PQntuples(res);
		for (int i = 0; i < n; i++) {
			snprintf(after, sizeof after, "%s", PQgetvalue(res, i, 0));
			if (settle_one(db, after, today, x)) {
				PQclear(res);
				return -1;
			}
		}
		PQclear(res);
		if (n < BATCH)
			return 0;
	}
}

/* Recomputes the light dates of open cases whose dates were computed with
 * another calendar (an admin recorded a holiday since), in batches; a case
 * changed by a handler meanwhile (its version moved) is left to it. */
static int recompute_clocks(struct db *db, const struct calendar *cal, long long version,
			    int today, int *done)
{
	/* Planned for its values each time (once a minute): a generic plan
	 * cannot see that few cases, if any, have an older calendar, and
	 * walks the primary key through the whole table. */
	static char batch_sql[2048];
	OPEN_SQL(batch_sql,
		"SELECT q.id AS rid, q.version AS rversion, " REQUEST_COLUMNS
		" FROM requests q WHERE q.status IN (%s)"
		" AND (q.clock_start IS NOT NULL OR q.acceptance_start IS NOT NULL)"
		" AND (q.clock_calendar < $1::bigint OR q.clock_calendar IS NULL)"
		" AND q.id > $2::uuid ORDER BY q.id LIMIT 500");
	DB_STMT(upd, "monitor_clock_update",
		"UPDATE requests q SET yellow_on = u.y::date, red_on = u.r::date, light = u.l,"
		" clock_calendar = $5::bigint"
		" FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $6::text[]) AS u (id, v, y, r, l)"
		" WHERE q.id = u.id AND q.version = u.v");
	char after[37] = "00000000-0000-0000-0000-000000000000", ver[24];

	snprintf(ver, sizeof ver, "%lld", version);
	for (;;) {
		const char *p[] = { ver, after };
		PGresult *res = db_exec_params(db, batch_sql, 2, p);
		if (!res)
			return -1;
		int n = PQntuples(res);
		struct buf ids = { 0 }, vers = { 0 }, ys = { 0 }, rs = { 0 }, ls = { 0 };
		buf_puts(&ids, "{");
		buf_puts(&vers, "{");
		buf_puts(&ys, "{");
		buf_puts(&rs, "{");
		buf_puts(&ls, "{");
		for (int i = 0; i < n; i++) {
			struct case_state st;
			char y[16], r[16];
			state_load(&st, res, i);
			state_light_dates(cal, &st, today, y, r);
			const char *l = light_of(y, r, today);
			state_free(&st);
			const char *sep = i ? "," : "";
			buf_printf(&ids, "%s%s", sep, db_get(res, i, "rid"));
			buf_printf(&vers, "%s%s", sep, db_get(res, i, "rversion"));
			buf_printf(&ys, "%s%s", sep, y[0] ? y : "NULL");
			buf_printf(&rs, "%s%s", sep, r[0] ? r : "NULL");
			buf_printf(&ls, "%s%s", sep, l ? l : "NULL");
			snprintf(after, sizeof after, "%s", db_get(res, i, "rid"));
		}
		buf_puts(&ids, "}");
		buf_puts(&vers, "}");
		buf_puts(&ys, "}");
		buf_puts(&rs, "}");
		buf_puts(&ls, "}");
		PQclear(res);
		int rc = 0;
		if (n) {
			const char *u[] = { buf_str(&ids), buf_str(&vers), buf_str(&ys), buf_str(&rs), ver,
					    buf_str(&ls) };
			PGresult *ur = db_exec(db, &upd, 6, u);
			if (ur)
				*done += atoi(PQcmdTuples(ur));
			else
				rc = -1;
			PQclear(ur);
		}
		buf_free(&ids);
		buf_free(&vers);
		buf_free(&ys);
		buf_free(&rs);
		buf_free(&ls);
		if (rc)
			return -1;
		if (n < 500)
			return 0;
	}
}

/* Sets today's light on every open case whose light changed: the cases
 * whose red or yellow day has come (ranges of the two partial indexes on
 * those days) and whose light does not say so yet. A light only moves
 * forward with the days, and every write (a step, a registration, a
 * recomputation after a calendar change) sets the light of its own day:
 * so only the days since the last recorded pass (since, from the day
 * before it, to be safe across midnight) need looking at, not every case
 * that has been yellow for a week. A held light ('-infinity': a stopped
 * clock, yellow or red from the start) was set by the write that held it. */
static int refresh_lights(struct db *db, const char *today, const char *since, int *done)
{
	static char red_sql[512], yellow_sql[512];
	DB_STMT_BUILT(red, "monitor_lights_red", red_sql);
	DB_STMT_BUILT(yellow, "monitor_lights_yellow", yellow_sql);
	OPEN_SQL(red_sql, "UPDATE requests SET light = 'red' WHERE status IN (%s)"
		 " AND red_on <= $1::date AND red_on > $2::date"
		 " AND light IS DISTINCT FROM 'red'");
	OPEN_SQL(yellow_sql, "UPDATE requests SET light = 'yellow' WHERE status IN (%s)"
		 " AND yellow_on <= $1::date AND yellow_on > $2::date AND red_on > $1::date"
		 " AND light IS DISTINCT FROM 'yellow'");
	const char *p[] = { today, since };

	if (count_into(db, &red, 2, p, true, done))
		return -1;
	return count_into(db, &yellow, 2, p, true, done);
}

/* The day before the last recorded pass, or -infinity when there is none. */
static int lights_since(struct db *db, char since[16])
{
	DB_STMT(st, "monitor_last_pass",
		"SELECT coalesce((SELECT today - 1 FROM monitoring_runs"
		" ORDER BY started_at DESC, id DESC LIMIT 1), '-infinity')::text");
	PGresult *res = db_exec(db, &st, 0, NULL);

	if (!res)
		return -1;
	snprintf(since, 16, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* One e_monitoring finding per case and rule, the day after its limit and
 * never on it: an open case past the due date its light follows
 * (`overdue`: red_on is the day after it); an approval paused past the
 * duration it declared to the applicant (`pause_overrun`, Licensing Law
 * Art. 45); an approved licence not delivered within 10 working days of the
 * decision (`delivery_overdue`, Art. 44). The unique index on (request_id,
 * rule) makes a second one impossible, whoever runs. At most
 * MONITOR_BATCH of each rule a statement. */
static int case_findings(struct db *db, const char *today, const char *rectify_by, int *done)
{
	static char sql[4096];
	DB_STMT_BUILT(st, "monitor_case_findings", sql);
	/* An approval in its acceptance stage is the deemed acceptance's
	 * business (settle_due), not the overdue rule's. */
	OPEN_SQL(sql,
		"WITH c AS ((SELECT q.id, q.unit_id, q.number, 'overdue' AS rule,"
		"   '超期未办结' AS title,"
		"   '案件 ' || q.number || ' 已超过办理期限'"
		"   || CASE WHEN isfinite(q.red_on) THEN '（' || to_char(q.red_on - 1, 'YYYY-MM-DD')"
		"    || ' 届满）' ELSE '' END || '，仍未作出决定。电子监察于 ' || $1 || ' 发现。'"
		"   AS description"
		"  FROM requests q WHERE q.status IN (%s) AND q.red_on <= $1::date"
		"   AND NOT (q.status = 'submitted' AND q.clock_start IS NULL)"
		"   AND NOT EXISTS (SELECT 1 FROM findings x"
		"   WHERE x.request_id = q.id AND x.rule = 'overdue')"
		"  ORDER BY q.red_on, q.id LIMIT " MONITOR_BATCH_SQL ")"
		" UNION ALL (SELECT q.id, q.unit_id, q.number, 'pause_overrun', '中止期限超出告知时限',"
		"   '案件 ' || q.number || ' 仍处于中止计时状态（' || (q.pause->>'reason') || '），'"
		"   || '已超过书面告知申请人的 ' || (q.pause->>'days') || ' 个工作日（至 '"
		"   || to_char(q.pause_limit, 'YYYY-MM-DD') || '）（《中华人民共和国行政许可法》第四十五条）。'"
		"   || '电子监察于 ' || $1 || ' 发现。'"
		"  FROM requests q WHERE q.status = 'paused' AND q.kind = 'approval'"
		"   AND q.pause_limit < $1::date AND NOT EXISTS (SELECT 1 FROM findings x"
		"   WHERE x.request_id = q.id AND x.rule = 'pause_overrun')"
		"  ORDER BY q.pause_limit, q.id LIMIT " MONITOR_BATCH_SQL ")"
		" UNION ALL (SELECT q.id, q.unit_id, q.number, 'delivery_overdue', '许可证件逾期未送达',"
		"   '案件 ' || q.number || ' 的行政许可证件应于 ' || to_char(q.delivery_due, 'YYYY-MM-DD')"
		"   || ' 前颁发、送达（《中华人民共和国行政许可法》第四十四条），至今未送达。'"
		"   || '电子监察于 ' || $1 || ' 发现。'"
		"  FROM requests q WHERE q.delivery_due < $1::date AND q.delivery_due IS NOT NULL"
		"   AND q.delivered_at IS NULL AND NOT EXISTS (SELECT 1 FROM findings x"
		"   WHERE x.request_id = q.id AND x.rule = 'delivery_overdue')"
		"  ORDER BY q.delivery_due, q.id LIMIT " MONITOR_BATCH_SQL ")),"
		" f AS (INSERT INTO findings (source, rule, unit_id, request_id, category,"
		"  severity, title, description, rectify_by, created_by, created_role)"
		"  SELECT 'e_monitoring', c.rule, c.unit_id, c.id, 'overdue', 'red',"
		"   c.title || ' ' || c.number, c.description, $2::date, 'monitor', 'system' FROM c"
		"  ON CONFLICT (request_id, rule) WHERE rule IS NOT NULL DO NOTHING"
		"  RETURNING id, request_id, unit_id, rule),"
		" s AS (INSERT INTO finding_steps (finding_id, seq, action, actor, actor_role, to_status)"
		"  SELECT id, 1, 'create', 'monitor', 'system', 'open' FROM f)"
		" SELECT count(audit_append('monitor', 'system', 'finding.create', 'finding', f.id::text,"
		"  NULL, jsonb_build_object('source', 'e_monitoring', 'rule', f.rule,"
		"  'request_id', f.request_id, 'unit_id', f.unit_id))) FROM f");
	const char *p[] = { today, rectify_by };

	return count_into(db, &st, 2, p, false, done);
}

/* OGI Regulations Art. 49: every unit publishes its report of the year
 * before by 31 January. From 1 February, one finding on each unit that
 * existed in that year and has published none (the city's report, due by
 * 31 March, has no unit to hold to account here). */
static int report_findings(struct db *db, const char *today, const char *rectify_by, int *done)
{
	DB_STMT(st, "monitor_report_findings",
		"WITH y AS (SELECT extract(year FROM $1::date)::int - 1 AS year),"
		" c AS (SELECT u.id, y.year FROM units u, y"
		"  WHERE $1::date > make_date(y.year + 1, 1, 31)"
		"   AND u.created_at < make_date(y.year + 1, 1, 1)"
		"   AND NOT EXISTS (SELECT 1 FROM report_publications p"
		"    WHERE p.unit_id = u.id AND p.year = y.year)"
		"   AND NOT EXISTS (SELECT 1 FROM findings x WHERE x.unit_id = u.id"
		"    AND x.rule = 'report_unpublished' AND x.report_year = y.year)"
		"  ORDER BY u.id LIMIT " MONITOR_BATCH_SQL "),"
		" f AS (INSERT INTO findings (source, rule, unit_id, report_year, category, severity,"
		"  title, description, rectify_by, created_by, created_role)"
		"  SELECT 'e_monitoring', 'report_unpublished', c.id, c.year, 'disclosure_gap', 'red',"
		"   '未按期公布政府信息公开工作年度报告 ' || c.year,"
		"   '本单位未公布 ' || c.year || ' 年度政府信息公开工作年度报告，应于 '"
		"   || (c.year + 1) || '-01-31 前公布（《中华人民共和国政府信息公开条例》第四十九条）。'"
		"   || '电子监察于 ' || $1 || ' 发现。', $2::date, 'monitor', 'system' FROM c"
		"  ON CONFLICT (unit_id, rule, report_year) WHERE report_year IS NOT NULL DO NOTHING"
		"  RETURNING id, unit_id, report_year),"
		" s AS (INSERT INTO finding_steps (finding_id, seq, action, actor, actor_role, to_status)"
		"  SELECT id, 1, 'create', 'monitor', 'system', 'open' FROM f)"
		" SELECT count(audit_append('monitor', 'system', 'finding.create', 'finding', f.id::text,"
		"  NULL, jsonb_build_object('source', 'e_monitoring', 'rule', 'report_unpublished',"
		"  'report_year', f.report_year, 'unit_id', f.unit_id))) FROM f");
	const char *p[] = { today, rectify_by };

	return count_into(db, &st, 2, p, false, done);
}

/* OGI Regulations Art. 26: information to be published proactively is
 * published within 20 working days of being made or changed. An item
 * published later (items.published_late, judged at its publication,
 * sql/031) gets one yellow disclosure_gap finding on its unit, linked to
 * it (findings_item_rule_once). Publications of the last year only: an
 * older lateness is history, not something to rectify now. */
static int late_publication_findings(struct db *db, const char *today, const char *rectify_by,
				     int *done)
{
	DB_STMT(st, "monitor_late_publications",
		"WITH c AS (SELECT i.id, i.unit_id, i.title, i.made_on, i.publish_due,"
		"  i.published_at FROM items i"
		"  WHERE i.published_late AND i.published_at >= $1::date - 365"
		"   AND NOT EXISTS (SELECT 1 FROM findings x WHERE x.item_id = i.id"
		"    AND x.rule = 'publication_late')"
		"  ORDER BY i.published_at, i.id LIMIT " MONITOR_BATCH_SQL "),"
		" f AS (INSERT INTO findings (source, rule, unit_id, item_id, category, severity,"
		"  title, description, rectify_by, created_by, created_role)"
		"  SELECT 'e_monitoring', 'publication_late', c.unit_id, c.id, 'disclosure_gap', 'yellow',"
		"   left('政府信息未在20个工作日内公开：' || c.title, 300),"
		"   '该信息 ' || to_char(c.made_on, 'YYYY-MM-DD') || ' 形成，应于 '"
		"   || to_char(c.publish_due, 'YYYY-MM-DD') || ' 前公开，实际于 '"
		"   || to_char(c.published_at, 'YYYY-MM-DD') || ' 公开（《中华人民共和国政府信息公开条例》"
		"第二十六条）。电子监察于 ' || $1 || ' 发现。', $2::date, 'monitor', 'system' FROM c"
		"  ON CONFLICT (item_id, rule) WHERE rule = 'publication_late' DO NOTHING"
		"  RETURNING id, unit_id, item_id),"
		" s AS (INSERT INTO finding_steps (finding_id, seq, action, actor, actor_role, to_status)"
		"  SELECT id, 1, 'create', 'monitor', 'system', 'open' FROM f)"
		" SELECT count(audit_append('monitor', 'system', 'finding.create', 'finding', f.id::text,"
		"  NULL, jsonb_build_object('source', 'e_monitoring', 'rule', 'publication_late',"
		"  'item_id', f.item_id, 'unit_id', f.unit_id))) FROM f");
	const char *p[] = { today, rectify_by };

	return count_into(db, &st, 2, p, false, done);
}

/* A finding still open after its rectify_by turns red. */
static int escalate_findings(struct db *db, const char *today, int *done)
{
	DB_STMT(st, "monitor_escalate",
		"WITH e AS (UPDATE findings SET severity = 'red', escalated_at = now(),"
		"  version = version + 1, updated_at = now()"
		"  WHERE id IN (SELECT id FROM findings WHERE status = 'open' AND severity = 'yellow'"
		"   AND rectify_by < $1::date ORDER BY rectify_by, id LIMIT " MONITOR_BATCH_SQL
		"   FOR UPDATE SKIP LOCKED)"
		"  RETURNING id, rectify_by),"
		" s AS (INSERT INTO finding_steps (finding_id, seq, action, actor, actor_role,"
		"  from_status, to_status, comment)"
		"  SELECT e.id, (SELECT coalesce(max(seq), 0) + 1 FROM finding_steps x"
		"   WHERE x.finding_id = e.id), 'escalate', 'monitor', 'system', 'open', 'open',"
		"   'not rectified by ' || to_char(e.rectify_by, 'YYYY-MM-DD') FROM e)"
		" SELECT count(audit_append('monitor', 'system', 'finding.escalate', 'finding',"
		"  e.id::text, NULL, jsonb_build_object('severity', 'red', 'rectify_by',"
		"  to_char(e.rectify_by, 'YYYY-MM-DD')))) FROM e");
	const char *p[] = { today };

	return count_into(db, &st, 1, p, false, done);
}

/* Runs fn in its own transaction with a generous statement timeout (a
 * first pass over a million cases is long; later ones are quick). */
#define IN_TX(db, call)                                                        \
	(db_begin(db) || !db_exec_simple_ok(db, "SET LOCAL statement_timeout = '25s'; SET LOCAL plan_cache_mode = force_custom_plan") || \
	 (call) ? (db_rollback(db), -1) : db_commit(db))

static bool db_exec_simple_ok(struct db *db, const char *sql)
{
	PGresult *res = db_exec_simple(db, sql);

	PQclear(res);
	return res != NULL;
}

/* Runs a rule that changes at most MONITOR_BATCH rows a time, one
 * transaction a batch, until a batch falls short: a backlog of thousands
 * (the first pass after a long outage) never holds the audit chain for
 * long, and each audit entry is appended to a short transaction (the chain
 * head updated thousands of times in one transaction slows down with each
 * update). */
static int in_batches(struct db *db, int (*rule)(struct db *, const char *, const char *, int *),
		      const char *today, const char *arg, int *done)
{
	for (;;) {
		int n = 0;
		if (IN_TX(db, rule(db, today, arg, &n)))
			return -1;
		*done += n;
		if (n < MONITOR_BATCH)
			return 0;
	}
}

static int escalate_rule(struct db *db, const char *today, const char *unused, int *done)
{
	(void)unused;
	return escalate_findings(db, today, done);
}

int monitor_run_rules(struct db *db, int today, struct monitor_report *rep)
{
	char day[11], rectify[11], since[16];
	DB_STMT(lock, "monitor_lock",
		"SELECT pg_try_advisory_lock(hashtext('opengov.monitor'))");
	DB_STMT(unlock, "monitor_unlock",
		"SELECT pg_advisory_unlock(hashtext('opengov.monitor'))");

	memset(rep, 0, sizeof *rep);
	calendar_format(today, day);
	/* One pass at a time, whichever host starts it: the other does nothing. */
	PGresult *res = db_exec(db, &lock, 0, NULL);
	if (!res)
		return -1;
	bool mine = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!mine) {
		rep->skipped = true;
		return 0;
	}
	int rc = -1;
	const struct calendar *cal = workcal_get(db, -1);
	if (!cal)
		goto out;
	calendar_format(calendar_add_working_days(cal, today, MONITOR_RECTIFY_DAYS, NULL, 0), rectify);
	long long version = workcal_version();
	struct settle_ctx x = { rep, rectify };
	/* The law's own steps first: a deemed acceptance starts the decision
	 * clock the other rules then read. */
	if (settle_due(db, today, day, &x) ||
	    IN_TX(db, recompute_clocks(db, cal, version, today, &rep->clocks_recomputed)) ||
	    lights_since(db, since) ||
	    IN_TX(db, refresh_lights(db, day, since, &rep->lights_changed)) ||
	    in_batches(db, case_findings, day, rectify, &rep->findings_created) ||
	    in_batches(db, report_findings, day, rectify, &rep->findings_created) ||
	    in_batches(db, late_publication_findings, day, rectify, &rep->findings_created) ||
	    in_batches(db, escalate_rule, day, NULL, &rep->findings_escalated))
		goto out;
	rc = 0;
out:
	res = db_exec(db, &unlock, 0, NULL);
	PQclear(res);
	return rc;
}

char *monitor_report_json(const struct monitor_report *rep)
{
	json_t *j = json_pack("{s:b, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "skipped", rep->skipped,
			      "clocks_recomputed", rep->clocks_recomputed,
			      "lights_changed", rep->lights_changed,
			      "findings_created", rep->findings_created,
			      "findings_escalated", rep->findings_escalated,
			      "abandoned", rep->abandoned,
			      "deemed_accepted", rep->deemed_accepted,
			      "consultations_ended", rep->consultations_ended);
	char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(j);
	return text;
}

PGresult *monitor_record(struct db *db, const char *trigger, const char *actor,
			 const char *role, const char *request_id, long long started_us,
			 int today, const struct monitor_report *rep)
{
	DB_STMT(st, "monitor_record",
		"WITH m AS (INSERT INTO monitoring_runs (started_at, finished_at, actor, trigger,"
		"  today, result) VALUES (timestamptz 'epoch' + $1::bigint * interval '1 microsecond',"
		"  clock_timestamp(), $2, $3, $4::date, $5::jsonb) RETURNING *)"
		" SELECT m.id, rfc3339(m.started_at) AS started_at, rfc3339(m.finished_at) AS finished_at,"
		"  m.actor, m.trigger, to_char(m.today, 'YYYY-MM-DD') AS today, m.result,"
		"  audit_append($2, $6, 'monitoring.run', 'monitoring_run', m.id::text, $7, m.result)"
		"  AS _seq FROM m");
	char us[24], day[11];
	char *result = monitor_report_json(rep);

	snprintf(us, sizeof us, "%lld", started_us);
	calendar_format(today, day);
	const char *p[] = { us, actor, trigger, day, result, role, request_id };
	PGresult *res = db_exec(db, &st, 7, p);
	free(result);
	return res;
}

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int run_once(struct db *db)
{
	struct monitor_report rep = { 0 };
	char day[11];
	int today = workcal_today();
	long long started = now_us();

	calendar_format(today, day);
	if (!db_ensure(db) || monitor_run_rules(db, today, &rep)) {
		fprintf(stderr, "monitor: database failure: %s",
			db->conn ? PQerrorMessage(db->conn) : "not connected\n");
		return -1;
	}
	if (!rep.skipped) {
		PGresult *res = monitor_record(db, "command", "monitor", "system", NULL, started,
					       today, &rep);
		if (!res) {
			fprintf(stderr, "monitor: cannot record the pass: %s", PQerrorMessage(db->conn));
			return -1;
		}
		PQclear(res);
	}
	char *text = monitor_report_json(&rep);
	printf("{\"today\":\"%s\",%s\n", day, text + 1);
	free(text);
	fflush(stdout);
	return 0;
}

int monitor_main(const struct config *cfg, int every)
{
	struct db db = { 0 };
	int rc = 1;

	db.tz = cfg->tz;
	if (!cfg->database_url) {
		fprintf(stderr, "monitor: set OPENGOV_DATABASE_URL\n");
		return 1;
	}
	if (db_connect(&db, cfg->database_url) && every <= 0) {
		fprintf(stderr, "monitor: cannot connect to the database\n");
		goto out;
	}
	if (every <= 0) {
		rc = run_once(&db) ? 1 : 0;
		goto out;
	}
	/* A loop for make run and for hosts without a timer: a failed round
	 * (database away) is logged and the next one tried. */
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stopping) {
		run_once(&db);
		for (int i = 0; i < every && !stopping; i++)
			sleep(1);
	}
	rc = 0;
out:
	db_close(&db);
	return rc;
}
