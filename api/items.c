/* items.c - the catalogue: service items and disclosed information, their
 * review life cycle (draft -> pending_review -> published | draft;
 * published -> withdrawn), search and keyset lists.
 * operationIds listItems, createItem, getItem, updateItem, submitItem,
 * reviewItem, withdrawItem. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "opengov/api/handlers.h"
#include "opengov/api/common.h"
#include "opengov/base/rcache.h"
#include "opengov/base/cursor.h"
#include "opengov/db/jsonw.h"
#include "opengov/base/log.h"
#include "opengov/domain/formschema.h"
#include "opengov/base/msg.h"
#include "opengov/domain/calendar.h"
#include "opengov/domain/workcal.h"
#include "opengov/base/config.h"

static const char *const item_kinds[] = { "service", "information", NULL };
static const char *const service_categories[] = {
	"administrative_license", "non_administrative_license", "public_service",
	"referral", NULL
};
static const char *const all_categories[] = {
	"administrative_license", "non_administrative_license", "public_service",
	"referral", "general", "project", "regulation", "work_dynamic",
	"personnel", "financial", "business", "annual_report", NULL
};
static const char *const item_statuses[] = { "draft", "pending_review",
					     "published", "withdrawn", NULL };
static const char *const decisions[] = { "approve", "reject", NULL };
/* What kind of normative document an information item is, for table 二 of
 * the annual report form (Art. 20(1)): a rule (规章) or an administrative
 * normative document (行政规范性文件); null for anything else. */
static const char *const document_types[] = { "rule", "normative_document", NULL };

/* The catalogue's columns (sql/031): the index number given at publication,
 * the day the document was made, the day Art. 26 had it published by and
 * whether it came out later. */
#define ITEM_CATALOGUE_COLUMNS \
	" index_number, to_char(made_on, 'YYYY-MM-DD') AS made_on," \
	" to_char(publish_due, 'YYYY-MM-DD') AS publish_due, published_late"

#define ITEM_COLUMNS \
	"id, kind, unit_id, category, status, title, title_en, summary, body," \
	" document_number, code, legal_basis, statutory_days, committed_days," \
	" materials, fee, online, rfc3339(published_at) AS published_at," \
	" rfc3339(created_at) AS created_at, rfc3339(updated_at) AS updated_at," \
	" submitted_by, rfc3339(submitted_at) AS submitted_at, reviewed_by," \
	" rfc3339(reviewed_at) AS reviewed_at, review_decision, review_comment," \
	" rfc3339(withdrawn_at) AS withdrawn_at, withdraw_reason, created_by, version," \
	" (extract(epoch FROM sort_at) * 1000000)::bigint AS sort_us, document_type," \
	" to_char(abolished_on, 'YYYY-MM-DD') AS abolished_on, form_schema," ITEM_CATALOGUE_COLUMNS

/* The list leaves out the body and the form: pages stay small; GET one
 * item for them. */
#define ITEM_LIST_COLUMNS \
	"id, kind, unit_id, category, status, title, title_en, summary, NULL::text AS body," \
	" document_number, code, legal_basis, statutory_days, committed_days," \
	" materials, fee, online, rfc3339(published_at) AS published_at," \
	" rfc3339(created_at) AS created_at, rfc3339(updated_at) AS updated_at," \
	" submitted_by, rfc3339(submitted_at) AS submitted_at, reviewed_by," \
	" rfc3339(reviewed_at) AS reviewed_at, review_decision, review_comment," \
	" rfc3339(withdrawn_at) AS withdrawn_at, withdraw_reason, created_by, version," \
	" (extract(epoch FROM sort_at) * 1000000)::bigint AS sort_us, document_type," \
	" to_char(abolished_on, 'YYYY-MM-DD') AS abolished_on, NULL::json AS form_schema," \
	ITEM_CATALOGUE_COLUMNS

static const char *check_material_code(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || strchr("_-", *s)))
			return N_("may hold only letters, digits, '_' and '-'");
	return NULL;
}

/* A day a document was made: a date, not after today. */
static const char *check_made_on(const char *s)
{
	int day;

	if (calendar_parse(s, &day))
		return N_("must be a date, YYYY-MM-DD");
	return day > workcal_today() ? N_("must not be in the future") : NULL;
}

static const struct field service_fields[] = {
	{ "kind", FT_ENUM, F_REQUIRED | F_FIXED, 0, 0, item_kinds, NULL, NULL },
	{ "unit_id", FT_UUID, F_FIXED, 0, 0, NULL, NULL, NULL },
	{ "category", FT_ENUM, F_REQUIRED, 0, 0, service_categories, NULL, NULL },
	{ "code", FT_STRING, F_REQUIRED, 1, 64, NULL, check_code_value, NULL },
	{ "name", FT_STRING, F_REQUIRED, 1, 300, NULL, NULL, NULL },
	{ "name_en", FT_STRING, F_NULLABLE, 1, 300, NULL, NULL, NULL },
	{ "summary", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL, NULL },
	{ "legal_basis", FT_STRING, F_REQUIRED, 1, 2000, NULL, NULL, NULL },
	{ "statutory_days", FT_INT, F_REQUIRED, 1, 365, NULL, NULL, NULL },
	{ "committed_days", FT_INT, F_REQUIRED, 1, 365, NULL, NULL, NULL },
	{ "materials", FT_ARRAY, F_REQUIRED, 0, 50, NULL, NULL, NULL },
	{ "fee", FT_NUMBER, F_REQUIRED, 0, 10000000, NULL, NULL, NULL },
	{ "online", FT_BOOL, F_REQUIRED, 0, 0, NULL, NULL, NULL },
	{ "form_schema", FT_OBJECT, F_NULLABLE, 0, 0, NULL, NULL, NULL },
	END_FIELDS,
};

static const struct field information_fields[] = {
	{ "kind", FT_ENUM, F_REQUIRED | F_FIXED, 0, 0, item_kinds, NULL, NULL },
	{ "unit_id", FT_UUID, F_FIXED, 0, 0, NULL, NULL, NULL },
	{ "category", FT_ENUM, F_REQUIRED, 0, 0, common_information_categories, NULL, NULL },
	{ "title", FT_STRING, F_REQUIRED, 1, 300, NULL, NULL, NULL },
	{ "title_en", FT_STRING, F_NULLABLE, 1, 300, NULL, NULL, NULL },
	{ "summary", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL, NULL },
	{ "body", FT_STRING, F_REQUIRED, 1, 200000, NULL, NULL, NULL },
	{ "document_number", FT_STRING, F_NULLABLE, 1, 100, NULL, NULL, NULL },
	{ "document_type", FT_ENUM, F_NULLABLE, 0, 0, document_types, NULL, NULL },
	/* The day the document was made (Art. 26: published within 20
	 * working days of it). */
	{ "made_on", FT_STRING, F_NULLABLE, 10, 10, NULL, check_made_on, NULL },
	END_FIELDS,
};

