/* replica.c - reads that may be a little stale, from a streaming replica.
 *
 * A worker keeps a second connection, to OPENGOV_DATABASE_READ_URL (a libpq
 * URL, usually several hosts with target_session_attrs=prefer-standby), and
 * measures how far its server is behind at most every REPLICA_CHECK_SECS.
 * The router hands it to anonymous GETs of routes marked RT_REPLICA while
 * the lag is within OPENGOV_REPLICA_MAX_LAG_MS; anything else, and any
 * request while the replica is unreachable or behind, reads the primary.
 * While the primary itself cannot be reached (a failover: a replica cut
 * from its primary cannot tell its lag, which then grows with the time
 * since its last replayed transaction), those reads take the replica
 * whatever its lag: the public record as it last had it, rather than a
 * 503. Nothing could have been written meanwhile; with synchronous
 * replication the replica has every acknowledged write.
 * The replica connection LISTENs to nothing (a standby cannot): the
 * workers' caches stay fed and invalidated by the primary's alone
 * (src/server/conditional.c does not fill them from a replica). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opengov/db/replica.h"
#include "opengov/base/log.h"
#include "opengov/base/metrics.h"

/* The lag in milliseconds: 0 for a server that is not in recovery (the
 * read URL found a primary), or for a standby with a running WAL receiver
 * that has replayed all it received; otherwise the age of the last
 * transaction it replayed (too much on a quiet primary, never too little);
 * NULL when unknown (nothing replayed yet). */
#define REPLICA_LAG_SQL \
	"SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0" \
	" WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()" \
	"  AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE pid IS NOT NULL) THEN 0" \
	" ELSE greatest(0, extract(epoch FROM clock_timestamp()" \
	"  - pg_last_xact_replay_timestamp()) * 1000)::bigint END AS lag_ms"
/* (pg_stat_wal_receiver shows anyone its row's pid while a receiver runs.) */

static struct {
	const char *url;
	int max_lag_ms;
	struct db db;
	double checked;     /* when the lag was last measured (monotonic) */
	double retry_after; /* no connection attempt before this */
	long lag_ms;        /* -1: unknown */
} rep = { .lag_ms = -1 };

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void replica_init(const char *url, int max_lag_ms, const char *tz)
{
	rep.url = url && *url ? url : NULL;
	rep.max_lag_ms = max_lag_ms;
	rep.db.tz = tz;
	rep.db.slot = 1; /* its own prepared statements (db.h, DB_SLOTS) */
	rep.db.app_name = "opengov-replica";
	rep.db.url = rep.url;
	rep.db.lost = true; /* connected on first use */
	rep.lag_ms = -1;
}

bool replica_configured(void)
{
	return rep.url != NULL;
}

/* Measures the lag now: connects first when needed (not before
 * retry_after). Sets rep.lag_ms, -1 when it cannot be known. */
static void measure(double now)
{
	DB_STMT(st, "replica_lag", REPLICA_LAG_SQL);

	rep.checked = now;
	rep.lag_ms = -1;
	/* A connection found dead here (the replica restarted, or ended the
	 * session) is replaced at once, once; a replica that cannot be reached
	 * is left alone for REPLICA_RETRY_SECS. */
	for (int run = 0; run < 2; run++) {
		if (rep.db.lost || !rep.db.conn) {
			if (now < rep.retry_after)
				return;
			if (db_connect(&rep.db, rep.url))
				break;
		}
		db_request_begin(&rep.db);
		PGresult *res = db_exec(&rep.db, &st, 0, NULL);
		if (res) {
			const char *v = db_get(res, 0, "lag_ms");
			rep.lag_ms = v ? strtol(v, NULL, 10) : -1; /* NULL: nothing replayed yet */
			PQclear(res);
			return;
		}
		if (!rep.db.lost)
			return; /* an error of the query: the lag stays unknown */
	}
	log_warn("replica unreachable: reads go to the primary for %.0f s", REPLICA_RETRY_SECS);
	rep.retry_after = now + REPLICA_RETRY_SECS;
}

static void refresh(void)
{
	double now = mono_now();

	if (now - rep.checked >= REPLICA_CHECK_SECS || rep.db.lost) {
		measure(now);
		metrics_replica_lag(rep.lag_ms);
	}
}

struct db *replica_pick(bool any_lag)
{
	if (!rep.url)
		return NULL;
	refresh();
	if (rep.db.lost || !rep.db.conn ||
	    (!any_lag && (rep.lag_ms < 0 || rep.lag_ms > rep.max_lag_ms)))
		return NULL;
	db_request_begin(&rep.db);
	return &rep.db;
}

bool replica_status(long *lag_ms, bool *usable)
{
	if (!rep.url)
		return false;
	refresh();
	*lag_ms = rep.lag_ms;
	*usable = rep.lag_ms >= 0 && rep.lag_ms <= rep.max_lag_ms && !rep.db.lost;
	return true;
}
