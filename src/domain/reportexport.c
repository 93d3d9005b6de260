/* reportexport.c - the national form of the annual report written out as a
 * unit publishes it: CSV in the form's own layout and labels, and an XLSX
 * workbook with one sheet per table (libxlsxwriter, Debian's
 * libxlsxwriter-dev), both from one struct rf_report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "opengov/base/buf.h"
#include "opengov/domain/reportform.h"

#define T2 "二、主动公开政府信息情况"
#define T3 "三、收到和处理政府信息公开申请情况"
#define T4 "四、政府信息公开行政复议、行政诉讼情况"
#define T6 "六、其他需要报告的事项"
#define CONTENT "信息内容"

static const char *const doc_labels[RF__DOCS] = { "规章", "行政规范性文件" };
static const char *const doc_columns[RF__DOC_FIGURES] = { "本年制发件数", "本年废止件数",
							  "现行有效件数" };
static const char *const appeal_groups[RF__APPEAL_GROUPS] = { "行政复议", "未经复议直接起诉",
							      "复议后起诉" };
static const char *const fee_columns[] = { "收费通知（件）", "收费金额（元）", "已缴纳（件）",
					   "已缴纳金额（元）" };

/* ---- CSV ---------------------------------------------------------------- */

/* One cell: quoted when it holds a comma, a quote or a line break. */
static void cell(struct buf *b, const char *s, bool first)
{
	if (!first)
		buf_puts(b, ",");
	if (!strpbrk(s, ",\"\r\n")) {
		buf_puts(b, s);
		return;
	}
	buf_puts(b, "\"");
	for (; *s; s++) {
		if (*s == '"')
			buf_puts(b, "\"");
		buf_append(b, s, 1);
	}
	buf_puts(b, "\"");
}

static void num(struct buf *b, long long v)
{
	buf_printf(b, ",%lld", v);
}

/* A row of labels, padded to width cells. */
static void labels(struct buf *b, int width, const char *const *l, int n)
{
	for (int i = 0; i < width; i++)
		cell(b, i < n && l[i] ? l[i] : "", i == 0);
	buf_puts(b, "\r\n");
}

void rf_csv(struct buf *b, const struct rf_report *r)
{
	buf_puts(b, "\xEF\xBB\xBF");
	cell(b, r->title, true);
	buf_puts(b, "\r\n\r\n");

	/* 二: four blocks of Art. 20 */
	cell(b, T2, true);
	buf_puts(b, "\r\n");
	labels(b, 4, (const char *[]){ rf_table2_sections[0].label }, 1);
	labels(b, 4, (const char *[]){ CONTENT, doc_columns[0], doc_columns[1], doc_columns[2] }, 4);
	for (int d = 0; d < RF__DOCS; d++) {
		cell(b, doc_labels[d], true);
		for (int f = 0; f < RF__DOC_FIGURES; f++)
			num(b, r->docs[d][f]);
		buf_puts(b, "\r\n");
	}
	labels(b, 4, (const char *[]){ rf_table2_sections[1].label }, 1);
	labels(b, 4, (const char *[]){ CONTENT, "本年处理决定数量" }, 2);
	cell(b, "行政许可", true);
	num(b, r->licensing);
	buf_puts(b, ",,\r\n");
	labels(b, 4, (const char *[]){ rf_table2_sections[2].label }, 1);
	labels(b, 4, (const char *[]){ CONTENT, "本年处理决定数量" }, 2);
	cell(b, "行政处罚", true);
	if (r->figures_entered)
		num(b, r->penalties);
	else
		buf_puts(b, ",");
	buf_puts(b, ",,\r\n");
	cell(b, "行政强制", true);
	if (r->figures_entered)
		num(b, r->coercions);
	else
		buf_puts(b, ",");
	buf_puts(b, ",,\r\n");
	labels(b, 4, (const char *[]){ rf_table2_sections[3].label }, 1);
	labels(b, 4, (const char *[]){ CONTENT, "本年收费金额（单位：万元）" }, 2);
	cell(b, "行政事业性收费", true);
	cell(b, r->fees_10k_yuan, false);
	buf_puts(b, ",,\r\n\r\n");

	/* 三: a stub of three label columns, then the applicant columns */
	cell(b, T3, true);
	buf_puts(b, "\r\n");
	labels(b, 10, (const char *[]){ RF_BALANCE_NOTE, "", "", RF_APPLICANTS }, 4);
	labels(b, 10, (const char *[]){ "", "", "", rf_columns[RF_NATURAL].label, RF_LEGAL_PERSONS,
					 "", "", "", "", rf_columns[RF_TOTAL].label }, 10);
	labels(b, 10, (const char *[]){ "", "", "", "", rf_columns[RF_COMPANY].label,
					 rf_columns[RF_RESEARCH].label, rf_columns[RF_NGO].label,
					 rf_columns[RF_LEGAL].label, rf_columns[RF_OTHER].label }, 9);
	for (size_t i = 0; i < rf_row_count; i++) {
		cell(b, rf_rows[i].l1, true);
		cell(b, rf_rows[i].l2, false);
		cell(b, rf_rows[i].l3, false);
		for (int c = 0; c < RF__COLS; c++)
			num(b, r->t3.v[i][c]);
		buf_puts(b, "\r\n");
	}
	buf_puts(b, "\r\n");

	/* 四: 15 cells */
	cell(b, T4, true);
	buf_puts(b, "\r\n");
	labels(b, 15, (const char *[]){ appeal_groups[0], "", "", "", "", "行政诉讼" }, 6);
	labels(b, 15, (const char *[]){ "", "", "", "", "", appeal_groups[1], "", "", "", "",
					 appeal_groups[2] }, 11);
	for (int g = 0; g < RF__APPEAL_GROUPS; g++)
		for (size_t k = 0; k < rf_table4_result_count; k++)
			cell(b, rf_table4_results[k].label, g == 0 && k == 0);
	buf_puts(b, "\r\n");
	for (int g = 0; g < RF__APPEAL_GROUPS; g++)
		for (size_t k = 0; k < rf_table4_result_count; k++)
			buf_printf(b, "%s%lld", g == 0 && k == 0 ? "" : ",", r->appeals[g][k]);
	buf_puts(b, "\r\n\r\n");

	/* 六 */
	cell(b, T6, true);
	buf_puts(b, "\r\n");
	labels(b, 5, (const char *[]){ "信息处理费", fee_columns[0], fee_columns[1], fee_columns[2],
					fee_columns[3] }, 5);
	cell(b, "本年", true);
	num(b, r->fee_notices);
	num(b, r->fee_amount);
	num(b, r->fee_paid);
	num(b, r->fee_paid_amount);
	buf_puts(b, "\r\n");
}

