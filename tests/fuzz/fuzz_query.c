/* fuzz_query.c - the query string (src/server/request.c: parse_query through
 * req_init, the query_*_or_reply readers) and the Link header a list
 * answer builds from it (http_list_text). The input is QUERY_STRING as
 * nginx passes it. Properties: decoded names and values are UTF-8 without
 * NUL, each name once; the Link header is one well-formed line whose query,
 * parsed again, gives back the same parameters with the new cursor last. */
#include "fuzz_req.h"

static const char *const colours[] = { "red", "green", "blue", NULL };
#define NEXT "WyIyMDI2LTEyLTAzIiwiYSJd"

/* The Link header's query (between '?' and '>') in r's headers, or NULL. */
static char *link_query(const struct req *r)
{
	const char *h = buf_str((struct buf *)&r->headers);
	const char *l = strstr(h, "Link: <");

	if (!l)
		return NULL;
	const char *eol = strstr(l, "\r\n");
	FUZZ_CHECK(eol != NULL);
	/* One line: no CR or LF inside, and it ends as a Link must. */
	FUZZ_CHECK(memchr(l, '\n', (size_t)(eol - l)) == NULL);
	FUZZ_CHECK(memchr(l, '\r', (size_t)(eol - l)) == NULL);
	static const char tail[] = ">; rel=\"next\"";
	FUZZ_CHECK((size_t)(eol - l) > sizeof tail &&
		   !memcmp(eol - (sizeof tail - 1), tail, sizeof tail - 1));
	const char *q = memchr(l, '?', (size_t)(eol - l));
	FUZZ_CHECK(q != NULL);
	q++;
	size_t n = (size_t)(eol - (sizeof tail - 1) - q);
	char *out = malloc(n + 1);
	memcpy(out, q, n);
	out[n] = '\0';
	/* Only unreserved characters, '%', '&' and '=' in it. */
	for (const char *p = out; *p; p++)
		FUZZ_CHECK((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			   (*p >= '0' && *p <= '9') || strchr("-._~%&=", *p));
	return out;
}

static void read_all(struct req *r)
{
	const char *s;
	bool b;
	int limit;
	char text[256], parts[2][128], after[2][128];

	query_limit_or_reply(r, &limit);
	query_uuid_or_reply(r, "unit", &s);
	query_enum_or_reply(r, "colour", colours, &s);
	query_time_or_reply(r, "since", &s);
	if (s) {
		long long t;
		FUZZ_CHECK(rfc3339_parse(s, &t) == 0);
	}
	query_bool_or_reply(r, "open", &s);
	query_text_or_reply(r, "q", 1, 100, text, sizeof text, &b);
	if (b)
		FUZZ_CHECK(utf8_valid(text, strlen(text)) && utf8_length(text) <= 100);
	query_when_or_reply(r, "from", &s, &b);
	query_cursor_or_reply(r, 2, parts);
	query_time_cursor_or_reply(r, after);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_env e = { 0 }, e2 = { 0 };
	struct req r, r2;

	fuzz_env_add(&e, "REQUEST_METHOD", "GET", 3);
	fuzz_env_add(&e, "DOCUMENT_URI", "/v1/items", 9);
	fuzz_env_add(&e, "REQUEST_ID", "fuzz", 4);
	fuzz_env_add(&e, "QUERY_STRING", (const char *)data, size);
	if (fuzz_req_init(&r, &e) == 0) {
		FUZZ_CHECK(r.nquery >= 0 && r.nquery <= QUERY_PARAMS_MAX + 1);
		for (int i = 0; i < r.nquery; i++) {
			FUZZ_CHECK(utf8_valid(r.qp[i].name, strlen(r.qp[i].name)));
			FUZZ_CHECK(utf8_valid(r.qp[i].value, strlen(r.qp[i].value)));
			for (int j = 0; j < i; j++)
				FUZZ_CHECK(strcmp(r.qp[i].name, r.qp[j].name));
		}
		read_all(&r);
		struct buf body = { 0 };
		buf_puts(&body, "[]");
		http_list_text(&r, &body, NEXT);
		buf_free(&body);
		char *q = link_query(&r);
		FUZZ_CHECK(q != NULL);
		/* The link's query gives the same parameters, cursor last. */
		fuzz_env_add(&e2, "DOCUMENT_URI", "/v1/items", 9);
		fuzz_env_add(&e2, "REQUEST_ID", "fuzz", 4);
		fuzz_env_add(&e2, "QUERY_STRING", q, strlen(q));
		FUZZ_CHECK(fuzz_req_init(&r2, &e2) == 0);
		int k = 0;
		for (int i = 0; i < r.nquery; i++) {
			if (!strcmp(r.qp[i].name, "cursor"))
				continue;
			FUZZ_CHECK(k < r2.nquery);
			FUZZ_CHECK(!strcmp(r2.qp[k].name, r.qp[i].name));
			FUZZ_CHECK(!strcmp(r2.qp[k].value, r.qp[i].value));
			k++;
		}
		FUZZ_CHECK(k + 1 == r2.nquery);
		FUZZ_CHECK(!strcmp(r2.qp[k].name, "cursor") && !strcmp(r2.qp[k].value, NEXT));
		req_free(&r2);
		free(q);
	}
	req_free(&r);
	fuzz_env_free(&e);
	fuzz_env_free(&e2);
	return 0;
}
