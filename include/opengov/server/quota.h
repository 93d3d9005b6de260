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

/* Takes one unit of action a's quotas for the caller in a statement of its
 * own, committed at once when no transaction is open (with
 * synchronous_commit off: a rate counter, UNLOGGED besides), so that the
 * counter rows are not held while the creation runs. *taken says whether a
 * unit was taken outside a transaction: the caller then gives it back with
 * quota_give_back if the creation is refused or fails (inside one, the
 * rollback does). 0 when taken or not counted; -1 after answering. */
int quota_take_apart_or_reply(struct req *r, enum quota_action a, bool *taken);
/* Gives back the unit quota_take_apart_or_reply took (best effort: a
 * failure is logged, the answer already decided). */
void quota_give_back(struct req *r, enum quota_action a);

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
