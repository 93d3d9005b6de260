/* workcal.c - the calendar_days and calendar_years tables in memory, one
 * copy per process, reloaded when calendar_meta.version moves; today in the
 * service's zone. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opengov/base/log.h"
#include "opengov/domain/workcal.h"

static struct calendar cal;
static long long cal_version = -1;

void workcal_set_zone(const char *tz)
{
	if (tz && *tz)
		setenv("TZ", tz, 1);
	tzset();
}

static int load(struct db *db)
{
	/* One statement, so the days, the years and the version are of one
	 * snapshot: a day row has a day, a year row a year. */
	DB_STMT(st, "workcal_load",
		"SELECT (SELECT version FROM calendar_meta),"
		" day - DATE '1970-01-01', working, NULL::int FROM calendar_days"
		" UNION ALL SELECT (SELECT version FROM calendar_meta), NULL, NULL, year"
		" FROM calendar_years");
	DB_STMT(ver, "workcal_version",
		"SELECT version, NULL, NULL, NULL FROM calendar_meta");
	PGresult *res = db_exec(db, &st, 0, NULL);

	if (!res)
		return -1;
	if (PQntuples(res) == 0) { /* no overrides: still learn the version */
		PQclear(res);
		if (!(res = db_exec(db, &ver, 0, NULL)))
			return -1;
	}
	size_t n = (size_t)PQntuples(res);
	struct cal_override *days = calloc(n ? n : 1, sizeof *days);
	int *years = calloc(n ? n : 1, sizeof *years);
	long long v = -1;
	size_t k = 0, ny = 0;
	if (!days || !years) {
		free(days);
		free(years);
		PQclear(res);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		v = strtoll(PQgetvalue(res, (int)i, 0), NULL, 10);
		if (!PQgetisnull(res, (int)i, 1)) {
			days[k].day = atoi(PQgetvalue(res, (int)i, 1));
			days[k].working = PQgetvalue(res, (int)i, 2)[0] == 't';
			k++;
		} else if (!PQgetisnull(res, (int)i, 3)) {
			years[ny++] = atoi(PQgetvalue(res, (int)i, 3));
		}
	}
	PQclear(res);
	struct calendar fresh;
	int rc = calendar_init(&fresh, days, k);
	if (!rc && (rc = calendar_set_years(&fresh, years, ny)))
		calendar_free(&fresh);
	free(days);
	free(years);
	if (rc)
		return -1;
	calendar_free(&cal);
	cal = fresh;
	cal_version = v;
	return 0;
}

const struct calendar *workcal_get(struct db *db, long long version)
{
	if (version < 0) {
		DB_STMT(st, "workcal_current",
			"SELECT version FROM calendar_meta");
		PGresult *res = db_exec(db, &st, 0, NULL);
		if (!res)
			return NULL;
		version = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
		PQclear(res);
	}
	if (version != cal_version && load(db)) {
		log_error("calendar: cannot load the working-day calendar");
		return NULL;
	}
	return &cal;
}

long long workcal_version(void)
{
	return cal_version;
}

const struct calendar *workcal_cached(void)
{
	return cal_version < 0 ? NULL : &cal;
}

int workcal_day_of(time_t t)
{
	struct tm tm;
	char s[16];
	int day = 0;

	localtime_r(&t, &tm);
	strftime(s, sizeof s, "%Y-%m-%d", &tm);
	calendar_parse(s, &day);
	return day;
}

int workcal_today(void)
{
	return workcal_day_of(time(NULL));
}
