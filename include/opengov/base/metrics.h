/* metrics.h - counters shared by all workers (one anonymous shared mapping
 * made by the master), rendered as Prometheus text by /metrics. */
#ifndef OPENGOV_METRICS_H
#define OPENGOV_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include "opengov/base/buf.h"

#define METRICS_ROUTES 96
#define METRICS_BUCKETS 12

/* Counters for nroutes routes, known by their index in the route table. */
int metrics_init(size_t nroutes);
void metrics_request(int route_index, int status, double seconds);
void metrics_db_reconnect(void);
/* A request run again (db_request_retry), and one that ran out of runs. */
/* why: an enum db_retry (db.h) other than DB_RETRY_NONE. */
void metrics_db_retry(int why);
void metrics_db_retry_exhausted(void);
void metrics_worker_restart(void);
void metrics_cache(bool hit);
/* The read replica: its lag as just measured (-1: unreachable or unknown),
 * and one read it was offered, answered by it (true) or by the primary. */
void metrics_replica_lag(long lag_ms);
void metrics_replica_read(bool replica);
/* Names the route of index i for the labels (the route table's method and
 * pattern). */
typedef void (*metrics_route_fn)(size_t i, const char **method, const char **pattern);
void metrics_render(struct buf *out, metrics_route_fn name);

#endif
