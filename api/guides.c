/* guides.c - each unit's government information disclosure guide
 * (政府信息公开指南, OGI Regulations Art. 12): written by the unit's staff,
 * published through the review information items go through (a second
 * person: an approver of the unit who neither wrote nor submitted it),
 * versioned; the current one public at /v1/units/{id}/guide, every
 * published version kept. Tables and JSON: sql/030_unit_guides.sql.
 * operationIds getUnitGuide, listUnitGuides, getUnitGuideVersion,
 * createUnitGuide, submitUnitGuide, reviewUnitGuide. */
#include <stdlib.h>
#include <string.h>

#include "opengov/api/handlers.h"
#include "opengov/api/common.h"
#include "opengov/base/cursor.h"

/* The channels an application arrives through (src/domain/caserules.c
 * case_channels): a guide names those the unit accepts (Art. 28-29). */
static const char *const guide_channels[] = { "online", "paper", "counter", "post", "fax", NULL };
static const char *const decisions[] = { "approve", "reject", NULL };

static const struct field guide_fields[] = {
	{ "categories", FT_ARRAY, F_REQUIRED, 1, 8, NULL, NULL, NULL },
	{ "how_to_apply", FT_STRING, F_REQUIRED, 1, 5000, NULL, NULL, NULL },
	{ "office_name", FT_STRING, F_REQUIRED, 1, 200, NULL, NULL, NULL },
	{ "address", FT_STRING, F_REQUIRED, 1, 300, NULL, NULL, NULL },
	{ "office_hours", FT_STRING, F_REQUIRED, 1, 200, NULL, NULL, NULL },
	{ "telephone", FT_STRING, F_REQUIRED, 1, 50, NULL, NULL, NULL },
	{ "fax", FT_STRING, F_NULLABLE, 1, 50, NULL, NULL, NULL },
	{ "email", FT_STRING, F_NULLABLE, 3, 200, NULL, NULL, NULL },
	{ "postal_address", FT_STRING, F_REQUIRED, 1, 300, NULL, NULL, NULL },
	{ "complaint_route", FT_STRING, F_REQUIRED, 1, 2000, NULL, NULL, NULL },
	{ "channels", FT_ARRAY, F_REQUIRED, 1, 5, NULL, NULL, NULL },
	END_FIELDS,
};

static const struct field review_fields[] = {
	{ "decision", FT_ENUM, F_REQUIRED, 0, 0, decisions, NULL, NULL },
	{ "comment", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL, NULL },
	END_FIELDS,
};

#define GUIDE_NOT_FOUND "There is no such guide."

/* Whether the caller reads a guide of unit in status: published and
 * superseded versions are everyone's; the others are their unit's staff's,
 * the supervisors' and the admins'. */
static bool guide_visible(const struct req *r, const char *unit, const char *status)
{
	return !strcmp(status, "published") || !strcmp(status, "superseded") ||
	       common_sees_workflow(r, unit);
}

