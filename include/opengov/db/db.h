/* db.h - the worker's one PostgreSQL connection: prepared statements,
 * transactions, reconnection. Only parameterised statements go through here. */
#ifndef OPENGOV_DB_H
#define OPENGOV_DB_H

#include <stdbool.h>
#include <stdio.h>
#include <libpq-fe.h>
#include "opengov/base/buf.h"

struct db_listener {
	const char *channel;
	void (*on_notify)(void);
};

/* Connections one process may hold at once, each with its own prepared
 * statements: the primary's and a read replica's. */
#define DB_SLOTS 2

struct db {
	PGconn *conn;
	const char *url;
	const char *tz;       /* session TimeZone for working-day dates; NULL = server's */
	unsigned gen;         /* bumped on every (re)connect: statements re-prepare */
	const char *app_name; /* application_name (pg_stat_activity); NULL: "opengov" */
	unsigned slot;        /* which of a process's connections this is (< DB_SLOTS):
			       * 0 the primary's, 1 the read replica's (replica.c) */
	bool in_tx;
	bool lost;            /* the last call failed because the server is gone */
	char sqlstate[6];     /* SQLSTATE of the last failure, "" when none */
	char constraint[64];  /* constraint named by the last failure */
	/* LISTEN to each channel of this table on every (re)connect (constants,
	 * never values), and call its on_notify when a notification on that
	 * channel is read, and every on_notify after each reconnect (some may
	 * have been missed). */
	const struct db_listener *listeners;
	size_t nlisteners;
	/* Instead of LISTEN: hear only this session's own changes on those
	 * channels (sql/035: the notice OG001 the triggers raise for a session
	 * with opengov.own_changes on), and call their on_notify once the
	 * transaction that made them has ended, before its answer is used.
	 * The workers: one process per host listens for everyone else's
	 * (docs/caches.md, "Who hears what"). */
	bool own_changes_only;
	unsigned own_heard;   /* a bit per listener: noticed, not yet acted on */

	/* The current request (db_request_begin), so that the worker can tell
	 * whether running it again is safe and useful (db_request_retry). */
	unsigned req_ok;         /* statements that succeeded */
	bool req_committed;      /* a COMMIT (or a write outside a transaction) succeeded */
	bool req_lost;           /* a statement failed because the server was gone */
	bool req_unsafe;         /* ... and whether what it sent landed is unknown */
	bool req_connect_failed; /* a reconnection failed: the server is still away */
	bool sending_begin;      /* the statement in flight is a BEGIN */
	bool sending_commit;     /* ... or a COMMIT */
	char retry_state[6];     /* the first 40001/40P01 of the request, "" when none */
	double last_used;        /* CLOCK_MONOTONIC seconds of the last statement */
};

/* Why a request may be run again from the start with a fresh answer. */
enum db_retry {
	DB_RETRY_NONE,
	DB_RETRY_CONNECTION,    /* the connection was gone; nothing had landed */
	DB_RETRY_DEADLOCK,      /* 40P01: PostgreSQL aborted the transaction */
	DB_RETRY_SERIALIZATION, /* 40001: likewise */
};

/* A statement, prepared on first use in each connection generation under
 * its name. Declare one with DB_STMT only (never a struct db_stmt of its
 * own): that also registers it, so that db_stmts_check() sees every
 * statement of the executable before it serves. A connection has one
 * namespace of names, and two statements of one name would otherwise only
 * meet as a 500 at run time.
 *
 * Its parameters are either numbered ($1, $2, ...) and passed as an array
 * (db_exec), or named (:title, :unit_id, ...) and bound by name (DB_ARG,
 * db_exec_args): the SQL then is the one place that orders them, so that a
 * column is added without renumbering. The same name may appear more than
 * once; a name is [A-Za-z_][A-Za-z0-9_]*, and "::" stays a cast. */
