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