/* The unit in the path exists: 0, or -1 after answering 404 or the error. */
static int unit_or_reply(struct req *r)
{
	DB_STMT(st, "guides_unit", "SELECT 1 FROM units WHERE id = $1");
	const char *id = r->path_params[0];

	if (!uuid_valid(id)) {
		problem_reply(r, 404, "not-found", "There is no such unit.");
		return -1;
	}
	const char *p[] = { id };
	PGresult *res = common_row_or_reply(r, &st, 1, p, "There is no such unit.");
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

/* Answers one guide row (columns j, unit_id, status, version). */
static void guide_reply(struct req *r, int status, const PGresult *res)
{
	struct buf body = { 0 };
	char etag[48];

	/* A number, as every ETag of the API: the version and the revision
	 * of its row (which every edit and step moves). */
	snprintf(etag, sizeof etag, "\"%lld\"", db_get_ll(res, 0, "version") * 1000000 +
		 db_get_ll(res, 0, "revision"));
	http_header(r, "Vary", "Authorization");
	if (status != 200 || (strcmp(r->method, "GET") && strcmp(r->method, "HEAD"))) {
		http_header(r, "ETag", "%s", etag);
	} else {
		bool open = !strcmp(db_get(res, 0, "status"), "published") ||
			    !strcmp(db_get(res, 0, "status"), "superseded");
		http_header(r, "Cache-Control", "%s", !r->authed && open ? "public, max-age=60"
									  : "private, no-cache");
		if (http_not_modified(r, etag))
			return;
	}
	buf_puts(&body, db_get(res, 0, "j"));
	http_json_text(r, status, &body);
	buf_free(&body);
}

#define GUIDE_ROW(workflow) \
	"g.id, g.unit_id, g.version, g.revision, g.status, g.created_by, g.submitted_by," \
	" unit_guide_json(g, " workflow ")::text AS j"

/* GET /v1/units/{id}/guide - getUnitGuide: 200, 304, 401, 404 (no such
 * unit, or no guide published yet), 500, 503. The unit's current guide. */
void api_guides_current(struct req *r)
{
	DB_STMT(st, "guides_current",
		"SELECT " GUIDE_ROW("$2::boolean") " FROM unit_guides g"
		" WHERE g.unit_id = $1 AND g.status = 'published'");

	if (unit_or_reply(r))
		return;
	const char *p[] = { r->path_params[0],
			    common_sees_workflow(r, r->path_params[0]) ? "true" : "false" };
	PGresult *res = common_row_or_reply(r, &st, 2, p,
					    "The unit has not published a disclosure guide yet.");
	if (!res)
		return;
	guide_reply(r, 200, res);
	PQclear(res);
}

/* GET /v1/units/{id}/guides - listUnitGuides: 200, 304, 400, 401, 404, 500,
 * 503. Every version the caller may read, newest first. */
void api_guides_list(struct req *r)
{
	char after[2][CURSOR_PART_MAX], lim[16];
	int limit;
	const char *unit = r->path_params[0];

	if (query_limit_or_reply(r, &limit) || query_time_cursor_or_reply(r, after))
		return;
	if (unit_or_reply(r))
		return;
	bool all = common_sees_workflow(r, unit);
	snprintf(lim, sizeof lim, "%d", limit + 1);
	struct sqlb b = { 0 };
	sqlb_add(&b, "SELECT g.id, (extract(epoch FROM g.created_at) * 1000000)::bigint AS sort_us,"
		     " unit_guide_json(g, ");
	sqlb_add(&b, all ? "true" : "false");
	sqlb_add(&b, ")::text AS j FROM unit_guides g WHERE");
	sqlb_add(&b, all ? " true" : " g.status IN ('published', 'superseded')");
	sqlb_and_eq(&b, "g.unit_id", unit, "uuid");
	PGresult *res = common_page_or_reply(r, &b, "g.created_at", "g.id", after, lim);
	if (!res)
		return;
	common_json_page_reply(r, res, limit);
}

/* The version in the path: 1..2^31-1, else 404 answered and -1. */
static int version_or_reply(struct req *r, const char **version)
{
	const char *s = r->path_params[1];
	size_t n = strspn(s, "0123456789");

	if (!n || s[n] || n > 9 || s[0] == '0') {
		problem_reply(r, 404, "not-found", GUIDE_NOT_FOUND);
		return -1;
	}
	*version = s;
	return 0;
}

DB_STMT(guide_by_version, "guides_by_version",
	"SELECT " GUIDE_ROW("true") " FROM unit_guides g WHERE g.unit_id = $1 AND g.version = $2::int");
DB_STMT(guide_lock, "guides_lock",
	"SELECT " GUIDE_ROW("true") ", $3 = ANY (g.edited_by) AS edited FROM unit_guides g"
	" WHERE g.unit_id = $1 AND g.version = $2::int FOR UPDATE");

/* GET /v1/units/{id}/guides/{version} - getUnitGuideVersion: 200, 304, 401,
 * 404, 500, 503. */
void api_guides_get(struct req *r)
{
	DB_STMT(st, "guides_get",
		"SELECT " GUIDE_ROW("$3::boolean") " FROM unit_guides g"
		" WHERE g.unit_id = $1 AND g.version = $2::int");
	const char *version;

	if (!uuid_valid(r->path_params[0])) {
		problem_reply(r, 404, "not-found", GUIDE_NOT_FOUND);
		return;
	}
	if (version_or_reply(r, &version))
		return;
	const char *p[] = { r->path_params[0], version,
			    common_sees_workflow(r, r->path_params[0]) ? "true" : "false" };
	PGresult *res = common_row_or_reply(r, &st, 3, p, GUIDE_NOT_FOUND);
	if (!res)
		return;
	if (!guide_visible(r, db_get(res, 0, "unit_id"), db_get(res, 0, "status"))) {
		PQclear(res);
		problem_reply(r, 404, "not-found", GUIDE_NOT_FOUND);
		return;
	}
	guide_reply(r, 200, res);
	PQclear(res);
}

/* Checks a list of distinct names, each one of choices. */
static void check_names(const json_t *arr, const char *ptr, const char *const *choices,
			struct verrs *v)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e) {
		const char *s = json_string_value(e);
		if (!s || choice_index(choices, s) < 0) {
			verrs_add(v, ptr, "holds an unknown name at position %zu", i);
			return;
		}
		for (size_t k = 0; k < i; k++)
			if (!strcmp(s, json_string_value(json_array_get(arr, k)))) {
				verrs_add(v, ptr, "names %s twice", s);
				return;
			}
	}
}

