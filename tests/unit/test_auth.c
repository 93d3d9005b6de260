/* test_auth.c - unit tests for src/base/auth.c: JWT verification against forged,
 * tampered and ill-formed tokens, issuing, key configuration, passwords. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "opengov/base/auth.h"
#include "opengov/base/validate.h"

/* A fixed clock makes every exp/nbf/iat case exact. */
#define NOW ((time_t)1700000000)

static const char secret[] = "unit-test-secret-0123456789abcdefghij";
static const char unit_a[] = "3f1c2a9e-7b4d-4c1e-9a5f-2b6d8e0f1a23";

struct fixture {
	char dir[64];
	char rsa_pub[96], rsa_priv[96];
	char rsa2_pub[96], rsa2_priv[96];
	char ec_pub[96], ec_priv[96];
	char rsa_enc[96], garbage[96];
	unsigned char *rsa_pub_pem; /* the public key's bytes, for forging */
	size_t rsa_pub_pem_len;
	struct auth_config hs;   /* HS256, no iss/aud */
	struct auth_config hsia; /* HS256 with issuer and audience */
	struct auth_config rs;   /* RS256 with private key */
	struct auth_config rs2;  /* RS256, another key pair */
	struct auth_config rsv;  /* RS256, verify only */
	struct auth_config es;   /* ES256 with private key */
};

/* --- helpers ------------------------------------------------------------ */

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	return s;
}

static char *b64url(const void *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	int n, i;

	assert_non_null(out);
	n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return out;
}

/* Builds header.payload.signature by hand, HMAC'd with md (NULL: empty
 * signature), so tests can forge what no library would produce. */
static char *token_make(const char *header, const char *payload,
			const void *key, size_t keylen, const EVP_MD *md)
{
	char *h = b64url(header, strlen(header));
	char *p = b64url(payload, strlen(payload));
	char *input = xasprintf("%s.%s", h, p);
	char *sig, *tok;

	if (md) {
		unsigned char mac[EVP_MAX_MD_SIZE];
		unsigned int maclen = 0;

		assert_non_null(HMAC(md, key, (int)keylen,
				     (const unsigned char *)input,
				     strlen(input), mac, &maclen));
		sig = b64url(mac, maclen);
	} else {
		sig = strdup("");
	}
	tok = xasprintf("%s.%s", input, sig);
	free(h);
	free(p);
	free(input);
	free(sig);
	return tok;
}

static char *hs_token(const char *payload)
{
	return token_make("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, secret,
			  strlen(secret), EVP_sha256());
}

/* Signs payload with HS256 and the test secret, verifies it under cfg. */
static enum auth_status hs_check(const struct auth_config *cfg,
				 const char *payload, struct claims *out)
{
	struct claims scratch;
	char *tok = hs_token(payload);
	enum auth_status st;

	st = auth_verify(cfg, tok, NOW, out ? out : &scratch);
	free(tok);
	return st;
}

/* A payload with the usual time claims around NOW and extra members. */
static char *payload_with(const char *extra)
{
	return xasprintf("{\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld%s%s}",
			 (long long)NOW, (long long)NOW, (long long)NOW + 3600,
			 *extra ? "," : "", extra);
}

static enum auth_status hs_check_with(const struct auth_config *cfg,
				      const char *extra)
{
	char *p = payload_with(extra);
	enum auth_status st = hs_check(cfg, p, NULL);

	free(p);
	return st;
}

static void key_write(EVP_PKEY *key, const char *pub, const char *priv,
		      const EVP_CIPHER *enc)
{
	FILE *f;

	if (pub) {
		f = fopen(pub, "w");
		assert_non_null(f);
		assert_int_equal(PEM_write_PUBKEY(f, key), 1);
		fclose(f);
	}
	f = fopen(priv, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, key, enc,
					      enc ? (unsigned char *)"pass" : NULL,
					      enc ? 4 : 0, NULL, NULL),
			 1);
	fclose(f);
}

