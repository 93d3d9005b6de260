/* audit.c - reading the audit log and verifying its hash chain.
 * operationIds listAudit, verifyAudit. Supervisors and admins only. */
#include <errno.h>
#include <stdlib.h>

#include "opengov/api/handlers.h"
#include "opengov/db/jsonw.h"
#include "opengov/base/cursor.h"

/* GET /v1/audit - listAudit: 200, 400, 401, 403. Newest first. */
void api_audit_list(struct req *r)
{
	DB_STMT(st, "audit_list",
		"SELECT seq, rfc3339(at) AS at, actor, role, action, entity, entity_id,"
		" request_id, detail, encode(hash, 'hex') AS hash FROM audit_log"
		" WHERE ($1::text IS NULL OR entity = $1)"
		" AND ($2::text IS NULL OR entity_id = $2)"
		" AND ($3::text IS NULL OR actor = $3)"
		" AND ($4::text IS NULL OR action = $4)"
		" AND ($5::timestamptz IS NULL OR at >= $5)"
		" AND ($6::timestamptz IS NULL OR at < $6)"
		" AND ($7::bigint IS NULL OR seq < $7)"
		" ORDER BY seq DESC LIMIT $8");
	const char *from, *to;
	char after[1][CURSOR_PART_MAX], lim[16];
	char entity[260], entity_id[520], actor[520], action[260];
	bool has_entity, has_entity_id, has_actor, has_action;
	int limit;

	if (query_limit_or_reply(r, &limit) ||
	    query_text_or_reply(r, "entity", 1, 64, entity, sizeof entity, &has_entity) ||
	    query_text_or_reply(r, "entity_id", 1, 128, entity_id, sizeof entity_id, &has_entity_id) ||
	    query_text_or_reply(r, "actor", 1, 128, actor, sizeof actor, &has_actor) ||
	    query_text_or_reply(r, "action", 1, 64, action, sizeof action, &has_action) ||
	    query_time_or_reply(r, "from", &from) ||
	    query_time_or_reply(r, "to", &to) ||
	    query_cursor_or_reply(r, 1, after))
		return;
	if (after[0][0]) {
		char *end;
		errno = 0;
		long long seq = strtoll(after[0], &end, 10);
		if (errno || *end || seq < 1) {
			query_invalid_reply(r, "cursor", "is not a cursor this server issued");
			return;
		}
	}
	snprintf(lim, sizeof lim, "%d", limit + 1);
	const char *p[] = { has_entity ? entity : NULL, has_entity_id ? entity_id : NULL,
			    has_actor ? actor : NULL, has_action ? action : NULL, from, to,
			    after[0][0] ? after[0] : NULL, lim };
	PGresult *res = db_exec_or_reply(r, &st, 8, p);
	if (!res)
		return;
	static const char *const key[] = { "seq" };
	http_list_rows(r, res, limit, key, 1);
	PQclear(res);
}

/* GET /v1/audit/verify - verifyAudit: 200 {ok, entries, first_bad}.
 * Recomputes every link of the eight chains (sql/009): an entry's hash
 * must be sha256(the previous hash of its chain || its fields, chain and
 * position), positions in a chain must be gapless from 1, and each chain's
 * head must match its last entry, so edits, deletions and truncation all
 * show. The entries from before the chains are chain 0, positions equal to
 * their seq, hashed without chain and position. first_bad is the smallest
 * seq of a broken entry (one past the last entry when only a head is off). */
void api_audit_verify(struct req *r)
{
	DB_STMT(st, "audit_verify",
		"WITH e AS ("
		" SELECT seq, chain, coalesce(chain_pos, seq) AS pos, chain_pos IS NULL AS legacy,"
		"  hash, prev_hash, at, actor, role, action, entity, entity_id, request_id, detail"
		" FROM audit_log),"
		" link AS ("
		" SELECT e.*,"
		"  lag(hash, 1, '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)"
		"   OVER (PARTITION BY chain ORDER BY pos) AS expect_prev,"
		"  lag(pos, 1, 0::bigint) OVER (PARTITION BY chain ORDER BY pos) AS expect_pos"
		" FROM e),"
		" bad AS (SELECT min(seq) AS seq FROM link WHERE"
		"  prev_hash <> expect_prev OR pos <> expect_pos + 1 OR"
		"  hash <> sha256(expect_prev || CASE WHEN legacy"
		"   THEN audit_payload(seq, at, actor, role, action, entity, entity_id, request_id, detail)"
		"   ELSE audit_payload_chained(seq, at, actor, role, action, entity, entity_id,"
		"    request_id, detail, chain, pos) END)),"
		" tips AS (SELECT DISTINCT ON (chain) chain, pos, hash FROM e ORDER BY chain, pos DESC),"
		" heads_off AS (SELECT 1 FROM audit_chains c LEFT JOIN tips t ON t.chain = c.chain"
		"  WHERE c.pos <> coalesce(t.pos, 0) OR (t.pos IS NOT NULL AND c.hash <> t.hash))"
		" SELECT (SELECT count(*) FROM audit_log) AS entries,"
		"  coalesce((SELECT seq FROM bad),"
		"   CASE WHEN EXISTS (SELECT 1 FROM heads_off)"
		"   THEN (SELECT coalesce(max(seq), 0) + 1 FROM audit_log) END) AS first_bad");

	PGresult *res = db_exec_or_reply(r, &st, 0, NULL);
	if (!res)
		return;
	const char *bad = db_get(res, 0, "first_bad");
	json_t *o = json_object();
	json_object_set_new(o, "ok", json_boolean(!bad));
	json_object_set_new(o, "entries", json_integer(db_get_ll(res, 0, "entries")));
	json_object_set_new(o, "first_bad", bad ? json_integer(strtoll(bad, NULL, 10)) : json_null());
	PQclear(res);
	http_json(r, 200, o);
}
