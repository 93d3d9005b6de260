/* webhooks.c - the endpoints an admin registers to be sent the change feed
 * (docs/events.md): register, read, change, delete, rotate the secret, the
 * delivery log and a redelivery. Deliveries are made and sent by `opengov
 * deliver` (src/domain/deliver.c), never by a request. Every write is one
 * transaction with its audit entry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "opengov/api/handlers.h"
#include "opengov/api/common.h"
#include "opengov/base/cursor.h"
#include "opengov/domain/events.h"

/* A webhook as clients read it: never its secret. */
#define WEBHOOK_JSON							\
	"json_build_object('id', w.id, 'url', w.url, 'types', w.types,"	\
	" 'description', w.description, 'active', w.active, 'version', w.version," \
	" 'created_by', w.created_by, 'created_at', rfc3339(w.created_at),"	\
	" 'updated_at', rfc3339(w.updated_at),"				\
	" 'secret_rotated_at', rfc3339(w.secret_rotated_at),"		\
	" 'unit_id', w.unit_id, 'direct_report', w.direct_report)"

/* ... and once, at creation or rotation, with it. */
#define WEBHOOK_JSON_SECRET \
	"(" WEBHOOK_JSON "::jsonb || jsonb_build_object('secret', w.secret))::text AS j"

#define DELIVERY_JSON							\
	"json_build_object('id', d.id, 'webhook_id', d.webhook_id,"	\
	" 'event_seq', d.event_seq, 'event_type', e.type, 'status', d.status," \
	" 'attempts', d.attempts, 'next_attempt_at', rfc3339(d.next_attempt_at)," \
	" 'last_attempt_at', rfc3339(d.last_attempt_at),"		\
	" 'last_status_code', d.last_status_code,"			\
	" 'last_duration_ms', d.last_duration_ms, 'last_error', d.last_error," \
	" 'delivered_at', rfc3339(d.delivered_at), 'created_at', rfc3339(d.created_at)," \
	" 'log', (SELECT coalesce(json_agg(json_build_object('attempt', a.attempt,"	\
	"  'at', rfc3339(a.at), 'status_code', a.status_code,"		\
	"  'duration_ms', a.duration_ms, 'error', a.error) ORDER BY a.attempt), '[]')" \
	"  FROM webhook_attempts a WHERE a.delivery_id = d.id))::text AS j"

/* The answer to a failed write: 422 for a unit_id that is no unit (the
 * foreign key), else the database's error. */
static void unit_or_error(struct req *r, const char *what)
{
	struct verrs v = { 0 };

	if (strcmp(r->db->sqlstate, SQLSTATE_FK)) {
		db_error_reply(r);
		return;
	}
	db_rollback(r->db);
	verrs_add(&v, "/unit_id", "is not a unit");
	common_invalid_reply(r, &v, what);
}

/* A boolean member as a parameter: "true", "false", or NULL when absent. */
static const char *bool_arg(const json_t *body, const char *name)
{
	const json_t *v = json_object_get(body, name);

	return v ? (json_is_true(v) ? "true" : "false") : NULL;
}

static const struct field webhook_fields[] = {
	{ "url", FT_STRING, F_REQUIRED, 8, 2000, NULL, NULL, NULL },
	{ "types", FT_ARRAY, F_REQUIRED, 0, 64, NULL, NULL, NULL },
	{ "description", FT_STRING, F_NULLABLE, 0, 500, NULL, NULL, NULL },
	{ "active", FT_BOOL, 0, 0, 0, NULL, NULL, NULL },
	/* Direct reporting: the higher-level portal subscribes to one unit's
	 * events (null: the city's), and its deliveries of item.published
	 * record the items as reported to it (docs/events.md). */
	{ "unit_id", FT_UUID, F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "direct_report", FT_BOOL, 0, 0, 0, NULL, NULL, NULL },
	END_FIELDS
};

/* What validate_object cannot say: the URL's scheme and host, the types
 * known and not repeated. */
