/* health.c - liveness, readiness and Prometheus metrics.
 * operationIds getHealth, getReadiness, getMetrics. */
#include <string.h>

#include "opengov/api/handlers.h"
#include "opengov/db/cli.h"
#include "opengov/db/replica.h"
#include "opengov/base/metrics.h"
#include "opengov/domain/workcal.h"
#include "opengov/server/listener.h"
#include "opengov/server/router.h"

/* GET /healthz - 200: the worker answers (no database involved). */
void api_health_live(struct req *r)
{
	static const char ok[] = "{\"status\":\"ok\"}"; /* what json_dumps made of it */

	http_text(r, 200, "application/json", ok, sizeof ok - 1);
}

/* GET /readyz - 200 when the database answers and the schema is current;
 * 503 otherwise (the load balancer then sends traffic elsewhere). With a
 * read replica configured, its lag and whether reads may use it. */
void api_health_ready(struct req *r)
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
	json_t *body = json_pack("{s:s, s:I}", "status", "ready",
				 "schema_version", (json_int_t)have);
	/* The read replica, when one is configured: reported, never a reason
	 * to be unready (its reads fall back to the primary). */
	long lag;
	bool usable;
	if (replica_status(&lag, &usable))
		json_object_set_new(body, "replica",
				    lag >= 0 ? json_pack("{s:b, s:I}", "usable", usable,
							 "lag_ms", (json_int_t)lag)
					     : json_pack("{s:b, s:n}", "usable", 0, "lag_ms"));
	http_json(r, 200, body);
}

/* The calendar's coverage: a gauge per year of calendar_report_years and
 * the count of those missing. Nothing when c is NULL. */
static void render_calendar(struct buf *out, const struct calendar *c, int this_year)
{
	int first, last;

	if (!c)
		return;
	calendar_report_years(c, this_year, &first, &last);
	buf_puts(out, "# HELP opengov_calendar_year_complete Whether the year's official schedule of holidays and make-up working days is loaded (1) or not (0), from the first loaded year through next year.\n"
		      "# TYPE opengov_calendar_year_complete gauge\n");
	for (long long y = first; y <= last; y++)
		buf_printf(out, "opengov_calendar_year_complete{year=\"%lld\"} %d\n", y,
			   calendar_year_complete(c, (int)y));
	buf_printf(out, "# HELP opengov_calendar_missing_years Years from the first loaded year through next year without an official schedule: deadlines running into them count their holidays as working days.\n"
		        "# TYPE opengov_calendar_missing_years gauge\n"
		        "opengov_calendar_missing_years %zu\n",
		   calendar_missing_years(c, first, last, NULL, 0));
}

/* The route table's names of route i, for the metrics' labels. */
static void route_name(size_t i, const char **method, const char **pattern)
{
	if (i < routes_count) {
		*method = routes[i].method;
		*pattern = routes[i].pattern;
	}
}

/* GET /metrics - 200 Prometheus text; 403 unless from loopback (nginx
 * also refuses it to anyone else). With the calendar's coverage: a worker
 * that never loaded its calendar (the database away since it started)
 * leaves those gauges out. */
void api_health_metrics(struct req *r)
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
	long lag;
	bool usable;
	(void)replica_status(&lag, &usable); /* measured now if it is old */
	struct buf b = { 0 };
	metrics_render(&b, route_name);
	buf_printf(&b, "# HELP opengov_cache_listener_up Whether this host's listening session is connected and listening (docs/caches.md): while 0, the workers serve nothing from their caches.\n"
		       "# TYPE opengov_cache_listener_up gauge\n"
		       "opengov_cache_listener_up %d\n", listener_hearing() ? 1 : 0);
	render_calendar(&b, cal, calendar_year_of(workcal_today()));
	http_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", buf_str(&b), b.len);
	buf_free(&b);
}
