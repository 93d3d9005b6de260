/* catalogue.c - each unit's disclosure catalogue (政府信息公开目录, OGI
 * Regulations Art. 12: each piece's index, name, content summary and date),
 * read from its published information items and the index numbers they
 * got at publication (sql/031_catalogue_channels.sql), never typed twice;
 * and the channels each piece was published through.
 * operationIds listUnitCatalogue, listItemPublications, recordItemPublication. */
#include <stdlib.h>
#include <string.h>

#include "opengov/api/handlers.h"
#include "opengov/api/common.h"
#include "opengov/base/config.h"
#include "opengov/base/cursor.h"
#include "opengov/db/jsonw.h"
#include "opengov/domain/calendar.h"
#include "opengov/domain/workcal.h"

static const char *const formats[] = { "json", "csv", NULL };
/* Where a piece was published; the portal is recorded by publication
 * itself (sql/031 catalogue_publish), the others by the unit's staff. */
static const char *const recorded_channels[] = { "direct_report", "bulletin", "touch_screen",
						 "press", "other", NULL };

#define CATALOGUE_MAX_CSV 100000

/* The catalogue's row: the columns of its JSON and CSV. */
#define CATALOGUE_COLUMNS \
	"i.id, i.index_year, i.index_seq, i.index_number, i.title, i.summary," \
	" i.document_number, i.category, to_char(i.made_on, 'YYYY-MM-DD') AS made_on," \
	" rfc3339(i.published_at) AS published_at, to_char(i.published_at AT TIME ZONE "
	/* the zone's parameter, then CATALOGUE_FROM */
#define CATALOGUE_FROM \
	", 'YYYY-MM-DD') AS published_on FROM items i WHERE i.index_seq IS NOT NULL" \
	" AND i.status = 'published'"

/* Writes s as a CSV field (RFC 4180: quoted when it holds a comma, a
 * quote or a line break; quotes doubled). */
