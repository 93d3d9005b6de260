/* audit.h - the audit entry of a write, appended in the writer's
 * transaction (sql/009 audit_append: eight SHA-256 hash chains). */
#ifndef OPENGOV_AUDIT_H
#define OPENGOV_AUDIT_H

#include <jansson.h>

#include "opengov/db/db.h"

/* Appends one entry: who (actor, their role), what (action on entity
 * entity_id), the request it came with (request_id, may be NULL) and the
 * detail (may be NULL). Returns 0, or -1 with db's failure set. */
int audit_append(struct db *db, const char *actor, const char *role, const char *action,
		 const char *entity, const char *entity_id, const char *request_id,
		 const json_t *detail);

#endif
