/* test_accountability.c - the rules of appeals and ratings (src/
 * accountability.c): a new appeal's members judged together on real dates
 * (filed on the day of receipt and today, never before or after), a result
 * recorded later, which answers a corrected appeal calls improper refusals,
 * and the ratings' labels and which of them open a finding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/domain/accountability.h"
#include "opengov/domain/calendar.h"

static int day(const char *s)
{
	int d;

	assert_int_equal(calendar_parse(s, &d), 0);
	return d;
}

/* The pointers of v, joined by spaces. */
static const char *pointers(const struct verrs *v)
{
	static char out[512];

	out[0] = '\0';
	for (int i = 0; i < v->n; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, v->e[i].pointer);
	}
	return out;
}

static const char *check(const struct appeal_input *in, const char *today, const char *received)
{
	static struct verrs v;

	memset(&v, 0, sizeof v);
	appeal_check(in, day(today), received ? day(received) : APPEAL_NO_DAY, &v);
	return pointers(&v);
}

static void test_names_and_labels(void **state)
{
	(void)state;
	assert_int_equal(appeal_kind_parse("reconsideration"), AK_RECONSIDERATION);
	assert_int_equal(appeal_kind_parse("litigation"), AK_LITIGATION);
	assert_int_equal(appeal_kind_parse("lawsuit"), -1);
	assert_int_equal(appeal_kind_parse(NULL), -1);
	assert_int_equal(appeal_result_parse("corrected"), AR_CORRECTED);
	assert_int_equal(appeal_result_parse("pending"), AR_PENDING);
	assert_int_equal(appeal_result_parse("Corrected"), -1);
	assert_string_equal(appeal_kind_label(AK_RECONSIDERATION), "行政复议");
	assert_string_equal(appeal_kind_label(AK_LITIGATION), "行政诉讼");
	assert_string_equal(appeal_kind_label(-1), "");
	assert_string_equal(appeal_result_label(AR_UPHELD), "维持");
	assert_string_equal(appeal_result_label(AR_CORRECTED), "纠正");
	assert_string_equal(appeal_result_label(AR_PENDING), "尚未审结");
	assert_string_equal(appeal_result_label(AR__MAX), "");
	/* the decided results are every result but pending */
	int n = 0;
	for (; appeal_decided_names[n]; n++)
		assert_int_not_equal(appeal_result_parse(appeal_decided_names[n]), AR_PENDING);
	assert_int_equal(n, AR__MAX - 1);
}

static void test_filed_on(void **state)
{
	(void)state;
	struct appeal_input in = { "reconsideration", "2026-10-09", NULL, NULL, false };

	/* the day of receipt and today are both fine */
	assert_string_equal(check(&in, "2026-10-09", "2026-10-09"), "");
	in.filed_on = "2026-10-08";
	assert_string_equal(check(&in, "2026-12-01", "2026-10-09"), "/filed_on");
	/* receipt not known: not judged */
	assert_string_equal(check(&in, "2026-12-01", NULL), "");
	/* tomorrow is the future, also across a year's end */
	in.filed_on = "2027-01-01";
	assert_string_equal(check(&in, "2026-12-31", "2026-10-09"), "/filed_on");
	in.filed_on = "2026-12-31";
	assert_string_equal(check(&in, "2026-12-31", "2026-10-09"), "");
	/* days before 1970 are days too (negative numbers) */
	in.filed_on = "1969-12-31";
	assert_string_equal(check(&in, "2026-12-31", "1970-01-01"), "/filed_on");
}

static void test_after_reconsideration(void **state)
{
	(void)state;
	struct appeal_input in = { "litigation", "2026-11-02", NULL, NULL, false };

	assert_string_equal(check(&in, "2026-12-01", "2026-10-09"), "/after_reconsideration");
	in.after_given = true;
	assert_string_equal(check(&in, "2026-12-01", "2026-10-09"), "");
	in.kind = "reconsideration";
	assert_string_equal(check(&in, "2026-12-01", "2026-10-09"), "/after_reconsideration");
	in.after_given = false;
	assert_string_equal(check(&in, "2026-12-01", "2026-10-09"), "");
}

