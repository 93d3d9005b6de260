/* test_caseflow.c - the request state machine's tables and the case clock:
 * which steps each status allows and who takes them; exclusions opened and
 * closed; the light dates lists filter on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/caseflow.h"

static int day_of(const char *s)
{
	int d = -1;

	assert_int_equal(calendar_parse(s, &d), 0);
	return d;
}

static bool listed(const char *const *acts, const char *a)
{
	for (int i = 0; acts[i]; i++)
		if (!strcmp(acts[i], a))
			return true;
	return false;
}

static size_t count(const char *const *acts)
{
	size_t n = 0;

	while (acts[n])
		n++;
	return n;
}

/* DESIGN.md: submitted -> accepted | correction_required | not_accepted;
 * correction_required -> submitted | abandoned; accepted <-> paused;
 * accepted (or submitted, disclosure only) -> decided; any open status ->
 * withdrawn. */
static void test_status_actions(void **state)
{
	(void)state;
	static const struct {
		const char *kind, *status;
		const char *allowed; /* space-separated, in any order */
	} cases[] = {
		{ "disclosure", "submitted",
		  "accept request_correction refuse_acceptance extend decide withdraw upload_material" },
		{ "approval", "submitted",
		  "accept request_correction refuse_acceptance withdraw upload_material" },
		{ "disclosure", "accepted", "pause extend decide withdraw" },
		{ "approval", "accepted", "pause decide withdraw" },
		{ "disclosure", "paused", "resume extend withdraw" },
		{ "approval", "paused", "resume withdraw" },
		{ "disclosure", "correction_required", "resubmission withdraw upload_material" },
		{ "approval", "correction_required", "resubmission withdraw upload_material" },
		{ "disclosure", "decided", "" },
		{ "approval", "not_accepted", "" },
		{ "disclosure", "withdrawn", "" },
		{ "approval", "abandoned", "" },
		{ "approval", "no_such_status", "" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *const *acts = request_status_actions(cases[i].kind, cases[i].status);
		char want[256], *save = NULL;
		size_t n = 0;

		snprintf(want, sizeof want, "%s", cases[i].allowed);
		for (char *t = strtok_r(want, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			if (!listed(acts, t))
				fail_msg("%s %s: %s missing", cases[i].kind, cases[i].status, t);
			n++;
		}
		assert_int_equal(count(acts), n);
		assert_int_equal(case_is_open(cases[i].status), n > 0);
	}
}

/* Every staff step belongs to exactly one role; applicant steps to none. */
static void test_roles_partition(void **state)
{
	(void)state;
	static const char *const clerk[] = { "accept", "request_correction", "refuse_acceptance" };
	static const char *const approver[] = { "pause", "resume", "extend", "decide" };
	static const char *const applicant[] = { "withdraw", "resubmission", "upload_material",
						  "submit", "" };

	for (size_t i = 0; i < 3; i++) {
		assert_true(case_clerk_action(clerk[i]));
		assert_false(case_approver_action(clerk[i]));
	}
	for (size_t i = 0; i < 4; i++) {
		assert_true(case_approver_action(approver[i]));
		assert_false(case_clerk_action(approver[i]));
	}
	for (size_t i = 0; i < 5; i++) {
		assert_false(case_clerk_action(applicant[i]));
		assert_false(case_approver_action(applicant[i]));
	}
}

static void test_action_allowed(void **state)
{
	(void)state;
	struct case_state s = { .kind = "approval", .status = "accepted" };

	assert_true(case_action_allowed(&s, "decide"));
	assert_false(case_action_allowed(&s, "extend")); /* approvals keep their days */
	assert_false(case_action_allowed(&s, "accept"));
	strcpy(s.kind, "disclosure");
	assert_true(case_action_allowed(&s, "extend"));
	strcpy(s.status, "decided");
	assert_false(case_action_allowed(&s, "withdraw"));
}

/* The weekday rule only: 2026-03-02 is a Monday. */
struct clock_fixture {
	struct calendar cal;
	struct case_state s;
};

static int setup(void **state)
{
	struct clock_fixture *f = calloc(1, sizeof *f);

	if (!f || calendar_init(&f->cal, NULL, 0))
		return -1;
	snprintf(f->s.kind, sizeof f->s.kind, "disclosure");
	snprintf(f->s.status, sizeof f->s.status, "submitted");
	f->s.received = day_of("2026-03-02");
	f->s.start = f->s.received;
	f->s.allowed = 20;
	f->s.extensions = json_array();
	f->s.excluded = json_array();
	f->s.correction_due = f->s.decided = f->s.closed = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct clock_fixture *f = *state;

	state_free(&f->s);
	calendar_free(&f->cal);
	free(f);
	return 0;
}

/* Running: yellow from the 18th working day, red the day after the 20th. */
static void test_light_dates_running(void **state)
{
	struct clock_fixture *f = *state;
	char y[16], r[16];

	state_light_dates(&f->cal, &f->s, day_of("2026-03-05"), y, r);
	assert_string_equal(y, "2026-03-26"); /* 18 working days after Mon 2 March */
	assert_string_equal(r, "2026-03-31"); /* due Mon 30 March, red on the 31st */
	assert_string_equal(light_of(y, r, day_of("2026-03-25")), "green");
	assert_string_equal(light_of(y, r, day_of("2026-03-26")), "yellow");
	assert_string_equal(light_of(y, r, day_of("2026-03-30")), "yellow");
	assert_string_equal(light_of(y, r, day_of("2026-03-31")), "red");
}

/* A pause opens an exclusion that runs until resumed: while it runs the
 * light holds; closed, it pushes the dates out by its working days. */
static void test_pause_and_resume(void **state)
{
	struct clock_fixture *f = *state;
	char y[16], r[16];
	struct cal_interval ex[4];

	strcpy(f->s.status, "paused");
	state_open_exclusion(&f->s, day_of("2026-03-09"), "expert_review");
	assert_true(state_running_exclusion(&f->s));
	assert_int_equal(state_intervals(&f->s, ex, 4), 1);
	assert_int_equal(ex[0].from, day_of("2026-03-09"));
	assert_int_equal(ex[0].to, INT_MAX);
	state_light_dates(&f->cal, &f->s, day_of("2026-03-12"), y, r);
	assert_string_equal(y, "infinity"); /* green, and it holds */
	assert_string_equal(r, "infinity");

	strcpy(f->s.status, "accepted");
	state_close_exclusion(&f->s, day_of("2026-03-13"));
	assert_false(state_running_exclusion(&f->s));
	json_t *e = json_array_get(f->s.excluded, 0);
	assert_string_equal(json_string_value(json_object_get(e, "to")), "2026-03-13");
	assert_string_equal(json_string_value(json_object_get(e, "reason")), "expert_review");
	/* 9..13 March excluded: five working days later than without. */
	state_light_dates(&f->cal, &f->s, day_of("2026-03-16"), y, r);
	assert_string_equal(y, "2026-04-02");
	assert_string_equal(r, "2026-04-07");
}

/* A paused case that was already overdue stays red; a decided case keeps
 * the light of its decision day; closed undecided cases have none. */
static void test_stopped_and_closed(void **state)
{
	struct clock_fixture *f = *state;
	char y[16], r[16];

	strcpy(f->s.status, "paused");
	state_open_exclusion(&f->s, day_of("2026-04-06"), "hearing");
	state_light_dates(&f->cal, &f->s, day_of("2026-04-20"), y, r);
	assert_string_equal(y, "-infinity");
	assert_string_equal(r, "-infinity");
	assert_string_equal(light_of(y, r, day_of("2026-04-20")), "red");

	state_close_exclusion(&f->s, day_of("2026-04-20"));
	strcpy(f->s.status, "decided");
	f->s.decided = day_of("2026-03-27"); /* yellow that day */
	state_light_dates(&f->cal, &f->s, day_of("2026-06-01"), y, r);
	assert_string_equal(y, "-infinity");
	assert_string_equal(r, "infinity");

	strcpy(f->s.status, "withdrawn");
	state_light_dates(&f->cal, &f->s, day_of("2026-06-01"), y, r);
	assert_string_equal(y, "");
	assert_null(light_of(y, r, day_of("2026-06-01")));

	/* An approval request before acceptance has no clock at all. */
	strcpy(f->s.status, "submitted");
	f->s.start = -1;
	f->s.decided = -1;
	state_light_dates(&f->cal, &f->s, day_of("2026-06-01"), y, r);
	assert_string_equal(r, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_actions),
		cmocka_unit_test(test_roles_partition),
		cmocka_unit_test(test_action_allowed),
		cmocka_unit_test_setup_teardown(test_light_dates_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_and_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stopped_and_closed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
