/* caserules.h - the case engine's one rules table (src/domain/caserules.c): the
 * kinds of request, their statuses, every action with who takes it, the
 * statuses it may be taken from, what it does to the clock and the law that
 * governs it; the outcomes and reason codes with the row of the national
 * annual report form each one counts under; pause reasons, channels and fee
 * methods. Handlers, allowed_actions, 409s, the monitor, the report and
 * `opengov rules` (which the spec test compares with openapi.yaml) all read
 * these tables: a name lives here and nowhere else in the C code. Pure. */
#ifndef OPENGOV_CASERULES_H
#define OPENGOV_CASERULES_H

#include <stdbool.h>

#include "opengov/base/buf.h"

/* The statutes' numbers (working days). */
#define DISCLOSURE_DAYS 20          /* OGI Regulations Art. 33(2) */
#define DISCLOSURE_EXTENSION_MAX 20 /* OGI Regulations Art. 33(2) */
#define DISCLOSURE_CORRECTION_WINDOW 7 /* OGI Regulations Art. 30 */
#define CORRECTION_MAX_DAYS 30      /* the longest time a notice gives */
#define THIRD_PARTY_DAYS 15         /* OGI Regulations Art. 32 */
#define FEE_PAYMENT_DAYS 20         /* 国办函〔2020〕109号: 20 working days from the day after the notice */
#define APPROVAL_ACCEPTANCE_DAYS 5  /* Administrative Licensing Law Art. 32(4) */
#define APPROVAL_DAYS 20            /* Administrative Licensing Law Art. 42 */
#define APPROVAL_EXTENSION_MAX 10   /* Administrative Licensing Law Art. 42 */
#define APPROVAL_DELIVERY_DAYS 10   /* Administrative Licensing Law Art. 44 */
#define PAUSE_MAX_DAYS 250          /* the longest duration an approval pause may declare */

enum case_kind { CK_DISCLOSURE, CK_APPROVAL, CK__MAX };

enum case_status {
	CS_SUBMITTED,
	CS_ACCEPTED,
	CS_CORRECTION_REQUIRED,
	CS_NOT_ACCEPTED,
	CS_PAUSED,
	CS_DECIDED,
	CS_WITHDRAWN,
	CS_ABANDONED,
	CS_AWAITING_PAYMENT,
	CS__MAX
};

#define CS_BIT(s) (1u << (s))

/* What a status does to the clock. */
enum case_phase {
	PHASE_RUNNING, /* the clock counts */
	PHASE_WAITING, /* stopped, with a limit: correction, pause, fee */
	PHASE_DECIDED, /* ended by a decision */
	PHASE_CLOSED,  /* ended without a decision */
};

struct case_status_rule {
	const char *name;
	enum case_phase phase;
	const char *label;      /* Chinese, as applicants read it */
	const char *meaning;
	/* A disclosure request closed in this status without an outcome code:
	 * the row of table 三 of the report form it counts under. */
	const char *report_row;
};

enum case_action {
	CA_SUBMIT,
	CA_REGISTER,
	CA_RESUBMISSION,
	CA_WITHDRAW,
	CA_ABANDON,
	CA_ACCEPT,
	CA_DEEMED_ACCEPT,
	CA_REQUEST_CORRECTION,
	CA_REFUSE_ACCEPTANCE,
	CA_PAUSE,
	CA_RESUME,
	CA_EXTEND,
	CA_FEE_NOTICE,
	CA_RECORD_PAYMENT,
	CA_DECIDE,
	CA_DELIVER,
	CA_UPLOAD_MATERIAL,
	CA__MAX
};

/* Who takes an action (bits). */
#define BY_APPLICANT 0x1 /* the applicant, or a clerk for an application not made online */
#define BY_CLERK 0x2
#define BY_APPROVER 0x4
#define BY_SYSTEM 0x8    /* the monitor, or the law itself when a limit passes */
#define BY_STAFF (BY_CLERK | BY_APPROVER)

/* What an action does to the clock. */
enum case_clock {
	CLOCK_NONE,
	CLOCK_START,      /* creation: the first clock starts at receipt */
	CLOCK_RESTART,    /* resubmission: counted again from the corrected application */
	CLOCK_DECISION,   /* acceptance: the decision clock starts */
	CLOCK_STOP,       /* stops, up to a limit: correction, pause, fee notice */
	CLOCK_RESUME,     /* counts again */
	CLOCK_EXTEND,     /* more working days, once */
	CLOCK_END,        /* decided or closed */
	CLOCK_DELIVERED,  /* the certificate's own clock ends */
	CLOCK__MAX
};