static unsigned char *file_read(const char *path, size_t *len)
{
	unsigned char *buf = malloc(65536);
	FILE *f = fopen(path, "r");

	assert_non_null(buf);
	assert_non_null(f);
	*len = fread(buf, 1, 65535, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static int config_rc(struct auth_config *cfg, const char *alg,
		     const char *sec, const char *pub, const char *priv,
		     const char *ttl, char *err, size_t errlen)
{
	return auth_config_init(cfg, alg, sec, pub, priv, NULL, NULL, ttl, err,
				errlen);
}

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	EVP_PKEY *rsa, *rsa2, *ec;
	char err[256];
	FILE *g;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_auth.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->rsa_pub, sizeof(f->rsa_pub), "%s/rsa.pub", f->dir);
	snprintf(f->rsa_priv, sizeof(f->rsa_priv), "%s/rsa.pem", f->dir);
	snprintf(f->rsa2_pub, sizeof(f->rsa2_pub), "%s/rsa2.pub", f->dir);
	snprintf(f->rsa2_priv, sizeof(f->rsa2_priv), "%s/rsa2.pem", f->dir);
	snprintf(f->ec_pub, sizeof(f->ec_pub), "%s/ec.pub", f->dir);
	snprintf(f->ec_priv, sizeof(f->ec_priv), "%s/ec.pem", f->dir);
	snprintf(f->rsa_enc, sizeof(f->rsa_enc), "%s/rsa-enc.pem", f->dir);
	snprintf(f->garbage, sizeof(f->garbage), "%s/garbage.pem", f->dir);

	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	rsa2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(rsa);
	assert_non_null(rsa2);
	assert_non_null(ec);
	key_write(rsa, f->rsa_pub, f->rsa_priv, NULL);
	key_write(rsa2, f->rsa2_pub, f->rsa2_priv, NULL);
	key_write(ec, f->ec_pub, f->ec_priv, NULL);
	key_write(rsa, NULL, f->rsa_enc, EVP_aes_256_cbc());
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(rsa2);
	EVP_PKEY_free(ec);
	g = fopen(f->garbage, "w");
	assert_non_null(g);
	fputs("-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n",
	      g);
	fclose(g);
	f->rsa_pub_pem = file_read(f->rsa_pub, &f->rsa_pub_pem_len);

	assert_int_equal(config_rc(&f->hs, "HS256", secret, NULL, NULL, NULL,
				   err, sizeof(err)), 0);
	assert_int_equal(auth_config_init(&f->hsia, NULL, secret, NULL, NULL,
					  "https://opengov.test", "opengov-api",
					  NULL, err, sizeof(err)), 0);
	assert_int_equal(config_rc(&f->rs, "RS256", NULL, f->rsa_pub,
				   f->rsa_priv, NULL, err, sizeof(err)), 0);
	assert_int_equal(config_rc(&f->rs2, "RS256", NULL, f->rsa2_pub,
				   f->rsa2_priv, NULL, err, sizeof(err)), 0);
	assert_int_equal(config_rc(&f->rsv, "RS256", NULL, f->rsa_pub, NULL,
				   NULL, err, sizeof(err)), 0);
	assert_int_equal(config_rc(&f->es, "ES256", NULL, f->ec_pub, f->ec_priv,
				   NULL, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	const char *files[] = { f->rsa_pub, f->rsa_priv, f->rsa2_pub,
				f->rsa2_priv, f->ec_pub, f->ec_priv,
				f->rsa_enc, f->garbage };
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	rmdir(f->dir);
	auth_config_free(&f->hs);
	auth_config_free(&f->hsia);
	auth_config_free(&f->rs);
	auth_config_free(&f->rs2);
	auth_config_free(&f->rsv);
	auth_config_free(&f->es);
	free(f->rsa_pub_pem);
	free(f);
	return 0;
}

static struct claims claims_of(enum auth_role role, const char *sub,
			       const char *unit, const char *applicant_type)
{
	struct claims c;

	memset(&c, 0, sizeof(c));
	c.role = role;
	snprintf(c.sub, sizeof(c.sub), "%s", sub);
	snprintf(c.unit, sizeof(c.unit), "%s", unit);
	snprintf(c.applicant_type, sizeof(c.applicant_type), "%s",
		 applicant_type);
	return c;
}

/* Replaces the character at index i of s with one that differs. */
static void char_flip(char *s, size_t i)
{
	s[i] = s[i] == 'A' ? 'B' : 'A';
}

/* The base64url character whose 6-bit value differs from c's only in the
 * lowest bit: every group (A-Z, a-z, 0-9) starts at an even value. */
static char b64_low_bit_flip(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)('A' + ((c - 'A') ^ 1));
	if (c >= 'a' && c <= 'z')
		return (char)('a' + ((c - 'a') ^ 1));
	if (c >= '0' && c <= '9')
		return (char)('0' + ((c - '0') ^ 1));
	return c == '-' ? '_' : '-';
}

/* --- verification: the good case ----------------------------------------- */

static void test_hs256_valid(void **state)
{
	struct fixture *f = *state;
	struct claims c;
	char *p = payload_with("\"sub\":\"acct-1\",\"role\":\"public\","
			       "\"applicant_type\":\"company\",\"jti\":\"x\","
			       "\"custom\":{\"a\":[1,2]}");

	assert_int_equal(hs_check(&f->hs, p, &c), AUTH_OK);
	assert_string_equal(c.sub, "acct-1");
	assert_int_equal(c.role, ROLE_PUBLIC);
	assert_string_equal(c.unit, "");
	assert_string_equal(c.applicant_type, "company");
	assert_int_equal(c.iat, NOW);
	assert_int_equal(c.nbf, NOW);
	assert_int_equal(c.exp, NOW + 3600);
	free(p);

	/* nbf is optional; iat is required, so that a lifetime can be capped. */
	p = xasprintf("{\"sub\":\"s\",\"role\":\"admin\",\"exp\":%lld}",
		      (long long)NOW + 10);
	assert_int_equal(hs_check(&f->hs, p, &c), AUTH_MISSING_CLAIM);
	free(p);
	p = xasprintf("{\"sub\":\"s\",\"role\":\"admin\",\"iat\":%lld,\"exp\":%lld}",
		      (long long)NOW, (long long)NOW + 10);
	assert_int_equal(hs_check(&f->hs, p, &c), AUTH_OK);
	assert_int_equal(c.role, ROLE_ADMIN);
	assert_int_equal(c.iat, NOW);
	assert_int_equal(c.nbf, 0);
	free(p);
}

/* --- algorithm pinning --------------------------------------------------- */

static void test_alg_none(void **state)
{
	struct fixture *f = *state;
	struct claims c;
	char *p = payload_with("\"sub\":\"s\",\"role\":\"admin\"");
	char *body = b64url(p, strlen(p));
	/* {"alg":"none","typ":"JWT"} */
	char *tok = xasprintf("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.%s.", body);

	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_BAD_ALG);
	assert_int_equal(c.role, 0);
	assert_string_equal(c.sub, "");
	assert_int_equal(auth_verify(&f->rs, tok, NOW, &c), AUTH_BAD_ALG);
	free(tok);

	/* Without the trailing dot it is not a JWS at all. */
	tok = xasprintf("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.%s", body);
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_MALFORMED);
	free(tok);

	tok = token_make("{\"alg\":\"NONE\"}", p, NULL, 0, NULL);
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_BAD_ALG);
	free(tok);

	/* A none token that carries a valid HS256 MAC anyway. */
	tok = token_make("{\"alg\":\"none\"}", p, secret, strlen(secret),
			 EVP_sha256());
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_BAD_ALG);
	free(tok);

	/* No alg at all: libjwt reads that as none. */
	tok = token_make("{\"typ\":\"JWT\"}", p, secret, strlen(secret),
			 EVP_sha256());
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_BAD_ALG);
	free(tok);

	tok = token_make("{\"alg\":256}", p, secret, strlen(secret),
			 EVP_sha256());
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_BAD_ALG);
	free(tok);
	free(body);
	free(p);
}

static void test_alg_hs512(void **state)
{
	struct fixture *f = *state;
	struct claims c;
	jwt_t *jwt = NULL;
	char *tok, *p = payload_with("\"sub\":\"s\",\"role\":\"admin\"");

	/* Built by libjwt itself, with the right secret. */
	assert_int_equal(jwt_new(&jwt), 0);
	assert_int_equal(jwt_add_grants_json(jwt, p), 0);
	assert_int_equal(jwt_set_alg(jwt, JWT_ALG_HS512,
				     (const unsigned char *)secret,
				     (int)strlen(secret)), 0);
	tok = jwt_encode_str(jwt);
	assert_non_null(tok);
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_BAD_ALG);
	free(tok);
	jwt_free(jwt);

	tok = token_make("{\"alg\":\"HS384\"}", p, secret, strlen(secret),
			 EVP_sha384());
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_BAD_ALG);
	free(tok);
	/* Case matters: "hs256" is not "HS256". */
	tok = token_make("{\"alg\":\"hs256\"}", p, secret, strlen(secret),
			 EVP_sha256());
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_BAD_ALG);
	free(tok);
	free(p);
}

/* The classic confusion: HMAC keyed with the RS256 public key, which
 * libjwt 1.10 would accept if given the token and that key. */
static void test_alg_confusion(void **state)
{
	struct fixture *f = *state;
	struct claims c = { .sub = "x" };
	struct claims who = claims_of(ROLE_ADMIN, "root", "", "");
	char *p = payload_with("\"sub\":\"s\",\"role\":\"admin\"");
	char *tok;

	tok = token_make("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", p,
			 f->rsa_pub_pem, f->rsa_pub_pem_len, EVP_sha256());
	assert_int_equal(auth_verify(&f->rs, tok, NOW, &c), AUTH_BAD_ALG);
	assert_string_equal(c.sub, "");
	assert_int_equal(auth_verify(&f->rsv, tok, NOW, &c), AUTH_BAD_ALG);
	free(tok);

	/* Tokens of one configured algorithm under another. */
	tok = auth_issue(&f->rs, &who, 0, NOW);
	assert_non_null(tok);
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_BAD_ALG);
	assert_int_equal(auth_verify(&f->es, tok, NOW, &c), AUTH_BAD_ALG);
	free(tok);
	tok = auth_issue(&f->es, &who, 0, NOW);
	assert_non_null(tok);
	assert_int_equal(auth_verify(&f->rs, tok, NOW, &c), AUTH_BAD_ALG);
	free(tok);
	tok = auth_issue(&f->hs, &who, 0, NOW);
	assert_non_null(tok);
	assert_int_equal(auth_verify(&f->rs, tok, NOW, &c), AUTH_BAD_ALG);
	free(tok);
	free(p);
}

