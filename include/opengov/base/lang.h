/* lang.h - the language of the human text of an answer (problem titles and
 * details, errors[].message, next_step, system-written findings).
 * Simplified Chinese is the default: the users are Chinese citizens and civil
 * servants. English is chosen only when Accept-Language prefers it. */
#ifndef OPENGOV_LANG_H
#define OPENGOV_LANG_H

enum lang {
	LANG_ZH = 0, /* zh-CN: the default */
	LANG_EN = 1,
};

/* The language an Accept-Language header (RFC 9110 12.5.4) asks for among
 * the two the server writes: the range of highest q-value that matches one
 * ("zh", "zh-CN", "zh-Hans…", "en", "en-…"; "*" matches the default); ties go
 * to the one listed first. Absent, empty, malformed or matching nothing:
 * LANG_ZH. Pure. */
enum lang lang_negotiate(const char *accept_language);

/* "zh-CN" or "en": the Content-Language of an answer in l. */
const char *lang_tag(enum lang l);

#endif
