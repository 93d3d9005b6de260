/* log.c - structured log lines on stderr, one JSON object each, so the
 * master's log file can be shipped to any log pipeline as it is. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "opengov/base/log.h"

void log_event(const char *level, const char *fmt, ...)
{
	char msg[1024];
	char ts[32];
	struct timespec now;
	struct tm tm;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);

	json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "ts", ts, "level", level,
			      "pid", (int)getpid(), "msg", msg);
	if (!o)
		return;
	char *line = json_dumps(o, JSON_COMPACT);
	if (line) {
		fprintf(stderr, "%s\n", line);
		free(line);
	}
	json_decref(o);
}
