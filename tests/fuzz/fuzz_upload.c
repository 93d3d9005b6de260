/* fuzz_upload.c - a raw upload as a materials or evidence handler sees it
 * (src/server/upload.c): the Content-Type, the query (?filename=...) and the body,
 * separated in the input by NUL bytes. upload_check_or_reply decides; what
 * it accepts is served back by upload_send_file from a fake database
 * (db_exec_binary is wrapped), and the answer must be the same bytes with
 * a Content-Disposition that is one line and names the same file. */
#include "fuzz_req.h"
#include "opengov/server/upload.h"

PGresult *__wrap_db_exec_binary(struct db *db, struct db_stmt *stmt, int n,
				const char *const *params, const int *lengths,
				const int *formats, int result_format);

static const char *stored;
static size_t stored_len;

PGresult *__wrap_db_exec_binary(struct db *db, struct db_stmt *stmt, int n,
				const char *const *params, const int *lengths,
				const int *formats, int result_format)
{
	static PGresAttDesc content = { .name = "content", .format = 1 };
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);

	(void)db, (void)stmt, (void)n, (void)params, (void)lengths, (void)formats;
	(void)result_format;
	if (!res || !PQsetResultAttrs(res, 1, &content) ||
	    !PQsetvalue(res, 0, 0, (char *)stored, (int)stored_len))
		abort();
	return res;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Checks the Content-Disposition line in h names filename. */
static void check_disposition(const char *h, const char *filename)
{
	static const char pre[] = "Content-Disposition: attachment; filename=\"";
	const char *l = strstr(h, pre);

	FUZZ_CHECK(l != NULL);
	const char *eol = strstr(l, "\r\n");
	FUZZ_CHECK(eol != NULL);
	for (const char *p = l; p < eol; p++)
		FUZZ_CHECK(*p != '\r' && *p != '\n' && (unsigned char)*p >= 0x20 && *p != 0x7f);
	/* The ASCII stand-in: quoted, nothing that ends or escapes the quote. */
	const char *a = l + sizeof pre - 1;
	const char *q = strchr(a, '"');
	FUZZ_CHECK(q && q < eol);
	for (const char *p = a; p < q; p++)
		FUZZ_CHECK((unsigned char)*p < 0x80 && *p != '\\' && *p != '%');
	static const char star[] = "\"; filename*=UTF-8''";
	FUZZ_CHECK(!strncmp(q, star, sizeof star - 1));
	/* The encoded name decodes to the file name. */
	char *name = malloc(strlen(filename) + 1);
	size_t o = 0;
	for (const char *p = q + sizeof star - 1; p < eol; p++) {
		if (*p == '%') {
			FUZZ_CHECK(p + 2 < eol && hexval(p[1]) >= 0 && hexval(p[2]) >= 0);
			FUZZ_CHECK(o < strlen(filename));
			name[o++] = (char)(hexval(p[1]) << 4 | hexval(p[2]));
			p += 2;
		} else {
			FUZZ_CHECK(strchr("!#$&+-.^_`|~", *p) || (*p >= '0' && *p <= '9') ||
				   (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'));
			FUZZ_CHECK(o < strlen(filename));
			name[o++] = *p;
		}
	}
	name[o] = '\0';
	FUZZ_CHECK(!strcmp(name, filename));
	free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rest, *body;
	size_t ctlen, restlen, qlen, bodylen;
	struct fuzz_env e = { 0 };
	struct req r;
	char filename[1024];

	fuzz_split(data, size, 0, &rest, &restlen, &ctlen);
	fuzz_split(rest, restlen, 0, &body, &bodylen, &qlen);
	fuzz_env_add(&e, "REQUEST_METHOD", "POST", 4);
	fuzz_env_add(&e, "DOCUMENT_URI", "/v1/requests/x/materials", 24);
	fuzz_env_add(&e, "REQUEST_ID", "fuzz", 4);
	if (ctlen)
		fuzz_env_add(&e, "CONTENT_TYPE", (const char *)data, ctlen);
	fuzz_env_add(&e, "QUERY_STRING", (const char *)rest, qlen);
	if (fuzz_req_init(&r, &e) == 0) {
		/* The body as req_read_body leaves it: its bytes and a NUL. */
		r.body = malloc(bodylen + 1);
		memcpy(r.body, body, bodylen);
		r.body[bodylen] = '\0';
		r.body_len = bodylen;
		enum filetype t = upload_check_or_reply(&r, filename, sizeof filename);
		FUZZ_CHECK((t == FILETYPE_UNKNOWN) == r.replied);
		if (t != FILETYPE_UNKNOWN) {
			size_t n = strlen(filename);
			FUZZ_CHECK(n >= 1 && n < sizeof filename && !strpbrk(filename, "/\\"));
			FUZZ_CHECK(utf8_valid(filename, n) && utf8_length(filename) <= UPLOAD_FILENAME_MAX);
			FUZZ_CHECK(filetype_detect((const unsigned char *)r.body, r.body_len) == t);
			char sha[65];
			upload_sha256_hex(r.body, r.body_len, sha);
			FUZZ_CHECK(strlen(sha) == 64);
			stored = r.body;
			stored_len = r.body_len;
			upload_send_file(&r, "00000000-0000-4000-8000-000000000000", filename,
					 filetype_mime(t), sha);
			FUZZ_CHECK(r.replied && r.status == 200);
			FUZZ_CHECK(r.out.len == r.body_len && !memcmp(r.out.data, r.body, r.body_len));
			FUZZ_CHECK(!strcmp(r.out_type, filetype_mime(t)));
			check_disposition(buf_str(&r.headers), filename);
		}
	}
	req_free(&r);
	fuzz_env_free(&e);
	return 0;
}