/* --- signature ----------------------------------------------------------- */

static void test_tampered_payload(void **state)
{
	struct fixture *f = *state;
	struct claims c;
	struct claims who = claims_of(ROLE_PUBLIC, "alice", "", "");
	char *tok = auth_issue(&f->hs, &who, 0, NOW);
	char *admin = payload_with("\"sub\":\"alice\",\"role\":\"admin\"");
	char *body = b64url(admin, strlen(admin));
	char *dot1, *dot2, *forged;

	assert_non_null(tok);
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_OK);
	dot1 = strchr(tok, '.');
	dot2 = strchr(dot1 + 1, '.');
	*dot1 = '\0';
	forged = xasprintf("%s.%s%s", tok, body, dot2);
	assert_int_equal(auth_verify(&f->hs, forged, NOW, &c),
			 AUTH_BAD_SIGNATURE);
	assert_int_equal(c.role, ROLE_PUBLIC);
	assert_string_equal(c.sub, "");
	free(forged);

	/* One character of the original payload changed. */
	*dot1 = '.';
	char_flip(tok, (size_t)(dot1 - tok) + 5);
	assert_int_not_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_OK);
	free(tok);
	free(body);
	free(admin);
}

static void test_tampered_signature(void **state)
{
	struct fixture *f = *state;
	struct claims c;
	struct claims who = claims_of(ROLE_PUBLIC, "alice", "", "");
	const struct auth_config *cfgs[] = { &f->hs, &f->rs, &f->es };
	char *tok;
	size_t i;

	for (i = 0; i < 3; i++) {
		enum auth_status st;
		char *sig, *cut, keep;
		size_t n;

		tok = auth_issue(cfgs[i], &who, 0, NOW);
		assert_non_null(tok);
		assert_int_equal(auth_verify(cfgs[i], tok, NOW, &c), AUTH_OK);
		sig = strrchr(tok, '.') + 1;
		n = strlen(sig);
		keep = sig[n / 2];
		char_flip(sig, n / 2);
		assert_int_equal(auth_verify(cfgs[i], tok, NOW, &c),
				 AUTH_BAD_SIGNATURE);
		sig[n / 2] = keep;
		assert_int_equal(auth_verify(cfgs[i], tok, NOW, &c), AUTH_OK);

		/* Truncated by one base64 quantum: the last character may now
		 * carry stray low bits, which the strict decoder refuses. */
		cut = strndup(tok, strlen(tok) - 4);
		st = auth_verify(cfgs[i], cut, NOW, &c);
		assert_true(st == AUTH_BAD_SIGNATURE || st == AUTH_MALFORMED);
		free(cut);
		/* Stripped. */
		sig[0] = '\0';
		assert_int_equal(auth_verify(cfgs[i], tok, NOW, &c),
				 AUTH_BAD_SIGNATURE);
		free(tok);
	}

	/* Signed with another key of the right kind. */
	tok = auth_issue(&f->rs2, &who, 0, NOW);
	assert_non_null(tok);
	assert_int_equal(auth_verify(&f->rs, tok, NOW, &c), AUTH_BAD_SIGNATURE);
	free(tok);
	tok = token_make("{\"alg\":\"HS256\"}", "{}", "another-secret", 14,
			 EVP_sha256());
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_BAD_SIGNATURE);
	free(tok);
}

/* --- time claims --------------------------------------------------------- */

static void test_expired(void **state)
{
	struct fixture *f = *state;
	char *p;

	p = xasprintf("{\"sub\":\"s\",\"role\":\"public\",\"iat\":1700000000,\"exp\":%lld}",
		      (long long)NOW - 1);
	assert_int_equal(hs_check(&f->hs, p, NULL), AUTH_EXPIRED);
	free(p);
	p = xasprintf("{\"sub\":\"s\",\"role\":\"public\",\"iat\":1700000000,\"exp\":%lld}",
		      (long long)NOW);
	assert_int_equal(hs_check(&f->hs, p, NULL), AUTH_EXPIRED);
	free(p);
	p = xasprintf("{\"sub\":\"s\",\"role\":\"public\",\"iat\":1700000000,\"exp\":%lld}",
		      (long long)NOW + 1);
	assert_int_equal(hs_check(&f->hs, p, NULL), AUTH_OK);
	free(p);
}

static void test_exp_missing(void **state)
{
	struct fixture *f = *state;
	char *p;

	assert_int_equal(hs_check(&f->hs, "{\"sub\":\"s\",\"role\":\"public\"}",
				  NULL), AUTH_MISSING_CLAIM);
	p = xasprintf("{\"sub\":\"s\",\"role\":\"public\",\"exp\":\"%lld\"}",
		      (long long)NOW + 60);
	assert_int_equal(hs_check(&f->hs, p, NULL), AUTH_MISSING_CLAIM);
	free(p);
	p = xasprintf("{\"sub\":\"s\",\"role\":\"public\",\"iat\":1700000000,\"exp\":%lld.5}",
		      (long long)NOW + 60);
	assert_int_equal(hs_check(&f->hs, p, NULL), AUTH_MISSING_CLAIM);
	free(p);
	assert_int_equal(hs_check(&f->hs, "{\"sub\":\"s\",\"role\":\"public\","
				  "\"exp\":null}", NULL), AUTH_MISSING_CLAIM);
}

static void test_nbf(void **state)
{
	struct fixture *f = *state;
	char *p, *x;

	x = xasprintf("\"sub\":\"s\",\"role\":\"public\",\"iat\":1700000000,\"exp\":%lld,"
		      "\"nbf\":%lld", (long long)NOW + 3600, (long long)NOW + 61);
	p = xasprintf("{%s}", x);
	assert_int_equal(hs_check(&f->hs, p, NULL), AUTH_NOT_YET_VALID);
	free(p);
	free(x);
	/* Within the 60 s leeway. */
	x = xasprintf("\"sub\":\"s\",\"role\":\"public\",\"iat\":1700000000,\"exp\":%lld,"
		      "\"nbf\":%lld", (long long)NOW + 3600, (long long)NOW + 60);
	p = xasprintf("{%s}", x);
	assert_int_equal(hs_check(&f->hs, p, NULL), AUTH_OK);
	free(p);
	free(x);
	x = xasprintf("\"sub\":\"s\",\"role\":\"public\",\"iat\":1700000000,\"exp\":%lld,"
		      "\"nbf\":\"soon\"", (long long)NOW + 3600);
	p = xasprintf("{%s}", x);
	assert_int_equal(hs_check(&f->hs, p, NULL), AUTH_MISSING_CLAIM);
	free(p);
	free(x);
}

static void test_iat_future(void **state)
{
	struct fixture *f = *state;
	char *p;

	p = xasprintf("{\"sub\":\"s\",\"role\":\"public\",\"exp\":%lld,"
		      "\"iat\":%lld}", (long long)NOW + 3600, (long long)NOW + 120);
	assert_int_equal(hs_check(&f->hs, p, NULL), AUTH_NOT_YET_VALID);
	free(p);
	p = xasprintf("{\"sub\":\"s\",\"role\":\"public\",\"exp\":%lld,"
		      "\"iat\":%lld}", (long long)NOW + 3600, (long long)NOW + 30);
	assert_int_equal(hs_check(&f->hs, p, NULL), AUTH_OK);
	free(p);
}

