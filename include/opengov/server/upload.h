/* upload.h - files handed in as raw bodies (a request's materials, a
 * finding's evidence, an appeal's documents, a disclosure log entry's
 * files): checked for what they really are (PDF, JPEG, PNG, by structure:
 * src/base/filetype.c), hashed, kept in the files table and served back byte
 * for byte. Every resource that takes files does it through here. */
#ifndef OPENGOV_UPLOAD_H
#define OPENGOV_UPLOAD_H

#include "opengov/base/filetype.h"
#include "opengov/server/http.h"

#define UPLOAD_FILENAME_MAX 255

struct db_stmt;

/* A file handed in, checked and hashed: what the statement that keeps it
 * takes. */
struct upload {
	enum filetype type;
	char filename[UPLOAD_FILENAME_MAX * 4 + 8];
	char sha256[65];
	char size[24]; /* the body's length in bytes, as text */
};

/* The checks that need no database: ?filename= (1..255 characters, a name
 * not a path, its extension the content's), a body that is not empty,
 * content that is a well-formed PDF, JPEG or PNG and what a declared
 * Content-Type says (application/octet-stream says nothing). Returns the
 * type, or FILETYPE_UNKNOWN after answering 400, 415 or 422. */
enum filetype upload_check_or_reply(struct req *r, char *filename, size_t namelen);

/* Why a file name (UTF-8) may not be kept, or NULL: control characters
 * (C0, DEL, C1) and the invisible marks that reorder or hide text (bidi
 * embeddings, overrides and isolates U+202A..U+202E, U+2066..U+2069, the
 * marks U+200E, U+200F, U+061C), by which "invoice_fdp.exe" is shown as
 * "invoice_exe.pdf". Pure. */
const char *upload_filename_problem(const char *name);

/* SHA-256 of data as 64 hex digits ("" if hashing failed). */
void upload_sha256_hex(const void *data, size_t len, char out[65]);

/* Answers with the bytes of files row file_id: the stored type, an
 * attachment with the name (RFC 6266), ETag the quoted sha256 (304 on
 * If-None-Match), nosniff, private. */
void upload_send_file(struct req *r, const char *file_id, const char *filename,
		      const char *content_type, const char *sha256);

/* upload_check_or_reply, then the hash. 0, or -1 after answering 400,
 * 415, 422 (the checks) or 500 (hashing failed). */
int upload_take_or_reply(struct req *r, struct upload *u);

/* Keeps the file: runs ins, which inserts the body into files and the row
 * of the resource it belongs to, with parameters $1 the type, $2 the size,
 * $3 the SHA-256, $4 the bytes (binary), then $5.. the n values of more.
 * The rows it returns, or NULL after answering the database's error. */
PGresult *upload_store_or_reply(struct req *r, struct db_stmt *ins, const struct upload *u,
				int n, const char *const *more);

/* Answers 201 with row 0 of res (what ins returned), at loc, with etag. */
void upload_created_reply(struct req *r, const PGresult *res, const char *loc,
			  const char *etag);

/* Answers with the file of the one row st selects with the n UUIDs p
 * (from the path): columns file_id, filename, content_type and sha256,
 * sent as upload_send_file does. 404 with detail when a value of p is not
 * a UUID, there is no such row, or visible (unless NULL) says the caller
 * may not see the row. */
void upload_serve(struct req *r, struct db_stmt *st, int n, const char *const *p,
		  bool (*visible)(struct req *r, const PGresult *res), const char *detail);

#endif
