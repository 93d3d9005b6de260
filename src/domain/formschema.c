/* formschema.c - application forms: the JSON Schema subset a service item's
 * form is written in, checked when staff set it, and the forms applicants
 * send validated against it. docs/forms.md lists the keywords and the
 * exact rule of each format. Pure: no database, no HTTP. */
#include <locale.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "opengov/domain/formschema.h"

/* The types a field may have (a single name: no type unions). */
static const char *const types[] = { "string", "integer", "number", "boolean", "object",
				     "array", NULL };
static const char *const formats[] = { "date", "email", "phone", NULL };

enum { T_STRING, T_INTEGER, T_NUMBER, T_BOOLEAN, T_OBJECT, T_ARRAY };

/* The keywords each type takes besides the annotations (title,
 * description) and type and enum. */
static const char *const string_keys[] = { "minLength", "maxLength", "pattern", "format", NULL };
static const char *const number_keys[] = { "minimum", "maximum", NULL };
static const char *const array_keys[] = { "items", "minItems", "maxItems", "uniqueItems", NULL };
static const char *const object_keys[] = { "properties", "required", "additionalProperties",
					   NULL };
static const char *const common_keys[] = { "type", "title", "description", "enum", NULL };

#define PTR_MAX 256

/* Appends "/" and key escaped (RFC 6901: "~" as "~0", "/" as "~1") to the
 * pointer ptr; returns its length before, to restore it. */
static size_t ptr_push(char *ptr, const char *key)
{
	size_t old = strlen(ptr), n = old;

	if (n + 1 < PTR_MAX)
		ptr[n++] = '/';
	for (const char *k = key; *k && n + 2 < PTR_MAX; k++) {
		if (*k == '~' || *k == '/') {
			ptr[n++] = '~';
			ptr[n++] = *k == '~' ? '0' : '1';
		} else {
			ptr[n++] = *k;
		}
	}
	ptr[n] = '\0';
	return old;
}

static size_t ptr_push_index(char *ptr, size_t i)
{
	char k[24];

	snprintf(k, sizeof k, "%zu", i);
	return ptr_push(ptr, k);
}

/* ---- patterns -------------------------------------------------------------
 * A pattern is an ECMA-262 regular expression (JSON Schema's dialect),
 * unanchored. The subset taken is the one where ECMA-262 and POSIX
 * extended regular expressions agree, run by regcomp/regexec in a UTF-8
 * locale so that "." and a bracket expression match one character: no
 * backslash before a letter or digit (\d, \w, \s, \b, \u, back-references),
 * no backslash inside brackets, no POSIX classes ("[:", "[=", "[."), no
 * empty brackets ("[]", "[^]"), no "(?" groups, and a range in brackets
 * between ASCII characters only ("[0-9A-Z]"; glibc's C.UTF-8 refuses
 * "[一-龥]"): a Chinese character stands for itself, in brackets or not. */
static const char *pattern_unsupported(const char *p)
{
	bool in_bracket = false;

	for (const char *c = p; *c; c++) {
		if (in_bracket) {
			if (*c == '\\')
				return "a backslash inside brackets";
			if (*c == '[' && (c[1] == ':' || c[1] == '=' || c[1] == '.'))
				return "a POSIX class";
			if (*c == ']')
				in_bracket = false;
			else if (*c == '-' && c[1] != ']' &&
				 (((unsigned char)c[-1] & 0x80) || ((unsigned char)c[1] & 0x80)))
				return "a range of non-ASCII characters";
			continue;
		}
		if (*c == '\\') {
			unsigned char n = (unsigned char)c[1];
			if (!n)
				return "a trailing backslash";
			if ((n >= '0' && n <= '9') || (n >= 'a' && n <= 'z') || (n >= 'A' && n <= 'Z'))
				return "a class or escape such as \\d, \\w or \\u (write [0-9] instead)";
			c++;
			continue;
		}
		if (*c == '(' && c[1] == '?')
			return "a (?...) group";
		if (*c == '[') {
			in_bracket = true;
			if (c[1] == '^')
				c++;
			if (c[1] == ']')
				return "an empty or ambiguous bracket ([] or []...])";
		}
	}
	return NULL;
}

