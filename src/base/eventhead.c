/* eventhead.c - the feed's head held by each worker (eventhead.h).
 *
 * As for the rendered-read cache (rcache.c), validity is one generation
 * number shared by the workers of a server, in an anonymous shared mapping
 * made by the master before forking. The worker whose transaction wrote
 * events is told by its own statement's notice (sql/035) and moves the
 * generation when the transaction has ended, before it answers its client,
 * so that client's next poll, on any worker, reads the head again: a
 * client sees its own change. Changes made elsewhere (the monitor, another
 * host) move it when the host's listener reads their notification
 * (listener.c). The head itself is each worker's own: one
 * small query per worker after a change, none while nothing changes. */
#include <stddef.h>

#include "opengov/base/eventhead.h"
#include "opengov/base/sharedmem.h"

struct shared {
	uint64_t generation;
};

static struct shared *shm;
static uint64_t held_gen, held_head;

int eventhead_init(void)
{
	shm = shared_area(sizeof *shm);
	if (!shm)
		return -1;
	__atomic_store_n(&shm->generation, 1, __ATOMIC_RELEASE);
	return 0;
}

static uint64_t generation(void)
{
	return shm ? __atomic_load_n(&shm->generation, __ATOMIC_ACQUIRE) : 0;
}

void eventhead_invalidate(void)
{
	if (shm)
		__atomic_add_fetch(&shm->generation, 1, __ATOMIC_ACQ_REL);
}

bool eventhead_get(uint64_t *head, uint64_t *gen)
{
	uint64_t g = generation();

	if (g && held_gen == g) {
		*head = held_head;
		return true;
	}
	*gen = g;
	return false;
}

void eventhead_put(uint64_t gen, uint64_t head)
{
	if (!gen || gen != generation())
		return;
	held_gen = gen;
	held_head = head;
}