/* Conditions beyond the status (bits). */
#define PRE_ONCE 0x1          /* at most once per request */
#define PRE_BEFORE_DUE 0x2    /* strictly before the due date (on it or after: 409) */
#define PRE_NOT_OVERDUE 0x4   /* on or before the due date */
#define PRE_IN_WINDOW 0x8     /* within its statutory window (correction: 7 or 5 working days) */
#define PRE_STEP 0x10         /* taken with POST /v1/requests/{id}/approvals */
#define PRE_APPROVED_ONLY 0x20 /* delivery: after an approval, once */

struct case_action_rule {
	const char *name;        /* allowed_actions, 409s, the body's "action" */
	const char *step;        /* the action the approvals row records; NULL: no step */
	unsigned by;             /* BY_* */
	unsigned from[CK__MAX];  /* CS_BIT()s it may be taken from; 0: not for that kind */
	enum case_status to;     /* CS__MAX: back to the status before the wait */
	enum case_clock clock;
	unsigned pre;            /* PRE_* */
	const char *law;
	const char *does;
};

/* Outcome flags. */
#define OUT_REASON 0x1       /* needs a reason_code */
#define OUT_RESPONSIBLE 0x2  /* names the competent body (unit or free text) */
#define OUT_AFTER_CORRECTION 0x4 /* only after a correction and resubmission */
#define OUT_SYSTEM 0x8       /* recorded by the system when a limit passes, never chosen */
#define OUT_REMEDY 0x10      /* a refusal: states the right to reconsideration or litigation */

struct case_outcome_rule {
	const char *name;
	enum case_kind kind;
	unsigned flags;
	const char *report_row;  /* the row of table 三 of the 2021 form, "3.3.4.1"; NULL: not in it */
	const char *label;       /* the form's wording */
	const char *law;
};

struct case_reason_rule {
	const char *name;
	const char *report_row;
	const char *label;
};

struct case_pause_rule {
	const char *name;
	enum case_kind kind;     /* the kind it may pause */
	int statutory_days;      /* the law's limit (third party: 15); 0: declared by the unit */
	bool deprecated;         /* refused now, kept for old records and clients */
	const char *law;
	const char *label;
};

struct case_channel_rule {
	const char *name;
	unsigned by;             /* BY_APPLICANT (online) or BY_CLERK */
	const char *receipt;     /* what the receipt day is (OGI Regulations Art. 31) */
};

struct case_fee_rule {
	const char *name;
	const char *label;
};

extern const char *const case_kind_names[CK__MAX + 1]; /* NULL-terminated */
extern const struct case_status_rule case_statuses[CS__MAX];
extern const struct case_action_rule case_actions[CA__MAX];
extern const struct case_outcome_rule case_outcomes[];
extern const struct case_reason_rule case_reasons[];
extern const struct case_pause_rule case_pauses[];
extern const struct case_channel_rule case_channels[];
extern const struct case_fee_rule case_fee_methods[];
extern const unsigned case_outcome_count, case_reason_count, case_pause_count,
	case_channel_count, case_fee_method_count;

/* Lookups by name: the index, or -1. */
int case_kind_parse(const char *s);
int case_status_parse(const char *s);
int case_action_parse(const char *s);
/* By the name an approvals row records (resubmit, deemed_accept, ...). */
int case_step_parse(const char *s);
const struct case_outcome_rule *case_outcome_find(const char *s);
const struct case_reason_rule *case_reason_find(const char *s);
const struct case_pause_rule *case_pause_find(const char *s);
const struct case_channel_rule *case_channel_find(const char *s);
const struct case_fee_rule *case_fee_find(const char *s);

bool case_status_open(enum case_status s);
/* May the action be taken on a request of kind k in status s (the status
 * alone; preconditions are the caller's)? */
bool case_action_from(enum case_action a, enum case_kind k, enum case_status s);

/* NULL-terminated name lists for validators (static, built once). */
const char *const *case_kind_list(void);
const char *const *case_status_names(void);
const char *const *case_outcome_names(int kind); /* -1: every kind */
const char *const *case_reason_names(void);
const char *const *case_pause_names(void);      /* deprecated ones included */
const char *const *case_channel_names(unsigned by);
const char *const *case_fee_names(void);
/* Every step name an approvals row may record, and the staff steps taken
 * with POST .../approvals. */
const char *const *case_step_names(void);
const char *const *case_staff_step_names(void);

/* "'submitted', 'accepted', ..." of the open statuses, for SQL text. */
const char *case_open_statuses_sql(void);

/* The whole table as a JSON object (for `opengov rules` and the tests). */
void case_rules_json(struct buf *b);

#endif
