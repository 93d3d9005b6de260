/* msg.h - the message catalogue: every sentence a person reads in a problem
 * (title, detail) or an errors[] entry, in Simplified Chinese and English,
 * with a stable machine code. Keyed by the English text as written in the
 * source (gettext's msgid): call sites keep their English literals, and
 * src/base/messages.def holds one line per message:
 *
 *   PMSG(code, "English", "中文")   a problem's detail (Problem.code)
 *   EMSG(code, "English", "中文")   an errors[] entry's message (its code)
 *   WORD("english", "中文")         a word or phrase passed as a %s argument
 *                                   (a role, an action, a reason), printed
 *                                   in Chinese inside a Chinese message
 *
 * A format's Chinese text takes the same conversions as the English, in
 * any order with positional %1$s. Pure, no allocation after the first
 * lookup builds the index. */
#ifndef OPENGOV_MSG_H
#define OPENGOV_MSG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "opengov/base/lang.h"

/* Marks a literal that reaches a problem or errors[] entry through a
 * variable, so that the catalogue's completeness test finds it. */
#define N_(s) (s)

enum msg_kind {
	MSG_PROBLEM,
	MSG_ERROR,
	MSG_WORD,
};

struct msg {
	enum msg_kind kind;
	const char *code; /* NULL for a WORD */
	const char *en;
	const char *zh;
};

/* The entry whose English text is en (kind MSG_WORD excluded unless
 * words), or NULL. */
const struct msg *msg_find(const char *en, int words);

/* Formats the message of English format fmt in l: the catalogue's Chinese
 * format with the arguments ap (read as fmt's conversions say), a string
 * argument found in the catalogue also in Chinese; fmt itself in English
 * or when uncatalogued. Returns the entry or NULL. The text is cut at a
 * character boundary when too long. */
const struct msg *msg_vformat(char *out, size_t len, enum lang l, const char *fmt,
			      va_list ap);
const struct msg *msg_format(char *out, size_t len, enum lang l, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The text of a plain message (no conversions) in l: the catalogue's, or
 * en itself. */
const char *msg_text(const char *en, enum lang l);

/* The whole catalogue, in the order of messages.def. */
const struct msg *msg_all(size_t *n);
/* Prints the catalogue as TSV: code (empty for a word), English, Chinese,
 * kind (problem, error, word); tab, newline and backslash escaped. */
void msg_print(FILE *out);

/* Cuts s at the last whole UTF-8 character. */
void msg_utf8_trim(char *s);

#endif
