/* auth.c - JWT verification and issuing, roles, argon2id password hashing.
 * libjwt 1.10 checks no claims and trusts the token's "alg", so this file
 * pins the algorithm and checks every claim itself before anything is used. */

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <argon2.h>
#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "opengov/base/auth.h"
#include "opengov/base/base64url.h"
#include "opengov/base/validate.h"
#include "opengov/base/msg.h"

/* Far above any token we issue (~400 bytes), far below a header size limit. */
#define TOKEN_MAX 8192
/* A 4096-bit RSA private key in PEM is ~3.3 KiB. */
#define KEY_FILE_MAX 65536
#define SECRET_MIN 32
#define TTL_DEFAULT 900
#define MAX_LIFETIME_DEFAULT 86400
#define MAX_LIFETIME_MAX 2592000
#define REFRESH_TTL_DEFAULT 2592000
#define REFRESH_TTL_MAX 31536000
#define TTL_MIN 60
#define TTL_MAX 86400
#define LEEWAY 60
#define RSA_BITS_MIN 2048
/* iss/aud are compared, not stored; bound them to keep logs sane. */
#define NAME_MAX_LEN 255

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define ARGON2_T 2
#define ARGON2_M_KIB 19456
#define ARGON2_P 1
#define ARGON2_SALT_LEN 16
#define ARGON2_HASH_LEN 32

struct alg_desc {
	const char *name;
	jwt_alg_t jwt;
	size_t sig_len; /* exact decoded signature size; 0: at least RSA_BITS_MIN/8 */
};

static const struct alg_desc algs[] = {
	[AUTH_ALG_HS256] = { "HS256", JWT_ALG_HS256, 32 },
	[AUTH_ALG_RS256] = { "RS256", JWT_ALG_RS256, 0 },
	[AUTH_ALG_ES256] = { "ES256", JWT_ALG_ES256, 64 },
};

static const char *const role_names[ROLE__MAX] = {
	[ROLE_PUBLIC] = "public",
	[ROLE_CLERK] = "clerk",
	[ROLE_APPROVER] = "approver",
	[ROLE_SUPERVISOR] = "supervisor",
	[ROLE_ADMIN] = "admin",
};

static const char *const status_messages[AUTH__MAX] = {
	[AUTH_OK] = N_("token accepted"),
	[AUTH_MALFORMED] = N_("token is malformed"),
	[AUTH_BAD_ALG] = N_("token algorithm is not accepted"),
	[AUTH_BAD_SIGNATURE] = N_("token signature is invalid"),
	[AUTH_EXPIRED] = N_("token has expired"),
	[AUTH_NOT_YET_VALID] = N_("token is not yet valid"),
	[AUTH_BAD_ISSUER] = N_("token issuer is not accepted"),
	[AUTH_BAD_AUDIENCE] = N_("token audience is not accepted"),
	[AUTH_BAD_ROLE] = N_("token role is missing or unknown"),
	[AUTH_MISSING_UNIT] = N_("token unit is missing or invalid"),
	[AUTH_MISSING_CLAIM] = N_("token lacks a required claim"),
	[AUTH_TOO_LONG] = N_("token lifetime exceeds the maximum"),
};

