/* reportform.c - the national annual report form's tables and labels (2021
 * template, 国办公开办函〔2021〕30号), and table 三 added up from closed
 * requests. Pure: the outcome and reason codes' rows come from the rules
 * table (src/domain/caserules.c). */
#include <string.h>

#include "opengov/domain/caserules.h"
#include "opengov/domain/reportform.h"

const struct rf_column_rule rf_columns[RF__COLS] = {
	[RF_NATURAL] = { "natural_person", "自然人" },
	[RF_COMPANY] = { "company", "商业企业" },
	[RF_RESEARCH] = { "research_body", "科研机构" },
	[RF_NGO] = { "ngo", "社会公益组织" },
	[RF_LEGAL] = { "legal_service", "法律服务机构" },
	[RF_OTHER] = { "other", "其他" },
	[RF_TOTAL] = { "total", "总计" },
};

#define R3 "三、本年度办理结果"
#define WITHHELD "（三）不予公开"
#define CANNOT "（四）无法提供"
#define NOT_PROCESSED "（五）不予处理"
#define OTHER "（六）其他处理"

/* Table 三, row by row as the form prints it. */
const struct rf_row rf_rows[] = {
	{ "3.1", "一、本年新收政府信息公开申请数量", "", "", true },
	{ "3.2", "二、上年结转政府信息公开申请数量", "", "", true },
	{ "3.3.1", R3, "（一）予以公开", "", true },
	{ "3.3.2", R3, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "", true },
	{ "3.3.3.1", R3, WITHHELD, "1.属于国家秘密", true },
	{ "3.3.3.2", R3, WITHHELD, "2.其他法律行政法规禁止公开", true },
	{ "3.3.3.3", R3, WITHHELD, "3.危及“三安全一稳定”", true },
	{ "3.3.3.4", R3, WITHHELD, "4.保护第三方合法权益", true },
	{ "3.3.3.5", R3, WITHHELD, "5.属于三类内部事务信息", true },
	{ "3.3.3.6", R3, WITHHELD, "6.属于四类过程性信息", true },
	{ "3.3.3.7", R3, WITHHELD, "7.属于行政执法案卷", true },
	{ "3.3.3.8", R3, WITHHELD, "8.属于行政查询事项", true },
	{ "3.3.4.1", R3, CANNOT, "1.本机关不掌握相关政府信息", true },
	{ "3.3.4.2", R3, CANNOT, "2.没有现成信息需要另行制作", true },
	{ "3.3.4.3", R3, CANNOT, "3.补正后申请内容仍不明确", true },
	{ "3.3.5.1", R3, NOT_PROCESSED, "1.信访举报投诉类申请", true },
	{ "3.3.5.2", R3, NOT_PROCESSED, "2.重复申请", true },
	{ "3.3.5.3", R3, NOT_PROCESSED, "3.要求提供公开出版物", true },
	{ "3.3.5.4", R3, NOT_PROCESSED, "4.无正当理由大量反复申请", true },
	{ "3.3.5.5", R3, NOT_PROCESSED, "5.要求行政机关确认或重新出具已获取信息", true },
	{ "3.3.6.1", R3, OTHER,
	  "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", true },
	{ "3.3.6.2", R3, OTHER,
	  "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", true },
	{ "3.3.6.3", R3, OTHER, "3.其他", true },
	{ "3.3.7", R3, "（七）总计", "", true },
	{ "3.4", "四、结转下年度继续办理", "", "", true },
};

const size_t rf_row_count = sizeof rf_rows / sizeof rf_rows[0];

const struct rf_label rf_table2_sections[] = {
	{ "article_20_1", "第二十条第（一）项" },
	{ "article_20_5", "第二十条第（五）项" },
	{ "article_20_6", "第二十条第（六）项" },
	{ "article_20_8", "第二十条第（八）项" },
};
const size_t rf_table2_section_count = sizeof rf_table2_sections / sizeof rf_table2_sections[0];

const struct rf_label rf_table4_results[] = {
	{ "upheld", "结果维持" },
	{ "corrected", "结果纠正" },
	{ "other", "其他结果" },
	{ "pending", "尚未审结" },
	{ "total", "总计" },
};
const size_t rf_table4_result_count = sizeof rf_table4_results / sizeof rf_table4_results[0];

int rf_row_index(const char *code)
{
	for (size_t i = 0; code && i < rf_row_count; i++)
		if (!strcmp(rf_rows[i].code, code))
			return (int)i;
	return -1;
}

int rf_column_of(const char *applicant_type)
{
	for (int c = 0; applicant_type && c < RF_TOTAL; c++)
		if (!strcmp(rf_columns[c].key, applicant_type))
			return c;
	return -1;
}

const char *rf_row_of(const char *status, const char *outcome, const char *reason)
{
	int st = case_status_parse(status);
	const struct case_outcome_rule *o = outcome && *outcome ? case_outcome_find(outcome) : NULL;

	if (st < 0 || case_status_open((enum case_status)st))
		return NULL;
	if (o) {
		if (o->kind != CK_DISCLOSURE)
			return NULL;
		/* 不予公开 counts under its reason's row; 部分公开 only as itself
		 * (区分处理的，只计这一情形). */
		if (!strcmp(o->report_row, "3.3.3")) {
			const struct case_reason_rule *r = case_reason_find(reason);
			return r ? r->report_row : NULL;
		}
		return o->report_row;
	}
	return case_statuses[st].report_row;
}

int rf_table3_add(struct rf_table3 *t, const char *code, const char *applicant_type, long long n)
{
	int row = rf_row_index(code), col = rf_column_of(applicant_type);

	if (row < 0 || col < 0)
		return -1;
	t->v[row][col] += n;
	return 0;
}

void rf_table3_finish(struct rf_table3 *t)
{
	int total = rf_row_index("3.3.7");

	for (int c = 0; c < RF_TOTAL; c++) {
		long long sum = 0;
		for (size_t i = 0; i < rf_row_count; i++)
			if (!strncmp(rf_rows[i].code, "3.3.", 4) && (int)i != total)
				sum += t->v[i][c];
		t->v[total][c] = sum;
	}
	for (size_t i = 0; i < rf_row_count; i++) {
		long long sum = 0;
		for (int c = 0; c < RF_TOTAL; c++)
			sum += t->v[i][c];
		t->v[i][RF_TOTAL] = sum;
	}
}

bool rf_table3_balanced(const struct rf_table3 *t, enum rf_column c)
{
	return t->v[rf_row_index("3.1")][c] + t->v[rf_row_index("3.2")][c] ==
	       t->v[rf_row_index("3.3.7")][c] + t->v[rf_row_index("3.4")][c];
}