/* The locale patterns run in: characters, not bytes. */
static locale_t utf8_locale(void)
{
	static locale_t loc;

	if (!loc)
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	return loc;
}

/* 1 when s matches pattern p, 0 when not, -1 when p does not compile. */
static int pattern_match(const char *p, const char *s)
{
	regex_t re;
	locale_t loc = utf8_locale(), old = loc ? uselocale(loc) : (locale_t)0;
	int rc = -1;

	if (!regcomp(&re, p, REG_EXTENDED | REG_NOSUB)) {
		rc = regexec(&re, s, 0, NULL, 0) == 0;
		regfree(&re);
	}
	if (loc)
		uselocale(old);
	return rc;
}

/* ---- formats ------------------------------------------------------------- */

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* A mainland number: a mobile (1, then 3-9, then 9 digits) or a landline
 * (0 and a 2- or 3-digit area code, an optional "-", a 7- or 8-digit
 * number, optionally "-" and an extension of 1 to 6 digits). */
static bool phone_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 11 && s[0] == '1' && s[1] >= '3' && s[1] <= '9' && all_digits(s, 11))
		return true;
	if (s[0] != '0')
		return false;
	const char *ext = strchr(s, '-') ? strchr(strchr(s, '-') + 1, '-') : NULL;
	size_t main_len = ext ? (size_t)(ext - s) : n;
	if (ext && (strlen(ext + 1) < 1 || strlen(ext + 1) > 6 || !all_digits(ext + 1, strlen(ext + 1))))
		return false;
	const char *dash = memchr(s, '-', main_len);
	for (size_t area = 3; area <= 4; area++) {
		if (!all_digits(s, area))
			continue;
		const char *rest = s + area;
		size_t rlen = main_len - area;
		if (dash) {
			if (dash != s + area)
				continue;
			rest++;
			rlen--;
		}
		if ((rlen == 7 || rlen == 8) && all_digits(rest, rlen) && rest[0] != '0')
			return true;
	}
	return false;
}

static bool email_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

/* local@domain, ASCII: a local part of 1-64 of RFC 5322's atom characters
 * and dots (no dot first, last or twice in a row); a domain of two or more
 * labels of 1-63 letters, digits and hyphens (no hyphen first or last),
 * the last one letters only; 254 characters at most. */
static bool email_ok(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);

	if (!at || strchr(at + 1, '@') || n > 254 || at == s || at - s > 64)
		return false;
	for (const char *c = s; c < at; c++) {
		if (*c == '.') {
			if (c == s || c + 1 == at || c[1] == '.')
				return false;
		} else if (!email_char(*c)) {
			return false;
		}
	}
	const char *label = at + 1;
	int labels = 0;
	for (;;) {
		const char *end = strchr(label, '.');
		size_t len = end ? (size_t)(end - label) : strlen(label);
		bool letters = len > 0;
		if (len < 1 || len > 63 || label[0] == '-' || label[len - 1] == '-')
			return false;
		for (size_t i = 0; i < len; i++) {
			char c = label[i];
			bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
			if (!alpha && !(c >= '0' && c <= '9') && c != '-')
				return false;
			letters = letters && alpha;
		}
		labels++;
		if (!end)
			return labels >= 2 && letters && len >= 2;
		label = end + 1;
	}
}

bool formschema_format_ok(const char *format, const char *s)
{
	int y, m, d;

	if (!strcmp(format, "date"))
		return strlen(s) == 10 && s[4] == '-' && s[7] == '-' && date_parse(s, &y, &m, &d) == 0;
	if (!strcmp(format, "email"))
		return email_ok(s);
	if (!strcmp(format, "phone"))
		return phone_ok(s);
	return false;
}

/* ---- the schema ---------------------------------------------------------- */

static bool listed(const char *const *keys, const char *k)
{
	return choice_index(keys, k) >= 0;
}

