/* dbstmt.c - the registry of prepared statements (DB_STMT) and their named
 * parameters (DB_ARG): parsed once, checked as a whole when the executable
 * starts, so that a clash of names or a parameter nobody sets is found
 * before a request meets it. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opengov/base/buf.h"
#include "opengov/db/db.h"
#include "opengov/base/log.h"

/* PostgreSQL keeps the first NAMEDATALEN - 1 bytes of a name: two longer
 * names that share those would be one statement. */
#define DB_STMT_NAME_MAX 63

static bool ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* A problem of a statement, formatted once: it lives as long as the
 * statement does. */
static const char *stmt_problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *stmt_problem(const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return xstrdup(msg);
}

/* The end of the quoted text that starts at s[i] (a ' or a "): the index
 * after its closing quote, or 0 when it has none. A doubled quote is one
 * character of the text; a backslash escapes in an E'' string only. */
static size_t skip_quoted(const char *s, size_t i, bool backslash)
{
	char q = s[i];

	for (i++; s[i]; i++) {
		if (backslash && s[i] == '\\' && s[i + 1])
			i++;
		else if (s[i] == q && s[i + 1] == q)
			i++;
		else if (s[i] == q)
			return i + 1;
	}
	return 0;
}

/* The end of the comment that starts at s[i] ("--" or a nested slash-star),
 * or 0 when a block comment is not closed. */
static size_t skip_comment(const char *s, size_t i)
{
	int depth = 0;

	if (s[i] == '-') {
		while (s[i] && s[i] != '\n')
			i++;
		return i;
	}
	for (; s[i]; i++) {
		if (s[i] == '/' && s[i + 1] == '*') {
			depth++;
			i++;
		} else if (s[i] == '*' && s[i + 1] == '/') {
			i++;
			if (--depth == 0)
				return i + 1;
		}
	}
	return 0;
}

/* A dollar-quoted string ($$...$$, $tag$...$tag$) starting at s[i]: the
 * index after it, i when s[i] starts none, 0 when it is not closed. */
static size_t skip_dollar_quoted(const char *s, size_t i)
{
	size_t t = i + 1;

	while (ident_char(s[t]))
		t++;
	if (s[t] != '$' || isdigit((unsigned char)s[i + 1]))
		return i;
	size_t taglen = t + 1 - i;
	for (const char *p = s + t + 1; (p = strchr(p, '$')); p++)
		if (!strncmp(p, s + i, taglen))
			return (size_t)(p - s) + taglen;
	return 0;
}

int db_stmt_parse(struct db_stmt *st)
{
	const char *s = st->sql;
	char *names[DB_ARGS_MAX];
	bool used[DB_ARGS_MAX + 1] = { false };
	int nnames = 0, maxpos = 0;
	bool escapes = false; /* the next ' opens an E'' string */
	struct buf out = { 0 };
	size_t i = 0;

	if (st->parsed)
		return st->problem ? -1 : 0;
	if (!s || !*s) { /* not kept: a DB_STMT_BUILT statement's is written later */
		st->text = s;
		st->problem = st->built ? "its SQL was not built before its first use"
					: "its SQL is empty";
		return -1;
	}
	st->parsed = true;
	st->text = s;
	st->problem = NULL;
	while (s[i] && !st->problem) {
		size_t from = i, end;
		char c = s[i];

		if (c == '\'' || c == '"') {
			if (!(end = skip_quoted(s, i, c == '\'' && escapes)))
				st->problem = stmt_problem("a quote at byte %zu is not closed", i);
			i = end;
		} else if ((c == '-' && s[i + 1] == '-') || (c == '/' && s[i + 1] == '*')) {
			if (!(end = skip_comment(s, i)))
				st->problem = stmt_problem("a comment at byte %zu is not closed", i);
			i = end;
		} else if (c == '$' && isdigit((unsigned char)s[i + 1])) {
			long k = strtol(s + i + 1, NULL, 10);
			for (i++; isdigit((unsigned char)s[i]); i++)
				;
			if (k < 1 || k > DB_ARGS_MAX)
				st->problem = stmt_problem("$%ld is out of 1..%d", k, DB_ARGS_MAX);
			else
				used[k] = true;
			if (k > maxpos)
				maxpos = (int)k;
		} else if (c == '$') {
			if (!(end = skip_dollar_quoted(s, i)))
				st->problem = stmt_problem("a $-quote at byte %zu is not closed", i);
			i = end > i ? end : i + 1;
		} else if (c == ':' && s[i + 1] == ':') {
			i += 2; /* a cast */
		} else if (c == ':' && ident_start(s[i + 1])) {
			size_t len = 1;
			int k;
			while (ident_char(s[i + 1 + len]))
				len++;
			for (k = 0; k < nnames; k++)
				if (strlen(names[k]) == len && !strncmp(names[k], s + i + 1, len))
					break;
			if (k == nnames && nnames == DB_ARGS_MAX) {
				st->problem = stmt_problem("more than %d names", DB_ARGS_MAX);
				break;
			}
			if (k == nnames) {
				names[nnames] = xmalloc(len + 1);
				memcpy(names[nnames], s + i + 1, len);
				names[nnames++][len] = '\0';
			}
			buf_printf(&out, "$%d", k + 1);
			i += 1 + len;
			continue;
		} else if (ident_char(c)) {
			while (ident_char(s[i]) || s[i] == '$')
				i++;
			escapes = i - from == 1 && (c == 'E' || c == 'e') && s[i] == '\'';
			buf_append(&out, s + from, i - from);
			continue;
		} else {
			i++;
		}
		escapes = false;
		if (!st->problem)
			buf_append(&out, s + from, i - from);
	}
	if (!st->problem && nnames && maxpos)
		st->problem = "it mixes $n and :name parameters";
	for (int k = 1; !st->problem && k < maxpos; k++)
		if (!used[k])
			st->problem = stmt_problem("$%d is not used (PostgreSQL cannot tell its type)"
						   " though $%d is", k, maxpos);
	if (st->problem || !nnames) {
		for (int k = 0; k < nnames; k++)
			free(names[k]);
		buf_free(&out);
		st->nparams = st->problem ? 0 : maxpos;
		return st->problem ? -1 : 0;
	}
	/* Kept for the life of the process, like the statement. */
	st->names = xcalloc((size_t)nnames, sizeof *st->names);
	memcpy(st->names, names, (size_t)nnames * sizeof *names);
	st->nparams = nnames;
	st->text = xstrdup(buf_str(&out));
	buf_free(&out);
	return 0;
}

