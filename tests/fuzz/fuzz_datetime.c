/* fuzz_datetime.c - date_parse and rfc3339_parse (src/base/validate.c) and
 * calendar_parse (src/domain/calendar/calendar.c) on any string: no crash, only real
 * dates, and the parsers agree with each other and with the formatter. */
#include <time.h>

#include "fuzz.h"
#include "opengov/domain/calendar.h"
#include "opengov/base/validate.h"

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return d[m - 1] + (m == 2 && is_leap(y));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	int y = 0, m = 0, d = 0, day = 0;
	long long t = 0;

	int dr = date_parse(s, &y, &m, &d);
	int cr = calendar_parse(s, &day);
	FUZZ_CHECK(dr == 0 || dr == -1);
	/* The two date parsers accept the same strings (years 1900..9999). */
	FUZZ_CHECK((dr == 0) == (cr == 0));
	if (dr == 0) {
		FUZZ_CHECK(y >= 1900 && y <= 9999 && m >= 1 && m <= 12);
		FUZZ_CHECK(d >= 1 && d <= month_days(y, m));
		char back[11];
		calendar_format(day, back);
		FUZZ_CHECK(!strcmp(back, s));
	}
	if (rfc3339_parse(s, &t) == 0) {
		/* A real date and time of day, in the year the string names,
		 * give or take the offset's day. */
		FUZZ_CHECK(strlen(s) >= 20);
		FUZZ_CHECK(s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't'));
		char date[11];
		memcpy(date, s, 10);
		date[10] = '\0';
		int yy, mm, dd;
		if (date[0] >= '2' || (date[0] == '1' && date[1] == '9'))
			FUZZ_CHECK(date_parse(date, &yy, &mm, &dd) == 0);
		FUZZ_CHECK(t >= -62135596800LL - 86400 && t <= 253402300799LL + 86400);
		/* Without an offset, the instant is on the named day. */
		size_t n = strlen(s);
		if ((s[n - 1] == 'Z' || s[n - 1] == 'z') && t >= -2208988800LL) {
			struct tm tm;
			time_t tt = (time_t)t;
			char ymd[16];
			gmtime_r(&tt, &tm);
			strftime(ymd, sizeof ymd, "%Y-%m-%d", &tm);
			FUZZ_CHECK(!strcmp(ymd, date));
		}
	}
	free(s);
	return 0;
}
