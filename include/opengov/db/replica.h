/* replica.h - a worker's optional connection to a streaming replica, for
 * anonymous reads that may be a little stale (OPENGOV_DATABASE_READ_URL). */
#ifndef OPENGOV_REPLICA_H
#define OPENGOV_REPLICA_H

#include <stdbool.h>
#include "opengov/db/db.h"

/* How often a worker measures its replica's lag, at most (seconds): an
 * answer comes from a replica measured within max_lag_ms this long ago. */
#define REPLICA_CHECK_SECS 0.25
/* After a failed connection, how long the worker leaves the replica alone
 * (reads go to the primary meanwhile), so that a replica host that is gone
 * costs one connect_timeout per this interval, not one per request. */
#define REPLICA_RETRY_SECS 5.0

/* Once per worker. url NULL or empty: no replica, replica_pick is always
 * NULL. No connection is made until the first read wants one. */
void replica_init(const char *url, int max_lag_ms, const char *tz);
bool replica_configured(void);

/* The replica's connection when it is reachable and its lag, measured at
 * most REPLICA_CHECK_SECS ago, is within the bound (or any_lag: whatever
 * its lag, for when the primary cannot be reached); NULL otherwise (the
 * caller reads the primary). */
struct db *replica_pick(bool any_lag);

/* The lag as last measured (checking now when the measurement is older than
 * REPLICA_CHECK_SECS). Returns false when no replica is configured; lag_ms
 * is -1 when it is unreachable or its lag unknown. */
bool replica_status(long *lag_ms, bool *usable);

#endif
