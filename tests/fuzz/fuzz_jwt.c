/* fuzz_jwt.c - auth_verify (src/base/auth.c) against a fixed HS256 secret.
 * First input byte even: the rest is the token, as a client would send it.
 * Odd: the rest is a header and a payload JSON text (split at the first
 * NUL), which the harness encodes and signs with the secret, so that the
 * fuzzer reaches libjwt and the claim checks behind the signature.
 * Whatever is accepted must be a complete, well-formed set of claims. */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz.h"
#include "opengov/base/auth.h"
#include "opengov/base/validate.h"
#include "opengov/base/base64url.h"

#define SECRET "fuzzing-secret-fuzzing-secret-0123456789"
/* 2026-12-03T12:00:00Z */
#define NOW ((time_t)1796299200)

static struct auth_config cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	if (auth_config_init(&cfg, "HS256", SECRET, NULL, NULL, "opengov", NULL, NULL, err,
			     sizeof err)) {
		fprintf(stderr, "fuzz_jwt: %s\n", err);
		abort();
	}
	return 0;
}

static char *b64(const uint8_t *p, size_t n)
{
	char *s = malloc(4 * ((n + 2) / 3) + 1);

	b64url_encode(p, n, s);
	return s;
}

/* header.payload.signature, signed with SECRET. */
static char *signed_token(const uint8_t *data, size_t size)
{
	const uint8_t *pl;
	size_t pllen, hlen;

	fuzz_split(data, size, 0, &pl, &pllen, &hlen);
	char *h = b64(data, hlen), *p = b64(pl, pllen);
	size_t n = strlen(h) + strlen(p) + 1;
	char *tok = malloc(n + 1 + 44);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	snprintf(tok, n + 1, "%s.%s", h, p);
	if (!HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)tok, n,
		  md, &mdlen))
		abort();
	tok[n] = '.';
	b64url_encode(md, mdlen, tok + n + 1);
	free(h);
	free(p);
	return tok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct claims c;

	if (size < 1)
		return 0;
	char *tok = data[0] & 1 ? signed_token(data + 1, size - 1) : fuzz_cstr(data + 1, size - 1);
	enum auth_status st = auth_verify(&cfg, tok, NOW, &c);

	FUZZ_CHECK(st >= AUTH_OK && st < AUTH__MAX);
	FUZZ_CHECK(auth_status_message(st) != NULL);
#ifdef FUZZ_DEBUG
	fprintf(stderr, "%s: %s\n", tok, auth_status_message(st));
#endif
	if (st == AUTH_OK) {
		/* Accepted as a client sent it: the signature is the secret's. */
		if (!(data[0] & 1)) {
			const char *dot = strrchr(tok, '.');
			unsigned char md[EVP_MAX_MD_SIZE];
			unsigned int mdlen = 0;
			char sig[64];
			FUZZ_CHECK(dot && HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
					       (const unsigned char *)tok, (size_t)(dot - tok), md,
					       &mdlen));
			b64url_encode(md, mdlen, sig);
			FUZZ_CHECK(!strcmp(sig, dot + 1));
		}
		FUZZ_CHECK(memchr(c.sub, '\0', sizeof c.sub) && c.sub[0]);
		FUZZ_CHECK((unsigned)c.role < ROLE__MAX);
		FUZZ_CHECK(c.exp > (long long)NOW);
		FUZZ_CHECK(c.nbf <= (long long)NOW + 60 && c.iat <= (long long)NOW + 60);
		FUZZ_CHECK(memchr(c.unit, '\0', sizeof c.unit));
		FUZZ_CHECK(memchr(c.applicant_type, '\0', sizeof c.applicant_type));
		if (c.unit[0]) {
			FUZZ_CHECK(uuid_valid(c.unit));
			for (const char *u = c.unit; *u; u++)
				FUZZ_CHECK(!isupper((unsigned char)*u));
		}
		if (c.role == ROLE_CLERK || c.role == ROLE_APPROVER)
			FUZZ_CHECK(c.unit[0]);
	} else {
		/* A refusal leaves no claims behind. */
		FUZZ_CHECK(!c.sub[0] && !c.unit[0] && c.exp == 0);
	}
	free(tok);
	return 0;
}
