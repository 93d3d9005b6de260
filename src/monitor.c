/* monitor.c - electronic monitoring, one pass: light dates of open cases
 * computed again after a calendar change; today's light on every open
 * case; one e_monitoring finding per overdue case; findings open past their
 * rectify_by turned red; cases whose correction notice ran out abandoned. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <unistd.h>

#include "opengov/buf.h"
#include "opengov/calendar.h"
#include "opengov/caseclock.h"
#include "opengov/log.h"
#include "opengov/monitor.h"
#include "opengov/workcal.h"

#define BATCH 100

/* Rows a rule that writes audit entries changes in one transaction. */
#define MONITOR_BATCH 200
#define MONITOR_BATCH_SQL "200"

/* Closes one case whose notice ran out, if it still has: the row is
 * claimed without waiting (another monitor may hold it) and re-checked. */
static int abandon_one(struct db *db, const char *id, const char *today, int *done)
{
	static struct db_stmt claim = { "monitor_abandon",
		"WITH q AS (UPDATE requests SET status = 'abandoned', closed_at = now(),"
		"  yellow_on = NULL, red_on = NULL, light = NULL,"
		"  excluded = (SELECT coalesce(jsonb_agg(CASE WHEN e->'to' = 'null'::jsonb"
		"   THEN jsonb_set(e, '{to}', to_jsonb(to_char(correction_due, 'YYYY-MM-DD')))"
		"   ELSE e END ORDER BY n), '[]') FROM jsonb_array_elements(excluded)"
		"   WITH ORDINALITY AS x (e, n)),"
		"  version = version + 1, updated_at = now()"
		"  WHERE id = (SELECT id FROM requests WHERE id = $1 AND status = 'correction_required'"
		"   AND correction_due < $2::date FOR UPDATE SKIP LOCKED)"
		"  RETURNING id, unit_id, number, correction_due),"
		" a AS (INSERT INTO approvals (request_id, seq, unit_id, action, actor, actor_role,"
		"  from_status, to_status, reason, respond_by)"
		"  SELECT q.id, (SELECT coalesce(max(seq), 0) + 1 FROM approvals WHERE request_id = q.id),"
		"   q.unit_id, 'abandon', 'monitor', 'system', 'correction_required', 'abandoned',"
		"   'the correction did not arrive by its deadline', q.correction_due FROM q"
		"  RETURNING id)"
		" SELECT audit_append('monitor', 'system', 'request.abandon', 'request', q.id::text,"
		"  NULL, jsonb_build_object('number', q.number, 'from', 'correction_required',"
		"  'to', 'abandoned', 'respond_by', to_char(q.correction_due, 'YYYY-MM-DD'),"
		"  'approval_id', (SELECT id FROM a))) FROM q", 0 };
	const char *p[] = { id, today };

	if (db_begin(db))
		return -1;
	PGresult *res = db_exec(db, &claim, 2, p);
	if (!res) {
		db_rollback(db);
		return -1;
	}
	*done += PQntuples(res);
	PQclear(res);
	return db_commit(db);
}

