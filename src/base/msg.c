/* msg.c - the message catalogue (messages.def) and the formatting of its
 * messages in the answer's language. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "opengov/base/msg.h"

static const struct msg catalogue[] = {
#define PMSG(code, en, zh) { MSG_PROBLEM, #code, en, zh },
#define EMSG(code, en, zh) { MSG_ERROR, #code, en, zh },
#define WORD(en, zh) { MSG_WORD, NULL, en, zh },
#include "src/base/messages.def"
#undef PMSG
#undef EMSG
#undef WORD
};

#define NMSG (sizeof catalogue / sizeof catalogue[0])

static const struct msg *sorted[NMSG];
static bool indexed;

static int by_en(const void *a, const void *b)
{
	return strcmp((*(const struct msg *const *)a)->en, (*(const struct msg *const *)b)->en);
}

static void build_index(void)
{
	for (size_t i = 0; i < NMSG; i++)
		sorted[i] = &catalogue[i];
	qsort(sorted, NMSG, sizeof sorted[0], by_en);
	indexed = true;
}

const struct msg *msg_find(const char *en, int words)
{
	if (!en)
		return NULL;
	if (!indexed)
		build_index();
	struct msg key = { .en = en };
	const struct msg *kp = &key;
	const struct msg *const *hit = bsearch(&kp, sorted, NMSG, sizeof sorted[0], by_en);
	if (!hit || ((*hit)->kind == MSG_WORD && !words))
		return NULL;
	return *hit;
}

const struct msg *msg_all(size_t *n)
{
	*n = NMSG;
	return catalogue;
}

const char *msg_text(const char *en, enum lang l)
{
	const struct msg *m = l == LANG_ZH ? msg_find(en, 1) : NULL;

	return m ? m->zh : en;
}

void msg_utf8_trim(char *s)
{
	size_t len = strlen(s), i = len;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--;
	if (i > 0 && ((unsigned char)s[i - 1] & 0x80)) {
		unsigned char lead = (unsigned char)s[i - 1];
		size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
		if (len - (i - 1) < need)
			s[i - 1] = '\0';
	}
}

/* ---- formatting ---------------------------------------------------------- */

#define ARGS_MAX 12

enum arg_type { A_INT, A_UINT, A_DBL, A_STR, A_PTR };

struct arg {
	enum arg_type type;
	union {
		long long i;
		unsigned long long u;
		double d;
		const char *s;
		const void *p;
	} v;
};

/* One conversion: flags, width, precision as written; length and conv. */
struct spec {
	int pos;         /* n of "n$", or 0 */
	char flags[8];
	int width;       /* -1 none, -2 '*' */
	int prec;        /* -1 none, -2 '*' */
	char length[3];
	char conv;
};

/* Parses the conversion after a '%' at *p; advances *p. Returns 0. */
static int parse_spec(const char **p, struct spec *sp)
{
	const char *s = *p;
	size_t nf = 0;

	memset(sp, 0, sizeof *sp);
	sp->width = sp->prec = -1;
	if (*s >= '1' && *s <= '9') {
		const char *t = s;
		int n = 0;
		while (*t >= '0' && *t <= '9')
			n = n * 10 + (*t++ - '0');
		if (*t == '$') {
			sp->pos = n;
			s = t + 1;
		}
	}
	while (*s && strchr("-+ #0'", *s)) {
		if (nf < sizeof sp->flags - 1)
			sp->flags[nf++] = *s;
		s++;
	}
	if (*s == '*') {
		sp->width = -2;
		s++;
	} else if (*s >= '0' && *s <= '9') {
		sp->width = 0;
		while (*s >= '0' && *s <= '9')
			sp->width = sp->width * 10 + (*s++ - '0');
	}
	if (*s == '.') {
		s++;
		if (*s == '*') {
			sp->prec = -2;
			s++;
		} else {
			sp->prec = 0;
			while (*s >= '0' && *s <= '9')
				sp->prec = sp->prec * 10 + (*s++ - '0');
		}
	}
	size_t nl = 0;
	while (*s && strchr("hlzjtL", *s)) {
		if (nl < sizeof sp->length - 1)
			sp->length[nl++] = *s;
		s++;
	}
	if (!*s)
		return -1;
	sp->conv = *s++;
	*p = s;
	return 0;
}

static enum arg_type type_of(char conv)
{
	switch (conv) {
	case 'd': case 'i': case 'c':
		return A_INT;
	case 'u': case 'x': case 'X': case 'o':
		return A_UINT;
	case 'f': case 'F': case 'e': case 'E': case 'g': case 'G':
		return A_DBL;
	case 'p':
		return A_PTR;
	default:
		return A_STR;
	}
}

/* Reads the arguments of the English format fmt from ap. Returns how many,
 * or -1 for a conversion this does not know. */
