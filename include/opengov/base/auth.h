/* auth.h - JWT verification and issuing, password hashing.
 * Pure module: no FastCGI, no database; unit-tested in tests/unit/test_auth.c. */
#ifndef OPENGOV_AUTH_H
#define OPENGOV_AUTH_H

#include <stddef.h>
#include <time.h>

enum auth_role {
	ROLE_PUBLIC,
	ROLE_CLERK,
	ROLE_APPROVER,
	ROLE_SUPERVISOR,
	ROLE_ADMIN,
	ROLE__MAX
};

#define ROLE_BIT(r) (1u << (r))
#define ROLES_STAFF (ROLE_BIT(ROLE_CLERK) | ROLE_BIT(ROLE_APPROVER))
#define ROLES_ALL ((1u << ROLE__MAX) - 1)

enum auth_alg { AUTH_ALG_HS256, AUTH_ALG_RS256, AUTH_ALG_ES256 };

struct auth_config {
	enum auth_alg alg;
	unsigned char *verify_key; /* HS256 secret or PEM public key */
	size_t verify_key_len;
	unsigned char *sign_key; /* HS256 secret or PEM private key; NULL: cannot issue */
	size_t sign_key_len;
	char *issuer;   /* NULL: not checked, not set */
	char *audience; /* NULL: not checked, not set */
	long leeway;    /* seconds of clock skew allowed on nbf/iat (60) */
	long ttl;       /* lifetime of issued access tokens in seconds (900) */
	long max_lifetime; /* exp - iat above this is refused (86400); 0: not checked */
	long refresh_ttl;  /* lifetime of a session's refresh tokens (30 days) */
};

enum auth_status {
	AUTH_OK,
	AUTH_MALFORMED,     /* not three base64url parts, bad JSON, ... */
	AUTH_BAD_ALG,       /* header alg is not the configured one (incl. none) */
	AUTH_BAD_SIGNATURE,
	AUTH_EXPIRED,       /* exp missing counts as AUTH_MISSING_CLAIM */
	AUTH_NOT_YET_VALID, /* nbf or iat more than leeway in the future */
	AUTH_BAD_ISSUER,
	AUTH_BAD_AUDIENCE,
	AUTH_BAD_ROLE,      /* role missing or not one of the five */
	AUTH_MISSING_UNIT,  /* clerk/approver without a valid unit UUID */
	AUTH_MISSING_CLAIM, /* exp, iat or sub missing / wrong type; bad sid or ver */
	AUTH_TOO_LONG,      /* exp - iat above the configured maximum lifetime */
	AUTH__MAX
};

struct claims {
	char sub[128];
	enum auth_role role;
	char unit[37];           /* "" when absent */
	char applicant_type[32]; /* "" when absent */
	char sid[37];            /* session UUID of a token we issued; "" when absent */
	long long ver;           /* the account's token version; 0 when absent */
	long long iat, nbf, exp;
};

/* Builds cfg from the values of the OPENGOV_JWT_* variables (any may be NULL).
 * Reads key files. Returns 0, or -1 with a message in err. */
int auth_config_init(struct auth_config *cfg, const char *alg, const char *secret,
		     const char *public_key_file, const char *private_key_file,
		     const char *issuer, const char *audience, const char *ttl,
		     char *err, size_t errlen);
void auth_config_free(struct auth_config *cfg);
/* Sets the lifetimes from OPENGOV_JWT_MAX_LIFETIME and OPENGOV_REFRESH_TTL
 * (NULL or "": the defaults). Returns 0, or -1 with a message in err. */
int auth_config_lifetimes(struct auth_config *cfg, const char *max_lifetime,
			  const char *refresh_ttl, char *err, size_t errlen);

/* Verifies token at time now; fills out on AUTH_OK. */
enum auth_status auth_verify(const struct auth_config *cfg, const char *token,
			     time_t now, struct claims *out);

/* Issues a token for c (iat = nbf = now, exp = now + ttl). Returns a malloc'd
 * string, or NULL when the config cannot sign. */
char *auth_issue(const struct auth_config *cfg, const struct claims *c, long ttl,
		 time_t now);

const char *auth_status_message(enum auth_status s);
const char *auth_role_name(enum auth_role r);
/* Returns the role for name, or -1. */
int auth_role_parse(const char *name);


/* argon2id (t=2, m=19 MiB, p=1, 16-byte random salt, 32-byte hash).
 * Writes the encoded hash to out; returns 0 or -1. */
int password_hash(const char *password, char *out, size_t outlen);
/* 1 when password matches encoded, 0 when not, -1 on a malformed hash. */
int password_verify(const char *encoded, const char *password);
#define PASSWORD_HASH_MAX 160

/* The password rules: at least PASSWORD_MIN characters (UTF-8 code points)
 * and not one of the common passwords (src/base/pwlist.c, compared without
 * regard to ASCII case). NULL when password passes, else what is wrong. */
#define PASSWORD_MIN 10
const char *password_policy_check(const char *password);
extern const char *const common_passwords[];
extern const size_t common_passwords_count;

#endif