static const struct field material_fields[] = {
	{ "code", FT_STRING, F_REQUIRED, 1, 32, NULL, check_material_code, NULL },
	{ "name", FT_STRING, F_REQUIRED, 1, 200, NULL, NULL, NULL },
	{ "required", FT_BOOL, F_REQUIRED, 0, 0, NULL, NULL, NULL },
	END_FIELDS,
};

static const struct field review_fields[] = {
	{ "decision", FT_ENUM, F_REQUIRED, 0, 0, decisions, NULL, NULL },
	{ "comment", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL, NULL },
	END_FIELDS,
};

static const struct field withdraw_fields[] = {
	{ "reason", FT_STRING, F_REQUIRED, 1, 2000, NULL, NULL, NULL },
	END_FIELDS,
};


/* The columns of ITEM_COLUMNS and ITEM_LIST_COLUMNS, in their order: a
 * page of items is written by position, not by looking names up. */
enum item_col {
	IC_ID, IC_KIND, IC_UNIT_ID, IC_CATEGORY, IC_STATUS, IC_TITLE, IC_TITLE_EN,
	IC_SUMMARY, IC_BODY, IC_DOCUMENT_NUMBER, IC_CODE, IC_LEGAL_BASIS,
	IC_STATUTORY_DAYS, IC_COMMITTED_DAYS, IC_MATERIALS, IC_FEE, IC_ONLINE,
	IC_PUBLISHED_AT, IC_CREATED_AT, IC_UPDATED_AT, IC_SUBMITTED_BY,
	IC_SUBMITTED_AT, IC_REVIEWED_BY, IC_REVIEWED_AT, IC_REVIEW_DECISION,
	IC_REVIEW_COMMENT, IC_WITHDRAWN_AT, IC_WITHDRAW_REASON, IC_CREATED_BY,
	IC_VERSION, IC_SORT_US, IC_DOCUMENT_TYPE, IC_ABOLISHED_ON, IC_FORM_SCHEMA,
	IC_INDEX_NUMBER, IC_MADE_ON, IC_PUBLISH_DUE, IC_PUBLISHED_LATE, IC__MAX
};

/* Writes "key": value-of-column. */
static void put(struct buf *b, bool *first, const char *key, const PGresult *res, int row,
		enum item_col col)
{
	jw_key(b, first, key);
	jw_value(b, res, row, (int)col);
}

/* The item as clients see it: the fields of its kind, and the workflow
 * to those who may see it. */
/* The names the positions stand for, checked once per worker against the
 * result: a column list edited out of step is a programming error. */
static const char *const item_col_names[IC__MAX] = {
	"id", "kind", "unit_id", "category", "status", "title", "title_en", "summary",
	"body", "document_number", "code", "legal_basis", "statutory_days",
	"committed_days", "materials", "fee", "online", "published_at", "created_at",
	"updated_at", "submitted_by", "submitted_at", "reviewed_by", "reviewed_at",
	"review_decision", "review_comment", "withdrawn_at", "withdraw_reason",
	"created_by", "version", "sort_us", "document_type", "abolished_on", "form_schema",
	"index_number", "made_on", "publish_due", "published_late",
};

static void check_item_columns(const PGresult *res)
{
	static bool checked;

	if (checked)
		return;
	for (int i = 0; i < IC__MAX; i++)
		if (i >= PQnfields(res) || strcmp(PQfname(res, i), item_col_names[i])) {
			log_error("items: column %d is not %s", i, item_col_names[i]);
			abort();
		}
	checked = true;
}

static void item_write(struct buf *b, const struct req *r, const PGresult *res, int row,
		       bool with_body)
{
	check_item_columns(res);
	const char *unit = PQgetvalue(res, row, IC_UNIT_ID);
	bool service = !strcmp(PQgetvalue(res, row, IC_KIND), "service");
	bool first = true;

	buf_append(b, "{", 1);
	put(b, &first, "id", res, row, IC_ID);
	put(b, &first, "kind", res, row, IC_KIND);
	put(b, &first, "unit_id", res, row, IC_UNIT_ID);
	put(b, &first, "category", res, row, IC_CATEGORY);
	put(b, &first, "status", res, row, IC_STATUS);
	if (service) {
		put(b, &first, "code", res, row, IC_CODE);
		put(b, &first, "name", res, row, IC_TITLE);
		put(b, &first, "name_en", res, row, IC_TITLE_EN);
		put(b, &first, "summary", res, row, IC_SUMMARY);
		put(b, &first, "legal_basis", res, row, IC_LEGAL_BASIS);
		put(b, &first, "statutory_days", res, row, IC_STATUTORY_DAYS);
		put(b, &first, "committed_days", res, row, IC_COMMITTED_DAYS);
		put(b, &first, "materials", res, row, IC_MATERIALS);
		put(b, &first, "fee", res, row, IC_FEE);
		put(b, &first, "online", res, row, IC_ONLINE);
		if (with_body)
			put(b, &first, "form_schema", res, row, IC_FORM_SCHEMA);
	} else {
		put(b, &first, "title", res, row, IC_TITLE);
		put(b, &first, "title_en", res, row, IC_TITLE_EN);
		put(b, &first, "summary", res, row, IC_SUMMARY);
		if (with_body)
			put(b, &first, "body", res, row, IC_BODY);
		put(b, &first, "document_number", res, row, IC_DOCUMENT_NUMBER);
		put(b, &first, "document_type", res, row, IC_DOCUMENT_TYPE);
		put(b, &first, "abolished_on", res, row, IC_ABOLISHED_ON);
		put(b, &first, "index_number", res, row, IC_INDEX_NUMBER);
		put(b, &first, "made_on", res, row, IC_MADE_ON);
		put(b, &first, "publish_due", res, row, IC_PUBLISH_DUE);
		put(b, &first, "published_late", res, row, IC_PUBLISHED_LATE);
	}
	put(b, &first, "published_at", res, row, IC_PUBLISHED_AT);
	put(b, &first, "created_at", res, row, IC_CREATED_AT);
	put(b, &first, "updated_at", res, row, IC_UPDATED_AT);
	if (common_sees_workflow(r, unit)) {
		static const struct { const char *key; enum item_col col; } wf[] = {
			{ "created_by", IC_CREATED_BY }, { "submitted_by", IC_SUBMITTED_BY },
			{ "submitted_at", IC_SUBMITTED_AT }, { "reviewed_by", IC_REVIEWED_BY },
			{ "reviewed_at", IC_REVIEWED_AT }, { "review_decision", IC_REVIEW_DECISION },
			{ "review_comment", IC_REVIEW_COMMENT }, { "withdrawn_at", IC_WITHDRAWN_AT },
			{ "withdraw_reason", IC_WITHDRAW_REASON },
		};
		bool wfirst = true;
		jw_key(b, &first, "workflow");
		buf_append(b, "{", 1);
		for (size_t i = 0; i < sizeof wf / sizeof wf[0]; i++)
			put(b, &wfirst, wf[i].key, res, row, wf[i].col);
		buf_append(b, "}", 1);
	}
	buf_append(b, "}", 1);
}

