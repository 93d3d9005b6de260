/* fuzz_json_depth.c - the JSON depth bound as the router applies it to a
 * body (src/server/router.c parse_json_body): utf8_valid, then json_text_depth
 * (src/base/validate.c) against JSON_MAX_DEPTH, then Jansson. Whatever passes
 * the bound and parses must really nest no deeper than json_text_depth
 * said, so the bound cannot be slipped past with brackets in strings,
 * escapes or odd bytes. */
#include <jansson.h>

#include "fuzz.h"
#include "opengov/base/validate.h"

static int tree_depth(const json_t *v)
{
	int max = 0;

	if (json_is_object(v)) {
		const char *k;
		json_t *m;
		json_object_foreach((json_t *)v, k, m) {
			int d = tree_depth(m);
			if (d > max)
				max = d;
		}
		return max + 1;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *m;
		json_array_foreach(v, i, m) {
			int d = tree_depth(m);
			if (d > max)
				max = d;
		}
		return max + 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size ? size : 1);

	memcpy(body, data, size);
	int depth = json_text_depth(body, size);
	FUZZ_CHECK(depth >= 0 && (size_t)depth <= size);
	if (utf8_valid(body, size) && depth <= JSON_MAX_DEPTH) {
		json_t *j = json_loadb(body, size, JSON_REJECT_DUPLICATES, NULL);
		if (j) {
			int real = tree_depth(j);
			FUZZ_CHECK(real == depth);
			json_decref(j);
		}
	}
	free(body);
	return 0;
}