/* What validate_object cannot say of a guide's body (or a patch of it). */
static void check_guide(const json_t *body, struct verrs *v)
{
	const json_t *cats = json_object_get(body, "categories");
	const json_t *chans = json_object_get(body, "channels");
	const char *email = json_member_str(body, "email");

	if (cats)
		check_names(cats, "/categories", common_information_categories, v);
	if (chans)
		check_names(chans, "/channels", guide_channels, v);
	if (email && !strchr(email, '@'))
		verrs_add(v, "/email", "must be an e-mail address");
}

/* A JSON array of strings as a PostgreSQL text[] literal's elements are
 * known names (no quoting needed): {a,b}. */
static char *names_literal(const json_t *arr)
{
	struct buf b = { 0 };
	size_t i;
	json_t *e;

	buf_puts(&b, "{");
	json_array_foreach(arr, i, e) {
		buf_puts(&b, i ? "," : "");
		buf_puts(&b, json_string_value(e));
	}
	buf_puts(&b, "}");
	return b.data;
}

/* POST /v1/units/{id}/guides - createUnitGuide (clerk, approver of the
 * unit): 201, 401, 403, 404, 409 (a draft or a guide awaiting review
 * exists), 415, 422. A new version, born a draft. */
void api_guides_create(struct req *r)
{
	DB_STMT(ins, "guides_insert",
		"WITH g AS (INSERT INTO unit_guides (unit_id, version, categories, how_to_apply,"
		" office_name, address, office_hours, telephone, fax, email, postal_address,"
		" complaint_route, channels, created_by)"
		" SELECT :unit_id::uuid, coalesce(max(version), 0) + 1, :categories::text[],"
		" :how_to_apply, :office_name, :address, :office_hours, :telephone, :fax, :email,"
		" :postal_address, :complaint_route, :channels::text[], :created_by"
		" FROM unit_guides WHERE unit_id = :unit_id::uuid RETURNING *)"
		" SELECT " GUIDE_ROW("true") " FROM g");
	struct verrs v = { 0 };
	const char *unit = r->path_params[0];

	if (unit_or_reply(r))
		return;
	if (!common_unit_staff(r, unit)) {
		problem_reply(r, 403, "forbidden", "Staff write the guide of their own unit only.");
		return;
	}
	if (!validate_object(r->json, guide_fields, &v))
		check_guide(r->json, &v);
	if (v.n)
		return (void)common_invalid_reply(r, &v, "The guide is invalid.");
	char *cats = names_literal(json_object_get(r->json, "categories"));
	char *chans = names_literal(json_object_get(r->json, "channels"));
	struct db_args a = { 0 };
	DB_ARG(&a, ins, "unit_id", unit);
	DB_ARG(&a, ins, "categories", cats);
	DB_ARG(&a, ins, "channels", chans);
	DB_ARG(&a, ins, "how_to_apply", json_member_str(r->json, "how_to_apply"));
	DB_ARG(&a, ins, "office_name", json_member_str(r->json, "office_name"));
	DB_ARG(&a, ins, "address", json_member_str(r->json, "address"));
	DB_ARG(&a, ins, "office_hours", json_member_str(r->json, "office_hours"));
	DB_ARG(&a, ins, "telephone", json_member_str(r->json, "telephone"));
	DB_ARG(&a, ins, "fax", json_member_str(r->json, "fax"));
	DB_ARG(&a, ins, "email", json_member_str(r->json, "email"));
	DB_ARG(&a, ins, "postal_address", json_member_str(r->json, "postal_address"));
	DB_ARG(&a, ins, "complaint_route", json_member_str(r->json, "complaint_route"));
	DB_ARG(&a, ins, "created_by", r->claims.sub);
	if (db_begin_or_reply(r)) {
		free(cats);
		free(chans);
		return;
	}
	PGresult *res = db_exec_args(r->db, &ins, &a);
	free(cats);
	free(chans);
	if (!res) {
		if (!strcmp(r->db->sqlstate, SQLSTATE_UNIQUE)) {
			db_rollback(r->db);
			problem_reply(r, 409, "conflict",
				      "The unit has a guide in the making already: submit or finish its review first.");
			return;
		}
		db_error_reply(r);
		return;
	}
	if (common_audit_commit_or_reply(r, "guide.create", "unit_guide", db_get(res, 0, "id"),
					 json_pack("{s:s, s:I}", "unit_id", unit, "version",
						   (json_int_t)db_get_ll(res, 0, "version")))) {
		PQclear(res);
		return;
	}
	http_header(r, "Location", "/v1/units/%s/guides/%s", unit, db_get(res, 0, "version"));
	guide_reply(r, 201, res);
	PQclear(res);
}