static void err_set(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* getrandom(2) may return short or EINTR only for large requests or before
 * the pool is ready; loop rather than reason about which. */
static int random_fill(unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = getrandom(buf, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Strict base64url (base64url.h): a token has exactly one spelling, where
 * libjwt's own decoder skips junk and would accept variants.
 * Returns a malloc'd, NUL-terminated buffer, or NULL. */
static unsigned char *b64url_decode_alloc(const char *s, size_t n, size_t *outlen)
{
	unsigned char *out = malloc(n / 4 * 3 + 3);
	long len;

	if (!out)
		return NULL;
	len = b64url_decode(s, n, out);
	if (len < 0) {
		free(out);
		return NULL;
	}
	out[len] = '\0';
	*outlen = (size_t)len;
	return out;
}

/* Decodes one token part and parses it as a JSON object. Duplicate members
 * are refused: Jansson would otherwise keep the last one, and libjwt parses
 * without that flag, so {"role":"public","role":"admin"} would be admin. */
static json_t *b64url_json_object(const char *s, size_t n)
{
	unsigned char *raw;
	size_t len;
	json_t *obj;

	raw = b64url_decode_alloc(s, n, &len);
	if (!raw)
		return NULL;
	obj = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (obj && !json_is_object(obj)) {
		json_decref(obj);
		obj = NULL;
	}
	return obj;
}

/* Returns the string value of v when it is a string of 1..max bytes with no
 * embedded NUL (Jansson allows \u0000, C strings would silently truncate). */
static const char *json_cstr(const json_t *v, size_t max)
{
	size_t len;

	if (!json_is_string(v))
		return NULL;
	len = json_string_length(v);
	if (len == 0 || len > max || strlen(json_string_value(v)) != len)
		return NULL;
	return json_string_value(v);
}

/* A UUID claim copied into out (size bytes) in lower case: PostgreSQL
 * prints UUIDs so, and callers compare them with strcmp. 0, or -1 when
 * the claim is not a UUID. */
static int uuid_claim_copy(const json_t *v, char *out, size_t size)
{
	const char *s = json_cstr(v, size - 1);
	size_t i;

	if (!s || !uuid_valid(s))
		return -1;
	for (i = 0; s[i]; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
	return 0;
}

static enum auth_status header_check(const struct auth_config *cfg,
				     const char *s, size_t n)
{
	enum auth_status st = AUTH_MALFORMED;
	json_t *hdr;
	const json_t *v;
	const char *alg;

	hdr = b64url_json_object(s, n);
	if (!hdr)
		goto out;
	/* Exact match: "none", "HS512", a missing alg (libjwt reads that as
	 * none) and an HS256 token under an RS256 configuration (the public
	 * key used as HMAC secret) all end here. */
	alg = json_cstr(json_object_get(hdr, "alg"), 16);
	if (!alg || strcmp(alg, algs[cfg->alg].name) != 0) {
		st = AUTH_BAD_ALG;
		goto out;
	}
	/* libjwt refuses any other typ; say so before it does. */
	v = json_object_get(hdr, "typ");
	if (v && (!json_is_string(v) ||
		  strcasecmp(json_string_value(v), "JWT") != 0))
		goto out;
	/* We implement no header extensions, so RFC 7515 4.1.11 says refuse. */
	if (json_object_get(hdr, "crit"))
		goto out;
	st = AUTH_OK;
out:
	json_decref(hdr);
	return st;
}

static enum auth_status signature_check(const struct auth_config *cfg,
					const char *s, size_t n)
{
	unsigned char *sig;
	size_t len = 0;
	size_t want = algs[cfg->alg].sig_len;
	enum auth_status st = AUTH_BAD_SIGNATURE;

	sig = b64url_decode_alloc(s, n, &len);
	if (!sig)
		return n == 0 ? AUTH_BAD_SIGNATURE : AUTH_MALFORMED;
	if (want ? len == want : len >= RSA_BITS_MIN / 8)
		st = AUTH_OK;
	free(sig);
	return st;
}

/* nbf and iat are optional, but when present they must be integers no more
 * than leeway seconds ahead of our clock. */
static enum auth_status time_claim(const json_t *claims, const char *name,
				   time_t now, long leeway, long long *out)
{
	const json_t *v = json_object_get(claims, name);

	if (!v)
		return AUTH_OK;
	if (!json_is_integer(v))
		return AUTH_MISSING_CLAIM;
	*out = json_integer_value(v);
	if (*out > (long long)now + leeway)
		return AUTH_NOT_YET_VALID;
	return AUTH_OK;
}

/* RFC 7519 4.1.3: a recipient that does not find itself in a present "aud"
 * must reject, so with no audience configured a token carrying one fails. */
static enum auth_status audience_check(const struct auth_config *cfg,
				       const json_t *aud)
{
	const json_t *v;
	const char *s;
	size_t i;

	if (!aud)
		return cfg->audience ? AUTH_BAD_AUDIENCE : AUTH_OK;
	if (!cfg->audience)
		return AUTH_BAD_AUDIENCE;
	if (json_is_string(aud)) {
		s = json_cstr(aud, NAME_MAX_LEN);
		return s && !strcmp(s, cfg->audience) ? AUTH_OK :
							AUTH_BAD_AUDIENCE;
	}
	if (!json_is_array(aud))
		return AUTH_BAD_AUDIENCE;
	json_array_foreach(aud, i, v) {
		s = json_cstr(v, NAME_MAX_LEN);
		if (!s)
			return AUTH_BAD_AUDIENCE;
		if (!strcmp(s, cfg->audience))
			return AUTH_OK;
	}
	return AUTH_BAD_AUDIENCE;
}

/* "unit" and "applicant_type" may be JSON null, which some issuers send
 * for "not applicable"; treat that as absent. */
static const json_t *claim_get(const json_t *claims, const char *name)
{
	const json_t *v = json_object_get(claims, name);

	return json_is_null(v) ? NULL : v;
}

static enum auth_status claims_check(const struct auth_config *cfg,
				     const json_t *claims, time_t now,
				     struct claims *out)
{
	enum auth_status st;
	const json_t *v;
	const char *s;
	int role;

	/* No leeway on exp: the spec wants it in the future, and our own
	 * tokens are issued and checked against the same clock. */
	v = json_object_get(claims, "exp");
	if (!json_is_integer(v))
		return AUTH_MISSING_CLAIM;
	out->exp = json_integer_value(v);
	if (out->exp <= (long long)now)
		return AUTH_EXPIRED;
	st = time_claim(claims, "nbf", now, cfg->leeway, &out->nbf);
	if (st != AUTH_OK)
		return st;
	/* iat is required: without it a token's lifetime cannot be capped. */
	if (!json_is_integer(json_object_get(claims, "iat")))
		return AUTH_MISSING_CLAIM;
	st = time_claim(claims, "iat", now, cfg->leeway, &out->iat);
	if (st != AUTH_OK)
		return st;
	if (cfg->max_lifetime > 0 && out->exp - out->iat > cfg->max_lifetime)
		return AUTH_TOO_LONG;

	if (cfg->issuer) {
		s = json_cstr(json_object_get(claims, "iss"), NAME_MAX_LEN);
		if (!s || strcmp(s, cfg->issuer) != 0)
			return AUTH_BAD_ISSUER;
	}
	st = audience_check(cfg, json_object_get(claims, "aud"));
	if (st != AUTH_OK)
		return st;

	s = json_cstr(json_object_get(claims, "sub"), sizeof(out->sub) - 1);
	if (!s)
		return AUTH_MISSING_CLAIM;
	memcpy(out->sub, s, strlen(s) + 1);

	s = json_cstr(json_object_get(claims, "role"), 16);
	role = auth_role_parse(s);
	if (role < 0)
		return AUTH_BAD_ROLE;
	out->role = (enum auth_role)role;

	/* A unit, when present, must be valid whatever the role: garbage in a
	 * claim would otherwise reach SQL parameters and audit rows. */
	v = claim_get(claims, "unit");
	if (v) {
		if (uuid_claim_copy(v, out->unit, sizeof(out->unit)))
			return AUTH_MISSING_UNIT;
	} else if (role == ROLE_CLERK || role == ROLE_APPROVER) {
		return AUTH_MISSING_UNIT;
	}

	v = claim_get(claims, "applicant_type");
	if (v) {
		s = json_cstr(v, sizeof(out->applicant_type) - 1);
		if (!s)
			return AUTH_MISSING_CLAIM;
		memcpy(out->applicant_type, s, strlen(s) + 1);
	}

	/* Our own tokens name their session and the account's token version;
	 * the worker checks both against the database (sessions.c). */
	v = claim_get(claims, "sid");
	if (v && uuid_claim_copy(v, out->sid, sizeof(out->sid)))
		return AUTH_MISSING_CLAIM;
	v = claim_get(claims, "ver");
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > INT_MAX)
			return AUTH_MISSING_CLAIM;
		out->ver = json_integer_value(v);
	}
	return AUTH_OK;
}

/* Checks in this order: shape, header alg (before any crypto), signature
 * (libjwt), then claims, so nothing in an unsigned payload is believed. */
enum auth_status auth_verify(const struct auth_config *cfg, const char *token,
			     time_t now, struct claims *out)
{
	enum auth_status st = AUTH_MALFORMED;
	json_t *payload = NULL, *claims = NULL;
	char *grants = NULL;
	jwt_t *jwt = NULL;
	const char *dot1, *dot2;
	size_t len;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!cfg || !out || !token || (size_t)cfg->alg >= ARRAY_SIZE(algs) ||
	    !cfg->verify_key || cfg->verify_key_len == 0 ||
	    cfg->verify_key_len > INT_MAX)
		goto out;
	len = strnlen(token, TOKEN_MAX + 1);
	if (len == 0 || len > TOKEN_MAX)
		goto out;
	dot1 = memchr(token, '.', len);
	if (!dot1)
		goto out;
	dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token));
	if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
		goto out;

	st = header_check(cfg, token, (size_t)(dot1 - token));
	if (st != AUTH_OK)
		goto out;
	payload = b64url_json_object(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (!payload) {
		st = AUTH_MALFORMED;
		goto out;
	}
	st = signature_check(cfg, dot2 + 1, len - (size_t)(dot2 + 1 - token));
	if (st != AUTH_OK)
		goto out;

	st = AUTH_BAD_SIGNATURE;
	if (jwt_decode(&jwt, token, cfg->verify_key, (int)cfg->verify_key_len) ||
	    !jwt)
		goto out;
	if (jwt_get_alg(jwt) != algs[cfg->alg].jwt) {
		st = AUTH_BAD_ALG;
		goto out;
	}

	/* Check what libjwt verified, and insist it is what we parsed
	 * strictly above (libjwt's parse has already merged duplicates). */
	st = AUTH_MALFORMED;
	grants = jwt_get_grants_json(jwt, NULL);
	if (!grants)
		goto out;
	claims = json_loads(grants, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(claims) || !json_equal(claims, payload))
		goto out;
	st = claims_check(cfg, claims, now, out);
out:
	if (st != AUTH_OK && out)
		memset(out, 0, sizeof(*out));
	free(grants);
	json_decref(claims);
	json_decref(payload);
	if (jwt)
		jwt_free(jwt);
	return st;
}