/* ---- XLSX --------------------------------------------------------------- */

struct xl {
	lxw_workbook *wb;
	lxw_format *title, *head, *label, *number;
};

static void put_str(lxw_worksheet *ws, int row, int col, const char *s, lxw_format *f)
{
	worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, s, f);
}

static void put_num(lxw_worksheet *ws, int row, int col, long long v, lxw_format *f)
{
	worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col, (double)v, f);
}

static void merge(lxw_worksheet *ws, int r1, int c1, int r2, int c2, const char *s, lxw_format *f)
{
	worksheet_merge_range(ws, (lxw_row_t)r1, (lxw_col_t)c1, (lxw_row_t)r2, (lxw_col_t)c2, s, f);
}

static void sheet2(struct xl *x, const struct rf_report *r)
{
	lxw_worksheet *ws = workbook_add_worksheet(x->wb, "二 主动公开");
	int row = 0;

	worksheet_set_column(ws, 0, 0, 18, NULL);
	worksheet_set_column(ws, 1, 3, 16, NULL);
	merge(ws, row, 0, row, 3, T2, x->title);
	row += 2;
	merge(ws, row, 0, row, 3, rf_table2_sections[0].label, x->head);
	row++;
	put_str(ws, row, 0, CONTENT, x->head);
	for (int f = 0; f < RF__DOC_FIGURES; f++)
		put_str(ws, row, 1 + f, doc_columns[f], x->head);
	row++;
	for (int d = 0; d < RF__DOCS; d++, row++) {
		put_str(ws, row, 0, doc_labels[d], x->label);
		for (int f = 0; f < RF__DOC_FIGURES; f++)
			put_num(ws, row, 1 + f, r->docs[d][f], x->number);
	}
	merge(ws, row, 0, row, 3, rf_table2_sections[1].label, x->head);
	row++;
	put_str(ws, row, 0, CONTENT, x->head);
	merge(ws, row, 1, row, 3, "本年处理决定数量", x->head);
	row++;
	put_str(ws, row, 0, "行政许可", x->label);
	put_num(ws, row, 1, r->licensing, x->number);
	row++;
	merge(ws, row, 0, row, 3, rf_table2_sections[2].label, x->head);
	row++;
	put_str(ws, row, 0, CONTENT, x->head);
	merge(ws, row, 1, row, 3, "本年处理决定数量", x->head);
	row++;
	put_str(ws, row, 0, "行政处罚", x->label);
	if (r->figures_entered)
		put_num(ws, row, 1, r->penalties, x->number);
	row++;
	put_str(ws, row, 0, "行政强制", x->label);
	if (r->figures_entered)
		put_num(ws, row, 1, r->coercions, x->number);
	row++;
	merge(ws, row, 0, row, 3, rf_table2_sections[3].label, x->head);
	row++;
	put_str(ws, row, 0, CONTENT, x->head);
	merge(ws, row, 1, row, 3, "本年收费金额（单位：万元）", x->head);
	row++;
	put_str(ws, row, 0, "行政事业性收费", x->label);
	if (r->fees_10k_yuan[0])
		worksheet_write_number(ws, (lxw_row_t)row, 1, atof(r->fees_10k_yuan), x->number);
}

