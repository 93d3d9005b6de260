/* conditional.h - conditional requests (ETag, If-None-Match 304,
 * If-Match 412/428) and the reads served from the worker's cache. */
#ifndef OPENGOV_CONDITIONAL_H
#define OPENGOV_CONDITIONAL_H

#include <stdbool.h>
#include <stdint.h>

#include "opengov/base/buf.h"
#include "opengov/server/request.h"

/* ETag helpers: true (and a 304 sent) when If-None-Match matches. */
bool http_not_modified(struct req *r, const char *etag);
/* Reads served from the worker's cache (rcache.h), for a representation
 * that is the same for every caller it is served to. http_cached_reply
 * answers (200 or 304 with the ETag, the kept headers) and returns true when
 * key is cached and current, unless the request asks for a fresh answer
 * (Cache-Control: no-cache); otherwise it sets *gen, to be passed with the
 * answer read from the database (0: do not keep it) to http_cache_reply
 * (which answers too), or to http_cache_keep once the answer is made
 * (keeping the headers added since headers_mark, r->headers.len before). */
bool http_cached_reply(struct req *r, const char *key, uint64_t *gen);
/* Whether the request asks for an answer read now (Cache-Control: no-cache
 * or max-age=0, Pragma: no-cache). */
bool http_wants_fresh(const struct req *r);
void http_cache_reply(struct req *r, const char *key, uint64_t gen, const char *etag,
		      const struct buf *body);
void http_cache_keep(struct req *r, const char *key, uint64_t gen, size_t headers_mark);
/* The cache key of a list page, "prefix?query"; false when it is too long
 * to be kept (the page is then read from the database). */
bool http_list_cache_key(const struct req *r, const char *prefix, char *key, size_t size);
/* PATCH precondition: 0 when If-Match equals etag; else answers 428/412. */
int http_if_match_or_reply(struct req *r, const char *etag);

#endif
