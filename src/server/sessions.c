/* sessions.c - the account check of every authenticated request (cached per
 * worker, see accountcache.h), sessions and their refresh tokens, and the
 * login throttle. SQL through db.c, answers through reply.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "opengov/server/listener.h"
#include "opengov/base/accountcache.h"
#include "opengov/base/base64url.h"
#include "opengov/base/config.h"
#include "opengov/server/router.h"
#include "opengov/server/sessions.h"

static int refused(struct req *r, const char *detail)
{
	problem_reply(r, 401, "unauthorized", detail);
	return -1;
}

int session_check_or_reply(struct req *r)
{
	DB_STMT(st, "session_state",
		"SELECT a.status = 'active' AS active, a.token_version,"
		" $2::uuid IS NULL OR EXISTS (SELECT 1 FROM account_sessions s"
		"  WHERE s.id = $2::uuid AND s.account_id = a.id AND s.revoked_at IS NULL) AS live"
		" FROM accounts a WHERE a.id = $1::uuid");
	const struct claims *c = &r->claims;
	struct account_state s = { 0 };

	if (!uuid_valid(c->sub)) /* another issuer's subject: no account of ours */
		return c->sid[0] ? refused(r, "The token was refused: its session has ended.") : 0;
	if (r->route && (r->route->flags & RT_NODB))
		return 0;
	/* While the host's listener is not listening, nothing cached can be
	 * trusted (changes may go unheard): listener.h. */
	uint64_t gen = listener_hearing() ? accountcache_generation() : 0;
	if (!gen || !accountcache_get(c->sub, c->sid, &s)) {
		const char *p[] = { c->sub, c->sid[0] ? c->sid : NULL };
		PGresult *res = db_exec_or_reply(r, &st, 2, p);
		if (!res)
			return -1;
		s.exists = PQntuples(res) == 1;
		if (s.exists) {
			s.active = !strcmp(db_get(res, 0, "active"), "t");
			s.version = db_get_ll(res, 0, "token_version");
			s.session_live = !strcmp(db_get(res, 0, "live"), "t");
		}
		PQclear(res);
		if (gen)
			accountcache_put(c->sub, c->sid, gen, &s);
	}
	if (!s.exists)
		return c->sid[0] ? refused(r, "The token was refused: its session has ended.") : 0;
	if (!s.active)
		return refused(r, "The token was refused: the account is disabled.");
	if ((c->ver ? c->ver : 1) != s.version)
		return refused(r, "The token was refused: it was revoked (the account's password,"
			       " role or status changed); log in again.");
	if (c->sid[0] && !s.session_live)
		return refused(r, "The token was refused: its session has ended.");
	return 0;
}

static const char *client_address(const struct req *r)
{
	return r->remote_addr && *r->remote_addr ? r->remote_addr : "unknown";
}

int login_throttle_or_reply(struct req *r, const char *username)
{
	DB_STMT(st, "login_throttle",
		"INSERT INTO login_throttle AS t (key, window_start, attempts)"
		" VALUES ('addr ' || $1::text, now(), 1),"
		"  ('addr+user ' || $1::text || ' ' || $2::text, now(), 1)"
		" ON CONFLICT (key) DO UPDATE SET"
		"  attempts = CASE WHEN t.window_start <= now() - $3::int * interval '1 second'"
		"   THEN 1 ELSE t.attempts + 1 END,"
		"  window_start = CASE WHEN t.window_start <= now() - $3::int * interval '1 second'"
		"   THEN now() ELSE t.window_start END"
		" RETURNING t.key LIKE 'addr+user %' AS per_user, t.attempts,"
		"  greatest(1, ceil(extract(epoch FROM t.window_start"
		"   + $3::int * interval '1 second' - now())))::int AS retry_after");
	char window[16];
	long long retry = 0;

	snprintf(window, sizeof window, "%d", LOGIN_WINDOW);
	const char *p[] = { client_address(r), username, window };
	PGresult *res = db_exec_or_reply(r, &st, 3, p);
	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		bool per_user = !strcmp(db_get(res, i, "per_user"), "t");
		long long n = db_get_ll(res, i, "attempts");
		long long after = db_get_ll(res, i, "retry_after");
		if (n > (per_user ? LOGIN_PER_ACCOUNT : LOGIN_PER_ADDRESS) && after > retry)
			retry = after;
	}
	PQclear(res);
	if (!retry)
		return 0;
	http_header(r, "Retry-After", "%lld", retry);
	problem_reply(r, 429, "too-many-requests",
		      "Too many login attempts from this address; wait and retry.");
	return -1;
}

