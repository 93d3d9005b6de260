/* test_fees.c - the information-processing fee (国办函〔2020〕109号 Arts.
 * 4 and 5): every band edge by hand, and both methods against a page-by-page
 * and request-by-request sum that restates the Measures' tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "opengov/domain/fees.h"

/* Art. 4 restated as a table lookup per request. */
static long long ref_count_rate(int n)
{
	if (n <= 10)
		return 0;
	if (n <= 30)
		return 100;
	int band = (n - 31) / 10; /* 31-40 is band 0 */
	return 200 + 100LL * band;
}

static void test_count_band_edges(void **state)
{
	(void)state;
	/* Art. 4 (一): the 10th request of a month is free */
	assert_int_equal(fee_by_count(9, 1), 0);
	/* (二): the 11th and the 30th cost 100 */
	assert_int_equal(fee_by_count(10, 1), 100);
	assert_int_equal(fee_by_count(29, 1), 100);
	/* (三): the 31st 200, the 40th 200, the 41st 300, the 51st 400 */
	assert_int_equal(fee_by_count(30, 1), 200);
	assert_int_equal(fee_by_count(39, 1), 200);
	assert_int_equal(fee_by_count(40, 1), 300);
	assert_int_equal(fee_by_count(50, 1), 400);
	/* one application split into 3 pieces, the 10th to 12th: 0 + 100 + 100 */
	assert_int_equal(fee_by_count(9, 3), 200);
	/* the whole month of 45 requests: 20 x 100 + 10 x 200 + 5 x 300 */
	assert_int_equal(fee_by_count(0, 45), 2000 + 2000 + 1500);
}

static void test_count_against_reference(void **state)
{
	(void)state;
	for (int before = 0; before < 120; before++)
		for (int pieces = 1; pieces < 25; pieces++) {
			long long want = 0;
			for (int n = before + 1; n <= before + pieces; n++)
				want += ref_count_rate(n);
			assert_int_equal(fee_by_count(before, pieces), want);
		}
}

static void test_volume_band_edges(void **state)
{
	(void)state;
	/* Art. 5: 30 pages free; 31-100 at 10; 101-200 at 20; 201- at 40 */
	assert_int_equal(fee_by_volume(0), 0);
	assert_int_equal(fee_by_volume(30), 0);
	assert_int_equal(fee_by_volume(31), 10);
	assert_int_equal(fee_by_volume(100), 700);
	assert_int_equal(fee_by_volume(101), 720);
	assert_int_equal(fee_by_volume(200), 2700);
	assert_int_equal(fee_by_volume(201), 2740);
	assert_int_equal(fee_by_volume(250), 2700 + 50 * 40);
}

static void test_volume_against_reference(void **state)
{
	(void)state;
	long long sum = 0;

	for (int pages = 1; pages <= 1000; pages++) {
		sum += pages <= 30 ? 0 : pages <= 100 ? 10 : pages <= 200 ? 20 : 40;
		assert_int_equal(fee_by_volume(pages), sum);
		assert_int_equal(fee_volume_rate(pages), pages <= 30 ? 0 : pages <= 100 ? 10 : pages <= 200 ? 20 : 40);
	}
}

static void test_nonsense(void **state)
{
	(void)state;
	assert_int_equal(fee_by_count(-1, 1), -1);
	assert_int_equal(fee_by_count(0, 0), -1);
	assert_int_equal(fee_by_count(0, 2000000), -1);
	assert_int_equal(fee_by_volume(-5), -1);
	assert_int_equal(fee_by_volume(100000000), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_band_edges),
		cmocka_unit_test(test_count_against_reference),
		cmocka_unit_test(test_volume_band_edges),
		cmocka_unit_test(test_volume_against_reference),
		cmocka_unit_test(test_nonsense),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
