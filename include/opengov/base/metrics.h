/* metrics.h - counters shared by all workers (one anonymous shared mapping
 * made by the master), rendered as Prometheus text by /metrics. */
#ifndef OPENGOV_METRICS_H
#define OPENGOV_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include "opengov/base/buf.h"
#include "opengov/domain/calendar.h"
#include "opengov/db/db.h"

#define METRICS_ROUTES 96
#define METRICS_BUCKETS 12

int metrics_init(size_t nroutes);
void metrics_request(int route_index, int status, double seconds);
void metrics_db_reconnect(void);
/* A request run again (db_request_retry), and one that ran out of runs. */
void metrics_db_retry(enum db_retry why);
void metrics_db_retry_exhausted(void);
void metrics_worker_restart(void);
void metrics_cache(bool hit);
void metrics_render(struct buf *out);
/* The calendar's coverage: a gauge per year of calendar_report_years and
 * the count of those missing. Nothing when c is NULL. */
void metrics_render_calendar(struct buf *out, const struct calendar *c, int this_year);

#endif