static void item_reply(struct req *r, int status, const PGresult *res)
{
	struct buf body = { 0 };

	item_write(&body, r, res, 0, true);
	http_json_text(r, status, &body);
	buf_free(&body);
}

static void not_found(struct req *r)
{
	problem_reply(r, 404, "not-found", "There is no such item.");
}

/* Checks one materials list: entries well formed, codes unique. */
static void check_materials(const json_t *arr, struct verrs *v)
{
	size_t i;
	json_t *m;
	char ptr[96];

	if (!json_is_array(arr))
		return;
	json_array_foreach(arr, i, m) {
		struct verrs inner = { 0 };
		if (validate_object(m, material_fields, &inner)) {
			for (int k = 0; k < inner.n; k++) {
				snprintf(ptr, sizeof ptr, "/materials/%zu%.60s", i, inner.e[k].pointer);
				verrs_put(v, ptr, &inner.e[k]);
			}
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(json_member_str(json_array_get(arr, j), "code"), json_member_str(m, "code"))) {
				snprintf(ptr, sizeof ptr, "/materials/%zu/code", i);
				verrs_add(v, ptr, "repeats the code of entry %zu", j);
			}
	}
}

/* Checks the application form of a service item's body (docs/forms.md):
 * the supported subset, within its size. Returns its compact text to store
 * (the caller frees it), or NULL when absent or null. */
static char *check_form_schema(const json_t *body, struct verrs *v)
{
	json_t *schema = json_object_get(body, "form_schema");

	if (!json_is_object(schema) || formschema_check(schema, "/form_schema", v))
		return NULL;
	char *text = json_dumps(schema, JSON_COMPACT);
	if (text && strlen(text) > FORMSCHEMA_MAX_BYTES) {
		verrs_add(v, "/form_schema", "must not exceed 64 KiB");
		free(text);
		return NULL;
	}
	return text;
}

struct item_filters {
	const char *kind, *category, *unit, *status, *online, *from, *to, *since;
	char *since_ids; /* common_since_ids_or_reply */
	bool from_date, to_date, has_q;
	char q[512];
	char pattern[1040];
	char after[2][CURSOR_PART_MAX];
};

/* Appends the conditions every list query shares: who sees what, the
 * filters, the cursor. */
static void list_conditions(const struct req *r, const struct item_filters *f,
			    struct sqlb *b)
{
	/* The literal 'published' lets the planner use the partial indexes of
	 * the public catalogue. */
	if (req_sees_everything(r)) {
		sqlb_add(b, "true");
	} else if (req_is_unit_staff(r)) {
		sqlb_add(b, "(status = 'published' OR unit_id = ");
		sqlb_param(b, r->claims.unit, "uuid");
		sqlb_add(b, ")");
	} else {
		sqlb_add(b, "status = 'published'");
	}
	sqlb_and_eq(b, "kind", f->kind, NULL);
	sqlb_and_eq(b, "category", f->category, NULL);
	sqlb_and_eq(b, "unit_id", f->unit, "uuid");
	sqlb_and_eq(b, "status", f->status, NULL);
	sqlb_and_eq(b, "online", f->online, "boolean");
	/* published_at bounds also bound sort_at (equal for published items),
	 * which is what the indexes are ordered by. */
	if (f->from) {
		sqlb_add(b, " AND published_at >= ");
		sqlb_param(b, f->from, "timestamptz");
		sqlb_add(b, " AND sort_at >= ");
		sqlb_param(b, f->from, "timestamptz");
	}
	if (f->to) {
		const char *cmp = f->to_date ? " < (" : " <= ";
		const char *cast = f->to_date ? "date + 1)::timestamptz" : "timestamptz";
		sqlb_add(b, " AND published_at");
		sqlb_add(b, cmp);
		sqlb_param(b, f->to, cast);
		sqlb_add(b, " AND sort_at");
		sqlb_add(b, cmp);
		sqlb_param(b, f->to, cast);
	}
	common_and_since(b, "updated_at", "id", f->since, f->since_ids);
	if (f->after[0][0]) {
		sqlb_add(b, " AND (sort_at, id) < (timestamptz 'epoch' + ");
		sqlb_param(b, f->after[0], "bigint");
		sqlb_add(b, " * interval '1 microsecond', ");
		sqlb_param(b, f->after[1], "uuid");
		sqlb_add(b, ")");
	}
}

#define LIST_ORDER " ORDER BY sort_at DESC, id DESC LIMIT "

/* What a search tests for the substring. */
static const char *const search_columns[] = { "title", "summary", "document_number", NULL };

static PGresult *run(struct req *r, struct sqlb *b, bool cached)
{
	PGresult *res = cached ? db_exec_cached(r->db, b->sql.data, b->n, b->params)
			       : db_exec_params(r->db, b->sql.data, b->n, b->params);

	sqlb_free(b);
	return res;
}

/* Search takes one of two paths, chosen by how common q's rarest bigram
 * is (search_token_frequencies()). Rare (in under 1% of the items): the
 * search index finds every row holding all bigrams of q, at most 1% of
 * the catalogue; the substring test keeps the rows holding q. Common: the
 * newest 2,000 candidates in list order, filtered by substring, which fill
 * a page of a common word after a few hundred rows. When they do not (q's
 * bigrams are common but q itself is rare, "关于 做好"), the index would
 * read most of the catalogue for a page: the page then ends with what the
 * 2,000 held, possibly nothing, and its next_cursor continues after the
 * last candidate read (search_window returns it with the page). Every
 * search reads at most 2,000 rows or 1% of the catalogue, whatever q is.
 * (Left to itself the planner multiplies bigram frequencies, takes a
 * common four-character phrase for a rare one and reads 100,000 rows for
 * a page.) */
#define SEARCH_WINDOW_SQL "2000"

/* The newest SEARCH_WINDOW_SQL candidates in list order that hold q, at
 * most lim; when fewer, then the window's last candidate as one more row
 * (window_end true), whose key the page's next_cursor continues after.
 * One statement: UNION ALL runs its second part only when the first gave
 * fewer than lim rows, so a word in every item reads a page's worth and
 * no more, and a rare phrase gets the window's end without a second
 * round trip (the end's key from the index alone, then its row by id). */
static PGresult *search_window(struct req *r, const struct item_filters *f, const char *lim)
{
	struct sqlb b = { 0 };

	sqlb_add(&b, "(SELECT " ITEM_LIST_COLUMNS ", false AS window_end FROM (SELECT * FROM items WHERE ");
	list_conditions(r, f, &b);
	sqlb_add(&b, LIST_ORDER SEARCH_WINDOW_SQL ") AS items WHERE ");
	sqlb_substring(&b, search_columns, f->q, f->pattern);
	sqlb_add(&b, LIST_ORDER);
	sqlb_param(&b, lim, "int");
	sqlb_add(&b, ") UNION ALL (SELECT " ITEM_LIST_COLUMNS ", true FROM items WHERE id ="
		     " (SELECT id FROM items WHERE ");
	list_conditions(r, f, &b);
	sqlb_add(&b, " ORDER BY sort_at DESC, id DESC OFFSET " SEARCH_WINDOW_SQL " - 1 LIMIT 1)) LIMIT ");
	sqlb_param(&b, lim, "int");
	return run(r, &b, true);
}

