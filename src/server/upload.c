/* upload.c - files handed in as raw bodies (request materials, finding
 * evidence, appeal documents, disclosure log files): what they really
 * are, their hash, keeping them and serving them back. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "opengov/base/auth.h"
#include "opengov/server/upload.h"
#include "opengov/base/msg.h"

/* The type a file name's extension claims, FILETYPE_UNKNOWN for none. */
static enum filetype extension_type(const char *filename)
{
	const char *dot = strrchr(filename, '.');

	if (!dot)
		return FILETYPE_UNKNOWN;
	dot++;
	if (!strcasecmp(dot, "pdf"))
		return FILETYPE_PDF;
	if (!strcasecmp(dot, "jpg") || !strcasecmp(dot, "jpeg"))
		return FILETYPE_JPEG;
	if (!strcasecmp(dot, "png"))
		return FILETYPE_PNG;
	return FILETYPE_UNKNOWN;
}

static const char *extension_hint(enum filetype t)
{
	return t == FILETYPE_PDF ? ".pdf" : t == FILETYPE_JPEG ? ".jpg or .jpeg" : ".png";
}

/* The declared Content-Type without parameters, lower-cased, into out;
 * "" when none was sent. */
static void declared_type(const char *ct, char *out, size_t len)
{
	size_t n = ct ? strcspn(ct, ";") : 0;

	while (n && ct[n - 1] == ' ')
		n--;
	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)ct[i]);
	out[n] = '\0';
}

void upload_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
		out[0] = '\0';
		return;
	}
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void invalid_reply(struct req *r, const char *pointer, const char *detail,
			  const char *msg)
{
	struct verrs v = { 0 };

	verrs_add(&v, pointer, "%s", msg);
	problem_reply_errors(r, 422, "validation", detail, &v);
}

const char *upload_filename_problem(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	while (*p) {
		unsigned cp = *p;
		size_t n = 1;
		if (cp >= 0xf0 && p[1] && p[2] && p[3]) {
			cp = (cp & 0x07u) << 18 | (p[1] & 0x3fu) << 12 | (p[2] & 0x3fu) << 6 |
			     (p[3] & 0x3fu);
			n = 4;
		} else if (cp >= 0xe0 && p[1] && p[2]) {
			cp = (cp & 0x0fu) << 12 | (p[1] & 0x3fu) << 6 | (p[2] & 0x3fu);
			n = 3;
		} else if (cp >= 0xc0 && p[1]) {
			cp = (cp & 0x1fu) << 6 | (p[1] & 0x3fu);
			n = 2;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return N_("must not contain control characters");
		if (cp == 0x200e || cp == 0x200f || cp == 0x061c ||
		    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
			return N_("must not contain bidirectional control characters"
			       " (U+200E, U+200F, U+061C, U+202A to U+202E, U+2066 to U+2069)");
		p += n;
	}
	return NULL;
}

enum filetype upload_check_or_reply(struct req *r, char *filename, size_t namelen)
{
	bool has_name;
	char declared[64];
	const char *raw = http_query(r, "filename");
	const char *why = raw ? upload_filename_problem(raw) : NULL;

	if (why) {
		invalid_reply(r, "/query/filename", "The file name holds invisible characters.",
			      why);
		return FILETYPE_UNKNOWN;
	}
	if (query_text_or_reply(r, "filename", 1, UPLOAD_FILENAME_MAX, filename, namelen,
				&has_name))
		return FILETYPE_UNKNOWN;
	if (!has_name) {
		query_invalid_reply(r, "filename", "is required: the file's name, e.g. id-card.pdf");
		return FILETYPE_UNKNOWN;
	}
	if (strpbrk(filename, "/\\")) {
		query_invalid_reply(r, "filename", "must be a file name, not a path");
		return FILETYPE_UNKNOWN;
	}
	if (r->body_len == 0) {
		invalid_reply(r, "", "The upload is empty.",
			      "is empty: send the file's bytes as the body");
		return FILETYPE_UNKNOWN;
	}
	enum filetype t = filetype_detect((const unsigned char *)r->body, r->body_len);
	if (t == FILETYPE_UNKNOWN) {
		problem_reply(r, 415, "unsupported-media-type",
			      "The file is not a well-formed PDF, JPEG or PNG file.");
		return FILETYPE_UNKNOWN;
	}
	declared_type(r->content_type, declared, sizeof declared);
	if (*declared && strcmp(declared, "application/octet-stream") &&
	    strcmp(declared, filetype_mime(t))) {
		problem_replyf(r, 415, "unsupported-media-type",
			       "The file is %s but was sent as %s.", filetype_mime(t), declared);
		return FILETYPE_UNKNOWN;
	}
	if (extension_type(filename) != t) {
		struct verrs v = { 0 };
		verrs_add(&v, "/query/filename", "does not match the content, which is %s: name it %s",
			  filetype_mime(t), extension_hint(t));
		problem_reply_errors(r, 422, "validation", "The file name does not fit the file.", &v);
		return FILETYPE_UNKNOWN;
	}
	return t;
}

/* RFC 5987 attr-char: what filename*= carries unencoded. */
static bool attr_char(unsigned char c)
{
	return isalnum(c) || strchr("!#$&+-.^_`|~", c);
}

/* Content-Disposition: attachment with the name twice (RFC 6266): an ASCII
 * stand-in for old clients (every other character '_'), and the UTF-8 name
 * percent-encoded. Written straight into the headers: the encoded name of
 * 255 characters outgrows http_header's line, and holds no CR or LF. */
static void content_disposition(struct req *r, const char *name)
{
	struct buf *h = &r->headers;

	buf_puts(h, "Content-Disposition: attachment; filename=\"");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p >= 0x80) {
			if ((*p & 0xc0) != 0x80) /* one '_' per character */
				buf_puts(h, "_");
		} else if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\' || *p == '%') {
			buf_puts(h, "_");
		} else {
			buf_append(h, p, 1);
		}
	}
	buf_puts(h, "\"; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (attr_char(*p))
			buf_append(h, p, 1);
		else
			buf_printf(h, "%%%02X", *p);
	}
	buf_puts(h, "\r\n");
}

