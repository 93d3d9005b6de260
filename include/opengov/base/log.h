/* log.h - JSON lines on stderr: one access line per request, and events. */
#ifndef OPENGOV_LOG_H
#define OPENGOV_LOG_H

void log_event(const char *level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_info(...) log_event("info", __VA_ARGS__)
#define log_warn(...) log_event("warn", __VA_ARGS__)
#define log_error(...) log_event("error", __VA_ARGS__)

#endif
