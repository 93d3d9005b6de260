/* materials.c - the files handed in with a request: each upload under a code
 * is that code's next version, checked for what it really is (PDF, JPEG,
 * PNG), kept in PostgreSQL and served back byte for byte.
 * operationIds uploadMaterial, listMaterials, getMaterial, getMaterialContent. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "opengov/api/handlers.h"
#include "opengov/api/common.h"
#include "opengov/base/cursor.h"
#include "opengov/base/filetype.h"
#include "opengov/api/caseflow.h"
#include "opengov/base/config.h"
#include "opengov/server/quota.h"
#include "opengov/server/upload.h"

#define MATERIAL_COLUMNS \
	"id, request_id, code, version, filename, content_type, size, sha256," \
	" rfc3339(uploaded_at) AS uploaded_at, uploaded_by, uploaded_role"

#define CODE_MAX 32

/* A material code as sql/005_requests.sql allows it: 1..32 of [A-Za-z0-9_-]. */
static bool code_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > CODE_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

static void not_found(struct req *r)
{
	problem_reply(r, 404, "not-found", "There is no such material.");
}

/* For an approval request, code must be one of its service item's
 * materials. Returns 0, or -1 after answering (422, 5xx) with the
 * transaction rolled back. */
static int item_code_or_reply(struct req *r, const struct request_ref *ref,
			      const char *code)
{
	DB_STMT(st, "materials_item_codes",
		"SELECT bool_or(m->>'code' = $2) AS listed,"
		" string_agg(m->>'code', ', ' ORDER BY ord) AS codes"
		" FROM items i, jsonb_array_elements(i.materials) WITH ORDINALITY AS e(m, ord)"
		" WHERE i.id = $1");

	if (ref->kind != CK_APPROVAL)
		return 0;
	const char *p[] = { ref->item_id, code };
	PGresult *res = db_exec_or_reply(r, &st, 2, p);
	if (!res)
		return -1;
	const char *listed = db_get(res, 0, "listed");
	if (listed && !strcmp(listed, "t")) {
		PQclear(res);
		return 0;
	}
	const char *codes = db_get(res, 0, "codes");
	struct verrs v = { 0 };
	if (codes)
		verrs_add(&v, "/query/code",
			  "is not a material of the request's service item (its codes: %.100s)", codes);
	else
		verrs_add(&v, "/query/code",
			  "is not a material of the request's service item, which lists none");
	PQclear(res);
	db_rollback(r->db);
	problem_reply_errors(r, 422, "validation",
			     "The material code is not one this request takes.", &v);
	return -1;
}

/* The checks that need no database: the code, then the file. Returns the
 * type, or FILETYPE_UNKNOWN after answering. */
static int code_or_reply(struct req *r, char *code, size_t codelen)
{
	bool has_code;

	if (query_text_or_reply(r, "code", 1, CODE_MAX, code, codelen, &has_code))
		return -1;
	if (!has_code) {
		query_invalid_reply(r, "code", "is required: the code of the material");
		return -1;
	}
	if (!code_valid(code)) {
		query_invalid_reply(r, "code", "may hold only letters, digits, '_' and '-'");
		return -1;
	}
	return 0;
}

/* Whether the request has room for the upload: fewer versions of code than
 * OPENGOV_MATERIAL_VERSIONS_MAX (422 otherwise) and, with this file, no
 * more bytes than OPENGOV_REQUEST_STORAGE_MAX in all its materials (413).
 * Runs with the request row locked: concurrent uploads are counted one
 * after the other. Returns 0, or -1 after answering, rolled back. */
