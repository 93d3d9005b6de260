/* upload.h - files handed in as raw bodies (a request's materials, a
 * finding's evidence): checked for what they really are (PDF, JPEG, PNG,
 * by structure: src/base/filetype.c), hashed, kept in the files table and
 * served back byte for byte. */
#ifndef OPENGOV_UPLOAD_H
#define OPENGOV_UPLOAD_H

#include "opengov/base/filetype.h"
#include "opengov/server/http.h"

#define UPLOAD_FILENAME_MAX 255

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

#endif
