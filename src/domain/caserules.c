/* caserules.c - the rules table of the case engine: what include/opengov/
 * caserules.h declares, and nothing else. Adding an action or an outcome is
 * one row here (plus its handler and its tests). */
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "opengov/domain/caserules.h"
#include "opengov/db/jsonw.h"

#define OGI "《中华人民共和国政府信息公开条例》"
#define ALL "《中华人民共和国行政许可法》"
#define FEES "《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）"

#define OPEN (CS_BIT(CS_SUBMITTED) | CS_BIT(CS_ACCEPTED) | CS_BIT(CS_CORRECTION_REQUIRED) | \
	      CS_BIT(CS_PAUSED) | CS_BIT(CS_AWAITING_PAYMENT))

const char *const case_kind_names[CK__MAX + 1] = {
	[CK_DISCLOSURE] = "disclosure",
	[CK_APPROVAL] = "approval",
	[CK__MAX] = NULL,
};

const struct case_status_rule case_statuses[CS__MAX] = {
	[CS_SUBMITTED] = { "submitted", PHASE_RUNNING, "已提交",
		"received; a disclosure request's reply clock runs, an approval request is in its 5-day acceptance stage" },
	[CS_ACCEPTED] = { "accepted", PHASE_RUNNING, "已受理",
		"accepted (or deemed accepted); the decision clock runs" },
	[CS_CORRECTION_REQUIRED] = { "correction_required", PHASE_WAITING, "待补正",
		"waiting for the applicant's correction until the notice's respond_by" },
	[CS_NOT_ACCEPTED] = { "not_accepted", PHASE_CLOSED, "不予受理",
		"refused at acceptance, with its reason", "3.3.6.3" },
	[CS_PAUSED] = { "paused", PHASE_WAITING, "中止计时",
		"the clock is stopped for a third-party consultation (disclosure) or a hearing, test or expert review (approval), up to its limit" },
	[CS_DECIDED] = { "decided", PHASE_DECIDED, "已办结",
		"decided, with an outcome and its legal basis" },
	[CS_WITHDRAWN] = { "withdrawn", PHASE_CLOSED, "已撤回",
		"withdrawn by the applicant", "3.3.6.3" },
	/* Closed before outcome codes existed: a correction that never came. */
	[CS_ABANDONED] = { "abandoned", PHASE_CLOSED, "视为放弃",
		"closed because the correction or the fee did not arrive in time", "3.3.6.1" },
	[CS_AWAITING_PAYMENT] = { "awaiting_payment", PHASE_WAITING, "待缴费",
		"a fee notice was issued; the clock is stopped until it is paid, for 20 working days at most" },
};

