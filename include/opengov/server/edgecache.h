/* edgecache.h - emptying nginx's cache of public reads (edgecache.c). */
#ifndef OPENGOV_SERVER_EDGECACHE_H
#define OPENGOV_SERVER_EDGECACHE_H

#include <stdbool.h>

#include "opengov/base/config.h"

/* dir: OPENGOV_EDGE_CACHE_DIR; NULL or empty: nginx caches nothing, and
 * the calls below do nothing. */
void edgecache_init(const char *dir);
/* Removes every cached answer now, and again a few seconds later. */
void edgecache_purge(void);
/* The later purge, when it is due; called from the worker's loop. */
void edgecache_tick(void);

/* `opengov edge-purge`: on the nginx host, when the workers run elsewhere. */
int edgecache_agent(const struct config *cfg);

#endif
