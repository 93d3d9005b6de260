/* test_casestep.c - the case engine's rules over the official 2026
 * schedule: what is possible when (the day before, the day itself and the
 * day after every limit), what each action does to the clocks, and the
 * steps the law takes by itself. The statutes' articles are cited where
 * their numbers are checked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/domain/casestep.h"

#include "cn_schedules.h"

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	expand(f, cn2026, sizeof cn2026 / sizeof cn2026[0]);
	if (calendar_init(&f->cal, f->days, f->n) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static const struct calendar *cal_of(void **state)
{
	return &((struct fixture *)*state)->cal;
}

static enum case_refusal check(const struct calendar *cal, const struct case_state *s,
			       const char *today, enum case_action a)
{
	char why[400];
	enum case_refusal r = case_check(cal, s, day_of(today), a, why, sizeof why);

	assert_true(r == CASE_OK ? why[0] == '\0' : why[0] != '\0');
	return r;
}

/* A disclosure request received Monday 2026-11-02: 20 working days, due
 * Monday 2026-11-30 (OGI Regulations Art. 33). */
static void disclosure(struct case_state *s, const struct calendar *cal)
{
	case_init(s, cal, CK_DISCLOSURE, day_of("2026-11-02"), 0, 0);
	s->status = CS_ACCEPTED;
}

static void test_due_date_and_extension_only_before_it(void **state)
{
	const struct calendar *cal = cal_of(state);
	struct case_state s;

	disclosure(&s, cal);
	assert_int_equal(case_light_due(cal, &s, day_of("2026-11-10")), day_of("2026-11-30"));
	/* Art. 33: an extension before the due date ... */
	assert_int_equal(check(cal, &s, "2026-11-27", CA_EXTEND), CASE_OK);
	/* ... not on it, not after it: a red case cannot turn green again */
	assert_int_equal(check(cal, &s, "2026-11-30", CA_EXTEND), CASE_TOO_LATE);
	assert_int_equal(check(cal, &s, "2026-12-03", CA_EXTEND), CASE_TOO_LATE);
	/* a pause or a fee notice on the due day (not yet late), not after */
	assert_int_equal(check(cal, &s, "2026-11-30", CA_PAUSE), CASE_OK);
	assert_int_equal(check(cal, &s, "2026-12-01", CA_PAUSE), CASE_TOO_LATE);
	assert_int_equal(check(cal, &s, "2026-11-30", CA_FEE_NOTICE), CASE_OK);
	assert_int_equal(check(cal, &s, "2026-12-01", CA_FEE_NOTICE), CASE_TOO_LATE);
	/* once */
	case_do_extend(&s, 20, "汇总", "2026-11-20T02:00:00Z");
	assert_int_equal(s.allowed, 40);
	assert_int_equal(check(cal, &s, "2026-11-20", CA_EXTEND), CASE_DONE_ONCE);
	state_free(&s);
}

static void test_decided_after_the_due_date_is_late(void **state)
{
	const struct calendar *cal = cal_of(state);
	struct case_state s;
	struct deadline_result d;

	disclosure(&s, cal);
	case_do_decide(&s, cal, day_of("2026-12-03"), "disclosed");
	assert_int_equal(state_deadline(cal, &s, day_of("2026-12-10"), &d), 0);
	assert_int_equal(d.due, day_of("2026-11-30"));
	assert_int_equal(d.on_time, 0);
	assert_int_equal(d.light, LIGHT_RED);
	state_free(&s);
	disclosure(&s, cal);
	case_do_decide(&s, cal, day_of("2026-11-30"), "disclosed");
	assert_int_equal(state_deadline(cal, &s, day_of("2026-12-10"), &d), 0);
	assert_int_equal(d.on_time, 1);
	assert_int_equal(s.delivery_due, -1); /* no licence for a disclosure */
	state_free(&s);
}