/* Who may do what, from where, and what it does to the clock. */
const struct case_action_rule case_actions[CA__MAX] = {
	[CA_SUBMIT] = { "submit", "submit", BY_APPLICANT, { 0, 0 }, CS_SUBMITTED, CLOCK_START, 0,
		OGI "第二十九条、第三十一条；" ALL "第二十九条",
		"the applicant applies online; received the day it is submitted" },
	[CA_REGISTER] = { "register", "register", BY_CLERK, { 0, 0 }, CS_SUBMITTED, CLOCK_START, 0,
		OGI "第三十一条",
		"a clerk registers an application made on paper, at the counter, by post or fax, with its real receipt time" },
	[CA_RESUBMISSION] = { "resubmission", "resubmit", BY_APPLICANT,
		{ CS_BIT(CS_CORRECTION_REQUIRED), CS_BIT(CS_CORRECTION_REQUIRED) },
		CS_SUBMITTED, CLOCK_RESTART, 0, OGI "第三十条；" ALL "第三十二条第一款第（五）项",
		"the corrected application: disclosure counts 20 working days again from it, approval gets a new 5-day acceptance stage" },
	[CA_WITHDRAW] = { "withdraw", "withdraw", BY_APPLICANT, { OPEN, OPEN }, CS_WITHDRAWN, CLOCK_END, 0,
		NULL, "the applicant withdraws; the clock stops on that day" },
	[CA_ABANDON] = { "abandon", "abandon", BY_SYSTEM,
		{ CS_BIT(CS_CORRECTION_REQUIRED) | CS_BIT(CS_AWAITING_PAYMENT), CS_BIT(CS_CORRECTION_REQUIRED) },
		CS_ABANDONED, CLOCK_END, 0, OGI "第三十条；" FEES,
		"the monitor closes a request whose correction or fee did not arrive by its day" },
	[CA_ACCEPT] = { "accept", "accept", BY_CLERK,
		{ CS_BIT(CS_SUBMITTED), CS_BIT(CS_SUBMITTED) }, CS_ACCEPTED, CLOCK_DECISION,
		PRE_STEP | PRE_IN_WINDOW, ALL "第三十二条第一款第（五）项",
		"accepted: an approval's decision clock starts (its required materials must be there)" },
	[CA_DEEMED_ACCEPT] = { "deemed_accept", "deemed_accept", BY_SYSTEM,
		{ 0, CS_BIT(CS_SUBMITTED) }, CS_ACCEPTED, CLOCK_DECISION, 0,
		ALL "第三十二条第一款第（四）项",
		"an approval application neither accepted, corrected nor refused within 5 working days is accepted from the day it was received" },
	[CA_REQUEST_CORRECTION] = { "request_correction", "request_correction", BY_CLERK,
		{ CS_BIT(CS_SUBMITTED), CS_BIT(CS_SUBMITTED) }, CS_CORRECTION_REQUIRED, CLOCK_STOP,
		PRE_STEP | PRE_ONCE | PRE_IN_WINDOW, OGI "第三十条；" ALL "第三十二条第一款第（四）项",
		"one notice naming everything to redo: disclosure within 7 working days of receipt, approval within its 5-day acceptance stage" },
	[CA_REFUSE_ACCEPTANCE] = { "refuse_acceptance", "refuse_acceptance", BY_CLERK,
		{ CS_BIT(CS_SUBMITTED), CS_BIT(CS_SUBMITTED) }, CS_NOT_ACCEPTED, CLOCK_END,
		PRE_STEP | PRE_IN_WINDOW, ALL "第三十二条、第三十八条",
		"not accepted, with its reason (an approval also with its legal basis and the applicant's remedies)" },
	[CA_PAUSE] = { "pause", "pause", BY_APPROVER,
		{ CS_BIT(CS_SUBMITTED) | CS_BIT(CS_ACCEPTED), CS_BIT(CS_ACCEPTED) }, CS_PAUSED, CLOCK_STOP,
		PRE_STEP | PRE_NOT_OVERDUE, OGI "第三十二条、第三十三条第三款；" ALL "第四十五条",
		"the clock stops: disclosure only to consult a third party (15 working days at most), approval for a hearing, test or expert review of a declared duration" },
	[CA_RESUME] = { "resume", "resume", BY_APPROVER | BY_SYSTEM,
		{ CS_BIT(CS_PAUSED), CS_BIT(CS_PAUSED) }, CS__MAX, CLOCK_RESUME, PRE_STEP,
		OGI "第三十二条", "the clock counts again (the monitor resumes a third-party consultation after 15 working days)" },
	[CA_EXTEND] = { "extend", "extend", BY_APPROVER,
		{ CS_BIT(CS_SUBMITTED) | CS_BIT(CS_ACCEPTED) | CS_BIT(CS_PAUSED),
		  CS_BIT(CS_ACCEPTED) | CS_BIT(CS_PAUSED) }, CS__MAX, CLOCK_EXTEND,
		PRE_STEP | PRE_ONCE | PRE_BEFORE_DUE, OGI "第三十三条第二款；" ALL "第四十二条",
		"once, before the due date, with the head's approval and a reason the applicant reads: disclosure up to 20 working days, approval up to 10" },
	[CA_FEE_NOTICE] = { "fee_notice", "fee_notice", BY_CLERK,
		{ CS_BIT(CS_SUBMITTED) | CS_BIT(CS_ACCEPTED), 0 }, CS_AWAITING_PAYMENT, CLOCK_STOP,
		PRE_STEP | PRE_ONCE | PRE_NOT_OVERDUE, OGI "第四十二条；" FEES,
		"an information-processing fee, by count or by volume, computed by the server; the clock stops until it is paid, 20 working days at most" },
	[CA_RECORD_PAYMENT] = { "record_payment", "record_payment", BY_CLERK,
		{ CS_BIT(CS_AWAITING_PAYMENT), 0 }, CS__MAX, CLOCK_RESUME, PRE_STEP, FEES,
		"the fee is paid: the clock counts again" },
	[CA_DECIDE] = { "decide", "decide", BY_APPROVER,
		{ CS_BIT(CS_SUBMITTED) | CS_BIT(CS_ACCEPTED), CS_BIT(CS_ACCEPTED) }, CS_DECIDED, CLOCK_END,
		PRE_STEP, OGI "第三十六条；" ALL "第三十八条、第四十二条",
		"the decision: an outcome with its legal basis (a refusal also with the applicant's remedies)" },
	[CA_DELIVER] = { "deliver", "deliver", BY_CLERK, { 0, CS_BIT(CS_DECIDED) }, CS_DECIDED,
		CLOCK_DELIVERED, PRE_STEP | PRE_APPROVED_ONLY | PRE_ONCE, ALL "第四十四条",
		"the licence is issued and delivered, within 10 working days of the approval" },
	[CA_UPLOAD_MATERIAL] = { "upload_material", NULL, BY_APPLICANT | BY_STAFF,
		{ CS_BIT(CS_SUBMITTED) | CS_BIT(CS_CORRECTION_REQUIRED),
		  CS_BIT(CS_SUBMITTED) | CS_BIT(CS_CORRECTION_REQUIRED) }, CS__MAX, CLOCK_NONE, 0,
		NULL, "a new version of a material (POST .../materials)" },
};

