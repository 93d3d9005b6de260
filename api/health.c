/* health.c - liveness, readiness and Prometheus metrics.
 * operationIds getHealth, getReadiness, getMetrics. */
#include <string.h>

#include "opengov/api/api.h"
#include "opengov/db/cli.h"
#include "opengov/base/metrics.h"
#include "opengov/domain/workcal.h"

/* GET /healthz - 200: the worker answers (no database involved). */
void health_live(struct req *r)
{
	http_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

/* GET /readyz - 200 when the database answers and the schema is current;
 * 503 otherwise (the load balancer then sends traffic elsewhere). */
void health_ready(struct req *r)
{
	DB_STMT(st, "ready",
		"SELECT coalesce(max(version), 0) AS v FROM schema_migrations");
	PGresult *res = db_exec(r->db, &st, 0, NULL);

	if (!res) {
		problem_reply(r, 503, "service-unavailable",
			      r->db->lost ? "The database is unreachable."
					  : "The schema has not been migrated.");
		return;
	}
	long long have = db_get_ll(res, 0, "v");
	PQclear(res);
	int want = migrate_latest_version();
	if (have < want) {
		problem_replyf(r, 503, "service-unavailable",
			       "The schema is at version %lld; this server needs %d: run opengov migrate.",
			       have, want);
		return;
	}
	http_json(r, 200, json_pack("{s:s, s:I}", "status", "ready",
				    "schema_version", (json_int_t)have));
}

/* GET /metrics - 200 Prometheus text; 403 unless from loopback (nginx
 * also refuses it to anyone else). With the calendar's coverage: a worker
 * that never loaded its calendar (the database away since it started)
 * leaves those gauges out. */
void health_metrics(struct req *r)
{
	const char *a = r->remote_addr;

	if (a && strcmp(a, "127.0.0.1") && strcmp(a, "::1")) {
		problem_reply(r, 403, "forbidden", "Metrics are served to loopback only.");
		return;
	}
	/* The calendar as the database has it now when the connection is up;
	 * otherwise as last loaded: metrics never wait for a reconnection. */
	const struct calendar *cal = NULL;
	if (r->db && r->db->conn && !r->db->lost && PQstatus(r->db->conn) == CONNECTION_OK)
		cal = workcal_get(r->db, -1);
	if (!cal)
		cal = workcal_cached();
	struct buf b = { 0 };
	metrics_render(&b);
	metrics_render_calendar(&b, cal, calendar_year_of(workcal_today()));
	http_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", buf_str(&b), b.len);
	buf_free(&b);
}
