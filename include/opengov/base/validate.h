/* validate.h - pure validators for JSON bodies and query values.
 * They compute and return: errors go into a caller-owned struct verrs. */
#ifndef OPENGOV_VALIDATE_H
#define OPENGOV_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#define VERR_MAX 16
#define JSON_MAX_DEPTH 32

struct verr {
	char pointer[96]; /* RFC 6901 JSON pointer */
	char message[320]; /* English */
	char message_zh[480]; /* Simplified Chinese */
	const char *code; /* the catalogue's code (messages.def), "invalid" when none */
};

struct verrs {
	int n;
	struct verr e[VERR_MAX];
};

enum field_type {
	FT_STRING,
	FT_UUID,
	FT_ENUM,
	FT_INT,
	FT_BOOL,
	FT_OBJECT,
	FT_NUMBER, /* integer or real, min..max */
	FT_ARRAY,  /* max bounds the length */
};

#define F_REQUIRED 0x1
#define F_NULLABLE 0x2
#define F_FIXED 0x4 /* set when created, never changed */

/* One member of a JSON object body. For FT_STRING min/max bound the length
 * in characters; for FT_INT the value. check, when set, returns NULL when
 * the string is acceptable, or the message. */
struct field {
	const char *name;
	enum field_type type;
	unsigned flags;
	long long min;
	long long max;
	const char *const *choices; /* FT_ENUM: NULL-terminated */
	const char *(*check)(const char *s);
	/* FT_ENUM whose names live in a table built at run time (the case
	 * rules): used when choices is NULL. */
	const char *const *(*choices_of)(void);
};

/* The entry that ends a table of fields. */
#define END_FIELDS { NULL, 0, 0, 0, 0, NULL, NULL, NULL }

/* Adds an error at pointer: fmt is its English text, looked up in the
 * message catalogue (include/opengov/base/msg.h) for its code and Chinese
 * text, both written now. fmt "%s" takes its argument as the message. */
void verrs_add(struct verrs *v, const char *pointer, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Adds e, an error of a nested object, with its pointer under prefix
 * ("/applicant" + "/name"). */
void verrs_nest(struct verrs *v, const char *prefix, const struct verr *e);
/* Adds a copy of e (its texts and code) at pointer. */
void verrs_put(struct verrs *v, const char *pointer, const struct verr *e);

/* Checks obj against fields (NULL-name terminated): unknown members, missing
 * required ones, types, bounds. Returns the number of errors added. */
int validate_object(const json_t *obj, const struct field *fields,
		    struct verrs *v);
/* The same for a change (PATCH) described by the creation's fields: nothing
 * is required but at least one member, and F_FIXED members are refused. */
int validate_patch(const json_t *obj, const struct field *fields,
		   struct verrs *v);

/* Nesting depth of a JSON text (brackets outside strings). */
int json_text_depth(const char *text, size_t len);
/* True when s (len bytes) is well-formed UTF-8 without NUL. */
bool utf8_valid(const char *s, size_t len);
/* Characters (code points) in valid UTF-8 s. */
size_t utf8_length(const char *s);
/* Whether a search query q has something the bigram search index holds
 * (search_query_tokens(q) is not empty): two adjacent characters that are
 * not spaces, or a non-ASCII character. Without (a lone ASCII letter, digit
 * or sign, or several apart: "a b") it could only be answered by reading
 * every row: the catalogue and the disclosure log refuse it. */
bool search_query_indexable(const char *q);
/* The detail of that refusal (a 400 on /query/q). */
#define SEARCH_QUERY_RULE "must hold two characters in a row that are not spaces" \
	" (\"ab\", \"20\"), or a Chinese or other non-ASCII character: a lone" \
	" letter, digit or sign is not searchable"
/* A code (units, service items): a letter or digit, then letters, digits,
 * '_', '.', '-'. NULL when acceptable, else the message (a field check). */
const char *check_code_value(const char *s);
/* The string member name of o, or NULL (absent, null, not a string). */
const char *json_member_str(const json_t *o, const char *name);
/* Index of s in the NULL-terminated choices, or -1. */
int choice_index(const char *const *choices, const char *s);
/* Parses YYYY-MM-DD (a valid calendar date); returns 0. */
int date_parse(const char *s, int *y, int *m, int *d);
/* Parses an RFC 3339 timestamp; returns 0 and seconds since the epoch. */
int rfc3339_parse(const char *s, long long *epoch);

/* True when s is a canonical 8-4-4-4-12 hex UUID. */
int uuid_valid(const char *s);

#endif