struct db_stmt {
	const char *name;
	const char *sql;   /* as written */
	const char *file;  /* where DB_STMT declared it */
	int line;
	bool built;        /* sql is a buffer filled before first use */
	/* The connection generation it was last prepared in, per connection
	 * slot: a worker may hold two connections (the primary and a read
	 * replica), each with its own generations and prepared statements. */
	unsigned gen[DB_SLOTS];
	/* What db_stmt_parse() found in sql, on first use: */
	bool parsed;
	int nparams;           /* $1..$nparams */
	const char *text;      /* what is prepared: sql, with :name as $n */
	char **names;          /* the name of each $n (named); NULL when numbered */
	const char *problem;   /* why it cannot be prepared; NULL when it can */
};

/* The registries are arrays of pointers in named sections, gathered by the
 * linker from every object (GNU ld and lld define __start_ and __stop_
 * for a section whose name is a C identifier). Pointers, not the structures:
 * the compiler may align a structure beyond its size, leaving gaps. */
#define DB_STMT_SECTION "opengov_stmts"
#define DB_ARG_SECTION "opengov_args"

/* Declares the static statement var (at file or function scope) and
 * registers it, e.g. DB_STMT(get, "items_get", "SELECT ... WHERE id = $1"); */
#define DB_STMT(var, stmt_name, stmt_sql)					\
	static struct db_stmt var = { .name = stmt_name, .sql = stmt_sql,	\
				      .file = __FILE__, .line = __LINE__ };	\
	static struct db_stmt *const db_stmt_entry_##var			\
		__attribute__((used, section(DB_STMT_SECTION))) = &var

/* The same for a statement whose SQL is written into the array buf at run
 * time before its first use (from tables of the code): its SQL is checked
 * when it is prepared, not at start. */
#define DB_STMT_BUILT(var, stmt_name, buf)					\
	static struct db_stmt var = { .name = stmt_name, .sql = buf, .built = true, \
				      .file = __FILE__, .line = __LINE__ };	\
	static struct db_stmt *const db_stmt_entry_##var			\
		__attribute__((used, section(DB_STMT_SECTION))) = &var

/* Where a named parameter is bound (DB_ARG), for db_stmts_check(). */
struct db_arg_use {
	struct db_stmt *stmt;
	const char *name;
	const char *file;
	int line;
};

/* The values of a named statement's parameters, set by name: start from
 * { 0 }. NULL is SQL NULL; a parameter never set is an error (a value
 * forgotten when a column was added), so is a name the SQL lacks. */
#define DB_ARGS_MAX 64
struct db_args {
	const struct db_stmt *stmt;
	unsigned long long set;     /* bit i: $i+1 was set */
	const char *value[DB_ARGS_MAX];
	const char *bad;            /* the first name that was wrong, or NULL */
};

/* Sets the parameter name of statement stmt (the variable of its DB_STMT)
 * in args to value (a string that lives until the statement has run). The
 * name is registered too, so that db_stmts_check() finds a name the SQL
 * does not have, or a parameter of the SQL no DB_ARG sets, at start. */
#define DB_ARG(args, stmt, arg_name, val) do {					\
		static const struct db_arg_use db_arg_use_ =			\
			{ &(stmt), arg_name, __FILE__, __LINE__ };		\
		static const struct db_arg_use *const db_arg_entry_		\
			__attribute__((used, section(DB_ARG_SECTION))) =	\
			&db_arg_use_;						\
		db_arg((args), &(stmt), arg_name, (val));			\
	} while (0)

/* What DB_ARG calls (use DB_ARG: it registers the name). */
void db_arg(struct db_args *args, struct db_stmt *stmt, const char *name,
	    const char *value);
/* The values of args in $n order into params (DB_ARGS_MAX of them): the
 * number of parameters of stmt, or -1 after logging why (a name wrong, a
 * parameter unset, args set for another statement, or stmt unpreparable). */
int db_args_params(struct db_stmt *stmt, const struct db_args *args, const char **params);

/* Parses stmt->sql once (placeholders, quotes, comments): nparams, text,
 * names and problem. Returns 0, or -1 when it has a problem. */
