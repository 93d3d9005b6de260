/* rcache.c - a worker's cache of rendered catalogue reads, so that the
 * hottest GETs (a unit, a published item, a page of the public catalogue)
 * skip the database round trip.
 *
 * Validity is one generation number shared by the workers of a server (an
 * anonymous shared mapping made by the master before forking). Any change
 * to a cached table fires a NOTIFY (sql/011), and the triggers tell the
 * changing session too (sql/035):
 *  - the worker whose transaction made the change is told by a notice of
 *    its own statement, and bumps the generation once the transaction has
 *    ended, before it answers its client (db.c): whichever worker answers
 *    the client's next read has a different generation from its entries,
 *    and reads the database. A client reads its writes.
 *  - a change made elsewhere (another host, opengov seed, psql) moves the
 *    generation when the host's one listening process reads the
 *    notification (listener.c).
 * Nothing is served while that listener is not listening (notifications
 * could be missed), the generation moves when it reconnects, and an entry
 * lives at most RCACHE_TTL seconds.
 *
 * The table is direct-mapped by a hash of the key: a bounded memory
 * (RCACHE_SLOTS answers of at most RCACHE_BODY_MAX bytes) and no eviction
 * bookkeeping. An entry keeps the ETag, the header lines that belong to
 * the answer (a list's Link) and the body. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opengov/base/rcache.h"
#include "opengov/base/buf.h"
#include "opengov/base/sharedmem.h"

struct shared {
	uint64_t generation;
};

struct entry {
	uint64_t gen;
	time_t born;
	char key[RCACHE_KEY_MAX];
	char etag[RCACHE_ETAG_MAX];
	char *data; /* the headers, then the body */
	size_t hlen, len, cap;
};

static struct shared *shm;
static struct entry slots[RCACHE_SLOTS];

int rcache_init(void)
{
	shm = shared_area(sizeof *shm);
	if (!shm)
		return -1;
	__atomic_store_n(&shm->generation, 1, __ATOMIC_RELEASE);
	return 0;
}

uint64_t rcache_generation(void)
{
	return shm ? __atomic_load_n(&shm->generation, __ATOMIC_ACQUIRE) : 0;
}

void rcache_invalidate(void)
{
	if (shm)
		__atomic_add_fetch(&shm->generation, 1, __ATOMIC_ACQ_REL);
}

static time_t now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

static struct entry *slot_of(const char *key)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	return &slots[h % RCACHE_SLOTS];
}

bool rcache_get(const char *key, uint64_t gen, struct rcache_hit *out)
{
	struct entry *e = slot_of(key);

	if (!gen || e->gen != gen || strcmp(e->key, key) ||
	    now_seconds() - e->born >= RCACHE_TTL)
		return false;
	out->etag = e->etag;
	out->headers = e->data;
	out->headers_len = e->hlen;
	out->body = e->data + e->hlen;
	out->len = e->len;
	return true;
}

void rcache_put(const char *key, uint64_t gen, const char *etag, const char *headers,
		size_t headers_len, const char *body, size_t len)
{
	struct entry *e = slot_of(key);
	size_t need = headers_len + len + 1;

	if (!gen || headers_len + len > RCACHE_BODY_MAX || strlen(key) >= sizeof e->key ||
	    strlen(etag) >= sizeof e->etag)
		return;
	if (e->cap < need) {
		free(e->data);
		e->cap = need < 1024 ? 1024 : need;
		e->data = xmalloc(e->cap);
	}
	memcpy(e->data, headers, headers_len);
	memcpy(e->data + headers_len, body, len);
	e->data[headers_len + len] = '\0';
	e->hlen = headers_len;
	e->len = len;
	strcpy(e->key, key);
	strcpy(e->etag, etag);
	e->born = now_seconds();
	e->gen = gen;
}
