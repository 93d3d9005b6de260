/* accounts.c - self-registration and staff accounts, the token endpoint
 * (argon2id, throttled per account) and /me.
 * operationIds createAccount, getAccount, createToken, getMe. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opengov/quota.h"
#include "opengov/api.h"
#include "opengov/jsonw.h"
#include "opengov/config.h"
#include "opengov/idempotency.h"

static const char *const roles[] = { "public", "clerk", "approver",
				     "supervisor", "admin", NULL };
static const char *const applicant_types[] = { "natural_person", "company",
					       "research_body", "ngo",
					       "legal_service", "other", NULL };

#define ACCOUNT_COLUMNS \
	"id, username, role, unit_id, applicant_type, display_name," \
	" rfc3339(created_at) AS created_at, version AS _version"

/* After this many failures in a row an account answers 429 for a while. */
#define LOGIN_FAILURES_ALLOWED 5

static const char *check_username(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return "must start with a lower-case letter or digit";
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      strchr("._-", *s)))
			return "may hold only lower-case letters, digits, '.', '_' and '-'";
	return NULL;
}

static const struct field account_fields[] = {
	{ "username", FT_STRING, F_REQUIRED, 3, 64, NULL, check_username, NULL },
	{ "password", FT_STRING, F_REQUIRED, 8, 256, NULL, NULL, NULL },
	{ "display_name", FT_STRING, 0, 1, 100, NULL, NULL, NULL },
	{ "applicant_type", FT_ENUM, 0, 0, 0, applicant_types, NULL, NULL },
	{ "role", FT_ENUM, 0, 0, 0, roles, NULL, NULL },
	{ "unit_id", FT_UUID, 0, 0, 0, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL },
};

static const struct field token_fields[] = {
	{ "username", FT_STRING, F_REQUIRED, 1, 64, NULL, NULL, NULL },
	{ "password", FT_STRING, F_REQUIRED, 1, 256, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL },
};

/* The rules between fields that a per-field validator cannot see. */
static void check_role_fields(const char *role, const char *unit,
			      const char *atype, struct verrs *v)
{
	bool unit_role = !strcmp(role, "clerk") || !strcmp(role, "approver");

	if (unit_role && !unit)
		verrs_add(v, "/unit_id", "is required for the %s role", role);
	if (!unit_role && unit)
		verrs_add(v, "/unit_id", "is only for clerk and approver accounts");
	if (!strcmp(role, "public") && !atype)
		verrs_add(v, "/applicant_type", "is required for public accounts");
	if (strcmp(role, "public") && atype)
		verrs_add(v, "/applicant_type", "is only for public accounts");
}

/* POST /v1/accounts - createAccount: 201, 403 (staff role without an admin
 * token), 409 (username taken), 415, 422, 429 (registrations from this
 * address, Retry-After). Idempotency-Key honoured. */
void accounts_create(struct req *r)
{
	static struct db_stmt ins = { "accounts_insert",
		"INSERT INTO accounts (username, password_hash, role, unit_id,"
		" applicant_type, display_name)"
		" SELECT $1, $2, $3, $4, $5, $6"
		" WHERE $4::uuid IS NULL OR EXISTS (SELECT 1 FROM units WHERE id = $4)"
		" RETURNING " ACCOUNT_COLUMNS, 0 };
	static const char route[] = "POST /v1/accounts";
	struct verrs v = { 0 };
	char hash[PASSWORD_HASH_MAX], loc[96], etag[32];

	if (validate_object(r->json, account_fields, &v)) {
		problem_reply_errors(r, 422, "validation", "The account is invalid.", &v);
		return;
	}
	const char *role = json_member_str(r->json, "role");
	role = role ? role : "public";
	const char *unit = json_member_str(r->json, "unit_id");
	const char *atype = json_member_str(r->json, "applicant_type");
	if (strcmp(role, "public") &&
	    !(r->authed && r->claims.role == ROLE_ADMIN)) {
		problem_reply(r, 403, "forbidden",
			      "Only an administrator may create staff accounts.");
		return;
	}
	check_role_fields(role, unit, atype, &v);
	if (v.n) {
		problem_reply_errors(r, 422, "validation", "The account is invalid.", &v);
		return;
	}
	/* Hash before the transaction: argon2 is slow on purpose, locks are not. */
	if (password_hash(json_member_str(r->json, "password"), hash, sizeof hash)) {
		problem_reply(r, 500, "internal", "The password could not be stored.");
		return;
	}
	if (idem_begin(r, route) == IDEM_ANSWERED || quota_take_or_reply(r, QUOTA_REGISTRATION))
		return;
	const char *p[] = { json_member_str(r->json, "username"), hash, role, unit, atype,
			    json_member_str(r->json, "display_name") };
	PGresult *res = db_exec(r->db, &ins, 6, p);
	if (!res) {
		if (!strcmp(r->db->sqlstate, SQLSTATE_UNIQUE)) {
			db_rollback(r->db);
			problem_reply(r, 409, "conflict", "This username is taken.");
		} else {
			db_error_reply(r);
		}
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		db_rollback(r->db);
		verrs_add(&v, "/unit_id", "names no unit");
		problem_reply_errors(r, 422, "validation", "The account is invalid.", &v);
		return;
	}
	const char *id = db_get(res, 0, "id");
	snprintf(loc, sizeof loc, "/v1/accounts/%s", id);
	snprintf(etag, sizeof etag, "\"%s\"", db_get(res, 0, "_version"));
	json_t *detail = json_pack("{s:s, s:s}", "username", p[0], "role", role);
	int rc = audit_append_or_reply(r, "account.create", "account", id, detail);
	json_decref(detail);
	if (rc) {
		PQclear(res);
		return;
	}
	http_row(r, 201, res, 0);
	PQclear(res);
	if (idem_store_or_reply(r, route, loc, etag) || db_commit_or_reply(r))
		return;
	http_header(r, "Location", "%s", loc);
	http_header(r, "ETag", "%s", etag);
}

