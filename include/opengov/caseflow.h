/* caseflow.h - the request state machine (src/caseflow.c): the steps each
 * status allows and who takes them, who sees a request, recording a step,
 * and the request as clients read it. */
#ifndef OPENGOV_CASEFLOW_H
#define OPENGOV_CASEFLOW_H

#include <stdbool.h>
#include <jansson.h>

#include "opengov/caseclock.h"
#include "opengov/http.h"

/* The law's numbers. */
#define DISCLOSURE_DAYS 20       /* working days to answer a disclosure request */
#define EXTENSION_MAX_DAYS 20    /* one extension of at most this */
#define CORRECTION_WINDOW 7      /* a notice only within 7 working days of receipt */
#define CORRECTION_MAX_DAYS 30   /* the longest time given to answer a notice */

/* The columns every read of a request selects from "requests q". Times
 * come as whole seconds since 1970 (request_write formats them: cheaper
 * than to_char in the query, which was half a list page's database time). */
#define REQUEST_COLUMNS \
	"q.id, q.kind, q.number, q.status, q.unit_id, q.item_id, q.applicant_sub," \
	" q.applicant_type, q.applicant, q.channel, q.registered_by, q.description, q.purpose," \
	" q.delivery, q.form, floor(date_part('epoch', q.received_at))::bigint AS received_at," \
	" q.received_at::date - DATE '1970-01-01' AS received_day," \
	" floor(date_part('epoch', q.accepted_at))::bigint AS accepted_at, floor(date_part('epoch', q.decided_at))::bigint AS decided_at," \
	" q.decided_at::date - DATE '1970-01-01' AS decided_day," \
	" floor(date_part('epoch', q.closed_at))::bigint AS closed_at, q.closed_at::date - DATE '1970-01-01' AS closed_day," \
	" q.outcome, q.reason_code, q.legal_basis, q.responsible_unit_id," \
	" q.clock_start - DATE '1970-01-01' AS clock_start, q.days_allowed, q.extensions," \
	" q.excluded, q.correction, q.correction_due - DATE '1970-01-01' AS correction_due," \
	" q.corrections, q.version, floor(date_part('epoch', q.created_at))::bigint AS created_at," \
	" floor(date_part('epoch', q.updated_at))::bigint AS updated_at," \
	" (extract(epoch FROM q.received_at) * 1000000)::bigint AS sort_us," \
	" (SELECT version FROM calendar_meta) AS cal_version"

/* With the one-object reads: the newest upload of each material code, to
 * tell which checklist entries have been redone. */
#define REQUEST_DETAIL_COLUMNS REQUEST_COLUMNS "," \
	" CASE WHEN q.correction IS NOT NULL THEN (SELECT json_object_agg(code, us) FROM" \
	"  (SELECT code, (extract(epoch FROM max(uploaded_at)) * 1000000)::bigint AS us" \
	"   FROM materials WHERE request_id = q.id GROUP BY code) AS m) END AS latest_uploads"

/* The facts about a request that decide who may do what with it. */
struct request_ref {
	char id[37];
	char kind[16];        /* disclosure | approval */
	char status[24];
	char channel[8];      /* online | paper | counter | post */
	char unit_id[37];
	char item_id[37];     /* "" for disclosure requests */
	char number[32];
	bool own;             /* the caller is the applicant */
	bool unit_staff;      /* the caller is a clerk or approver of its unit */
};

/* The actions a request of this kind allows in this status, whoever may
 * take them (the allowed_actions of a 409): staff steps, "withdraw",
 * "resubmission", "upload_material". NULL-terminated, static. */
const char *const *request_status_actions(const char *kind, const char *status);
/* Steps a clerk takes (accept, request_correction, refuse_acceptance) and
 * steps an approver takes (pause, resume, extend, decide). */
bool case_clerk_action(const char *action);
bool case_approver_action(const char *action);
/* submitted, accepted, correction_required, paused. */
bool case_is_open(const char *status);
bool case_action_allowed(const struct case_state *s, const char *action);
/* Answers 409: the action does not fit the status (current_status and
 * the actions the status allows). */
void case_wrong_status(struct req *r, const struct case_state *s, const char *action);

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
/* Whether the caller may act for the applicant: the applicant, or a clerk
 * of the unit for an application that came on paper, at the counter or by
 * post (the applicant is then at the counter, not at a keyboard). */
bool request_acts_for_applicant(const struct req *r, const struct request_ref *ref);

/* The facts of row (REQUEST_COLUMNS) as they concern the caller. */
void request_fill_ref(const struct req *r, const PGresult *res, int row,
		      struct request_ref *ref);
/* The newest upload of each material code of the row (its latest_uploads
 * column, REQUEST_DETAIL_COLUMNS), microseconds by code; {} when none. */
json_t *request_latest_uploads(const PGresult *res);

/* The worker's calendar as of the version read with res (cal_version);
 * NULL after answering 5xx. */
const struct calendar *request_calendar_or_reply(struct req *r, const PGresult *res);
/* The request of row as clients read it (deadline, checklist, next step,
 * the caller's allowed actions), as of day today. */
void request_write(struct buf *b, const struct req *r, const struct calendar *cal,
		   const PGresult *res, int row, int today);
/* Its ETag: version and day (the deadline block moves with the days). */
void request_etag(const PGresult *res, int row, char *out, size_t len);
/* Answers with the request of row 0, its ETag and Cache-Control. */
void request_reply(struct req *r, int status, const PGresult *res,
		   const struct calendar *cal);

/* A step as its immutable approvals row records it; NULL members are SQL
 * NULL. */
struct case_step {
	const char *action;
	const char *from, *to;
	const char *outcome, *reason_code, *legal_basis, *responsible_unit;
	const char *reason, *comment;
	int days;          /* -1 none */
	const char *items; /* JSON text */
	int respond_by;    /* -1 none */
};

/* What a step changes besides the clock. */
struct case_changes {
	bool accepted, decided, closed;
	const char *outcome, *reason_code, *legal_basis, *responsible_unit;
	json_t *fields; /* resubmitted fields, or NULL */
};

/* Opens the transaction, loads request id locked (visible to the caller)
 * with its clock state and the calendar. NULL after answering. */
PGresult *case_begin_or_reply(struct req *r, const char *id, struct request_ref *ref,
			      struct case_state *s, const struct calendar **cal);
/* Records the step (st->to = s->status), writes s back, appends the audit
 * entry (request.<action>, with detail, which it consumes) and commits.
 * Returns the request's new row and the step's id, or NULL after
 * answering. */
PGresult *case_commit_or_reply(struct req *r, const struct request_ref *ref,
			       struct case_state *s, const struct calendar *cal,
			       struct case_step *st, const struct case_changes *c, json_t *detail,
			       char step_id[37]);
/* Now as RFC 3339 UTC. */
void case_now_rfc3339(char out[32]);

#endif
