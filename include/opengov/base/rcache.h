/* rcache.h - each worker's cache of rendered catalogue reads (a unit, a
 * published item, a page of either), valid while a generation shared by all the workers of
 * the server has not moved. See rcache.c for when it moves. */
#ifndef OPENGOV_RCACHE_H
#define OPENGOV_RCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RCACHE_SLOTS 512
#define RCACHE_KEY_MAX 256  /* longer keys (long query strings) are not kept */
#define RCACHE_ETAG_MAX 40
#define RCACHE_BODY_MAX 32768 /* larger answers (headers and body) are not kept */
#define RCACHE_TTL 60         /* seconds: a bound even if a change went unseen */
/* What the triggers of the cached tables NOTIFY (sql/011). */
#define RCACHE_CHANNEL "opengov_catalogue"

/* Maps the shared generation: in the master, before forking. Until it is
 * called (command-line tools) nothing is cached. Returns 0 or -1. */
int rcache_init(void);
/* The current generation; 0 when caching is off. */
uint64_t rcache_generation(void);
/* A cached table changed: every worker of this server drops what it holds. */
void rcache_invalidate(void);

struct rcache_hit {
	const char *etag;    /* "" for none */
	const char *headers; /* header lines ("Name: value\r\n"...) to send again */
	size_t headers_len;
	const char *body;
	size_t len;
};

/* The entry for key if it was stored under generation gen (the current
 * one) less than RCACHE_TTL seconds ago. */
bool rcache_get(const char *key, uint64_t gen, struct rcache_hit *out);
/* Keeps an answer rendered from rows read after rcache_generation()
 * returned gen: if a change came in between, the entry is stale from its
 * birth and never served. */
void rcache_put(const char *key, uint64_t gen, const char *etag, const char *headers,
		size_t headers_len, const char *body, size_t len);

#endif