static int claims_issuable(const struct claims *c)
{
	if ((unsigned int)c->role >= ROLE__MAX)
		return 0;
	if (memchr(c->sub, '\0', sizeof(c->sub)) == NULL || !c->sub[0])
		return 0;
	if (memchr(c->unit, '\0', sizeof(c->unit)) == NULL ||
	    memchr(c->applicant_type, '\0', sizeof(c->applicant_type)) == NULL)
		return 0;
	if (c->unit[0] && !uuid_valid(c->unit))
		return 0;
	if ((c->role == ROLE_CLERK || c->role == ROLE_APPROVER) && !c->unit[0])
		return 0;
	if (memchr(c->sid, '\0', sizeof(c->sid)) == NULL ||
	    (c->sid[0] && !uuid_valid(c->sid)))
		return 0;
	if (c->ver < 0 || c->ver > INT_MAX)
		return 0;
	return 1;
}

/* Also returns NULL for claims that auth_verify would refuse (bad role,
 * clerk without unit, ...): a token we would not accept is no use.
 * ttl <= 0 means cfg->ttl; ttl is capped so exp cannot overflow. */
char *auth_issue(const struct auth_config *cfg, const struct claims *c, long ttl,
		 time_t now)
{
	unsigned char rnd[16];
	char jti[sizeof(rnd) * 2 + 1];
	json_t *grants = NULL;
	char *json = NULL, *token = NULL;
	jwt_t *jwt = NULL;
	size_t i;

	if (!cfg || !c || (size_t)cfg->alg >= ARRAY_SIZE(algs) || !cfg->sign_key ||
	    cfg->sign_key_len == 0 || cfg->sign_key_len > INT_MAX ||
	    ttl > INT_MAX || !claims_issuable(c))
		return NULL;
	if (ttl <= 0)
		ttl = cfg->ttl;
	if (cfg->max_lifetime > 0 && ttl > cfg->max_lifetime)
		ttl = cfg->max_lifetime;
	if (random_fill(rnd, sizeof(rnd)))
		goto out;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(jti + 2 * i, 3, "%02x", rnd[i]);

	grants = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s}", "sub", c->sub,
			   "role", role_names[c->role], "iat", (json_int_t)now,
			   "nbf", (json_int_t)now, "exp", (json_int_t)now + ttl,
			   "jti", jti);
	if (!grants)
		goto out;
	if (c->unit[0] &&
	    json_object_set_new(grants, "unit", json_string(c->unit)))
		goto out;
	if (c->applicant_type[0] &&
	    json_object_set_new(grants, "applicant_type",
				json_string(c->applicant_type)))
		goto out;
	if (c->sid[0] && json_object_set_new(grants, "sid", json_string(c->sid)))
		goto out;
	if (c->ver > 0 &&
	    json_object_set_new(grants, "ver", json_integer((json_int_t)c->ver)))
		goto out;
	if (cfg->issuer &&
	    json_object_set_new(grants, "iss", json_string(cfg->issuer)))
		goto out;
	if (cfg->audience &&
	    json_object_set_new(grants, "aud", json_string(cfg->audience)))
		goto out;
	json = json_dumps(grants, JSON_COMPACT);
	if (!json)
		goto out;

	if (jwt_new(&jwt) || jwt_add_grants_json(jwt, json) ||
	    jwt_set_alg(jwt, algs[cfg->alg].jwt, cfg->sign_key,
			(int)cfg->sign_key_len))
		goto out;
	token = jwt_encode_str(jwt);
