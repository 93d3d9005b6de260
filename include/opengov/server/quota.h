/* quota.h - how much anonymous and public callers may create per window of
 * time (OPENGOV_QUOTA_*): accounts per address, requests and uploads per
 * account and per address. Counted in PostgreSQL (sql/020, quota_take). */
#ifndef OPENGOV_QUOTA_H
#define OPENGOV_QUOTA_H

#include "opengov/server/http.h"

enum quota_action {
	QUOTA_REGISTRATION, /* POST /v1/accounts, self-registration */
	QUOTA_REQUEST,      /* POST /v1/requests, online */
	QUOTA_UPLOAD,       /* POST /v1/requests/{id}/materials */
	QUOTA__MAX
};

/* Takes one unit of action a's quotas for the caller (their account, if
 * public, and their address; staff and admins are not counted). 0 when
 * taken or not counted; else -1 after answering 429 with Retry-After (or
 * 5xx), rolled back. The unit is taken in the caller's transaction, begun
 * here if none is open (the caller commits it with the creation): a
 * creation refused or rolled back later gives its unit back. */
int quota_take_or_reply(struct req *r, enum quota_action a);

/* For a statement that takes the units itself (POST /v1/requests takes
 * them in its one statement): the arguments of quota_take(kinds, subjects,
 * limits, window) for action a and the caller, as text. false: the caller
 * is not counted. */
struct quota_args {
	const char *account_kind, *address_kind, *account, *address;
	char account_limit[16], address_limit[16], window[16];
};
bool quota_args(const struct req *r, enum quota_action a, struct quota_args *out);
/* 429 with Retry-After for action a: quota_take() answered retry seconds. */
void quota_reply(struct req *r, enum quota_action a, long long retry);

#endif
