/* test_formschema.c - application forms' JSON Schema subset
 * (src/domain/formschema.c): every keyword accepted and refused when the
 * schema is set, every keyword enforced on a form, nesting, and the JSON
 * pointers of the errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/domain/formschema.h"

static json_t *parse(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &err);

	if (!j)
		fail_msg("bad test JSON: %s: %s", text, err.text);
	return j;
}

/* The pointers of the errors formschema_check gives for schema text, joined
 * by spaces. */
static const char *check_ptrs(const char *text)
{
	static char out[1024];
	struct verrs v = { 0 };
	json_t *s = parse(text);

	formschema_check(s, "/form_schema", &v);
	out[0] = '\0';
	for (int i = 0; i < v.n; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, v.e[i].pointer);
	}
	json_decref(s);
	return out;
}

/* The same for form text against schema text (which must be accepted). */
static const char *form_ptrs(const char *schema, const char *form)
{
	static char out[1024];
	struct verrs v = { 0 };
	json_t *s = parse(schema), *f = parse(form);

	assert_int_equal(formschema_check(s, "/form_schema", &v), 0);
	formschema_validate(s, f, "/form", &v);
	out[0] = '\0';
	for (int i = 0; i < v.n; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, v.e[i].pointer);
	}
	json_decref(s);
	json_decref(f);
	return out;
}

static const char *first_message(const char *schema, const char *form)
{
	static char out[320];
	struct verrs v = { 0 };
	json_t *s = parse(schema), *f = parse(form);

	formschema_validate(s, f, "/form", &v);
	snprintf(out, sizeof out, "%s", v.n ? v.e[0].message : "");
	json_decref(s);
	json_decref(f);
	return out;
}

#define COMPANY \
	"{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\"," \
	" \"type\": \"object\", \"title\": \"企业设立登记申请表\", \"additionalProperties\": false," \
	" \"required\": [\"企业名称\", \"统一社会信用代码\", \"联系电话\"]," \
	" \"properties\": {" \
	"  \"企业名称\": {\"type\": \"string\", \"title\": \"企业名称\", \"minLength\": 2, \"maxLength\": 10}," \
	"  \"统一社会信用代码\": {\"type\": \"string\", \"pattern\": \"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$\"}," \
	"  \"联系电话\": {\"type\": \"string\", \"format\": \"phone\"}," \
	"  \"电子邮箱\": {\"type\": \"string\", \"format\": \"email\"}," \
	"  \"成立日期\": {\"type\": \"string\", \"format\": \"date\"}," \
	"  \"企业类型\": {\"type\": \"string\", \"enum\": [\"有限责任公司\", \"股份有限公司\"]}," \
	"  \"注册资本\": {\"type\": \"number\", \"minimum\": 0, \"maximum\": 100000}," \
	"  \"从业人数\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 500}," \
	"  \"是否连锁\": {\"type\": \"boolean\"}," \
	"  \"经营范围\": {\"type\": \"array\", \"minItems\": 1, \"maxItems\": 3, \"uniqueItems\": true," \
	"            \"items\": {\"type\": \"string\", \"maxLength\": 4}}," \
	"  \"法定代表人\": {\"type\": \"object\", \"required\": [\"姓名\"], \"additionalProperties\": false," \
	"            \"properties\": {\"姓名\": {\"type\": \"string\"}, \"a/b~c\": {\"type\": \"integer\"}}}" \
	" }}"

#define GOOD \
	"{\"企业名称\": \"衡州食品\", \"统一社会信用代码\": \"91330100MA2XXXXX0A\"," \
	" \"联系电话\": \"13812345678\", \"电子邮箱\": \"li.ming@example.com.cn\"," \
	" \"成立日期\": \"2024-02-29\", \"企业类型\": \"有限责任公司\", \"注册资本\": 100.5," \
	" \"从业人数\": 12.0, \"是否连锁\": false, \"经营范围\": [\"餐饮\", \"零售\"]," \
	" \"法定代表人\": {\"姓名\": \"李明\", \"a/b~c\": 3}}"

static void test_good_schema_and_form(void **state)
{
	(void)state;
	assert_string_equal(check_ptrs(COMPANY), "");
	assert_string_equal(form_ptrs(COMPANY, GOOD), "");
	/* optional fields may be left out */
	assert_string_equal(form_ptrs(COMPANY,
		"{\"企业名称\": \"衡州\", \"统一社会信用代码\": \"91330100MA2XXXXX0A\", \"联系电话\": \"0571-87654321\"}"), "");
}