/* One code per row of table 三 of the national annual report form (the
 * 2021 template of the State Council's open-government office, 国办公开办函
 * 〔2021〕30号); approval outcomes are not in it. */
const struct case_outcome_rule case_outcomes[] = {
	{ "approved", CK_APPROVAL, 0, NULL, "准予行政许可", ALL "第三十八条第一款" },
	{ "rejected", CK_APPROVAL, OUT_REMEDY, NULL, "不予行政许可", ALL "第三十八条第二款" },
	{ "disclosed", CK_DISCLOSURE, 0, "3.3.1", "（一）予以公开", OGI "第三十六条第（二）项" },
	{ "partially_disclosed", CK_DISCLOSURE, OUT_REASON, "3.3.2",
		"（二）部分公开（区分处理的，只计这一情形，不计其他情形）", OGI "第三十七条" },
	{ "withheld", CK_DISCLOSURE, OUT_REASON, "3.3.3", "（三）不予公开", OGI "第三十六条第（三）项" },
	/* Art. 36(1): the applicant is told where the published information
	 * is, which the form counts as disclosed. */
	{ "already_public", CK_DISCLOSURE, 0, "3.3.1", "（一）予以公开（已主动公开，告知获取方式）",
		OGI "第三十六条第（一）项" },
	{ "not_held", CK_DISCLOSURE, 0, "3.3.4.1", "（四）无法提供 1.本机关不掌握相关政府信息",
		OGI "第三十六条第（四）项" },
	/* Art. 36(5): not this body's to disclose, the competent one named. */
	{ "not_within_scope", CK_DISCLOSURE, OUT_RESPONSIBLE, "3.3.4.1",
		"（四）无法提供 1.本机关不掌握相关政府信息（告知负责公开的机关）", OGI "第三十六条第（五）项" },
	{ "needs_new_work", CK_DISCLOSURE, 0, "3.3.4.2", "（四）无法提供 2.没有现成信息需要另行制作",
		OGI "第三十八条" },
	{ "unclear_after_correction", CK_DISCLOSURE, OUT_AFTER_CORRECTION, "3.3.4.3",
		"（四）无法提供 3.补正后申请内容仍不明确", OGI "第三十条" },
	{ "complaint_petition", CK_DISCLOSURE, 0, "3.3.5.1", "（五）不予处理 1.信访举报投诉类申请",
		OGI "第三十九条第一款" },
	{ "duplicate", CK_DISCLOSURE, 0, "3.3.5.2", "（五）不予处理 2.重复申请", OGI "第三十六条第（六）项" },
	{ "public_publication", CK_DISCLOSURE, 0, "3.3.5.3", "（五）不予处理 3.要求提供公开出版物",
		OGI "第三十九条第二款" },
	{ "excessive_requests", CK_DISCLOSURE, 0, "3.3.5.4", "（五）不予处理 4.无正当理由大量反复申请",
		OGI "第三十五条" },
	{ "reconfirmation", CK_DISCLOSURE, 0, "3.3.5.5",
		"（五）不予处理 5.要求行政机关确认或重新出具已获取信息", OGI "第三十六条" },
	{ "abandoned_correction", CK_DISCLOSURE, OUT_SYSTEM, "3.3.6.1",
		"（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
		OGI "第三十条" },
	{ "abandoned_fee", CK_DISCLOSURE, OUT_SYSTEM, "3.3.6.2",
		"（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
		FEES },
	{ "other", CK_DISCLOSURE, 0, "3.3.6.3", "（六）其他处理 3.其他", NULL },
};

