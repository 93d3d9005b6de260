/* accounts.c - self-registration and staff accounts, disabling them, the
 * token endpoints (argon2id, throttled per address and per (address,
 * username); sessions with rotating refresh tokens), /me and its password.
 * operationIds createAccount, getAccount, disableAccount, enableAccount,
 * createToken, refreshToken, logout, getMe, changeMyPassword. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opengov/server/quota.h"
#include "opengov/api/handlers.h"
#include "opengov/api/common.h"
#include "opengov/db/jsonw.h"
#include "opengov/base/config.h"
#include "opengov/server/idempotency.h"
#include "opengov/server/sessions.h"
#include "opengov/base/msg.h"

static const char *const roles[] = { "public", "clerk", "approver",
				     "supervisor", "admin", NULL };
static const char *const applicant_types[] = { "natural_person", "company",
					       "research_body", "ngo",
					       "legal_service", "other", NULL };

#define ACCOUNT_COLUMNS \
	"id, username, role, unit_id, applicant_type, display_name," \
	" status, rfc3339(created_at) AS created_at, version AS _version"

static const char *check_username(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return N_("must start with a lower-case letter or digit");
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      strchr("._-", *s)))
			return N_("may hold only lower-case letters, digits, '.', '_' and '-'");
	return NULL;
}

static const struct field account_fields[] = {
	{ "username", FT_STRING, F_REQUIRED, 3, 64, NULL, check_username, NULL },
	{ "password", FT_STRING, F_REQUIRED, PASSWORD_MIN, 256, NULL, password_policy_check, NULL },
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
void api_accounts_create(struct req *r)
{
	DB_STMT(ins, "accounts_insert",
		"INSERT INTO accounts (username, password_hash, role, unit_id,"
		" applicant_type, display_name)"
		" SELECT $1, $2, $3, $4, $5, $6"
		" WHERE $4::uuid IS NULL OR EXISTS (SELECT 1 FROM units WHERE id = $4)"
		" RETURNING " ACCOUNT_COLUMNS);
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
	if (common_audit_or_reply(r, "account.create", "account", id, detail)) {
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
void api_accounts_get(struct req *r)
{
	DB_STMT(st, "accounts_get",
		"SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE id = $1");
	const char *id = r->path_params[0];
	char etag[32];

	bool may = r->claims.role == ROLE_ADMIN || r->claims.role == ROLE_SUPERVISOR ||
		   !strcmp(r->claims.sub, id);
	if (!uuid_valid(id) || !may) {
		problem_reply(r, 404, "not-found", "There is no such account.");
		return;
	}
	const char *p[] = { id };
	PGresult *res = common_row_or_reply(r, &st, 1, p, "There is no such account.");
	if (!res)
		return;
	snprintf(etag, sizeof etag, "\"%s\"", db_get(res, 0, "_version"));
	if (!http_not_modified(r, etag))
		http_row(r, 200, res, 0);
	PQclear(res);
}

/* GET /v1/me - getMe: 200, 401. What the token says, with the account's
 * name when the token belongs to an account. */