static void test_schema_root(void **state)
{
	(void)state;
	assert_string_equal(check_ptrs("[]"), "/form_schema");
	assert_string_equal(check_ptrs("{}"), "/form_schema/type");
	assert_string_equal(check_ptrs("{\"type\": \"string\"}"), "/form_schema/type");
	assert_string_equal(check_ptrs("{\"type\": [\"object\", \"null\"]}"), "/form_schema/type");
	assert_string_equal(check_ptrs("{\"type\": \"object\", \"$schema\": \"http://json-schema.org/draft-07/schema#\"}"),
			    "/form_schema/$schema");
	/* $schema only at the root */
	assert_string_equal(check_ptrs("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\","
				       " \"$schema\": \"https://json-schema.org/draft/2020-12/schema\"}}}"),
			    "/form_schema/properties/a/$schema");
}

static void test_schema_unknown_and_misplaced_keywords(void **state)
{
	(void)state;
	assert_string_equal(check_ptrs("{\"type\": \"object\", \"$ref\": \"#/x\"}"), "/form_schema/$ref");
	assert_string_equal(check_ptrs("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\","
				       " \"oneOf\": [], \"minimum\": 1}}}"),
			    "/form_schema/properties/a/oneOf /form_schema/properties/a/minimum");
	assert_string_equal(check_ptrs("{\"type\": \"object\", \"minLength\": 1}"), "/form_schema/minLength");
	assert_string_equal(check_ptrs("{\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"integer\","
				       " \"format\": \"date\"}}}"), "/form_schema/properties/n/format");
}

static void test_schema_keyword_values(void **state)
{
	(void)state;
#define P(x) "{\"type\": \"object\", \"properties\": {\"f\": " x "}}"
	assert_string_equal(check_ptrs(P("{\"type\": \"string\", \"title\": 3}")), "/form_schema/properties/f/title");
	assert_string_equal(check_ptrs(P("{\"type\": \"string\", \"description\": []}")),
			    "/form_schema/properties/f/description");
	assert_string_equal(check_ptrs(P("{\"type\": \"string\", \"minLength\": -1}")),
			    "/form_schema/properties/f/minLength");
	assert_string_equal(check_ptrs(P("{\"type\": \"string\", \"maxLength\": 1.5}")),
			    "/form_schema/properties/f/maxLength");
	assert_string_equal(check_ptrs(P("{\"type\": \"string\", \"minLength\": 5, \"maxLength\": 4}")),
			    "/form_schema/properties/f/minLength");
	assert_string_equal(check_ptrs(P("{\"type\": \"string\", \"format\": \"uri\"}")),
			    "/form_schema/properties/f/format");
	assert_string_equal(check_ptrs(P("{\"type\": \"string\", \"pattern\": \"^[0-9]+(\"}")),
			    "/form_schema/properties/f/pattern");
	assert_string_equal(check_ptrs(P("{\"type\": \"string\", \"pattern\": \"^\\\\d+$\"}")),
			    "/form_schema/properties/f/pattern");
	assert_string_equal(check_ptrs(P("{\"type\": \"string\", \"pattern\": \"[[:digit:]]\"}")),
			    "/form_schema/properties/f/pattern");
	assert_string_equal(check_ptrs(P("{\"type\": \"string\", \"pattern\": \"[\\\\.]\"}")),
			    "/form_schema/properties/f/pattern");
	assert_string_equal(check_ptrs(P("{\"type\": \"string\", \"pattern\": \"(?=a)\"}")),
			    "/form_schema/properties/f/pattern");
	assert_string_equal(check_ptrs(P("{\"type\": \"string\", \"pattern\": \"[]a]\"}")),
			    "/form_schema/properties/f/pattern");
	assert_string_equal(check_ptrs(P("{\"type\": \"string\", \"pattern\": \"^a\\\\.b$\"}")), "");
	assert_string_equal(check_ptrs(P("{\"type\": \"string\", \"pattern\": \"^[一-龥]+$\"}")),
			    "/form_schema/properties/f/pattern");
	assert_string_equal(check_ptrs(P("{\"type\": \"number\", \"minimum\": \"1\"}")),
			    "/form_schema/properties/f/minimum");
	assert_string_equal(check_ptrs(P("{\"type\": \"integer\", \"minimum\": 5, \"maximum\": 1}")),
			    "/form_schema/properties/f/minimum");
	assert_string_equal(check_ptrs(P("{\"type\": \"string\", \"enum\": []}")), "/form_schema/properties/f/enum");
	assert_string_equal(check_ptrs(P("{\"type\": \"string\", \"enum\": [\"a\", 1, \"a\"]}")),
			    "/form_schema/properties/f/enum/1 /form_schema/properties/f/enum/2");
	assert_string_equal(check_ptrs(P("{\"type\": \"object\", \"enum\": [{}]}")),
			    "/form_schema/properties/f/enum");
	assert_string_equal(check_ptrs(P("{\"type\": \"array\"}")), "/form_schema/properties/f/items");
	assert_string_equal(check_ptrs(P("{\"type\": \"array\", \"items\": {\"type\": \"date\"},"
					 " \"minItems\": 3, \"maxItems\": 2, \"uniqueItems\": 1}")),
			    "/form_schema/properties/f/minItems /form_schema/properties/f/items/type"
			    " /form_schema/properties/f/uniqueItems");
	assert_string_equal(check_ptrs(P("{\"type\": \"object\", \"additionalProperties\": {}}")),
			    "/form_schema/properties/f/additionalProperties");
	assert_string_equal(check_ptrs("{\"type\": \"object\", \"properties\": []}"), "/form_schema/properties");
	assert_string_equal(check_ptrs("{\"type\": \"object\", \"properties\": {\"a\": 1}}"),
			    "/form_schema/properties/a");
	assert_string_equal(check_ptrs("{\"type\": \"object\", \"properties\": {\"\": {\"type\": \"string\"}}}"),
			    "/form_schema/properties/");
	assert_string_equal(check_ptrs("{\"type\": \"object\", \"required\": \"a\"}"), "/form_schema/required");
	assert_string_equal(check_ptrs("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\"}},"
				       " \"required\": [\"a\", \"b\", 1, \"a\"]}"),
			    "/form_schema/required/1 /form_schema/required/2 /form_schema/required/3");
#undef P
}