/* Opens the transaction and locks the guide of the path for a change by
 * its unit's staff: the row, or NULL after answering (404, 403). */
static PGresult *lock_own_guide_or_reply(struct req *r)
{
	const char *version;

	if (!uuid_valid(r->path_params[0])) {
		problem_reply(r, 404, "not-found", GUIDE_NOT_FOUND);
		return NULL;
	}
	if (version_or_reply(r, &version) || db_begin_or_reply(r))
		return NULL;
	const char *p[] = { r->path_params[0], version, r->claims.sub };
	PGresult *res = common_row_or_reply(r, &guide_lock, 3, p, GUIDE_NOT_FOUND);
	if (!res)
		return NULL;
	if (!guide_visible(r, db_get(res, 0, "unit_id"), db_get(res, 0, "status"))) {
		PQclear(res);
		db_rollback(r->db);
		problem_reply(r, 404, "not-found", GUIDE_NOT_FOUND);
		return NULL;
	}
	if (!common_unit_staff(r, db_get(res, 0, "unit_id"))) {
		PQclear(res);
		db_rollback(r->db);
		problem_reply(r, 403, "forbidden", "Only the staff of the guide's unit may change it.");
		return NULL;
	}
	return res;
}

/* The 409 of a step the guide's status does not allow. */
static void guide_wrong_status(struct req *r, const char *status)
{
	static const char *const from_draft[] = { "submit", NULL };
	static const char *const from_pending[] = { "review", NULL };
	static const char *const none[] = { NULL };

	conflict_reply(r, "The guide's status does not allow this step.", status,
		       !strcmp(status, "draft") ? from_draft
		       : !strcmp(status, "pending_review") ? from_pending : none);
}

DB_STMT(guide_step, "guides_step",
	"WITH g AS (UPDATE unit_guides SET status = $2,"
	"  submitted_by = CASE WHEN $2 = 'pending_review' THEN $4 ELSE submitted_by END,"
	"  submitted_at = CASE WHEN $2 = 'pending_review' THEN now() ELSE submitted_at END,"
	"  reviewed_by = CASE WHEN $2 <> 'pending_review' THEN $4 ELSE reviewed_by END,"
	"  reviewed_at = CASE WHEN $2 <> 'pending_review' THEN now() ELSE reviewed_at END,"
	"  review_comment = CASE WHEN $2 <> 'pending_review' THEN $5 ELSE review_comment END,"
	"  published_at = CASE WHEN $2 = 'published' THEN now() ELSE published_at END,"
	"  revision = revision + 1, updated_at = now()"
	"  WHERE unit_id = $1 AND version = $3::int RETURNING *)"
	" SELECT " GUIDE_ROW("true") " FROM g");
/* A statement of its own before the step: a unique index is checked row
 * by row, and the parts of one statement run in no set order. */
DB_STMT(guide_supersede, "guides_supersede",
	"UPDATE unit_guides SET status = 'superseded', superseded_at = now(),"
	" revision = revision + 1, updated_at = now()"
	" WHERE unit_id = $1 AND status = 'published'");