/* --- issuer and audience ------------------------------------------------- */

static void test_issuer(void **state)
{
	struct fixture *f = *state;
	const char *aud = ",\"aud\":\"opengov-api\"";
	char *x;

	x = xasprintf("\"sub\":\"s\",\"role\":\"public\",\"iss\":"
		      "\"https://opengov.test\"%s", aud);
	assert_int_equal(hs_check_with(&f->hsia, x), AUTH_OK);
	free(x);
	x = xasprintf("\"sub\":\"s\",\"role\":\"public\",\"iss\":"
		      "\"https://evil.test\"%s", aud);
	assert_int_equal(hs_check_with(&f->hsia, x), AUTH_BAD_ISSUER);
	free(x);
	x = xasprintf("\"sub\":\"s\",\"role\":\"public\"%s", aud);
	assert_int_equal(hs_check_with(&f->hsia, x), AUTH_BAD_ISSUER);
	free(x);
	x = xasprintf("\"sub\":\"s\",\"role\":\"public\",\"iss\":"
		      "[\"https://opengov.test\"]%s", aud);
	assert_int_equal(hs_check_with(&f->hsia, x), AUTH_BAD_ISSUER);
	free(x);
	/* Not configured: any iss is fine. */
	assert_int_equal(hs_check_with(&f->hs, "\"sub\":\"s\",\"role\":\"public\","
				       "\"iss\":\"whoever\""), AUTH_OK);
}

static void test_audience(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *aud;
		enum auth_status want;
	} cases[] = {
		{ "\"opengov-api\"", AUTH_OK },
		{ "[\"other\",\"opengov-api\"]", AUTH_OK },
		{ "\"other-api\"", AUTH_BAD_AUDIENCE },
		{ "\"opengov-api \"", AUTH_BAD_AUDIENCE },
		{ "[\"other\",\"another\"]", AUTH_BAD_AUDIENCE },
		{ "[]", AUTH_BAD_AUDIENCE },
		{ "[1,\"opengov-api\"]", AUTH_BAD_AUDIENCE },
		{ "{\"opengov-api\":true}", AUTH_BAD_AUDIENCE },
		{ NULL, AUTH_BAD_AUDIENCE },
	};
	size_t i;
	char *x;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].aud)
			x = xasprintf("\"sub\":\"s\",\"role\":\"public\",\"iss\":"
				      "\"https://opengov.test\",\"aud\":%s",
				      cases[i].aud);
		else
			x = xasprintf("\"sub\":\"s\",\"role\":\"public\",\"iss\":"
				      "\"https://opengov.test\"");
		if (hs_check_with(&f->hsia, x) != cases[i].want)
			fail_msg("aud %s", cases[i].aud ? cases[i].aud : "(none)");
		free(x);
	}
	/* RFC 7519 4.1.3: not configured, so not in any aud that is present. */
	assert_int_equal(hs_check_with(&f->hs, "\"sub\":\"s\",\"role\":\"public\","
				       "\"aud\":\"opengov-api\""),
			 AUTH_BAD_AUDIENCE);
}

/* --- subject, role, unit ------------------------------------------------- */

static void test_role(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(hs_check_with(&f->hs, "\"sub\":\"s\""), AUTH_BAD_ROLE);
	assert_int_equal(hs_check_with(&f->hs, "\"sub\":\"s\",\"role\":\"root\""),
			 AUTH_BAD_ROLE);
	assert_int_equal(hs_check_with(&f->hs, "\"sub\":\"s\",\"role\":\"Admin\""),
			 AUTH_BAD_ROLE);
	assert_int_equal(hs_check_with(&f->hs, "\"sub\":\"s\",\"role\":\"\""),
			 AUTH_BAD_ROLE);
	assert_int_equal(hs_check_with(&f->hs, "\"sub\":\"s\",\"role\":4"),
			 AUTH_BAD_ROLE);
	assert_int_equal(hs_check_with(&f->hs,
				       "\"sub\":\"s\",\"role\":[\"admin\"]"),
			 AUTH_BAD_ROLE);
	assert_int_equal(hs_check_with(&f->hs,
				       "\"sub\":\"s\",\"role\":\"supervisor\""),
			 AUTH_OK);
}

static void test_unit(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"\"not-a-uuid\"",
		"\"3f1c2a9e7b4d4c1e9a5f2b6d8e0f1a23\"",
		"\"3f1c2a9e-7b4d-4c1e-9a5f-2b6d8e0f1a2\"",
		"\"3f1c2a9e-7b4d-4c1e-9a5f-2b6d8e0f1a234\"",
		"\"{3f1c2a9e-7b4d-4c1e-9a5f-2b6d8e0f1a23}\"",
		"\"3f1c2a9g-7b4d-4c1e-9a5f-2b6d8e0f1a23\"",
		"\"\"",
		"42",
	};
	struct claims c;
	char *x, *p;
	size_t i;

	assert_int_equal(hs_check_with(&f->hs, "\"sub\":\"s\",\"role\":\"clerk\""),
			 AUTH_MISSING_UNIT);
	assert_int_equal(hs_check_with(&f->hs,
				       "\"sub\":\"s\",\"role\":\"approver\","
				       "\"unit\":null"),
			 AUTH_MISSING_UNIT);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		x = xasprintf("\"sub\":\"s\",\"role\":\"clerk\",\"unit\":%s",
			      bad[i]);
		if (hs_check_with(&f->hs, x) != AUTH_MISSING_UNIT)
			fail_msg("unit %s", bad[i]);
		free(x);
		/* Garbage is refused whatever the role. */
		x = xasprintf("\"sub\":\"s\",\"role\":\"public\",\"unit\":%s",
			      bad[i]);
		if (hs_check_with(&f->hs, x) != AUTH_MISSING_UNIT)
			fail_msg("public unit %s", bad[i]);
		free(x);
	}

	x = xasprintf("\"sub\":\"s\",\"role\":\"clerk\",\"unit\":\"%s\"", unit_a);
	p = payload_with(x);
	assert_int_equal(hs_check(&f->hs, p, &c), AUTH_OK);
	assert_int_equal(c.role, ROLE_CLERK);
	assert_string_equal(c.unit, unit_a);
	free(p);
	free(x);

	/* Upper case is accepted and folded to PostgreSQL's spelling. */
	p = payload_with("\"sub\":\"s\",\"role\":\"approver\","
			 "\"unit\":\"3F1C2A9E-7B4D-4C1E-9A5F-2B6D8E0F1A23\"");
	assert_int_equal(hs_check(&f->hs, p, &c), AUTH_OK);
	assert_int_equal(c.role, ROLE_APPROVER);
	assert_string_equal(c.unit, unit_a);
	free(p);

	assert_int_equal(hs_check_with(&f->hs, "\"sub\":\"s\",\"role\":\"public\","
				       "\"unit\":null"), AUTH_OK);
}