/* n object schemas nested through property "x", the innermost x a string. */
static const char *nested(int n)
{
	static char out[2048];

	out[0] = '\0';
	for (int i = 0; i < n; i++)
		strcat(out, "{\"type\": \"object\", \"properties\": {\"x\": ");
	strcat(out, "{\"type\": \"string\"}");
	for (int i = 0; i < n; i++)
		strcat(out, "}}");
	return out;
}

static void test_schema_nesting_and_escaping(void **state)
{
	(void)state;
	/* "~" and "/" in names are escaped (RFC 6901) */
	assert_string_equal(check_ptrs("{\"type\": \"object\", \"properties\": {\"a/b\": {\"type\": \"object\","
				       " \"properties\": {\"c~d\": {\"type\": \"array\", \"items\": {\"type\": \"x\"}}}}}}"),
			    "/form_schema/properties/a~1b/properties/c~0d/items/type");
	/* depth: six levels (five objects and a string) are allowed, seven not */
	assert_string_equal(check_ptrs(nested(5)), "");
	assert_string_equal(check_ptrs(nested(6)), "/form_schema/properties/x/properties/x/properties/x"
			    "/properties/x/properties/x/properties/x");
}

static void test_form_types_and_required(void **state)
{
	(void)state;
	assert_string_equal(form_ptrs(COMPANY, "{}"),
			    "/form/企业名称 /form/统一社会信用代码 /form/联系电话");
	assert_string_equal(form_ptrs(COMPANY,
		"{\"企业名称\": 1, \"统一社会信用代码\": \"91330100MA2XXXXX0A\", \"联系电话\": \"13812345678\","
		" \"注册资本\": \"100\", \"从业人数\": 1.5, \"是否连锁\": \"否\", \"经营范围\": \"餐饮\","
		" \"法定代表人\": []}"),
		"/form/企业名称 /form/注册资本 /form/从业人数 /form/是否连锁 /form/经营范围 /form/法定代表人");
	assert_string_equal(first_message(COMPANY, "{\"企业名称\": 1, \"统一社会信用代码\": \"91330100MA2XXXXX0A\","
					  " \"联系电话\": \"13812345678\"}"), "must be of type string");
	/* additionalProperties false: an unknown field; absent: allowed */
	assert_string_equal(form_ptrs(COMPANY, "{\"企业名称\": \"衡州\", \"统一社会信用代码\": \"91330100MA2XXXXX0A\","
				      " \"联系电话\": \"13812345678\", \"备注\": \"\"}"), "/form/备注");
	assert_string_equal(form_ptrs("{\"type\": \"object\", \"properties\": {}}", "{\"备注\": 1}"), "");
}