/* Moves the locked guide to status `to`, audits and answers. */
static void guide_move(struct req *r, const char *to, const char *comment, const char *action)
{
	const char *p[] = { r->path_params[0], to, r->path_params[1], r->claims.sub, comment };

	/* The current guide steps aside first: unit_guides_current allows one. */
	if (!strcmp(to, "published")) {
		PGresult *old = db_exec_or_reply(r, &guide_supersede, 1, p);
		if (!old)
			return;
		PQclear(old);
	}
	PGresult *res = db_exec_or_reply(r, &guide_step, 5, p);
	if (!res)
		return;
	json_t *detail = json_pack("{s:s, s:s}", "unit_id", r->path_params[0], "to", to);
	if (comment)
		json_object_set_new(detail, "comment", json_string(comment));
	if (!common_audit_commit_or_reply(r, action, "unit_guide", db_get(res, 0, "id"), detail))
		guide_reply(r, 200, res);
	PQclear(res);
}

/* POST /v1/units/{id}/guides/{version}/submit - submitUnitGuide (clerk,
 * approver of the unit): 200, 401, 403, 404, 409 (not a draft). */
void api_guides_submit(struct req *r)
{
	PGresult *cur = lock_own_guide_or_reply(r);

	if (!cur)
		return;
	if (strcmp(db_get(cur, 0, "status"), "draft")) {
		db_rollback(r->db);
		guide_wrong_status(r, db_get(cur, 0, "status"));
	} else {
		guide_move(r, "pending_review", NULL, "guide.submit");
	}
	PQclear(cur);
}

/* POST /v1/units/{id}/guides/{version}/review - reviewUnitGuide (approver
 * of the unit who neither wrote nor submitted it): 200, 401, 403, 404, 409
 * (not pending review), 415, 422. Approving publishes it and supersedes
 * the current guide; rejecting closes this version (a new one is written). */
void api_guides_review(struct req *r)
{
	struct verrs v = { 0 };

	if (validate_object(r->json, review_fields, &v))
		return (void)common_invalid_reply(r, &v, "The review is invalid.");
	const char *decision = json_member_str(r->json, "decision");
	const char *comment = json_member_str(r->json, "comment");
	bool approve = !strcmp(decision, "approve");
	if (!approve && (!comment || !*comment)) {
		verrs_add(&v, "/comment", "is required when rejecting: say what to change");
		return (void)common_invalid_reply(r, &v, "The review is invalid.");
	}
	PGresult *cur = lock_own_guide_or_reply(r);
	if (!cur)
		return;
	const char *author = db_get(cur, 0, "created_by");
	const char *submitter = db_get(cur, 0, "submitted_by");
	if (strcmp(db_get(cur, 0, "status"), "pending_review")) {
		db_rollback(r->db);
		guide_wrong_status(r, db_get(cur, 0, "status"));
	} else if ((author && !strcmp(author, r->claims.sub)) ||
		   (submitter && !strcmp(submitter, r->claims.sub)) ||
		   !strcmp(db_get(cur, 0, "edited"), "t")) {
		db_rollback(r->db);
		problem_reply(r, 403, "forbidden",
			      "The guide's review needs a second person: you wrote, edited or submitted it.");
	} else {
		guide_move(r, approve ? "published" : "rejected", comment,
			   approve ? "guide.publish" : "guide.reject");
	}
	PQclear(cur);
}

/* PATCH /v1/units/{id}/guides/{version} - updateUnitGuide (clerk, approver
 * of the unit): 200, 401, 403, 404, 409 (not a draft), 412, 415, 422, 428.
 * Changes the draft's fields given; If-Match with its ETag. The editor
 * becomes one who may not review it (as an item's, api/items.c). */