static void test_sub(void **state)
{
	struct fixture *f = *state;
	char longsub[200];
	char *x;

	assert_int_equal(hs_check_with(&f->hs, "\"role\":\"public\""),
			 AUTH_MISSING_CLAIM);
	assert_int_equal(hs_check_with(&f->hs, "\"sub\":\"\",\"role\":\"public\""),
			 AUTH_MISSING_CLAIM);
	assert_int_equal(hs_check_with(&f->hs, "\"sub\":7,\"role\":\"public\""),
			 AUTH_MISSING_CLAIM);

	memset(longsub, 'a', sizeof(longsub));
	longsub[127] = '\0';
	x = xasprintf("\"sub\":\"%s\",\"role\":\"public\"", longsub);
	assert_int_equal(hs_check_with(&f->hs, x), AUTH_OK);
	free(x);
	longsub[127] = 'a';
	longsub[128] = '\0';
	x = xasprintf("\"sub\":\"%s\",\"role\":\"public\"", longsub);
	assert_int_equal(hs_check_with(&f->hs, x), AUTH_MISSING_CLAIM);
	free(x);
}

static void test_applicant_type(void **state)
{
	struct fixture *f = *state;
	char t[40];
	char *x;

	memset(t, 'n', sizeof(t));
	t[31] = '\0';
	x = xasprintf("\"sub\":\"s\",\"role\":\"public\",\"applicant_type\":\"%s\"",
		      t);
	assert_int_equal(hs_check_with(&f->hs, x), AUTH_OK);
	free(x);
	t[31] = 'n';
	t[32] = '\0';
	x = xasprintf("\"sub\":\"s\",\"role\":\"public\",\"applicant_type\":\"%s\"",
		      t);
	assert_int_equal(hs_check_with(&f->hs, x), AUTH_MISSING_CLAIM);
	free(x);
	assert_int_equal(hs_check_with(&f->hs, "\"sub\":\"s\",\"role\":\"public\","
				       "\"applicant_type\":true"),
			 AUTH_MISSING_CLAIM);
}

/* --- shape --------------------------------------------------------------- */

static void test_duplicates(void **state)
{
	struct fixture *f = *state;
	struct claims c;
	char *p, *tok;

	/* Jansson without JSON_REJECT_DUPLICATES (and libjwt) keep the last. */
	p = xasprintf("{\"sub\":\"s\",\"role\":\"public\",\"role\":\"admin\","
		      "\"exp\":%lld}", (long long)NOW + 60);
	assert_int_equal(hs_check(&f->hs, p, &c), AUTH_MALFORMED);
	assert_int_equal(c.role, 0);
	tok = token_make("{\"alg\":\"HS256\",\"alg\":\"HS256\"}", p, secret,
			 strlen(secret), EVP_sha256());
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_MALFORMED);
	free(tok);
	free(p);

	p = xasprintf("{\"sub\":\"s\",\"role\":\"public\",\"iat\":1700000000,\"exp\":%lld}",
		      (long long)NOW + 60);
	tok = token_make("{\"alg\":\"none\",\"alg\":\"HS256\"}", p, secret,
			 strlen(secret), EVP_sha256());
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_MALFORMED);
	free(tok);
	free(p);
}

static void test_malformed(void **state)
{
	struct fixture *f = *state;
	struct claims c;
	char *good = hs_token("{\"sub\":\"s\",\"role\":\"public\",\"iat\":1700000000,\"exp\":1700003600}");
	char *big, *tok, *p;
	size_t n;
	static const char *const junk[] = {
		"", "abc", "a.b", "a.b.c.d", "...", ".a.b", "eyJ9.eyJ9.",
		"eyJhbGciOiJIUzI1NiJ9..sig",
		"eyJhbGciOiJIUzI1NiJ9.e30=.abcd",
		"eyJhbGciOiJIUzI1NiJ9.e30.ab+/",
		"eyJhbGciOiJIUzI1NiJ9 .e30.abcd",
	};
	size_t i;

	assert_int_equal(auth_verify(&f->hs, good, NOW, &c), AUTH_OK);
	assert_int_equal(auth_verify(&f->hs, NULL, NOW, &c), AUTH_MALFORMED);
	assert_int_equal(auth_verify(NULL, good, NOW, &c), AUTH_MALFORMED);
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		if (auth_verify(&f->hs, junk[i], NOW, &c) != AUTH_MALFORMED)
			fail_msg("junk %zu: %s", i, junk[i]);

	/* A valid token with a trailing byte, and with whitespace. */
	tok = xasprintf("%s.", good);
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_MALFORMED);
	free(tok);
	tok = xasprintf("%s ", good);
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_MALFORMED);
	free(tok);

	/* Over 8 KiB, whatever it holds. */
	n = 9000;
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'A', n);
	big[n] = '\0';
	memcpy(big, good, strlen(good));
	assert_int_equal(auth_verify(&f->hs, big, NOW, &c), AUTH_MALFORMED);
	free(big);

	/* Signed, but not JSON objects. */
	tok = token_make("[\"HS256\"]", "{}", secret, strlen(secret),
			 EVP_sha256());
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_MALFORMED);
	free(tok);
	tok = token_make("{\"alg\":\"HS256\"}", "[1]", secret, strlen(secret),
			 EVP_sha256());
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_MALFORMED);
	free(tok);
	tok = token_make("{\"alg\":\"HS256\"}", "{\"sub\":", secret,
			 strlen(secret), EVP_sha256());
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_MALFORMED);
	free(tok);

	/* Header members we do not understand. */
	p = xasprintf("{\"sub\":\"s\",\"role\":\"public\",\"iat\":1700000000,\"exp\":%lld}",
		      (long long)NOW + 60);
	tok = token_make("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", p, secret,
			 strlen(secret), EVP_sha256());
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_MALFORMED);
	free(tok);
	tok = token_make("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", p, secret,
			 strlen(secret), EVP_sha256());
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_MALFORMED);
	free(tok);
	tok = token_make("{\"alg\":\"HS256\",\"kid\":\"k1\"}", p, secret,
			 strlen(secret), EVP_sha256());
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &c), AUTH_OK);
	free(tok);
	free(p);
	free(good);
}

/* --- issuing and asymmetric round trips ---------------------------------- */

static void check_round_trip(const struct auth_config *cfg)
{
	struct claims in = claims_of(ROLE_CLERK, "b6f4a3c2-0000-4000-8000-000000000001",
				     unit_a, "");
	struct claims out;
	char *tok = auth_issue(cfg, &in, 600, NOW);

	assert_non_null(tok);
	assert_int_equal(auth_verify(cfg, tok, NOW, &out), AUTH_OK);
	assert_string_equal(out.sub, in.sub);
	assert_int_equal(out.role, ROLE_CLERK);
	assert_string_equal(out.unit, unit_a);
	assert_string_equal(out.applicant_type, "");
	assert_int_equal(out.iat, NOW);
	assert_int_equal(out.nbf, NOW);
	assert_int_equal(out.exp, NOW + 600);
	/* And it expires when it says. */
	assert_int_equal(auth_verify(cfg, tok, NOW + 599, &out), AUTH_OK);
	assert_int_equal(auth_verify(cfg, tok, NOW + 600, &out), AUTH_EXPIRED);
	assert_int_equal(auth_verify(cfg, tok, NOW - 61, &out),
			 AUTH_NOT_YET_VALID);
	free(tok);
}

