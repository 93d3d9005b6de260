/* fuzz_router.c - router_match (src/server/router.c) over the real route table
 * with any method and path. The first input byte picks the method (or,
 * past the usual ones, takes the bytes up to the first space as one).
 * Properties: a match is the route of that method whose pattern, with the
 * captured parameters put back, is the path; parameters are one non-empty
 * segment under 64 bytes; a 405's Allow list fits its buffer and starts
 * with OPTIONS; no route with fewer parameters matched instead. */
#include "fuzz.h"
#include "opengov/server/router.h"

static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE",
				       "OPTIONS", "HEAD" };
#define NMETHODS (sizeof methods / sizeof methods[0])

/* pattern with {x} replaced by params in order, into out (size n). */
static void fill(const char *pat, char params[][64], char *out, size_t n)
{
	size_t o = 0;
	int k = 0;

	while (*pat && o + 1 < n) {
		if (*pat == '{') {
			size_t l = strlen(params[k]);
			FUZZ_CHECK(o + l < n);
			memcpy(out + o, params[k++], l);
			o += l;
			pat = strchr(pat, '}') + 1;
		} else {
			out[o++] = *pat++;
		}
	}
	out[o] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *in = fuzz_cstr(data + 1, size - 1), *path = in;
	const char *method;
	if (data[0] < NMETHODS) {
		method = methods[data[0]];
	} else {
		char *sp = strchr(in, ' ');
		method = in;
		path = sp ? (*sp = '\0', sp + 1) : in + strlen(in);
	}
	char (*params)[64] = malloc(PATH_PARAMS_MAX * 64);
	char *allow = malloc(128); /* as router_dispatch has it */
	size_t idx = (size_t)-1;
	int np = -1;

	enum match_result m = router_match(routes, routes_count, method, path, &idx, params,
					   &np, allow, 128);
	FUZZ_CHECK(memchr(allow, '\0', 128) != NULL);
	if (m == MATCH_OK) {
		FUZZ_CHECK(idx < routes_count);
		const struct route *rt = &routes[idx];
		FUZZ_CHECK(!strcmp(rt->method, method) ||
			   (!strcmp(method, "HEAD") && !strcmp(rt->method, "GET")));
		FUZZ_CHECK(np >= 0 && np <= PATH_PARAMS_MAX);
		for (int i = 0; i < np; i++) {
			size_t l = strnlen(params[i], 64);
			FUZZ_CHECK(l > 0 && l < 64 && !strchr(params[i], '/'));
		}
		size_t n = strlen(path) + 1;
		char *back = malloc(n + 64);
		fill(rt->pattern, params, back, n + 64);
		FUZZ_CHECK(!strcmp(back, path));
		free(back);
	} else if (m == MATCH_NO_METHOD) {
		FUZZ_CHECK(!strncmp(allow, "OPTIONS", 7));
	} else {
		FUZZ_CHECK(m == MATCH_NO_PATH);
	}
	/* OPTIONS finds a path whenever any method does. */
	size_t idx2;
	int np2;
	enum match_result o = router_match(routes, routes_count, "OPTIONS", path, &idx2, params,
					   &np2, allow, 128);
	FUZZ_CHECK((m == MATCH_NO_PATH) == (o == MATCH_NO_PATH));
	free(allow);
	free(params);
	free(in);
	return 0;
}