static void check_body(const json_t *body, struct verrs *v)
{
	const json_t *url = json_object_get(body, "url");
	const json_t *types = json_object_get(body, "types");

	if (json_is_string(url)) {
		switch (webhook_url_check(json_string_value(url))) {
		case WEBHOOK_URL_OK:
			break;
		case WEBHOOK_URL_NOT_HTTPS:
			verrs_add(v, "/url", "must be an https URL (http only to a loopback address)");
			break;
		default:
			verrs_add(v, "/url", "must be an absolute URL with a host, without"
				  " credentials, fragment, spaces or control characters");
			break;
		}
	}
	if (json_is_array(types)) {
		size_t i, j;
		json_t *t;
		if (!json_array_size(types))
			verrs_add(v, "/types", "must name at least one event type");
		json_array_foreach(types, i, t) {
			char ptr[32];
			snprintf(ptr, sizeof ptr, "/types/%zu", i);
			if (!json_is_string(t) || !event_type_known(json_string_value(t))) {
				verrs_add(v, ptr, "must be an event type of the EventType list");
				continue;
			}
			for (j = 0; j < i; j++)
				if (json_equal(json_array_get(types, j), t))
					break;
			if (j < i)
				verrs_add(v, ptr, "is listed twice");
		}
	}
}

/* The types as a PostgreSQL array literal (names hold nothing it quotes). */
static void types_literal(const json_t *types, struct buf *b)
{
	size_t i;
	json_t *t;

	buf_puts(b, "{");
	json_array_foreach(types, i, t)
		buf_printf(b, "%s%s", i ? "," : "", json_string_value(t));
	buf_puts(b, "}");
}

