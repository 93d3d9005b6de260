/* jsonw.h - JSON written straight into a buffer.
 *
 * Which JSON writer to use:
 * - Jansson (json_t) to parse every request body and stored JSON, and to
 *   build documents that are assembled, changed or compared before they
 *   are written (audit details, problems, report changes, small answers
 *   whose cost does not show).
 * - jw_* (this file) where answers are written from database rows on
 *   every request (lists, entries, the access log line) and where a long
 *   document is walked once (the annual report): building Jansson trees
 *   only to dump them was a third of a worker's time on list pages.
 *   jw_string, jw_key and jw_value write pieces into a buffer; struct jw
 *   adds nesting (objects and arrays, commas and keys kept right) for
 *   documents written member by member.
 * Fixed text and numbers may be written with buf_printf beside them; a
 * string from outside always goes through jw_string or Jansson, never
 * through a format string. */
#ifndef OPENGOV_JSONW_H
#define OPENGOV_JSONW_H

#include <stdbool.h>
#include <libpq-fe.h>
#include "opengov/base/buf.h"

/* A string value, escaped; NULL writes null. s must be valid UTF-8. */
void jw_string(struct buf *b, const char *s);
/* "key": (with a comma before it unless first) */
void jw_key(struct buf *b, bool *first, const char *key);
/* Text from the database as JSON of its column type (bool, integer,
 * numeric, json/jsonb as is, anything else a string); NULL as null. */
void jw_value(struct buf *b, const PGresult *res, int row, int col);
/* The row as an object, skipping columns whose name starts with '_'. */
void jw_row(struct buf *b, const PGresult *res, int row);
/* The rows as an array of objects. */
void jw_rows(struct buf *b, const PGresult *res, int max);
/* An array of the strings of s: n of them, or fewer up to a NULL. */
void jw_strings(struct buf *b, const char *const *s, size_t n);

/* ---- nested documents ---------------------------------------------------
 * A document written member by member. key is a member's name inside an
 * object and NULL for an array's element or the document itself. */
#define JW_DEPTH 8

struct jw {
	struct buf *b;
	int depth;                /* open objects and arrays */
	bool first[JW_DEPTH + 1]; /* nothing written yet at this depth */
	char close[JW_DEPTH + 1]; /* what ends the container at this depth */
};

/* Starts a document in b. */
void jw_init(struct jw *w, struct buf *b);
/* Opens an object or an array. */
void jw_object(struct jw *w, const char *key);
void jw_array(struct jw *w, const char *key);
/* Closes the innermost object or array. */
void jw_end(struct jw *w);
/* The comma and "key": of a member whose value the caller writes. */
void jw_member(struct jw *w, const char *key);
/* A number, true, false or null written as is: text NULL writes null. */
void jw_raw(struct jw *w, const char *key, const char *text);
/* A string member or element (NULL writes null). */
void jw_str(struct jw *w, const char *key, const char *s);
/* An integer, a boolean. */
void jw_int(struct jw *w, const char *key, long long v);
void jw_bool(struct jw *w, const char *key, bool v);

#endif