/* A JSON integer, or a real without a fraction (2.0 is an integer in JSON
 * Schema). */
static bool is_integral(const json_t *x)
{
	if (json_is_integer(x))
		return true;
	if (!json_is_real(x))
		return false;
	double d = json_real_value(x);
	return isfinite(d) && d == floor(d);
}

static bool type_matches(int type, const json_t *x)
{
	switch (type) {
	case T_STRING: return json_is_string(x);
	case T_INTEGER: return is_integral(x);
	case T_NUMBER: return json_is_number(x);
	case T_BOOLEAN: return json_is_boolean(x);
	case T_OBJECT: return json_is_object(x);
	default: return json_is_array(x);
	}
}

/* A non-negative integer member no larger than max; -1 when absent or
 * wrong (the error added). */
static long long count_member(const json_t *s, const char *key, long long max, char *ptr,
			      struct verrs *v)
{
	json_t *x = json_object_get(s, key);

	if (!x)
		return -1;
	size_t old = ptr_push(ptr, key);
	long long n = -1;
	if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > max)
		verrs_add(v, ptr, "must be an integer from 0 to %lld", max);
	else
		n = json_integer_value(x);
	ptr[old] = '\0';
	return n;
}

static void check_bounds(const json_t *s, const char *lo, const char *hi, long long max,
			 char *ptr, struct verrs *v)
{
	long long a = count_member(s, lo, max, ptr, v), b = count_member(s, hi, max, ptr, v);

	if (a >= 0 && b >= 0 && a > b) {
		size_t old = ptr_push(ptr, lo);
		verrs_add(v, ptr, "must not exceed %s (%lld)", hi, b);
		ptr[old] = '\0';
	}
}

static void check_schema(const json_t *s, bool root, int depth, char *ptr, struct verrs *v);

static void check_properties(const json_t *s, int depth, char *ptr, struct verrs *v)
{
	json_t *props = json_object_get(s, "properties"), *req = json_object_get(s, "required");
	json_t *extra = json_object_get(s, "additionalProperties");
	const char *key;
	json_t *sub;
	size_t old;

	if (props) {
		old = ptr_push(ptr, "properties");
		if (!json_is_object(props))
			verrs_add(v, ptr, "must be an object: a schema for each field");
		else if (json_object_size(props) > FORMSCHEMA_MAX_PROPERTIES)
			verrs_add(v, ptr, "must not have more than %d fields", FORMSCHEMA_MAX_PROPERTIES);
		else
			json_object_foreach(props, key, sub) {
				size_t o2 = ptr_push(ptr, key);
				size_t chars = utf8_length(key);
				if (chars < 1 || chars > 64)
					verrs_add(v, ptr, "a field's name must be 1 to 64 characters long");
				else
					check_schema(sub, false, depth + 1, ptr, v);
				ptr[o2] = '\0';
			}
		ptr[old] = '\0';
	}
	if (req) {
		size_t i;
		json_t *name;
		old = ptr_push(ptr, "required");
		if (!json_is_array(req)) {
			verrs_add(v, ptr, "must be an array of field names");
		} else {
			json_array_foreach(req, i, name) {
				size_t o2 = ptr_push_index(ptr, i);
				if (!json_is_string(name))
					verrs_add(v, ptr, "must be a field name (a string)");
				else if (!json_is_object(props) || !json_object_get(props, json_string_value(name)))
					verrs_add(v, ptr, "names no field of properties");
				else
					for (size_t j = 0; j < i; j++)
						if (json_equal(name, json_array_get(req, j)))
							verrs_add(v, ptr, "repeats entry %zu", j);
				ptr[o2] = '\0';
			}
		}
		ptr[old] = '\0';
	}
	if (extra && !json_is_boolean(extra)) {
		old = ptr_push(ptr, "additionalProperties");
		verrs_add(v, ptr, "must be true or false");
		ptr[old] = '\0';
	}
}