out:
	if (jwt)
		jwt_free(jwt);
	free(json);
	json_decref(grants);
	return token;
}

/* Reads a whole key file, NUL-terminated (PEM is text). */
static unsigned char *key_file_read(const char *path, size_t *len, char *err,
				    size_t errlen)
{
	unsigned char *buf = NULL;
	size_t n = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		err_set(err, errlen, "cannot open key file %s: %s", path,
			strerror(errno));
		return NULL;
	}
	buf = malloc(KEY_FILE_MAX + 1);
	if (!buf) {
		err_set(err, errlen, "out of memory reading %s", path);
		goto out;
	}
	n = fread(buf, 1, KEY_FILE_MAX + 1, f);
	if (ferror(f) || n == 0 || n > KEY_FILE_MAX) {
		err_set(err, errlen, "key file %s is unreadable, empty or too large",
			path);
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	*len = n;
out:
	fclose(f);
	return buf;
}

/* An encrypted private key would make OpenSSL (and libjwt, on every
 * signature) prompt on the terminal; refuse it instead. */
static int pem_no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static EVP_PKEY *pem_key_load(const unsigned char *pem, size_t len, int private)
{
	EVP_PKEY *key;
	BIO *bio;

	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return NULL;
	if (private)
		key = PEM_read_bio_PrivateKey(bio, NULL, pem_no_password, NULL);
	else
		key = PEM_read_bio_PUBKEY(bio, NULL, pem_no_password, NULL);
	BIO_free(bio);
	ERR_clear_error();
	return key;
}