/* The stored type as a string that outlives the result (r->out_type). */
static const char *static_mime(const char *stored)
{
	static const enum filetype types[] = { FILETYPE_PDF, FILETYPE_JPEG, FILETYPE_PNG };

	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (!strcmp(stored, filetype_mime(types[i])))
			return filetype_mime(types[i]);
	return "application/octet-stream";
}

void upload_send_file(struct req *r, const char *file_id, const char *filename,
		      const char *content_type, const char *sha256)
{
	/* Binary result: the bytes as they are, not hex text twice their size. */
	DB_STMT(bytes, "upload_file_bytes",
		"SELECT content FROM files WHERE id = $1");
	char etag[72];

	snprintf(etag, sizeof etag, "\"%s\"", sha256);
	http_header(r, "Cache-Control", "private");
	if (http_not_modified(r, etag))
		return;
	const char *p[] = { file_id };
	PGresult *res = db_exec_binary(r->db, &bytes, 1, p, NULL, NULL, 1);
	if (!res) {
		db_error_reply(r);
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		problem_reply(r, 404, "not-found", "There is no such file.");
		return;
	}
	content_disposition(r, filename);
	http_text(r, 200, static_mime(content_type), PQgetvalue(res, 0, 0),
		  (size_t)PQgetlength(res, 0, 0));
	PQclear(res);
}

int upload_take_or_reply(struct req *r, struct upload *u)
{
	u->type = upload_check_or_reply(r, u->filename, sizeof u->filename);
	if (u->type == FILETYPE_UNKNOWN)
		return -1;
	upload_sha256_hex(r->body, r->body_len, u->sha256);
	if (!*u->sha256) {
		problem_reply(r, 500, "internal", "The server failed to hash the file.");
		return -1;
	}
	snprintf(u->size, sizeof u->size, "%zu", r->body_len);
	return 0;
}

#define UPLOAD_PARAMS_MAX 12

PGresult *upload_store_or_reply(struct req *r, struct db_stmt *ins, const struct upload *u,
				int n, const char *const *more)
{
	const char *p[UPLOAD_PARAMS_MAX] = { filetype_mime(u->type), u->size, u->sha256, r->body };
	int lengths[UPLOAD_PARAMS_MAX] = { [3] = (int)r->body_len };
	int formats[UPLOAD_PARAMS_MAX] = { [3] = 1 };

	if (n > UPLOAD_PARAMS_MAX - 4) {
		problem_reply(r, 500, "internal", "The file could not be stored.");
		return NULL;
	}
	for (int i = 0; i < n; i++)
		p[4 + i] = more[i];
	PGresult *res = db_exec_binary(r->db, ins, 4 + n, p, lengths, formats, 0);
	if (!res)
		db_error_reply(r);
	return res;
}

void upload_created_reply(struct req *r, const PGresult *res, const char *loc,
			  const char *etag)
{
	http_header(r, "Location", "%s", loc);
	http_header(r, "ETag", "%s", etag);
	http_row(r, 201, res, 0);
}

void upload_serve(struct req *r, struct db_stmt *st, int n, const char *const *p,
		  bool (*visible)(struct req *r, const PGresult *res), const char *detail)
{
	for (int i = 0; i < n; i++) {
		if (!uuid_valid(p[i])) {
			problem_reply(r, 404, "not-found", detail);
			return;
		}
	}
	PGresult *res = db_exec_or_reply(r, st, n, p);
	if (!res)
		return;
	if (PQntuples(res) != 1 || (visible && !visible(r, res))) {
		PQclear(res);
		problem_reply(r, 404, "not-found", detail);
		return;
	}
	upload_send_file(r, db_get(res, 0, "file_id"), db_get(res, 0, "filename"),
			 db_get(res, 0, "content_type"), db_get(res, 0, "sha256"));
	PQclear(res);
}
