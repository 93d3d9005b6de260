/* query.h - query parameters, each checked and answered 400 when wrong
 * (the …_or_reply helpers return -1 after answering). */
#ifndef OPENGOV_QUERY_H
#define OPENGOV_QUERY_H

#include <stdbool.h>

#include "opengov/server/request.h"

/* Query parameters (already percent-decoded and UTF-8 checked). */
const char *http_query(const struct req *r, const char *name);
/* limit: 1..100, default 20. Return 0, or -1 after answering 400. */
int query_limit_or_reply(struct req *r, int *limit);
int query_uuid_or_reply(struct req *r, const char *name, const char **out);
int query_enum_or_reply(struct req *r, const char *name,
			const char *const *choices, const char **out);
int query_time_or_reply(struct req *r, const char *name, const char **out);
/* true/false. */
int query_bool_or_reply(struct req *r, const char *name, const char **out);
/* Free text of min..max characters, no control characters; trimmed of
 * surrounding spaces into out (outlen bytes). *present = 0 when absent. */
int query_text_or_reply(struct req *r, const char *name, int min, int max,
			char *out, size_t outlen, bool *present);
/* An RFC 3339 date-time or a YYYY-MM-DD date (*is_date set). */
int query_when_or_reply(struct req *r, const char *name, const char **out,
			bool *is_date);
/* ?cursor= of a list kept in (time, id) order: microseconds since 1970 of
 * a time PostgreSQL holds, and a UUID. after[0][0] == 0 when absent.
 * Returns 0, or -1 after answering 400. */
int query_time_cursor_or_reply(struct req *r, char after[2][128]);
/* Answers 400 naming the query parameter and what is wrong with it. */
void query_invalid_reply(struct req *r, const char *name, const char *msg);
/* Decodes ?cursor= into n parts; parts[0][0] == 0 when absent. */
int query_cursor_or_reply(struct req *r, int n, char parts[][128]);

/* The words of a search (?q=): 1..100 characters, as query_text_or_reply,
 * that the bigram index can narrow (search_query_indexable), else 400. */
int query_search_or_reply(struct req *r, const char *name, char *out, size_t outlen,
			  bool *present);

#endif
