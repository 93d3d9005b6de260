/* cursor.c - opaque keyset cursors. A cursor carries the sort key of the
 * last row returned, so the next page is a range scan on an index. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "opengov/base/base64url.h"
#include "opengov/base/cursor.h"

char *cursor_encode(const char *const *parts, int n)
{
	json_t *arr = json_array();
	char *text = NULL, *out = NULL;

	if (n < 1 || n > CURSOR_MAX_PARTS)
		goto done;
	for (int i = 0; i < n; i++) {
		if (!parts[i] || strlen(parts[i]) >= CURSOR_PART_MAX)
			goto done;
		json_array_append_new(arr, json_string(parts[i]));
	}
	text = json_dumps(arr, JSON_COMPACT);
	if (!text)
		goto done;
	size_t len = strlen(text);
	out = malloc(4 * ((len + 2) / 3) + 1);
	if (out)
		b64url_encode((const unsigned char *)text, len, out);
done:
	free(text);
	json_decref(arr);
	return out;
}

int cursor_decode(const char *cursor, int n, char out[][CURSOR_PART_MAX])
{
	size_t len = cursor ? strlen(cursor) : 0;
	unsigned char raw[CURSOR_MAX_LEN];
	json_t *arr = NULL;
	int rc = -1;

	if (len == 0 || len > CURSOR_MAX_LEN || n < 1 || n > CURSOR_MAX_PARTS)
		return -1;
	long dl = b64url_decode(cursor, len, raw);
	if (dl <= 0)
		return -1;
	arr = json_loadb((const char *)raw, (size_t)dl, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_array(arr) || json_array_size(arr) != (size_t)n)
		goto done;
	for (int i = 0; i < n; i++) {
		json_t *s = json_array_get(arr, (size_t)i);
		if (!json_is_string(s) || json_string_length(s) >= CURSOR_PART_MAX ||
		    strlen(json_string_value(s)) != json_string_length(s))
			goto done;
		memcpy(out[i], json_string_value(s), json_string_length(s) + 1);
	}
	rc = 0;
done:
	json_decref(arr);
	return rc;
}