static int abandon_overdue_corrections(struct db *db, const char *today, int *done)
{
	static struct db_stmt due = { "monitor_corrections_due",
		"SELECT id FROM requests WHERE status = 'correction_required'"
		" AND correction_due < $1::date AND id > $2::uuid ORDER BY id LIMIT 100", 0 };
	char after[37] = "00000000-0000-0000-0000-000000000000";

	for (;;) {
		const char *p[] = { today, after };
		PGresult *res = db_exec(db, &due, 2, p);
		if (!res)
			return -1;
		int n = PQntuples(res);
		for (int i = 0; i < n; i++) {
			snprintf(after, sizeof after, "%s", PQgetvalue(res, i, 0));
			if (abandon_one(db, after, today, done)) {
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
	static const char batch_sql[] =
		"SELECT id, version, kind, status, received_at::date - DATE '1970-01-01' AS received_day,"
		" clock_start - DATE '1970-01-01' AS clock_start, days_allowed, extensions, excluded,"
		" correction, correction_due - DATE '1970-01-01' AS correction_due, corrections,"
		" NULL AS decided_day, NULL AS closed_day"
		" FROM requests WHERE status IN ('submitted', 'accepted', 'correction_required', 'paused')"
		" AND clock_start IS NOT NULL"
		" AND (clock_calendar < $1::bigint OR clock_calendar IS NULL)"
		" AND id > $2::uuid ORDER BY id LIMIT 500";
	static struct db_stmt upd = { "monitor_clock_update",
		"UPDATE requests q SET yellow_on = u.y::date, red_on = u.r::date, light = u.l,"
		" clock_calendar = $5::bigint"
		" FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $6::text[]) AS u (id, v, y, r, l)"
		" WHERE q.id = u.id AND q.version = u.v", 0 };
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
			buf_printf(&ids, "%s%s", sep, PQgetvalue(res, i, 0));
			buf_printf(&vers, "%s%s", sep, PQgetvalue(res, i, 1));
			buf_printf(&ys, "%s%s", sep, y[0] ? y : "NULL");
			buf_printf(&rs, "%s%s", sep, r[0] ? r : "NULL");
			buf_printf(&ls, "%s%s", sep, l ? l : "NULL");
			snprintf(after, sizeof after, "%s", PQgetvalue(res, i, 0));
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
 * forward with the days; a step that moves it back sets it itself. */
static int refresh_lights(struct db *db, const char *today, int *done)
{
	static struct db_stmt red = { "monitor_lights_red",
		"UPDATE requests SET light = 'red'"
		" WHERE status IN ('submitted', 'accepted', 'correction_required', 'paused')"
		" AND red_on <= $1::date AND light IS DISTINCT FROM 'red'", 0 };
	static struct db_stmt yellow = { "monitor_lights_yellow",
		"UPDATE requests SET light = 'yellow'"
		" WHERE status IN ('submitted', 'accepted', 'correction_required', 'paused')"
		" AND yellow_on <= $1::date AND red_on > $1::date"
		" AND light IS DISTINCT FROM 'yellow'", 0 };
	const char *p[] = { today };
	PGresult *res = db_exec(db, &red, 1, p);

	if (!res)
		return -1;
	*done += atoi(PQcmdTuples(res));
	PQclear(res);
	if (!(res = db_exec(db, &yellow, 1, p)))
		return -1;
	*done += atoi(PQcmdTuples(res));
	PQclear(res);
	return 0;
}

/* One e_monitoring finding per overdue open case: the unique index on
 * (request_id, rule) makes a second one impossible, whoever runs. */
static int overdue_findings(struct db *db, const char *today, const char *rectify_by, int *done)
{
	static struct db_stmt st = { "monitor_overdue",
		"WITH f AS (INSERT INTO findings (source, rule, unit_id, request_id, category,"
		"  severity, title, description, rectify_by, created_by, created_role)"
		"  SELECT 'e_monitoring', 'overdue', q.unit_id, q.id, 'overdue', 'red',"
		"   '超期未办结 ' || q.number,"
		"   'Case ' || q.number || ' passed its statutory deadline without a decision'"
		"   || CASE WHEN isfinite(q.red_on) THEN ' (due ' || to_char(q.red_on - 1, 'YYYY-MM-DD')"
		"    || ')' ELSE '' END || '. Electronic monitoring found it on ' || $1 || '.',"
		"   $2::date, 'monitor', 'system'"
		"  FROM requests q WHERE q.status IN ('submitted', 'accepted', 'correction_required',"
		"   'paused') AND q.red_on <= $1::date AND NOT EXISTS (SELECT 1 FROM findings x"
		"   WHERE x.request_id = q.id AND x.rule = 'overdue')"
		"  ORDER BY q.red_on, q.id LIMIT " MONITOR_BATCH_SQL
		"  ON CONFLICT (request_id, rule) WHERE rule IS NOT NULL DO NOTHING"
		"  RETURNING id, request_id, unit_id),"
		" s AS (INSERT INTO finding_steps (finding_id, seq, action, actor, actor_role, to_status)"
		"  SELECT id, 1, 'create', 'monitor', 'system', 'open' FROM f)"
		" SELECT count(audit_append('monitor', 'system', 'finding.create', 'finding', f.id::text,"
		"  NULL, jsonb_build_object('source', 'e_monitoring', 'rule', 'overdue',"
		"  'request_id', f.request_id, 'unit_id', f.unit_id))) FROM f", 0 };
	const char *p[] = { today, rectify_by };
	PGresult *res = db_exec(db, &st, 2, p);

	if (!res)
		return -1;
	*done += atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* A finding still open after its rectify_by turns red. */
static int escalate_findings(struct db *db, const char *today, int *done)
{
	static struct db_stmt st = { "monitor_escalate",
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
		"  to_char(e.rectify_by, 'YYYY-MM-DD')))) FROM e", 0 };
	const char *p[] = { today };
	PGresult *res = db_exec(db, &st, 1, p);

	if (!res)
		return -1;
	*done += atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
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
	char day[11], rectify[11];
	static struct db_stmt lock = { "monitor_lock",
		"SELECT pg_try_advisory_lock(hashtext('opengov.monitor'))", 0 };
	static struct db_stmt unlock = { "monitor_unlock",
		"SELECT pg_advisory_unlock(hashtext('opengov.monitor'))", 0 };

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
	if (IN_TX(db, recompute_clocks(db, cal, version, today, &rep->clocks_recomputed)) ||
	    IN_TX(db, refresh_lights(db, day, &rep->lights_changed)) ||
	    in_batches(db, overdue_findings, day, rectify, &rep->findings_created) ||
	    in_batches(db, escalate_rule, day, NULL, &rep->findings_escalated) ||
	    abandon_overdue_corrections(db, day, &rep->abandoned))
		goto out;
	rc = 0;
out:
	res = db_exec(db, &unlock, 0, NULL);
	PQclear(res);
	return rc;
}

char *monitor_report_json(const struct monitor_report *rep)
{
	json_t *j = json_pack("{s:b, s:i, s:i, s:i, s:i, s:i}", "skipped", rep->skipped,
			      "clocks_recomputed", rep->clocks_recomputed,
			      "lights_changed", rep->lights_changed,
			      "findings_created", rep->findings_created,
			      "findings_escalated", rep->findings_escalated,
			      "abandoned", rep->abandoned);
	char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(j);
	return text;
}

PGresult *monitor_record(struct db *db, const char *trigger, const char *actor,
			 const char *role, const char *request_id, long long started_us,
			 int today, const struct monitor_report *rep)
{
	static struct db_stmt st = { "monitor_record",
		"WITH m AS (INSERT INTO monitoring_runs (started_at, finished_at, actor, trigger,"
		"  today, result) VALUES (timestamptz 'epoch' + $1::bigint * interval '1 microsecond',"
		"  clock_timestamp(), $2, $3, $4::date, $5::jsonb) RETURNING *)"
		" SELECT m.id, rfc3339(m.started_at) AS started_at, rfc3339(m.finished_at) AS finished_at,"
		"  m.actor, m.trigger, to_char(m.today, 'YYYY-MM-DD') AS today, m.result,"
		"  audit_append($2, $6, 'monitoring.run', 'monitoring_run', m.id::text, $7, m.result)"
		"  AS _seq FROM m", 0 };
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
	printf("{\"today\":\"%s\",\"skipped\":%s,\"clocks_recomputed\":%d,"
	       "\"lights_changed\":%d,\"findings_created\":%d,\"findings_escalated\":%d,"
	       "\"abandoned\":%d}\n", day, rep.skipped ? "true" : "false",
	       rep.clocks_recomputed, rep.lights_changed, rep.findings_created,
	       rep.findings_escalated, rep.abandoned);
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