static void test_result_on(void **state)
{
	(void)state;
	struct appeal_input in = { "reconsideration", "2026-11-02", NULL, NULL, false };

	/* pending (absent or said) takes no day */
	in.result_on = "2026-11-20";
	assert_string_equal(check(&in, "2026-12-01", NULL), "/result_on");
	in.result = "pending";
	assert_string_equal(check(&in, "2026-12-01", NULL), "/result_on");
	/* a decided result needs one */
	in.result = "upheld";
	in.result_on = NULL;
	assert_string_equal(check(&in, "2026-12-01", NULL), "/result_on");
	/* on the day of filing and today: fine; before filing or tomorrow: not */
	in.result_on = "2026-11-02";
	assert_string_equal(check(&in, "2026-12-01", NULL), "");
	in.result_on = "2026-12-01";
	assert_string_equal(check(&in, "2026-12-01", NULL), "");
	in.result_on = "2026-11-01";
	assert_string_equal(check(&in, "2026-12-01", NULL), "/result_on");
	in.result_on = "2026-12-02";
	assert_string_equal(check(&in, "2026-12-01", NULL), "/result_on");
	/* everything wrong at once is named at once */
	struct appeal_input bad = { "litigation", "2026-12-05", "corrected", NULL, false };
	assert_string_equal(check(&bad, "2026-12-01", "2026-10-09"),
			    "/filed_on /after_reconsideration /result_on");
}

static void test_result_later(void **state)
{
	(void)state;
	struct verrs v = { 0 };
	int filed = day("2026-11-02"), today = day("2027-01-15");

	assert_int_equal(appeal_result_check("corrected", "2027-01-15", filed, today, &v), 0);
	assert_int_equal(appeal_result_check("upheld", "2026-11-02", filed, today, &v), 0);
	assert_int_equal(appeal_result_check("other", "2026-11-01", filed, today, &v), 1);
	assert_string_equal(v.e[0].pointer, "/result_on");
	assert_int_equal(appeal_result_check("other", "2027-01-16", filed, today, &v), 1);
	assert_int_equal(appeal_result_check("pending", "2027-01-15", filed, today, &v), 1);
	assert_string_equal(v.e[2].pointer, "/result");
}

static void test_finding_category(void **state)
{
	(void)state;
	assert_string_equal(appeal_finding_category("not_accepted", NULL), "improper_refusal");
	assert_string_equal(appeal_finding_category("decided", "withheld"), "improper_refusal");
	assert_string_equal(appeal_finding_category("decided", "partially_disclosed"),
			    "improper_refusal");
	assert_string_equal(appeal_finding_category("decided", "rejected"), "improper_refusal");
	assert_string_equal(appeal_finding_category("decided", "disclosed"), "other");
	assert_string_equal(appeal_finding_category("decided", "not_held"), "other");
	assert_string_equal(appeal_finding_category("decided", "approved"), "other");
	/* inaction: an open case */
	assert_string_equal(appeal_finding_category("submitted", NULL), "other");
	/* an abandoned request keeps an outcome, but was not refused */
	assert_string_equal(appeal_finding_category("abandoned", "abandoned_fee"), "other");
	assert_string_equal(appeal_finding_category(NULL, NULL), "other");
}

static void test_ratings(void **state)
{
	(void)state;
	static const char *const labels[] = { "非常不满意", "不满意", "基本满意", "满意", "非常满意" };

	for (int s = RATING_MIN; s <= RATING_MAX; s++) {
		assert_string_equal(rating_label(s), labels[s - 1]);
		assert_true(rating_opens_finding(s) == (s <= 2));
	}
	assert_string_equal(rating_label(0), "");
	assert_string_equal(rating_label(6), "");
	assert_false(rating_opens_finding(0));
	assert_false(rating_opens_finding(-1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_labels),
		cmocka_unit_test(test_filed_on),
		cmocka_unit_test(test_after_reconsideration),
		cmocka_unit_test(test_result_on),
		cmocka_unit_test(test_result_later),
		cmocka_unit_test(test_finding_category),
		cmocka_unit_test(test_ratings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