/* Takes search_window's window-end row off its result: its key, when the
 * window was full (*full), for the next cursor of a short page. Returns
 * how many rows are the page's. */
static int search_window_end(const PGresult *res, char key[2][CURSOR_PART_MAX], bool *full)
{
	int n = PQntuples(res);
	const char *end = n ? db_get(res, n - 1, "window_end") : NULL;

	*full = false;
	if (!end || strcmp(end, "t"))
		return n;
	snprintf(key[0], CURSOR_PART_MAX, "%s", db_get(res, n - 1, "sort_us"));
	snprintf(key[1], CURSOR_PART_MAX, "%s", db_get(res, n - 1, "id"));
	*full = true;
	return n - 1;
}

/* Rare words: a bitmap scan of the search index is the plan, and it is
 * the one kept. */
static PGresult *search_all(struct req *r, const struct item_filters *f, const char *lim)
{
	struct sqlb b = { 0 };

	sqlb_add(&b, "WITH m AS MATERIALIZED (SELECT id, sort_at FROM items WHERE ");
	list_conditions(r, f, &b);
	sqlb_add(&b, " AND (search_tokens(item_search_text(title, summary, document_number))"
		     " COLLATE \"C\") @> search_query_tokens(lower(");
	sqlb_param(&b, f->q, "text");
	sqlb_add(&b, ")) AND ");
	sqlb_substring(&b, search_columns, f->q, f->pattern);
	/* The page is chosen from the matches' keys; only its rows are read. */
	sqlb_add(&b, "), top AS (SELECT id FROM m" LIST_ORDER);
	sqlb_param(&b, lim, "int");
	sqlb_add(&b, ") SELECT " ITEM_LIST_COLUMNS " FROM items WHERE id IN (SELECT id FROM top)"
		     " ORDER BY sort_at DESC, id DESC");
	return run(r, &b, true);
}

/* How common the search tokens are (search_token_frequencies(), from the
 * statistics ANALYZE keeps), loaded by each worker and refreshed every few
 * minutes. A token that is not listed is rarer than every listed one. */
#define FREQ_MAX 2048
#define FREQ_REFRESH 300
#define FREQ_COMMON 0.01 /* 1% of items: the newest 2,000 hold about 20 */

struct token_freq {
	char token[16];
	float frequency;
};

static struct token_freq freqs[FREQ_MAX];
static int nfreqs;
static time_t freqs_loaded;

static void load_frequencies(struct req *r)
{
	DB_STMT(st, "search_freqs",
		"SELECT token, frequency FROM search_token_frequencies() LIMIT 2048");
	time_t now = time(NULL);

	if (freqs_loaded && now - freqs_loaded < FREQ_REFRESH)
		return;
	freqs_loaded = now; /* also when it fails: no retry storm */
	PGresult *res = db_exec(r->db, &st, 0, NULL);
	if (!res)
		return;
	nfreqs = 0;
	for (int i = 0; i < PQntuples(res) && nfreqs < FREQ_MAX; i++) {
		const char *t = PQgetvalue(res, i, 0);
		if (strlen(t) >= sizeof freqs[0].token)
			continue;
		strcpy(freqs[nfreqs].token, t);
		freqs[nfreqs].frequency = strtof(PQgetvalue(res, i, 1), NULL);
		nfreqs++;
	}
	PQclear(res);
}

static float token_frequency(const char *tok, size_t len)
{
	for (int i = 0; i < nfreqs; i++)
		if (strlen(freqs[i].token) == len && !memcmp(freqs[i].token, tok, len))
			return freqs[i].frequency;
	return 0;
}

