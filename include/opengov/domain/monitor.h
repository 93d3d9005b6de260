/* monitor.h - electronic monitoring: the rules that run on the clock rather
 * than on a request. Each rule is idempotent and safe to run from two hosts
 * at once (rows are claimed with FOR UPDATE SKIP LOCKED, re-checked, and
 * changed in their own transaction with their audit entry). */
#ifndef OPENGOV_MONITOR_H
#define OPENGOV_MONITOR_H

#include "opengov/base/config.h"
#include "opengov/db/db.h"

#include <stdbool.h>

/* Working days a unit gets to rectify a finding electronic monitoring raised. */
#define MONITOR_RECTIFY_DAYS 10

struct monitor_report {
	bool skipped;            /* another pass was running: this one did nothing */
	int clocks_recomputed;   /* light dates computed again (calendar changed) */
	int lights_changed;      /* open cases whose light changed today */
	int findings_created;    /* e_monitoring findings on overdue cases */
	int findings_escalated;  /* findings past rectify_by turned red */
	int abandoned;           /* cases closed: the correction or the fee did not arrive in time */
	int deemed_accepted;     /* approval applications past their acceptance stage */
	int consultations_ended; /* third parties' 15 working days over: clocks resumed */
};

/* Runs every rule once as of today (a day number in the configured zone),
 * unless another pass holds the monitor's advisory lock (rep->skipped).
 * Each rule is its own transaction. Returns 0, or -1 when the database
 * failed (what was done stays done). */
int monitor_run_rules(struct db *db, int today, struct monitor_report *rep);

/* The report as a JSON object text (malloc'd). */
char *monitor_report_json(const struct monitor_report *rep);

/* Records a finished pass in monitoring_runs with its audit entry (the
 * caller's transaction, or its own statement). Returns the row: id,
 * started_at, finished_at, actor, trigger, today, result; NULL on failure. */
PGresult *monitor_record(struct db *db, const char *trigger, const char *actor,
			 const char *role, const char *request_id, long long started_us,
			 int today, const struct monitor_report *rep);

/* `opengov monitor [--every SECONDS]`: connects, runs the rules, prints the
 * report as a JSON line; with every > 0 again every that many seconds until
 * SIGTERM. */
int monitor_main(const struct config *cfg, int every);

#endif
