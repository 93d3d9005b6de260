/* fees.c - the information-processing fee of a disclosure request,
 * progressive by count or by volume (国办函〔2020〕109号 Arts. 3-5). Pure. */
#include <limits.h>

#include "opengov/domain/fees.h"

/* The bounds a request can reach: far beyond any real month or document,
 * low enough that no sum overflows. */
#define FEE_MAX_PLACES 1000000
#define FEE_MAX_PAGES 10000000

int fee_count_rate(int n)
{
	if (n <= 10)
		return 0;
	if (n <= 30)
		return 100;
	/* 31-40: 200, 41-50: 300, ... */
	return 100 + 100 * ((n - 31) / 10 + 1);
}

int fee_volume_rate(int page)
{
	if (page <= 30)
		return 0;
	if (page <= 100)
		return 10;
	if (page <= 200)
		return 20;
	return 40;
}

long long fee_by_count(int before, int pieces)
{
	long long sum = 0;

	if (before < 0 || pieces < 1 || before > FEE_MAX_PLACES || pieces > FEE_MAX_PLACES)
		return -1;
	for (int n = before + 1; n <= before + pieces; n++)
		sum += fee_count_rate(n);
	return sum;
}

long long fee_by_volume(int pages)
{
	long long sum = 0;

	if (pages < 0 || pages > FEE_MAX_PAGES)
		return -1;
	/* Each band at its own rate: the part of the document inside it. */
	if (pages > 30)
		sum += 10LL * ((pages < 100 ? pages : 100) - 30);
	if (pages > 100)
		sum += 20LL * ((pages < 200 ? pages : 200) - 100);
	if (pages > 200)
		sum += 40LL * (pages - 200);
	return sum;
}
