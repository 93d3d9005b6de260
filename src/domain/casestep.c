/* casestep.c - the domain rules of a case over the rules table: possible
 * now or not and why, what each action does, and the steps the law takes by
 * itself. Pure. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "opengov/domain/casestep.h"
#include "opengov/base/msg.h"

static void day_text(int day, char out[11])
{
	calendar_format(day, out);
}

int case_light_due(const struct calendar *cal, const struct case_state *s, int today)
{
	struct deadline_result d;

	return state_light_clock(cal, s, today, &d) == 0 ? d.due : -1;
}

/* The acceptance stage of an approval request, still open today. */
static bool acceptance_open(const struct case_state *s, int today)
{
	return s->kind == CK_APPROVAL && s->start < 0 && s->acc_due >= 0 && today <= s->acc_due;
}

/* Writes the sentence why in l, and its catalogue code into *code. */
static void say(char *why, size_t len, enum lang l, const char **code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void say(char *why, size_t len, enum lang l, const char **code, const char *fmt, ...)
{
	va_list ap;

	if (!len) /* only the verdict is wanted (case_possible) */
		return;
	va_start(ap, fmt);
	const struct msg *m = msg_vformat(why, len, l, fmt, ap);
	va_end(ap);
	if (code)
		*code = m ? m->code : NULL;
}

enum case_refusal case_check(const struct calendar *cal, const struct case_state *s, int today,
			     enum case_action a, char *why, size_t len)
{
	return case_check_in(cal, s, today, a, LANG_EN, why, len, NULL);
}

enum case_refusal case_check_in(const struct calendar *cal, const struct case_state *s, int today,
				enum case_action a, enum lang l, char *why, size_t len,
				const char **code)
{
	const struct case_action_rule *r = &case_actions[a];
	const char *status = case_statuses[s->status].name;
	char due[11];

	if (len)
		why[0] = '\0';
	if (!r->from[s->kind]) {
		say(why, len, l, code, "%s is not a step of a %s request.", r->name,
			 case_kind_names[s->kind]);
		return CASE_NOT_APPLICABLE;
	}
	if (!case_action_from(a, s->kind, s->status)) {
		say(why, len, l, code, "The request is %s: %s is not possible now.", status, r->name);
		return CASE_WRONG_STATUS;
	}
	if (r->pre & PRE_ONCE) {
		bool done = false;
		switch (a) {
		case CA_EXTEND:
			done = json_array_size(s->extensions) > 0;
			break;
		case CA_REQUEST_CORRECTION:
			done = s->corrections > 0;
			break;
		case CA_FEE_NOTICE:
			done = s->fee != NULL;
			break;
		case CA_DELIVER:
			done = s->delivered >= 0;
			break;
		default:
			break;
		}
		if (done && a == CA_REQUEST_CORRECTION)
			say(why, len, l, code, "A request gets one correction notice naming everything to redo, and this one has had it (%s).",
				 r->law);
		else if (done)
			say(why, len, l, code, "%s is possible once per request, and it has been done (%s).",
				 r->name, r->law);
		if (done)
			return CASE_DONE_ONCE;
	}
	if ((r->pre & PRE_APPROVED_ONLY) && strcmp(s->outcome, "approved")) {
		say(why, len, l, code, "Only an approved licence is delivered; this request was %s.",
			 s->outcome[0] ? s->outcome : status);
		return CASE_NOT_APPLICABLE;
	}
	if (r->pre & (PRE_BEFORE_DUE | PRE_NOT_OVERDUE)) {
		int d = case_light_due(cal, s, today);
		bool late = d >= 0 && ((r->pre & PRE_BEFORE_DUE) ? today >= d : today > d);
		if (late) {
			day_text(d, due);
			say(why, len, l, code, (r->pre & PRE_BEFORE_DUE)
				 ? "%s is possible only before the due date, %s; on it or after it the case cannot be given more time (%s)."
				 : "%s is not possible once the case is overdue (due %s): its time cannot be stopped after the fact (%s).",
				 r->name, due, r->law);
			return CASE_TOO_LATE;
		}
	}
	if (r->pre & PRE_IN_WINDOW) {
		if (s->kind == CK_DISCLOSURE && a == CA_REQUEST_CORRECTION &&
		    calendar_count_working_days(cal, s->received, today, NULL, 0) >
			    DISCLOSURE_CORRECTION_WINDOW) {
			day_text(calendar_add_working_days(cal, s->received, DISCLOSURE_CORRECTION_WINDOW,
							   NULL, 0), due);
			say(why, len, l, code, "A correction notice is possible only within %d working days of receipt, by %s (OGI Regulations Art. 30).",
				 DISCLOSURE_CORRECTION_WINDOW, due);
			return CASE_TOO_LATE;
		}
		if (s->kind == CK_APPROVAL && !acceptance_open(s, today)) {
			day_text(s->acc_due, due);
			say(why, len, l, code, "The acceptance stage ended on %s: the application is deemed accepted from the day it was received (Licensing Law Art. 32).",
				 due);
			return CASE_TOO_LATE;
		}
	}
	return CASE_OK;
}

size_t case_possible(const struct calendar *cal, const struct case_state *s, int today,
		     unsigned mask, const char **out, size_t max)
{
	char why[256];
	size_t n = 0;

	for (int a = 0; a < CA__MAX && n + 1 < max; a++) {
		if (!(case_actions[a].by & mask) || case_actions[a].by == BY_SYSTEM)
			continue;
		if (a == CA_SUBMIT || a == CA_REGISTER)
			continue;
		/* The verdict only: no reason formatted (and translated) for
		 * every action a list shows. */
		if (case_check(cal, s, today, (enum case_action)a, why, 0) == CASE_OK)
			out[n++] = case_actions[a].name;
	}
	out[n] = NULL;
	return n;
}

/* ---- what the actions do ------------------------------------------------ */

void case_init(struct case_state *s, const struct calendar *cal, enum case_kind kind,
	       int received, int statutory, int committed)
{
	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->status = CS_SUBMITTED;
	s->received = received;
	s->extensions = json_array();
	s->excluded = json_array();
	s->correction_due = s->pause_limit = s->fee_due = -1;
	s->decided = s->closed = s->delivery_due = s->delivered = -1;
	s->acc_start = s->acc_due = -1;
	if (kind == CK_DISCLOSURE) {
		/* OGI Art. 33: 20 working days from receipt. */
		s->start = received;
		s->allowed = DISCLOSURE_DAYS;
		s->committed = -1;
	} else {
		/* Licensing Law Art. 32: 5 days to accept, correct or refuse;
		 * Art. 42: the decision's days from acceptance. */
		s->start = -1;
		s->allowed = statutory;
		s->committed = committed;
		s->acc_start = received;
		s->acc_due = calendar_add_working_days(cal, received, APPROVAL_ACCEPTANCE_DAYS, NULL, 0);
	}
}

void case_do_resubmission(struct case_state *s, const struct calendar *cal, int today)
{
	state_close_exclusion(s, today);
	s->correction_due = -1;
	s->status = CS_SUBMITTED;
	if (s->kind == CK_DISCLOSURE) {
		/* OGI Art. 30: the reply period counts from the corrected application. */
		s->start = today;
	} else {
		/* Licensing Law Art. 32(5): the complete application is accepted;
		 * a new acceptance stage runs from it. */
		s->acc_start = today;
		s->acc_due = calendar_add_working_days(cal, today, APPROVAL_ACCEPTANCE_DAYS, NULL, 0);
	}
}

void case_do_close(struct case_state *s, enum case_status to, int today)
{
	state_close_exclusion(s, today);
	s->status = to;
	s->closed = today;
	s->pause_limit = s->fee_due = -1;
}

void case_do_accept(struct case_state *s, int today)
{
	s->status = CS_ACCEPTED;
	if (s->kind == CK_APPROVAL && s->start < 0)
		s->start = today;
}

void case_do_deemed_accept(struct case_state *s)
{
	s->status = CS_ACCEPTED;
	s->start = s->acc_start >= 0 ? s->acc_start : s->received;
}

void case_do_correction(struct case_state *s, const struct calendar *cal, int today,
			json_t *items, int within)
{
	char due[11];

	s->correction_due = calendar_add_working_days(cal, today, within, NULL, 0);
	day_text(s->correction_due, due);
	json_decref(s->correction);
	s->correction = json_pack("{s:o, s:s, s:n}", "items", items, "respond_by", due,
				  "resubmitted_at");
	s->corrections++;
	/* A disclosure request's clock waits for the applicant (and restarts
	 * on the corrected application); an approval's acceptance stage ends
	 * with the notice. */
	if (s->kind == CK_DISCLOSURE)
		state_open_exclusion(s, today, s->correction_due, "correction");
	s->status = CS_CORRECTION_REQUIRED;
}

void case_do_pause(struct case_state *s, const struct calendar *cal, int today, const char *reason,
		   int days, json_t *details)
{
	char d[11], lim[11];
	int limit = calendar_add_working_days(cal, today, days, NULL, 0);

	day_text(today, d);
	day_text(limit, lim);
	state_open_exclusion(s, today, limit, reason);
	json_decref(s->pause);
	s->pause = details ? details : json_object();
	json_object_set_new(s->pause, "reason", json_string(reason));
	json_object_set_new(s->pause, "since", json_string(d));
	json_object_set_new(s->pause, "days", json_integer(days));
	json_object_set_new(s->pause, "limit", json_string(lim));
	json_object_set_new(s->pause, "from_status", json_string(case_statuses[s->status].name));
	json_object_set_new(s->pause, "resumed_on", json_null());
	json_object_set_new(s->pause, "resumed_by", json_null());
	s->pause_limit = limit;
	s->status = CS_PAUSED;
}

/* Back to the status before the wait. */
static enum case_status back_to(const json_t *wait)
{
	int st = case_status_parse(json_string_value(json_object_get(wait, "from_status")));

	return st < 0 ? CS_ACCEPTED : (enum case_status)st;
}

void case_do_resume(struct case_state *s, int today, const char *by)
{
	char d[11];

	state_close_exclusion(s, today);
	day_text(today, d);
	if (s->pause) {
		json_object_set_new(s->pause, "resumed_on", json_string(d));
		json_object_set_new(s->pause, "resumed_by", json_string(by));
	}
	s->status = back_to(s->pause);
	s->pause_limit = -1;
}

void case_do_extend(struct case_state *s, int days, const char *reason, const char *at)
{
	json_array_append_new(s->extensions, json_pack("{s:i, s:s, s:s}", "days", days, "reason",
						       reason, "at", at));
	s->allowed += days;
	/* The head's extension gives the case its days, on both clocks. */
	if (s->kind == CK_APPROVAL && s->committed >= 0)
		s->committed += days;
}

void case_do_fee_notice(struct case_state *s, const struct calendar *cal, int today, json_t *fee)
{
	char d[11], due[11];

	/* 国办函〔2020〕109号: pay within 20 working days from the day after
	 * the notice, which is the 20th working day after it. */
	s->fee_due = calendar_add_working_days(cal, today, FEE_PAYMENT_DAYS, NULL, 0);
	day_text(today, d);
	day_text(s->fee_due, due);
	json_decref(s->fee);
	s->fee = fee;
	json_object_set_new(fee, "notice_date", json_string(d));
	json_object_set_new(fee, "pay_by", json_string(due));
	json_object_set_new(fee, "from_status", json_string(case_statuses[s->status].name));
	json_object_set_new(fee, "paid_on", json_null());
	json_object_set_new(fee, "receipt", json_null());
	state_open_exclusion(s, today, s->fee_due, "fee");
	s->status = CS_AWAITING_PAYMENT;
}

void case_do_payment(struct case_state *s, int today, const char *receipt)
{
	char d[11];

	state_close_exclusion(s, today);
	day_text(today, d);
	json_object_set_new(s->fee, "paid_on", json_string(d));
	json_object_set_new(s->fee, "receipt", receipt ? json_string(receipt) : json_null());
	s->status = back_to(s->fee);
	s->fee_due = -1;
}

void case_do_decide(struct case_state *s, const struct calendar *cal, int today,
		    const char *outcome)
{
	state_close_exclusion(s, today);
	s->status = CS_DECIDED;
	s->decided = today;
	snprintf(s->outcome, sizeof s->outcome, "%s", outcome);
	/* Licensing Law Art. 44: the licence within 10 working days. */
	if (s->kind == CK_APPROVAL && !strcmp(outcome, "approved"))
		s->delivery_due = calendar_add_working_days(cal, today, APPROVAL_DELIVERY_DAYS, NULL, 0);
}

void case_do_deliver(struct case_state *s, int today)
{
	s->delivered = today;
}

enum case_action case_settle_next(const struct case_state *s, int today)
{
	if (s->kind == CK_APPROVAL && s->status == CS_SUBMITTED && s->start < 0 && s->acc_due >= 0 &&
	    today > s->acc_due)
		return CA_DEEMED_ACCEPT;
	if (s->status == CS_CORRECTION_REQUIRED && s->correction_due >= 0 && today > s->correction_due)
		return CA_ABANDON;
	if (s->status == CS_AWAITING_PAYMENT && s->fee_due >= 0 && today > s->fee_due)
		return CA_ABANDON;
	if (s->status == CS_PAUSED && s->kind == CK_DISCLOSURE && s->pause_limit >= 0 &&
	    today > s->pause_limit)
		return CA_RESUME;
	return CA__MAX;
}

const char *case_abandon_outcome(const struct case_state *s)
{
	if (s->kind != CK_DISCLOSURE)
		return "";
	return s->status == CS_AWAITING_PAYMENT ? "abandoned_fee" : "abandoned_correction";
}
