/* sharedmem.c - see sharedmem.h. */
#include <sys/mman.h>

#include "opengov/base/sharedmem.h"

void *shared_area(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}