static int read_args(const char *fmt, va_list ap, struct arg *args)
{
	int n = 0;

	for (const char *p = fmt; *p; ) {
		if (*p++ != '%')
			continue;
		if (*p == '%') {
			p++;
			continue;
		}
		struct spec sp;
		if (parse_spec(&p, &sp) || sp.pos || n >= ARGS_MAX - 2)
			return -1;
		if (sp.width == -2)
			args[n++] = (struct arg){ A_INT, { .i = va_arg(ap, int) } };
		if (sp.prec == -2)
			args[n++] = (struct arg){ A_INT, { .i = va_arg(ap, int) } };
		struct arg *a = &args[n++];
		a->type = type_of(sp.conv);
		const char *l = sp.length;
		switch (a->type) {
		case A_INT:
			a->v.i = !strcmp(l, "ll") ? va_arg(ap, long long)
				 : !strcmp(l, "l") ? va_arg(ap, long)
				 : !strcmp(l, "z") ? (long long)va_arg(ap, size_t)
				 : !strcmp(l, "j") ? (long long)va_arg(ap, long long)
				 : !strcmp(l, "t") ? (long long)va_arg(ap, ptrdiff_t)
				 : va_arg(ap, int);
			break;
		case A_UINT:
			a->v.u = !strcmp(l, "ll") ? va_arg(ap, unsigned long long)
				 : !strcmp(l, "l") ? va_arg(ap, unsigned long)
				 : !strcmp(l, "z") ? va_arg(ap, size_t)
				 : !strcmp(l, "j") ? (unsigned long long)va_arg(ap, unsigned long long)
				 : !strcmp(l, "t") ? (unsigned long long)va_arg(ap, ptrdiff_t)
				 : va_arg(ap, unsigned int);
			break;
		case A_DBL:
			a->v.d = va_arg(ap, double);
			break;
		case A_PTR:
			a->v.p = va_arg(ap, void *);
			break;
		case A_STR:
			if (sp.conv != 's')
				return -1;
			a->v.s = va_arg(ap, const char *);
			break;
		}
	}
	return n;
}

/* Writes fmt with args (read from the English format) into out. */
static void write_localized(char *out, size_t len, enum lang l, const char *fmt,
			    const struct arg *args, int nargs)
{
	size_t o = 0;
	int next = 0;

	out[0] = '\0';
	for (const char *p = fmt; *p && o + 1 < len; ) {
		if (*p != '%') {
			out[o++] = *p++;
			continue;
		}
		p++;
		if (*p == '%') {
			out[o++] = *p++;
			continue;
		}
		struct spec sp;
		if (parse_spec(&p, &sp))
			break;
		int width = sp.width, prec = sp.prec;
		if (width == -2)
			width = next < nargs ? (int)args[next++].v.i : 0;
		if (prec == -2)
			prec = next < nargs ? (int)args[next++].v.i : -1;
		int k = sp.pos ? sp.pos - 1 : next++;
		if (k < 0 || k >= nargs)
			break;
		const struct arg *a = &args[k];
		char one[32];
		int m = snprintf(one, sizeof one, "%%%s", sp.flags);
		if (width >= 0)
			m += snprintf(one + m, sizeof one - (size_t)m, "%d", width);
		if (prec >= 0)
			m += snprintf(one + m, sizeof one - (size_t)m, ".%d", prec);
		switch (a->type) {
		case A_INT:
			snprintf(one + m, sizeof one - (size_t)m, sp.conv == 'c' ? "c" : "lld");
			if (sp.conv == 'c')
				o += (size_t)snprintf(out + o, len - o, one, (int)a->v.i);
			else
				o += (size_t)snprintf(out + o, len - o, one, a->v.i);
			break;
		case A_UINT:
			snprintf(one + m, sizeof one - (size_t)m, "ll%c", sp.conv);
			o += (size_t)snprintf(out + o, len - o, one, a->v.u);
			break;
		case A_DBL:
			snprintf(one + m, sizeof one - (size_t)m, "%c", sp.conv);
			o += (size_t)snprintf(out + o, len - o, one, a->v.d);
			break;
		case A_PTR:
			snprintf(one + m, sizeof one - (size_t)m, "p");
			o += (size_t)snprintf(out + o, len - o, one, a->v.p);
			break;
		case A_STR: {
			const char *s = a->v.s ? a->v.s : "";
			if (l == LANG_ZH)
				s = msg_text(s, l);
			snprintf(one + m, sizeof one - (size_t)m, "s");
			o += (size_t)snprintf(out + o, len - o, one, s);
			break;
		}
		}
		if (o >= len)
			o = len - 1;
	}
	out[o < len ? o : len - 1] = '\0';
	msg_utf8_trim(out);
}

const struct msg *msg_vformat(char *out, size_t len, enum lang l, const char *fmt,
			      va_list ap)
{
	const struct msg *m = msg_find(fmt, 0);
	struct arg args[ARGS_MAX];
	va_list cp;

	if (!len)
		return m;
	if (l == LANG_EN || !m) {
		vsnprintf(out, len, fmt, ap);
		msg_utf8_trim(out);
		return m;
	}
	va_copy(cp, ap);
	int n = read_args(fmt, cp, args);
	va_end(cp);
	if (n < 0) {
		vsnprintf(out, len, fmt, ap);
		msg_utf8_trim(out);
		return m;
	}
	write_localized(out, len, l, m->zh, args, n);
	return m;
}

const struct msg *msg_format(char *out, size_t len, enum lang l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	const struct msg *m = msg_vformat(out, len, l, fmt, ap);
	va_end(ap);
	return m;
}

static void tsv_field(FILE *out, const char *s)
{
	for (; *s; s++)
		fputs(*s == '\t' ? "\\t" : *s == '\n' ? "\\n" : *s == '\\' ? "\\\\" : (char[2]){ *s, 0 }, out);
}

void msg_print(FILE *out)
{
	static const char *const kinds[] = { "problem", "error", "word" };

	for (size_t i = 0; i < NMSG; i++) {
		const struct msg *m = &catalogue[i];
		fprintf(out, "%s\t", m->code ? m->code : "");
		tsv_field(out, m->en);
		fputc('\t', out);
		tsv_field(out, m->zh);
		fprintf(out, "\t%s\n", kinds[m->kind]);
	}
}
