/* casestore.h - a case in the database (src/domain/casestore.c): the columns every
 * read of a request selects, a step recorded (its immutable approvals row,
 * the case written back with its clocks and light dates, the audit entry),
 * and the steps the law takes by itself recorded by the system. Used by the
 * HTTP handlers (api/caseflow.c, api/) and by the monitor; knows nothing of
 * HTTP. */
#ifndef OPENGOV_CASESTORE_H
#define OPENGOV_CASESTORE_H

#include <stdbool.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "opengov/domain/casestep.h"
#include "opengov/db/db.h"

/* The columns every read of a request selects from "requests q". Times
 * come as whole seconds since 1970, days as day numbers (request_write
 * formats them: cheaper than to_char in the query). */
#define REQUEST_COLUMNS \
	"q.id, q.kind, q.number, q.status, q.unit_id, q.item_id, q.applicant_sub," \
	" q.applicant_type, q.applicant, q.channel, q.registered_by, q.description, q.purpose," \
	" q.delivery, q.form, floor(date_part('epoch', q.received_at))::bigint AS received_at," \
	" q.received_at::date - DATE '1970-01-01' AS received_day," \
	" floor(date_part('epoch', q.accepted_at))::bigint AS accepted_at, floor(date_part('epoch', q.decided_at))::bigint AS decided_at," \
	" q.decided_at::date - DATE '1970-01-01' AS decided_day," \
	" floor(date_part('epoch', q.closed_at))::bigint AS closed_at, q.closed_at::date - DATE '1970-01-01' AS closed_day," \
	" q.outcome, q.reason_code, q.legal_basis, q.responsible_unit_id, q.responsible_agency, q.remedy," \
	" q.clock_start - DATE '1970-01-01' AS clock_start, q.days_allowed, q.committed_days," \
	" q.acceptance_start - DATE '1970-01-01' AS acceptance_start," \
	" q.acceptance_due - DATE '1970-01-01' AS acceptance_due, q.extensions," \
	" q.excluded, q.correction, q.correction_due - DATE '1970-01-01' AS correction_due," \
	" q.corrections, q.pause, q.pause_limit - DATE '1970-01-01' AS pause_limit," \
	" q.fee, q.fee_due - DATE '1970-01-01' AS fee_due," \
	" q.delivery_due - DATE '1970-01-01' AS delivery_due," \
	" floor(date_part('epoch', q.delivered_at))::bigint AS delivered_at," \
	" q.delivered_at::date - DATE '1970-01-01' AS delivered_day, q.delivery_record," \
	" q.version, floor(date_part('epoch', q.created_at))::bigint AS created_at," \
	" floor(date_part('epoch', q.updated_at))::bigint AS updated_at," \
	" (extract(epoch FROM q.received_at) * 1000000)::bigint AS sort_us," \
	" (SELECT version FROM calendar_meta) AS cal_version," \
	" CASE WHEN q.kind = 'approval' AND q.status = 'submitted'" \
	"  THEN request_missing_materials(q.id, q.item_id) END AS missing_materials"

/* With the one-object reads: the newest upload of each material code, to
 * tell which checklist entries have been redone. */
#define REQUEST_DETAIL_COLUMNS REQUEST_COLUMNS "," \
	" CASE WHEN q.correction IS NOT NULL THEN (SELECT json_object_agg(code, us) FROM" \
	"  (SELECT code, (extract(epoch FROM max(uploaded_at)) * 1000000)::bigint AS us" \
	"   FROM materials WHERE request_id = q.id GROUP BY code) AS m) END AS latest_uploads"

/* What became of the answer outside the unit (sql/015): the request's
 * appeals, newest recorded first (a JSON array, NULL when none), and its
 * rating (a JSON object, NULL when none), as request_write shows them, kept
 * on the row by triggers. Every read that answers with a request selects
 * them after REQUEST_COLUMNS or REQUEST_DETAIL_COLUMNS; a row without them
 * (a request just created) shows none. */
#define REQUEST_REDRESS_COLUMNS " q.appeals_summary AS appeals, q.rating_summary AS rating"

/* What identifies a case in its records. */
struct case_key {
	const char *id, *unit_id, *number;
};

/* Who takes a step: the caller, or the system (actor "system"). */
struct case_actor {
	const char *actor, *role, *request_id; /* request_id: the HTTP request's, or NULL */
};

/* A step as its immutable approvals row records it; NULL members are SQL
 * NULL. */
struct case_step {
	const char *action;  /* the step's name (caserules: step) */
	const char *from, *to;
	const char *outcome, *reason_code, *legal_basis, *responsible_unit;
	const char *reason, *comment;
	int days;            /* -1 none */
	const char *items;   /* JSON text */
	int respond_by;      /* -1 none */
	json_t *details;     /* borrowed; NULL none */
};

/* What a step changes besides the clocks. */
struct case_changes {
	bool accepted, decided, closed, delivered;
	const char *outcome, *reason_code, *legal_basis, *responsible_unit;
	const char *responsible_agency, *remedy;
	json_t *delivery;    /* the delivery record, or NULL */
	json_t *fields;      /* resubmitted fields, or NULL */
};

/* Loads request id locked FOR UPDATE (SKIP LOCKED with skip) in the open
 * transaction; NULL on failure, 0 rows when absent or locked. */
PGresult *casestore_lock(struct db *db, const char *id, bool skip);

/* Inserts the step's row: its id, seq, at (RFC 3339) and at_us. */
PGresult *casestore_insert_step(struct db *db, const struct case_key *k,
				const struct case_actor *who, const struct case_step *st);
/* Writes s (and c) back; the light dates and today's light from cal.
 * Returns the new row (REQUEST_DETAIL_COLUMNS, REQUEST_REDRESS_COLUMNS). */
PGresult *casestore_write(struct db *db, const char *id, const struct calendar *cal,
			  const struct case_state *s, const struct case_changes *c, int today);
/* Appends the audit entry request.<step> for the step (detail: the
 * number, the step's id, action, from, to, plus extra's members). 0/-1. */
int casestore_audit(struct db *db, const struct case_key *k, const struct case_actor *who,
		    const char *step_id, const struct case_step *st, json_t *extra);

/* The steps the law takes by itself on the locked case s as of today
 * (casestep.h case_settle_next), each recorded with role "system" and the
 * actor given ("monitor" from the monitor, "system" when a caller's step
 * found the limit passed) (its row and audit entry) and applied to s; c gathers what they changed. done, when
 * set, is called with each action and its step id (the monitor raises its
 * findings there). Returns how many, or -1 on failure. */
int casestore_settle(struct db *db, const struct case_key *k, struct case_state *s,
		     int today, const char *actor, const char *request_id,
		     struct case_changes *c,
		     int (*done)(struct db *, const struct case_key *, enum case_action,
				 const struct case_state *, void *), void *arg);

#endif
