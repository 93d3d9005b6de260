/* query.c - query parameters checked one by one: 400 naming the parameter
 * and what is wrong with it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opengov/base/cursor.h"
#include "opengov/server/query.h"
#include "opengov/server/reply.h"

const char *http_query(const struct req *r, const char *name)
{
	for (int i = 0; i < r->nquery; i++)
		if (!strcmp(r->qp[i].name, name))
			return r->qp[i].value;
	return NULL;
}

void query_invalid_reply(struct req *r, const char *name, const char *msg)
{
	struct verrs v = { 0 };
	char ptr[96];

	snprintf(ptr, sizeof ptr, "/query/%.80s", name);
	verrs_add(&v, ptr, "%s", msg);
	problem_reply_errors(r, 400, "bad-request", "A query parameter is invalid.", &v);
}

int query_limit_or_reply(struct req *r, int *limit)
{
	const char *v = http_query(r, "limit");
	char *end;

	*limit = 20;
	if (!v)
		return 0;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < 1 || n > 100) {
		query_invalid_reply(r, "limit", "must be an integer from 1 to 100");
		return -1;
	}
	*limit = (int)n;
	return 0;
}

int query_uuid_or_reply(struct req *r, const char *name, const char **out)
{
	const char *v = http_query(r, name);

	*out = NULL;
	if (!v)
		return 0;
	if (!uuid_valid(v)) {
		query_invalid_reply(r, name, "must be a UUID");
		return -1;
	}
	*out = v;
	return 0;
}

int query_enum_or_reply(struct req *r, const char *name,
			const char *const *choices, const char **out)
{
	const char *v = http_query(r, name);

	*out = NULL;
	if (!v)
		return 0;
	if (choice_index(choices, v) < 0) {
		char list[160] = "", ptr[96];
		for (int i = 0; choices[i]; i++) {
			if (i)
				strncat(list, ", ", sizeof list - strlen(list) - 1);
			strncat(list, choices[i], sizeof list - strlen(list) - 1);
		}
		struct verrs errs = { 0 };
		snprintf(ptr, sizeof ptr, "/query/%.80s", name);
		verrs_add(&errs, ptr, "must be one of: %s", list);
		problem_reply_errors(r, 400, "bad-request", "A query parameter is invalid.", &errs);
		return -1;
	}
	*out = v;
	return 0;
}

/* Rewrites the parameter's value as UTC with Z (PostgreSQL refuses offsets
 * beyond 15:59 that RFC 3339 allows), keeping the fraction of a second. */
static const char *normalise_time(struct req *r, const char *name, long long epoch)
{
	const char *v = http_query(r, name);
	const char *frac = strchr(v, '.');
	size_t flen = frac ? strspn(frac + 1, "0123456789") : 0;
	char buf[64];
	struct tm tm;
	time_t t = (time_t)epoch;

	gmtime_r(&t, &tm);
	/* Four digits of year: strftime's %Y writes the year 541 as "541". */
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%s%.*sZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, flen ? "." : "",
		 (int)flen, frac ? frac + 1 : "");
	for (int i = 0; i < r->nquery; i++)
		if (!strcmp(r->qp[i].name, name)) {
			free(r->qp[i].value);
			r->qp[i].value = xstrdup(buf);
			return r->qp[i].value;
		}
	return v;
}

/* Dates PostgreSQL and clients agree on: years 1..9999. */
#define EPOCH_MIN -62135596800LL /* 0001-01-01T00:00:00Z */
#define EPOCH_MAX 253402300799LL /* 9999-12-31T23:59:59Z */

int query_time_or_reply(struct req *r, const char *name, const char **out)
{
	const char *v = http_query(r, name);
	long long epoch;

	*out = NULL;
	if (!v)
		return 0;
	if (rfc3339_parse(v, &epoch) || epoch < EPOCH_MIN || epoch > EPOCH_MAX) {
		query_invalid_reply(r, name, "must be an RFC 3339 date-time, e.g. 2019-01-01T00:00:00Z");
		return -1;
	}
	*out = normalise_time(r, name, epoch);
	return 0;
}

int query_bool_or_reply(struct req *r, const char *name, const char **out)
{
	const char *v = http_query(r, name);

	*out = NULL;
	if (!v)
		return 0;
	if (strcmp(v, "true") && strcmp(v, "false")) {
		query_invalid_reply(r, name, "must be true or false");
		return -1;
	}
	*out = v;
	return 0;
}

int query_text_or_reply(struct req *r, const char *name, int min, int max,
			char *out, size_t outlen, bool *present)
{
	const char *v = http_query(r, name);

	*present = false;
	out[0] = '\0';
	if (!v)
		return 0;
	while (*v == ' ')
		v++;
	size_t n = strlen(v);
	while (n && v[n - 1] == ' ')
		n--;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
			query_invalid_reply(r, name, "must not contain control characters");
			return -1;
		}
	if (n >= outlen) {
		query_invalid_reply(r, name, "is too long");
		return -1;
	}
	memcpy(out, v, n);
	out[n] = '\0';
	size_t chars = utf8_length(out);
	if ((int)chars < min || (int)chars > max) {
		struct verrs errs = { 0 };
		char ptr[96];
		snprintf(ptr, sizeof ptr, "/query/%.80s", name);
		verrs_add(&errs, ptr, "must be %d to %d characters long", min, max);
		problem_reply_errors(r, 400, "bad-request", "A query parameter is invalid.", &errs);
		return -1;
	}
	*present = true;
	return 0;
}

int query_when_or_reply(struct req *r, const char *name, const char **out,
			bool *is_date)
{
	const char *v = http_query(r, name);
	long long epoch;
	int y, m, d;

	*out = NULL;
	*is_date = false;
	if (!v)
		return 0;
	if (!date_parse(v, &y, &m, &d)) {
		*is_date = true;
		*out = v;
		return 0;
	}
	if (rfc3339_parse(v, &epoch) || epoch < EPOCH_MIN || epoch > EPOCH_MAX) {
		query_invalid_reply(r, name, "must be a date (2019-01-31) or an RFC 3339 date-time");
		return -1;
	}
	*out = normalise_time(r, name, epoch);
	return 0;
}

int query_cursor_or_reply(struct req *r, int n, char parts[][128])
{
	const char *v = http_query(r, "cursor");

	parts[0][0] = '\0';
	if (!v)
		return 0;
	if (cursor_decode(v, n, parts)) {
		query_invalid_reply(r, "cursor", "is not a cursor this server issued");
		return -1;
	}
	return 0;
}

int query_time_cursor_or_reply(struct req *r, char after[2][128])
{
	char *end;

	if (query_cursor_or_reply(r, 2, after))
		return -1;
	if (!after[0][0])
		return 0;
	errno = 0;
	long long us = strtoll(after[0], &end, 10);
	/* Microseconds since 1970 of a time PostgreSQL holds (years 1..9999). */
	if (errno || *end || end == after[0] || us < -62135596800000000LL ||
	    us > 253402300799000000LL || !uuid_valid(after[1])) {
		query_invalid_reply(r, "cursor", "is not a cursor this server issued");
		return -1;
	}
	return 0;
}

int query_search_or_reply(struct req *r, const char *name, char *out, size_t outlen,
			  bool *present)
{
	if (query_text_or_reply(r, name, 1, 100, out, outlen, present))
		return -1;
	/* A query the bigram index cannot narrow would read every row. */
	if (*present && !search_query_indexable(out)) {
		query_invalid_reply(r, name, SEARCH_QUERY_RULE);
		return -1;
	}
	return 0;
}
