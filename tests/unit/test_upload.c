/* test_upload.c - the file names an upload may carry: every control
 * character and every bidi mark that reorders or hides text is refused,
 * ordinary names in any script pass. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/server/upload.h"

/* The UTF-8 of code point cp, inside "a<cp>b.pdf". */
static void name_with(unsigned cp, char *out, size_t len)
{
	char u[5] = { 0 };

	if (cp < 0x80) {
		u[0] = (char)cp;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
	}
	snprintf(out, len, "a%sb.pdf", u);
}

static void test_refused(void **state)
{
	static const unsigned bidi[] = { 0x200e, 0x200f, 0x061c, 0x202a, 0x202b, 0x202c,
					 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069 };
	char name[32];

	(void)state;
	for (unsigned cp = 1; cp < 0x20; cp++) {
		name_with(cp, name, sizeof name);
		assert_non_null(upload_filename_problem(name));
	}
	for (unsigned cp = 0x7f; cp <= 0x9f; cp++) {
		name_with(cp, name, sizeof name);
		assert_non_null(upload_filename_problem(name));
	}
	for (size_t i = 0; i < sizeof bidi / sizeof bidi[0]; i++) {
		name_with(bidi[i], name, sizeof name);
		const char *why = upload_filename_problem(name);
		assert_non_null(why);
		assert_non_null(strstr(why, "bidirectional"));
	}
	/* the classic: "invoice_<RLO>fdp.exe" reads "invoice_exe.pdf" */
	assert_non_null(upload_filename_problem("invoice_\xe2\x80\xae" "fdp.exe"));
}

static void test_accepted(void **state)
{
	static const unsigned ok[] = { 0x20, 0x41, 0x7e, 0xa0, 0xe9, 0x4e2d, 0x200b, 0x200d,
				       0x2010, 0x2029, 0x202f, 0x2065, 0x206a, 0x1f600 };
	char name[32];

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		name_with(ok[i], name, sizeof name);
		assert_null(upload_filename_problem(name));
	}
	assert_null(upload_filename_problem("身份证-正面 (1).jpg"));
	assert_null(upload_filename_problem(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_accepted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
