/* calendar.c - working-day arithmetic for statutory deadlines: weekends off,
 * holidays off, make-up working days on; and which years carry the official
 * schedule. Pure: libc only, no I/O. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "opengov/domain/calendar.h"

/* Internal arithmetic is in long long so that any int day number, however
 * absurd, cannot overflow on the way (day + 719468, to + 1, ...). */

/* Howard Hinnant's days_from_civil: proleptic Gregorian, exact for
 * negative years and days too. */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (long long)doe - 719468;
}

static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
	z += 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long long)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(long long y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static unsigned days_in_month(long long y, unsigned m)
{
	static const unsigned char len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* ISO weekday of a day number: 1970-01-01 was a Thursday (4). Done in two
 * reductions so that INT_MIN stays in range. */
static int weekday_ll(long long day)
{
	return (int)(((day % 7 + 7) % 7 + 3) % 7) + 1;
}

static bool weekday_rule(long long day)
{
	return weekday_ll(day) <= 5;
}

/* Mon..Fri days d with d < x, counted from an arbitrary origin: only
 * differences of this function mean anything. Day 4 (1970-01-05) is a
 * Monday, so whole weeks start there. */
static long long weekdays_before(long long x)
{
	long long t = x - 4;
	long long weeks = t >= 0 ? t / 7 : -((-t + 6) / 7);
	long long r = t - weeks * 7;

	return weeks * 5 + (r < 5 ? r : 5);
}

/* Index of the first override whose day is >= day (c->n if none). */
static size_t lower_bound(const struct calendar *c, long long day)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->days[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Working days in [a, b] by the calendar alone, with no exclusions:
 * the weekday rule in closed form, corrected by the overrides inside. */
static long long working_in(const struct calendar *c, long long a, long long b)
{
	long long n;

	if (b < a)
		return 0;
	n = weekdays_before(b + 1) - weekdays_before(a);
	if (!c || !c->n)
		return n;
	for (size_t i = lower_bound(c, a); i < c->n && c->days[i].day <= b; i++)
		if (c->days[i].working != weekday_rule(c->days[i].day))
			n += c->days[i].working ? 1 : -1;
	return n;
}

struct indexed_override {
	struct cal_override o;
	size_t pos;
};

/* qsort is not stable: the input position breaks ties, so that the last
 * of duplicate days can be picked deterministically. */
static int cmp_indexed(const void *pa, const void *pb)
{
	const struct indexed_override *a = pa, *b = pb;

	if (a->o.day != b->o.day)
		return a->o.day < b->o.day ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

int calendar_init(struct calendar *c, const struct cal_override *days, size_t n)
{
	struct indexed_override *tmp = NULL;
	int rc = -1;

	if (!c)
		return -1;
	c->days = NULL;
	c->n = 0;
	c->years = NULL;
	c->nyears = 0;
	c->working = NULL;
	c->working_from = c->working_n = 0;
	if (n == 0)
		return 0;
	if (!days || n > SIZE_MAX / sizeof *tmp)
		goto out;
	tmp = malloc(n * sizeof *tmp);
	c->days = malloc(n * sizeof *c->days);
	if (!tmp || !c->days)
		goto out;
	for (size_t i = 0; i < n; i++) {
		tmp[i].o = days[i];
		tmp[i].pos = i;
	}
	qsort(tmp, n, sizeof *tmp, cmp_indexed);
	/* Keep only the last of each run of equal days: it came last in the
	 * input, and the database (or an admin's PUT) means it to win. */
	for (size_t i = 0; i < n; i++)
		if (i + 1 == n || tmp[i + 1].o.day != tmp[i].o.day)
			c->days[c->n++] = tmp[i].o;
	/* The day-by-day table over the overrides' span and two years on
	 * either side (deadlines run past the last year announced; a calendar
	 * that spans more than some decades keeps the binary search). */
	long long span = (long long)c->days[c->n - 1].day - c->days[0].day + 1 + 4 * 366;
	if (span > 0 && span <= 100000 && (c->working = malloc((size_t)span))) {
		c->working_from = c->days[0].day - 2 * 366;
		c->working_n = (int)span;
		for (long long d = 0; d < span; d++)
			c->working[d] = weekday_rule(c->working_from + d);
		for (size_t i = 0; i < c->n; i++)
			c->working[c->days[i].day - c->working_from] = c->days[i].working;
	}
	rc = 0;
out:
	if (rc) {
		free(c->days);
		c->days = NULL;
		c->n = 0;
	}
	free(tmp);
	return rc;
}

void calendar_free(struct calendar *c)
{
	if (!c)
		return;
	free(c->days);
	c->days = NULL;
	c->n = 0;
	free(c->years);
	c->years = NULL;
	c->nyears = 0;
	free(c->working);
	c->working = NULL;
	c->working_from = c->working_n = 0;
}

static int cmp_int(const void *pa, const void *pb)
{
	int a = *(const int *)pa, b = *(const int *)pb;

	return (a > b) - (a < b);
}

int calendar_set_years(struct calendar *c, const int *years, size_t n)
{
	int *copy = NULL;
	size_t k = 0;

	if (!c || (n && !years) || n > SIZE_MAX / sizeof *copy)
		return -1;
	if (n) {
		copy = malloc(n * sizeof *copy);
		if (!copy)
			return -1;
		memcpy(copy, years, n * sizeof *copy);
		qsort(copy, n, sizeof *copy, cmp_int);
		for (size_t i = 0; i < n; i++)
			if (k == 0 || copy[k - 1] != copy[i])
				copy[k++] = copy[i];
	}
	free(c->years);
	c->years = copy;
	c->nyears = k;
	return 0;
}

int calendar_year_of(int day)
{
	long long y;
	unsigned m, d;

	civil_from_days(day, &y, &m, &d);
	return (int)y; /* within +-5.9 million for any int day */
}

/* Index of the first complete year >= year (c->nyears if none). */
static size_t year_bound(const struct calendar *c, long long year)
{
	size_t lo = 0, hi = c->nyears;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->years[mid] < year)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Complete years in first..last, by two searches: a range of any length
 * costs the same. */
static long long complete_in(const struct calendar *c, long long first, long long last)
{
	if (!c || !c->nyears || last < first)
		return 0;
	return (long long)(year_bound(c, last + 1) - year_bound(c, first));
}

bool calendar_year_complete(const struct calendar *c, int year)
{
	return complete_in(c, year, year) == 1;
}

bool calendar_range_complete(const struct calendar *c, int from, int to)
{
	if (to < from)
		return true;
	long long first = calendar_year_of(from), last = calendar_year_of(to);

	return complete_in(c, first, last) == last - first + 1;
}

size_t calendar_missing_years(const struct calendar *c, int first, int last, int *out,
			      size_t max)
{
	size_t k = 0;

	if (last < first)
		return 0;
	if (!out)
		max = 0;
	for (long long y = first; y <= last && k < max; y++)
		if (!calendar_year_complete(c, (int)y))
			out[k++] = (int)y;
	/* The rest are counted, not walked. */
	return (size_t)((long long)last - first + 1 - complete_in(c, first, last));
}

void calendar_report_years(const struct calendar *c, int this_year, int *first, int *last)
{
	*first = this_year;
	*last = this_year < INT_MAX ? this_year + 1 : this_year;
	if (c && c->nyears) {
		if (c->years[0] < *first)
			*first = c->years[0];
		if (c->years[c->nyears - 1] > *last)
			*last = c->years[c->nyears - 1];
	}
}

static int digits(const char *s, int len)
{
	int v = 0;

	for (int i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int calendar_parse(const char *s, int *day)
{
	int y, m, d;

	/* strnlen: never read past the 11th byte of a short buffer. */
	if (!s || !day || strnlen(s, 11) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 1900 || m < 1 || m > 12 || d < 1 || (unsigned)d > days_in_month(y, (unsigned)m))
		return -1;
	*day = (int)days_from_civil(y, (unsigned)m, (unsigned)d);
	return 0;
}

static void put_digits(char *out, unsigned v, int len)
{
	for (int i = len - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

void calendar_format(int day, char out[11])
{
	long long y;
	unsigned m, d;

	civil_from_days(day, &y, &m, &d);
	/* Four digits cannot say it: an obviously invalid date, which
	 * calendar_parse refuses (0000-00-00), beats a silently wrong one. */
	if (y < 0 || y > 9999)
		y = m = d = 0;
	put_digits(out, (unsigned)y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '-';
	put_digits(out + 8, d, 2);
	out[10] = '\0';
}

int calendar_weekday(int day)
{
	return weekday_ll(day);
}

bool calendar_is_working(const struct calendar *c, int day)
{
	if (c && c->working && day >= c->working_from && day - c->working_from < c->working_n)
		return c->working[day - c->working_from];
	if (c && c->n) {
		size_t i = lower_bound(c, day);

		if (i < c->n && c->days[i].day == day)
			return c->days[i].working;
	}
	return weekday_rule(day);
}

/* If day lies in an excluded interval, the last day of the run of
 * overlapping or adjacent intervals that covers it; else day - 1. Repeats
 * until stable because intervals come unsorted and may chain. */
static long long excluded_until(long long day, const struct cal_interval *ex, size_t nex)
{
	long long end = day - 1;
	bool grew = true;

	while (grew) {
		grew = false;
		for (size_t i = 0; i < nex; i++)
			if (ex[i].from <= end + 1 && ex[i].to > end) {
				end = ex[i].to;
				grew = true;
			}
	}
	return end;
}

int calendar_add_working_days(const struct calendar *c, int start, int n,
			      const struct cal_interval *excluded, size_t nexcluded)
{
	long long d = start;

	if (!excluded)
		nexcluded = 0;
	/* Stop at INT_MAX rather than overflow: such a due date is already
	 * meaningless, and the loop must end. */
	while (n > 0 && d < INT_MAX) {
		d++;
		long long end = excluded_until(d, excluded, nexcluded);

		if (end >= d) {
			/* Skip the whole excluded run at once: a long pause
			 * costs one step, not one per day. */
			d = end < INT_MAX ? end : INT_MAX;
			continue;
		}
		if (calendar_is_working(c, (int)d))
			n--;
	}
	return (int)d;
}

int calendar_count_working_days(const struct calendar *c, int from, int to,
				const struct cal_interval *excluded, size_t nexcluded)
{
	long long a = (long long)from + 1, b = to, n;

	if (b < a)
		return 0;
	n = working_in(c, a, b);
	if (!excluded)
		nexcluded = 0;
	/* Subtract the union of the exclusions, one merged run at a time
	 * from left to right, so overlaps are not subtracted twice. No
	 * allocation: the lists are short, quadratic work is fine. */
	for (long long pos = a; pos <= b;) {
		long long s = LLONG_MAX, e;

		for (size_t i = 0; i < nexcluded; i++) {
			if (excluded[i].to < pos || excluded[i].from > excluded[i].to)
				continue;
			long long f = excluded[i].from > pos ? excluded[i].from : pos;

			if (f < s)
				s = f;
		}
		if (s > b)
			break;
		e = excluded_until(s, excluded, nexcluded);
		if (e > b)
			e = b;
		n -= working_in(c, s, e);
		pos = e + 1;
	}
	return n > INT_MAX ? INT_MAX : (int)n;
}
