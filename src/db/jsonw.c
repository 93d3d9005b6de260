/* jsonw.c - JSON written straight into a buffer from database rows. */
#include <string.h>

#include "opengov/db/jsonw.h"

void jw_string(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	if (!s) {
		buf_append(b, "null", 4);
		return;
	}
	buf_append(b, "\"", 1);
	const char *run = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_append(b, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"': buf_append(b, "\\\"", 2); break;
		case '\\': buf_append(b, "\\\\", 2); break;
		case '\n': buf_append(b, "\\n", 2); break;
		case '\r': buf_append(b, "\\r", 2); break;
		case '\t': buf_append(b, "\\t", 2); break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			buf_append(b, u, 6);
		}
		}
	}
	buf_append(b, run, (size_t)(s - run));
	buf_append(b, "\"", 1);
}

void jw_key(struct buf *b, bool *first, const char *key)
{
	/* Keys are nearly always plain ASCII names: one append of ,"key":
	 * (a list page writes some 1,500 keys). */
	char tmp[64];
	size_t n = 0, k = 0;

	if (!*first)
		tmp[n++] = ',';
	tmp[n++] = '"';
	for (; key[k] && n < sizeof tmp - 2; k++) {
		unsigned char c = (unsigned char)key[k];
		if (c < 0x20 || c == '"' || c == '\\')
			break;
		tmp[n++] = (char)c;
	}
	if (!key[k]) {
		tmp[n++] = '"';
		tmp[n++] = ':';
		buf_append(b, tmp, n);
		*first = false;
		return;
	}
	if (!*first)
		buf_append(b, ",", 1);
	*first = false;
	jw_string(b, key);
	buf_append(b, ":", 1);
}

void jw_value(struct buf *b, const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col)) {
		buf_append(b, "null", 4);
		return;
	}
	const char *v = PQgetvalue(res, row, col);
	switch (PQftype(res, col)) {
	case 16: /* bool */
		buf_puts(b, v[0] == 't' ? "true" : "false");
		break;
	case 20: /* int8 */
	case 21: /* int2 */
	case 23: /* int4 */
	case 700: /* float4 */
	case 701: /* float8 */
	case 1700: /* numeric */
		buf_puts(b, v);
		break;
	case 114: /* json */
	case 3802: /* jsonb */
		buf_puts(b, v);
		break;
	default:
		jw_string(b, v);
	}
}

void jw_row(struct buf *b, const PGresult *res, int row)
{
	int n = PQnfields(res);
	bool first = true;

	buf_append(b, "{", 1);
	for (int c = 0; c < n; c++) {
		const char *name = PQfname(res, c);
		if (name[0] == '_')
			continue;
		jw_key(b, &first, name);
		jw_value(b, res, row, c);
	}
	buf_append(b, "}", 1);
}

void jw_rows(struct buf *b, const PGresult *res, int max)
{
	int n = PQntuples(res);

	buf_append(b, "[", 1);
	for (int i = 0; i < n && i < max; i++) {
		if (i)
			buf_append(b, ",", 1);
		jw_row(b, res, i);
	}
	buf_append(b, "]", 1);
}

void jw_strings(struct buf *b, const char *const *s, size_t n)
{
	buf_append(b, "[", 1);
	for (size_t i = 0; i < n && s[i]; i++) {
		if (i)
			buf_append(b, ",", 1);
		jw_string(b, s[i]);
	}
	buf_append(b, "]", 1);
}

void jw_init(struct jw *w, struct buf *b)
{
	w->b = b;
	w->depth = 0;
	w->first[0] = true;
}

void jw_member(struct jw *w, const char *key)
{
	if (!w->first[w->depth])
		buf_append(w->b, ",", 1);
	w->first[w->depth] = false;
	if (key) {
		jw_string(w->b, key);
		buf_append(w->b, ":", 1);
	}
}

/* Deeper than JW_DEPTH is a mistake of the caller's: written flat rather
 * than past the arrays. */
static void jw_open(struct jw *w, const char *key, char open, char close)
{
	jw_member(w, key);
	buf_append(w->b, &open, 1);
	if (w->depth < JW_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
	w->close[w->depth] = close;
}

void jw_object(struct jw *w, const char *key)
{
	jw_open(w, key, '{', '}');
}

void jw_array(struct jw *w, const char *key)
{
	jw_open(w, key, '[', ']');
}

void jw_end(struct jw *w)
{
	if (!w->depth)
		return;
	buf_append(w->b, &w->close[w->depth], 1);
	w->depth--;
}

void jw_raw(struct jw *w, const char *key, const char *text)
{
	jw_member(w, key);
	buf_puts(w->b, text ? text : "null");
}

void jw_str(struct jw *w, const char *key, const char *s)
{
	jw_member(w, key);
	jw_string(w->b, s);
}

void jw_int(struct jw *w, const char *key, long long v)
{
	jw_member(w, key);
	buf_printf(w->b, "%lld", v);
}

void jw_bool(struct jw *w, const char *key, bool v)
{
	jw_member(w, key);
	buf_puts(w->b, v ? "true" : "false");
}
