/* sharedmem.h - memory the processes of one server share: an anonymous
 * shared mapping that the master makes before it forks, so that every
 * worker (and the listener) sees the same bytes. Used for the caches'
 * generations, the listener's state and the metrics. */
#ifndef OPENGOV_SHAREDMEM_H
#define OPENGOV_SHAREDMEM_H

#include <stddef.h>

/* size bytes, zero-filled, shared with the children forked afterwards;
 * NULL when the system refuses the mapping. Never unmapped: it lives as
 * long as the server. */
void *shared_area(size_t size);

#endif