static void sheet3(struct xl *x, const struct rf_report *r)
{
	lxw_worksheet *ws = workbook_add_worksheet(x->wb, "三 依申请公开");

	worksheet_set_column(ws, 0, 0, 26, NULL);
	worksheet_set_column(ws, 1, 1, 30, NULL);
	worksheet_set_column(ws, 2, 2, 40, NULL);
	worksheet_set_column(ws, 3, 9, 12, NULL);
	merge(ws, 0, 0, 0, 9, T3, x->title);
	merge(ws, 1, 0, 3, 2, RF_BALANCE_NOTE, x->head);
	merge(ws, 1, 3, 1, 9, RF_APPLICANTS, x->head);
	merge(ws, 2, 3, 3, 3, rf_columns[RF_NATURAL].label, x->head);
	merge(ws, 2, 4, 2, 8, RF_LEGAL_PERSONS, x->head);
	merge(ws, 2, 9, 3, 9, rf_columns[RF_TOTAL].label, x->head);
	for (int c = RF_COMPANY; c <= RF_OTHER; c++)
		put_str(ws, 3, 4 + c - RF_COMPANY, rf_columns[c].label, x->head);
	for (size_t i = 0; i < rf_row_count; i++) {
		int row = 4 + (int)i;
		put_str(ws, row, 0, rf_rows[i].l1, x->label);
		put_str(ws, row, 1, rf_rows[i].l2, x->label);
		put_str(ws, row, 2, rf_rows[i].l3, x->label);
		for (int c = 0; c < RF__COLS; c++)
			put_num(ws, row, 3 + c, r->t3.v[i][c], x->number);
	}
}

static void sheet4(struct xl *x, const struct rf_report *r)
{
	lxw_worksheet *ws = workbook_add_worksheet(x->wb, "四 复议诉讼");

	worksheet_set_column(ws, 0, 14, 10, NULL);
	merge(ws, 0, 0, 0, 14, T4, x->title);
	merge(ws, 1, 0, 2, 4, appeal_groups[0], x->head);
	merge(ws, 1, 5, 1, 14, "行政诉讼", x->head);
	merge(ws, 2, 5, 2, 9, appeal_groups[1], x->head);
	merge(ws, 2, 10, 2, 14, appeal_groups[2], x->head);
	for (int g = 0; g < RF__APPEAL_GROUPS; g++)
		for (size_t k = 0; k < rf_table4_result_count; k++) {
			int col = g * 5 + (int)k;
			put_str(ws, 3, col, rf_table4_results[k].label, x->head);
			put_num(ws, 4, col, r->appeals[g][k], x->number);
		}
}

static void sheet6(struct xl *x, const struct rf_report *r)
{
	lxw_worksheet *ws = workbook_add_worksheet(x->wb, "六 其他事项");

	worksheet_set_column(ws, 0, 4, 18, NULL);
	merge(ws, 0, 0, 0, 4, T6, x->title);
	put_str(ws, 1, 0, "信息处理费", x->head);
	for (int i = 0; i < 4; i++)
		put_str(ws, 1, 1 + i, fee_columns[i], x->head);
	put_str(ws, 2, 0, "本年", x->label);
	put_num(ws, 2, 1, r->fee_notices, x->number);
	put_num(ws, 2, 2, r->fee_amount, x->number);
	put_num(ws, 2, 3, r->fee_paid, x->number);
	put_num(ws, 2, 4, r->fee_paid_amount, x->number);
}

int rf_xlsx(const struct rf_report *r, char **out, size_t *len)
{
	char path[] = "/tmp/opengov-report-XXXXXX";
	int fd = mkstemp(path);
	int rc = -1;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return -1;
	close(fd);
	struct xl x = { .wb = workbook_new(path) };
	if (!x.wb)
		goto out;
	x.title = workbook_add_format(x.wb);
	format_set_bold(x.title);
	format_set_font_size(x.title, 14);
	format_set_align(x.title, LXW_ALIGN_CENTER);
	x.head = workbook_add_format(x.wb);
	format_set_bold(x.head);
	format_set_border(x.head, LXW_BORDER_THIN);
	format_set_align(x.head, LXW_ALIGN_CENTER);
	format_set_align(x.head, LXW_ALIGN_VERTICAL_CENTER);
	format_set_text_wrap(x.head);
	x.label = workbook_add_format(x.wb);
	format_set_border(x.label, LXW_BORDER_THIN);
	format_set_text_wrap(x.label);
	x.number = workbook_add_format(x.wb);
	format_set_border(x.number, LXW_BORDER_THIN);
	char title[sizeof r->title], comments[] = RF_TEMPLATE;
	snprintf(title, sizeof title, "%s", r->title);
	workbook_set_properties(x.wb, &(lxw_doc_properties){ .title = title,
							    .comments = comments });
	sheet2(&x, r);
	sheet3(&x, r);
	sheet4(&x, r);
	sheet6(&x, r);
	if (workbook_close(x.wb) != LXW_NO_ERROR)
		goto out;
	FILE *f = fopen(path, "rb");
	if (!f)
		goto out;
	struct buf b = { 0 };
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	rc = ferror(f) ? -1 : 0;
	fclose(f);
	if (rc)
		buf_free(&b);
	else {
		*out = b.data;
		*len = b.len;
	}
out:
	unlink(path);
	return rc;
}
