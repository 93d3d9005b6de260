/* metrics.c - request counters and latency histograms in one shared anonymous
 * mapping made by the master before forking, so /metrics on any worker
 * reports the whole server. Updates are lock-free atomic adds. Routes are
 * counted by their index in the route table; the caller of metrics_render
 * names them. */
#include <stdio.h>
#include <string.h>

#include "opengov/base/metrics.h"
#include "opengov/base/sharedmem.h"

static const int status_codes[] = { 200, 201, 204, 304, 400, 401, 403, 404,
				    405, 409, 412, 413, 415, 422, 428, 429,
				    500, 503, 0 };
#define NSTATUS (sizeof status_codes / sizeof status_codes[0])

static const double bucket_le[METRICS_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10
};

struct shared {
	unsigned long long requests[METRICS_ROUTES][NSTATUS];
	unsigned long long buckets[METRICS_ROUTES][METRICS_BUCKETS];
	unsigned long long count[METRICS_ROUTES];
	unsigned long long sum_us[METRICS_ROUTES];
	unsigned long long db_reconnects;
	unsigned long long worker_restarts;
	unsigned long long cache[2]; /* misses, hits */
	unsigned long long db_retries[3]; /* by enum db_retry - 1 */
	unsigned long long db_retries_exhausted;
	/* The read replica (src/db/replica.c): reads it was offered, by where
	 * they went; its lag as last measured by any worker (-1: unknown),
	 * and whether one is configured at all (set by the first measurement). */
	unsigned long long replica_reads[2]; /* primary (fallback), replica */
	long long replica_lag_ms;
	int replica_seen;
};

/* The labels of opengov_db_retries_total, in enum db_retry order. */
static const char *const retry_reasons[] = { "connection", "deadlock", "serialization" };

static struct shared *shm;
static size_t routes_n;

int metrics_init(size_t nroutes)
{
	shm = shared_area(sizeof *shm);
	if (!shm)
		return -1;
	routes_n = nroutes + 1 < METRICS_ROUTES ? nroutes : METRICS_ROUTES - 1;
	return 0;
}

void metrics_replica_lag(long lag_ms)
{
	if (!shm)
		return;
	__atomic_store_n(&shm->replica_lag_ms, (long long)lag_ms, __ATOMIC_RELAXED);
	__atomic_store_n(&shm->replica_seen, 1, __ATOMIC_RELAXED);
}

void metrics_replica_read(bool replica)
{
	if (shm)
		__atomic_fetch_add(&shm->replica_reads[replica ? 1 : 0], 1, __ATOMIC_RELAXED);
}

static size_t route_slot(int route_index)
{
	/* The last slot counts requests that matched no route. */
	return route_index < 0 || (size_t)route_index >= routes_n ? routes_n
								  : (size_t)route_index;
}

void metrics_request(int route_index, int status, double seconds)
{
	if (!shm)
		return;
	size_t r = route_slot(route_index), s = 0;
	while (status_codes[s] && status_codes[s] != status)
		s++;
	__atomic_fetch_add(&shm->requests[r][s], 1, __ATOMIC_RELAXED);
	for (int b = 0; b < METRICS_BUCKETS; b++)
		if (seconds <= bucket_le[b]) {
			__atomic_fetch_add(&shm->buckets[r][b], 1, __ATOMIC_RELAXED);
			break;
		}
	__atomic_fetch_add(&shm->count[r], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&shm->sum_us[r], (unsigned long long)(seconds * 1e6),
			   __ATOMIC_RELAXED);
}

void metrics_db_reconnect(void)
{
	if (shm)
		__atomic_fetch_add(&shm->db_reconnects, 1, __ATOMIC_RELAXED);
}

void metrics_db_retry(int why)
{
	size_t i = (size_t)why - 1;

	if (shm && why > 0 && i < sizeof retry_reasons / sizeof retry_reasons[0])
		__atomic_fetch_add(&shm->db_retries[i], 1, __ATOMIC_RELAXED);
}

void metrics_db_retry_exhausted(void)
{
	if (shm)
		__atomic_fetch_add(&shm->db_retries_exhausted, 1, __ATOMIC_RELAXED);
}

void metrics_cache(bool hit)
{
	if (shm)
		__atomic_fetch_add(&shm->cache[hit], 1, __ATOMIC_RELAXED);
}

void metrics_worker_restart(void)
{
	if (shm)
		__atomic_fetch_add(&shm->worker_restarts, 1, __ATOMIC_RELAXED);
}

static void route_label(metrics_route_fn name, size_t r, char *out, size_t len)
{
	const char *method = NULL, *pattern = NULL;

	if (r < routes_n)
		name(r, &method, &pattern);
	if (!method || !pattern)
		snprintf(out, len, "method=\"\",route=\"unmatched\"");
	else
		snprintf(out, len, "method=\"%s\",route=\"%s\"", method, pattern);
}

/* A counter with one label of two values. */
static void counter_by(struct buf *out, const char *name, const char *help, const char *label,
		       const char *v1, const unsigned long long *n1, const char *v2,
		       const unsigned long long *n2)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s{%s=\"%s\"} %llu\n%s{%s=\"%s\"} %llu\n",
		   name, help, name, name, label, v1, __atomic_load_n(n1, __ATOMIC_RELAXED),
		   name, label, v2, __atomic_load_n(n2, __ATOMIC_RELAXED));
}