/* A new secret: "whsec_" and 32 random bytes in hex. 0 or -1. */
static int new_secret(char out[71])
{
	unsigned char raw[32];

	if (RAND_bytes(raw, sizeof raw) != 1)
		return -1;
	memcpy(out, "whsec_", 6);
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(out + 6 + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

static int id_or_reply(struct req *r, int i, const char *detail)
{
	if (!uuid_valid(r->path_params[i])) {
		problem_reply(r, 404, "not-found", detail);
		return -1;
	}
	return 0;
}

/* POST /v1/webhooks - createWebhook: 201 (with the secret, this once),
 * 400, 401, 403, 415, 422, 500, 503. */
void api_webhooks_create(struct req *r)
{
	DB_STMT(st, "webhooks_create",
		"WITH w AS (INSERT INTO webhooks (url, types, description, active, secret,"
		"  from_seq, created_by, unit_id, direct_report)"
		" SELECT :url, :types::text[], :description, coalesce(:active::boolean, true),"
		"  :secret, c.last, :actor, :unit_id::uuid, coalesce(:direct_report::boolean, false)"
		" FROM events_counter c RETURNING *)"
		" SELECT w.id, " WEBHOOK_JSON_SECRET " FROM w");
	struct verrs v = { 0 };
	struct db_args a = { 0 };
	struct buf types = { 0 };
	char secret[71];
	const json_t *active = json_object_get(r->json, "active");

	validate_object(r->json, webhook_fields, &v);
	check_body(r->json, &v);
	if (v.n) {
		common_invalid_reply(r, &v, "The webhook is invalid.");
		return;
	}
	if (new_secret(secret)) {
		problem_reply(r, 500, "internal", "No random secret could be made.");
		return;
	}
	types_literal(json_object_get(r->json, "types"), &types);
	const json_t *desc = json_object_get(r->json, "description");
	DB_ARG(&a, st, "url", json_string_value(json_object_get(r->json, "url")));
	DB_ARG(&a, st, "types", buf_str(&types));
	DB_ARG(&a, st, "description", json_is_string(desc) ? json_string_value(desc) : NULL);
	DB_ARG(&a, st, "active", active ? (json_is_true(active) ? "true" : "false") : NULL);
	DB_ARG(&a, st, "secret", secret);
	DB_ARG(&a, st, "actor", req_actor(r));
	DB_ARG(&a, st, "unit_id", json_member_str(r->json, "unit_id"));
	DB_ARG(&a, st, "direct_report", bool_arg(r->json, "direct_report"));
	if (db_begin_or_reply(r)) {
		buf_free(&types);
		return;
	}
	PGresult *res = db_exec_args(r->db, &st, &a);
	buf_free(&types);
	if (!res) {
		unit_or_error(r, "The webhook is invalid.");
		return;
	}
	char id[37];
	snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
	json_t *detail = json_pack("{s:s, s:O}", "url",
				   json_string_value(json_object_get(r->json, "url")), "types",
				   json_object_get(r->json, "types"));
	if (common_audit_commit_or_reply(r, "webhook.create", "webhook", id, detail)) {
		PQclear(res);
		return;
	}
	struct buf body = { 0 };
	buf_puts(&body, PQgetvalue(res, 0, 1));
	PQclear(res);
	http_header(r, "Location", "/v1/webhooks/%s", id);
	http_header(r, "ETag", "\"1\"");
	http_header(r, "Cache-Control", "no-store");
	http_json_text(r, 201, &body);
	buf_free(&body);
}

/* GET /v1/webhooks - listWebhooks: 200, 400, 401, 403, 500, 503. Newest
 * first. */
void api_webhooks_list(struct req *r)
{
	char after[2][CURSOR_PART_MAX], lim[16];
	int limit;

	if (query_limit_or_reply(r, &limit) || query_time_cursor_or_reply(r, after))
		return;
	snprintf(lim, sizeof lim, "%d", limit + 1);
	struct sqlb b = { 0 };
	sqlb_add(&b, "SELECT w.id, (extract(epoch FROM w.created_at) * 1000000)::bigint AS sort_us, "
		     WEBHOOK_JSON "::text AS j FROM webhooks w WHERE true");
	PGresult *res = common_page_or_reply(r, &b, "w.created_at", "w.id", after, lim);
	if (!res)
		return;
	common_json_page_reply(r, res, limit);
}

/* GET /v1/webhooks/{id} - getWebhook: 200, 304, 401, 403, 404, 500, 503. */
void api_webhooks_get(struct req *r)
{
	DB_STMT(st, "webhooks_get",
		"SELECT w.version, " WEBHOOK_JSON "::text AS j FROM webhooks w WHERE w.id = $1");
	const char *p[] = { r->path_params[0] };
	char etag[32];

	if (id_or_reply(r, 0, "No such webhook."))
		return;
	PGresult *res = common_row_or_reply(r, &st, 1, p, "No such webhook.");
	if (!res)
		return;
	snprintf(etag, sizeof etag, "\"%s\"", PQgetvalue(res, 0, 0));
	http_header(r, "Cache-Control", "private, no-cache");
	if (!http_not_modified(r, etag)) {
		struct buf body = { 0 };
		buf_puts(&body, PQgetvalue(res, 0, 1));
		http_json_text(r, 200, &body);
		buf_free(&body);
	}
	PQclear(res);
}

/* PATCH /v1/webhooks/{id} - updateWebhook: 200, 400, 401, 403, 404, 412,
 * 415, 422, 428, 500, 503. Any of url, types, description, active; If-Match
 * with the current ETag (its version). */
void api_webhooks_update(struct req *r)
{
	DB_STMT(lock, "webhooks_lock", "SELECT version FROM webhooks WHERE id = $1 FOR UPDATE");
	DB_STMT(st, "webhooks_update",
		"UPDATE webhooks w SET url = coalesce(:url, url),"
		" types = coalesce(:types::text[], types),"
		" description = CASE WHEN :set_description::boolean THEN :description"
		"  ELSE description END,"
		" active = coalesce(:active::boolean, active),"
		" unit_id = CASE WHEN :set_unit_id::boolean THEN :unit_id::uuid ELSE unit_id END,"
		" direct_report = coalesce(:direct_report::boolean, direct_report),"
		" version = version + 1,"
		" updated_at = now() WHERE id = :id::uuid"
		" RETURNING w.version, " WEBHOOK_JSON "::text AS j");
	struct verrs v = { 0 };
	struct db_args a = { 0 };
	struct buf types = { 0 };
	const char *p[] = { r->path_params[0] };

	if (id_or_reply(r, 0, "No such webhook."))
		return;
	validate_patch(r->json, webhook_fields, &v);
	check_body(r->json, &v);
	if (v.n) {
		common_invalid_reply(r, &v, "The change is invalid.");
		return;
	}
	const json_t *url = json_object_get(r->json, "url");
	const json_t *t = json_object_get(r->json, "types");
	const json_t *desc = json_object_get(r->json, "description");
	const json_t *active = json_object_get(r->json, "active");
	if (t)
		types_literal(t, &types);
	DB_ARG(&a, st, "url", url ? json_string_value(url) : NULL);
	DB_ARG(&a, st, "types", t ? buf_str(&types) : NULL);
	DB_ARG(&a, st, "set_description", desc ? "true" : "false");
	DB_ARG(&a, st, "description", json_is_string(desc) ? json_string_value(desc) : NULL);
	DB_ARG(&a, st, "active", active ? (json_is_true(active) ? "true" : "false") : NULL);
	DB_ARG(&a, st, "id", r->path_params[0]);
	DB_ARG(&a, st, "set_unit_id", json_object_get(r->json, "unit_id") ? "true" : "false");
	DB_ARG(&a, st, "unit_id", json_member_str(r->json, "unit_id"));
	DB_ARG(&a, st, "direct_report", bool_arg(r->json, "direct_report"));
	if (db_begin_or_reply(r)) {
		buf_free(&types);
		return;
	}
	PGresult *res = common_row_or_reply(r, &lock, 1, p, "No such webhook.");
	if (!res) {
		buf_free(&types);
		return;
	}
	char current[32];
	snprintf(current, sizeof current, "\"%s\"", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (http_if_match_or_reply(r, current)) {
		db_rollback(r->db);
		buf_free(&types);
		return;
	}
	res = db_exec_args(r->db, &st, &a);
	buf_free(&types);
	if (!res) {
		unit_or_error(r, "The change is invalid.");
		return;
	}
	json_t *detail = json_deep_copy(r->json);
	if (common_audit_commit_or_reply(r, "webhook.update", "webhook", r->path_params[0],
					 detail)) {
		PQclear(res);
		return;
	}
	char etag[32];
	snprintf(etag, sizeof etag, "\"%s\"", PQgetvalue(res, 0, 0));
	http_header(r, "ETag", "%s", etag);
	http_header(r, "Cache-Control", "private, no-cache");
	struct buf body = { 0 };
	buf_puts(&body, PQgetvalue(res, 0, 1));
	PQclear(res);
	http_json_text(r, 200, &body);
	buf_free(&body);
}

/* DELETE /v1/webhooks/{id} - deleteWebhook: 200 (the webhook as it was),
 * 401, 403, 404, 500, 503. Its deliveries and their log go with it. */
void api_webhooks_delete(struct req *r)
{
	DB_STMT(st, "webhooks_delete",
		"DELETE FROM webhooks w WHERE id = $1 RETURNING w.url, " WEBHOOK_JSON "::text AS j");
	const char *p[] = { r->path_params[0] };

	if (id_or_reply(r, 0, "No such webhook.") || db_begin_or_reply(r))
		return;
	PGresult *res = common_row_or_reply(r, &st, 1, p, "No such webhook.");
	if (!res)
		return;
	json_t *detail = json_pack("{s:s}", "url", PQgetvalue(res, 0, 0));
	if (common_audit_commit_or_reply(r, "webhook.delete", "webhook", r->path_params[0],
					 detail)) {
		PQclear(res);
		return;
	}
	struct buf body = { 0 };
	buf_puts(&body, PQgetvalue(res, 0, 1));
	PQclear(res);
	http_header(r, "Cache-Control", "no-store");
	http_json_text(r, 200, &body);
	buf_free(&body);
}

/* POST /v1/webhooks/{id}/secret - rotateWebhookSecret: 200 (with the new
 * secret, this once), 401, 403, 404, 500, 503. The old secret signs
 * nothing from the commit on. */
void api_webhooks_rotate(struct req *r)
{
	DB_STMT(st, "webhooks_rotate",
		"UPDATE webhooks w SET secret = $2, secret_rotated_at = now(), updated_at = now(),"
		" version = version + 1 WHERE id = $1 RETURNING w.id, " WEBHOOK_JSON_SECRET);
	char secret[71];

	if (id_or_reply(r, 0, "No such webhook."))
		return;
	if (new_secret(secret)) {
		problem_reply(r, 500, "internal", "No random secret could be made.");
		return;
	}
	const char *p[] = { r->path_params[0], secret };
	if (db_begin_or_reply(r))
		return;
	PGresult *res = common_row_or_reply(r, &st, 2, p, "No such webhook.");
	if (!res)
		return;
	if (common_audit_commit_or_reply(r, "webhook.rotate_secret", "webhook", r->path_params[0],
					 NULL)) {
		PQclear(res);
		return;
	}
	struct buf body = { 0 };
	buf_puts(&body, PQgetvalue(res, 0, 1));
	PQclear(res);
	http_header(r, "Cache-Control", "no-store");
	http_json_text(r, 200, &body);
	buf_free(&body);
}

/* GET /v1/webhooks/{id}/deliveries - listWebhookDeliveries: 200, 400, 401,
 * 403, 404, 500, 503. Newest first, each with its attempts. */
void api_webhooks_deliveries(struct req *r)
{
	DB_STMT(exists, "webhooks_exists", "SELECT 1 FROM webhooks WHERE id = $1");
	static const char *const statuses[] = { "pending", "delivered", "failed", NULL };
	char after[2][CURSOR_PART_MAX], lim[16];
	const char *status = NULL;
	const char *p[] = { r->path_params[0] };
	int limit;

	if (id_or_reply(r, 0, "No such webhook."))
		return;
	if (query_limit_or_reply(r, &limit) || query_enum_or_reply(r, "status", statuses, &status) ||
	    query_time_cursor_or_reply(r, after))
		return;
	PGresult *res = common_row_or_reply(r, &exists, 1, p, "No such webhook.");
	if (!res)
		return;
	PQclear(res);
	snprintf(lim, sizeof lim, "%d", limit + 1);
	struct sqlb b = { 0 };
	sqlb_add(&b, "SELECT d.id, (extract(epoch FROM d.created_at) * 1000000)::bigint AS sort_us, "
		     DELIVERY_JSON " FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq"
		     " WHERE d.webhook_id = ");
	sqlb_param(&b, r->path_params[0], "uuid");
	sqlb_and_eq(&b, "d.status", status, "text");
	res = common_page_or_reply(r, &b, "d.created_at", "d.id", after, lim);
	if (!res)
		return;
	common_json_page_reply(r, res, limit);
}

/* POST /v1/webhooks/{id}/deliveries/{delivery_id}/redeliver -
 * redeliverWebhookDelivery: 202, 401, 403, 404, 500, 503. The delivery is
 * due now, with a new round of attempts, whatever its status. */
void api_webhooks_redeliver(struct req *r)
{
	DB_STMT(st, "webhooks_redeliver",
		"WITH d AS (UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(),"
		"  round_start = attempts, delivered_at = NULL"
		"  WHERE id = $2 AND webhook_id = $1 RETURNING *)"
		" SELECT d.id, " DELIVERY_JSON " FROM d JOIN events e ON e.seq = d.event_seq");
	const char *p[] = { r->path_params[0], r->path_params[1] };

	if (id_or_reply(r, 0, "No such webhook delivery.") ||
	    id_or_reply(r, 1, "No such webhook delivery.") || db_begin_or_reply(r))
		return;
	PGresult *res = common_row_or_reply(r, &st, 2, p, "No such webhook delivery.");
	if (!res)
		return;
	json_t *detail = json_pack("{s:s}", "webhook_id", r->path_params[0]);
	if (common_audit_commit_or_reply(r, "webhook.redeliver", "webhook_delivery",
					 r->path_params[1], detail)) {
		PQclear(res);
		return;
	}
	struct buf body = { 0 };
	buf_puts(&body, PQgetvalue(res, 0, 1));
	PQclear(res);
	http_header(r, "Cache-Control", "no-store");
	http_json_text(r, 202, &body);
	buf_free(&body);
}
