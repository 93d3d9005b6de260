/* accountability.h - what became of a request's answer outside the unit
 * (src/domain/accountability.c): the applicant's appeals (administrative
 * reconsideration, litigation) and their results, the applicant's rating of
 * the service and its labels, and which of them open a finding on the unit.
 * Pure: the handlers are api/appeals.c and api/ratings.c, the findings they
 * open src/domain/accountstore.c. */
#ifndef OPENGOV_ACCOUNTABILITY_H
#define OPENGOV_ACCOUNTABILITY_H

#include <limits.h>
#include <stdbool.h>

#include "opengov/base/validate.h"

/* Working days a unit gets to rectify a finding opened by a corrected
 * appeal or a bad rating. */
#define ACCOUNTABILITY_RECTIFY_DAYS 15

/* 行政复议 (Administrative Reconsideration Law), 行政诉讼 (Administrative
 * Litigation Law); OGI Regulations Art. 51. */
enum appeal_kind { AK_RECONSIDERATION, AK_LITIGATION, AK__MAX };

/* The columns of table 四 of the annual report form: 结果维持, 结果纠正,
 * 其他结果, 尚未审结. */
enum appeal_result { AR_UPHELD, AR_CORRECTED, AR_OTHER, AR_PENDING, AR__MAX };

/* NULL-terminated names, for validators and the schema's enums. */
extern const char *const appeal_kind_names[AK__MAX + 1];
extern const char *const appeal_result_names[AR__MAX + 1];
/* The results a decision records (every one but pending). */
extern const char *const appeal_decided_names[AR__MAX];

/* The index of s, or -1. */
int appeal_kind_parse(const char *s);
int appeal_result_parse(const char *s);
/* In Chinese, as the form and the applicant read them; "" when out of range. */
const char *appeal_kind_label(int kind);
const char *appeal_result_label(int result);

/* A day not given (day numbers run negative before 1970). */
#define APPEAL_NO_DAY INT_MIN

/* The members of a new appeal that are judged together (each has passed its
 * own check: a known kind, a date, a known result, or is absent). */
struct appeal_input {
	const char *kind;
	const char *filed_on;     /* YYYY-MM-DD */
	const char *result;       /* NULL: pending */
	const char *result_on;    /* NULL: none */
	bool after_given;         /* after_reconsideration is there and not null */
};

/* Adds to v what is wrong with a new appeal as of day today: filed_on in
 * the future or before received (the request's day of receipt; not checked
 * when APPEAL_NO_DAY), after_reconsideration missing for litigation or
 * given for a reconsideration, result_on missing when decided or given
 * while pending, before filed_on or in the future. Returns the errors
 * added. */
int appeal_check(const struct appeal_input *in, int today, int received, struct verrs *v);

/* Adds to v what is wrong with a result recorded later for an appeal filed
 * on day filed: pending is no result, result_on not before filed nor after
 * today. result and result_on are known to be a name and a date. Returns
 * the errors added. */
int appeal_result_check(const char *result, const char *result_on, int filed, int today,
			struct verrs *v);

/* The category of the finding a corrected answer opens: improper_refusal
 * when the answer refused (not accepted; withheld, partially disclosed or
 * rejected), other otherwise (inaction, a wrong "not held", ...). */
const char *appeal_finding_category(const char *status, const char *outcome);

/* Ratings of the service (政务服务"好差评"): 1 非常不满意 .. 5 非常满意. */
#define RATING_MIN 1
#define RATING_MAX 5
/* Scores up to this one are bad ratings (差评): each opens a complaint
 * finding, and the scoreboard's bad_rating_share counts them. */
#define RATING_BAD_MAX 2

/* The label of score, "" out of range. */
const char *rating_label(int score);
bool rating_opens_finding(int score);

#endif