static void csv_field(struct buf *b, const char *s, bool last)
{
	if (s && strpbrk(s, ",\"\r\n")) {
		buf_puts(b, "\"");
		for (const char *p = s; *p; p++)
			buf_append(b, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
		buf_puts(b, "\"");
	} else if (s) {
		buf_puts(b, s);
	}
	buf_puts(b, last ? "\r\n" : ",");
}

/* GET /v1/units/{id}/catalogue - listUnitCatalogue: 200, 304, 400, 401,
 * 404, 500, 503. The unit's published information items with their index
 * numbers, newest number first; filters category, year (of the index
 * number: the year of publication), document_number (a part of it, any
 * case). format=csv: every matching row as CSV (UTF-8 with a byte order
 * mark, CRLF, Chinese headings, as the annual report's CSV), no paging. */
void api_catalogue_list(struct req *r)
{
	DB_STMT(unit_st, "catalogue_unit", "SELECT code FROM units WHERE id = $1");
	const char *unit = r->path_params[0], *category, *format, *y = http_query(r, "year");
	char docno[128], after[2][CURSOR_PART_MAX], lim[16];
	bool has_docno;
	int limit;

	if (query_limit_or_reply(r, &limit) ||
	    query_enum_or_reply(r, "category", common_information_categories, &category) ||
	    query_enum_or_reply(r, "format", formats, &format) ||
	    query_text_or_reply(r, "document_number", 1, 100, docno, sizeof docno, &has_docno) ||
	    query_cursor_or_reply(r, 2, after))
		return;
	if (y && (strlen(y) != 4 || strspn(y, "0123456789") != 4 || atoi(y) < 2000)) {
		query_invalid_reply(r, "year", "must be a year from 2000 to 9999");
		return;
	}
	if (after[0][0] && (strspn(after[0], "0123456789") != strlen(after[0]) ||
			    strspn(after[1], "0123456789") != strlen(after[1]) ||
			    strlen(after[0]) != 4 || !after[1][0] || strlen(after[1]) > 9)) {
		query_invalid_reply(r, "cursor", "is not a cursor this server issued");
		return;
	}
	if (!uuid_valid(unit)) {
		problem_reply(r, 404, "not-found", "There is no such unit.");
		return;
	}
	const char *up[] = { unit };
	PGresult *u = common_row_or_reply(r, &unit_st, 1, up, "There is no such unit.");
	if (!u)
		return;
	PQclear(u);
	bool csv = format && !strcmp(format, "csv");
	snprintf(lim, sizeof lim, "%d", csv ? CATALOGUE_MAX_CSV : limit + 1);

	struct sqlb b = { 0 };
	sqlb_add(&b, "SELECT " CATALOGUE_COLUMNS);
	sqlb_param(&b, r->cfg->tz, "text"); /* the zone of the days shown */
	sqlb_add(&b, CATALOGUE_FROM);
	sqlb_and_eq(&b, "i.unit_id", unit, "uuid");
	sqlb_and_eq(&b, "i.category", category, NULL);
	sqlb_and_eq(&b, "i.index_year", y, "int");
	if (has_docno) {
		sqlb_add(&b, " AND strpos(lower(i.document_number), lower(");
		sqlb_param(&b, docno, "text");
		sqlb_add(&b, ")) > 0");
	}
	if (after[0][0] && !csv) {
		sqlb_add(&b, " AND (i.index_year, i.index_seq) < (");
		sqlb_param(&b, after[0], "int");
		sqlb_add(&b, ", ");
		sqlb_param(&b, after[1], "int");
		sqlb_add(&b, ")");
	}
	sqlb_add(&b, " ORDER BY i.index_year DESC, i.index_seq DESC LIMIT ");
	sqlb_param(&b, lim, "int");
	PGresult *res = db_exec_cached(r->db, b.sql.data, b.n, b.params);
	sqlb_free(&b);
	if (!res) {
		db_error_reply(r);
		return;
	}
	int n = PQntuples(res);
	struct buf out = { 0 };
	http_header(r, "Cache-Control", "%s", r->authed ? "private, no-cache" : "public, max-age=30");
	http_header(r, "Vary", "Authorization");
	if (csv) {
		buf_puts(&out, "\xEF\xBB\xBF" "索引号,信息名称,内容概述,文号,类别,生成日期,发布日期,链接\r\n");
		for (int i = 0; i < n; i++) {
			char href[64];
			snprintf(href, sizeof href, "/v1/items/%s", db_get(res, i, "id"));
			csv_field(&out, db_get(res, i, "index_number"), false);
			csv_field(&out, db_get(res, i, "title"), false);
			csv_field(&out, db_get(res, i, "summary"), false);
			csv_field(&out, db_get(res, i, "document_number"), false);
			csv_field(&out, db_get(res, i, "category"), false);
			csv_field(&out, db_get(res, i, "made_on"), false);
			csv_field(&out, db_get(res, i, "published_on"), false);
			csv_field(&out, href, true);
		}
		PQclear(res);
		http_header(r, "Content-Disposition", "attachment; filename=\"catalogue.csv\"");
		http_text(r, 200, "text/csv; charset=utf-8", out.data, out.len);
		buf_free(&out);
		return;
	}
	buf_puts(&out, "[");
	for (int i = 0; i < n && i < limit; i++) {
		bool first = true;
		buf_puts(&out, i ? ",{" : "{");
		static const char *const keys[] = { "index_number", "id", "title", "summary",
			"document_number", "category", "made_on", "published_at", NULL };
		for (int k = 0; keys[k]; k++) {
			jw_key(&out, &first, keys[k]);
			jw_value(&out, res, i, PQfnumber(res, keys[k]));
		}
		jw_key(&out, &first, "href");
		buf_printf(&out, "\"/v1/items/%s\"", db_get(res, i, "id"));
		buf_puts(&out, "}");
	}
	buf_puts(&out, "]");
	char *next = NULL;
	if (n > limit) {
		const char *key[] = { db_get(res, limit - 1, "index_year"),
				      db_get(res, limit - 1, "index_seq") };
		next = cursor_encode(key, 2);
	}
	PQclear(res);
	http_list_text(r, &out, next);
	free(next);
	buf_free(&out);
}

#define PUBLICATION_JSON \
	"jsonb_build_object('id', p.id, 'item_id', p.item_id, 'channel', p.channel," \
	" 'published_on', to_char(p.published_on, 'YYYY-MM-DD'), 'issue', p.issue," \
	" 'copies', p.copies, 'note', p.note, 'recorded_by', p.recorded_by," \
	" 'recorded_at', rfc3339(p.recorded_at))::text AS j"

DB_STMT(item_for_publication, "catalogue_item",
	"SELECT id, kind, unit_id, status,"
	" to_char(published_at AT TIME ZONE $2, 'YYYY-MM-DD') AS published_on"
	" FROM items WHERE id = $1");

/* The item of the path as the caller may see it: the row, or NULL after
 * answering 404 (not a UUID, no such item, not visible). */
static PGresult *visible_item_or_reply(struct req *r)
{
	const char *id = r->path_params[0];

	if (!uuid_valid(id)) {
		problem_reply(r, 404, "not-found", "There is no such item.");
		return NULL;
	}
	const char *p[] = { id, r->cfg->tz };
	PGresult *res = common_row_or_reply(r, &item_for_publication, 2, p, "There is no such item.");
	if (res && !common_published_visible(r, db_get(res, 0, "unit_id"), db_get(res, 0, "status"))) {
		PQclear(res);
		problem_reply(r, 404, "not-found", "There is no such item.");
		return NULL;
	}
	return res;
}

/* GET /v1/items/{id}/publications - listItemPublications: 200, 400, 401,
 * 404, 500, 503. Where and when the item was published, newest record
 * first, keyset-paginated. */
void api_catalogue_publications_list(struct req *r)
{
	char after[2][CURSOR_PART_MAX], lim[16];
	int limit;

	if (query_limit_or_reply(r, &limit) || query_time_cursor_or_reply(r, after))
		return;
	PGresult *item = visible_item_or_reply(r);
	if (!item)
		return;
	PQclear(item);
	snprintf(lim, sizeof lim, "%d", limit + 1);
	struct sqlb b = { 0 };
	sqlb_add(&b, "SELECT p.id, (extract(epoch FROM p.recorded_at) * 1000000)::bigint AS sort_us, "
		     PUBLICATION_JSON " FROM item_publications p WHERE true");
	sqlb_and_eq(&b, "p.item_id", r->path_params[0], "uuid");
	PGresult *res = common_page_or_reply(r, &b, "p.recorded_at", "p.id", after, lim);
	if (!res)
		return;
	common_json_page_reply(r, res, limit);
}

static const struct field publication_fields[] = {
	{ "channel", FT_ENUM, F_REQUIRED, 0, 0, recorded_channels, NULL, NULL },
	{ "published_on", FT_STRING, F_REQUIRED, 10, 10, NULL, common_check_date, NULL },
	{ "issue", FT_STRING, F_NULLABLE, 1, 100, NULL, NULL, NULL },
	{ "copies", FT_INT, F_NULLABLE, 1, 10000000, NULL, NULL, NULL },
	{ "note", FT_STRING, F_NULLABLE, 1, 500, NULL, NULL, NULL },
	END_FIELDS,
};

/* POST /v1/items/{id}/publications - recordItemPublication (clerk, approver
 * of the item's unit): 201, 401, 403, 404, 409 (not a published information
 * item, or recorded already), 415, 422. A channel the piece went out
 * through besides the portal: a bulletin's issue (issue, copies: the
 * issue's print run), direct reporting, a touch screen, the press (issue:
 * the outlet), other; on a day from its publication to today. */
void api_catalogue_publications_create(struct req *r)
{
	DB_STMT(ins, "catalogue_publication_insert",
		"INSERT INTO item_publications AS p (item_id, unit_id, channel, published_on, issue,"
		" copies, note, recorded_by)"
		" SELECT id, unit_id, $2, $3::date, $4, $5::int, $6, $7 FROM items WHERE id = $1"
		" RETURNING p.id, " PUBLICATION_JSON);
	struct verrs v = { 0 };
	char copies[16];

	if (!validate_object(r->json, publication_fields, &v)) {
		const char *channel = json_member_str(r->json, "channel");
		bool has_issue = json_member_str(r->json, "issue") != NULL;
		bool has_copies = json_is_integer(json_object_get(r->json, "copies"));
		if (!strcmp(channel, "bulletin")) {
			if (!has_issue)
				verrs_add(&v, "/issue", "is required for a bulletin: its issue");
			if (!has_copies)
				verrs_add(&v, "/copies", "is required for a bulletin: the issue's print run");
		} else {
			if (has_issue && strcmp(channel, "press"))
				verrs_add(&v, "/issue", "is only for a bulletin's issue or a press outlet");
			if (has_copies)
				verrs_add(&v, "/copies", "is only for a bulletin");
		}
	}
	if (v.n)
		return (void)common_invalid_reply(r, &v, "The publication is invalid.");
	PGresult *item = visible_item_or_reply(r);
	if (!item)
		return;
	const char *unit = db_get(item, 0, "unit_id");
	const char *published_on = db_get(item, 0, "published_on");
	const char *day = json_member_str(r->json, "published_on");
	char today[11];
	calendar_format(workcal_today(), today);
	if (!common_unit_staff(r, unit)) {
		PQclear(item);
		problem_reply(r, 403, "forbidden", "Only the staff of the item's unit may record where it was published.");
		return;
	}
	if (strcmp(db_get(item, 0, "kind"), "information") || strcmp(db_get(item, 0, "status"), "published")) {
		PQclear(item);
		problem_reply(r, 409, "conflict", "Only a published information item is recorded as published elsewhere.");
		return;
	}
	if (strcmp(day, published_on) < 0)
		verrs_add(&v, "/published_on", "must not be before the item was published (%.10s)", published_on);
	else if (strcmp(day, today) > 0)
		verrs_add(&v, "/published_on", "must not be in the future");
	PQclear(item);
	if (v.n)
		return (void)common_invalid_reply(r, &v, "The publication is invalid.");
	json_t *cj = json_object_get(r->json, "copies");
	if (json_is_integer(cj))
		snprintf(copies, sizeof copies, "%lld", (long long)json_integer_value(cj));
	const char *p[] = { r->path_params[0], json_member_str(r->json, "channel"), day,
			    json_member_str(r->json, "issue"), json_is_integer(cj) ? copies : NULL,
			    json_member_str(r->json, "note"), r->claims.sub };
	if (db_begin_or_reply(r))
		return;
	PGresult *res = db_exec(r->db, &ins, 7, p);
	if (!res) {
		if (!strcmp(r->db->sqlstate, SQLSTATE_UNIQUE)) {
			db_rollback(r->db);
			problem_reply(r, 409, "conflict", "The item's publication through this channel is recorded already.");
			return;
		}
		db_error_reply(r);
		return;
	}
	if (common_audit_commit_or_reply(r, "item.publication", "item", r->path_params[0],
					 json_pack("{s:s, s:s, s:s}", "id", db_get(res, 0, "id"),
						   "channel", p[1], "published_on", day))) {
		PQclear(res);
		return;
	}
	struct buf out = { 0 };
	buf_puts(&out, db_get(res, 0, "j"));
	http_header(r, "Location", "/v1/items/%s/publications", r->path_params[0]);
	http_header(r, "ETag", "\"1\""); /* a record never changes */
	http_json_text(r, 201, &out);
	buf_free(&out);
	PQclear(res);
}
