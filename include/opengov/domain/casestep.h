/* casestep.h - the case engine's domain rules over the table of
 * caserules.h and the clocks of caseclock.h: whether an action is possible
 * now (status and conditions, with the sentence a 409 says), what each
 * action does to a case, and which steps the law takes by itself when a
 * limit passes (deemed acceptance, abandonment, the end of a third-party
 * consultation). Pure: no database, no HTTP; the handlers and the monitor
 * call it, tests/unit/test_casestep.c pins it. */
#ifndef OPENGOV_CASESTEP_H
#define OPENGOV_CASESTEP_H

#include "opengov/base/lang.h"
#include <stddef.h>

#include "opengov/domain/caseclock.h"

enum case_refusal {
	CASE_OK,
	CASE_WRONG_STATUS,  /* the status does not allow it */
	CASE_DONE_ONCE,     /* allowed once, and done */
	CASE_TOO_LATE,      /* its day has passed (due date, window) */
	CASE_NOT_APPLICABLE /* not for this case (delivery of a refusal) */
};

/* Is action a possible for s today? CASE_OK, or why not with a sentence
 * naming the status or the condition and the law (why, len bytes). */
enum case_refusal case_check(const struct calendar *cal, const struct case_state *s, int today,
			     enum case_action a, char *why, size_t len);
/* The same with why written in l, and *code (when code is not NULL) set to
 * the sentence's code in the message catalogue (messages.def). */
enum case_refusal case_check_in(const struct calendar *cal, const struct case_state *s, int today,
				enum case_action a, enum lang l, char *why, size_t len,
				const char **code);

/* The actions possible now that callers in mask (BY_*) take, as names,
 * NULL-terminated into out (at most max - 1). Returns how many. */
size_t case_possible(const struct calendar *cal, const struct case_state *s, int today,
		     unsigned mask, const char **out, size_t max);

/* The due date the light follows (committed for approval, statutory for
 * disclosure; the acceptance stage's last day before acceptance); -1
 * when no clock runs. */
int case_light_due(const struct calendar *cal, const struct case_state *s, int today);

/* ---- what the actions do ------------------------------------------------ */

/* A new case of kind received on day received: a disclosure request's
 * clock starts at once (20 days), an approval request's acceptance stage
 * (5 days) with statutory and committed days for after acceptance. */
void case_init(struct case_state *s, const struct calendar *cal, enum case_kind kind,
	       int received, int statutory, int committed);
/* Each takes the case as loaded and the day, and changes it. */
void case_do_resubmission(struct case_state *s, const struct calendar *cal, int today);
void case_do_close(struct case_state *s, enum case_status to, int today);
void case_do_accept(struct case_state *s, int today);
/* Deemed accepted: the decision clock runs from the acceptance stage's
 * day 0 (Licensing Law Art. 32(4)). */
void case_do_deemed_accept(struct case_state *s);
/* The notice's checklist (taken), respond within `within` working days. */
void case_do_correction(struct case_state *s, const struct calendar *cal, int today,
			json_t *items, int within);
/* A pause of `days` working days at most (third party: the statutory 15;
 * approval: the declared duration); details (taken) are recorded on it. */
void case_do_pause(struct case_state *s, const struct calendar *cal, int today, const char *reason,
		   int days, json_t *details);
void case_do_resume(struct case_state *s, int today, const char *by);
void case_do_extend(struct case_state *s, int days, const char *reason, const char *at);
/* A fee notice (fee taken: method, basis, amount, explanation): pay within
 * FEE_PAYMENT_DAYS working days. */
void case_do_fee_notice(struct case_state *s, const struct calendar *cal, int today, json_t *fee);
void case_do_payment(struct case_state *s, int today, const char *receipt);
/* The decision (outcome copied); an approval starts the delivery clock. */
void case_do_decide(struct case_state *s, const struct calendar *cal, int today,
		    const char *outcome);
void case_do_deliver(struct case_state *s, int today);

/* The step the law takes by itself on s as of today, or CA__MAX: deemed
 * acceptance (approval not handled within its acceptance stage), abandon
 * (correction or fee not in by its day), resume (a third party's 15
 * working days over). Each is due the day after its limit, never on it. */
enum case_action case_settle_next(const struct case_state *s, int today);
/* The outcome a system abandonment records ("" for an approval). */
const char *case_abandon_outcome(const struct case_state *s);

#endif
