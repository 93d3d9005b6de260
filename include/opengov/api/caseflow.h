/* caseflow.h - cases over HTTP (api/caseflow.c): who sees a request and
 * what the caller may do with it, a step opened and committed for the
 * caller (with the steps the law took by itself first), the 409 that names
 * what is possible now, and the request as clients read it. The rules are
 * caserules.h and casestep.h; the storage casestore.h. */
#ifndef OPENGOV_CASEFLOW_H
#define OPENGOV_CASEFLOW_H

#include <stdbool.h>
#include <jansson.h>

#include "opengov/domain/casestore.h"
#include "opengov/server/http.h"

/* The facts about a request that decide who may do what with it. */
struct request_ref {
	char id[37];
	enum case_kind kind;
	enum case_status status;
	char channel[8];
	char unit_id[37];
	char item_id[37];     /* "" for disclosure requests */
	char number[32];
	bool own;             /* the caller is the applicant */
	bool unit_staff;      /* the caller is a clerk or approver of its unit */
};

/* The BY_* roles the caller holds on this request: the applicant (or a
 * clerk for an application not made online), clerk, approver. */
unsigned request_caller_mask(const struct req *r, const struct request_ref *ref);
bool request_acts_for_applicant(const struct req *r, const struct request_ref *ref);

/* Loads request id (REQUEST_DETAIL_COLUMNS) and checks the caller may see
 * it: its applicant, the staff of its unit, supervisors and admins. With
 * lock, inside the caller's open transaction, FOR UPDATE. Returns the row,
 * or NULL after answering (404 for an absent, invisible or malformed id;
 * 5xx); with lock a failure rolls the transaction back. */
PGresult *request_load_or_reply(struct req *r, const char *id, bool lock,
				struct request_ref *ref);
/* The same, keeping only the facts. 0, or -1 after answering. */
int request_find_or_reply(struct req *r, const char *id, bool lock,
			  struct request_ref *out);
void request_fill_ref(const struct req *r, const PGresult *res, int row,
		      struct request_ref *ref);
/* The newest upload of each material code of the row (its latest_uploads
 * column), microseconds by code; {} when none. */
json_t *request_latest_uploads(const PGresult *res);

/* Why step a, which the rules table allows now, would still be refused
 * for the request of row (res holds REQUEST_COLUMNS): for accept on an
 * approval request, the required materials not uploaded, an array of
 * {code, name} (sql/023's request_missing_materials). NULL when nothing
 * stands in the way; else the caller frees it. The accept step refuses
 * with it, allowed_actions leaves the step out and next_step names it. */
json_t *request_step_blocker(const PGresult *res, int row, const struct case_state *s,
			     enum case_action a);

/* The worker's calendar as of the version read with res (cal_version);
 * NULL after answering 5xx. */
const struct calendar *request_calendar_or_reply(struct req *r, const PGresult *res);
/* The request of row as clients read it (clocks, checklist, waits, next
 * step, the caller's allowed actions), as of day today. */
void request_write(struct buf *b, const struct req *r, const struct calendar *cal,
		   const PGresult *res, int row, int today);
/* Its ETag: version and day (the deadline block moves with the days). */
void request_etag(const PGresult *res, int row, enum lang l, char *out, size_t len);
/* Answers with the request of row 0, its ETag and Cache-Control. */
void request_reply(struct req *r, int status, const PGresult *res,
		   const struct calendar *cal);

/* Opens the transaction, loads request id locked (visible to the caller)
 * with its state and the calendar, and records the steps the law took by
 * itself since (deemed acceptance, abandonment, a consultation's end) into
 * c. NULL after answering. */
PGresult *case_begin_or_reply(struct req *r, const char *id, struct request_ref *ref,
			      struct case_state *s, const struct calendar **cal,
			      struct case_changes *c);
/* 0 when action a is possible now; else rolls back and answers 409 naming
 * the status, why, and the actions possible now (whoever takes them), less
 * those request_step_blocker refuses for the request of row 0 of res (its
 * REQUEST_COLUMNS; NULL: none left out). */
int case_possible_or_reply(struct req *r, const struct case_state *s,
			   const struct calendar *cal, enum case_action a, const PGresult *res);
/* Rolls back (if in a transaction) and answers 409 for the request of row
 * 0 of res: its status, why (fmt: English, with its line in
 * src/base/messages.def; written in r->lang), and the steps possible now
 * (whoever takes them); for what is not a step of the case (a rating, an
 * appeal). */
void request_conflict_reply(struct req *r, const PGresult *res, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Answers 409 for a: the status does not allow it (no rollback). */
void case_wrong_status(struct req *r, const struct case_state *s, const struct calendar *cal,
		       enum case_action a);
/* Records the caller's step (st->to = s's status), writes s back, appends
 * the audit entry (request.<step>, extra's members added) and commits.
 * Returns the request's new row and the step's id, or NULL after
 * answering. */
PGresult *case_commit_or_reply(struct req *r, const struct request_ref *ref,
			       struct case_state *s, const struct calendar *cal,
			       struct case_step *st, const struct case_changes *c, json_t *extra,
			       char step_id[37]);
/* Now as RFC 3339 UTC. */
void case_now_rfc3339(char out[32]);

#endif
