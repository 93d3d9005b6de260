/* db.h - the worker's one PostgreSQL connection: prepared statements,
 * transactions, reconnection. Only parameterised statements go through here. */
#ifndef OPENGOV_DB_H
#define OPENGOV_DB_H

#include <stdbool.h>
#include <libpq-fe.h>
#include "opengov/base/buf.h"

struct db_listener {
	const char *channel;
	void (*on_notify)(void);
};

struct db {
	PGconn *conn;
	const char *url;
	const char *tz;       /* session TimeZone for working-day dates; NULL = server's */
	unsigned gen;         /* bumped on every (re)connect: statements re-prepare */
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

/* A statement, prepared on first use in each connection generation. */
struct db_stmt {
	const char *name;
	const char *sql;
	unsigned gen;
};

/* Connects (or reconnects). Returns 0 or -1. */
int db_connect(struct db *db, const char *url);
void db_close(struct db *db);
/* True when connected or reconnected now. */
bool db_ensure(struct db *db);
/* Reads what the server sent since the last call, without waiting: the
 * notifications call on_notify. -1 when not connected (nothing can be
 * known about changes made meanwhile), 0 otherwise. */
int db_poll_notifies(struct db *db);

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

/* The number of the column named col (as the query spelled it, lower
 * case), or -1: PQfnumber without its case folding and allocation, which
 * cost a worker a sixth of its time on list pages. */
int db_col(const PGresult *res, const char *col);
/* Accessors that turn SQL NULL into NULL. */
const char *db_get(const PGresult *res, int row, const char *col);
long long db_get_ll(const PGresult *res, int row, const char *col);

/* A statement assembled from constant fragments, with the values passed as
 * parameters: how a list with optional filters stays parameterised. */
#define SQLB_MAX_PARAMS 24
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

/* The substring test of a search: "(col LIKE $n OR ...)" over the NULL-
 * ended columns (constant fragments), pattern bound once per column.
 * Chinese has no case, and ILIKE on UTF-8 lower-cases both sides of every
 * comparison (ten times the cost of LIKE): ILIKE only when q holds ASCII
 * letters. */
void sqlb_substring(struct sqlb *b, const char *const *columns, const char *q,
		    const char *pattern);
/* q as a LIKE pattern into out (len bytes): %q% with its own %, _ and \
 * escaped, cut short rather than overflow. */
void sql_like_pattern(const char *q, char *out, size_t len);

#define SQLSTATE_UNIQUE "23505"
#define SQLSTATE_FK "23503"
#define SQLSTATE_CHECK "23514"

#endif
