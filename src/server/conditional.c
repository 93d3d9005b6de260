/* conditional.c - ETags (304 for If-None-Match, 412/428 for If-Match) and
 * the reads served from the worker's cache (rcache.c). */
#include <stdio.h>
#include <string.h>

#include "opengov/server/listener.h"
#include "opengov/base/metrics.h"
#include "opengov/base/rcache.h"
#include "opengov/server/conditional.h"
#include "opengov/server/reply.h"

/* True when the header list (a, "b", W/"c", *) names etag. */
static bool etag_listed(const char *list, const char *etag)
{
	const char *p = list;
	size_t elen = strlen(etag);

	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (!strncmp(p, "W/", 2))
			p += 2;
		size_t n = strcspn(p, ",");
		while (n && p[n - 1] == ' ')
			n--;
		if (n == elen && !strncmp(p, etag, n))
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

bool http_not_modified(struct req *r, const char *etag)
{
	http_header(r, "ETag", "%s", etag);
	if (r->if_none_match && etag_listed(r->if_none_match, etag)) {
		http_empty(r, 304);
		return true;
	}
	return false;
}

/* A request with Cache-Control: no-cache (or Pragma: no-cache) asks for an
 * answer read from the database now: it is not served from the cache (and
 * refreshes it). */
bool http_wants_fresh(const struct req *r)
{
	const char *cc = r->cache_control, *pragma = r->pragma;

	return (cc && (strcasestr(cc, "no-cache") || strcasestr(cc, "max-age=0"))) ||
	       (pragma && strcasestr(pragma, "no-cache"));
}

bool http_cached_reply(struct req *r, const char *key, uint64_t *gen)
{
	struct rcache_hit hit;

	/* While the host's listener is not listening, changes cannot be
	 * known: no cache (listener.h). */
	*gen = listener_hearing() ? rcache_generation() : 0;
	if (http_wants_fresh(r) || !rcache_get(key, *gen, &hit)) {
		metrics_cache(false);
		/* What a replica answers may be older than what the primary
		 * notified: never kept (generation 0 keeps nothing). */
		if (r->db != r->primary)
			*gen = 0;
		return false;
	}
	metrics_cache(true);
	/* A list page kept by http_cache_keep carries its ETag among its
	 * headers; a single object's is added here. */
	bool tagged = hit.headers_len && memmem(hit.headers, hit.headers_len, "ETag: ", 6);
	if (*hit.etag && r->if_none_match && etag_listed(r->if_none_match, hit.etag)) {
		http_header(r, "ETag", "%s", hit.etag);
		http_empty(r, 304);
		return true;
	}
	if (*hit.etag && !tagged)
		http_header(r, "ETag", "%s", hit.etag);
	buf_append(&r->headers, hit.headers, hit.headers_len);
	http_text(r, 200, "application/json", hit.body, hit.len);
	return true;
}

void http_cache_reply(struct req *r, const char *key, uint64_t gen, const char *etag,
		      const struct buf *body)
{
	rcache_put(key, gen, etag, "", 0, body->data ? body->data : "{}",
		   body->data ? body->len : 2);
	if (!http_not_modified(r, etag))
		http_json_text(r, 200, body);
}

bool http_list_cache_key(const struct req *r, const char *prefix, char *key, size_t size)
{
	int n = snprintf(key, size, "%s?%s", prefix, r->query ? r->query : "");

	return n > 0 && (size_t)n < size;
}

/* The ETag among the header lines from mark on ("" when none). */
static void kept_etag(const struct req *r, size_t mark, char *out, size_t size)
{
	const char *h = r->headers.data ? r->headers.data + mark : "";
	const char *e = !strncmp(h, "ETag: ", 6) ? h : strstr(h, "\r\nETag: ");

	out[0] = '\0';
	if (!e)
		return;
	e += e == h ? 6 : 8;
	size_t n = strcspn(e, "\r");
	if (n < size)
		snprintf(out, size, "%.*s", (int)n, e);
}

void http_cache_keep(struct req *r, const char *key, uint64_t gen, size_t headers_mark)
{
	char etag[RCACHE_ETAG_MAX];

	if (r->status != 200 || headers_mark > r->headers.len)
		return;
	kept_etag(r, headers_mark, etag, sizeof etag);
	rcache_put(key, gen, etag, r->headers.data ? r->headers.data + headers_mark : "",
		   r->headers.len - headers_mark, r->out.data ? r->out.data : "", r->out.len);
}

int http_if_match_or_reply(struct req *r, const char *etag)
{
	if (!r->if_match || !*r->if_match) {
		problem_reply(r, 428, "precondition-required",
			      "Send If-Match with the ETag of the version you are changing.");
		return -1;
	}
	/* Our ETags are strong, but nginx marks them weak (W/) when it gzips an
	 * answer: the same tag in its weak form names the same version. */
	if (!etag_listed(r->if_match, etag)) {
		/* The current ETag in the body: a client may show what changed
		 * (after a GET) and retry with it, without guessing. */
		problem_reply_member(r, 412, "precondition-failed",
				     "The resource changed since you read it: fetch it again and retry.",
				     "current_etag", etag);
		return -1;
	}
	return 0;
}