static void check_string_keys(const json_t *s, char *ptr, struct verrs *v)
{
	json_t *pattern = json_object_get(s, "pattern"), *format = json_object_get(s, "format");
	size_t old;

	check_bounds(s, "minLength", "maxLength", 100000, ptr, v);
	if (pattern) {
		old = ptr_push(ptr, "pattern");
		const char *p = json_string_value(pattern), *why;
		if (!p || !*p || strlen(p) > 500)
			verrs_add(v, ptr, "must be a regular expression of 1 to 500 bytes");
		else if ((why = pattern_unsupported(p)))
			verrs_add(v, ptr, "uses %s, outside the supported subset", why);
		else if (pattern_match(p, "") < 0)
			verrs_add(v, ptr, "is not a valid regular expression");
		ptr[old] = '\0';
	}
	if (format) {
		old = ptr_push(ptr, "format");
		if (!json_is_string(format) || !listed(formats, json_string_value(format)))
			verrs_add(v, ptr, "must be one of date, email, phone");
		ptr[old] = '\0';
	}
}

static void check_number_keys(const json_t *s, char *ptr, struct verrs *v)
{
	json_t *lo = json_object_get(s, "minimum"), *hi = json_object_get(s, "maximum");
	size_t old;

	if (lo && !json_is_number(lo)) {
		old = ptr_push(ptr, "minimum");
		verrs_add(v, ptr, "must be a number");
		ptr[old] = '\0';
	}
	if (hi && !json_is_number(hi)) {
		old = ptr_push(ptr, "maximum");
		verrs_add(v, ptr, "must be a number");
		ptr[old] = '\0';
	}
	if (json_is_number(lo) && json_is_number(hi) &&
	    json_number_value(lo) > json_number_value(hi)) {
		old = ptr_push(ptr, "minimum");
		verrs_add(v, ptr, "must not exceed maximum (%g)", json_number_value(hi));
		ptr[old] = '\0';
	}
}

static void check_array_keys(const json_t *s, int depth, char *ptr, struct verrs *v)
{
	json_t *items = json_object_get(s, "items"), *unique = json_object_get(s, "uniqueItems");
	size_t old;

	check_bounds(s, "minItems", "maxItems", 1000, ptr, v);
	old = ptr_push(ptr, "items");
	if (!items)
		verrs_add(v, ptr, "is required: the schema of the array's entries");
	else
		check_schema(items, false, depth + 1, ptr, v);
	ptr[old] = '\0';
	if (unique && !json_is_boolean(unique)) {
		old = ptr_push(ptr, "uniqueItems");
		verrs_add(v, ptr, "must be true or false");
		ptr[old] = '\0';
	}
}

static void check_enum(const json_t *s, int type, char *ptr, struct verrs *v)
{
	json_t *e = json_object_get(s, "enum"), *x;
	size_t i, old = ptr_push(ptr, "enum");

	if (type == T_OBJECT || type == T_ARRAY)
		verrs_add(v, ptr, "applies to strings, numbers and booleans only");
	else if (!json_is_array(e) || !json_array_size(e) ||
		 json_array_size(e) > FORMSCHEMA_MAX_ENUM)
		verrs_add(v, ptr, "must be an array of 1 to %d values", FORMSCHEMA_MAX_ENUM);
	else
		json_array_foreach(e, i, x) {
			size_t o2 = ptr_push_index(ptr, i);
			if (!type_matches(type, x))
				verrs_add(v, ptr, "must be of the field's type, %s", types[type]);
			else
				for (size_t j = 0; j < i; j++)
					if (json_equal(x, json_array_get(e, j)))
						verrs_add(v, ptr, "repeats entry %zu", j);
			ptr[o2] = '\0';
		}
	ptr[old] = '\0';
}

static void check_text(const json_t *s, const char *key, size_t max, char *ptr, struct verrs *v)
{
	json_t *x = json_object_get(s, key);

	if (!x)
		return;
	size_t old = ptr_push(ptr, key);
	if (!json_is_string(x) || utf8_length(json_string_value(x)) > max)
		verrs_add(v, ptr, "must be a string of at most %zu characters", max);
	ptr[old] = '\0';
}

