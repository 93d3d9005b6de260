/* test_webhook.c - the webhooks' pure rules (src/domain/webhook.c): the
 * signature (HMAC-SHA256 over "timestamp.body", hex; reference values
 * computed independently with Python's hmac module), the back-off
 * schedule and its jitter, the URL check, the event types. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "opengov/domain/events.h"

static void test_signature(void **state)
{
	(void)state;
	char hex[65], header[128];
	const char *body = "{\"seq\":1}";

	assert_int_equal(webhook_sign("whsec_test", 1700000000, body, strlen(body), hex), 0);
	assert_string_equal(hex, "926c3c48823e4dc937cdb0992313bcbbc472579d779ab54f0d4e09e4049838aa");
	/* An empty body signs "0." */
	assert_int_equal(webhook_sign("k", 0, "", 0, hex), 0);
	assert_string_equal(hex, "6b4a4b8b3c40f1e8f53a3d36682e5f99f7ad2ac1df1c93dfe336f329167641e7");
	assert_int_equal(webhook_signature_header("whsec_test", 1700000000, body, strlen(body),
						  header, sizeof header), 0);
	assert_string_equal(header, "t=1700000000,v1=926c3c48823e4dc937cdb0992313bcbbc472579d"
				    "779ab54f0d4e09e4049838aa");
	/* Another timestamp, body or secret signs differently. */
	char other[65];
	assert_int_equal(webhook_sign("whsec_test", 1700000001, body, strlen(body), other), 0);
	assert_string_not_equal(hex, other);
	assert_int_equal(webhook_sign("whsec_tesT", 1700000000, body, strlen(body), other), 0);
	assert_string_not_equal(other, "926c3c48823e4dc937cdb0992313bcbbc472579d779ab54f0d4e09e4049838aa");
	/* Too small a buffer for the header is an error, not a cut value. */
	assert_int_equal(webhook_signature_header("k", 1, "x", 1, header, 40), -1);
}

static void test_backoff_parse(void **state)
{
	(void)state;
	struct webhook_backoff b;

	assert_int_equal(webhook_backoff_parse("30,120,600,3600,21600", &b), 0);
	assert_int_equal(b.n, 5);
	assert_int_equal(b.seconds[0], 30);
	assert_int_equal(b.seconds[4], 21600);
	assert_int_equal(webhook_backoff_parse("1", &b), 0);
	assert_int_equal(b.n, 1);
	const char *bad[] = { "", "0", "-1", "1,,2", "1,", ",1", "2,1", "1 ,2", "abc", "604801",
			      "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", NULL };
	for (int i = 0; bad[i]; i++)
		assert_int_equal(webhook_backoff_parse(bad[i], &b), -1);
	assert_int_equal(webhook_backoff_parse(NULL, &b), -1);
}

static void test_backoff_schedule(void **state)
{
	(void)state;
	struct webhook_backoff b;

	assert_int_equal(webhook_backoff_parse("30,120,600", &b), 0);
	/* Without jitter (rnd 0): the schedule, its last entry repeating. */
	assert_int_equal(webhook_backoff_ms(&b, 1, 0), 30000);
	assert_int_equal(webhook_backoff_ms(&b, 2, 0), 120000);
	assert_int_equal(webhook_backoff_ms(&b, 3, 0), 600000);
	assert_int_equal(webhook_backoff_ms(&b, 9, 0), 600000);
	assert_int_equal(webhook_backoff_ms(&b, 0, 0), 30000);
	/* Jitter takes off at most a tenth, and the pauses keep growing. */
	for (unsigned rnd = 0; rnd < 100000; rnd += 997) {
		long a = webhook_backoff_ms(&b, 1, rnd), c = webhook_backoff_ms(&b, 2, rnd);
		assert_true(a <= 30000 && a >= 27000);
		assert_true(c <= 120000 && c >= 108000);
		assert_true(c > a);
	}
	assert_int_equal(webhook_backoff_ms(&b, 1, 3001), 30000 - 3001 % 3001);
	assert_int_equal(webhook_backoff_ms(&b, 1, 3000), 27000);
}

static void test_url_check(void **state)
{
	(void)state;
	assert_int_equal(webhook_url_check("https://portal.example.org/hook"), WEBHOOK_URL_OK);
	assert_int_equal(webhook_url_check("https://portal.example.org:8443"), WEBHOOK_URL_OK);
	assert_int_equal(webhook_url_check("HTTPS://[2001:db8::1]:443/x?y=1"), WEBHOOK_URL_OK);
	assert_int_equal(webhook_url_check("http://127.0.0.1:8080/hook"), WEBHOOK_URL_OK);
	assert_int_equal(webhook_url_check("http://127.1.2.3/"), WEBHOOK_URL_OK);
	assert_int_equal(webhook_url_check("http://localhost:9/"), WEBHOOK_URL_OK);
	assert_int_equal(webhook_url_check("http://[::1]:9/"), WEBHOOK_URL_OK);
	assert_int_equal(webhook_url_check("http://portal.example.org/"), WEBHOOK_URL_NOT_HTTPS);
	assert_int_equal(webhook_url_check("http://127.0.0.1.example.org/"), WEBHOOK_URL_NOT_HTTPS);
	assert_int_equal(webhook_url_check("http://localhost.example.org/"), WEBHOOK_URL_NOT_HTTPS);
	assert_int_equal(webhook_url_check("ftp://example.org/"), WEBHOOK_URL_NOT_HTTPS);
	assert_int_equal(webhook_url_check("portal.example.org"), WEBHOOK_URL_NOT_HTTPS);
	const char *bad[] = { "https://", "https:///x", "https://u:p@example.org/",
			      "https://example.org/a b", "https://example.org/#f",
			      "https://example.org:0/", "https://example.org:65536/",
			      "https://example.org:/", "https://example.org:8x/", "https://[::1/",
			      "https://:443/", "https://example.org/\x7f", NULL };
	for (int i = 0; bad[i]; i++)
		assert_int_equal(webhook_url_check(bad[i]), WEBHOOK_URL_MALFORMED);
}

static void test_event_types(void **state)
{
	(void)state;
	assert_true(event_type_known("request.decided"));
	assert_true(event_type_known("report.published"));
	assert_false(event_type_known("request.decide"));
	assert_false(event_type_known(""));
	int n = 0;
	for (const char *const *t = event_types; *t; t++, n++)
		for (const char *const *u = t + 1; *u; u++)
			assert_string_not_equal(*t, *u);
	assert_int_equal(n, 25);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_backoff_parse),
		cmocka_unit_test(test_backoff_schedule),
		cmocka_unit_test(test_url_check),
		cmocka_unit_test(test_event_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