void api_guides_update(struct req *r)
{
	DB_STMT(upd, "guides_update",
		"WITH g AS (UPDATE unit_guides SET"
		" categories = coalesce(:categories::text[], categories),"
		" how_to_apply = coalesce(:how_to_apply, how_to_apply),"
		" office_name = coalesce(:office_name, office_name),"
		" address = coalesce(:address, address),"
		" office_hours = coalesce(:office_hours, office_hours),"
		" telephone = coalesce(:telephone, telephone),"
		" fax = CASE WHEN :set_fax::boolean THEN :fax ELSE fax END,"
		" email = CASE WHEN :set_email::boolean THEN :email ELSE email END,"
		" postal_address = coalesce(:postal_address, postal_address),"
		" complaint_route = coalesce(:complaint_route, complaint_route),"
		" channels = coalesce(:channels::text[], channels),"
		" edited_by = CASE WHEN :editor = ANY (edited_by) THEN edited_by"
		"  ELSE edited_by || :editor END,"
		" revision = revision + 1, updated_at = now()"
		" WHERE unit_id = :unit_id::uuid AND version = :version::int RETURNING *)"
		" SELECT " GUIDE_ROW("true") " FROM g");
	struct verrs v = { 0 };
	char etag[32];

	if (validate_patch(r->json, guide_fields, &v) == 0)
		check_guide(r->json, &v);
	if (v.n)
		return (void)common_invalid_reply(r, &v, "The guide is invalid.");
	PGresult *cur = lock_own_guide_or_reply(r);
	if (!cur)
		return;
	snprintf(etag, sizeof etag, "\"%lld\"", db_get_ll(cur, 0, "version") * 1000000 +
		 db_get_ll(cur, 0, "revision"));
	if (http_if_match_or_reply(r, etag)) {
		PQclear(cur);
		db_rollback(r->db);
		return;
	}
	if (strcmp(db_get(cur, 0, "status"), "draft")) {
		db_rollback(r->db);
		guide_wrong_status(r, db_get(cur, 0, "status"));
		PQclear(cur);
		return;
	}
	PQclear(cur);
	json_t *cj = json_object_get(r->json, "categories"), *hj = json_object_get(r->json, "channels");
	char *cats = cj ? names_literal(cj) : NULL, *chans = hj ? names_literal(hj) : NULL;
	struct db_args a = { 0 };
	DB_ARG(&a, upd, "unit_id", r->path_params[0]);
	DB_ARG(&a, upd, "version", r->path_params[1]);
	DB_ARG(&a, upd, "categories", cats);
	DB_ARG(&a, upd, "channels", chans);
	DB_ARG(&a, upd, "how_to_apply", json_member_str(r->json, "how_to_apply"));
	DB_ARG(&a, upd, "office_name", json_member_str(r->json, "office_name"));
	DB_ARG(&a, upd, "address", json_member_str(r->json, "address"));
	DB_ARG(&a, upd, "office_hours", json_member_str(r->json, "office_hours"));
	DB_ARG(&a, upd, "telephone", json_member_str(r->json, "telephone"));
	DB_ARG(&a, upd, "set_fax", json_object_get(r->json, "fax") ? "true" : "false");
	DB_ARG(&a, upd, "fax", json_member_str(r->json, "fax"));
	DB_ARG(&a, upd, "set_email", json_object_get(r->json, "email") ? "true" : "false");
	DB_ARG(&a, upd, "email", json_member_str(r->json, "email"));
	DB_ARG(&a, upd, "postal_address", json_member_str(r->json, "postal_address"));
	DB_ARG(&a, upd, "complaint_route", json_member_str(r->json, "complaint_route"));
	DB_ARG(&a, upd, "editor", r->claims.sub);
	PGresult *res = db_exec_args(r->db, &upd, &a);
	free(cats);
	free(chans);
	if (!res) {
		db_error_reply(r);
		return;
	}
	json_t *fields = common_member_names(r->json);
	if (!common_audit_commit_or_reply(r, "guide.update", "unit_guide", db_get(res, 0, "id"),
					  json_pack("{s:s, s:o}", "unit_id", r->path_params[0],
						    "fields", fields)))
		guide_reply(r, 200, res);
	PQclear(res);
}

/* For api/requests.c, in one statement before anything is written:
 * whether unit is a unit, and whether its current guide accepts
 * applications through channel (a unit with no guide yet accepts every
 * one). GUIDE_NO_UNIT, GUIDE_ACCEPTED or GUIDE_REFUSED; -1 after answering
 * the database's error. */
int guides_channel_check(struct req *r, const char *unit, const char *channel)
{
	DB_STMT(st, "guides_channel",
		"SELECT (SELECT $2 = ANY (g.channels) FROM unit_guides g"
		"  WHERE g.unit_id = u.id AND g.status = 'published') AS ok"
		" FROM units u WHERE u.id = $1::uuid");

	if (!uuid_valid(unit))
		return GUIDE_NO_UNIT;
	const char *p[] = { unit, channel };
	PGresult *res = db_exec_or_reply(r, &st, 2, p);
	if (!res)
		return -1;
	int verdict = PQntuples(res) != 1 ? GUIDE_NO_UNIT
		      : db_get(res, 0, "ok") && strcmp(db_get(res, 0, "ok"), "t") ? GUIDE_REFUSED
										    : GUIDE_ACCEPTED;
	PQclear(res);
	return verdict;
}
