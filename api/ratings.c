/* ratings.c - the applicant's rating of a decided request (政务服务"好差评"):
 * once per request, a score of 1 to 5 with an optional comment; a bad one
 * (1 or 2) opens a complaint finding on the unit in the same transaction.
 * The unit scoreboard (api/reports.c) averages them.
 * operationIds rateRequest, getRequestRating. */
#include <stdlib.h>
#include <string.h>

#include "opengov/domain/accountability.h"
#include "opengov/domain/accountstore.h"
#include "opengov/api/handlers.h"
#include "opengov/api/common.h"
#include "opengov/api/caseflow.h"
#include "opengov/db/jsonw.h"
#include "opengov/domain/workcal.h"

static const struct field rating_fields[] = {
	{ "score", FT_INT, F_REQUIRED, RATING_MIN, RATING_MAX, NULL, NULL, NULL },
	{ "comment", FT_STRING, F_NULLABLE, 1, 500, NULL, NULL, NULL },
	END_FIELDS,
};

#define RATING_COLUMNS \
	"g.id, g.request_id, g.score, g.comment, rfc3339(g.rated_at) AS rated_at"

/* A rating never changes: its ETag is constant. */
#define RATING_ETAG "\"1\""

/* The rating as clients read it: with the score's label. */
static void rating_reply(struct req *r, int status, const PGresult *res)
{
	struct buf b = { 0 };
	bool first = true;

	buf_puts(&b, "{");
	jw_key(&b, &first, "request_id");
	jw_value(&b, res, 0, db_col(res, "request_id"));
	jw_key(&b, &first, "score");
	jw_value(&b, res, 0, db_col(res, "score"));
	jw_key(&b, &first, "label");
	jw_string(&b, rating_label(atoi(db_get(res, 0, "score"))));
	jw_key(&b, &first, "comment");
	jw_value(&b, res, 0, db_col(res, "comment"));
	jw_key(&b, &first, "rated_at");
	jw_value(&b, res, 0, db_col(res, "rated_at"));
	buf_puts(&b, "}");
	http_json_text(r, status, &b);
	buf_free(&b);
}

/* The complaint finding of a bad rating, its id into id. -1 after
 * answering (rolled back). */
static int bad_rating_finding_or_reply(struct req *r, const PGresult *q, int score,
				       const char *comment, char id[37])
{
	char title[96], *desc;

	snprintf(title, sizeof title, "政务服务差评 %s", db_get(q, 0, "number"));
	if (asprintf(&desc, "申请人对案件 %s 的评价为 %d 分（%s）%s%s", db_get(q, 0, "number"),
		     score, rating_label(score), comment ? "：" : "。", comment ? comment : "") < 0)
		desc = NULL;
	return common_open_finding_or_reply(r, q, "other", title, desc,
					    json_pack("{s:s, s:i}", "reason", "rating", "score", score),
					    id);
}

/* POST /v1/requests/{id}/rating - rateRequest (the applicant, once the
 * request is decided; once): 201, 401, 403, 404, 409, 415, 422. */
void api_ratings_create(struct req *r)
{
	DB_STMT(rated, "ratings_exists",
		"SELECT 1 FROM ratings WHERE request_id = $1");
	DB_STMT(ins, "ratings_insert",
		"INSERT INTO ratings AS g (request_id, unit_id, score, comment, rated_by, finding_id)"
		" VALUES ($1, $2, $3::smallint, $4, $5, $6::uuid)"
		" RETURNING " RATING_COLUMNS);
	struct verrs v = { 0 };
	struct request_ref ref;
	char finding[37] = "", loc[96];

	if (validate_object(r->json, rating_fields, &v)) {
		problem_reply_errors(r, 422, "validation", "The rating is invalid.", &v);
		return;
	}
	int score = (int)json_integer_value(json_object_get(r->json, "score"));
	const char *comment = json_member_str(r->json, "comment");
	if (db_begin_or_reply(r))
		return;
	PGresult *q = request_load_or_reply(r, r->path_params[0], true, &ref);
	if (!q)
		return;
	/* The route admits public callers only, and a public caller sees
	 * only its own requests (404 for any other). */
	PGresult *res = NULL;
	if (ref.status != CS_DECIDED) {
		request_conflict_reply(r, q, "The request is %s: it can be rated once it is decided.",
				       case_statuses[ref.status].name);
		goto out;
	}
	const char *p1[] = { ref.id };
	if (!(res = db_exec_or_reply(r, &rated, 1, p1)))
		goto out;
	bool again = PQntuples(res) > 0;
	PQclear(res);
	res = NULL;
	if (again) {
		request_conflict_reply(r, q, "The request is already rated: a request is rated once.");
		goto out;
	}
	if (rating_opens_finding(score) &&
	    bad_rating_finding_or_reply(r, q, score, comment, finding))
		goto out;
	char s[8];
	snprintf(s, sizeof s, "%d", score);
	const char *p2[] = { ref.id, ref.unit_id, s, comment, req_actor(r),
			     finding[0] ? finding : NULL };
	res = db_exec(r->db, &ins, 6, p2);
	if (!res) {
		if (!strcmp(r->db->sqlstate, SQLSTATE_UNIQUE)) /* rated meanwhile */
			request_conflict_reply(r, q, "The request is already rated: a request is rated once.");
		else
			db_error_reply(r);
		goto out;
	}
	json_t *detail = json_pack("{s:s, s:i, s:s, s:o}", "number", ref.number, "score", score,
				   "rating_id", db_get(res, 0, "id"),
				   "finding_id", finding[0] ? json_string(finding) : json_null());
	/* The request's rating and version moved with the row (sql/015). */
	if (common_audit_commit_or_reply(r, "request.rate", "request", ref.id, detail))
		goto out;
	snprintf(loc, sizeof loc, "/v1/requests/%s/rating", ref.id);
	http_header(r, "Location", "%s", loc);
	http_header(r, "ETag", RATING_ETAG);
	http_header(r, "Cache-Control", "private, no-cache");
	rating_reply(r, 201, res);
out:
	PQclear(res);
	PQclear(q);
}

/* GET /v1/requests/{id}/rating - getRequestRating (whoever may see the
 * request): 200, 304, 401, 404 (also when it is not rated). */
void api_ratings_get(struct req *r)
{
	DB_STMT(st, "ratings_get",
		"SELECT " RATING_COLUMNS " FROM ratings g WHERE g.request_id = $1");
	struct request_ref ref;

	if (request_find_or_reply(r, r->path_params[0], false, &ref))
		return;
	const char *p[] = { ref.id };
	PGresult *res = common_row_or_reply(r, &st, 1, p, "The request is not rated.");
	if (!res)
		return;
	http_header(r, "Cache-Control", "private, no-cache");
	if (!http_not_modified(r, RATING_ETAG))
		rating_reply(r, 200, res);
	PQclear(res);
}
