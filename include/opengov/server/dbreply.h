/* dbreply.h - the database helpers that answer on failure (503 when the
 * database is away or a concurrent update got in the way, else 500), and
 * the audit entry of a write. */
#ifndef OPENGOV_DBREPLY_H
#define OPENGOV_DBREPLY_H

#include <jansson.h>
#include <libpq-fe.h>

#include "opengov/db/db.h"
#include "opengov/server/request.h"

/* Database failure → 503 (lost) or 500. */
void db_error_reply(struct req *r);
/* db_exec that answers on failure. */
PGresult *db_exec_or_reply(struct req *r, struct db_stmt *stmt, int n,
			   const char *const *params);
int db_begin_or_reply(struct req *r);
int db_commit_or_reply(struct req *r);

/* Appends the audit entry for a write, inside the caller's transaction. */
int audit_append_or_reply(struct req *r, const char *action,
			  const char *entity, const char *entity_id,
			  json_t *detail);

#endif
