/* buf.h - a growable byte buffer for response headers and bodies.
 * Allocation failure aborts: a worker that cannot allocate cannot answer. */
#ifndef OPENGOV_BUF_H
#define OPENGOV_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* NUL-terminated view of the contents (never NULL). */
const char *buf_str(struct buf *b);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);

#endif