static void test_correction_window_seven_working_days(void **state)
{
	const struct calendar *cal = cal_of(state);
	struct case_state s;

	/* Received Thursday 2026-09-24, before Mid-Autumn and National Day.
	 * Working days after it: 09-28, 09-29, 09-30, 10-08, 10-09, 10-10
	 * (Saturday, make-up), 10-12 = 7 (OGI Regulations Art. 30). */
	case_init(&s, cal, CK_DISCLOSURE, day_of("2026-09-24"), 0, 0);
	assert_int_equal(check(cal, &s, "2026-10-12", CA_REQUEST_CORRECTION), CASE_OK);
	assert_int_equal(check(cal, &s, "2026-10-13", CA_REQUEST_CORRECTION), CASE_TOO_LATE);
	case_do_correction(&s, cal, day_of("2026-10-12"), json_array(), 5);
	assert_int_equal(s.status, CS_CORRECTION_REQUIRED);
	assert_int_equal(s.correction_due, day_of("2026-10-19"));
	/* the day of the notice counts; the wait is capped at respond_by */
	json_t *e = json_array_get(s.excluded, 0);
	assert_string_equal(json_string_value(json_object_get(e, "from")), "2026-10-13");
	assert_string_equal(json_string_value(json_object_get(e, "limit")), "2026-10-19");
	case_do_resubmission(&s, cal, day_of("2026-10-15"));
	/* OGI Art. 30: counted again from the corrected application */
	assert_int_equal(s.start, day_of("2026-10-15"));
	assert_int_equal(check(cal, &s, "2026-10-15", CA_REQUEST_CORRECTION), CASE_DONE_ONCE);
	state_free(&s);
}

static void test_same_day_pause_excludes_nothing(void **state)
{
	const struct calendar *cal = cal_of(state);
	struct case_state s, t;
	struct deadline_result a, b;

	disclosure(&s, cal);
	disclosure(&t, cal);
	case_do_pause(&s, cal, day_of("2026-11-10"), "third_party_consultation", THIRD_PARTY_DAYS,
		      NULL);
	assert_int_equal(s.pause_limit, day_of("2026-12-01")); /* 15 working days */
	case_do_resume(&s, day_of("2026-11-10"), "approver");
	assert_int_equal(json_array_size(s.excluded), 0);
	assert_int_equal(s.status, CS_ACCEPTED);
	assert_int_equal(state_deadline(cal, &s, day_of("2026-11-20"), &a), 0);
	assert_int_equal(state_deadline(cal, &t, day_of("2026-11-20"), &b), 0);
	assert_int_equal(a.due, b.due);
	assert_int_equal(a.elapsed, b.elapsed);
	state_free(&s);
	state_free(&t);
}

static void test_pause_excludes_up_to_its_limit(void **state)
{
	const struct calendar *cal = cal_of(state);
	struct case_state s;
	struct deadline_result d;
	char y[16], r[16];

	/* An approval accepted Monday 2026-11-02, paused on Wednesday 11-04
	 * for an expert review declared at 3 working days (Licensing Law
	 * Art. 45): 11-05, 11-06, 11-09 do not count; from 11-10 days count
	 * again, whether or not anyone resumed it. */
	case_init(&s, cal, CK_APPROVAL, day_of("2026-11-02"), 20, 5);
	case_do_accept(&s, day_of("2026-11-02"));
	case_do_pause(&s, cal, day_of("2026-11-04"), "expert_review", 3, NULL);
	assert_int_equal(s.pause_limit, day_of("2026-11-09"));
	assert_int_equal(state_deadline(cal, &s, day_of("2026-11-09"), &d), 0);
	assert_int_equal(d.elapsed, 2);
	assert_int_equal(state_deadline(cal, &s, day_of("2026-11-11"), &d), 0);
	assert_int_equal(d.elapsed, 4); /* 11-10 and 11-11 count again */
	/* the light follows the committed 5 days: due 2026-11-12, paused days skipped */
	assert_int_equal(state_committed(cal, &s, day_of("2026-11-11"), &d), 0);
	assert_int_equal(d.due, day_of("2026-11-12"));
	state_light_dates(cal, &s, day_of("2026-11-05"), y, r);
	assert_string_equal(r, "2026-11-13");
	/* a disclosure pause is the law's to end, an approval's is not */
	s.status = CS_PAUSED;
	assert_int_equal(case_settle_next(&s, day_of("2026-11-10")), CA__MAX);
	state_free(&s);
}