static size_t utf8_char_len(const char *p)
{
	unsigned char c = (unsigned char)*p;

	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* An upper bound of the share of items holding q: the frequency of its
 * rarest bigram (or, for one character, of the character). 1 when q has
 * no token the index knows (a lone ASCII character: in every document). */
static float query_frequency(const char *q)
{
	char low[512];
	float best = 1;
	bool any = false;
	size_t n = strlen(q);

	if (n >= sizeof low)
		return 1;
	for (size_t i = 0; i <= n; i++)
		low[i] = (q[i] >= 'A' && q[i] <= 'Z') ? (char)(q[i] + 32) : q[i];
	for (const char *p = low; *p; p += utf8_char_len(p)) {
		const char *next = p + utf8_char_len(p);
		if (*p == ' ' || !*next || *next == ' ')
			continue;
		float f = token_frequency(p, (size_t)(next - p) + utf8_char_len(next));
		best = any && best < f ? best : f;
		any = true;
	}
	if (any)
		return best;
	for (const char *p = low; *p; p += utf8_char_len(p)) {
		if ((unsigned char)*p < 0x80)
			continue;
		float f = token_frequency(p, utf8_char_len(p));
		best = any && best < f ? best : f;
		any = true;
	}
	return any ? best : 1;
}

static bool item_row_visible(const struct req *r, const PGresult *res);

DB_STMT(item_by_id, "items_get",
	"SELECT " ITEM_COLUMNS " FROM items WHERE id = $1");

/* Published items are the public catalogue. */
static const struct published item_resource = {
	.name = "items", .by_id = &item_by_id, .not_found = "There is no such item.",
	.etag = common_version_etag, .write = item_write,
};

/* GET /v1/items - listItems: 200, 304, 400, 401. Newest published first,
 * ties by id; filters kind, category, unit, status, online,
 * published_from/to, q, updated_since. */
void api_items_list(struct req *r)
{
	struct item_filters f = { 0 };
	char lim[16], window_end[2][CURSOR_PART_MAX];
	int limit, n = 0;
	bool window_full = false;
	PGresult *res = NULL;

	if (query_limit_or_reply(r, &limit) ||
	    query_enum_or_reply(r, "kind", item_kinds, &f.kind) ||
	    query_enum_or_reply(r, "category", all_categories, &f.category) ||
	    query_uuid_or_reply(r, "unit", &f.unit) ||
	    query_enum_or_reply(r, "status", item_statuses, &f.status) ||
	    query_bool_or_reply(r, "online", &f.online) ||
	    query_when_or_reply(r, "published_from", &f.from, &f.from_date) ||
	    query_when_or_reply(r, "published_to", &f.to, &f.to_date) ||
	    query_search_or_reply(r, "q", f.q, sizeof f.q, &f.has_q) ||
	    query_time_or_reply(r, "updated_since", &f.since) ||
	    query_time_cursor_or_reply(r, f.after))
		return;
	snprintf(lim, sizeof lim, "%d", limit + 1);

	struct published_page pg;
	if (common_published_list_cached(r, &item_resource, &pg))
		return;
	DB_STMT(changed, "items_changed_since",
		"SELECT coalesce(array_agg(id), '{}')::text AS ids, count(*) AS n FROM"
		" (SELECT id FROM items WHERE updated_at >= $1::timestamptz ORDER BY updated_at DESC"
		" LIMIT " COMMON_SINCE_LIMIT_SQL ") AS s");
	if (common_since_ids_or_reply(r, &changed, f.since, &f.since_ids))
		return;

	if (f.has_q) {
		sql_like_pattern(f.q, f.pattern, sizeof f.pattern);
		/* Common words: the newest items in order first; rare ones
		 * straight to the search index. */
		load_frequencies(r);
		bool common = query_frequency(f.q) >= FREQ_COMMON;
		res = common ? search_window(r, &f, lim) : search_all(r, &f, lim);
		n = res ? PQntuples(res) : 0;
		if (common && res)
			n = search_window_end(res, window_end, &window_full);
	} else {
		struct sqlb b = { 0 };
		sqlb_add(&b, "SELECT " ITEM_LIST_COLUMNS " FROM items WHERE ");
		list_conditions(r, &f, &b);
		sqlb_add(&b, LIST_ORDER);
		sqlb_param(&b, lim, "int");
		res = run(r, &b, true);
		n = res ? PQntuples(res) : 0;
	}
	free(f.since_ids);
	if (!res) {
		db_error_reply(r);
		return;
	}
	/* A short page of a search: more may follow the window's end. */
	const char *more[] = { window_end[0], window_end[1] };
	common_published_list_reply(r, &item_resource, &pg, res, n, limit,
				    window_full ? more : NULL);
	PQclear(res);
}

DB_STMT(item_lock, "items_lock",
	"SELECT " ITEM_COLUMNS " FROM items WHERE id = $1 FOR UPDATE");

/* GET /v1/items/{id} - getItem: 200, 304, 401, 404. Anonymous readers of
 * published items may be served from caches for a minute. Anonymous and
 * public callers see published items only, all in the same form: theirs
 * are served from the worker's cache while no item changed. */
void api_items_get(struct req *r)
{
	common_published_get(r, &item_resource);
}

/* GET /v1/items/{id}/form-schema - getItemFormSchema: 200, 304, 401, 404
 * (no such item, not one the caller may see, or no form). The service
 * item's application form on its own, as application/schema+json, for a
 * client to link and validate forms with; it names its dialect. Its ETag
 * moves with the item's version. */
void api_items_form_schema(struct req *r)
{
	const char *id = r->path_params[0];
	char etag[48];

	if (!uuid_valid(id)) {
		not_found(r);
		return;
	}
	const char *p[] = { id };
	PGresult *res = db_exec_or_reply(r, &item_by_id, 1, p);
	if (!res)
		return;
	if (PQntuples(res) != 1 || !item_row_visible(r, res)) {
		PQclear(res);
		not_found(r);
		return;
	}
	const char *text = db_get(res, 0, "form_schema");
	json_t *schema = text ? json_loads(text, 0, NULL) : NULL;
	if (!schema) {
		PQclear(res);
		problem_reply(r, 404, "not-found", "The item has no application form.");
		return;
	}
	bool published = !strcmp(db_get(res, 0, "status"), "published");
	common_version_etag(res, 0, etag, sizeof etag);
	PQclear(res);
	http_header(r, "Cache-Control", !r->authed && published ? "public, max-age=60"
								 : "private, no-cache");
	http_header(r, "Vary", "Authorization");
	if (!http_not_modified(r, etag)) {
		/* The dialect first, then the form as staff wrote it. */
		json_t *doc = json_pack("{s:s}", "$schema", FORMSCHEMA_DIALECT);
		json_object_update(doc, schema);
		char *out = json_dumps(doc, JSON_COMPACT);
		http_text(r, 200, "application/schema+json", out, strlen(out));
		free(out);
		json_decref(doc);
	}
	json_decref(schema);
}

/* Answers 201 with item id, just made and committed by another resource's
 * handler (createItemFromDisclosureLogEntry, api/disclosure_log.c): its
 * Location, ETag and the item as its unit's staff read it. */
void items_created_reply(struct req *r, const char *id)
{
	char etag[32], loc[96];
	const char *p[] = { id };
	PGresult *res = db_exec_or_reply(r, &item_by_id, 1, p);

	if (!res)
		return;
	if (PQntuples(res) != 1) {
		PQclear(res);
		not_found(r);
		return;
	}
	common_version_etag(res, 0, etag, sizeof etag);
	snprintf(loc, sizeof loc, "/v1/items/%s", id);
	http_header(r, "Location", "%s", loc);
	http_header(r, "ETag", "%s", etag);
	item_reply(r, 201, res);
	PQclear(res);
}

static bool item_row_visible(const struct req *r, const PGresult *res)
{
	return common_published_visible(r, db_get(res, 0, "unit_id"), db_get(res, 0, "status"));
}

/* Loads the item for a change inside the caller's transaction, locked.
 * Answers 404 when the caller cannot see it, 403 when they can see it but
 * it belongs to another unit. Returns the row or NULL (answered). */
static PGresult *lock_own_item_or_reply(struct req *r)
{
	PGresult *res = common_lock_or_reply(r, &item_lock, item_row_visible,
					     item_resource.not_found);
	if (!res)
		return NULL;
	if (!common_unit_staff(r, db_get(res, 0, "unit_id"))) {
		PQclear(res);
		db_rollback(r->db);
		problem_reply(r, 403, "forbidden", "Only the staff of the item's unit may change it.");
		return NULL;
	}
	return res;
}

/* Ends a change: audit entry, commit, the item with its new ETag. */
static void finish_change(struct req *r, PGresult *res, int status_code,
			  const char *action, json_t *detail)
{
	char etag[32], loc[96];
	const char *id = db_get(res, 0, "id");

	if (common_audit_commit_or_reply(r, action, "item", id, detail))
		return;
	common_version_etag(res, 0, etag, sizeof etag);
	snprintf(loc, sizeof loc, "/v1/items/%s", id);
	http_header(r, status_code == 201 ? "Location" : "Content-Location", "%s", loc);
	http_header(r, "ETag", "%s", etag);
	item_reply(r, status_code, res);
}

static void unique_or_error(struct req *r)
{
	if (!strcmp(r->db->sqlstate, SQLSTATE_UNIQUE)) {
		db_rollback(r->db);
		problem_reply(r, 409, "conflict", "Another service item already has this code.");
		return;
	}
	if (!strcmp(r->db->sqlstate, SQLSTATE_CHECK)) {
		db_rollback(r->db);
		problem_reply(r, 422, "validation", "The item breaks a rule of the catalogue.");
		return;
	}
	db_error_reply(r);
}

static char *dump_or_null(json_t *j)
{
	return j ? json_dumps(j, JSON_COMPACT) : NULL;
}

/* Reads a number member as text for PostgreSQL (NULL when absent). */
static const char *number_text(const json_t *o, const char *name, char *buf, size_t len)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_number(v))
		return NULL;
	snprintf(buf, len, "%.2f", json_number_value(v));
	return buf;
}

static const char *int_text(const json_t *o, const char *name, char *buf, size_t len)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_integer(v))
		return NULL;
	snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	return buf;
}

