/* validate.c - pure checks of request input. Nothing here allocates on the
 * heap or answers: callers turn struct verrs into a 422. */
#include <stdio.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "opengov/base/log.h"
#include "opengov/base/msg.h"
#include "opengov/base/validate.h"

void verrs_add(struct verrs *v, const char *pointer, const char *fmt, ...)
{
	va_list ap;
	const struct msg *m;

	if (v->n >= VERR_MAX)
		return;
	struct verr *e = &v->e[v->n++];
	snprintf(e->pointer, sizeof e->pointer, "%s", pointer);
	va_start(ap, fmt);
	if (!strcmp(fmt, "%s")) {
		/* A message made elsewhere (a field check's): it is the key. */
		const char *msg = va_arg(ap, const char *);
		m = msg_find(msg, 0);
		snprintf(e->message, sizeof e->message, "%s", msg);
		snprintf(e->message_zh, sizeof e->message_zh, "%s", m ? m->zh : msg);
	} else {
		va_list cp;
		va_copy(cp, ap);
		vsnprintf(e->message, sizeof e->message, fmt, cp);
		va_end(cp);
		m = msg_vformat(e->message_zh, sizeof e->message_zh, LANG_ZH, fmt, ap);
	}
	va_end(ap);
	e->code = m && m->kind == MSG_ERROR ? m->code : "invalid";
	if (!m)
		log_warn("message not in the catalogue: \"%s\"", e->message);
	/* A message cut short must not end inside a UTF-8 sequence (laws are
	 * cited in Chinese): drop the partial character. */
	msg_utf8_trim(e->message);
	msg_utf8_trim(e->message_zh);
}

void verrs_put(struct verrs *v, const char *pointer, const struct verr *e)
{
	if (v->n >= VERR_MAX)
		return;
	struct verr *d = &v->e[v->n++];
	*d = *e;
	size_t n = strnlen(pointer, sizeof d->pointer - 1);
	memcpy(d->pointer, pointer, n);
	d->pointer[n] = '\0';
}

static bool ascii_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

const char *check_code_value(const char *s)
{
	if (!ascii_alnum(*s))
		return N_("must start with a letter or digit");
	for (; *s; s++)
		if (!ascii_alnum(*s) && !strchr("_.-", *s))
			return N_("may hold only letters, digits, '_', '.' and '-'");
	return NULL;
}

int choice_index(const char *const *choices, const char *s)
{
	for (int i = 0; choices && choices[i]; i++)
		if (!strcmp(choices[i], s))
			return i;
	return -1;
}

bool utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		size_t n;
		unsigned cp;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + n >= len)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and values past U+10FFFF. */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

size_t utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

int json_text_depth(const char *text, size_t len)
{
	int depth = 0, max = 0;
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				max = depth;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return max;
}

static const char *type_name(enum field_type t)
{
	switch (t) {
	case FT_STRING:
	case FT_UUID:
	case FT_ENUM:
		return "string";
	case FT_INT:
		return "integer";
	case FT_BOOL:
		return "boolean";
	case FT_OBJECT:
		return "object";
	case FT_NUMBER:
		return "number";
	case FT_ARRAY:
		return "array";
	}
	return "value";
}

static void validate_field(const json_t *val, const struct field *f,
			   const char *ptr, struct verrs *v)
{
	if (json_is_null(val)) {
		if (!(f->flags & F_NULLABLE))
			verrs_add(v, ptr, "must be a %s, not null", type_name(f->type));
		return;
	}
	switch (f->type) {
	case FT_STRING:
	case FT_UUID:
	case FT_ENUM: {
		if (!json_is_string(val)) {
			verrs_add(v, ptr, "must be a string");
			return;
		}
		const char *s = json_string_value(val);
		if (strlen(s) != json_string_length(val)) {
			verrs_add(v, ptr, "must not contain NUL characters");
			return;
		}
		if (f->type == FT_UUID) {
			if (!uuid_valid(s))
				verrs_add(v, ptr, "must be a UUID");
			return;
		}
		if (f->type == FT_ENUM) {
			const char *const *choices = f->choices ? f->choices : f->choices_of();
			if (choice_index(choices, s) < 0) {
				char list[256] = "";
				for (int i = 0; choices[i]; i++) {
					if (i)
						strncat(list, ", ", sizeof list - strlen(list) - 1);
					strncat(list, choices[i], sizeof list - strlen(list) - 1);
				}
				verrs_add(v, ptr, "must be one of: %s", list);
			}
			return;
		}
		size_t n = utf8_length(s);
		if ((long long)n < f->min || (long long)n > f->max) {
			verrs_add(v, ptr, "must be %lld to %lld characters long",
				  f->min, f->max);
			return;
		}
		if (f->check) {
			const char *msg = f->check(s);
			if (msg)
				verrs_add(v, ptr, "%s", msg);
		}
		return;
	}
	case FT_INT:
		if (!json_is_integer(val)) {
			verrs_add(v, ptr, "must be an integer");
			return;
		}
		if (json_integer_value(val) < f->min ||
		    json_integer_value(val) > f->max)
			verrs_add(v, ptr, "must be between %lld and %lld",
				  f->min, f->max);
		return;
	case FT_BOOL:
		if (!json_is_boolean(val))
			verrs_add(v, ptr, "must be a boolean");
		return;
	case FT_OBJECT:
		if (!json_is_object(val))
			verrs_add(v, ptr, "must be an object");
		return;
	case FT_NUMBER:
		if (!json_is_number(val)) {
			verrs_add(v, ptr, "must be a number");
			return;
		}
		if (json_number_value(val) < (double)f->min ||
		    json_number_value(val) > (double)f->max)
			verrs_add(v, ptr, "must be between %lld and %lld", f->min, f->max);
		return;
	case FT_ARRAY:
		if (!json_is_array(val)) {
			verrs_add(v, ptr, "must be an array");
			return;
		}
		if ((long long)json_array_size(val) < f->min ||
		    (long long)json_array_size(val) > f->max)
			verrs_add(v, ptr, "must hold %lld to %lld entries", f->min, f->max);
		return;
	}
}