static void test_approval_acceptance_stage(void **state)
{
	const struct calendar *cal = cal_of(state);
	struct case_state s;
	struct deadline_result d;

	/* Received Wednesday 2026-09-30: the 5 working days are 10-08, 10-09,
	 * 10-10 (make-up), 10-12, 10-13 (Licensing Law Arts. 32, 82). */
	case_init(&s, cal, CK_APPROVAL, day_of("2026-09-30"), 20, 10);
	assert_int_equal(s.acc_due, day_of("2026-10-13"));
	assert_int_equal(state_acceptance(cal, &s, day_of("2026-10-12"), &d), 0);
	assert_int_equal(d.remaining, 1);
	assert_int_equal(d.light, LIGHT_YELLOW);
	assert_int_equal(check(cal, &s, "2026-10-13", CA_ACCEPT), CASE_OK);
	assert_int_equal(check(cal, &s, "2026-10-13", CA_REQUEST_CORRECTION), CASE_OK);
	assert_int_equal(check(cal, &s, "2026-10-14", CA_REQUEST_CORRECTION), CASE_TOO_LATE);
	assert_int_equal(check(cal, &s, "2026-10-14", CA_REFUSE_ACCEPTANCE), CASE_TOO_LATE);
	/* the day before and the day itself: nothing; the day after: deemed */
	assert_int_equal(case_settle_next(&s, day_of("2026-10-12")), CA__MAX);
	assert_int_equal(case_settle_next(&s, day_of("2026-10-13")), CA__MAX);
	assert_int_equal(case_settle_next(&s, day_of("2026-10-14")), CA_DEEMED_ACCEPT);
	case_do_deemed_accept(&s);
	/* accepted from the day it was received */
	assert_int_equal(s.start, day_of("2026-09-30"));
	assert_int_equal(s.status, CS_ACCEPTED);
	assert_int_equal(state_deadline(cal, &s, day_of("2026-10-14"), &d), 0);
	assert_int_equal(d.elapsed, 6);
	assert_int_equal(case_settle_next(&s, day_of("2026-10-14")), CA__MAX);
	/* statutory 20 (on_time) and committed 10 (the light) */
	assert_int_equal(d.due, day_of("2026-11-03"));
	assert_int_equal(state_committed(cal, &s, day_of("2026-10-14"), &d), 0);
	assert_int_equal(d.due, day_of("2026-10-20"));
	/* extension: before the committed due date only, 10 on both clocks */
	assert_int_equal(check(cal, &s, "2026-10-19", CA_EXTEND), CASE_OK);
	assert_int_equal(check(cal, &s, "2026-10-20", CA_EXTEND), CASE_TOO_LATE);
	case_do_extend(&s, 10, "专家论证", "2026-10-19T02:00:00Z");
	assert_int_equal(s.allowed, 30);
	assert_int_equal(s.committed, 20);
	state_free(&s);
}

static void test_limits_the_day_after(void **state)
{
	const struct calendar *cal = cal_of(state);
	struct case_state s;

	disclosure(&s, cal);
	s.status = CS_SUBMITTED;
	case_do_correction(&s, cal, day_of("2026-11-03"), json_array(), 3);
	assert_int_equal(s.correction_due, day_of("2026-11-06"));
	/* the applicant's last day is theirs */
	assert_int_equal(case_settle_next(&s, day_of("2026-11-05")), CA__MAX);
	assert_int_equal(case_settle_next(&s, day_of("2026-11-06")), CA__MAX);
	assert_int_equal(case_settle_next(&s, day_of("2026-11-07")), CA_ABANDON);
	assert_string_equal(case_abandon_outcome(&s), "abandoned_correction");
	state_free(&s);

	/* a fee: pay within 20 working days from the day after the notice */
	disclosure(&s, cal);
	case_do_fee_notice(&s, cal, day_of("2026-11-04"), json_object());
	assert_int_equal(s.status, CS_AWAITING_PAYMENT);
	assert_int_equal(s.fee_due, day_of("2026-12-02"));
	assert_int_equal(case_settle_next(&s, day_of("2026-12-01")), CA__MAX);
	assert_int_equal(case_settle_next(&s, day_of("2026-12-02")), CA__MAX);
	assert_int_equal(case_settle_next(&s, day_of("2026-12-03")), CA_ABANDON);
	assert_string_equal(case_abandon_outcome(&s), "abandoned_fee");
	case_do_payment(&s, day_of("2026-11-20"), "R-1");
	assert_int_equal(s.status, CS_ACCEPTED); /* back where it was */
	assert_int_equal(case_settle_next(&s, day_of("2026-12-03")), CA__MAX);
	state_free(&s);

	/* a third party's 15 working days */
	disclosure(&s, cal);
	case_do_pause(&s, cal, day_of("2026-11-10"), "third_party_consultation", THIRD_PARTY_DAYS,
		      NULL);
	assert_int_equal(case_settle_next(&s, day_of("2026-11-30")), CA__MAX);
	assert_int_equal(case_settle_next(&s, day_of("2026-12-01")), CA__MAX);
	assert_int_equal(case_settle_next(&s, day_of("2026-12-02")), CA_RESUME);
	case_do_resume(&s, day_of("2026-12-02"), "system");
	json_t *e = json_array_get(s.excluded, 0);
	assert_string_equal(json_string_value(json_object_get(e, "to")), "2026-12-01");
	state_free(&s);
}