static const char *bool_text(const json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return json_is_boolean(v) ? (json_is_true(v) ? "true" : "false") : NULL;
}

/* POST /v1/items - createItem (clerk, approver of the unit): 201, 401, 403,
 * 409 (code taken), 415, 422. Items are born drafts. */
void api_items_create(struct req *r)
{
	DB_STMT(ins, "items_insert",
		"INSERT INTO items (kind, unit_id, category, title, title_en, summary, body,"
		" document_number, code, legal_basis, statutory_days, committed_days, materials,"
		" fee, online, created_by, document_type, form_schema, made_on)"
		" VALUES (:kind, :unit_id, :category, :title, :title_en, :summary, :body,"
		" :document_number, :code, :legal_basis, :statutory_days, :committed_days,"
		" :materials::jsonb, :fee, :online, :created_by, :document_type, :form_schema::json,"
		" :made_on::date)"
		" RETURNING " ITEM_COLUMNS);
	struct verrs v = { 0 };
	const char *kind = json_member_str(r->json, "kind");
	char sd[24], cd[24], fee[48], *form_schema = NULL;

	if (!kind || choice_index(item_kinds, kind) < 0) {
		verrs_add(&v, "/kind", "is required: service or information");
		common_invalid_reply(r, &v, "The item is invalid.");
		return;
	}
	bool service = !strcmp(kind, "service");
	if (validate_object(r->json, service ? service_fields : information_fields, &v))
		return (void)common_invalid_reply(r, &v, "The item is invalid.");
	if (service) {
		check_materials(json_object_get(r->json, "materials"), &v);
		json_int_t s = json_integer_value(json_object_get(r->json, "statutory_days"));
		json_int_t c = json_integer_value(json_object_get(r->json, "committed_days"));
		if (c > s)
			verrs_add(&v, "/committed_days", "must not exceed statutory_days (%lld)",
				  (long long)s);
		form_schema = check_form_schema(r->json, &v);
		if (v.n) {
			free(form_schema);
			return (void)common_invalid_reply(r, &v, "The item is invalid.");
		}
	}
	const char *unit = json_member_str(r->json, "unit_id");
	if (unit && strcasecmp(unit, r->claims.unit)) {
		free(form_schema);
		problem_reply(r, 403, "forbidden", "Staff create items for their own unit only.");
		return;
	}
	char *materials = service ? dump_or_null(json_object_get(r->json, "materials")) : NULL;
	const char *category = json_member_str(r->json, "category");
	struct db_args a = { 0 };
	DB_ARG(&a, ins, "kind", kind);
	DB_ARG(&a, ins, "unit_id", r->claims.unit);
	DB_ARG(&a, ins, "category", category);
	DB_ARG(&a, ins, "title", json_member_str(r->json, service ? "name" : "title"));
	DB_ARG(&a, ins, "title_en", json_member_str(r->json, service ? "name_en" : "title_en"));
	DB_ARG(&a, ins, "summary", json_member_str(r->json, "summary"));
	DB_ARG(&a, ins, "body", json_member_str(r->json, "body"));
	DB_ARG(&a, ins, "document_number", json_member_str(r->json, "document_number"));
	DB_ARG(&a, ins, "code", json_member_str(r->json, "code"));
	DB_ARG(&a, ins, "legal_basis", json_member_str(r->json, "legal_basis"));
	DB_ARG(&a, ins, "statutory_days", int_text(r->json, "statutory_days", sd, sizeof sd));
	DB_ARG(&a, ins, "committed_days", int_text(r->json, "committed_days", cd, sizeof cd));
	DB_ARG(&a, ins, "materials", materials);
	DB_ARG(&a, ins, "fee", number_text(r->json, "fee", fee, sizeof fee));
	DB_ARG(&a, ins, "online", bool_text(r->json, "online"));
	DB_ARG(&a, ins, "created_by", r->claims.sub);
	DB_ARG(&a, ins, "document_type", json_member_str(r->json, "document_type"));
	DB_ARG(&a, ins, "form_schema", form_schema);
	DB_ARG(&a, ins, "made_on", json_member_str(r->json, "made_on"));
	if (db_begin_or_reply(r)) {
		free(materials);
		free(form_schema);
		return;
	}
	PGresult *res = db_exec_args(r->db, &ins, &a);
	free(materials);
	free(form_schema);
	if (!res) {
		unique_or_error(r);
		return;
	}
	finish_change(r, res, 201, "item.create",
		      json_pack("{s:s, s:s}", "kind", kind, "category", category));
	PQclear(res);
}

static void wrong_status(struct req *r, const char *action, const char *status);

/* PATCH /v1/items/{id} - updateItem (clerk, approver of the unit): 200, 401,
 * 403, 404, 409 (not a draft, or code taken), 412, 415, 422, 428. */