static void test_issue_hs256(void **state)
{
	struct fixture *f = *state;
	struct claims in = claims_of(ROLE_PUBLIC, "alice", "", "natural_person");
	struct claims out;
	jwt_t *jwt = NULL;
	const char *jti;
	char *tok, *tok2;

	check_round_trip(&f->hs);

	/* ttl 0 means the configured lifetime; iss/aud are set and pass. */
	tok = auth_issue(&f->hsia, &in, 0, NOW);
	assert_non_null(tok);
	assert_int_equal(auth_verify(&f->hsia, tok, NOW, &out), AUTH_OK);
	assert_int_equal(out.exp, NOW + 900);
	assert_string_equal(out.applicant_type, "natural_person");
	assert_string_equal(out.unit, "");

	/* The claims, as an independent reader sees them. */
	assert_int_equal(jwt_decode(&jwt, tok, (const unsigned char *)secret,
				    (int)strlen(secret)), 0);
	assert_string_equal(jwt_get_grant(jwt, "iss"), "https://opengov.test");
	assert_string_equal(jwt_get_grant(jwt, "aud"), "opengov-api");
	assert_string_equal(jwt_get_grant(jwt, "role"), "public");
	jti = jwt_get_grant(jwt, "jti");
	assert_non_null(jti);
	assert_int_equal(strlen(jti), 32);
	assert_int_equal(strspn(jti, "0123456789abcdef"), 32);
	assert_null(jwt_get_grant(jwt, "unit"));
	jwt_free(jwt);

	/* A fresh jti every time. */
	tok2 = auth_issue(&f->hsia, &in, 0, NOW);
	assert_non_null(tok2);
	assert_string_not_equal(tok, tok2);
	free(tok2);
	free(tok);
}

static void test_issue_refuses(void **state)
{
	struct fixture *f = *state;
	struct claims c = claims_of(ROLE_PUBLIC, "alice", "", "");

	/* Verify-only configuration. */
	assert_null(auth_issue(&f->rsv, &c, 0, NOW));
	assert_null(auth_issue(NULL, &c, 0, NOW));
	assert_null(auth_issue(&f->hs, NULL, 0, NOW));
	assert_null(auth_issue(&f->hs, &c, LONG_MAX, NOW));
	/* Claims auth_verify would refuse. */
	c = claims_of(ROLE_CLERK, "bob", "", "");
	assert_null(auth_issue(&f->hs, &c, 0, NOW));
	c = claims_of(ROLE_APPROVER, "bob", "nope", "");
	assert_null(auth_issue(&f->hs, &c, 0, NOW));
	c = claims_of(ROLE_PUBLIC, "", "", "");
	assert_null(auth_issue(&f->hs, &c, 0, NOW));
	c = claims_of(ROLE_PUBLIC, "x", "", "");
	c.role = ROLE__MAX;
	assert_null(auth_issue(&f->hs, &c, 0, NOW));
	c.role = ROLE_ADMIN;
	memset(c.sub, 'a', sizeof(c.sub)); /* not terminated */
	assert_null(auth_issue(&f->hs, &c, 0, NOW));
}

static void test_rs256_round_trip(void **state)
{
	struct fixture *f = *state;
	struct claims c = claims_of(ROLE_SUPERVISOR, "sup", "", "");
	struct claims out;
	char *tok;

	check_round_trip(&f->rs);
	/* The verify-only config accepts what the signing one issued. */
	tok = auth_issue(&f->rs, &c, 0, NOW);
	assert_non_null(tok);
	assert_int_equal(auth_verify(&f->rsv, tok, NOW, &out), AUTH_OK);
	assert_int_equal(out.role, ROLE_SUPERVISOR);
	assert_int_equal(auth_verify(&f->rs2, tok, NOW, &out),
			 AUTH_BAD_SIGNATURE);
	free(tok);
}

static void test_es256_round_trip(void **state)
{
	struct fixture *f = *state;
	struct claims c = claims_of(ROLE_ADMIN, "adm", "", "");
	struct claims out;
	char *tok, *sig;

	check_round_trip(&f->es);
	tok = auth_issue(&f->es, &c, 0, NOW);
	assert_non_null(tok);
	/* JWS ES256 signatures are raw r||s, 64 bytes: 86 base64url chars. */
	sig = strrchr(tok, '.') + 1;
	assert_int_equal(strlen(sig), 86);
	assert_int_equal(auth_verify(&f->es, tok, NOW, &out), AUTH_OK);
	assert_int_equal(out.role, ROLE_ADMIN);
	/* The last character's low 4 bits are padding: flipping one gives
	 * the same signature bytes to a lenient decoder (libjwt's), so only
	 * the strict decoder stops a second spelling of the same token. */
	sig[85] = b64_low_bit_flip(sig[85]);
	assert_int_not_equal(auth_verify(&f->es, tok, NOW, &out), AUTH_OK);
	free(tok);
}

/* --- configuration ------------------------------------------------------- */

static void config_fails(const char *alg, const char *sec, const char *pub,
			 const char *priv, const char *ttl, const char *needle)
{
	struct auth_config cfg;
	char err[256] = "";

	memset(&cfg, 0xa5, sizeof(cfg));
	if (config_rc(&cfg, alg, sec, pub, priv, ttl, err, sizeof(err)) != -1)
		fail_msg("config alg=%s ttl=%s pub=%s priv=%s accepted",
			 alg ? alg : "-", ttl ? ttl : "-", pub ? pub : "-",
			 priv ? priv : "-");
	assert_true(err[0] != '\0');
	if (needle && !strstr(err, needle))
		fail_msg("error \"%s\" lacks \"%s\"", err, needle);
	/* Never the secret, not even part of it. */
	if (sec && strlen(sec) >= 8)
		assert_null(strstr(err, sec + strlen(sec) - 8));
	/* Left clean: nothing to free, nothing dangling. */
	assert_null(cfg.verify_key);
	assert_null(cfg.sign_key);
	assert_null(cfg.issuer);
	assert_null(cfg.audience);
}

