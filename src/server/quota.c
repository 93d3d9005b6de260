/* quota.c - the quotas on self-registration, online requests and uploads:
 * one upsert per creation (quota_take, sql/020), 429 with Retry-After. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "opengov/base/config.h"
#include "opengov/base/log.h"
#include "opengov/server/quota.h"

/* Per action: the counters' kinds and the config fields of their limits
 * (offsets of int members of struct config). */
static const struct quota_rule {
	const char *what;
	const char *account_kind;
	size_t account_limit;
	const char *address_kind;
	size_t address_limit;
} rules[QUOTA__MAX] = {
	[QUOTA_REGISTRATION] = { "accounts registered", NULL, 0, "registration:address",
				 offsetof(struct config, quota_registrations_per_address) },
	[QUOTA_REQUEST] = { "requests created", "request:account",
			    offsetof(struct config, quota_requests_per_account), "request:address",
			    offsetof(struct config, quota_requests_per_address) },
	[QUOTA_UPLOAD] = { "files uploaded", "upload:account",
			   offsetof(struct config, quota_uploads_per_account), "upload:address",
			   offsetof(struct config, quota_uploads_per_address) },
};

static int limit_of(const struct config *cfg, size_t off)
{
	return *(const int *)((const char *)cfg + off);
}

bool quota_args(const struct req *r, enum quota_action a, struct quota_args *out)
{
	const struct quota_rule *q = &rules[a];

	/* Staff and administrators work for the city: not counted. */
	if (r->authed && r->claims.role != ROLE_PUBLIC)
		return false;
	int acct = q->account_kind && r->authed ? limit_of(r->cfg, q->account_limit) : 0;
	int addr = r->remote_addr && *r->remote_addr ? limit_of(r->cfg, q->address_limit) : 0;
	if (!acct && !addr)
		return false;
	out->account_kind = q->account_kind ? q->account_kind : "-";
	out->address_kind = q->address_kind;
	out->account = acct ? r->claims.sub : "-";
	out->address = addr ? r->remote_addr : "-";
	snprintf(out->account_limit, sizeof out->account_limit, "%d", acct);
	snprintf(out->address_limit, sizeof out->address_limit, "%d", addr);
	snprintf(out->window, sizeof out->window, "%d", r->cfg->quota_window);
	return true;
}

void quota_reply(struct req *r, enum quota_action a, long long retry)
{
	const struct quota_rule *q = &rules[a];
	struct quota_args qa;

	(void)quota_args(r, a, &qa);
	int acct = atoi(qa.account_limit), addr = atoi(qa.address_limit);
	http_header(r, "Retry-After", "%lld", retry);
	if (acct && addr)
		problem_replyf(r, 429, "too-many-requests",
			       "Too many %s: at most %d per account and %d per address every %d seconds."
			       " Retry after %lld seconds.",
			       q->what, acct, addr, r->cfg->quota_window, retry);
	else
		problem_replyf(r, 429, "too-many-requests",
			       "Too many %s: at most %d per %s every %d seconds. Retry after %lld seconds.",
			       q->what, acct ? acct : addr, acct ? "account" : "address",
			       r->cfg->quota_window, retry);
}

/* quota_take's and quota_give's parameters, in their order. */
#define QUOTA_PARAMS(qa)                                                                  \
	{ (qa)->account_kind, (qa)->address_kind, (qa)->account, (qa)->address,            \
	  (qa)->account_limit, (qa)->address_limit, (qa)->window }

/* quota_take's answer for qa (0, or the seconds until the window turns),
 * or -1 after answering a database error. */
static long long run_take(struct req *r, struct db_stmt *st, const struct quota_args *qa)
{
	const char *p[] = QUOTA_PARAMS(qa);
	PGresult *res = db_exec_or_reply(r, st, 7, p);

	if (!res)
		return -1;
	long long retry = db_get_ll(res, 0, "retry_after");
	PQclear(res);
	return retry > 0 ? retry : 0;
}

int quota_take_or_reply(struct req *r, enum quota_action a)
{
	DB_STMT(st, "quota_take",
		"SELECT quota_take(ARRAY[$1, $2], ARRAY[$3, $4], ARRAY[$5::int, $6::int], $7::int)"
		" AS retry_after");
	struct quota_args qa;

	if (!quota_args(r, a, &qa))
		return 0;
	/* In the creation's transaction: a creation refused later (422, 409)
	 * or failing gives its unit back, and bad input changes nothing. */
	if (!r->db->in_tx && db_begin_or_reply(r))
		return -1;
	long long retry = run_take(r, &st, &qa);
	if (retry < 0)
		return -1;
	if (retry == 0)
		return 0;
	db_rollback(r->db);
	quota_reply(r, a, retry);
	return -1;
}

int quota_take_apart_or_reply(struct req *r, enum quota_action a, bool *taken)
{
	DB_STMT(st, "quota_take_apart",
		"SELECT quota_take(ARRAY[$1, $2], ARRAY[$3, $4], ARRAY[$5::int, $6::int], $7::int)"
		" AS retry_after, set_config('synchronous_commit', 'off', true) AS commit_mode");
	struct quota_args qa;

	*taken = false;
	if (!quota_args(r, a, &qa))
		return 0;
	bool apart = !r->db->in_tx;
	long long retry = run_take(r, &st, &qa);
	if (retry < 0)
		return -1;
	if (retry == 0) {
		*taken = apart;
		return 0;
	}
	if (r->db->in_tx)
		db_rollback(r->db);
	quota_reply(r, a, retry);
	return -1;
}

void quota_give_back(struct req *r, enum quota_action a)
{
	DB_STMT(st, "quota_give",
		"SELECT quota_give(ARRAY[$1, $2], ARRAY[$3, $4], ARRAY[$5::int, $6::int], $7::int),"
		" set_config('synchronous_commit', 'off', true)");
	struct quota_args qa;

	if (!quota_args(r, a, &qa) || r->db->in_tx)
		return;
	const char *p[] = QUOTA_PARAMS(&qa);
	PGresult *res = db_exec(r->db, &st, 7, p);
	if (!res)
		log_warn("a quota unit could not be given back");
	PQclear(res);
}
