/* dbreply.c - database calls that answer on failure, and the audit entry
 * appended in the writer's transaction. */
#include <stdlib.h>
#include <string.h>

#include "opengov/db/audit.h"
#include "opengov/server/dbreply.h"
#include "opengov/server/reply.h"

void db_error_reply(struct req *r)
{
	if (r->db->in_tx)
		db_rollback(r->db);
	if (r->db->lost)
		problem_reply(r, 503, "service-unavailable",
			      "The database is unavailable; retry shortly.");
	else if (!strcmp(r->db->sqlstate, "40001") || !strcmp(r->db->sqlstate, "40P01"))
		problem_reply(r, 503, "service-unavailable",
			      "A concurrent update got in the way; retry.");
	else
		problem_reply(r, 500, "internal",
			      "The server failed to answer; the request id identifies it in the logs.");
}

PGresult *db_exec_or_reply(struct req *r, struct db_stmt *stmt, int n,
			   const char *const *params)
{
	PGresult *res = db_exec(r->db, stmt, n, params);

	if (!res)
		db_error_reply(r);
	return res;
}

int db_begin_or_reply(struct req *r)
{
	if (db_begin(r->db)) {
		db_error_reply(r);
		return -1;
	}
	return 0;
}

int db_commit_or_reply(struct req *r)
{
	if (db_commit(r->db)) {
		db_error_reply(r);
		return -1;
	}
	return 0;
}

int audit_append_or_reply(struct req *r, const char *action,
			  const char *entity, const char *entity_id,
			  json_t *detail)
{
	if (audit_append(r->db, req_actor(r), req_role(r), action, entity, entity_id,
			 r->request_id, detail)) {
		db_error_reply(r);
		return -1;
	}
	return 0;
}
