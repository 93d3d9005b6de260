/* fuzz_etag.c - If-None-Match and If-Match lists (src/server/conditional.c etag_listed
 * through http_not_modified and http_if_match_or_reply) against the ETags
 * the server makes. The first input byte picks our ETag; the rest is the
 * header. Properties: a list is taken to name our tag only when it holds
 * the tag (or "*"); a list that holds it, alone, weak, or after anything
 * else, always names it; the ETag header we send is our tag. */
#include "fuzz_req.h"

static const char *const etags[] = {
	"\"1\"", "\"7.20261203\"", "\"a3f1c2\"",
	"\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"",
};

static bool names(const char *header, const char *etag, bool if_match)
{
	struct fuzz_env e = { 0 };
	struct req r;
	bool yes;

	fuzz_env_add(&e, "REQUEST_ID", "fuzz", 4);
	fuzz_env_add(&e, if_match ? "HTTP_IF_MATCH" : "HTTP_IF_NONE_MATCH", header,
		     strlen(header));
	FUZZ_CHECK(fuzz_req_init(&r, &e) == 0);
	if (if_match) {
		yes = http_if_match_or_reply(&r, etag) == 0;
		FUZZ_CHECK(yes != r.replied);
		FUZZ_CHECK(yes || r.status == 412 || (r.status == 428 && !*header));
	} else {
		yes = http_not_modified(&r, etag);
		FUZZ_CHECK(yes == (r.status == 304));
		char line[128];
		snprintf(line, sizeof line, "ETag: %s\r\n", etag);
		FUZZ_CHECK(strstr(buf_str(&r.headers), line) != NULL);
	}
	req_free(&r);
	fuzz_env_free(&e);
	return yes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *etag = etags[data[0] % (sizeof etags / sizeof etags[0])];
	char *h = fuzz_cstr(data + 1, size - 1);
	size_t hl = strlen(h), el = strlen(etag);
	char *both = malloc(hl + el + 8);

	for (int if_match = 0; if_match <= 1; if_match++) {
		bool yes = names(h, etag, if_match);
		if (yes)
			FUZZ_CHECK(strchr(h, '*') || strstr(h, etag));
		if (!strchr(h, '*') && !strstr(h, etag + 1))
			FUZZ_CHECK(!yes);
		sprintf(both, "%s, %s", h, etag);
		FUZZ_CHECK(names(both, etag, if_match));
		sprintf(both, "%s,W/%s", h, etag);
		FUZZ_CHECK(names(both, etag, if_match));
		sprintf(both, "%s , %s ", etag, h);
		FUZZ_CHECK(names(both, etag, if_match));
	}
	free(both);
	free(h);
	return 0;
}