static void test_config_errors(void **state)
{
	struct fixture *f = *state;
	char shortsec[32];

	memset(shortsec, 'k', 31);
	shortsec[31] = '\0';
	config_fails(NULL, shortsec, NULL, NULL, NULL, "SECRET");
	config_fails("HS256", NULL, NULL, NULL, NULL, "SECRET");
	config_fails("HS256", "", NULL, NULL, NULL, "SECRET");
	config_fails("HS512", secret, NULL, NULL, NULL, "ALG");
	config_fails("none", secret, NULL, NULL, NULL, "ALG");
	config_fails("hs256", secret, NULL, NULL, NULL, "ALG");
	config_fails("HS256 ", secret, NULL, NULL, NULL, "ALG");
	config_fails(NULL, secret, NULL, NULL, "59", "TTL");
	config_fails(NULL, secret, NULL, NULL, "86401", "TTL");
	config_fails(NULL, secret, NULL, NULL, "abc", "TTL");
	config_fails(NULL, secret, NULL, NULL, "3600s", "TTL");
	config_fails(NULL, secret, NULL, NULL, "-3600", "TTL");
	config_fails(NULL, secret, NULL, NULL, " 3600", "TTL");
	config_fails(NULL, secret, NULL, NULL, "99999999999999999999", "TTL");

	config_fails("RS256", secret, NULL, NULL, NULL, "PUBLIC_KEY");
	config_fails("ES256", NULL, "", NULL, NULL, "PUBLIC_KEY");
	config_fails("RS256", NULL, "/nonexistent/key.pem", NULL, NULL,
		     "/nonexistent/key.pem");
	config_fails("RS256", NULL, f->garbage, NULL, NULL, f->garbage);
	config_fails("RS256", NULL, f->dir, NULL, NULL, f->dir);
	/* Key of the wrong kind for the algorithm. */
	config_fails("RS256", NULL, f->ec_pub, NULL, NULL, f->ec_pub);
	config_fails("ES256", NULL, f->rsa_pub, NULL, NULL, f->rsa_pub);
	config_fails("ES256", NULL, f->ec_pub, f->rsa_priv, NULL, f->rsa_priv);
	/* A private key given where the public one belongs. */
	config_fails("RS256", NULL, f->rsa_priv, NULL, NULL, f->rsa_priv);
	/* Key pair halves that do not match. */
	config_fails("RS256", NULL, f->rsa_pub, f->rsa2_priv, NULL, "match");
	/* Encrypted: refused rather than prompting on the terminal. */
	config_fails("RS256", NULL, f->rsa_pub, f->rsa_enc, NULL, f->rsa_enc);
	config_fails("RS256", NULL, f->rsa_pub, "/nonexistent/priv.pem", NULL,
		     "/nonexistent/priv.pem");

	/* A NULL err buffer must not crash. */
	{
		struct auth_config cfg;

		assert_int_equal(auth_config_init(&cfg, "HS512", secret, NULL,
						  NULL, NULL, NULL, NULL, NULL,
						  0), -1);
	}
}

static void test_config_defaults(void **state)
{
	struct fixture *f = *state;
	struct auth_config cfg;
	char exact[33];
	char err[256];

	memset(exact, 'k', 32);
	exact[32] = '\0';
	assert_int_equal(auth_config_init(&cfg, NULL, exact, NULL, NULL, "", "",
					  NULL, err, sizeof(err)), 0);
	assert_int_equal(cfg.alg, AUTH_ALG_HS256);
	assert_int_equal(cfg.ttl, 900);
	assert_int_equal(cfg.max_lifetime, 86400);
	assert_int_equal(cfg.leeway, 60);
	assert_null(cfg.issuer);
	assert_null(cfg.audience);
	assert_int_equal(cfg.verify_key_len, 32);
	assert_int_equal(cfg.sign_key_len, 32);
	assert_memory_equal(cfg.verify_key, exact, 32);
	assert_memory_equal(cfg.sign_key, exact, 32);
	auth_config_free(&cfg);
	assert_null(cfg.verify_key);
	auth_config_free(&cfg); /* twice is harmless */

	assert_int_equal(config_rc(&cfg, "", secret, NULL, NULL, "60", err,
				   sizeof(err)), 0);
	assert_int_equal(cfg.alg, AUTH_ALG_HS256);
	assert_int_equal(cfg.ttl, 60);
	auth_config_free(&cfg);
	assert_int_equal(config_rc(&cfg, "HS256", secret, NULL, NULL, "86400",
				   err, sizeof(err)), 0);
	assert_int_equal(cfg.ttl, 86400);
	auth_config_free(&cfg);

	/* The fixtures' asymmetric configurations. */
	assert_int_equal(f->rs.alg, AUTH_ALG_RS256);
	assert_non_null(f->rs.sign_key);
	assert_null(f->rsv.sign_key);
	assert_int_equal(f->rsv.verify_key_len, f->rsa_pub_pem_len);
	assert_int_equal(f->es.alg, AUTH_ALG_ES256);
	assert_string_equal(f->hsia.issuer, "https://opengov.test");
	assert_string_equal(f->hsia.audience, "opengov-api");
}

/* --- passwords ----------------------------------------------------------- */

/* exp - iat above the maximum lifetime is refused, whatever exp says. */
static void test_lifetime_cap(void **state)
{
	struct fixture *f = *state;
	struct auth_config cfg = f->hs;
	char *p;

	cfg.max_lifetime = 3600;
	p = xasprintf("{\"sub\":\"s\",\"role\":\"public\",\"iat\":%lld,\"exp\":%lld}",
		      (long long)NOW, (long long)NOW + 3600);
	assert_int_equal(hs_check(&cfg, p, NULL), AUTH_OK);
	free(p);
	p = xasprintf("{\"sub\":\"s\",\"role\":\"public\",\"iat\":%lld,\"exp\":%lld}",
		      (long long)NOW, (long long)NOW + 3601);
	assert_int_equal(hs_check(&cfg, p, NULL), AUTH_TOO_LONG);
	free(p);
	/* An old iat does not buy a long exp either. */
	p = xasprintf("{\"sub\":\"s\",\"role\":\"public\",\"iat\":%lld,\"exp\":%lld}",
		      (long long)NOW - 86400, (long long)NOW + 60);
	assert_int_equal(hs_check(&cfg, p, NULL), AUTH_TOO_LONG);
	free(p);
	p = xasprintf("{\"sub\":\"s\",\"role\":\"public\",\"exp\":%lld}",
		      (long long)NOW + 60);
	assert_int_equal(hs_check(&cfg, p, NULL), AUTH_MISSING_CLAIM);
	free(p);
}

/* sid and ver go out with an issued token and come back verified. */
static void test_session_claims(void **state)
{
	struct fixture *f = *state;
	struct claims in = claims_of(ROLE_ADMIN, "7a9e2c41-3b5d-4f60-8e1a-2c3d4e5f6a7b", "", "");
	struct claims out;
	char *tok, *p;

	snprintf(in.sid, sizeof in.sid, "0b6f3a52-8d3e-4c59-9f8e-3f1a2b7c9d10");
	in.ver = 7;
	tok = auth_issue(&f->hs, &in, 0, NOW);
	assert_non_null(tok);
	assert_int_equal(auth_verify(&f->hs, tok, NOW, &out), AUTH_OK);
	assert_string_equal(out.sid, in.sid);
	assert_int_equal(out.ver, 7);
	free(tok);
	/* A lifetime asked beyond the maximum is cut to it. */
	struct auth_config cfg = f->hs;
	cfg.max_lifetime = 600;
	tok = auth_issue(&cfg, &in, 86400, NOW);
	assert_non_null(tok);
	assert_int_equal(auth_verify(&cfg, tok, NOW, &out), AUTH_OK);
	assert_int_equal(out.exp, NOW + 600);
	free(tok);
	/* Bad shapes of sid and ver. */
	p = payload_with("\"sub\":\"s\",\"role\":\"admin\",\"sid\":\"not-a-uuid\"");
	assert_int_equal(hs_check(&f->hs, p, NULL), AUTH_MISSING_CLAIM);
	free(p);
	p = payload_with("\"sub\":\"s\",\"role\":\"admin\",\"ver\":0");
	assert_int_equal(hs_check(&f->hs, p, NULL), AUTH_MISSING_CLAIM);
	free(p);
	p = payload_with("\"sub\":\"s\",\"role\":\"admin\",\"ver\":\"1\"");
	assert_int_equal(hs_check(&f->hs, p, NULL), AUTH_MISSING_CLAIM);
	free(p);
	in.ver = -1;
	assert_null(auth_issue(&f->hs, &in, 0, NOW));
}