static void check_schema(const json_t *s, bool root, int depth, char *ptr, struct verrs *v)
{
	const char *key;
	json_t *val;

	if (!json_is_object(s)) {
		verrs_add(v, ptr, "must be a schema (a JSON object)");
		return;
	}
	if (depth > FORMSCHEMA_MAX_DEPTH) {
		verrs_add(v, ptr, "nests deeper than %d levels", FORMSCHEMA_MAX_DEPTH);
		return;
	}
	json_t *tj = json_object_get(s, "type");
	const char *tname = json_string_value(tj);
	int type = tname ? choice_index(types, tname) : -1;
	size_t old = ptr_push(ptr, "type");
	if (!tj)
		verrs_add(v, ptr, "is required: string, integer, number, boolean, object or array");
	else if (type < 0)
		verrs_add(v, ptr, "must be one of string, integer, number, boolean, object, array");
	else if (root && type != T_OBJECT)
		verrs_add(v, ptr, "must be object: a form is a JSON object");
	ptr[old] = '\0';
	json_object_foreach((json_t *)s, key, val) {
		const char *const *own = type == T_STRING ? string_keys
				       : type == T_INTEGER || type == T_NUMBER ? number_keys
				       : type == T_ARRAY ? array_keys
				       : type == T_OBJECT ? object_keys : NULL;
		if (listed(common_keys, key) || (own && listed(own, key)))
			continue;
		old = ptr_push(ptr, key);
		if (root && !strcmp(key, "$schema")) {
			if (!json_is_string(val) || strcmp(json_string_value(val), FORMSCHEMA_DIALECT))
				verrs_add(v, ptr, "must name the supported dialect, %s", FORMSCHEMA_DIALECT);
		} else if (type >= 0 && (listed(string_keys, key) || listed(number_keys, key) ||
					 listed(array_keys, key) || listed(object_keys, key))) {
			verrs_add(v, ptr, "does not apply to a field of type %s", types[type]);
		} else if (type >= 0) {
			verrs_add(v, ptr, "is not a keyword of the supported subset");
		}
		ptr[old] = '\0';
	}
	check_text(s, "title", 200, ptr, v);
	check_text(s, "description", 2000, ptr, v);
	if (type < 0)
		return;
	if (json_object_get(s, "enum"))
		check_enum(s, type, ptr, v);
	switch (type) {
	case T_STRING: check_string_keys(s, ptr, v); break;
	case T_INTEGER: case T_NUMBER: check_number_keys(s, ptr, v); break;
	case T_ARRAY: check_array_keys(s, depth, ptr, v); break;
	case T_OBJECT: check_properties(s, depth, ptr, v); break;
	default: break;
	}
}

int formschema_check(const json_t *schema, const char *prefix, struct verrs *v)
{
	char ptr[PTR_MAX];
	int before = v->n;

	snprintf(ptr, sizeof ptr, "%s", prefix);
	check_schema(schema, true, 1, ptr, v);
	return v->n - before;
}

/* ---- a form against its schema ------------------------------------------- */

static void validate_value(const json_t *s, const json_t *x, char *ptr, struct verrs *v);

static void validate_string(const json_t *s, const char *str, char *ptr, struct verrs *v)
{
	json_t *lo = json_object_get(s, "minLength"), *hi = json_object_get(s, "maxLength");
	const char *pattern = json_string_value(json_object_get(s, "pattern"));
	const char *format = json_string_value(json_object_get(s, "format"));
	long long n = (long long)utf8_length(str);

	if (lo && n < json_integer_value(lo))
		verrs_add(v, ptr, "must be at least %lld characters long", (long long)json_integer_value(lo));
	if (hi && n > json_integer_value(hi))
		verrs_add(v, ptr, "must be at most %lld characters long", (long long)json_integer_value(hi));
	if (pattern && pattern_match(pattern, str) != 1)
		verrs_add(v, ptr, "must match the pattern %s", pattern);
	if (format && !formschema_format_ok(format, str)) {
		if (!strcmp(format, "date"))
			verrs_add(v, ptr, "must be a date, YYYY-MM-DD");
		else if (!strcmp(format, "email"))
			verrs_add(v, ptr, "must be an email address");
		else
			verrs_add(v, ptr, "must be a phone number: an 11-digit mobile number, or a landline"
				  " number with its area code");
	}
}

