/* reply.h - the answer: headers, JSON or text bodies, lists with their
 * cursors and Link, and the problem+json answers (RFC 9457). */
#ifndef OPENGOV_REPLY_H
#define OPENGOV_REPLY_H

#include <jansson.h>
#include <libpq-fe.h>

#include "opengov/base/validate.h"
#include "opengov/server/request.h"

void http_header(struct req *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Answers with a JSON body; takes the reference to body. */
void http_json(struct req *r, int status, json_t *body);
/* Answers with pre-serialised text of the given type. */
void http_text(struct req *r, int status, const char *type, const char *text,
	       size_t len);
void http_empty(struct req *r, int status);
/* Writes the answer to the FastCGI stream. */
void http_send(struct req *r);

/* The problem+json answers. detail (fmt) is the English text, a literal
 * with its line in src/base/messages.def: the answer carries its code and
 * its text in r->lang (Chinese by default). */
void problem_reply(struct req *r, int status, const char *slug,
		   const char *detail);
void problem_reply_errors(struct req *r, int status, const char *slug,
			  const char *detail, const struct verrs *errs);
void problem_replyf(struct req *r, int status, const char *slug,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A problem with one extension member of string value (the Problem schema
 * declares each: current_etag on 412). */
void problem_reply_member(struct req *r, int status, const char *slug,
			  const char *detail, const char *member, const char *value);
/* The problem object of a plain English detail, in r's language with the
 * catalogue's code (messages.def), for a handler that adds members. */
json_t *problem_new(struct req *r, int status, const char *slug, const char *detail,
		    const struct verrs *errs);

/* Sends list bodies: {"data": [...], "next_cursor": ...} plus Link, the
 * data array already written as JSON text. */
void http_list_text(struct req *r, const struct buf *data, const char *next_cursor);
/* Answers a page of a keyset list: the first limit rows of res (fetched
 * with limit + 1) as objects, and when there are more, the cursor made of
 * the key columns of the last row shown. res stays the caller's. */
void http_list_rows(struct req *r, const PGresult *res, int limit,
		    const char *const *key_cols, int nkeys);
/* Answers with one result row as a JSON object (see jw_row). */
void http_row(struct req *r, int status, const PGresult *res, int row);
/* Answers 200/201 with a JSON object already written as text. */
void http_json_text(struct req *r, int status, const struct buf *body);

/* A 409 for an action the current status does not allow: names the status
 * and what is allowed now (allowed: NULL-terminated, may be empty). */
void conflict_reply(struct req *r, const char *detail, const char *status,
		    const char *const *allowed);
/* The same with the detail already in r->lang and its code (NULL: the
 * generic "conflict"), for a sentence formatted with msg_format. */
void conflict_reply_text(struct req *r, const char *code, const char *text,
			 const char *status, const char *const *allowed);

#endif
