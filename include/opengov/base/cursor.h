/* cursor.h - opaque keyset-pagination cursors: the sort key of the last row
 * of a page, as base64url(JSON array of strings). Pure. */
#ifndef OPENGOV_CURSOR_H
#define OPENGOV_CURSOR_H

#include <stddef.h>

#define CURSOR_MAX_PARTS 4
#define CURSOR_PART_MAX 128
#define CURSOR_MAX_LEN 512

/* Returns a malloc'd cursor for the n parts, or NULL. */
char *cursor_encode(const char *const *parts, int n);
/* Decodes exactly n parts into out. Returns 0, or -1 when the cursor is not
 * one of ours (bad base64, bad JSON, wrong count, too long). */
int cursor_decode(const char *cursor, int n, char out[][CURSOR_PART_MAX]);

#endif
