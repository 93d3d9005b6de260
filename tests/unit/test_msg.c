/* test_msg.c - the message catalogue: lookup by the English text, Chinese
 * formatting with the English format's arguments (positional ones too), the
 * words translated inside a message, and the errors' codes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/base/msg.h"
#include "opengov/base/validate.h"

static void test_lookup(void **state)
{
	(void)state;
	const struct msg *m = msg_find("There is no such request.", 0);
	assert_non_null(m);
	assert_int_equal(m->kind, MSG_PROBLEM);
	assert_string_equal(m->code, "request_not_found");
	assert_string_equal(m->zh, "没有这个申请。");
	assert_null(msg_find("There is no such thing at all.", 0));
	assert_null(msg_find(NULL, 0));
	/* A word is found only when words are asked for. */
	assert_null(msg_find("clerk", 0));
	assert_non_null(msg_find("clerk", 1));
	assert_string_equal(msg_text("There is no such request.", LANG_EN), "There is no such request.");
	assert_string_equal(msg_text("There is no such request.", LANG_ZH), "没有这个申请。");
	assert_string_equal(msg_text("uncatalogued", LANG_ZH), "uncatalogued");
}

static void test_every_entry_found(void **state)
{
	(void)state;
	size_t n;
	const struct msg *all = msg_all(&n);

	assert_true(n > 200);
	for (size_t i = 0; i < n; i++) {
		const struct msg *m = msg_find(all[i].en, 1);
		assert_non_null(m);
		assert_ptr_equal(m, &all[i]); /* no English text twice */
		assert_true(all[i].kind == MSG_WORD || (all[i].code && *all[i].code));
	}
}

static void test_format(void **state)
{
	(void)state;
	char out[256];
	const struct msg *m;

	m = msg_format(out, sizeof out, LANG_EN, "The body nests deeper than %d levels.", 32);
	assert_non_null(m);
	assert_string_equal(out, "The body nests deeper than 32 levels.");
	m = msg_format(out, sizeof out, LANG_ZH, "The body nests deeper than %d levels.", 32);
	assert_string_equal(m->code, "body_too_deep");
	assert_string_equal(out, "请求体嵌套超过 32 层。");
	/* Positional arguments, one left out, long long and int mixed. */
	msg_format(out, sizeof out, LANG_ZH, "The body is not valid JSON: %s (line %d, column %d).",
		   "'[' or '{' expected", 3, 14);
	assert_string_equal(out, "请求体不是有效的 JSON（第 3 行第 14 列）。");
	msg_format(out, sizeof out, LANG_ZH,
		   "The request's materials would take %lld bytes with this file, over its storage quota of %ld bytes (%lld bytes are left).",
		   1234567890123LL, 100L, -5LL);
	assert_string_equal(out, "加上此文件，本申请的材料将占用 1234567890123 字节，超过 100 字节的存储上限（尚余 -5 字节）。");
	/* Words inside: a role and an action. */
	msg_format(out, sizeof out, LANG_ZH, "Only %s of the request's unit may %s.", "an approver", "decide");
	assert_string_equal(out, "只有申请所属单位的审批人员可以进行“作出决定”。");
	msg_format(out, sizeof out, LANG_ZH, "%s is not a step of a %s request.", "deliver", "disclosure");
	assert_string_equal(out, "“送达”不是政府信息公开申请的办理步骤。");
	/* %zu and a precision. */
	msg_format(out, sizeof out, LANG_ZH, "repeats entry %zu", (size_t)7);
	assert_string_equal(out, "与第 7 项重复");
	msg_format(out, sizeof out, LANG_ZH, "must not be before the item was published (%.10s)",
		   "2026-01-02T03:04:05Z");
	assert_string_equal(out, "不得早于该事项的公布日期（2026-01-02）");
	/* Uncatalogued: English, and NULL. */
	assert_null(msg_format(out, sizeof out, LANG_ZH, "Nothing like %d here.", 5));
	assert_string_equal(out, "Nothing like 5 here.");
	/* Cut at a character boundary. */
	char small[10];
	msg_format(small, sizeof small, LANG_ZH, "The body nests deeper than %d levels.", 32);
	assert_string_equal(small, "请求体");
}

static void test_verrs_codes(void **state)
{
	(void)state;
	struct verrs v = { 0 };

	verrs_add(&v, "/name", "is required");
	verrs_add(&v, "/days", "must be between %lld and %lld", 1LL, 60LL);
	verrs_add(&v, "/code", "%s", "must start with a letter or digit");
	verrs_add(&v, "/x", "something nobody catalogued");
	assert_int_equal(v.n, 4);
	assert_string_equal(v.e[0].code, "required");
	assert_string_equal(v.e[0].message_zh, "为必填项");
	assert_string_equal(v.e[1].code, "out_of_range");
	assert_string_equal(v.e[1].message, "must be between 1 and 60");
	assert_string_equal(v.e[1].message_zh, "须在 1 至 60 之间");
	assert_string_equal(v.e[2].code, "code_start");
	assert_string_equal(v.e[2].message_zh, "须以字母或数字开头");
	assert_string_equal(v.e[3].code, "invalid");
	assert_string_equal(v.e[3].message_zh, "something nobody catalogued");
	/* Nested: the code and both texts travel. */
	struct verrs outer = { 0 };
	verrs_nest(&outer, "/applicant", &v.e[1]);
	assert_string_equal(outer.e[0].pointer, "/applicant/days");
	assert_string_equal(outer.e[0].code, "out_of_range");
	assert_string_equal(outer.e[0].message_zh, "须在 1 至 60 之间");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_every_entry_found),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_verrs_codes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
