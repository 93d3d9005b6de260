/* tokencache.c - a direct-mapped table of verified tokens, keyed by the
 * SHA-256 of the whole token: a token differing in any byte (a tampered
 * signature included) has another key and is verified afresh. */
#include <string.h>
#include <openssl/evp.h>

#include "opengov/base/tokencache.h"

static void token_hash(const char *token, unsigned char out[32])
{
	unsigned int n = 0;

	EVP_Digest(token, strlen(token), out, &n, EVP_sha256(), NULL);
}

static struct tokencache_entry *slot_of(struct tokencache *tc, const unsigned char h[32])
{
	unsigned idx = ((unsigned)h[0] | (unsigned)h[1] << 8) % TOKENCACHE_SLOTS;

	return &tc->slot[idx];
}

bool tokencache_get(struct tokencache *tc, const char *token, time_t now,
		    struct claims *out)
{
	unsigned char h[32];

	token_hash(token, h);
	struct tokencache_entry *e = slot_of(tc, h);
	if (!e->used || memcmp(e->hash, h, sizeof h)) {
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
	unsigned char h[32];

	token_hash(token, h);
	struct tokencache_entry *e = slot_of(tc, h);
	memcpy(e->hash, h, sizeof h);
	e->claims = *c;
	e->used = true;
}
