/* accountcache.c - a direct-mapped table of account and session states,
 * keyed by (account id, session id), valid for one shared generation.
 * Before the mapping exists (unit tests, `opengov token`) a process-local
 * generation stands in for it. */
#include <stdio.h>
#include <string.h>

#include "opengov/base/accountcache.h"
#include "opengov/base/sharedmem.h"

struct entry {
	uint64_t gen; /* 0: empty */
	char key[80];
	struct account_state st;
};

static uint64_t *shared_gen;
static uint64_t local_gen = 1;
static struct entry slots[ACCOUNTCACHE_SLOTS];

int accountcache_init(void)
{
	shared_gen = shared_area(sizeof *shared_gen);
	if (!shared_gen)
		return -1;
	__atomic_store_n(shared_gen, 1, __ATOMIC_RELEASE);
	return 0;
}

void accountcache_invalidate(void)
{
	if (shared_gen)
		__atomic_add_fetch(shared_gen, 1, __ATOMIC_ACQ_REL);
	else
		local_gen++;
}

uint64_t accountcache_generation(void)
{
	return shared_gen ? __atomic_load_n(shared_gen, __ATOMIC_ACQUIRE) : local_gen;
}

/* FNV-1a: the keys are UUIDs from tokens that verified, not chosen to collide. */
static struct entry *slot_of(const char *key)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	return &slots[h % ACCOUNTCACHE_SLOTS];
}

static bool key_make(char key[80], const char *account, const char *sid)
{
	int n = snprintf(key, 80, "%s/%s", account, sid ? sid : "");

	return n > 0 && n < 80;
}

bool accountcache_get(const char *account, const char *sid, struct account_state *out)
{
	char key[80];

	if (!key_make(key, account, sid))
		return false;
	struct entry *e = slot_of(key);
	if (!e->gen || e->gen != accountcache_generation() || strcmp(e->key, key))
		return false;
	*out = e->st;
	return true;
}

void accountcache_put(const char *account, const char *sid, uint64_t gen,
		      const struct account_state *st)
{
	char key[80];

	if (!key_make(key, account, sid))
		return;
	struct entry *e = slot_of(key);
	memcpy(e->key, key, sizeof key);
	e->st = *st;
	e->gen = gen;
}
