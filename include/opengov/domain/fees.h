/* fees.h - the information-processing fee of a disclosure request (OGI
 * Regulations Art. 42; 《政府信息公开信息处理费管理办法》, 国办函〔2020〕109号):
 * progressive, by count or by volume, one method per request. Pure;
 * unit-tested in tests/unit/test_fees.c. */
#ifndef OPENGOV_FEES_H
#define OPENGOV_FEES_H

/* Measures Art. 4, by count: the applicant's requests of one calendar month
 * in the order received; the 1st to 10th are free, the 11th to 30th cost 100
 * yuan each, and from the 31st each band of 10 costs 100 yuan more than the
 * one before (31st-40th 200, 41st-50th 300, ...). A request that counts as
 * `pieces` requests (split "one matter, one request") takes the places
 * before+1 .. before+pieces. The amount in yuan, or -1 for nonsense input. */
long long fee_by_count(int before, int pieces);

/* Measures Art. 5, by volume: pages 1-30 free, 31-100 at 10 yuan a page,
 * 101-200 at 20, from the 201st at 40. The amount in yuan, or -1. */
long long fee_by_volume(int pages);

/* The yuan a page or a request costs at place n of its method (for the
 * explanation a request shows). */
int fee_count_rate(int n);
int fee_volume_rate(int page);

#endif
