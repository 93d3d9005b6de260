/* listener.h - the host's one listening session.
 *
 * PostgreSQL wakes every session that LISTENs in a database on every
 * NOTIFY, whatever its channel. So one process per `opengov serve` listens
 * for the workers (the channels of sql/011, 019 and 024) and moves the
 * generations they share (rcache, accountcache, eventhead); a worker hears
 * its own changes from its own statements' notices (sql/035, db.h
 * own_changes_only). While the listener is not connected, changes cannot be
 * heard: the workers then serve nothing from those caches. See
 * docs/caches.md, "Who hears what". */
#ifndef OPENGOV_LISTENER_H
#define OPENGOV_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "opengov/db/db.h"

struct config;

/* The listener process's name (ps, /proc/PID/comm). */
#define LISTENER_COMM "opengov-listen"

/* The channels and what each moves: the listener's and each worker's. */
extern const struct db_listener listener_channels[];
extern const size_t listener_channels_count;

/* Maps the shared state: in the master, before forking. Until it is
 * called (command-line tools) the listener is never hearing. 0 or -1. */
int listener_init(void);
/* True while the host's listener is connected and listening: a change
 * made anywhere reaches the generations. */
bool listener_hearing(void);
/* The master, when the listener process has died: nothing is heard until
 * its successor has connected. */
void listener_deaf(void);
/* Forks the listener process (in the master); its pid, or -1. */
pid_t listener_spawn(const struct config *cfg);

#endif
