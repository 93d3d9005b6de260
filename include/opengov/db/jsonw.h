/* jsonw.h - JSON written straight into a buffer. Answers are built from
 * database rows on every request; building Jansson trees only to dump them
 * was a third of a worker's time on list pages. */
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

#endif