void api_accounts_me(struct req *r)
{
	DB_STMT(st, "accounts_me",
		"SELECT username, display_name FROM accounts WHERE id = $1");
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

static void login_refused(struct req *r)
{
	problem_reply(r, 401, "unauthorized", "The username or password is wrong.");
}

/* A failed login of a known account is audited; the count against the
 * address was taken before the password was checked. */
static void login_failed(struct req *r, const char *id)
{
	if (id && (db_begin_or_reply(r) ||
		   audit_append_or_reply(r, "auth.login_failed", "account", id, NULL) ||
		   db_commit_or_reply(r)))
		return;
	login_refused(r);
}

static void claims_of_row(struct claims *c, const PGresult *res, const char *id)
{
	const char *unit = db_get(res, 0, "unit_id");
	const char *atype = db_get(res, 0, "applicant_type");

	memset(c, 0, sizeof *c);
	snprintf(c->sub, sizeof c->sub, "%s", id);
	c->role = (enum auth_role)auth_role_parse(db_get(res, 0, "role"));
	snprintf(c->unit, sizeof c->unit, "%s", unit ? unit : "");
	snprintf(c->applicant_type, sizeof c->applicant_type, "%s", atype ? atype : "");
	c->ver = db_get_ll(res, 0, "token_version");
}

/* POST /v1/auth/token - createToken: 200, 401 (bad credentials, or a
 * disabled account with the right password), 415, 422, 429 (too many
 * attempts from this address, or from it at this username; Retry-After).
 * Unknown usernames are counted and answered exactly as known ones. */
void api_accounts_token(struct req *r)
{
	DB_STMT(find, "auth_find",
		"SELECT id, password_hash, role, unit_id, applicant_type, status, token_version"
		" FROM accounts WHERE username = $1");
	struct verrs v = { 0 };
	char id[64], sid[37], refresh[REFRESH_TOKEN_BUF];
	long long refresh_in = 0;
	struct claims c;

	if (validate_object(r->json, token_fields, &v)) {
		problem_reply_errors(r, 422, "validation", "The credentials are malformed.", &v);
		return;
	}
	if (!r->cfg->auth.sign_key) {
		problem_reply(r, 503, "service-unavailable",
			      "This server verifies tokens from an identity provider and issues none.");
		return;
	}
	const char *username = json_member_str(r->json, "username");
	const char *password = json_member_str(r->json, "password");
	if (login_throttle_or_reply(r, username))
		return;
	const char *p[] = { username };
	PGresult *res = db_exec_or_reply(r, &find, 1, p);
	if (!res)
		return;
	if (PQntuples(res) != 1) {
		PQclear(res);
		password_verify(dummy_hash(), password);
		login_failed(r, NULL);
		return;
	}
	snprintf(id, sizeof id, "%s", db_get(res, 0, "id"));
	if (password_verify(db_get(res, 0, "password_hash"), password) != 1) {
		PQclear(res);
		login_failed(r, id);
		return;
	}
	bool active = !strcmp(db_get(res, 0, "status"), "active");
	claims_of_row(&c, res, id);
	PQclear(res);
	if (!active) {
		problem_reply(r, 401, "unauthorized", "This account is disabled.");
		return;
	}

	if (db_begin_or_reply(r) || login_throttle_refund_or_reply(r, username) ||
	    session_open_or_reply(r, id, sid, refresh, &refresh_in))
		return;
	json_t *detail = json_pack("{s:s}", "session_id", sid);
	if (common_audit_commit_or_reply(r, "auth.login", "account", id, detail))
		return;
	snprintf(c.sid, sizeof c.sid, "%s", sid);
	token_pair_reply(r, &c, refresh, refresh_in);
}

static const struct field refresh_fields[] = {
	{ "refresh_token", FT_STRING, F_REQUIRED, 1, 256, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL },
};

/* POST /v1/auth/refresh - refreshToken: 200, 401 (unknown, expired or spent
 * refresh token, ended session, disabled account), 415, 422. One use: the
 * answer carries the next refresh token; a spent one presented again ends
 * the whole session (it was copied). */
void api_accounts_refresh(struct req *r)
{
	DB_STMT(find, "auth_refresh_find",
		"SELECT t.session_id, t.account_id, t.used_at IS NOT NULL AS spent,"
		" t.expires_at > now() AND s.revoked_at IS NULL AS live,"
		" a.status, a.token_version, a.role, a.unit_id, a.applicant_type"
		" FROM refresh_tokens t JOIN account_sessions s ON s.id = t.session_id"
		" JOIN accounts a ON a.id = t.account_id"
		" WHERE t.token_hash = decode($1, 'hex') FOR UPDATE OF t");
	DB_STMT(spend, "auth_refresh_spend",
		"UPDATE refresh_tokens SET used_at = now() WHERE token_hash = decode($1, 'hex')");
	DB_STMT(revoke, "auth_refresh_revoke",
		"UPDATE account_sessions SET revoked_at = now(), revoked_reason = 'refresh_reuse'"
		" WHERE id = $1 AND revoked_at IS NULL");
	struct verrs v = { 0 };
	char hash[65], sid[37], account[37], refresh[REFRESH_TOKEN_BUF];
	long long refresh_in = 0;
	struct claims c;

	if (validate_object(r->json, refresh_fields, &v)) {
		problem_reply_errors(r, 422, "validation", "The refresh request is malformed.", &v);
		return;
	}
	if (!r->cfg->auth.sign_key) {
		problem_reply(r, 503, "service-unavailable",
			      "This server verifies tokens from an identity provider and issues none.");
		return;
	}
	refresh_token_hash(json_member_str(r->json, "refresh_token"), hash);
	const char *p[] = { hash };
	if (db_begin_or_reply(r))
		return;
	PGresult *res = db_exec_or_reply(r, &find, 1, p);
	if (!res)
		return;
	if (PQntuples(res) != 1) {
		PQclear(res);
		db_rollback(r->db);
		problem_reply(r, 401, "unauthorized", "The refresh token is not valid.");
		return;
	}
	snprintf(sid, sizeof sid, "%s", db_get(res, 0, "session_id"));
	snprintf(account, sizeof account, "%s", db_get(res, 0, "account_id"));
	bool spent = !strcmp(db_get(res, 0, "spent"), "t");
	bool live = !strcmp(db_get(res, 0, "live"), "t");
	bool active = !strcmp(db_get(res, 0, "status"), "active");
	claims_of_row(&c, res, account);
	PQclear(res);
	if (spent && live) {
		/* Theft detection: whoever holds the family now loses it. */
		const char *p2[] = { sid };
		res = db_exec_or_reply(r, &revoke, 1, p2);
		if (!res)
			return;
		PQclear(res);
		json_t *detail = json_pack("{s:s, s:s}", "session_id", sid, "reason",
					   "refresh_reuse");
		if (common_audit_commit_or_reply(r, "auth.session_revoked", "account", account,
						 detail))
			return;
		problem_reply(r, 401, "unauthorized",
			      "The refresh token was already used; the session has been ended.");
		return;
	}
	if (spent || !live || !active) {
		db_rollback(r->db);
		problem_reply(r, 401, "unauthorized",
			      active ? "The refresh token is not valid." : "This account is disabled.");
		return;
	}
	res = db_exec_or_reply(r, &spend, 1, p);
	if (!res)
		return;
	PQclear(res);
	if (session_refresh_store_or_reply(r, account, sid, refresh, &refresh_in))
		return;
	json_t *detail = json_pack("{s:s}", "session_id", sid);
	if (common_audit_commit_or_reply(r, "auth.refresh", "account", account, detail))
		return;
	snprintf(c.sid, sizeof c.sid, "%s", sid);
	token_pair_reply(r, &c, refresh, refresh_in);
}

/* POST /v1/auth/logout - logout: 200, 401, 409 (the token names no session:
 * minted with `opengov token` or by another issuer). Ends the token's
 * session: its refresh tokens and its access tokens are refused from now. */
void api_accounts_logout(struct req *r)
{
	DB_STMT(end, "auth_logout",
		"UPDATE account_sessions SET revoked_at = now(), revoked_reason = 'logout'"
		" WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL");

	if (!r->claims.sid[0]) {
		problem_reply(r, 409, "conflict",
			      "This token belongs to no session; it ends when it expires.");
		return;
	}
	const char *p[] = { r->claims.sid, r->claims.sub };
	if (db_begin_or_reply(r))
		return;
	PGresult *res = db_exec_or_reply(r, &end, 2, p);
	if (!res)
		return;
	PQclear(res);
	json_t *detail = json_pack("{s:s}", "session_id", r->claims.sid);
	if (common_audit_commit_or_reply(r, "auth.logout", "account", r->claims.sub, detail))
		return;
	http_header(r, "Cache-Control", "no-store");
	http_json(r, 200, json_pack("{s:s, s:s}", "session_id", r->claims.sid, "status", "ended"));
}

static const struct field password_fields[] = {
	{ "current_password", FT_STRING, F_REQUIRED, 1, 256, NULL, NULL, NULL },
	{ "new_password", FT_STRING, F_REQUIRED, PASSWORD_MIN, 256, NULL, password_policy_check,
	  NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL },
};

/* POST /v1/me/password - changeMyPassword: 200 (a new token pair), 401,
 * 403 (the current password is wrong), 404 (the token names no account),
 * 415, 422 (the new password breaks a rule), 429. Every session of the
 * account ends, this one included: the answer is the new session. */
void api_accounts_change_password(struct req *r)
{
	DB_STMT(find, "me_password_find",
		"SELECT username, password_hash, role, unit_id, applicant_type, status, token_version"
		" FROM accounts WHERE id = $1");
	DB_STMT(set, "me_password_set",
		"UPDATE accounts SET password_hash = $2, token_version = token_version + 1,"
		" version = version + 1, updated_at = now() WHERE id = $1 AND status = 'active'"
		" RETURNING token_version");
	DB_STMT(end, "me_password_sessions",
		"UPDATE account_sessions SET revoked_at = now(), revoked_reason = 'password_change'"
		" WHERE account_id = $1 AND revoked_at IS NULL");
	struct verrs v = { 0 };
	char hash[PASSWORD_HASH_MAX], username[80], sid[37], refresh[REFRESH_TOKEN_BUF];
	long long refresh_in = 0;
	struct claims c;

	if (validate_object(r->json, password_fields, &v)) {
		problem_reply_errors(r, 422, "validation", "The new password is not acceptable.", &v);
		return;
	}
	if (!uuid_valid(r->claims.sub)) {
		problem_reply(r, 404, "not-found", "This token names no account.");
		return;
	}
	const char *p[] = { r->claims.sub };
	PGresult *res = common_row_or_reply(r, &find, 1, p, "This token names no account.");
	if (!res)
		return;
	snprintf(username, sizeof username, "%s", db_get(res, 0, "username"));
	char stored[PASSWORD_HASH_MAX];
	snprintf(stored, sizeof stored, "%s", db_get(res, 0, "password_hash"));
	claims_of_row(&c, res, r->claims.sub);
	PQclear(res);
	/* Guesses of the current password count like logins. */
	if (login_throttle_or_reply(r, username))
		return;
	if (password_verify(stored, json_member_str(r->json, "current_password")) != 1) {
		problem_reply(r, 403, "forbidden", "The current password is wrong.");
		return;
	}
	if (password_hash(json_member_str(r->json, "new_password"), hash, sizeof hash)) {
		problem_reply(r, 500, "internal", "The password could not be stored.");
		return;
	}
	const char *p2[] = { r->claims.sub, hash };
	if (db_begin_or_reply(r))
		return;
	res = db_exec_or_reply(r, &set, 2, p2);
	if (!res)
		return;
	if (PQntuples(res) != 1) {
		PQclear(res);
		db_rollback(r->db);
		problem_reply(r, 401, "unauthorized", "The token was refused: the account is disabled.");
		return;
	}
	c.ver = db_get_ll(res, 0, "token_version");
	PQclear(res);
	res = db_exec_or_reply(r, &end, 1, p);
	if (!res)
		return;
	PQclear(res);
	if (login_throttle_refund_or_reply(r, username) ||
	    session_open_or_reply(r, r->claims.sub, sid, refresh, &refresh_in) ||
	    audit_append_or_reply(r, "account.password_change", "account", r->claims.sub, NULL) ||
	    db_commit_or_reply(r))
		return;
	snprintf(c.sid, sizeof c.sid, "%s", sid);
	token_pair_reply(r, &c, refresh, refresh_in);
}

/* Sets an account's status; disabling also ends its tokens and sessions. */
static void account_set_status(struct req *r, bool enable)
{
	DB_STMT(disable, "accounts_disable",
		"UPDATE accounts SET status = 'disabled', token_version = token_version + 1,"
		" version = version + 1, updated_at = now() WHERE id = $1 AND status = 'active'"
		" RETURNING " ACCOUNT_COLUMNS);
	DB_STMT(enable_st, "accounts_enable",
		"UPDATE accounts SET status = 'active', version = version + 1, updated_at = now()"
		" WHERE id = $1 AND status = 'disabled' RETURNING " ACCOUNT_COLUMNS);
	DB_STMT(current, "accounts_status_get",
		"SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE id = $1");
	DB_STMT(end, "accounts_disable_sessions",
		"UPDATE account_sessions SET revoked_at = now(), revoked_reason = 'disabled'"
		" WHERE account_id = $1 AND revoked_at IS NULL");
	const char *id = r->path_params[0];
	char etag[32];

	if (!uuid_valid(id)) {
		problem_reply(r, 404, "not-found", "There is no such account.");
		return;
	}
	if (!enable && !strcmp(id, r->claims.sub)) {
		problem_reply(r, 409, "conflict", "An administrator may not disable their own account.");
		return;
	}
	const char *p[] = { id };
	if (db_begin_or_reply(r))
		return;
	PGresult *res = db_exec_or_reply(r, enable ? &enable_st : &disable, 1, p);
	if (!res)
		return;
	if (PQntuples(res) != 1) {
		/* Already so (200, nothing written) or no such account (404). */
		PQclear(res);
		db_rollback(r->db);
		res = db_exec_or_reply(r, &current, 1, p);
		if (!res)
			return;
		if (PQntuples(res) != 1) {
			problem_reply(r, 404, "not-found", "There is no such account.");
		} else {
			snprintf(etag, sizeof etag, "\"%s\"", db_get(res, 0, "_version"));
			http_row(r, 200, res, 0);
			http_header(r, "ETag", "%s", etag);
		}
		PQclear(res);
		return;
	}
	if (!enable) {
		PGresult *e = db_exec_or_reply(r, &end, 1, p);
		if (!e) {
			PQclear(res);
			return;
		}
		PQclear(e);
	}
	snprintf(etag, sizeof etag, "\"%s\"", db_get(res, 0, "_version"));
	if (audit_append_or_reply(r, enable ? "account.enable" : "account.disable", "account", id,
				  NULL)) {
		PQclear(res);
		return;
	}
	http_row(r, 200, res, 0);
	PQclear(res);
	if (db_commit_or_reply(r))
		return;
	http_header(r, "ETag", "%s", etag);
}

/* POST /v1/accounts/{id}/disable - disableAccount: 200, 401, 403, 404, 409
 * (one's own account). Ends the account's tokens and sessions at once. */
void api_accounts_disable(struct req *r)
{
	account_set_status(r, false);
}

/* POST /v1/accounts/{id}/enable - enableAccount: 200, 401, 403, 404. The
 * account logs in again; its old tokens stay refused. */
void api_accounts_enable(struct req *r)
{
	account_set_status(r, true);
}