/* RS256 wants RSA of at least 2048 bits, ES256 wants P-256 and nothing else. */
static int pem_key_fits(EVP_PKEY *key, enum auth_alg alg)
{
	char group[64];
	size_t n = 0;

	if (alg == AUTH_ALG_RS256)
		return EVP_PKEY_is_a(key, "RSA") &&
		       EVP_PKEY_get_bits(key) >= RSA_BITS_MIN;
	return EVP_PKEY_is_a(key, "EC") &&
	       EVP_PKEY_get_group_name(key, group, sizeof(group), &n) == 1 &&
	       strcmp(group, "prime256v1") == 0;
}

/* Loads the PEM keys and checks them now, so that a wrong file fails at
 * start-up rather than as a 401 on every request. */
static int pem_keys_init(struct auth_config *cfg, const char *public_key_file,
			 const char *private_key_file, char *err, size_t errlen)
{
	EVP_PKEY *pub = NULL, *priv = NULL;
	const char *alg = algs[cfg->alg].name;
	int rc = -1;

	if (!public_key_file || !*public_key_file) {
		err_set(err, errlen, "OPENGOV_JWT_PUBLIC_KEY_FILE is required for %s",
			alg);
		goto out;
	}
	cfg->verify_key = key_file_read(public_key_file, &cfg->verify_key_len,
					err, errlen);
	if (!cfg->verify_key)
		goto out;
	pub = pem_key_load(cfg->verify_key, cfg->verify_key_len, 0);
	if (!pub || !pem_key_fits(pub, cfg->alg)) {
		err_set(err, errlen, "%s is not a PEM public key usable for %s",
			public_key_file, alg);
		goto out;
	}
	if (private_key_file && *private_key_file) {
		cfg->sign_key = key_file_read(private_key_file,
					      &cfg->sign_key_len, err, errlen);
		if (!cfg->sign_key)
			goto out;
		priv = pem_key_load(cfg->sign_key, cfg->sign_key_len, 1);
		if (!priv || !pem_key_fits(priv, cfg->alg)) {
			err_set(err, errlen,
				"%s is not an unencrypted PEM private key usable for %s",
				private_key_file, alg);
			goto out;
		}
		if (EVP_PKEY_eq(pub, priv) != 1) {
			err_set(err, errlen,
				"%s does not match the public key %s",
				private_key_file, public_key_file);
			goto out;
		}
	}
	rc = 0;
out:
	EVP_PKEY_free(pub);
	EVP_PKEY_free(priv);
	ERR_clear_error();
	return rc;
}