static int stmt_param_index(const struct db_stmt *st, const char *name)
{
	for (int i = 0; st->names && i < st->nparams; i++)
		if (!strcmp(st->names[i], name))
			return i;
	return -1;
}

void db_arg(struct db_args *args, struct db_stmt *stmt, const char *name, const char *value)
{
	int i = db_stmt_parse(stmt) ? -1 : stmt_param_index(stmt, name);

	if (args->stmt && args->stmt != stmt) {
		log_error("statement %s: :%s set in the arguments of statement %s",
			  stmt->name, name, args->stmt->name);
		i = -1;
	} else if (i < 0) {
		log_error("statement %s (%s:%d) has no parameter :%s", stmt->name, stmt->file,
			  stmt->line, name);
	}
	if (i < 0) {
		if (!args->bad)
			args->bad = name;
		return;
	}
	args->stmt = stmt;
	args->value[i] = value;
	args->set |= 1ULL << i;
}

int db_args_params(struct db_stmt *stmt, const struct db_args *args, const char **params)
{
	if (db_stmt_parse(stmt)) {
		log_error("statement %s (%s:%d) cannot be prepared: %s", stmt->name, stmt->file,
			  stmt->line, stmt->problem);
		return -1;
	}
	if (!stmt->names && stmt->nparams) {
		log_error("statement %s (%s:%d) has numbered parameters: bind them with db_exec",
			  stmt->name, stmt->file, stmt->line);
		return -1;
	}
	if (args->stmt && args->stmt != stmt) {
		log_error("statement %s not run: its arguments were set for statement %s",
			  stmt->name, args->stmt->name);
		return -1;
	}
	if (args->bad) {
		log_error("statement %s not run: :%s was set, which it does not have", stmt->name,
			  args->bad);
		return -1;
	}
	for (int i = 0; i < stmt->nparams; i++) {
		if (!(args->set & (1ULL << i))) {
			log_error("statement %s not run: :%s was not set", stmt->name,
				  stmt->names[i]);
			return -1;
		}
		params[i] = args->value[i];
	}
	return stmt->nparams;
}

