/* eventhead.h - the change feed's head (the highest event number) as the
 * workers know it, so that a poll of GET /v1/events whose If-None-Match
 * names the current head is answered 304 without a query. Valid while a
 * generation shared by the workers of a server has not moved; it moves on
 * every NOTIFY opengov_events (sent when events commit, sql/024; heard by
 * the host's listener, and by the writing worker as its own notice,
 * sql/035) and on every reconnection of the listener. See docs/events.md
 * and docs/caches.md. */
#ifndef OPENGOV_EVENTHEAD_H
#define OPENGOV_EVENTHEAD_H

#include <stdbool.h>
#include <stdint.h>

/* What the events' commit trigger NOTIFYs (sql/024). */
#define EVENTHEAD_CHANNEL "opengov_events"

/* Maps the shared generation: in the master, before forking. Until it is
 * called nothing is known (every read queries). Returns 0 or -1. */
int eventhead_init(void);
/* Events committed (or a notification may have been missed): every worker
 * forgets the head it holds. */
void eventhead_invalidate(void);
/* The head this worker holds for the current generation: true and *head
 * set; else false and *gen the generation to pass to eventhead_put with
 * the head read from the database (0: keep nothing). */
bool eventhead_get(uint64_t *head, uint64_t *gen);
/* Keeps head, read from the database after eventhead_get returned gen:
 * if a notification came in between, it is stale from its birth and never
 * used. */
void eventhead_put(uint64_t gen, uint64_t head);

#endif