static int room_or_reply(struct req *r, const char *request_id, const char *code)
{
	DB_STMT(st, "materials_usage",
		"SELECT count(*) FILTER (WHERE code = $2) AS versions,"
		" coalesce(sum(size), 0) AS bytes FROM materials WHERE request_id = $1");
	const struct config *cfg = r->cfg;
	const char *p[] = { request_id, code };

	if (!cfg->material_versions_max && !cfg->request_storage_max)
		return 0;
	PGresult *res = db_exec_or_reply(r, &st, 2, p);
	if (!res)
		return -1;
	long long versions = db_get_ll(res, 0, "versions"), bytes = db_get_ll(res, 0, "bytes");
	PQclear(res);
	if (cfg->material_versions_max && versions >= cfg->material_versions_max) {
		db_rollback(r->db);
		struct verrs v = { 0 };
		verrs_add(&v, "/query/code", "already has %lld versions, the most one code takes",
			  versions);
		problem_reply_errors(r, 422, "validation",
				     "The material has as many versions as it may.", &v);
		return -1;
	}
	if (cfg->request_storage_max &&
	    bytes + (long long)r->body_len > (long long)cfg->request_storage_max) {
		db_rollback(r->db);
		problem_replyf(r, 413, "payload-too-large",
			       "The request's materials would take %lld bytes with this file, over"
			       " its storage quota of %ld bytes (%lld bytes are left).",
			       bytes + (long long)r->body_len, cfg->request_storage_max,
			       (long long)cfg->request_storage_max - bytes);
		return -1;
	}
	return 0;
}

/* POST /v1/requests/{id}/materials?code=&filename= - uploadMaterial (the
 * applicant; clerks and approvers of the request's unit): 201, 400, 401,
 * 403, 404, 409 (status is not submitted or correction_required), 413
 * (more than 10 MiB, or over the request's storage quota), 415 (not PDF/JPEG/PNG, or not what Content-Type
 * says), 422 (empty; code not on the item; extension not the content's;
 * the code's versions at their cap), 429 (the uploader's quota).
 * The request row is locked, so concurrent uploads of a code get distinct
 * versions. */
void api_materials_upload(struct req *r)
{
	DB_STMT(ins, "materials_insert",
		"WITH f AS (INSERT INTO files (content_type, size, sha256, content)"
		" VALUES ($1, $2::int, $3, $4::bytea) RETURNING id)"
		" INSERT INTO materials (request_id, code, version, filename, file_id,"
		" content_type, size, sha256, uploaded_by, uploaded_role)"
		" SELECT $5::uuid, $6, coalesce((SELECT max(version) FROM materials"
		"  WHERE request_id = $5::uuid AND code = $6), 0) + 1,"
		" $7, f.id, $1, $2::int, $3, $8, $9 FROM f"
		" RETURNING " MATERIAL_COLUMNS);
	/* The request's representation (the correction checklist, what may
	 * be done next) depends on its materials: its ETag moves with them. */
	DB_STMT(touch, "materials_touch_request",
		"UPDATE requests SET version = version + 1, updated_at = now() WHERE id = $1");
	struct request_ref ref;
	char code[CODE_MAX * 4 + 8], loc[160], etag[72];
	struct upload u;

	if (code_or_reply(r, code, sizeof code) || upload_take_or_reply(r, &u))
		return;

	struct case_state s;
	struct case_changes c = { 0 };
	const struct calendar *cal;
	PGresult *cur = case_begin_or_reply(r, r->path_params[0], &ref, &s, &cal, &c);
	if (!cur)
		return;
	PQclear(cur);
	if (!ref.own && !ref.unit_staff) {
		db_rollback(r->db);
		state_free(&s);
		problem_reply(r, 403, "forbidden",
			      "Only the applicant and the staff of the request's unit upload materials.");
		return;
	}
	/* (Refused, the request is past its submission: no step the 409
	 * would list waits for materials.) */
	int refused = case_possible_or_reply(r, &s, cal, CA_UPLOAD_MATERIAL, NULL);
	state_free(&s);
	if (refused || item_code_or_reply(r, &ref, code) || room_or_reply(r, ref.id, code) ||
	    quota_take_or_reply(r, QUOTA_UPLOAD))
		return;

	const char *p[] = { ref.id, code, u.filename, req_actor(r), req_role(r) };
	PGresult *res = upload_store_or_reply(r, &ins, &u, 5, p);
	if (!res)
		return;
	const char *tp[] = { ref.id };
	PGresult *tres = db_exec_or_reply(r, &touch, 1, tp);
	if (!tres) {
		PQclear(res);
		return;
	}
	PQclear(tres);
	const char *mid = db_get(res, 0, "id");
	json_t *detail = json_pack("{s:s, s:I, s:s, s:I, s:s}", "code", code,
				   "version", (json_int_t)db_get_ll(res, 0, "version"),
				   "sha256", u.sha256, "size", (json_int_t)r->body_len,
				   "material_id", mid);
	if (common_audit_commit_or_reply(r, "request.material_upload", "request", ref.id, detail)) {
		PQclear(res);
		return;
	}
	snprintf(loc, sizeof loc, "/v1/requests/%s/materials/%s", ref.id, mid);
	snprintf(etag, sizeof etag, "\"%s\"", u.sha256);
	upload_created_reply(r, res, loc, etag);
	PQclear(res);
}

