/* accountability.c - the rules of appeals and ratings (include/opengov/
 * accountability.h): names, labels, the checks of their dates, and what
 * opens a finding. */
#include <limits.h>
#include <string.h>

#include "opengov/domain/accountability.h"
#include "opengov/domain/calendar.h"

const char *const appeal_kind_names[AK__MAX + 1] = {
	[AK_RECONSIDERATION] = "reconsideration",
	[AK_LITIGATION] = "litigation",
	[AK__MAX] = NULL,
};

const char *const appeal_result_names[AR__MAX + 1] = {
	[AR_UPHELD] = "upheld",
	[AR_CORRECTED] = "corrected",
	[AR_OTHER] = "other",
	[AR_PENDING] = "pending",
	[AR__MAX] = NULL,
};

const char *const appeal_decided_names[AR__MAX] = { "upheld", "corrected", "other", NULL };

static const char *const kind_labels[AK__MAX] = { "行政复议", "行政诉讼" };
static const char *const result_labels[AR__MAX] = { "维持", "纠正", "其他结果", "尚未审结" };
static const char *const rating_labels[RATING_MAX] = {
	"非常不满意", "不满意", "基本满意", "满意", "非常满意"
};

static int find(const char *const *names, const char *s)
{
	for (int i = 0; s && names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

int appeal_kind_parse(const char *s)
{
	return find(appeal_kind_names, s);
}

int appeal_result_parse(const char *s)
{
	return find(appeal_result_names, s);
}

const char *appeal_kind_label(int kind)
{
	return kind >= 0 && kind < AK__MAX ? kind_labels[kind] : "";
}

const char *appeal_result_label(int result)
{
	return result >= 0 && result < AR__MAX ? result_labels[result] : "";
}

/* result_on of a decided appeal filed on filed: not before it, not after
 * today. */
static void check_result_on(const char *result_on, int filed, int today, struct verrs *v)
{
	int day;

	if (calendar_parse(result_on, &day))
		return; /* the field's own check says so */
	if (day > today)
		verrs_add(v, "/result_on", "must not be in the future");
	else if (filed != APPEAL_NO_DAY && day < filed)
		verrs_add(v, "/result_on", "must not be before filed_on");
}

int appeal_check(const struct appeal_input *in, int today, int received, struct verrs *v)
{
	int before = v->n, filed = APPEAL_NO_DAY;
	int kind = appeal_kind_parse(in->kind);
	int result = in->result ? appeal_result_parse(in->result) : AR_PENDING;

	if (in->filed_on && calendar_parse(in->filed_on, &filed))
		filed = APPEAL_NO_DAY;
	if (filed != APPEAL_NO_DAY) {
		if (filed > today)
			verrs_add(v, "/filed_on", "must not be in the future");
		else if (received != APPEAL_NO_DAY && filed < received)
			verrs_add(v, "/filed_on", "must not be before the request was received");
	}
	if (kind == AK_LITIGATION && !in->after_given)
		verrs_add(v, "/after_reconsideration",
			  "is required for litigation: true when the applicant sued after a reconsideration (复议后起诉)");
	else if (kind == AK_RECONSIDERATION && in->after_given)
		verrs_add(v, "/after_reconsideration", "applies to litigation only");
	if (result == AR_PENDING) {
		if (in->result_on)
			verrs_add(v, "/result_on", "must be absent or null while the result is pending");
	} else if (result >= 0) {
		if (!in->result_on)
			verrs_add(v, "/result_on", "is required when the result is %s: the day of the decision or judgment",
				  appeal_result_names[result]);
		else
			check_result_on(in->result_on, filed, today, v);
	}
	return v->n - before;
}

int appeal_result_check(const char *result, const char *result_on, int filed, int today,
			struct verrs *v)
{
	int before = v->n;

	if (appeal_result_parse(result) == AR_PENDING)
		verrs_add(v, "/result", "must be upheld, corrected or other: pending is no result");
	check_result_on(result_on, filed, today, v);
	return v->n - before;
}

const char *appeal_finding_category(const char *status, const char *outcome)
{
	static const char *const refusals[] = { "withheld", "partially_disclosed", "rejected",
						NULL };

	if (status && !strcmp(status, "not_accepted"))
		return "improper_refusal";
	if (status && !strcmp(status, "decided") && find(refusals, outcome) >= 0)
		return "improper_refusal";
	return "other";
}

const char *rating_label(int score)
{
	return score >= RATING_MIN && score <= RATING_MAX ? rating_labels[score - 1] : "";
}

bool rating_opens_finding(int score)
{
	return score >= RATING_MIN && score <= RATING_BAD_MAX;
}