static void check_report(FILE *out, int *count, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void check_report(FILE *out, int *count, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (out)
		fprintf(out, "opengov: %s\n", msg);
	else
		log_error("%s", msg);
	(*count)++;
}

/* db_exec_cached names its statements dyn0, dyn1, ... */
static bool name_reserved(const char *name)
{
	return !strncmp(name, "dyn", 3) && name[3] && strspn(name + 3, "0123456789") == strlen(name + 3);
}

int db_stmts_check(struct db_stmt *const *stmts, size_t nstmts,
		   const struct db_arg_use *const *uses, size_t nuses, FILE *out)
{
	int count = 0;

	for (size_t i = 0; i < nstmts; i++) {
		struct db_stmt *st = stmts[i];
		if (!st)
			continue;
		const char *name = st->name ? st->name : "";
		if (!*name)
			check_report(out, &count, "statement at %s:%d has no name", st->file,
				     st->line);
		else if (strlen(name) > DB_STMT_NAME_MAX)
			check_report(out, &count, "statement %s (%s:%d): name longer than %d bytes",
				     name, st->file, st->line, DB_STMT_NAME_MAX);
		else if (name_reserved(name))
			check_report(out, &count, "statement %s (%s:%d): dyn<n> names are"
				     " db_exec_cached's", name, st->file, st->line);
		for (size_t j = 0; j < i; j++)
			if (stmts[j] && stmts[j]->name && !strcmp(stmts[j]->name, name)) {
				check_report(out, &count, "statement name %s is declared twice:"
					     " %s:%d and %s:%d", name, stmts[j]->file,
					     stmts[j]->line, st->file, st->line);
				break;
			}
		if (db_stmt_parse(st) && !(st->built && !st->parsed))
			check_report(out, &count, "statement %s (%s:%d): %s", name, st->file,
				     st->line, st->problem);
	}
	for (size_t u = 0; u < nuses; u++) {
		const struct db_arg_use *use = uses[u];
		if (!use)
			continue;
		struct db_stmt *st = use->stmt;
		if (db_stmt_parse(st))
			continue; /* reported above, or built later */
		if (!st->names)
			check_report(out, &count, "%s:%d: DB_ARG :%s of statement %s, whose"
				     " parameters are numbered", use->file, use->line, use->name,
				     st->name);
		else if (stmt_param_index(st, use->name) < 0)
			check_report(out, &count, "%s:%d: statement %s has no parameter :%s",
				     use->file, use->line, st->name, use->name);
	}
	for (size_t i = 0; i < nstmts; i++) {
		struct db_stmt *st = stmts[i];
		if (!st || !st->parsed || st->problem || !st->names)
			continue;
		for (int k = 0; k < st->nparams; k++) {
			size_t u;
			for (u = 0; u < nuses; u++)
				if (uses[u] && uses[u]->stmt == st &&
				    !strcmp(uses[u]->name, st->names[k]))
					break;
			if (u == nuses)
				check_report(out, &count, "statement %s (%s:%d): no DB_ARG sets :%s",
					     st->name, st->file, st->line, st->names[k]);
		}
	}
	return count;
}

/* Defined by the linker when some object has the section; weak, so that
 * an executable with none (a fuzz harness of a few objects) links too,
 * with empty registries. */
extern struct db_stmt *const __start_opengov_stmts[] __attribute__((weak));
extern struct db_stmt *const __stop_opengov_stmts[] __attribute__((weak));
extern const struct db_arg_use *const __start_opengov_args[] __attribute__((weak));
extern const struct db_arg_use *const __stop_opengov_args[] __attribute__((weak));

size_t db_stmts_registered(struct db_stmt *const **stmts)
{
	*stmts = __start_opengov_stmts;
	return __start_opengov_stmts ? (size_t)(__stop_opengov_stmts - __start_opengov_stmts) : 0;
}

size_t db_arg_uses_registered(const struct db_arg_use *const **uses)
{
	*uses = __start_opengov_args;
	return __start_opengov_args ? (size_t)(__stop_opengov_args - __start_opengov_args) : 0;
}

int db_stmts_check_registered(FILE *out)
{
	struct db_stmt *const *stmts;
	const struct db_arg_use *const *uses;
	size_t n = db_stmts_registered(&stmts), nuses = db_arg_uses_registered(&uses);

	return db_stmts_check(stmts, n, uses, nuses, out);
}

static int stmt_cmp(const void *a, const void *b)
{
	const struct db_stmt *x = *(struct db_stmt *const *)a, *y = *(struct db_stmt *const *)b;

	return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

int db_stmts_print(FILE *out, FILE *err)
{
	struct db_stmt *const *reg;
	size_t n = db_stmts_registered(&reg), m = 0;
	struct db_stmt **sorted = xcalloc(n ? n : 1, sizeof *sorted);
	int problems = db_stmts_check_registered(err);

	for (size_t i = 0; i < n; i++)
		if (reg[i])
			sorted[m++] = reg[i];
	qsort(sorted, m, sizeof *sorted, stmt_cmp);
	fprintf(out, "# name, parameters, declared at, names (of named parameters)\n");
	for (size_t i = 0; i < m; i++) {
		const struct db_stmt *st = sorted[i];
		if (st->built && !st->parsed)
			fprintf(out, "%-36s  -  %s:%d (built at run time)", st->name ? st->name : "",
				st->file, st->line);
		else
			fprintf(out, "%-36s %2d  %s:%d", st->name ? st->name : "", st->nparams,
				st->file, st->line);
		for (int k = 0; st->names && k < st->nparams; k++)
			fprintf(out, "%s:%s", k ? " " : "  ", st->names[k]);
		fputc('\n', out);
	}
	fprintf(out, "# %zu statements, %d problem%s\n", m, problems, problems == 1 ? "" : "s");
	free(sorted);
	return problems;
}
