/* events.h - the change feed's event types, and the webhooks' rules: how a
 * delivery is signed, when a failed one is tried again (pure), and
 * `opengov deliver`, which sends them (docs/events.md; the events
 * themselves are written by triggers, sql/024). */
#ifndef OPENGOV_EVENTS_H
#define OPENGOV_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "opengov/base/config.h"

/* Every event type, in the order of the spec's EventType enum
 * (tests/api/test_events.py compares them). NULL-terminated. */
extern const char *const event_types[];
bool event_type_known(const char *type);

/* The signature of a delivery: HMAC-SHA256 with secret over
 * "<timestamp>.<body>", as lower-case hex into hex (65 bytes). 0 or -1. */
int webhook_sign(const char *secret, long long timestamp, const char *body, size_t len,
		 char hex[65]);
/* The whole header value: "t=<timestamp>,v1=<hex>" into out. 0 or -1. */
int webhook_signature_header(const char *secret, long long timestamp, const char *body,
			     size_t len, char *out, size_t outlen);

/* Whether url may receive deliveries: https with a host; http only to a
 * loopback host (127.0.0.0/8, [::1], localhost), for tests and development.
 * No credentials, fragment, spaces or control characters. */
enum webhook_url {
	WEBHOOK_URL_OK,
	WEBHOOK_URL_NOT_HTTPS,
	WEBHOOK_URL_MALFORMED,
};
enum webhook_url webhook_url_check(const char *url);

#define WEBHOOK_BACKOFF_MAX 16
struct webhook_backoff {
	int n;
	long seconds[WEBHOOK_BACKOFF_MAX];
};
/* Parses OPENGOV_WEBHOOK_BACKOFF: 1..16 comma-separated whole seconds,
 * each 1..604800, not decreasing. 0, or -1 when it is not that. */
int webhook_backoff_parse(const char *s, struct webhook_backoff *out);
/* The pause, in milliseconds, before the attempt after the failed attempt
 * number failed (1 = the first of the round): the schedule's entry (its
 * last one once past its end), less up to a tenth at random (jitter, so
 * that endpoints that failed together are not all retried in the same
 * second); rnd is any random number. */
long webhook_backoff_ms(const struct webhook_backoff *b, int failed, unsigned rnd);

/* `opengov deliver [--once]`: turns new events into deliveries for the
 * endpoints that want them and sends what is due, until SIGTERM (or once).
 * Never in a request: a request only writes its event. */
int deliver_main(const struct config *cfg, bool once);

#endif
