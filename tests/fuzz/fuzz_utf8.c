/* fuzz_utf8.c - utf8_valid and utf8_length (src/base/validate.c) against an
 * independent decoder written from the Unicode Standard's table of
 * well-formed byte sequences (Table 3-7): they must agree on every input,
 * and utf8_valid must not read past len. */
#include <stdbool.h>

#include "fuzz.h"
#include "opengov/base/validate.h"

/* Table 3-7: the length of the well-formed sequence at s (at most n bytes),
 * or 0 when there is none. NUL is refused like utf8_valid does. */
static size_t seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (c == 0)
		return 0;
	if (c <= 0x7f)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	size_t i = 0, chars = 0;
	bool ok = true;

	memcpy(s, data, size);
	while (i < size) {
		size_t k = seq_len((const unsigned char *)s + i, size - i);
		if (!k) {
			ok = false;
			break;
		}
		i += k;
		chars++;
	}
	FUZZ_CHECK(utf8_valid(s, size) == ok);
	if (ok) {
		char *z = fuzz_cstr(data, size);
		FUZZ_CHECK(utf8_length(z) == chars);
		free(z);
	}
	free(s);
	return 0;
}