/* GET /v1/requests/{id}/materials - listMaterials: 200, 400, 401, 404.
 * Every version, by code then version; keyset pages like every list. */
void api_materials_list(struct req *r)
{
	DB_STMT(st, "materials_list",
		"SELECT " MATERIAL_COLUMNS " FROM materials WHERE request_id = $1"
		" AND ($2::text IS NULL OR (code, version) > ($2, $3::int))"
		" ORDER BY code, version LIMIT $4");
	static const char *const key[] = { "code", "version" };
	struct request_ref ref;
	char after[2][CURSOR_PART_MAX], lim[16];
	int limit;

	if (query_limit_or_reply(r, &limit) || query_cursor_or_reply(r, 2, after))
		return;
	if (after[0][0]) {
		char *end;
		errno = 0;
		long v = strtol(after[1], &end, 10);
		if (!code_valid(after[0]) || errno || *end || v < 1 || v > 2147483647L) {
			query_invalid_reply(r, "cursor", "is not a cursor this server issued");
			return;
		}
	}
	if (request_find_or_reply(r, r->path_params[0], false, &ref))
		return;
	snprintf(lim, sizeof lim, "%d", limit + 1);
	const char *p[] = { ref.id, after[0][0] ? after[0] : NULL,
			    after[0][0] ? after[1] : NULL, lim };
	PGresult *res = db_exec_or_reply(r, &st, 4, p);
	if (!res)
		return;
	http_list_rows(r, res, limit, key, 2);
	PQclear(res);
}

/* Loads material mid of a request the caller may see, with cols. Returns
 * the row, or NULL after answering 404 (also for another request's
 * material) or 5xx. */
static PGresult *material_or_reply(struct req *r, struct db_stmt *st)
{
	struct request_ref ref;
	const char *mid = r->path_params[1];

	if (request_find_or_reply(r, r->path_params[0], false, &ref))
		return NULL;
	if (!uuid_valid(mid)) {
		not_found(r);
		return NULL;
	}
	const char *p[] = { mid, ref.id };
	return common_row_or_reply(r, st, 2, p, "There is no such material.");
}

/* GET /v1/requests/{id}/materials/{mid} - getMaterial: 200, 304, 401, 404.
 * A material never changes: its ETag is its content's SHA-256. */
void api_materials_get(struct req *r)
{
	DB_STMT(st, "materials_get",
		"SELECT " MATERIAL_COLUMNS " FROM materials WHERE id = $1 AND request_id = $2");
	char etag[72];

	PGresult *res = material_or_reply(r, &st);
	if (!res)
		return;
	snprintf(etag, sizeof etag, "\"%s\"", db_get(res, 0, "sha256"));
	http_header(r, "Cache-Control", "private");
	if (!http_not_modified(r, etag))
		http_row(r, 200, res, 0);
	PQclear(res);
}

/* GET /v1/requests/{id}/materials/{mid}/content - getMaterialContent: 200,
 * 304, 401, 404. The bytes as uploaded, to be saved, never rendered in
 * place: attachment, nosniff. */
void api_materials_content(struct req *r)
{
	DB_STMT(meta, "materials_content_meta",
		"SELECT file_id, filename, content_type, sha256 FROM materials"
		" WHERE id = $1 AND request_id = $2");

	struct request_ref ref;

	if (request_find_or_reply(r, r->path_params[0], false, &ref))
		return;
	const char *p[] = { r->path_params[1], ref.id };
	upload_serve(r, &meta, 2, p, NULL, "There is no such material.");
}
