/* fuzz_cursor.c - cursor_decode (src/base/cursor.c), what ?cursor= reaches: any
 * string, for every part count. What it accepts must be NUL-terminated
 * parts shorter than CURSOR_PART_MAX, and must be what cursor_encode makes
 * of those parts. The first input byte picks the part count. */
#include "fuzz.h"
#include "opengov/base/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int n = data[0] % (CURSOR_MAX_PARTS + 2); /* 0..5: out of range too */
	char *s = fuzz_cstr(data + 1, size - 1);
	/* Exactly n slots (at least one for the out-of-range counts). */
	char (*out)[CURSOR_PART_MAX] = malloc((size_t)(n ? n : 1) * CURSOR_PART_MAX);

	if (cursor_decode(s, n, out) == 0) {
		FUZZ_CHECK(n >= 1 && n <= CURSOR_MAX_PARTS);
		FUZZ_CHECK(strlen(s) <= CURSOR_MAX_LEN);
		const char *parts[CURSOR_MAX_PARTS];
		for (int i = 0; i < n; i++) {
			FUZZ_CHECK(memchr(out[i], '\0', CURSOR_PART_MAX) != NULL);
			parts[i] = out[i];
		}
		/* Our own encoding of the same parts decodes to them too (its
		 * spelling may differ: JSON escapes, spaces). */
		char *again = cursor_encode(parts, n);
		FUZZ_CHECK(again != NULL);
		if (strlen(again) <= CURSOR_MAX_LEN) {
			char (*back)[CURSOR_PART_MAX] = malloc((size_t)n * CURSOR_PART_MAX);
			FUZZ_CHECK(cursor_decode(again, n, back) == 0);
			for (int i = 0; i < n; i++)
				FUZZ_CHECK(!strcmp(back[i], out[i]));
			free(back);
		}
		free(again);
	}
	free(out);
	free(s);
	return 0;
}
