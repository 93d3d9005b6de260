/* units.c - municipal agencies, townships and sub-district offices.
 * The pattern every resource copies: keyset lists, ETags, If-Match, audit. */
#include <stdlib.h>
#include <string.h>

#include "opengov/api/handlers.h"
#include "opengov/api/common.h"
#include "opengov/base/rcache.h"
#include "opengov/db/jsonw.h"
#include "opengov/base/cursor.h"

static const char *const unit_kinds[] = { "municipal_agency", "township",
					  "sub_district", NULL };

#define UNIT_COLUMNS \
	"id, kind, code, name, parent_id, rfc3339(created_at) AS created_at," \
	" rfc3339(updated_at) AS updated_at, version AS _version"

static const struct field unit_fields[] = {
	{ "kind", FT_ENUM, F_REQUIRED, 0, 0, unit_kinds, NULL, NULL },
	{ "code", FT_STRING, F_REQUIRED, 1, 32, NULL, check_code_value, NULL },
	{ "name", FT_STRING, F_REQUIRED, 1, 200, NULL, NULL, NULL },
	{ "parent_id", FT_UUID, F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL },
};

static void unit_etag(const PGresult *res, char *out, size_t len)
{
	snprintf(out, len, "\"%s\"", db_get(res, 0, "_version"));
}

static int validate_or_reply(struct req *r, bool patch)
{
	struct verrs v = { 0 };

	if (patch ? validate_patch(r->json, unit_fields, &v)
		  : validate_object(r->json, unit_fields, &v)) {
		problem_reply_errors(r, 422, "validation", "The unit is invalid.", &v);
		return -1;
	}
	return 0;
}

