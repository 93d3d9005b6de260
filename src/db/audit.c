/* audit.c - the audit entry of a write (include/opengov/db/audit.h), for the
 * handlers (audit_append_or_reply) and the case store alike. */
#include <stdlib.h>

#include "opengov/db/audit.h"

int audit_append(struct db *db, const char *actor, const char *role, const char *action,
		 const char *entity, const char *entity_id, const char *request_id,
		 const json_t *detail)
{
	DB_STMT(st, "audit_append",
		"SELECT audit_append($1, $2, $3, $4, $5, $6, $7::jsonb)");
	char *d = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
	const char *p[] = { actor, role, action, entity, entity_id, request_id, d };
	PGresult *res = db_exec(db, &st, 7, p);

	free(d);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}