static void test_form_strings(void **state)
{
	(void)state;
#define F(x) "{\"企业名称\": \"衡州\", \"统一社会信用代码\": \"91330100MA2XXXXX0A\", \"联系电话\": \"13812345678\", " x "}"
	/* lengths count characters, not bytes: 10 Chinese characters pass */
	assert_string_equal(form_ptrs(COMPANY, "{\"企业名称\": \"一二三四五六七八九十\", \"统一社会信用代码\":"
				      " \"91330100MA2XXXXX0A\", \"联系电话\": \"13812345678\"}"), "");
	assert_string_equal(form_ptrs(COMPANY, "{\"企业名称\": \"一二三四五六七八九十一\", \"统一社会信用代码\":"
				      " \"91330100MA2XXXXX0A\", \"联系电话\": \"13812345678\"}"), "/form/企业名称");
	assert_string_equal(form_ptrs(COMPANY, "{\"企业名称\": \"衡\", \"统一社会信用代码\":"
				      " \"91330100MA2XXXXX0A\", \"联系电话\": \"13812345678\"}"), "/form/企业名称");
	assert_string_equal(first_message(COMPANY, "{\"企业名称\": \"衡\", \"统一社会信用代码\":"
					  " \"91330100MA2XXXXX0A\", \"联系电话\": \"13812345678\"}"),
			    "must be at least 2 characters long");
	/* pattern: I and O are not in the code's alphabet */
	assert_string_equal(form_ptrs(COMPANY, "{\"企业名称\": \"衡州\", \"统一社会信用代码\":"
				      " \"91330100MA2XXXXXIO\", \"联系电话\": \"13812345678\"}"), "/form/统一社会信用代码");
	assert_string_equal(form_ptrs(COMPANY, F("\"电子邮箱\": \"li@\", \"成立日期\": \"2023-02-29\"")),
			    "/form/电子邮箱 /form/成立日期");
	assert_string_equal(form_ptrs(COMPANY, F("\"企业类型\": \"合伙企业\"")), "/form/企业类型");
#undef F
}

static void test_pattern_characters(void **state)
{
	(void)state;
	/* "." and brackets match characters, not bytes */
	const char *s = "{\"type\": \"object\", \"properties\": {\"名\": {\"type\": \"string\","
			" \"pattern\": \"^[李王][^0-9]{1,3}$\"}, \"x\": {\"type\": \"string\", \"pattern\": \"^.{3}$\"}}}";
	assert_string_equal(form_ptrs(s, "{\"名\": \"李明\", \"x\": \"衡州市\"}"), "");
	assert_string_equal(form_ptrs(s, "{\"名\": \"张明\", \"x\": \"衡州\"}"), "/form/名 /form/x");
	/* unanchored, as JSON Schema's patterns are */
	const char *u = "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\", \"pattern\": \"[0-9]\"}}}";
	assert_string_equal(form_ptrs(u, "{\"a\": \"第3号\"}"), "");
	assert_string_equal(form_ptrs(u, "{\"a\": \"第三号\"}"), "/form/a");
}

static void test_form_numbers(void **state)
{
	(void)state;
#define F(x) "{\"企业名称\": \"衡州\", \"统一社会信用代码\": \"91330100MA2XXXXX0A\", \"联系电话\": \"13812345678\", " x "}"
	assert_string_equal(form_ptrs(COMPANY, F("\"注册资本\": 0, \"从业人数\": 500")), "");
	assert_string_equal(form_ptrs(COMPANY, F("\"注册资本\": -0.01, \"从业人数\": 501")),
			    "/form/注册资本 /form/从业人数");
	assert_string_equal(first_message(COMPANY, F("\"从业人数\": 0")), "must be at least 1");
	assert_string_equal(first_message(COMPANY, F("\"注册资本\": 100000.5")), "must be at most 100000");
	/* enum of numbers: 2 and 2.0 are the same value */
	const char *e = "{\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"number\", \"enum\": [1, 2]}}}";
	assert_string_equal(form_ptrs(e, "{\"n\": 2.0}"), "");
	assert_string_equal(form_ptrs(e, "{\"n\": 3}"), "/form/n");
#undef F
}

