/* sessions.h - what a token we issued still means: the account's status and
 * token version and the token's session, checked on every authenticated
 * request from the worker's cache (accountcache.h); sessions and their
 * rotating refresh tokens; the login throttle by source address and by
 * (source address, username). The database side of api/accounts.c. */
#ifndef OPENGOV_SESSIONS_H
#define OPENGOV_SESSIONS_H

#include "opengov/server/http.h"

/* Fixed windows of LOGIN_WINDOW seconds: at most LOGIN_PER_ADDRESS attempts
 * from one address and LOGIN_PER_ACCOUNT from one address at one username
 * reach the password check; a successful login gives its attempts back. */
#define LOGIN_WINDOW 900
#define LOGIN_PER_ADDRESS 200
#define LOGIN_PER_ACCOUNT 5

/* A refresh token: 32 random bytes in base64url (43 characters), kept in
 * buffers of REFRESH_TOKEN_BUF bytes (what b64url_encode may write). */
#define REFRESH_TOKEN_LEN 43
#define REFRESH_TOKEN_BUF 48

/* After the token verified (router): when its sub names an account, the
 * account must be active, the token's ver (1 when absent) its
 * token_version, and its sid a live session of it; a sid whose account is
 * gone is refused too. 0, or -1 after answering 401 (or 503). */
int session_check_or_reply(struct req *r);

/* Counts this attempt (its own committed statement, before any password is
 * checked, so parallel attempts cannot overtake the count) and answers 429
 * with Retry-After when the address or the (address, username) pair is over
 * its limit. Known and unknown usernames are counted alike. 0 or -1. */
int login_throttle_or_reply(struct req *r, const char *username);
/* In the caller's transaction, after a successful login: the pair's count
 * goes back to 0 and the address's down by one. 0 or -1 (answered). */
int login_throttle_refund_or_reply(struct req *r, const char *username);

/* In the caller's transaction: a new session of account (living
 * cfg->auth.refresh_ttl) and its first refresh token. Fills sid and refresh
 * (REFRESH_TOKEN_BUF bytes). 0 or -1 (answered). */
int session_open_or_reply(struct req *r, const char *account, char sid[37], char *refresh,
			  long long *expires_in);
/* In the caller's transaction: the next refresh token of session sid.
 * *expires_in: seconds the session (and so the token) has left. */
int session_refresh_store_or_reply(struct req *r, const char *account, const char *sid,
				   char *refresh, long long *expires_in);
/* The SHA-256 of a refresh token, in hex: what the database keeps. */
void refresh_token_hash(const char *token, char hex[65]);
/* Answers 200 with a new access token for c and the refresh token
 * (Cache-Control: no-store). Call after the commit. */
void token_pair_reply(struct req *r, const struct claims *c, const char *refresh,
		      long long refresh_expires_in);

#endif