static void test_closed_clock_stops_the_day_it_closed(void **state)
{
	const struct calendar *cal = cal_of(state);
	struct case_state s;
	struct deadline_result a, b;

	disclosure(&s, cal);
	case_do_close(&s, CS_WITHDRAWN, day_of("2026-11-10"));
	assert_int_equal(state_deadline(cal, &s, day_of("2026-11-10"), &a), 0);
	assert_int_equal(state_deadline(cal, &s, day_of("2026-12-31"), &b), 0);
	assert_int_equal(a.elapsed, 6);
	assert_int_equal(b.elapsed, 6);
	/* no light on a closed case, and nothing possible */
	assert_int_equal(state_light_clock(cal, &s, day_of("2026-11-11"), &a), -1);
	const char *acts[CA__MAX + 1];
	assert_int_equal(case_possible(cal, &s, day_of("2026-11-11"), BY_APPLICANT | BY_STAFF, acts,
				       CA__MAX + 1), 0);
	state_free(&s);
}

static void test_delivery_clock(void **state)
{
	const struct calendar *cal = cal_of(state);
	struct case_state s;

	case_init(&s, cal, CK_APPROVAL, day_of("2026-11-02"), 20, 5);
	case_do_accept(&s, day_of("2026-11-02"));
	assert_int_equal(check(cal, &s, "2026-11-05", CA_DELIVER), CASE_WRONG_STATUS);
	case_do_decide(&s, cal, day_of("2026-11-05"), "approved");
	/* Licensing Law Art. 44: 10 working days */
	assert_int_equal(s.delivery_due, day_of("2026-11-19"));
	assert_int_equal(check(cal, &s, "2026-11-20", CA_DELIVER), CASE_OK);
	case_do_deliver(&s, day_of("2026-11-20"));
	assert_int_equal(check(cal, &s, "2026-11-20", CA_DELIVER), CASE_DONE_ONCE);
	state_free(&s);
	case_init(&s, cal, CK_APPROVAL, day_of("2026-11-02"), 20, 5);
	case_do_accept(&s, day_of("2026-11-02"));
	case_do_decide(&s, cal, day_of("2026-11-05"), "rejected");
	assert_int_equal(s.delivery_due, -1);
	assert_int_equal(check(cal, &s, "2026-11-06", CA_DELIVER), CASE_NOT_APPLICABLE);
	state_free(&s);
}

static void test_possible_follows_the_table(void **state)
{
	const struct calendar *cal = cal_of(state);
	struct case_state s;
	const char *acts[CA__MAX + 1];

	case_init(&s, cal, CK_APPROVAL, day_of("2026-11-02"), 20, 5);
	size_t n = case_possible(cal, &s, day_of("2026-11-03"), BY_CLERK, acts, CA__MAX + 1);
	assert_int_equal(n, 4);
	assert_string_equal(acts[0], "accept");
	assert_string_equal(acts[1], "request_correction");
	assert_string_equal(acts[2], "refuse_acceptance");
	assert_string_equal(acts[3], "upload_material");
	assert_null(acts[4]);
	/* the table: every staff step's roles are clerk or approver, one each */
	for (int a = 0; a < CA__MAX; a++) {
		const struct case_action_rule *r = &case_actions[a];
		assert_non_null(r->name);
		assert_int_equal(case_action_parse(r->name), a);
		if (r->pre & PRE_STEP)
			assert_true(((r->by & BY_CLERK) != 0) != ((r->by & BY_APPROVER) != 0));
	}
	state_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_date_and_extension_only_before_it),
		cmocka_unit_test(test_decided_after_the_due_date_is_late),
		cmocka_unit_test(test_correction_window_seven_working_days),
		cmocka_unit_test(test_same_day_pause_excludes_nothing),
		cmocka_unit_test(test_pause_excludes_up_to_its_limit),
		cmocka_unit_test(test_approval_acceptance_stage),
		cmocka_unit_test(test_limits_the_day_after),
		cmocka_unit_test(test_closed_clock_stops_the_day_it_closed),
		cmocka_unit_test(test_delivery_clock),
		cmocka_unit_test(test_possible_follows_the_table),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
