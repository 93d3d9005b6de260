/* monitoring.c - electronic monitoring on demand, and the record of every
 * pass (the scheduled `opengov monitor` ones included).
 * operationIds createMonitoringRun, listMonitoringRuns, getMonitoringRun. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opengov/api/handlers.h"
#include "opengov/base/cursor.h"
#include "opengov/db/jsonw.h"
#include "opengov/domain/monitor.h"
#include "opengov/domain/workcal.h"

#define RUN_COLUMNS \
	"id, rfc3339(started_at) AS started_at, rfc3339(finished_at) AS finished_at, actor," \
	" trigger, to_char(today, 'YYYY-MM-DD') AS today, result," \
	" (extract(epoch FROM started_at) * 1000000)::bigint AS _sort_us"

/* POST /v1/monitoring/runs - createMonitoringRun (supervisor): 201, 401,
 * 403, 409 (another pass is running). Runs one pass now and answers what
 * it did. */
void api_monitoring_run(struct req *r)
{
	struct monitor_report rep;
	struct timespec ts;
	int today = workcal_today();

	clock_gettime(CLOCK_REALTIME, &ts);
	long long started = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (monitor_run_rules(r->db, today, &rep)) {
		db_error_reply(r);
		return;
	}
	if (rep.skipped) {
		problem_reply(r, 409, "conflict",
			      "Another monitoring pass is running; it does what this one would have.");
		return;
	}
	PGresult *res = monitor_record(r->db, "api", req_actor(r), req_role(r), r->request_id,
				       started, today, &rep);
	if (!res) {
		db_error_reply(r);
		return;
	}
	char loc[96];
	snprintf(loc, sizeof loc, "/v1/monitoring/runs/%s", db_get(res, 0, "id"));
	http_header(r, "Location", "%s", loc);
	http_header(r, "ETag", "\"1\""); /* a run is never changed */
	http_row(r, 201, res, 0);
	PQclear(res);
}

/* GET /v1/monitoring/runs/{id} - getMonitoringRun (supervisor, admin):
 * 200, 401, 403, 404. */
void api_monitoring_get(struct req *r)
{
	DB_STMT(st, "monitoring_runs_get",
		"SELECT " RUN_COLUMNS " FROM monitoring_runs WHERE id = $1");
	const char *id = r->path_params[0];

	if (!uuid_valid(id)) {
		problem_reply(r, 404, "not-found", "There is no such monitoring run.");
		return;
	}
	const char *p[] = { id };
	PGresult *res = db_exec_or_reply(r, &st, 1, p);
	if (!res)
		return;
	if (PQntuples(res) != 1)
		problem_reply(r, 404, "not-found", "There is no such monitoring run.");
	else if (!http_not_modified(r, "\"1\"")) /* a run is never changed */
		http_row(r, 200, res, 0);
	PQclear(res);
}

/* GET /v1/monitoring/runs - listMonitoringRuns (supervisor, admin): 200,
 * 400, 401, 403. Newest first. */
void api_monitoring_list(struct req *r)
{
	DB_STMT(first, "monitoring_runs_first",
		"SELECT " RUN_COLUMNS " FROM monitoring_runs"
		" ORDER BY monitoring_runs.started_at DESC, monitoring_runs.id DESC LIMIT $1");
	DB_STMT(next, "monitoring_runs_next",
		"SELECT " RUN_COLUMNS " FROM monitoring_runs"
		" WHERE (monitoring_runs.started_at, monitoring_runs.id)"
		"  < (timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3::uuid)"
		" ORDER BY monitoring_runs.started_at DESC, monitoring_runs.id DESC LIMIT $1");
	char after[2][CURSOR_PART_MAX], lim[16];
	int limit;

	if (query_limit_or_reply(r, &limit) || query_time_cursor_or_reply(r, after))
		return;
	snprintf(lim, sizeof lim, "%d", limit + 1);
	const char *p[] = { lim, after[0], after[1] };
	PGresult *res = after[0][0] ? db_exec_or_reply(r, &next, 3, p)
				    : db_exec_or_reply(r, &first, 1, p);
	if (!res)
		return;
	static const char *const keys[] = { "_sort_us", "id" };
	http_list_rows(r, res, limit, keys, 2);
	PQclear(res);
}