static int validate_members(const json_t *obj, const struct field *fields,
			    bool patch, struct verrs *v)
{
	int before = v->n;
	const char *key;
	json_t *val;
	char ptr[96];

	if (!json_is_object(obj)) {
		verrs_add(v, "", "the body must be a JSON object");
		return v->n - before;
	}
	json_object_foreach((json_t *)obj, key, val) {
		const struct field *f = fields;
		while (f->name && strcmp(f->name, key))
			f++;
		snprintf(ptr, sizeof ptr, "/%.80s", key);
		if (!f->name || (patch && (f->flags & F_FIXED))) {
			verrs_add(v, ptr, f->name ? "cannot be changed" : "unknown field");
			continue;
		}
		validate_field(val, f, ptr, v);
	}
	if (patch) {
		if (v->n == before && json_object_size(obj) == 0)
			verrs_add(v, "", "name at least one field to change");
		return v->n - before;
	}
	for (const struct field *f = fields; f->name; f++) {
		if ((f->flags & F_REQUIRED) && !json_object_get(obj, f->name)) {
			snprintf(ptr, sizeof ptr, "/%s", f->name);
			verrs_add(v, ptr, "is required");
		}
	}
	return v->n - before;
}

int validate_object(const json_t *obj, const struct field *fields,
		    struct verrs *v)
{
	return validate_members(obj, fields, false, v);
}

int validate_patch(const json_t *obj, const struct field *fields,
		   struct verrs *v)
{
	return validate_members(obj, fields, true, v);
}

static int two_digits(const char *s, int *out)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return mdays[m - 1] + (m == 2 && leap);
}

int date_parse(const char *s, int *y, int *m, int *d)
{
	int y1, y2;

	if (strlen(s) != 10 || two_digits(s, &y1) || two_digits(s + 2, &y2) ||
	    s[4] != '-' || two_digits(s + 5, m) || s[7] != '-' || two_digits(s + 8, d))
		return -1;
	*y = y1 * 100 + y2;
	if (*y < 1900 || *m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
		return -1;
	return 0;
}

int rfc3339_parse(const char *s, long long *epoch)
{
	int y1, y2, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	size_t len = strlen(s), i = 19;

	if (len < 20 || two_digits(s, &y1) || two_digits(s + 2, &y2) ||
	    s[4] != '-' || two_digits(s + 5, &mo) || s[7] != '-' ||
	    two_digits(s + 8, &d) || (s[10] != 'T' && s[10] != 't') ||
	    two_digits(s + 11, &h) || s[13] != ':' || two_digits(s + 14, &mi) ||
	    s[16] != ':' || two_digits(s + 17, &sec))
		return -1;
	if (s[i] == '.') {
		i++;
		size_t start = i;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start || i - start > 9)
			return -1;
	}
	if (s[i] == 'Z' || s[i] == 'z') {
		i++;
	} else if ((s[i] == '+' || s[i] == '-') && len - i == 6 &&
		   !two_digits(s + i + 1, &oh) && s[i + 3] == ':' &&
		   !two_digits(s + i + 4, &om)) {
		sign = s[i] == '+' ? 1 : -1;
		i += 6;
	} else {
		return -1;
	}
	if (i != len || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 ||
	    sec > 60 || oh > 23 || om > 59)
		return -1;
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int year = y1 * 100 + y2;
	if (year < 1)
		return -1;
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (d > mdays[mo - 1] + (mo == 2 && leap))
		return -1;
	struct tm tm = { .tm_year = year - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = sec > 59 ? 59 : sec };
	*epoch = (long long)timegm(&tm) - sign * (oh * 3600 + om * 60);
	return 0;
}

void verrs_nest(struct verrs *v, const char *prefix, const struct verr *e)
{
	char ptr[sizeof e->pointer + 64];

	snprintf(ptr, sizeof ptr, "%s%s", prefix, e->pointer);
	verrs_put(v, ptr, e);
}

const char *json_member_str(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

bool search_query_indexable(const char *q)
{
	for (const unsigned char *p = (const unsigned char *)q; *p; p++) {
		if (*p >= 0x80)
			return true;
		if (*p != ' ' && p[1] && p[1] != ' ')
			return true;
	}
	return false;
}

static int hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

int uuid_valid(const char *s)
{
	size_t i;

	if (!s)
		return 0;
	/* Stops at a short string's NUL, which is neither '-' nor hex. */
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!hex_digit(s[i])) {
			return 0;
		}
	}
	return s[36] == '\0';
}
