/* test_reportform.c - the national form of the annual report (国办公开办函
 * 〔2021〕30号): where every closed request counts in table 三, the balance
 * rule column by column (一 + 二 = 三（七） + 四), and the exports' layout:
 * the CSV line by line in the form's labels, the XLSX a real workbook. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/base/buf.h"
#include "opengov/domain/reportform.h"

/* OGI Regulations Arts. 36-39 and 30, as the form's rows count them. */
static void test_rows_of_decisions(void **state)
{
	static const struct { const char *outcome, *reason, *row; } want[] = {
		{ "disclosed", NULL, "3.3.1" },
		{ "already_public", NULL, "3.3.1" },
		{ "partially_disclosed", "third_party_rights", "3.3.2" },
		{ "withheld", "state_secret", "3.3.3.1" },
		{ "withheld", "law_prohibited", "3.3.3.2" },
		{ "withheld", "security_stability", "3.3.3.3" },
		{ "withheld", "third_party_rights", "3.3.3.4" },
		{ "withheld", "internal_affairs", "3.3.3.5" },
		{ "withheld", "process_information", "3.3.3.6" },
		{ "withheld", "enforcement_file", "3.3.3.7" },
		{ "withheld", "administrative_query", "3.3.3.8" },
		{ "not_held", NULL, "3.3.4.1" },
		{ "not_within_scope", NULL, "3.3.4.1" },
		{ "needs_new_work", NULL, "3.3.4.2" },
		{ "unclear_after_correction", NULL, "3.3.4.3" },
		{ "complaint_petition", NULL, "3.3.5.1" },
		{ "duplicate", NULL, "3.3.5.2" },
		{ "public_publication", NULL, "3.3.5.3" },
		{ "excessive_requests", NULL, "3.3.5.4" },
		{ "reconfirmation", NULL, "3.3.5.5" },
		{ "other", NULL, "3.3.6.3" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const char *got = rf_row_of("decided", want[i].outcome, want[i].reason);
		assert_non_null(got);
		assert_string_equal(got, want[i].row);
	}
	/* a withheld answer without its reason has no row; an approval none */
	assert_null(rf_row_of("decided", "withheld", NULL));
	assert_null(rf_row_of("decided", "approved", NULL));
	assert_null(rf_row_of("decided", "no_such_outcome", NULL));
}

static void test_rows_of_other_closures(void **state)
{
	(void)state;
	assert_string_equal(rf_row_of("not_accepted", NULL, NULL), "3.3.6.3");
	assert_string_equal(rf_row_of("withdrawn", NULL, NULL), "3.3.6.3");
	assert_string_equal(rf_row_of("abandoned", NULL, NULL), "3.3.6.1");
	assert_string_equal(rf_row_of("abandoned", "abandoned_correction", NULL), "3.3.6.1");
	assert_string_equal(rf_row_of("abandoned", "abandoned_fee", NULL), "3.3.6.2");
	/* open requests are not results */
	assert_null(rf_row_of("submitted", NULL, NULL));
	assert_null(rf_row_of("accepted", NULL, NULL));
	assert_null(rf_row_of("paused", NULL, NULL));
	assert_null(rf_row_of("awaiting_payment", NULL, NULL));
	assert_null(rf_row_of("no_such_status", NULL, NULL));
}

static void test_rows_and_columns(void **state)
{
	(void)state;
	assert_int_equal(rf_row_count, 25);
	assert_string_equal(rf_rows[0].code, "3.1");
	assert_string_equal(rf_rows[rf_row_count - 1].code, "3.4");
	assert_string_equal(rf_rows[rf_row_index("3.3.3.3")].l3, "3.危及“三安全一稳定”");
	assert_string_equal(rf_rows[rf_row_index("3.3.2")].l2,
			    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）");
	assert_int_equal(rf_row_index("3.3.3"), -1); /* a heading, not a row */
	assert_int_equal(rf_row_index("9.9"), -1);
	assert_int_equal(rf_column_of("natural_person"), RF_NATURAL);
	assert_int_equal(rf_column_of("legal_service"), RF_LEGAL);
	assert_int_equal(rf_column_of("total"), -1);
	assert_int_equal(rf_column_of("martian"), -1);
	assert_string_equal(rf_columns[RF_NGO].label, "社会公益组织");
	assert_string_equal(rf_columns[RF_TOTAL].label, "总计");
}

static void test_table3_totals_and_balance(void **state)
{
	struct rf_table3 t;
	(void)state;

	memset(&t, 0, sizeof t);
	/* 3 new (2 people, 1 company), 1 carried over (company); 2 answered,
	 * 1 withdrawn, 1 carried forward */
	assert_int_equal(rf_table3_add(&t, "3.1", "natural_person", 2), 0);
	assert_int_equal(rf_table3_add(&t, "3.1", "company", 1), 0);
	assert_int_equal(rf_table3_add(&t, "3.2", "company", 1), 0);
	assert_int_equal(rf_table3_add(&t, "3.3.1", "natural_person", 1), 0);
	assert_int_equal(rf_table3_add(&t, "3.3.3.4", "company", 1), 0);
	assert_int_equal(rf_table3_add(&t, "3.3.6.3", "natural_person", 1), 0);
	assert_int_equal(rf_table3_add(&t, "3.4", "company", 1), 0);
	assert_int_equal(rf_table3_add(&t, "3.9", "company", 1), -1);
	assert_int_equal(rf_table3_add(&t, "3.1", "alien", 1), -1);
	rf_table3_finish(&t);
	int total = rf_row_index("3.3.7");
	assert_int_equal(t.v[total][RF_NATURAL], 2);
	assert_int_equal(t.v[total][RF_COMPANY], 1);
	assert_int_equal(t.v[total][RF_TOTAL], 3);
	assert_int_equal(t.v[rf_row_index("3.1")][RF_TOTAL], 3);
	assert_int_equal(t.v[rf_row_index("3.4")][RF_TOTAL], 1);
	for (int c = 0; c < RF__COLS; c++)
		assert_true(rf_table3_balanced(&t, (enum rf_column)c));
	/* one more new request left unanswered and not carried: out of balance
	 * in its column and in 总计 only */
	rf_table3_add(&t, "3.1", "ngo", 1);
	rf_table3_finish(&t);
	assert_false(rf_table3_balanced(&t, RF_NGO));
	assert_false(rf_table3_balanced(&t, RF_TOTAL));
	assert_true(rf_table3_balanced(&t, RF_COMPANY));
}

static struct rf_report sample(void)
{
	struct rf_report r;

	memset(&r, 0, sizeof r);
	r.year = 2025;
	strcpy(r.title, "市公安局2025年政府信息公开工作年度报告");
	r.docs[RF_NORMATIVE][RF_ISSUED] = 3;
	r.docs[RF_NORMATIVE][RF_IN_FORCE] = 12;
	r.licensing = 1234;
	r.figures_entered = true;
	r.penalties = 132;
	r.coercions = 4;
	strcpy(r.fees_10k_yuan, "18.5000");
	rf_table3_add(&r.t3, "3.1", "natural_person", 5);
	rf_table3_add(&r.t3, "3.3.1", "natural_person", 5);
	rf_table3_finish(&r.t3);
	r.appeals[RF_RECONSIDERATION][1] = 1;
	r.appeals[RF_RECONSIDERATION][4] = 1;
	r.fee_notices = 2;
	r.fee_amount = 300;
	return r;
}

/* The line of the CSV that starts with prefix, or NULL. */
static const char *line_of(const char *csv, const char *prefix)
{
	for (const char *p = csv; p && *p; p = strstr(p, "\r\n") ? strstr(p, "\r\n") + 2 : NULL)
		if (!strncmp(p, prefix, strlen(prefix)))
			return p;
	return NULL;
}

static void assert_line(const char *csv, const char *line)
{
	const char *p = line_of(csv, line);
	assert_non_null(p);
	assert_memory_equal(p + strlen(line), "\r\n", 2);
}

static void test_csv_layout(void **state)
{
	struct rf_report r = sample();
	struct buf b = { 0 };
	(void)state;

	rf_csv(&b, &r);
	const char *s = buf_str(&b);
	assert_memory_equal(s, "\xef\xbb\xbf", 3); /* BOM */
	assert_line(s + 3, "市公安局2025年政府信息公开工作年度报告");
	assert_line(s, "二、主动公开政府信息情况");
	assert_line(s, "信息内容,本年制发件数,本年废止件数,现行有效件数");
	assert_line(s, "规章,0,0,0");
	assert_line(s, "行政规范性文件,3,0,12");
	assert_line(s, "行政许可,1234,,");
	assert_line(s, "行政处罚,132,,");
	assert_line(s, "行政强制,4,,");
	assert_line(s, "行政事业性收费,18.5000,,");
	assert_line(s, "一、本年新收政府信息公开申请数量,,,5,0,0,0,0,0,5");
	assert_line(s, "三、本年度办理结果,（一）予以公开,,5,0,0,0,0,0,5");
	assert_line(s, "三、本年度办理结果,（七）总计,,5,0,0,0,0,0,5");
	assert_line(s, "四、结转下年度继续办理,,,0,0,0,0,0,0,0");
	assert_line(s, "0,1,0,0,1,0,0,0,0,0,0,0,0,0,0");
	assert_line(s, "本年,2,300,0,0");
	/* no bare LF anywhere */
	for (size_t i = 0; i < b.len; i++)
		if (s[i] == '\n')
			assert_int_equal(s[i - 1], '\r');
	buf_free(&b);

	/* a unit that entered no figures: those cells are empty */
	r.figures_entered = false;
	r.fees_10k_yuan[0] = 0;
	rf_csv(&b, &r);
	assert_line(buf_str(&b), "行政处罚,,,");
	assert_line(buf_str(&b), "行政事业性收费,,,");
	buf_free(&b);
}

static void test_xlsx_is_a_workbook(void **state)
{
	struct rf_report r = sample();
	char *x = NULL;
	size_t n = 0;
	(void)state;

	assert_int_equal(rf_xlsx(&r, &x, &n), 0);
	assert_non_null(x);
	assert_true(n > 2000);
	assert_memory_equal(x, "PK\x03\x04", 4); /* a zip, as OOXML is */
	/* its sheets, by name, in the workbook part */
	assert_non_null(memmem(x, n, "xl/workbook.xml", 15));
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_of_decisions),
		cmocka_unit_test(test_rows_of_other_closures),
		cmocka_unit_test(test_rows_and_columns),
		cmocka_unit_test(test_table3_totals_and_balance),
		cmocka_unit_test(test_csv_layout),
		cmocka_unit_test(test_xlsx_is_a_workbook),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