int login_throttle_refund_or_reply(struct req *r, const char *username)
{
	DB_STMT(st, "login_throttle_refund",
		"UPDATE login_throttle SET attempts = CASE WHEN key LIKE 'addr+user %' THEN 0"
		" ELSE greatest(attempts - 1, 0) END"
		" WHERE key IN ('addr ' || $1::text, 'addr+user ' || $1::text || ' ' || $2::text)");
	const char *p[] = { client_address(r), username };
	PGresult *res = db_exec_or_reply(r, &st, 2, p);

	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

void refresh_token_hash(const char *token, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(token, strlen(token), md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static int refresh_new(char *out)
{
	unsigned char rnd[32];

	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return -1;
	b64url_encode(rnd, sizeof rnd, out);
	return 0;
}

int session_open_or_reply(struct req *r, const char *account, char sid[37], char *refresh,
			  long long *expires_in)
{
	DB_STMT(st, "session_open",
		"WITH s AS (INSERT INTO account_sessions (account_id, expires_at)"
		"  VALUES ($1, now() + $2::int * interval '1 second') RETURNING id, expires_at)"
		" INSERT INTO refresh_tokens (token_hash, session_id, account_id, expires_at)"
		" SELECT decode($3, 'hex'), s.id, $1, s.expires_at FROM s RETURNING session_id,"
		" ceil(extract(epoch FROM expires_at - now()))::bigint AS expires_in");
	char ttl[24], hash[65];

	if (refresh_new(refresh)) {
		problem_reply(r, 500, "internal", "The session could not be opened.");
		return -1;
	}
	refresh_token_hash(refresh, hash);
	snprintf(ttl, sizeof ttl, "%ld", r->cfg->auth.refresh_ttl);
	const char *p[] = { account, ttl, hash };
	PGresult *res = db_exec_or_reply(r, &st, 3, p);
	if (!res)
		return -1;
	snprintf(sid, 37, "%s", db_get(res, 0, "session_id"));
	*expires_in = db_get_ll(res, 0, "expires_in");
	PQclear(res);
	return 0;
}

int session_refresh_store_or_reply(struct req *r, const char *account, const char *sid,
				   char *refresh, long long *expires_in)
{
	DB_STMT(st, "session_refresh_store",
		"INSERT INTO refresh_tokens (token_hash, session_id, account_id, expires_at)"
		" SELECT decode($3, 'hex'), s.id, s.account_id, s.expires_at"
		" FROM account_sessions s WHERE s.id = $1 AND s.account_id = $2"
		" RETURNING ceil(extract(epoch FROM expires_at - now()))::bigint AS expires_in");
	char hash[65];

	if (refresh_new(refresh)) {
		problem_reply(r, 500, "internal", "The session could not be renewed.");
		return -1;
	}
	refresh_token_hash(refresh, hash);
	const char *p[] = { sid, account, hash };
	PGresult *res = db_exec_or_reply(r, &st, 3, p);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		db_rollback(r->db);
		problem_reply(r, 401, "unauthorized", "The refresh token is not valid.");
		return -1;
	}
	*expires_in = db_get_ll(res, 0, "expires_in");
	PQclear(res);
	return 0;
}

void token_pair_reply(struct req *r, const struct claims *c, const char *refresh,
		      long long refresh_expires_in)
{
	const struct auth_config *a = &r->cfg->auth;
	long ttl = a->ttl < a->max_lifetime ? a->ttl : a->max_lifetime;
	char *tok = auth_issue(a, c, ttl, time(NULL));

	if (!tok) {
		problem_reply(r, 500, "internal", "The token could not be issued.");
		return;
	}
	http_header(r, "Cache-Control", "no-store");
	http_json(r, 200, json_pack("{s:s, s:s, s:I, s:s, s:I}", "access_token", tok,
				    "token_type", "Bearer", "expires_in", (json_int_t)ttl,
				    "refresh_token", refresh, "refresh_expires_in",
				    (json_int_t)refresh_expires_in));
	free(tok);
}