int db_stmt_parse(struct db_stmt *stmt);
/* The problems of a table of statements and of the uses of their named
 * parameters (NULL entries are skipped): a name empty, too long for
 * PostgreSQL (63 bytes), reserved (dyn<n>, db_exec_cached's) or shared by
 * two statements; SQL empty, or mixing $n and :name, or leaving a $n out
 * (PostgreSQL could not type it), or with an unterminated quote or
 * comment; a DB_ARG name the SQL lacks; a name of the SQL no DB_ARG sets.
 * Each is one line to out, or to the log when out is NULL. Returns how
 * many. The SQL of a DB_STMT_BUILT statement is checked once built. */
int db_stmts_check(struct db_stmt *const *stmts, size_t nstmts,
		   const struct db_arg_use *const *uses, size_t nuses, FILE *out);
/* The executable's own registries (every DB_STMT and DB_ARG it links). */
size_t db_stmts_registered(struct db_stmt *const **stmts);
size_t db_arg_uses_registered(const struct db_arg_use *const **uses);
/* db_stmts_check() of the executable's registries. */
int db_stmts_check_registered(FILE *out);
/* `opengov statements`: the registry on out, one statement a line (name,
 * number of parameters, file:line, the names of named ones), by name;
 * problems on err. Returns how many problems. */
int db_stmts_print(FILE *out, FILE *err);

/* Connects (or reconnects). Returns 0 or -1. */
int db_connect(struct db *db, const char *url);
void db_close(struct db *db);
/* True when connected or reconnected now. */
bool db_ensure(struct db *db);
/* Reads what the server sent since the last call, without waiting: the
 * notifications call on_notify. -1 when not connected (nothing can be
 * known about changes made meanwhile), 0 otherwise. */
int db_poll_notifies(struct db *db);

/* The SQLSTATE of the notices of sql/035: a change of this session's
 * own, on the channel the notice names. */
#define DB_OWN_CHANGE_SQLSTATE "OG001"

/* The connection's socket, to wait on for notifications (or, for a
 * session that hears its own changes only, for the server ending it); -1
 * when there is no live connection (nothing to wait for: the next
 * statement reconnects). */
int db_socket(const struct db *db);

/* Marks the start of a request (or of its re-run). A connection idle for
 * a while is checked first, without a round trip (what the server sent is
 * read: the message of a server that shut down, or the closed socket), so
 * that one the server ended is replaced before the first statement. */
void db_request_begin(struct db *db);
/* Whether the request that just ran may run again: after a deadlock or a
 * serialization failure, when no transaction of it committed; after a lost
 * connection, when nothing of it can have landed (the failing statement was
 * its first, a BEGIN, or inside a transaction the server ended) or when the
 * caller knows the request only reads (read_only). Never after a COMMIT
 * whose outcome is unknown. */
enum db_retry db_request_retry(const struct db *db, bool read_only);
/* The SQLSTATE behind a DB_RETRY_DEADLOCK/SERIALIZATION ("" otherwise). */
const char *db_request_retry_state(const struct db *db);
/* How many times a request may run again for this reason (0 for none). */
int db_retry_limit(enum db_retry why);
/* The pause before run attempt + 1 (attempt >= 1), in microseconds: an
 * exponential backoff from 5 ms, jittered by rnd (any random number). */
long db_retry_delay_us(int attempt, unsigned rnd);

/* Runs stmt with n text parameters (NULL = SQL NULL). Returns a result with
 * PGRES_TUPLES_OK or PGRES_COMMAND_OK, or NULL with db->sqlstate/lost set. */
PGresult *db_exec(struct db *db, struct db_stmt *stmt, int n,
		  const char *const *params);
/* The same with binary parameters (lengths and formats as PQexecPrepared
 * takes them: format 1 = binary, its length in lengths; NULL = all text)
 * and the result in result_format (0 text, 1 binary: every column in
 * PostgreSQL's binary form, bytea as the raw bytes). */
PGresult *db_exec_binary(struct db *db, struct db_stmt *stmt, int n,
			 const char *const *params, const int *lengths,
			 const int *formats, int result_format);
/* Runs the named statement stmt with the values of args (DB_ARG). NULL
 * (logged, SQLSTATE 42P02) when they do not fit it: see db_args_params. */
