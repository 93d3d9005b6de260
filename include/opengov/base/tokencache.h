/* tokencache.h - verified tokens remembered by a worker. RS256/ES256
 * verification with libjwt 1.10 parses the PEM key on every call (about
 * 0.5 ms), and even HS256 decodes two JSON objects and computes an HMAC
 * through OpenSSL's EVP lookups (a tenth of a worker's time on a list of
 * cases); a token seen before is looked up by its whole text instead, and
 * still refused once its exp has passed. Pure apart from the table the
 * caller owns. */
#ifndef OPENGOV_TOKENCACHE_H
#define OPENGOV_TOKENCACHE_H

#include <stdbool.h>
#include <time.h>

#include "opengov/base/auth.h"

#define TOKENCACHE_SLOTS 256

/* Longer tokens (ours are about 300 bytes) are not remembered. */
#define TOKENCACHE_TOKEN_MAX 1024

struct tokencache_entry {
	char token[TOKENCACHE_TOKEN_MAX];
	size_t len;
	bool used;
	struct claims claims;
};

struct tokencache {
	struct tokencache_entry slot[TOKENCACHE_SLOTS];
	unsigned long hits, misses;
};

/* True, with the claims, when token was verified before and its exp is
 * still in the future at now. */
bool tokencache_get(struct tokencache *tc, const char *token, time_t now,
		    struct claims *out);
/* Remembers a token that verified (direct-mapped: it may evict another). */
void tokencache_put(struct tokencache *tc, const char *token, const struct claims *c);

#endif