static int seconds_parse(const char *s, long def, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s) {
		*out = def;
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int string_opt_dup(const char *s, char **out)
{
	*out = NULL;
	if (!s || !*s)
		return 0;
	if (strlen(s) > NAME_MAX_LEN)
		return -1;
	*out = strdup(s);
	return *out ? 0 : -1;
}

/* Empty values count as unset: an env file line "KEY=" means "no value". */
int auth_config_init(struct auth_config *cfg, const char *alg, const char *secret,
		     const char *public_key_file, const char *private_key_file,
		     const char *issuer, const char *audience, const char *ttl,
		     char *err, size_t errlen)
{
	size_t i, len;
	int rc = -1;

	if (!cfg)
		return -1;
	memset(cfg, 0, sizeof(*cfg));
	cfg->leeway = LEEWAY;
	cfg->max_lifetime = MAX_LIFETIME_DEFAULT;
	cfg->refresh_ttl = REFRESH_TTL_DEFAULT;

	cfg->alg = AUTH_ALG_HS256;
	if (alg && *alg) {
		for (i = 0; i < ARRAY_SIZE(algs); i++)
			if (!strcmp(alg, algs[i].name))
				break;
		if (i == ARRAY_SIZE(algs)) {
			err_set(err, errlen,
				"OPENGOV_JWT_ALG must be HS256, RS256 or ES256");
			goto out;
		}
		cfg->alg = (enum auth_alg)i;
	}
	if (seconds_parse(ttl, TTL_DEFAULT, TTL_MIN, TTL_MAX, &cfg->ttl)) {
		err_set(err, errlen,
			"OPENGOV_JWT_TTL must be an integer from %d to %d seconds",
			TTL_MIN, TTL_MAX);
		goto out;
	}

	if (cfg->alg == AUTH_ALG_HS256) {
		len = secret ? strlen(secret) : 0;
		if (len < SECRET_MIN) {
			err_set(err, errlen,
				"OPENGOV_JWT_SECRET must be at least %d bytes for HS256",
				SECRET_MIN);
			goto out;
		}
		if (len > INT_MAX) {
			err_set(err, errlen, "OPENGOV_JWT_SECRET is too long");
			goto out;
		}
		/* Two copies so that free never has to know they alias. */
		cfg->verify_key = malloc(len + 1);
		cfg->sign_key = malloc(len + 1);
		if (!cfg->verify_key || !cfg->sign_key) {
			err_set(err, errlen, "out of memory");
			goto out;
		}
		memcpy(cfg->verify_key, secret, len + 1);
		memcpy(cfg->sign_key, secret, len + 1);
		cfg->verify_key_len = len;
		cfg->sign_key_len = len;
	} else if (pem_keys_init(cfg, public_key_file, private_key_file, err,
				 errlen)) {
		goto out;
	}

	if (string_opt_dup(issuer, &cfg->issuer)) {
		err_set(err, errlen, "OPENGOV_JWT_ISSUER is too long (max %d)",
			NAME_MAX_LEN);
		goto out;
	}
	if (string_opt_dup(audience, &cfg->audience)) {
		err_set(err, errlen, "OPENGOV_JWT_AUDIENCE is too long (max %d)",
			NAME_MAX_LEN);
		goto out;
	}
	rc = 0;
out:
	if (rc)
		auth_config_free(cfg);
	return rc;
}

int auth_config_lifetimes(struct auth_config *cfg, const char *max_lifetime,
			  const char *refresh_ttl, char *err, size_t errlen)
{
	if (seconds_parse(max_lifetime, MAX_LIFETIME_DEFAULT, TTL_MIN,
			  MAX_LIFETIME_MAX, &cfg->max_lifetime)) {
		err_set(err, errlen,
			"OPENGOV_JWT_MAX_LIFETIME must be an integer from %d to %d seconds",
			TTL_MIN, MAX_LIFETIME_MAX);
		return -1;
	}
	if (cfg->ttl > cfg->max_lifetime) {
		err_set(err, errlen,
			"OPENGOV_JWT_TTL may not exceed OPENGOV_JWT_MAX_LIFETIME");
		return -1;
	}
	if (seconds_parse(refresh_ttl, REFRESH_TTL_DEFAULT, TTL_MIN, REFRESH_TTL_MAX,
			  &cfg->refresh_ttl)) {
		err_set(err, errlen,
			"OPENGOV_REFRESH_TTL must be an integer from %d to %d seconds",
			TTL_MIN, REFRESH_TTL_MAX);
		return -1;
	}
	return 0;
}

void auth_config_free(struct auth_config *cfg)
{
	if (!cfg)
		return;
	if (cfg->verify_key)
		explicit_bzero(cfg->verify_key, cfg->verify_key_len);
	if (cfg->sign_key)
		explicit_bzero(cfg->sign_key, cfg->sign_key_len);
	free(cfg->verify_key);
	free(cfg->sign_key);
	free(cfg->issuer);
	free(cfg->audience);
	memset(cfg, 0, sizeof(*cfg));
}

const char *auth_status_message(enum auth_status s)
{
	if ((unsigned int)s >= AUTH__MAX)
		return N_("unknown token status");
	return status_messages[s];
}

/* NULL for a value outside the enum, so callers notice. */
const char *auth_role_name(enum auth_role r)
{
	if ((unsigned int)r >= ROLE__MAX)
		return NULL;
	return role_names[r];
}

/* Case-sensitive: "Admin" is not a role, as the token format is ours. */
int auth_role_parse(const char *name)
{
	int r;

	if (!name)
		return -1;
	for (r = 0; r < ROLE__MAX; r++)
		if (!strcmp(name, role_names[r]))
			return r;
	return -1;
}

int password_hash(const char *password, char *out, size_t outlen)
{
	unsigned char salt[ARGON2_SALT_LEN];
	int rc;

	if (!password || !out || outlen == 0)
		return -1;
	if (random_fill(salt, sizeof(salt)))
		return -1;
	rc = argon2id_hash_encoded(ARGON2_T, ARGON2_M_KIB, ARGON2_P, password,
				   strlen(password), salt, sizeof(salt),
				   ARGON2_HASH_LEN, out, outlen);
	if (rc != ARGON2_OK) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* The parameters come from the encoded string, so hashes made with other
 * costs still verify; argon2 compares in constant time. */
int password_verify(const char *encoded, const char *password)
{
	int rc;

	if (!encoded || !password || strncmp(encoded, "$argon2id$", 10) != 0)
		return -1;
	rc = argon2id_verify(encoded, password, strlen(password));
	if (rc == ARGON2_OK)
		return 1;
	if (rc == ARGON2_VERIFY_MISMATCH)
		return 0;
	return -1;
}

static int common_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

const char *password_policy_check(const char *password)
{
	char lower[257];
	size_t chars = 0, i;

	if (!password)
		return N_("is required");
	for (i = 0; password[i]; i++)
		if (((unsigned char)password[i] & 0xC0) != 0x80)
			chars++;
	if (chars < PASSWORD_MIN)
		return N_("must be at least 10 characters long");
	if (i < sizeof lower) {
		for (i = 0; password[i]; i++)
			lower[i] = (char)tolower((unsigned char)password[i]);
		lower[i] = '\0';
		if (bsearch(lower, common_passwords, common_passwords_count,
			    sizeof common_passwords[0], common_cmp))
			return N_("is one of the most common passwords; choose another");
	}
	return NULL;
}