static void validate_object_value(const json_t *s, const json_t *x, char *ptr, struct verrs *v)
{
	json_t *props = json_object_get(s, "properties"), *req = json_object_get(s, "required");
	bool closed = json_is_false(json_object_get(s, "additionalProperties"));
	const char *key;
	json_t *val, *name;
	size_t i, old;

	json_array_foreach(req, i, name)
		if (!json_object_get(x, json_string_value(name))) {
			old = ptr_push(ptr, json_string_value(name));
			verrs_add(v, ptr, "is required");
			ptr[old] = '\0';
		}
	json_object_foreach((json_t *)x, key, val) {
		json_t *sub = json_object_get(props, key);
		old = ptr_push(ptr, key);
		if (sub)
			validate_value(sub, val, ptr, v);
		else if (closed)
			verrs_add(v, ptr, "is not a field of this form");
		ptr[old] = '\0';
	}
}

static void validate_array(const json_t *s, const json_t *x, char *ptr, struct verrs *v)
{
	json_t *lo = json_object_get(s, "minItems"), *hi = json_object_get(s, "maxItems");
	json_t *items = json_object_get(s, "items"), *e;
	long long n = (long long)json_array_size(x);
	size_t i;

	if (lo && n < json_integer_value(lo))
		verrs_add(v, ptr, "must hold at least %lld entries", (long long)json_integer_value(lo));
	if (hi && n > json_integer_value(hi))
		verrs_add(v, ptr, "must hold at most %lld entries", (long long)json_integer_value(hi));
	json_array_foreach(x, i, e) {
		size_t old = ptr_push_index(ptr, i);
		validate_value(items, e, ptr, v);
		if (json_is_true(json_object_get(s, "uniqueItems")))
			for (size_t j = 0; j < i; j++)
				if (json_equal(e, json_array_get(x, j))) {
					verrs_add(v, ptr, "repeats entry %zu", j);
					break;
				}
		ptr[old] = '\0';
	}
}

static void validate_value(const json_t *s, const json_t *x, char *ptr, struct verrs *v)
{
	int type = choice_index(types, json_string_value(json_object_get(s, "type")));
	json_t *e = json_object_get(s, "enum");

	if (type < 0 || !type_matches(type, x)) {
		verrs_add(v, ptr, "must be of type %s", type < 0 ? "unknown" : types[type]);
		return;
	}
	if (e) {
		bool found = false;
		size_t i;
		json_t *c;
		json_array_foreach(e, i, c)
			if (json_equal(c, x) ||
			    (json_is_number(c) && json_is_number(x) &&
			     json_number_value(c) == json_number_value(x)))
				found = true;
		if (!found)
			verrs_add(v, ptr, "must be one of the values the form lists (enum)");
	}
	switch (type) {
	case T_STRING:
		validate_string(s, json_string_value(x), ptr, v);
		break;
	case T_INTEGER: case T_NUMBER: {
		json_t *lo = json_object_get(s, "minimum"), *hi = json_object_get(s, "maximum");
		double d = json_number_value(x);
		if (lo && d < json_number_value(lo))
			verrs_add(v, ptr, "must be at least %g", json_number_value(lo));
		if (hi && d > json_number_value(hi))
			verrs_add(v, ptr, "must be at most %g", json_number_value(hi));
		break;
	}
	case T_OBJECT:
		validate_object_value(s, x, ptr, v);
		break;
	case T_ARRAY:
		validate_array(s, x, ptr, v);
		break;
	default:
		break;
	}
}

int formschema_validate(const json_t *schema, const json_t *form, const char *prefix,
			struct verrs *v)
{
	char ptr[PTR_MAX];
	int before = v->n;

	snprintf(ptr, sizeof ptr, "%s", prefix);
	validate_value(schema, form, ptr, v);
	return v->n - before;
}
