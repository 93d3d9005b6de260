/* lang.c - Accept-Language negotiation between zh-CN (default) and en. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "opengov/base/lang.h"

const char *lang_tag(enum lang l)
{
	return l == LANG_EN ? "en" : "zh-CN";
}

/* The language a range names: 0 zh, 1 en, 2 "*", -1 none of ours. */
static int range_lang(const char *s, size_t n)
{
	if (n == 1 && s[0] == '*')
		return 2;
	if (n >= 2 && strncasecmp(s, "zh", 2) == 0 && (n == 2 || s[2] == '-'))
		return LANG_ZH;
	if (n >= 2 && strncasecmp(s, "en", 2) == 0 && (n == 2 || s[2] == '-'))
		return LANG_EN;
	return -1;
}

/* q of ";q=0.8" parameters in s..end: 1000 when absent, -1 when malformed
 * (thousandths, as RFC 9110's qvalue has at most three decimals). */
static int parse_q(const char *s, const char *end)
{
	int q = 1000;

	while (s < end) {
		while (s < end && (*s == ' ' || *s == '\t' || *s == ';'))
			s++;
		if (s >= end)
			break;
		if (end - s >= 2 && (s[0] == 'q' || s[0] == 'Q') && s[1] == '=') {
			s += 2;
			if (s >= end || (*s != '0' && *s != '1'))
				return -1;
			int whole = *s++ - '0', frac = 0, digits = 0;
			if (s < end && *s == '.') {
				s++;
				while (s < end && isdigit((unsigned char)*s) && digits < 3) {
					frac = frac * 10 + (*s++ - '0');
					digits++;
				}
			}
			while (digits < 3) {
				frac *= 10;
				digits++;
			}
			q = whole * 1000 + frac;
			if (q > 1000)
				return -1;
		}
		while (s < end && *s != ';')
			s++;
	}
	return q;
}

enum lang lang_negotiate(const char *h)
{
	int best = LANG_ZH, best_q = 0;

	if (!h)
		return LANG_ZH;
	while (*h) {
		const char *end = h + strcspn(h, ",");
		const char *s = h;
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		size_t n = strcspn(s, ";, \t");
		if (s + n > end)
			n = (size_t)(end - s);
		int l = range_lang(s, n);
		int q = parse_q(s + n, end);
		if (l >= 0 && q > best_q) {
			best_q = q;
			best = l == 2 ? LANG_ZH : l;
		}
		h = *end ? end + 1 : end;
	}
	return (enum lang)best;
}