/* Why information is withheld: the eight rows under （三）不予公开. */
const struct case_reason_rule case_reasons[] = {
	{ "state_secret", "3.3.3.1", "1.属于国家秘密" },
	{ "law_prohibited", "3.3.3.2", "2.其他法律行政法规禁止公开" },
	{ "security_stability", "3.3.3.3", "3.危及“三安全一稳定”" },
	{ "third_party_rights", "3.3.3.4", "4.保护第三方合法权益" },
	{ "internal_affairs", "3.3.3.5", "5.属于三类内部事务信息" },
	{ "process_information", "3.3.3.6", "6.属于四类过程性信息" },
	{ "enforcement_file", "3.3.3.7", "7.属于行政执法案卷" },
	{ "administrative_query", "3.3.3.8", "8.属于行政查询事项" },
};

/* What may stop the clock of each kind. The disclosure Regulations allow
 * one: the third party's 15 working days (Art. 32). Licensing Law Art. 45
 * excludes the time of hearings, tenders and auctions, testing and
 * inspection, appraisal and expert review, told to the applicant. An
 * on-site check (Art. 34) is part of the 20 days, so it pauses nothing. */
const struct case_pause_rule case_pauses[] = {
	{ "third_party_consultation", CK_DISCLOSURE, THIRD_PARTY_DAYS, false,
		OGI "第三十二条、第三十三条第三款", "征求第三方意见" },
	{ "hearing", CK_APPROVAL, 0, false, ALL "第四十五条", "听证" },
	{ "tender_auction", CK_APPROVAL, 0, false, ALL "第四十五条", "招标、拍卖" },
	{ "testing_inspection", CK_APPROVAL, 0, false, ALL "第四十五条", "检验、检测、检疫" },
	{ "appraisal", CK_APPROVAL, 0, false, ALL "第四十五条", "鉴定" },
	{ "expert_review", CK_APPROVAL, 0, false, ALL "第四十五条", "专家评审" },
	{ "on_site_inspection", CK_APPROVAL, 0, true, ALL "第三十四条（计入期限）", "实地核查" },
	{ "other", CK_APPROVAL, 0, true, NULL, "其他" },
};

/* How an application arrives, and which day is its day of receipt. */
const struct case_channel_rule case_channels[] = {
	{ "online", BY_APPLICANT, "the day the applicant submits it (the unit's confirmation is the submission step)" },
	{ "paper", BY_CLERK, "the day it was handed over (received_at, as the clerk registers it)" },
	{ "counter", BY_CLERK, "the day it was handed over at the counter" },
	{ "post", BY_CLERK, "the day the unit signed for it, or confirmed receipt with the applicant" },
	{ "fax", BY_CLERK, "the day the unit confirmed receipt with the applicant" },
};

