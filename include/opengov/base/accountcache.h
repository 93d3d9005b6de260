/* accountcache.h - what a worker last read of an account named by a token
 * (status, token version) and of the token's session (live or ended), so
 * that no request pays a query for it. Validity is a generation shared by
 * the workers of a server, as in rcache.h: a notification on
 * ACCOUNTCACHE_CHANNEL (sql/019; the listener's, or the writer's own
 * notice) or the listener's reconnect moves it, and every entry
 * older than the generation is read again. Pure apart from the mapping. */
#ifndef OPENGOV_ACCOUNTCACHE_H
#define OPENGOV_ACCOUNTCACHE_H

#include <stdbool.h>
#include <stdint.h>

#define ACCOUNTCACHE_CHANNEL "opengov_accounts"
#define ACCOUNTCACHE_SLOTS 512

struct account_state {
	bool exists;        /* false: the sub names no account (another issuer's) */
	bool active;        /* status = 'active' */
	long long version;  /* token_version */
	bool session_live;  /* the sid asked about names a live session of it */
};

/* The shared generation (an anonymous shared mapping): call in the master,
 * before the workers are forked. 0 or -1. */
int accountcache_init(void);
/* Everything cached is stale: the listener's callback (and on reconnect). */
void accountcache_invalidate(void);
/* The generation to pass to accountcache_put with what is read now. */
uint64_t accountcache_generation(void);
/* True, with *out, when (account, sid) was read in the current generation.
 * sid may be "" (a token without a session). */
bool accountcache_get(const char *account, const char *sid, struct account_state *out);
void accountcache_put(const char *account, const char *sid, uint64_t gen,
		      const struct account_state *st);

#endif