static const char *str_member(json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* GET /v1/units - listUnits: 200, 400. Ordered by code. The same for every
 * caller: served from the worker's cache while no unit changed. */
void api_units_list(struct req *r)
{
	DB_STMT(st, "units_list",
		"SELECT " UNIT_COLUMNS " FROM units"
		" WHERE ($1::text IS NULL OR kind = $1)"
		" AND ($2::uuid IS NULL OR parent_id = $2)"
		" AND ($3::text IS NULL OR code > $3)"
		" AND ($5::timestamptz IS NULL OR updated_at >= $5)"
		" ORDER BY code LIMIT $4");
	const char *kind, *parent, *since;
	char after[1][CURSOR_PART_MAX];
	char lim[16];
	int limit;

	if (query_limit_or_reply(r, &limit) ||
	    query_enum_or_reply(r, "kind", unit_kinds, &kind) ||
	    query_uuid_or_reply(r, "parent_id", &parent) ||
	    query_time_or_reply(r, "updated_since", &since) ||
	    query_cursor_or_reply(r, 1, after))
		return;
	snprintf(lim, sizeof lim, "%d", limit + 1);
	/* The same pages for every caller: from the cache while no unit changed. */
	char ckey[RCACHE_KEY_MAX];
	uint64_t gen = 0;
	bool cacheable = http_list_cache_key(r, "units", ckey, sizeof ckey);
	if (cacheable && http_cached_reply(r, ckey, &gen))
		return;
	const char *p[] = { kind, parent, after[0][0] ? after[0] : NULL, lim, since };
	PGresult *res = db_exec_or_reply(r, &st, 5, p);
	if (!res)
		return;
	static const char *const key[] = { "code" };
	size_t mark = r->headers.len;
	http_list_rows(r, res, limit, key, 1);
	PQclear(res);
	if (cacheable)
		http_cache_keep(r, ckey, gen, mark);
}

/* GET /v1/units/{id} - getUnit: 200, 304, 404. The same for every caller:
 * served from the worker's cache while no unit changed. */
void api_units_get(struct req *r)
{
	DB_STMT(st, "units_get",
		"SELECT " UNIT_COLUMNS " FROM units WHERE id = $1");
	char etag[32], key[RCACHE_KEY_MAX];
	uint64_t gen;

	if (!uuid_valid(r->path_params[0])) {
		problem_reply(r, 404, "not-found", "There is no such unit.");
		return;
	}
	snprintf(key, sizeof key, "units/%.36s", r->path_params[0]);
	if (http_cached_reply(r, key, &gen))
		return;
	const char *p[] = { r->path_params[0] };
	PGresult *res = common_row_or_reply(r, &st, 1, p, "There is no such unit.");
	if (!res)
		return;
	struct buf body = { 0 };
	unit_etag(res, etag, sizeof etag);
	jw_row(&body, res, 0);
	PQclear(res);
	http_cache_reply(r, key, gen, etag, &body);
	buf_free(&body);
}

static bool parent_exists(struct req *r, const char *parent, bool *failed)
{
	DB_STMT(st, "units_exists",
		"SELECT 1 FROM units WHERE id = $1");
	const char *p[] = { parent };
	PGresult *res = db_exec_or_reply(r, &st, 1, p);

	*failed = !res;
	if (!res)
		return false;
	bool ok = PQntuples(res) == 1;
	PQclear(res);
	return ok;
}

static void unit_conflict_or_error(struct req *r)
{
	if (!strcmp(r->db->sqlstate, SQLSTATE_UNIQUE)) {
		db_rollback(r->db);
		problem_reply(r, 409, "conflict", "Another unit already has this code.");
		return;
	}
	db_error_reply(r);
}

/* POST /v1/units - createUnit (admin): 201, 401, 403, 409, 415, 422. */
void api_units_create(struct req *r)
{
	DB_STMT(ins, "units_insert",
		"INSERT INTO units (kind, code, name, parent_id) VALUES ($1, $2, $3, $4)"
		" RETURNING " UNIT_COLUMNS);
	char etag[32], loc[96];
	bool failed;

	if (validate_or_reply(r, false))
		return;
	const char *parent = str_member(r->json, "parent_id");
	if (db_begin_or_reply(r))
		return;
	if (parent && !parent_exists(r, parent, &failed)) {
		if (failed)
			return;
		db_rollback(r->db);
		struct verrs v = { 0 };
		verrs_add(&v, "/parent_id", "names no unit");
		problem_reply_errors(r, 422, "validation", "The unit is invalid.", &v);
		return;
	}
	const char *p[] = { str_member(r->json, "kind"), str_member(r->json, "code"),
			    str_member(r->json, "name"), parent };
	PGresult *res = db_exec(r->db, &ins, 4, p);
	if (!res) {
		unit_conflict_or_error(r);
		return;
	}
	const char *id = db_get(res, 0, "id");
	json_t *detail = json_pack("{s:s}", "code", p[1]);
	if (common_audit_commit_or_reply(r, "unit.create", "unit", id, detail)) {
		PQclear(res);
		return;
	}
	unit_etag(res, etag, sizeof etag);
	snprintf(loc, sizeof loc, "/v1/units/%s", id);
	http_header(r, "Location", "%s", loc);
	http_header(r, "ETag", "%s", etag);
	http_row(r, 201, res, 0);
	PQclear(res);
}

/* PATCH /v1/units/{id} - updateUnit (admin): 200, 404, 409, 412, 415,
 * 422, 428. A unit may not become its own ancestor. */
void api_units_update(struct req *r)
{
	DB_STMT(lock, "units_lock",
		"SELECT version FROM units WHERE id = $1 FOR UPDATE");
	DB_STMT(cycle, "units_cycle",
		"WITH RECURSIVE up(id, parent_id) AS ("
		" SELECT id, parent_id FROM units WHERE id = $2"
		" UNION SELECT u.id, u.parent_id FROM units u JOIN up ON u.id = up.parent_id)"
		" SELECT 1 FROM up WHERE id = $1");
	DB_STMT(upd, "units_update",
		"UPDATE units SET kind = coalesce($2, kind), code = coalesce($3, code),"
		" name = coalesce($4, name),"
		" parent_id = CASE WHEN $5::boolean THEN $6::uuid ELSE parent_id END,"
		" version = version + 1, updated_at = now()"
		" WHERE id = $1 RETURNING " UNIT_COLUMNS);
	const char *id = r->path_params[0];
	char etag[32], loc[96];
	bool failed;

	if (!uuid_valid(id)) {
		problem_reply(r, 404, "not-found", "There is no such unit.");
		return;
	}
	if (validate_or_reply(r, true))
		return;
	if (db_begin_or_reply(r))
		return;
	const char *p1[] = { id };
	PGresult *res = common_row_or_reply(r, &lock, 1, p1, "There is no such unit.");
	if (!res)
		return;
	snprintf(etag, sizeof etag, "\"%s\"", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (http_if_match_or_reply(r, etag)) {
		db_rollback(r->db);
		return;
	}
	json_t *pj = json_object_get(r->json, "parent_id");
	const char *parent = json_string_value(pj);
	if (parent) {
		if (!parent_exists(r, parent, &failed)) {
			if (failed)
				return;
			db_rollback(r->db);
			struct verrs v = { 0 };
			verrs_add(&v, "/parent_id", "names no unit");
			problem_reply_errors(r, 422, "validation", "The change is invalid.", &v);
			return;
		}
		const char *p2[] = { id, parent };
		res = db_exec_or_reply(r, &cycle, 2, p2);
		if (!res)
			return;
		int loops = PQntuples(res);
		PQclear(res);
		if (loops) {
			db_rollback(r->db);
			struct verrs v = { 0 };
			verrs_add(&v, "/parent_id", "would make the unit its own ancestor");
			problem_reply_errors(r, 422, "validation", "The change is invalid.", &v);
			return;
		}
	}
	const char *p3[] = { id, str_member(r->json, "kind"), str_member(r->json, "code"),
			     str_member(r->json, "name"), pj ? "true" : "false", parent };
	res = db_exec(r->db, &upd, 6, p3);
	if (!res) {
		unit_conflict_or_error(r);
		return;
	}
	json_t *detail = json_pack("{s:O}", "changes", r->json);
	if (common_audit_commit_or_reply(r, "unit.update", "unit", id, detail)) {
		PQclear(res);
		return;
	}
	unit_etag(res, etag, sizeof etag);
	snprintf(loc, sizeof loc, "/v1/units/%s", id);
	http_header(r, "ETag", "%s", etag);
	http_header(r, "Content-Location", "%s", loc);
	http_row(r, 200, res, 0);
	PQclear(res);
}
