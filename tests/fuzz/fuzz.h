/* fuzz.h - what the libFuzzer harnesses share: the entry point's prototype,
 * a NUL-terminated copy of the input, and a check that aborts (a finding)
 * when a property of the parser under test does not hold. */
#ifndef OPENGOV_FUZZ_H
#define OPENGOV_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                          \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, \
				__LINE__, #cond);                                  \
			abort();                                                   \
		}                                                                  \
	} while (0)

/* data as a malloc'd C string (an embedded NUL ends it early, as it would
 * in a header or a query string). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Splits data at the first byte sep: *a, *alen before it; the rest after.
 * Without sep, everything is a and the rest is empty. */
static inline void fuzz_split(const uint8_t *data, size_t size, uint8_t sep,
			      const uint8_t **rest, size_t *restlen, size_t *alen)
{
	const uint8_t *p = memchr(data, sep, size);

	*alen = p ? (size_t)(p - data) : size;
	*rest = p ? p + 1 : data + size;
	*restlen = p ? size - *alen - 1 : 0;
}

#endif