/* GET /v1/accounts/{id} - getAccount: 200, 304, 401, 404. Admins and
 * supervisors read any account; everyone else only their own. */
void accounts_get(struct req *r)
{
	static struct db_stmt st = { "accounts_get",
		"SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE id = $1", 0 };
	const char *id = r->path_params[0];
	char etag[32];

	bool may = r->claims.role == ROLE_ADMIN || r->claims.role == ROLE_SUPERVISOR ||
		   !strcmp(r->claims.sub, id);
	if (!uuid_valid(id) || !may) {
		problem_reply(r, 404, "not-found", "There is no such account.");
		return;
	}
	const char *p[] = { id };
	PGresult *res = db_exec_or_reply(r, &st, 1, p);
	if (!res)
		return;
	if (PQntuples(res) != 1) {
		PQclear(res);
		problem_reply(r, 404, "not-found", "There is no such account.");
		return;
	}
	snprintf(etag, sizeof etag, "\"%s\"", db_get(res, 0, "_version"));
	if (!http_not_modified(r, etag))
		http_row(r, 200, res, 0);
	PQclear(res);
}

/* GET /v1/me - getMe: 200, 401. What the token says, with the account's
 * name when the token belongs to an account. */
void accounts_me(struct req *r)
{
	static struct db_stmt st = { "accounts_me",
		"SELECT username, display_name FROM accounts WHERE id = $1", 0 };
	const struct claims *c = &r->claims;
	const char *username = NULL, *display = NULL;
	PGresult *res = NULL;
	char exp[32];
	time_t t = (time_t)c->exp;
	struct tm tm;

	if (uuid_valid(c->sub)) {
		const char *p[] = { c->sub };
		res = db_exec_or_reply(r, &st, 1, p);
		if (!res)
			return;
		username = db_get(res, 0, "username");
		display = db_get(res, 0, "display_name");
	}
	gmtime_r(&t, &tm);
	strftime(exp, sizeof exp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *o = json_object();
	json_object_set_new(o, "sub", json_string(c->sub));
	json_object_set_new(o, "role", json_string(auth_role_name(c->role)));
	json_object_set_new(o, "unit_id", c->unit[0] ? json_string(c->unit) : json_null());
	json_object_set_new(o, "applicant_type",
			    c->applicant_type[0] ? json_string(c->applicant_type) : json_null());
	json_object_set_new(o, "username", username ? json_string(username) : json_null());
	json_object_set_new(o, "display_name", display ? json_string(display) : json_null());
	json_object_set_new(o, "expires_at", json_string(exp));
	PQclear(res);
	http_json(r, 200, o);
}

/* A hash to verify against when the username is unknown, so that the
 * answer takes as long as for a known one. */
static const char *dummy_hash(void)
{
	static char hash[PASSWORD_HASH_MAX];

	if (!hash[0] && password_hash("opengov-timing-equaliser", hash, sizeof hash))
		hash[0] = '\0';
	return hash;
}

static void login_failed(struct req *r, const char *id)
{
	static struct db_stmt fail = { "auth_fail",
		"UPDATE accounts SET failed_logins = failed_logins + 1,"
		" locked_until = CASE WHEN failed_logins + 1 >= $2::int"
		" THEN now() + least(900, 60 * power(2, failed_logins + 1 - $2::int))"
		" * interval '1 second' END"
		" WHERE id = $1", 0 };
	if (id) {
		char allowed[16];
		snprintf(allowed, sizeof allowed, "%d", LOGIN_FAILURES_ALLOWED);
		const char *p[] = { id, allowed };
		if (db_begin_or_reply(r))
			return;
		PGresult *res = db_exec_or_reply(r, &fail, 2, p);
		if (!res)
			return;
		PQclear(res);
		if (audit_append_or_reply(r, "auth.login_failed", "account", id, NULL) ||
		    db_commit_or_reply(r))
			return;
	}
	problem_reply(r, 401, "unauthorized", "The username or password is wrong.");
}

/* POST /v1/auth/token - createToken: 200, 401 (bad credentials), 415,
 * 422, 429 (too many failures for this account; Retry-After). */
void auth_token(struct req *r)
{
	static struct db_stmt find = { "auth_find",
		"SELECT id, password_hash, role, unit_id, applicant_type, failed_logins,"
		" ceil(extract(epoch FROM locked_until - now()))::int AS retry_after"
		" FROM accounts WHERE username = $1", 0 };
	static struct db_stmt ok = { "auth_ok",
		"UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = $1", 0 };
	struct verrs v = { 0 };

	if (validate_object(r->json, token_fields, &v)) {
		problem_reply_errors(r, 422, "validation", "The credentials are malformed.", &v);
		return;
	}
	if (!r->cfg->auth.sign_key) {
		problem_reply(r, 503, "service-unavailable",
			      "This server verifies tokens from an identity provider and issues none.");
		return;
	}
	const char *p[] = { json_member_str(r->json, "username") };
	PGresult *res = db_exec_or_reply(r, &find, 1, p);
	if (!res)
		return;
	if (PQntuples(res) != 1) {
		PQclear(res);
		password_verify(dummy_hash(), json_member_str(r->json, "password"));
		login_failed(r, NULL);
		return;
	}
	long long retry = db_get_ll(res, 0, "retry_after");
	if (retry > 0) {
		PQclear(res);
		http_header(r, "Retry-After", "%lld", retry);
		problem_reply(r, 429, "too-many-requests",
			      "Too many failed logins for this account; wait and retry.");
		return;
	}
	char id[64];
	snprintf(id, sizeof id, "%s", db_get(res, 0, "id"));
	if (password_verify(db_get(res, 0, "password_hash"),
			    json_member_str(r->json, "password")) != 1) {
		PQclear(res);
		login_failed(r, id);
		return;
	}
	struct claims c = { 0 };
	snprintf(c.sub, sizeof c.sub, "%s", id);
	c.role = (enum auth_role)auth_role_parse(db_get(res, 0, "role"));
	const char *unit = db_get(res, 0, "unit_id");
	const char *atype = db_get(res, 0, "applicant_type");
	snprintf(c.unit, sizeof c.unit, "%s", unit ? unit : "");
	snprintf(c.applicant_type, sizeof c.applicant_type, "%s", atype ? atype : "");
	bool had_failures = db_get_ll(res, 0, "failed_logins") > 0;
	PQclear(res);

	if (db_begin_or_reply(r))
		return;
	if (had_failures) {
		const char *p2[] = { id };
		res = db_exec_or_reply(r, &ok, 1, p2);
		if (!res)
			return;
		PQclear(res);
	}
	if (audit_append_or_reply(r, "auth.login", "account", id, NULL) ||
	    db_commit_or_reply(r))
		return;
	char *tok = auth_issue(&r->cfg->auth, &c, r->cfg->auth.ttl, time(NULL));
	if (!tok) {
		problem_reply(r, 500, "internal", "The token could not be issued.");
		return;
	}
	http_header(r, "Cache-Control", "no-store");
	http_json(r, 200, json_pack("{s:s, s:s, s:I}", "access_token", tok,
				    "token_type", "Bearer", "expires_in",
				    (json_int_t)r->cfg->auth.ttl));
	free(tok);
}