void api_items_update(struct req *r)
{
	DB_STMT(upd, "items_update",
		"UPDATE items SET category = coalesce(:category, category),"
		" title = coalesce(:title, title),"
		" title_en = CASE WHEN :set_title_en::boolean THEN :title_en ELSE title_en END,"
		" summary = CASE WHEN :set_summary::boolean THEN :summary ELSE summary END,"
		" body = coalesce(:body, body),"
		" document_number = CASE WHEN :set_document_number::boolean"
		"  THEN :document_number ELSE document_number END,"
		" code = coalesce(:code, code), legal_basis = coalesce(:legal_basis, legal_basis),"
		" statutory_days = coalesce(:statutory_days::int, statutory_days),"
		" committed_days = coalesce(:committed_days::int, committed_days),"
		" materials = coalesce(:materials::jsonb, materials), fee = coalesce(:fee::numeric, fee),"
		" online = coalesce(:online::boolean, online),"
		" document_type = CASE WHEN :set_document_type::boolean"
		"  THEN :document_type ELSE document_type END,"
		" form_schema = CASE WHEN :set_form_schema::boolean"
		"  THEN :form_schema::json ELSE form_schema END,"
		" made_on = CASE WHEN :set_made_on::boolean THEN :made_on::date ELSE made_on END,"
		" edited_by = CASE WHEN :editor = ANY (edited_by) THEN edited_by"
		"  ELSE edited_by || :editor END,"
		" version = version + 1, updated_at = now()"
		" WHERE id = :id RETURNING " ITEM_COLUMNS);
	struct verrs v = { 0 };
	char etag[32], sd[24], cd[24], fee[48], *form_schema = NULL;

	PGresult *cur = lock_own_item_or_reply(r);
	if (!cur)
		return;
	bool service = !strcmp(db_get(cur, 0, "kind"), "service");
	common_version_etag(cur, 0, etag, sizeof etag);
	if (http_if_match_or_reply(r, etag)) {
		PQclear(cur);
		db_rollback(r->db);
		return;
	}
	if (strcmp(db_get(cur, 0, "status"), "draft")) {
		wrong_status(r, "edited", db_get(cur, 0, "status"));
		PQclear(cur);
		db_rollback(r->db);
		return;
	}
	validate_patch(r->json, service ? service_fields : information_fields, &v);
	if (service && !v.n) {
		check_materials(json_object_get(r->json, "materials"), &v);
		json_t *sj = json_object_get(r->json, "statutory_days");
		json_t *cj = json_object_get(r->json, "committed_days");
		long long s = sj ? json_integer_value(sj) : db_get_ll(cur, 0, "statutory_days");
		long long c = cj ? json_integer_value(cj) : db_get_ll(cur, 0, "committed_days");
		if (c > s)
			verrs_add(&v, cj ? "/committed_days" : "/statutory_days",
				  "committed_days (%lld) must not exceed statutory_days (%lld)", c, s);
		form_schema = check_form_schema(r->json, &v);
	}
	if (v.n) {
		free(form_schema);
		PQclear(cur);
		db_rollback(r->db);
		common_invalid_reply(r, &v, "The change is invalid.");
		return;
	}
	PQclear(cur);
	const char *en = service ? "name_en" : "title_en";
	char *materials = dump_or_null(json_object_get(r->json, "materials"));
	struct db_args a = { 0 };
	/* set_x: whether x is in the patch, for the fields that may be set to null. */
	DB_ARG(&a, upd, "id", r->path_params[0]);
	DB_ARG(&a, upd, "category", json_member_str(r->json, "category"));
	DB_ARG(&a, upd, "title", json_member_str(r->json, service ? "name" : "title"));
	DB_ARG(&a, upd, "set_title_en", json_object_get(r->json, en) ? "true" : "false");
	DB_ARG(&a, upd, "title_en", json_member_str(r->json, en));
	DB_ARG(&a, upd, "set_summary", json_object_get(r->json, "summary") ? "true" : "false");
	DB_ARG(&a, upd, "summary", json_member_str(r->json, "summary"));
	DB_ARG(&a, upd, "body", json_member_str(r->json, "body"));
	DB_ARG(&a, upd, "set_document_number",
	       json_object_get(r->json, "document_number") ? "true" : "false");
	DB_ARG(&a, upd, "document_number", json_member_str(r->json, "document_number"));
	DB_ARG(&a, upd, "code", json_member_str(r->json, "code"));
	DB_ARG(&a, upd, "legal_basis", json_member_str(r->json, "legal_basis"));
	DB_ARG(&a, upd, "statutory_days", int_text(r->json, "statutory_days", sd, sizeof sd));
	DB_ARG(&a, upd, "committed_days", int_text(r->json, "committed_days", cd, sizeof cd));
	DB_ARG(&a, upd, "materials", materials);
	DB_ARG(&a, upd, "fee", number_text(r->json, "fee", fee, sizeof fee));
	DB_ARG(&a, upd, "online", bool_text(r->json, "online"));
	DB_ARG(&a, upd, "set_document_type",
	       json_object_get(r->json, "document_type") ? "true" : "false");
	DB_ARG(&a, upd, "document_type", json_member_str(r->json, "document_type"));
	DB_ARG(&a, upd, "set_form_schema", json_object_get(r->json, "form_schema") ? "true" : "false");
	DB_ARG(&a, upd, "form_schema", form_schema);
	DB_ARG(&a, upd, "set_made_on", json_object_get(r->json, "made_on") ? "true" : "false");
	DB_ARG(&a, upd, "made_on", json_member_str(r->json, "made_on"));
	DB_ARG(&a, upd, "editor", r->claims.sub);
	PGresult *res = db_exec_args(r->db, &upd, &a);
	free(materials);
	free(form_schema);
	if (!res) {
		unique_or_error(r);
		return;
	}
	json_t *fields = common_member_names(r->json);
	finish_change(r, res, 200, "item.update", json_pack("{s:o}", "fields", fields));
	PQclear(res);
}

/* Answers the 409 of a transition the current status does not allow. */
static void wrong_status(struct req *r, const char *action, const char *status)
{
	static const char *const from_draft[] = { "submit", "edit", NULL };
	static const char *const from_pending[] = { "review", NULL };
	static const char *const from_published[] = { "withdraw", NULL };
	static const char *const none[] = { NULL };
	const char *const *allowed = !strcmp(status, "draft") ? from_draft
				   : !strcmp(status, "pending_review") ? from_pending
				   : !strcmp(status, "published") ? from_published : none;
	char detail[400];
	const struct msg *m = msg_format(detail, sizeof detail, r->lang,
					 "The item is %s: it cannot be %s now.", status, action);

	conflict_reply_text(r, m ? m->code : NULL, detail, status, allowed);
}

DB_STMT(item_transition, "items_transition",
	"UPDATE items SET status = $2,"
	" submitted_by = CASE WHEN $2 = 'pending_review' THEN $3 ELSE submitted_by END,"
	" submitted_at = CASE WHEN $2 = 'pending_review' THEN now() ELSE submitted_at END,"
	" reviewed_by = CASE WHEN $4::text IS NOT NULL THEN $3 ELSE reviewed_by END,"
	" reviewed_at = CASE WHEN $4::text IS NOT NULL THEN now() ELSE reviewed_at END,"
	" review_decision = coalesce($4, review_decision),"
	" review_comment = CASE WHEN $4::text IS NOT NULL THEN $5 ELSE review_comment END,"
	" edited_by = CASE WHEN $4::text IS NOT NULL THEN '{}' ELSE edited_by END,"
	" published_at = CASE WHEN $2 = 'published' AND published_at IS NULL THEN now()"
	"  ELSE published_at END,"
	" withdrawn_at = CASE WHEN $2 = 'withdrawn' THEN now() ELSE withdrawn_at END,"
	" withdraw_reason = CASE WHEN $2 = 'withdrawn' THEN $5 ELSE withdraw_reason END,"
	" version = version + 1, updated_at = now()"
	" WHERE id = $1 RETURNING " ITEM_COLUMNS);

/* Moves the locked item cur to status `to` and answers. */
static void transition(struct req *r, PGresult *cur, const char *to,
		       const char *decision, const char *text, const char *action)
{
	const char *from = db_get(cur, 0, "status");
	DB_STMT(publish, "items_catalogue_publish", "SELECT catalogue_publish($1, $2)");
	const char *p[] = { r->path_params[0], to, r->claims.sub, decision, text };
	PGresult *res = db_exec_or_reply(r, &item_transition, 5, p);

	if (!res)
		return;
	/* Publication numbers the item in its unit's catalogue, judges its
	 * timeliness and records the portal as its channel (sql/031). */
	if (!strcmp(to, "published")) {
		const char *pp[] = { r->path_params[0], r->cfg->tz };
		PGresult *done = db_exec_or_reply(r, &publish, 2, pp);
		PQclear(res);
		if (!done)
			return;
		PQclear(done);
		if (!(res = db_exec_or_reply(r, &item_by_id, 1, pp)))
			return;
	}
	json_t *detail = json_pack("{s:s, s:s}", "from", from, "to", to);
	if (text)
		json_object_set_new(detail, decision ? "comment" : "reason", json_string(text));
	finish_change(r, res, 200, action, detail);
	PQclear(res);
}

