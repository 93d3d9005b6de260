/* idempotency.c - Idempotency-Key storage. The key row is inserted in the
 * writer's transaction: a concurrent request with the same key waits on it
 * and then sees the stored answer, so a key creates at most once. A key is
 * scoped by its caller: the token's subject, or for an anonymous caller a
 * fingerprint of the source address and User-Agent, so that two anonymous
 * clients never see each other's answers. */
#include <string.h>
#include <openssl/evp.h>

#include "opengov/server/idempotency.h"

static void body_hash(const struct req *r, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(r->body ? r->body : "", r->body_len, md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The scope a key lives in: "anonymous:" and 32 hex digits of the SHA-256
 * of the address and the User-Agent for an anonymous caller. */
static const char *key_scope(const struct req *r, char out[64])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	const char *ua = r->fcgi ? FCGX_GetParam("HTTP_USER_AGENT", r->fcgi->envp) : NULL;
	EVP_MD_CTX *ctx;

	if (r->authed)
		return req_actor(r);
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, r->remote_addr ? r->remote_addr : "", r->remote_addr ?
			      strlen(r->remote_addr) + 1 : 1) ||
	    !EVP_DigestUpdate(ctx, ua ? ua : "", ua ? strlen(ua) : 0) ||
	    !EVP_DigestFinal_ex(ctx, md, &n))
		n = 0;
	EVP_MD_CTX_free(ctx);
	memcpy(out, "anonymous:", 10);
	for (unsigned i = 0; i < 16; i++)
		snprintf(out + 10 + 2 * i, 3, "%02x", i < n ? md[i] : 0);
	return out;
}

static bool key_valid(const char *k)
{
	size_t n = strlen(k);

	if (n < 1 || n > 200)
		return false;
	for (; *k; k++)
		if (*k < 0x21 || *k > 0x7e)
			return false;
	return true;
}

/* 422 on the Idempotency-Key header: the key is unusable (why). */
static enum idem_result key_invalid_reply(struct req *r, const char *detail, const char *why)
{
	struct verrs v = { 0 };

	verrs_add(&v, "/headers/Idempotency-Key", "%s", why);
	problem_reply_errors(r, 422, "validation", detail, &v);
	return IDEM_ANSWERED;
}

enum idem_result idem_begin(struct req *r, const char *route)
{
	DB_STMT(claim, "idem_claim",
		"INSERT INTO idempotency_keys (scope, route, key, body_hash)"
		" VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1");
	DB_STMT(stored, "idem_stored",
		"SELECT body_hash, status, location, etag, response, lang"
		" FROM idempotency_keys WHERE scope = $1 AND route = $2 AND key = $3");
	char hash[65], scope[64];

	if (r->idempotency_key && !key_valid(r->idempotency_key))
		return key_invalid_reply(r, "The Idempotency-Key header is invalid.",
					 "must be 1 to 200 visible ASCII characters");
	if (db_begin_or_reply(r))
		return IDEM_ANSWERED;
	if (!r->idempotency_key)
		return IDEM_PROCEED;

	body_hash(r, hash);
	const char *p[] = { key_scope(r, scope), route, r->idempotency_key, hash };
	PGresult *res = db_exec_or_reply(r, &claim, 4, p);
	if (!res)
		return IDEM_ANSWERED;
	int claimed = PQntuples(res) == 1;
	PQclear(res);
	if (claimed)
		return IDEM_PROCEED;

	res = db_exec_or_reply(r, &stored, 3, p);
	if (!res)
		return IDEM_ANSWERED;
	db_rollback(r->db);
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 1)) {
		PQclear(res);
		problem_reply(r, 409, "conflict",
			      "A request with this Idempotency-Key is still in progress.");
		return IDEM_ANSWERED;
	}
	if (strcmp(db_get(res, 0, "body_hash"), hash)) {
		PQclear(res);
		return key_invalid_reply(r, "This Idempotency-Key was used for another request.",
					 "was already used with a different body");
	}
	/* The stored answer is replayed as it was, in its own language. */
	const char *lang = db_get(res, 0, "lang");
	r->lang = lang && !strcmp(lang, "zh-CN") ? LANG_ZH : LANG_EN;
	const char *loc = db_get(res, 0, "location");
	const char *etag = db_get(res, 0, "etag");
	const char *body = db_get(res, 0, "response");
	if (loc)
		http_header(r, "Location", "%s", loc);
	if (etag)
		http_header(r, "ETag", "%s", etag);
	http_header(r, "Idempotent-Replayed", "true");
	int status = (int)db_get_ll(res, 0, "status");
	http_text(r, status, status >= 400 ? "application/problem+json" : "application/json",
		  body ? body : "", body ? strlen(body) : 0);
	PQclear(res);
	return IDEM_ANSWERED;
}

int idem_store_or_reply(struct req *r, const char *route, const char *location,
			const char *etag)
{
	DB_STMT(save, "idem_save",
		"UPDATE idempotency_keys SET status = $4, location = $5, etag = $6,"
		" response = $7, lang = $8 WHERE scope = $1 AND route = $2 AND key = $3");
	char status[16], scope[64];

	if (!r->idempotency_key)
		return 0;
	snprintf(status, sizeof status, "%d", r->status);
	const char *p[] = { key_scope(r, scope), route, r->idempotency_key, status,
			    location, etag, buf_str(&r->out), lang_tag(r->lang) };
	PGresult *res = db_exec_or_reply(r, &save, 8, p);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}