static void test_password_policy(void **state)
{
	(void)state;
	assert_non_null(password_policy_check("password"));
	assert_non_null(password_policy_check("short-pw1"));
	assert_non_null(password_policy_check("password1234"));
	assert_non_null(password_policy_check("PassWord1234"));
	assert_non_null(password_policy_check("1234567890"));
	assert_non_null(password_policy_check("qwertyuiop"));
	assert_null(password_policy_check("correct horse battery"));
	assert_null(password_policy_check("demo-password"));
	/* Ten characters, counted as characters, not bytes. */
	assert_null(password_policy_check("密码是一个很长的句子啊"));
	assert_non_null(password_policy_check("密码是一个很长的句子"  + 3));
	/* The list is sorted, as bsearch needs. */
	for (size_t i = 1; i < common_passwords_count; i++)
		assert_true(strcmp(common_passwords[i - 1], common_passwords[i]) < 0);
}

static void test_password(void **state)
{
	char h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX], small[40];
	char *bad;

	(void)state;
	assert_int_equal(password_hash("demo-password", h1, sizeof(h1)), 0);
	assert_true(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	assert_true(strlen(h1) < PASSWORD_HASH_MAX);
	assert_int_equal(password_verify(h1, "demo-password"), 1);
	assert_int_equal(password_verify(h1, "demo-passwore"), 0);
	assert_int_equal(password_verify(h1, ""), 0);
	assert_int_equal(password_verify(h1, "demo-password "), 0);

	/* Random salt: same password, different hash, both verify. */
	assert_int_equal(password_hash("demo-password", h2, sizeof(h2)), 0);
	assert_string_not_equal(h1, h2);
	assert_int_equal(password_verify(h2, "demo-password"), 1);

	assert_int_equal(password_hash("", h2, sizeof(h2)), 0);
	assert_int_equal(password_verify(h2, ""), 1);
	assert_int_equal(password_verify(h2, "x"), 0);

	assert_int_equal(password_hash("pw", small, sizeof(small)), -1);
	assert_int_equal(password_hash(NULL, h2, sizeof(h2)), -1);

	assert_int_equal(password_verify("", "demo-password"), -1);
	assert_int_equal(password_verify("plaintext", "plaintext"), -1);
	assert_int_equal(password_verify("$argon2id$garbage", "x"), -1);
	assert_int_equal(password_verify(NULL, "x"), -1);
	assert_int_equal(password_verify(h1, NULL), -1);
	/* Truncated hash. */
	bad = strndup(h1, strlen(h1) - 10);
	assert_int_equal(password_verify(bad, "demo-password"), -1);
	free(bad);
	/* argon2i is not argon2id. */
	bad = strdup(h1);
	memmove(bad + 8, bad + 9, strlen(bad + 9) + 1); /* "$argon2i$..." */
	assert_int_equal(password_verify(bad, "demo-password"), -1);
	free(bad);
}

/* --- small pure functions ------------------------------------------------ */

static void test_uuid_valid(void **state)
{
	(void)state;
	assert_true(uuid_valid(unit_a));
	assert_true(uuid_valid("00000000-0000-0000-0000-000000000000"));
	assert_true(uuid_valid("ABCDEF01-2345-6789-ABCD-EF0123456789"));
	assert_true(uuid_valid("AbCdEf01-2345-6789-abcd-ef0123456789"));
	assert_false(uuid_valid(NULL));
	assert_false(uuid_valid(""));
	assert_false(uuid_valid("3f1c2a9e-7b4d-4c1e-9a5f-2b6d8e0f1a2"));
	assert_false(uuid_valid("3f1c2a9e-7b4d-4c1e-9a5f-2b6d8e0f1a234"));
	assert_false(uuid_valid("3f1c2a9e7b4d4c1e9a5f2b6d8e0f1a23"));
	assert_false(uuid_valid("3f1c2a9e-7b4d-4c1e-9a5f_2b6d8e0f1a23"));
	assert_false(uuid_valid("3f1c2a9e-7b4d-4c1e-9a5f-2b6d8e0f1a2g"));
	assert_false(uuid_valid("3f1c2a9e-7b4d-4c1e-9a5f-2b6d8e0f1a2 "));
	assert_false(uuid_valid(" 3f1c2a9e-7b4d-4c1e-9a5f-2b6d8e0f1a2"));
	assert_false(uuid_valid("{3f1c2a9e-7b4d-4c1e-9a5f-2b6d8e0f1a}"));
	assert_false(uuid_valid("3f1c2a9e-7b4d4-c1e-9a5f-2b6d8e0f1a23"));
	assert_false(uuid_valid("------------------------------------"));
}

static void test_roles(void **state)
{
	static const char *const names[] = { "public", "clerk", "approver",
					     "supervisor", "admin" };
	int r;

	(void)state;
	for (r = 0; r < ROLE__MAX; r++) {
		assert_string_equal(auth_role_name((enum auth_role)r), names[r]);
		assert_int_equal(auth_role_parse(names[r]), r);
	}
	assert_int_equal(auth_role_parse("PUBLIC"), -1);
	assert_int_equal(auth_role_parse("admin "), -1);
	assert_int_equal(auth_role_parse(""), -1);
	assert_int_equal(auth_role_parse(NULL), -1);
	assert_null(auth_role_name(ROLE__MAX));
	assert_null(auth_role_name((enum auth_role)-1));
	assert_int_equal(ROLES_STAFF, 0x6);
	assert_int_equal(ROLES_ALL, 0x1f);
}

static void test_status_messages(void **state)
{
	int s, t;

	(void)state;
	for (s = 0; s < AUTH__MAX; s++) {
		const char *m = auth_status_message((enum auth_status)s);

		assert_non_null(m);
		assert_true(m[0] != '\0');
		for (t = 0; t < s; t++)
			assert_string_not_equal(
				m, auth_status_message((enum auth_status)t));
	}
	assert_non_null(auth_status_message(AUTH__MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hs256_valid),
		cmocka_unit_test(test_alg_none),
		cmocka_unit_test(test_alg_hs512),
		cmocka_unit_test(test_alg_confusion),
		cmocka_unit_test(test_tampered_payload),
		cmocka_unit_test(test_tampered_signature),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_exp_missing),
		cmocka_unit_test(test_nbf),
		cmocka_unit_test(test_iat_future),
		cmocka_unit_test(test_issuer),
		cmocka_unit_test(test_audience),
		cmocka_unit_test(test_role),
		cmocka_unit_test(test_unit),
		cmocka_unit_test(test_sub),
		cmocka_unit_test(test_applicant_type),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_issue_hs256),
		cmocka_unit_test(test_issue_refuses),
		cmocka_unit_test(test_rs256_round_trip),
		cmocka_unit_test(test_es256_round_trip),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_lifetime_cap),
		cmocka_unit_test(test_session_claims),
		cmocka_unit_test(test_password_policy),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_uuid_valid),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_status_messages),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