/* POST /v1/items/{id}/submit - submitItem (clerk, approver of the unit):
 * 200, 401, 403, 404, 409 (not a draft). */
void api_items_submit(struct req *r)
{
	PGresult *cur = lock_own_item_or_reply(r);

	if (!cur)
		return;
	if (strcmp(db_get(cur, 0, "status"), "draft")) {
		wrong_status(r, "submitted", db_get(cur, 0, "status"));
		db_rollback(r->db);
	} else {
		transition(r, cur, "pending_review", NULL, NULL, "item.submit");
	}
	PQclear(cur);
}

/* Why the caller may not be the item's second person, or NULL: the
 * confidentiality review is by someone who neither wrote the item, nor
 * edited it since its last review, nor submitted it (in that order of
 * precedence, so that the answer names the strongest reason). Returns
 * NULL with *failed set after answering 5xx. */
static const char *not_second_person(struct req *r, const PGresult *cur, bool *failed)
{
	DB_STMT(st, "items_editors",
		"SELECT $2 = ANY (edited_by) AS editor FROM items WHERE id = $1");
	const char *author = db_get(cur, 0, "created_by");
	const char *submitter = db_get(cur, 0, "submitted_by");

	*failed = false;
	if (author && !strcmp(author, r->claims.sub))
		return N_("The confidentiality review needs a second person: you wrote this item.");
	const char *p[] = { r->path_params[0], r->claims.sub };
	PGresult *res = db_exec_or_reply(r, &st, 2, p);
	if (!res) {
		*failed = true;
		return NULL;
	}
	const char *editor = db_get(res, 0, "editor");
	bool edited = editor && !strcmp(editor, "t");
	PQclear(res);
	if (edited)
		return N_("The confidentiality review needs a second person: you edited this item"
		       " since its last review.");
	if (submitter && !strcmp(submitter, r->claims.sub))
		return N_("The confidentiality review needs a second person: you submitted this item.");
	return NULL;
}

/* POST /v1/items/{id}/review - reviewItem (approver of the unit who neither
 * wrote the item, nor edited it since its last review, nor submitted it):
 * 200, 401, 403, 404, 409 (not pending review), 415, 422. */
void api_items_review(struct req *r)
{
	struct verrs v = { 0 };
	bool failed;
	const char *why;

	if (validate_object(r->json, review_fields, &v))
		return (void)common_invalid_reply(r, &v, "The review is invalid.");
	const char *decision = json_member_str(r->json, "decision");
	const char *comment = json_member_str(r->json, "comment");
	if (!strcmp(decision, "reject") && (!comment || !*comment)) {
		verrs_add(&v, "/comment", "is required when rejecting: say what to change");
		return (void)common_invalid_reply(r, &v, "The review is invalid.");
	}
	PGresult *cur = lock_own_item_or_reply(r);
	if (!cur)
		return;
	const char *status = db_get(cur, 0, "status");
	if (strcmp(status, "pending_review")) {
		wrong_status(r, "reviewed", status);
		db_rollback(r->db);
	} else if ((why = not_second_person(r, cur, &failed)) || failed) {
		if (why) {
			db_rollback(r->db);
			problem_reply(r, 403, "forbidden", why);
		}
	} else {
		transition(r, cur, !strcmp(decision, "approve") ? "published" : "draft",
			   decision, comment, !strcmp(decision, "approve") ? "item.publish" : "item.reject");
	}
	PQclear(cur);
}

/* POST /v1/items/{id}/withdraw - withdrawItem (approver of the unit): 200,
 * 401, 403, 404, 409 (not published), 415, 422. */
void api_items_withdraw(struct req *r)
{
	struct verrs v = { 0 };

	if (validate_object(r->json, withdraw_fields, &v))
		return (void)common_invalid_reply(r, &v, "The withdrawal is invalid.");
	PGresult *cur = lock_own_item_or_reply(r);
	if (!cur)
		return;
	if (strcmp(db_get(cur, 0, "status"), "published")) {
		wrong_status(r, "withdrawn", db_get(cur, 0, "status"));
		db_rollback(r->db);
	} else {
		transition(r, cur, "withdrawn", NULL, json_member_str(r->json, "reason"), "item.withdraw");
	}
	PQclear(cur);
}

static const struct field abolish_fields[] = {
	{ "abolished_on", FT_STRING, F_REQUIRED, 10, 10, NULL, NULL, NULL },
	{ "note", FT_STRING, F_NULLABLE, 1, 2000, NULL, NULL, NULL },
	END_FIELDS,
};

/* POST /v1/items/{id}/abolish - abolishItem (approver of the unit): 200,
 * 401, 403, 404, 409 (not a published or withdrawn rule or normative
 * document, or abolished already), 415, 422. Records the day a rule or an
 * administrative normative document stopped being in force: table 二 of
 * the annual report form counts it abolished that year and no longer in
 * force (OGI Regulations Art. 20(1)). The item stays in the catalogue. */
void api_items_abolish(struct req *r)
{
	DB_STMT(upd, "items_abolish",
		"UPDATE items SET abolished_on = $2::date, abolished_note = $3,"
		" version = version + 1, updated_at = now()"
		" WHERE id = $1 RETURNING " ITEM_COLUMNS);
	struct verrs v = { 0 };
	const char *day = json_member_str(r->json, "abolished_on");
	int y, m, d;

	if (validate_object(r->json, abolish_fields, &v))
		return (void)common_invalid_reply(r, &v, "The abolition is invalid.");
	if (date_parse(day, &y, &m, &d))
		verrs_add(&v, "/abolished_on", "must be a date, YYYY-MM-DD");
	if (v.n)
		return (void)common_invalid_reply(r, &v, "The abolition is invalid.");
	PGresult *cur = lock_own_item_or_reply(r);
	if (!cur)
		return;
	const char *status = db_get(cur, 0, "status");
	const char *type = db_get(cur, 0, "document_type");
	const char *published = db_get(cur, 0, "published_at");
	if (!type || (strcmp(status, "published") && strcmp(status, "withdrawn"))) {
		db_rollback(r->db);
		problem_replyf(r, 409, "conflict",
			       "Only a published rule or administrative normative document is abolished;"
			       " this item is %s%s.", status, type ? "" : " and of no document_type");
	} else if (db_get(cur, 0, "abolished_on")) {
		db_rollback(r->db);
		problem_replyf(r, 409, "conflict", "The item was abolished on %s already.",
			       db_get(cur, 0, "abolished_on"));
	} else if (published && strncmp(day, published, 10) < 0) {
		db_rollback(r->db);
		verrs_add(&v, "/abolished_on", "must not be before the item was published (%.10s)",
			  published);
		common_invalid_reply(r, &v, "The abolition is invalid.");
	} else {
		const char *p[] = { r->path_params[0], day, json_member_str(r->json, "note") };
		PGresult *res = db_exec_or_reply(r, &upd, 3, p);
		if (res) {
			finish_change(r, res, 200, "item.abolish",
				      json_pack("{s:s}", "abolished_on", day));
			PQclear(res);
		}
	}
	PQclear(cur);
}
