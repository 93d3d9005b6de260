/* reportform.h - the national form of the annual government information
 * disclosure report (政府信息公开工作年度报告格式, the 2021 template of the
 * State Council's open-government office, 国办公开办函〔2021〕30号): its
 * tables' rows and columns with the form's own labels, where each closed
 * request counts (by the rules table's outcome and reason codes), and table
 * 三 added up and checked. Pure; tests/unit/test_reportform.c. */
#ifndef OPENGOV_REPORTFORM_H
#define OPENGOV_REPORTFORM_H

#include <stdbool.h>
#include <stddef.h>

#define RF_TEMPLATE "国办公开办函〔2021〕30号"

/* Table 三's columns: the applicant columns of the form, then 总计. */
enum rf_column { RF_NATURAL, RF_COMPANY, RF_RESEARCH, RF_NGO, RF_LEGAL, RF_OTHER, RF_TOTAL,
		 RF__COLS };

struct rf_column_rule {
	const char *key;   /* the applicant_type, or "total" */
	const char *label; /* 自然人, 商业企业, ... 总计 */
};
extern const struct rf_column_rule rf_columns[RF__COLS];
/* The group label over the five legal-person columns. */
#define RF_LEGAL_PERSONS "法人或其他组织"
#define RF_APPLICANTS "申请人情况"
#define RF_BALANCE_NOTE "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"

/* A row of table 三: its code ("3.3.3.1"), the three labels of the form's
 * stub (the section, the kind of result, the item; "" where the form has
 * none), and whether it carries figures (a heading does not). */
struct rf_row {
	const char *code;
	const char *l1, *l2, *l3;
	bool figures;
};
extern const struct rf_row rf_rows[];
extern const size_t rf_row_count;

/* The index of a row by its code, or -1. */
int rf_row_index(const char *code);
/* The column of an applicant type, or -1. */
int rf_column_of(const char *applicant_type);
/* The row a request closed in the year counts under: decided, by its outcome
 * (withheld by its reason code); closed without a decision, by its outcome
 * (the system's abandonments) or its status (withdrawn, not accepted).
 * NULL for an approval or an open request. */
const char *rf_row_of(const char *status, const char *outcome, const char *reason);

/* Table 三 as the form prints it: counts by row and column. */
struct rf_table3 {
	long long v[40][RF__COLS];
};
/* Adds n requests of applicant_type under row code; -1 when either is
 * unknown (nothing added). */
int rf_table3_add(struct rf_table3 *t, const char *code, const char *applicant_type, long long n);
/* Fills 总计 (column) and （七）总计 (the sum of the result rows). */
void rf_table3_finish(struct rf_table3 *t);
/* The balance rule of the form for one column: 一 + 二 = 三（七） + 四. */
bool rf_table3_balanced(const struct rf_table3 *t, enum rf_column c);

/* The whole form of one report: what the exports write. */
enum rf_doc { RF_RULES, RF_NORMATIVE, RF__DOCS };
enum rf_doc_figure { RF_ISSUED, RF_ABOLISHED, RF_IN_FORCE, RF__DOC_FIGURES };
/* Table 四: 行政复议, then 行政诉讼 未经复议直接起诉 and 复议后起诉, each by
 * result (rf_table4_results). */
enum rf_appeal_group { RF_RECONSIDERATION, RF_SUED_DIRECTLY, RF_SUED_AFTER, RF__APPEAL_GROUPS };

struct rf_report {
	int year;
	char title[512];             /* 某某局2019年政府信息公开工作年度报告 */
	long long docs[RF__DOCS][RF__DOC_FIGURES];
	long long licensing;         /* 行政许可 decisions of the year */
	bool figures_entered;        /* the unit entered the figures of Art. 20(6), (8) */
	long long penalties, coercions;
	char fees_10k_yuan[32];      /* as entered, "" when not */
	struct rf_table3 t3;
	long long appeals[RF__APPEAL_GROUPS][5];
	long long fee_notices, fee_amount, fee_paid, fee_paid_amount;
};

/* The form as CSV in its own layout and Chinese labels (UTF-8 with a byte
 * order mark, CRLF), tables 二, 三, 四 and 六 one after another. */
struct buf;
void rf_csv(struct buf *b, const struct rf_report *r);
/* The form as an XLSX workbook, one sheet per table (libxlsxwriter), in
 * malloc'd memory. 0, or -1. */
int rf_xlsx(const struct rf_report *r, char **out, size_t *len);

/* Table 二 (主动公开政府信息情况, Art. 20) and 四 (行政复议、行政诉讼): their
 * labels, for the exports. */
struct rf_label {
	const char *key;
	const char *label;
};
extern const struct rf_label rf_table2_sections[]; /* 第二十条第（一）项 ... */
extern const struct rf_label rf_table4_results[];  /* upheld 结果维持 ... total 总计 */
extern const size_t rf_table2_section_count, rf_table4_result_count;

#endif