void metrics_render(struct buf *out, metrics_route_fn name)
{
	char label[160];

	if (!shm)
		return;
	buf_puts(out, "# HELP opengov_http_requests_total Requests answered, by route and status.\n"
		      "# TYPE opengov_http_requests_total counter\n");
	for (size_t r = 0; r <= routes_n; r++) {
		route_label(name, r, label, sizeof label);
		for (size_t s = 0; s < NSTATUS; s++) {
			unsigned long long v = __atomic_load_n(&shm->requests[r][s], __ATOMIC_RELAXED);
			if (!v)
				continue;
			if (status_codes[s])
				buf_printf(out, "opengov_http_requests_total{%s,status=\"%d\"} %llu\n",
					   label, status_codes[s], v);
			else
				buf_printf(out, "opengov_http_requests_total{%s,status=\"other\"} %llu\n",
					   label, v);
		}
	}
	buf_puts(out, "# HELP opengov_http_request_duration_seconds Time from request to answer in the worker.\n"
		      "# TYPE opengov_http_request_duration_seconds histogram\n");
	for (size_t r = 0; r <= routes_n; r++) {
		unsigned long long count = __atomic_load_n(&shm->count[r], __ATOMIC_RELAXED);
		if (!count)
			continue;
		route_label(name, r, label, sizeof label);
		unsigned long long cum = 0;
		for (int b = 0; b < METRICS_BUCKETS; b++) {
			cum += __atomic_load_n(&shm->buckets[r][b], __ATOMIC_RELAXED);
			buf_printf(out, "opengov_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n",
				   label, bucket_le[b], cum);
		}
		buf_printf(out, "opengov_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n",
			   label, count);
		buf_printf(out, "opengov_http_request_duration_seconds_sum{%s} %.6f\n", label,
			   (double)__atomic_load_n(&shm->sum_us[r], __ATOMIC_RELAXED) / 1e6);
		buf_printf(out, "opengov_http_request_duration_seconds_count{%s} %llu\n",
			   label, count);
	}
	buf_printf(out, "# HELP opengov_db_reconnects_total Database connections re-established by workers.\n"
		        "# TYPE opengov_db_reconnects_total counter\n"
		        "opengov_db_reconnects_total %llu\n",
		   __atomic_load_n(&shm->db_reconnects, __ATOMIC_RELAXED));
	buf_puts(out, "# HELP opengov_db_retries_total Requests run again from the start: the connection was gone before anything landed, or PostgreSQL aborted the transaction (deadlock 40P01, serialization failure 40001).\n"
		      "# TYPE opengov_db_retries_total counter\n");
	for (size_t i = 0; i < sizeof retry_reasons / sizeof retry_reasons[0]; i++)
		buf_printf(out, "opengov_db_retries_total{reason=\"%s\"} %llu\n", retry_reasons[i],
			   __atomic_load_n(&shm->db_retries[i], __ATOMIC_RELAXED));
	buf_printf(out, "# HELP opengov_db_retries_exhausted_total Requests answered 503 after their last run failed the same way.\n"
		        "# TYPE opengov_db_retries_exhausted_total counter\n"
		        "opengov_db_retries_exhausted_total %llu\n",
		   __atomic_load_n(&shm->db_retries_exhausted, __ATOMIC_RELAXED));
	buf_printf(out, "# HELP opengov_worker_restarts_total Workers the master replaced after they died.\n"
		        "# TYPE opengov_worker_restarts_total counter\n"
		        "opengov_worker_restarts_total %llu\n",
		   __atomic_load_n(&shm->worker_restarts, __ATOMIC_RELAXED));
	counter_by(out, "opengov_cache_lookups_total",
		   "Reads of units and of the public catalogue (one, or a page), by whether the worker's cache answered.",
		   "result", "hit", &shm->cache[1], "miss", &shm->cache[0]);
	if (!__atomic_load_n(&shm->replica_seen, __ATOMIC_RELAXED))
		return; /* no read replica configured (or none measured yet) */
	long long lag = __atomic_load_n(&shm->replica_lag_ms, __ATOMIC_RELAXED);
	buf_printf(out, "# HELP opengov_db_replica_up Whether the read replica answered its last lag measurement.\n"
		        "# TYPE opengov_db_replica_up gauge\n"
		        "opengov_db_replica_up %d\n", lag >= 0);
	if (lag >= 0)
		buf_printf(out, "# HELP opengov_db_replica_lag_seconds How far the read replica was behind the primary at its last measurement.\n"
			        "# TYPE opengov_db_replica_lag_seconds gauge\n"
			        "opengov_db_replica_lag_seconds %.3f\n", (double)lag / 1000.0);
	counter_by(out, "opengov_db_replica_reads_total",
		   "Anonymous reads that may use the replica, by the server that answered: the replica, or the primary when the replica was unreachable or behind by more than OPENGOV_REPLICA_MAX_LAG_MS.",
		   "served_by", "replica", &shm->replica_reads[1], "primary", &shm->replica_reads[0]);
}