static void test_form_arrays_and_nesting(void **state)
{
	(void)state;
#define F(x) "{\"企业名称\": \"衡州\", \"统一社会信用代码\": \"91330100MA2XXXXX0A\", \"联系电话\": \"13812345678\", " x "}"
	assert_string_equal(form_ptrs(COMPANY, F("\"经营范围\": []")), "/form/经营范围");
	assert_string_equal(form_ptrs(COMPANY, F("\"经营范围\": [\"a\", \"b\", \"c\", \"d\"]")), "/form/经营范围");
	assert_string_equal(form_ptrs(COMPANY, F("\"经营范围\": [\"餐饮\", 2, \"餐饮\", \"五个字的\"]")),
			    "/form/经营范围 /form/经营范围/1 /form/经营范围/2");
	assert_string_equal(form_ptrs(COMPANY, F("\"经营范围\": [\"餐饮\", \"零售批发业务\"]")), "/form/经营范围/1");
	assert_string_equal(form_ptrs(COMPANY, F("\"法定代表人\": {\"a/b~c\": \"x\", \"职务\": \"董事长\"}")),
			    "/form/法定代表人/姓名 /form/法定代表人/a~1b~0c /form/法定代表人/职务");
	/* an array of objects */
	const char *s = "{\"type\": \"object\", \"properties\": {\"股东\": {\"type\": \"array\", \"items\":"
			" {\"type\": \"object\", \"required\": [\"姓名\"], \"properties\": {\"姓名\": {\"type\": \"string\"},"
			" \"出资比例\": {\"type\": \"number\", \"maximum\": 100}}}}}}";
	assert_string_equal(form_ptrs(s, "{\"股东\": [{\"姓名\": \"甲\", \"出资比例\": 60}, {\"出资比例\": 140}]}"),
			    "/form/股东/1/姓名 /form/股东/1/出资比例");
#undef F
}

static void test_formats(void **state)
{
	(void)state;
	static const char *const dates_ok[] = { "2019-10-01", "2024-02-29", "2000-12-31", NULL };
	static const char *const dates_bad[] = { "2019-1-01", "2023-02-29", "2019-13-01", "20191001",
						 "2019-10-01T00:00:00Z", "2019/10/01", "", NULL };
	static const char *const emails_ok[] = { "a@b.cn", "li.ming+gov@mail.example.com", "x_y@a-b.org.cn", NULL };
	static const char *const emails_bad[] = { "a@b", "@b.cn", "a@@b.cn", "a..b@c.cn", ".a@b.cn", "a.@b.cn",
						  "a@-b.cn", "a@b-.cn", "a@b.c", "a@b.c1", "李@b.cn", "a b@c.cn",
						  "a@b..cn", "", NULL };
	static const char *const phones_ok[] = { "13812345678", "19912345678", "0571-87654321", "01087654321",
						 "010-8765432", "0755-87654321-123", NULL };
	static const char *const phones_bad[] = { "12812345678", "1381234567", "138123456789", "+8613812345678",
						  "571-87654321", "0571-07654321", "0571-876543", "0571-876543210",
						  "0571--87654321", "0571-87654321-", "0571-87654321-1234567",
						  "138 1234 5678", "", NULL };

	for (int i = 0; dates_ok[i]; i++)
		assert_true(formschema_format_ok("date", dates_ok[i]));
	for (int i = 0; dates_bad[i]; i++)
		assert_false(formschema_format_ok("date", dates_bad[i]));
	for (int i = 0; emails_ok[i]; i++)
		assert_true(formschema_format_ok("email", emails_ok[i]));
	for (int i = 0; emails_bad[i]; i++)
		if (formschema_format_ok("email", emails_bad[i]))
			fail_msg("email accepted: %s", emails_bad[i]);
	for (int i = 0; phones_ok[i]; i++)
		if (!formschema_format_ok("phone", phones_ok[i]))
			fail_msg("phone refused: %s", phones_ok[i]);
	for (int i = 0; phones_bad[i]; i++)
		if (formschema_format_ok("phone", phones_bad[i]))
			fail_msg("phone accepted: %s", phones_bad[i]);
	assert_false(formschema_format_ok("uri", "https://example.com"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_schema_and_form),
		cmocka_unit_test(test_schema_root),
		cmocka_unit_test(test_schema_unknown_and_misplaced_keywords),
		cmocka_unit_test(test_schema_keyword_values),
		cmocka_unit_test(test_schema_nesting_and_escaping),
		cmocka_unit_test(test_form_types_and_required),
		cmocka_unit_test(test_form_strings),
		cmocka_unit_test(test_pattern_characters),
		cmocka_unit_test(test_form_numbers),
		cmocka_unit_test(test_form_arrays_and_nesting),
		cmocka_unit_test(test_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
