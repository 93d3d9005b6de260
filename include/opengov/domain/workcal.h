/* workcal.h - the working-day calendar of the running service: the
 * calendar_days and calendar_years tables held in memory by each process,
 * reloaded when their version (calendar_meta, bumped by triggers on every
 * change) moves, and the current day in the configured time zone. */
#ifndef OPENGOV_WORKCAL_H
#define OPENGOV_WORKCAL_H

#include <time.h>

#include "opengov/domain/calendar.h"
#include "opengov/db/db.h"

/* Makes local times those of the configured zone (TZ) for this process. */
void workcal_set_zone(const char *tz);

/* The calendar as of `version` (the calendar_meta version the caller read
 * with its data; -1 to ask the database). Reloads when it moved. NULL when
 * the database failed (db->lost / sqlstate set). */
const struct calendar *workcal_get(struct db *db, long long version);

/* The calendar_meta version of the calendar workcal_get last returned. */
long long workcal_version(void);
/* The calendar as last loaded, without asking the database (which may be
 * away); NULL when none was ever loaded. */
const struct calendar *workcal_cached(void);

/* The day (days since 1970-01-01) of t in the configured zone. */
int workcal_day_of(time_t t);
/* Today in the configured zone. */
int workcal_today(void);

#endif
