/* webhook.c - the event types and the webhooks' pure rules: the signature
 * (as Stripe's: HMAC-SHA256 over "timestamp.body", so that a receiver can
 * refuse an old delivery replayed) and the retry schedule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "opengov/domain/events.h"

const char *const event_types[] = {
	"request.submitted", "request.registered", "request.accepted",
	"request.deemed_accepted", "request.correction_requested", "request.resubmitted",
	"request.acceptance_refused", "request.paused", "request.resumed", "request.extended",
	"request.fee_notified", "request.payment_recorded", "request.decided",
	"request.delivered", "request.withdrawn", "request.abandoned",
	"item.published", "item.updated", "item.withdrawn",
	"finding.created", "finding.rectified", "finding.verified", "finding.published",
	"finding.escalated",
	"report.published",
	NULL,
};

bool event_type_known(const char *type)
{
	for (const char *const *t = event_types; *t; t++)
		if (!strcmp(*t, type))
			return true;
	return false;
}

int webhook_sign(const char *secret, long long timestamp, const char *body, size_t len,
		 char hex[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char prefix[32];
	int plen = snprintf(prefix, sizeof prefix, "%lld.", timestamp);
	unsigned char *msg = malloc((size_t)plen + len + 1);

	if (!msg)
		return -1;
	memcpy(msg, prefix, (size_t)plen);
	if (len)
		memcpy(msg + plen, body, len);
	bool ok = HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, (size_t)plen + len, mac,
		       &maclen) && maclen == 32;
	free(msg);
	if (!ok)
		return -1;
	for (unsigned i = 0; i < maclen; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	return 0;
}

int webhook_signature_header(const char *secret, long long timestamp, const char *body,
			     size_t len, char *out, size_t outlen)
{
	char hex[65];

	if (webhook_sign(secret, timestamp, body, len, hex))
		return -1;
	int n = snprintf(out, outlen, "t=%lld,v1=%s", timestamp, hex);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

enum webhook_url webhook_url_check(const char *url)
{
	bool https = !strncasecmp(url, "https://", 8);
	bool http = !strncasecmp(url, "http://", 7);

	if (!https && !http)
		return WEBHOOK_URL_NOT_HTTPS;
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || *p == '#' || *p >= 0x80)
			return WEBHOOK_URL_MALFORMED;
	const char *host = url + (https ? 8 : 7);
	size_t authority = strcspn(host, "/?");
	if (!authority || memchr(host, '@', authority))
		return WEBHOOK_URL_MALFORMED;
	/* The host without its port. */
	size_t hlen = authority;
	if (host[0] == '[') {
		const char *close = memchr(host, ']', authority);
		if (!close)
			return WEBHOOK_URL_MALFORMED;
		hlen = (size_t)(close - host) + 1;
	} else {
		const char *colon = memchr(host, ':', authority);
		if (colon)
			hlen = (size_t)(colon - host);
	}
	if (!hlen)
		return WEBHOOK_URL_MALFORMED;
	if (hlen < authority) {
		/* ":port", 1..65535 */
		const char *port = host + hlen;
		if (*port != ':' || authority - hlen < 2 || authority - hlen > 6)
			return WEBHOOK_URL_MALFORMED;
		long v = 0;
		for (size_t i = 1; i < authority - hlen; i++) {
			if (port[i] < '0' || port[i] > '9')
				return WEBHOOK_URL_MALFORMED;
			v = v * 10 + (port[i] - '0');
		}
		if (v < 1 || v > 65535)
			return WEBHOOK_URL_MALFORMED;
	}
	if (https)
		return WEBHOOK_URL_OK;
	bool loopback = (hlen == 9 && !strncasecmp(host, "localhost", 9)) ||
			(hlen == 5 && !strncmp(host, "[::1]", 5)) ||
			(hlen >= 9 && !strncmp(host, "127.", 4) &&
			 strspn(host, "0123456789.") >= hlen);
	return loopback ? WEBHOOK_URL_OK : WEBHOOK_URL_NOT_HTTPS;
}

int webhook_backoff_parse(const char *s, struct webhook_backoff *out)
{
	const char *p = s;

	memset(out, 0, sizeof *out);
	if (!s || !*s)
		return -1;
	for (;;) {
		char *end;
		if (*p < '0' || *p > '9' || out->n == WEBHOOK_BACKOFF_MAX)
			return -1;
		long v = strtol(p, &end, 10);
		if (v < 1 || v > 604800 || (out->n && v < out->seconds[out->n - 1]))
			return -1;
		out->seconds[out->n++] = v;
		if (!*end)
			return 0;
		if (*end != ',')
			return -1;
		p = end + 1;
	}
}

long webhook_backoff_ms(const struct webhook_backoff *b, int failed, unsigned rnd)
{
	if (b->n <= 0)
		return 0;
	int i = failed < 1 ? 0 : failed - 1;
	if (i >= b->n)
		i = b->n - 1;
	long ms = b->seconds[i] * 1000;
	return ms - (long)(rnd % (unsigned long)(ms / 10 + 1));
}
