/* tokencache.c - a direct-mapped table of verified tokens, keyed by the
 * whole token: an entry holds the token's text and is found only by a
 * token equal to it in every byte (a tampered signature included, which is
 * then verified afresh). The slot comes from a cheap hash (FNV-1a): it
 * only spreads the tokens, equality decides. */
#include <stdint.h>
#include <string.h>

#include "opengov/base/tokencache.h"

static struct tokencache_entry *slot_of(struct tokencache *tc, const char *token, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)token[i]) * 1099511628211ULL;
	return &tc->slot[(h ^ h >> 32) % TOKENCACHE_SLOTS];
}

bool tokencache_get(struct tokencache *tc, const char *token, time_t now,
		    struct claims *out)
{
	size_t n = strlen(token);

	if (n > TOKENCACHE_TOKEN_MAX) {
		tc->misses++;
		return false;
	}
	struct tokencache_entry *e = slot_of(tc, token, n);
	if (!e->used || e->len != n || memcmp(e->token, token, n)) {
		tc->misses++;
		return false;
	}
	if ((long long)now >= e->claims.exp) {
		e->used = false; /* expired: verify (and refuse) it again */
		tc->misses++;
		return false;
	}
	*out = e->claims;
	tc->hits++;
	return true;
}

void tokencache_put(struct tokencache *tc, const char *token, const struct claims *c)
{
	size_t n = strlen(token);

	if (n > TOKENCACHE_TOKEN_MAX) /* not remembered: verified each time */
		return;
	struct tokencache_entry *e = slot_of(tc, token, n);
	memcpy(e->token, token, n);
	e->len = n;
	e->claims = *c;
	e->used = true;
}
