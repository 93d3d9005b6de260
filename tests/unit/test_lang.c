/* test_lang.c - Accept-Language negotiation: zh-CN unless English is preferred. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "opengov/base/lang.h"

static void test_default_is_chinese(void **state)
{
	(void)state;
	assert_int_equal(lang_negotiate(NULL), LANG_ZH);
	assert_int_equal(lang_negotiate(""), LANG_ZH);
	assert_int_equal(lang_negotiate("fr-FR, de;q=0.5"), LANG_ZH);
	assert_int_equal(lang_negotiate("*"), LANG_ZH);
	assert_int_equal(lang_negotiate("zh-CN,zh;q=0.9,en;q=0.8"), LANG_ZH);
	assert_int_equal(lang_negotiate("zh-Hans-CN"), LANG_ZH);
	assert_string_equal(lang_tag(LANG_ZH), "zh-CN");
}

static void test_english_when_preferred(void **state)
{
	(void)state;
	assert_int_equal(lang_negotiate("en"), LANG_EN);
	assert_int_equal(lang_negotiate("en-US,en;q=0.9"), LANG_EN);
	assert_int_equal(lang_negotiate("EN-gb"), LANG_EN);
	assert_int_equal(lang_negotiate("zh;q=0.5, en;q=0.8"), LANG_EN);
	assert_int_equal(lang_negotiate("fr, en;q=0.3"), LANG_EN);
	/* Ties go to the one listed first. */
	assert_int_equal(lang_negotiate("en, zh"), LANG_EN);
	assert_int_equal(lang_negotiate("zh, en"), LANG_ZH);
	assert_string_equal(lang_tag(LANG_EN), "en");
}

static void test_refusals_and_malformed(void **state)
{
	(void)state;
	/* q=0 means "not acceptable". */
	assert_int_equal(lang_negotiate("en;q=0"), LANG_ZH);
	assert_int_equal(lang_negotiate("zh;q=0, en"), LANG_EN);
	/* Not a language we write, or a malformed q: ignored. */
	assert_int_equal(lang_negotiate("english"), LANG_ZH);
	assert_int_equal(lang_negotiate("en;q=2"), LANG_ZH);
	assert_int_equal(lang_negotiate("en;q=abc"), LANG_ZH);
	assert_int_equal(lang_negotiate(",,;;=,"), LANG_ZH);
	assert_int_equal(lang_negotiate("  en  ;  q=0.7 "), LANG_EN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_is_chinese),
		cmocka_unit_test(test_english_when_preferred),
		cmocka_unit_test(test_refusals_and_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