PGresult *db_exec_args(struct db *db, struct db_stmt *stmt, const struct db_args *args);
/* Runs SQL assembled from constant fragments with n text parameters,
 * planned for these values (lists whose filters vary per request). */
PGresult *db_exec_params(struct db *db, const char *sql, int n,
			 const char *const *params);
/* Same, but the statement is prepared once per connection and shape (the
 * worker keeps a table of the shapes it has seen): for assembled SQL whose
 * plan does not depend on the values. */
PGresult *db_exec_cached(struct db *db, const char *sql, int n,
			 const char *const *params);
/* Same for SQL with no parameters (BEGIN, migrations). */
PGresult *db_exec_simple(struct db *db, const char *sql);

int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);
/* After a write that committed with synchronous_commit off for its own
 * transaction (so that the row locks it held were released without waiting
 * for the disk): returns once the WAL is on disk up to that commit, 0, or
 * -1 when the server did not say so (the write has committed either way:
 * the request is not run again). A transaction of its own that commits
 * synchronously; its flush covers every earlier commit, so sessions that
 * wait at once share one flush. Outside a transaction only. */
int db_wait_durable(struct db *db);

/* The number of the column named col (as the query spelled it, lower
 * case), or -1: PQfnumber without its case folding and allocation, which
 * cost a worker a sixth of its time on list pages. */
int db_col(const PGresult *res, const char *col);
/* Accessors that turn SQL NULL into NULL. */
const char *db_get(const PGresult *res, int row, const char *col);
long long db_get_ll(const PGresult *res, int row, const char *col);

/* A statement assembled from constant fragments, with the values passed as
 * parameters: how a list with optional filters stays parameterised. The
 * most a list uses is the catalogue's search window with every filter and
 * a cursor (api/items.c, search_window: the filters twice), 33; more is a
 * programming error (sqlb_param aborts). */
#define SQLB_MAX_PARAMS 64
struct sqlb {
	struct buf sql;
	int n;
	const char *params[SQLB_MAX_PARAMS];
};

/* Appends a constant fragment (never a value). */
void sqlb_add(struct sqlb *b, const char *fragment);
/* Binds value as the next parameter and appends its placeholder, e.g.
 * "$3::uuid" for cast "uuid" (cast may be NULL). */
void sqlb_param(struct sqlb *b, const char *value, const char *cast);
/* Appends " AND <column> = $n::cast" binding value, when value is not NULL
 * (an optional equality filter of a list). column is a constant fragment. */
void sqlb_and_eq(struct sqlb *b, const char *column, const char *value, const char *cast);
/* The bounds of a time filter on column: " AND column >= from" (a date
 * means its first instant), " AND column <= to" (a date: before the next
 * day); each only when given. */
void sqlb_and_between(struct sqlb *b, const char *column, const char *from, bool from_date,
		      const char *to, bool to_date);
/* " AND (time_column, id_column) < (the time of us microseconds, id)":
 * the keyset condition of a newest-first list, when after[0] is set. */
void sqlb_and_before(struct sqlb *b, const char *time_column, const char *id_column,
		     char after[2][128]);
void sqlb_free(struct sqlb *b);

/* The substring test of a search over the NULL-ended columns (constant
 * fragments): "(strpos(col, $n) > 0 OR ...)", q bound once per column.
 * When q holds ASCII letters, "(col ILIKE $n OR ...)" with pattern (the
 * match ignores their case). Chinese has no case, and ILIKE on UTF-8
 * lower-cases both sides of every comparison (ten times the cost of
 * LIKE); strpos finds the same substrings as LIKE '%q%' (pattern with its
 * wildcards escaped) at two thirds of its cost on the 2,000 candidates of
 * a search window (docs/performance.md). */
void sqlb_substring(struct sqlb *b, const char *const *columns, const char *q,
		    const char *pattern);
/* q as a LIKE pattern into out (len bytes): %q% with its own %, _ and \
 * escaped, cut short rather than overflow. */
void sql_like_pattern(const char *q, char *out, size_t len);

#define SQLSTATE_UNIQUE "23505"
#define SQLSTATE_FK "23503"
#define SQLSTATE_CHECK "23514"

#endif