const struct case_fee_rule case_fee_methods[] = {
	{ "by_count", "按件计收" },
	{ "by_volume", "按量计收" },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const unsigned case_outcome_count = COUNT(case_outcomes);
const unsigned case_reason_count = COUNT(case_reasons);
const unsigned case_pause_count = COUNT(case_pauses);
const unsigned case_channel_count = COUNT(case_channels);
const unsigned case_fee_method_count = COUNT(case_fee_methods);

int case_kind_parse(const char *s)
{
	for (int i = 0; s && i < CK__MAX; i++)
		if (!strcmp(case_kind_names[i], s))
			return i;
	return -1;
}

int case_status_parse(const char *s)
{
	for (int i = 0; s && i < CS__MAX; i++)
		if (!strcmp(case_statuses[i].name, s))
			return i;
	return -1;
}

int case_action_parse(const char *s)
{
	for (int i = 0; s && i < CA__MAX; i++)
		if (!strcmp(case_actions[i].name, s))
			return i;
	return -1;
}

int case_step_parse(const char *s)
{
	for (int i = 0; s && i < CA__MAX; i++)
		if (case_actions[i].step && !strcmp(case_actions[i].step, s))
			return i;
	return -1;
}

#define FIND(table, n, s)                                   \
	do {                                                \
		for (unsigned i_ = 0; (s) && i_ < (n); i_++) \
			if (!strcmp((table)[i_].name, (s)))  \
				return &(table)[i_];         \
		return NULL;                                \
	} while (0)

const struct case_outcome_rule *case_outcome_find(const char *s)
{
	FIND(case_outcomes, COUNT(case_outcomes), s);
}

const struct case_reason_rule *case_reason_find(const char *s)
{
	FIND(case_reasons, COUNT(case_reasons), s);
}

const struct case_pause_rule *case_pause_find(const char *s)
{
	FIND(case_pauses, COUNT(case_pauses), s);
}

const struct case_channel_rule *case_channel_find(const char *s)
{
	FIND(case_channels, COUNT(case_channels), s);
}

const struct case_fee_rule *case_fee_find(const char *s)
{
	FIND(case_fee_methods, COUNT(case_fee_methods), s);
}

bool case_status_open(enum case_status s)
{
	return (unsigned)s < CS__MAX && (OPEN & CS_BIT(s));
}

bool case_action_from(enum case_action a, enum case_kind k, enum case_status s)
{
	if ((unsigned)a >= CA__MAX || (unsigned)k >= CK__MAX || (unsigned)s >= CS__MAX)
		return false;
	return case_actions[a].from[k] & CS_BIT(s);
}

/* ---- name lists, built once ---------------------------------------------- */

#define LIST_MAX 64

struct lists {
	const char *statuses[CS__MAX + 1];
	const char *outcomes[CK__MAX + 1][LIST_MAX];
	const char *reasons[LIST_MAX];
	const char *pauses[LIST_MAX];
	const char *channels_applicant[LIST_MAX], *channels_clerk[LIST_MAX];
	const char *fees[LIST_MAX];
	const char *steps[CA__MAX + 1], *staff_steps[CA__MAX + 1];
	char open_sql[256];
};

static struct lists lists;
static pthread_once_t lists_once = PTHREAD_ONCE_INIT;

static void lists_build(void)
{
	struct lists *l = &lists;
	unsigned n, m, k[CK__MAX + 1] = { 0 };
	size_t len = 0;

	for (int i = 0; i < CS__MAX; i++) {
		l->statuses[i] = case_statuses[i].name;
		if (case_status_open((enum case_status)i))
			len += (size_t)snprintf(l->open_sql + len, sizeof l->open_sql - len, "%s'%s'",
						len ? ", " : "", case_statuses[i].name);
	}
	for (unsigned i = 0; i < COUNT(case_outcomes); i++) {
		enum case_kind kind = case_outcomes[i].kind;
		l->outcomes[kind][k[kind]++] = case_outcomes[i].name;
		l->outcomes[CK__MAX][k[CK__MAX]++] = case_outcomes[i].name;
	}
	for (unsigned i = 0; i < COUNT(case_reasons); i++)
		l->reasons[i] = case_reasons[i].name;
	for (unsigned i = 0; i < COUNT(case_pauses); i++)
		l->pauses[i] = case_pauses[i].name;
	n = m = 0;
	for (unsigned i = 0; i < COUNT(case_channels); i++) {
		if (case_channels[i].by & BY_APPLICANT)
			l->channels_applicant[n++] = case_channels[i].name;
		else
			l->channels_clerk[m++] = case_channels[i].name;
	}
	for (unsigned i = 0; i < COUNT(case_fee_methods); i++)
		l->fees[i] = case_fee_methods[i].name;
	n = m = 0;
	for (int i = 0; i < CA__MAX; i++) {
		if (!case_actions[i].step)
			continue;
		l->steps[n++] = case_actions[i].step;
		if (case_actions[i].pre & PRE_STEP)
			l->staff_steps[m++] = case_actions[i].name;
	}
}

static const struct lists *get_lists(void)
{
	pthread_once(&lists_once, lists_build);
	return &lists;
}

const char *const *case_kind_list(void)
{
	return case_kind_names;
}

const char *const *case_status_names(void)
{
	return get_lists()->statuses;
}

const char *const *case_outcome_names(int kind)
{
	return get_lists()->outcomes[kind >= 0 && kind < CK__MAX ? kind : CK__MAX];
}

const char *const *case_reason_names(void)
{
	return get_lists()->reasons;
}

const char *const *case_pause_names(void)
{
	return get_lists()->pauses;
}

const char *const *case_channel_names(unsigned by)
{
	return by & BY_APPLICANT ? get_lists()->channels_applicant : get_lists()->channels_clerk;
}

const char *const *case_fee_names(void)
{
	return get_lists()->fees;
}

const char *const *case_step_names(void)
{
	return get_lists()->steps;
}

const char *const *case_staff_step_names(void)
{
	return get_lists()->staff_steps;
}

const char *case_open_statuses_sql(void)
{
	return get_lists()->open_sql;
}

/* ---- the table as JSON ---------------------------------------------------- */

static const char *const phase_names[] = {
	[PHASE_RUNNING] = "running", [PHASE_WAITING] = "waiting",
	[PHASE_DECIDED] = "decided", [PHASE_CLOSED] = "closed",
};

static const char *const clock_names[CLOCK__MAX] = {
	[CLOCK_NONE] = "none", [CLOCK_START] = "start", [CLOCK_RESTART] = "restart",
	[CLOCK_DECISION] = "decision", [CLOCK_STOP] = "stop", [CLOCK_RESUME] = "resume",
	[CLOCK_EXTEND] = "extend", [CLOCK_END] = "end", [CLOCK_DELIVERED] = "delivered",
};

static void str_or_null(struct buf *b, const char *s)
{
	if (s)
		jw_string(b, s);
	else
		buf_puts(b, "null");
}

static void by_list(struct buf *b, unsigned by)
{
	static const struct { unsigned bit; const char *name; } who[] = {
		{ BY_APPLICANT, "applicant" }, { BY_CLERK, "clerk" },
		{ BY_APPROVER, "approver" }, { BY_SYSTEM, "system" },
	};
	bool first = true;

	buf_puts(b, "[");
	for (size_t i = 0; i < COUNT(who); i++) {
		if (!(by & who[i].bit))
			continue;
		if (!first)
			buf_puts(b, ",");
		first = false;
		jw_string(b, who[i].name);
	}
	buf_puts(b, "]");
}

static void status_list(struct buf *b, unsigned bits)
{
	bool first = true;

	buf_puts(b, "[");
	for (int s = 0; s < CS__MAX; s++) {
		if (!(bits & CS_BIT(s)))
			continue;
		if (!first)
			buf_puts(b, ",");
		first = false;
		jw_string(b, case_statuses[s].name);
	}
	buf_puts(b, "]");
}

static void name_list(struct buf *b, const char *const *names)
{
	buf_puts(b, "[");
	for (int i = 0; names[i]; i++) {
		if (i)
			buf_puts(b, ",");
		jw_string(b, names[i]);
	}
	buf_puts(b, "]");
}

void case_rules_json(struct buf *b)
{
	static const struct { unsigned bit; const char *name; } pres[] = {
		{ PRE_ONCE, "once" }, { PRE_BEFORE_DUE, "before_due_date" },
		{ PRE_NOT_OVERDUE, "not_overdue" }, { PRE_IN_WINDOW, "within_window" },
		{ PRE_APPROVED_ONLY, "approved_only" },
	};

	buf_puts(b, "{\"kinds\":");
	buf_puts(b, "[");
	for (int i = 0; i < CK__MAX; i++)
		buf_printf(b, "%s\"%s\"", i ? "," : "", case_kind_names[i]);
	buf_puts(b, "],\"statuses\":[");
	for (int i = 0; i < CS__MAX; i++) {
		buf_printf(b, "%s{\"name\":\"%s\",\"open\":%s,\"phase\":\"%s\",\"label\":", i ? "," : "",
			   case_statuses[i].name,
			   case_status_open((enum case_status)i) ? "true" : "false",
			   phase_names[case_statuses[i].phase]);
		jw_string(b, case_statuses[i].label);
		buf_puts(b, ",\"meaning\":");
		jw_string(b, case_statuses[i].meaning);
		buf_puts(b, ",\"report_row\":");
		str_or_null(b, case_statuses[i].report_row);
		buf_puts(b, "}");
	}
	buf_puts(b, "],\"actions\":[");
	for (int i = 0; i < CA__MAX; i++) {
		const struct case_action_rule *a = &case_actions[i];
		bool first = true;
		buf_printf(b, "%s{\"name\":\"%s\",\"step\":", i ? "," : "", a->name);
		str_or_null(b, a->step);
		buf_puts(b, ",\"by\":");
		by_list(b, a->by);
		buf_puts(b, ",\"from\":{");
		for (int k = 0; k < CK__MAX; k++) {
			buf_printf(b, "%s\"%s\":", k ? "," : "", case_kind_names[k]);
			status_list(b, a->from[k]);
		}
		buf_puts(b, "},\"to\":");
		str_or_null(b, a->to < CS__MAX ? case_statuses[a->to].name : NULL);
		buf_printf(b, ",\"clock\":\"%s\",\"staff_step\":%s,\"conditions\":[", clock_names[a->clock],
			   a->pre & PRE_STEP ? "true" : "false");
		for (size_t p = 0; p < COUNT(pres); p++) {
			if (!(a->pre & pres[p].bit))
				continue;
			buf_printf(b, "%s\"%s\"", first ? "" : ",", pres[p].name);
			first = false;
		}
		buf_puts(b, "],\"law\":");
		str_or_null(b, a->law);
		buf_puts(b, ",\"does\":");
		jw_string(b, a->does);
		buf_puts(b, "}");
	}
	buf_puts(b, "],\"steps\":");
	name_list(b, case_step_names());
	buf_puts(b, ",\"outcomes\":[");
	for (unsigned i = 0; i < COUNT(case_outcomes); i++) {
		const struct case_outcome_rule *o = &case_outcomes[i];
		buf_printf(b, "%s{\"name\":\"%s\",\"kind\":\"%s\",\"reason_code\":%s,"
			   "\"responsible\":%s,\"after_correction\":%s,\"system\":%s,\"remedy\":%s,"
			   "\"report_row\":", i ? "," : "", o->name, case_kind_names[o->kind],
			   o->flags & OUT_REASON ? "true" : "false",
			   o->flags & OUT_RESPONSIBLE ? "true" : "false",
			   o->flags & OUT_AFTER_CORRECTION ? "true" : "false",
			   o->flags & OUT_SYSTEM ? "true" : "false",
			   o->flags & OUT_REMEDY ? "true" : "false");
		str_or_null(b, o->report_row);
		buf_puts(b, ",\"label\":");
		jw_string(b, o->label);
		buf_puts(b, ",\"law\":");
		str_or_null(b, o->law);
		buf_puts(b, "}");
	}
	buf_puts(b, "],\"reason_codes\":[");
	for (unsigned i = 0; i < COUNT(case_reasons); i++) {
		buf_printf(b, "%s{\"name\":\"%s\",\"report_row\":\"%s\",\"label\":", i ? "," : "",
			   case_reasons[i].name, case_reasons[i].report_row);
		jw_string(b, case_reasons[i].label);
		buf_puts(b, "}");
	}
	buf_puts(b, "],\"pause_reasons\":[");
	for (unsigned i = 0; i < COUNT(case_pauses); i++) {
		const struct case_pause_rule *p = &case_pauses[i];
		buf_printf(b, "%s{\"name\":\"%s\",\"kind\":\"%s\",\"statutory_days\":%d,"
			   "\"deprecated\":%s,\"label\":", i ? "," : "", p->name,
			   case_kind_names[p->kind], p->statutory_days, p->deprecated ? "true" : "false");
		jw_string(b, p->label);
		buf_puts(b, ",\"law\":");
		str_or_null(b, p->law);
		buf_puts(b, "}");
	}
	buf_puts(b, "],\"channels\":[");
	for (unsigned i = 0; i < COUNT(case_channels); i++) {
		buf_printf(b, "%s{\"name\":\"%s\",\"by\":", i ? "," : "", case_channels[i].name);
		by_list(b, case_channels[i].by);
		buf_puts(b, ",\"receipt\":");
		jw_string(b, case_channels[i].receipt);
		buf_puts(b, "}");
	}
	buf_puts(b, "],\"fee_methods\":[");
	for (unsigned i = 0; i < COUNT(case_fee_methods); i++) {
		buf_printf(b, "%s{\"name\":\"%s\",\"label\":", i ? "," : "", case_fee_methods[i].name);
		jw_string(b, case_fee_methods[i].label);
		buf_puts(b, "}");
	}
	buf_puts(b, "]}");
}
