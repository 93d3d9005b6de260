/* accountstore.c - the finding a corrected appeal or a bad rating opens on
 * the unit, with its first step and its audit entry. */
#include <stdio.h>
#include <stdlib.h>

#include "opengov/domain/accountstore.h"

int accountstore_open_finding(struct db *db, const struct account_finding *f, char id[37])
{
	DB_STMT(st, "accountstore_finding",
		"WITH f AS (INSERT INTO findings (source, unit_id, request_id, category, severity,"
		"  title, description, rectify_by, created_by, created_role)"
		"  SELECT 'complaint', q.unit_id, q.id, $2, 'yellow', $3, $4, $5::date, 'system',"
		"   'system' FROM requests q WHERE q.id = $1"
		"  RETURNING id, unit_id, request_id),"
		" s AS (INSERT INTO finding_steps (finding_id, seq, action, actor, actor_role, to_status)"
		"  SELECT id, 1, 'create', 'system', 'system', 'open' FROM f)"
		" SELECT f.id, audit_append('system', 'system', 'finding.create', 'finding', f.id::text,"
		"  $6, jsonb_build_object('source', 'complaint', 'category', $2::text, 'severity',"
		"  'yellow', 'request_id', f.request_id, 'unit_id', f.unit_id) || coalesce($7::jsonb,"
		"  '{}')) AS _seq FROM f");
	char *detail = f->detail ? json_dumps(f->detail, JSON_COMPACT) : NULL;
	const char *p[] = { f->request_id, f->category, f->title, f->description, f->rectify_by,
			    f->http_request_id, detail };
	PGresult *res = db_exec(db, &st, 7, p);

	free(detail);
	if (!res)
		return -1;
	int ok = PQntuples(res) == 1;
	if (ok)
		snprintf(id, 37, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return ok ? 0 : -1;
}
