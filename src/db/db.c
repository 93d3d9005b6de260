/* db.c - one PostgreSQL connection per worker. Statements are prepared once
 * per connection generation, so a reconnect re-prepares them on first use. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "opengov/db/db.h"
#include "opengov/base/log.h"
#include "opengov/base/metrics.h"

static void db_note_error(struct db *db, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *cons = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;

	snprintf(db->sqlstate, sizeof db->sqlstate, "%s", state ? state : "");
	snprintf(db->constraint, sizeof db->constraint, "%s", cons ? cons : "");
	if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
		db->lost = true;
		db->in_tx = false;
	}
	/* Class 08 (connection exception) and 57P0x (shutdown) mean the server went away. */
	if (!strncmp(db->sqlstate, "08", 2) || !strncmp(db->sqlstate, "57P", 3))
		db->lost = true;
	if (db->lost)
		db->req_lost = true;
	/* PostgreSQL rolled the transaction back to settle a race: the whole
	 * request may run again (db_request_retry). Kept apart from sqlstate,
	 * which the ROLLBACK that follows would otherwise be the last word on. */
	if (!db->retry_state[0] &&
	    (!strcmp(db->sqlstate, "40001") || !strcmp(db->sqlstate, "40P01")))
		memcpy(db->retry_state, db->sqlstate, sizeof db->retry_state);
}

static double db_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A connection unused for this long is checked before a request uses it:
 * one recv(2) that finds nothing on a healthy connection. Busier workers
 * skip the check; a connection that died meanwhile is then found by the
 * request's first statement, which is run again (db_request_retry). */
#define DB_IDLE_CHECK_SECS 1.0

void db_request_begin(struct db *db)
{
	db->req_ok = 0;
	db->req_committed = false;
	db->req_lost = false;
	db->req_unsafe = false;
	db->req_connect_failed = false;
	db->sending_begin = false;
	db->sending_commit = false;
	db->retry_state[0] = '\0';
	if (db->conn && !db->lost && !db->in_tx && db_now() - db->last_used >= DB_IDLE_CHECK_SECS)
		(void)db_poll_notifies(db); /* sets lost: the first statement reconnects */
}

enum db_retry db_request_retry(const struct db *db, bool read_only)
{
	if (db->req_committed)
		return DB_RETRY_NONE;
	if (!strcmp(db->retry_state, "40P01"))
		return DB_RETRY_DEADLOCK;
	if (!strcmp(db->retry_state, "40001"))
		return DB_RETRY_SERIALIZATION;
	if (db->req_lost && !db->req_connect_failed && (read_only || !db->req_unsafe))
		return DB_RETRY_CONNECTION;
	return DB_RETRY_NONE;
}

const char *db_request_retry_state(const struct db *db)
{
	return db->retry_state;
}

int db_retry_limit(enum db_retry why)
{
	/* A connection is replaced once: if the new one fails too, the server
	 * is away and the client is told so. A race usually settles at once;
	 * three more runs cover a burst of them. */
	return why == DB_RETRY_CONNECTION ? 1 : why == DB_RETRY_NONE ? 0 : 3;
}

long db_retry_delay_us(int attempt, unsigned rnd)
{
	/* 2.5-7.5 ms, then 5-15, then 10-30: long enough for the winner of a
	 * race to commit, short beside a client's timeout; the jitter keeps two
	 * losers from meeting again. */
	if (attempt < 1)
		attempt = 1;
	if (attempt > 6)
		attempt = 6;
	long base = 5000L << (attempt - 1);
	return base / 2 + (long)(rnd % (unsigned)base);
}

/* The command tags of statements that change rows: outside a transaction,
 * one that succeeded has committed. */
static bool db_tag_writes(const char *tag)
{
	static const char *const writes[] = { "INSERT", "UPDATE", "DELETE", "MERGE", "COPY", NULL };

	for (int i = 0; writes[i]; i++)
		if (!strncmp(tag, writes[i], strlen(writes[i])))
			return true;
	return false;
}

/* The bit of channel's listener (0 when none listens to it). */
static unsigned db_listener_bit(const struct db *db, const char *channel)
{
	for (size_t i = 0; i < db->nlisteners && i < 32; i++)
		if (!strcmp(channel, db->listeners[i].channel))
			return 1u << i;
	return 0;
}

/* Calls the on_notify of each listener whose bit is in heard, once. */
static void db_call_heard(const struct db *db, unsigned heard)
{
	for (size_t i = 0; i < db->nlisteners && i < 32; i++)
		if ((heard & (1u << i)) && db->listeners[i].on_notify)
			db->listeners[i].on_notify();
}

/* The changes this session noticed (db_notice), once its transaction has
 * ended: acted on before it happened, a cache entry read meanwhile (by a
 * sibling, from the rows before the change) would be kept as if it were
 * new. A transaction that rolled back calls them too, which costs a read. */
static void db_own_changes_done(struct db *db)
{
	unsigned heard = db->own_heard;

	db->own_heard = 0;
	db_call_heard(db, heard);
}

/* Notifications arrive with any answer (and with its own transaction's
 * COMMIT, for a session that changed a table it listens to). */
static void db_drain_notifies(struct db *db)
{
	PGnotify *n;
	unsigned heard = 0; /* a bit per listener */

	while ((n = PQnotifies(db->conn))) {
		heard |= db_listener_bit(db, n->relname);
		PQfreemem(n);
	}
	db_call_heard(db, heard);
}

int db_poll_notifies(struct db *db)
{
	if (!db->conn || db->lost || PQstatus(db->conn) != CONNECTION_OK)
		return -1;
	if (!PQconsumeInput(db->conn)) { /* the server went away */
		db->lost = true;
		db->in_tx = false;
		return -1;
	}
	db_drain_notifies(db); /* parses what came: a FATAL notice sets lost */
	if (db->lost)
		return -1;
	/* Alive a moment ago: the idle check of db_request_begin need not
	 * look again for a while (cached answers use no statement, and would
	 * otherwise look at every request). */
	db->last_used = db_now();
	return 0;
}

int db_socket(const struct db *db)
{
	if (!db->conn || db->lost || !db->nlisteners || PQstatus(db->conn) != CONNECTION_OK)
		return -1;
	return PQsocket(db->conn);
}

static int db_session_setup(struct db *db)
{
	PGresult *res = PQexec(db->conn,
			       "SET statement_timeout = '15s'; "
			       "SET idle_in_transaction_session_timeout = '30s'; "
			       /* Requests are short: a parallel plan costs more in
				* start-up than it saves, and takes the other core. */
			       "SET max_parallel_workers_per_gather = 0; "
			       /* JIT compiles a plan whose estimated cost is high:
				* the annual report's (estimates multiply over its
				* unions) spent 1.5-4 s compiling to save nothing.
				* No statement here runs long enough to repay it. */
			       "SET jit = off; "
			       /* Every statement is prepared once and its plan kept:
				* PostgreSQL would otherwise re-plan (and re-parse the
				* SQL functions it inlines) on every execution whenever
				* a custom plan looks a little cheaper. The list queries
				* are built so that one plan fits all values. */
			       "SET plan_cache_mode = force_generic_plan");
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	PQclear(res);
	/* Notices reach the client at client_min_messages notice, the
	 * default; a role setting of warning would silence them, and with
	 * them this worker's own changes (only the listener would hear them,
	 * a moment after the client was answered): set here, not assumed. */
	if (ok && db->nlisteners && db->own_changes_only) {
		res = PQexec(db->conn, "SET opengov.own_changes = on; SET client_min_messages = notice");
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
	}
	for (size_t i = 0; ok && !db->own_changes_only && i < db->nlisteners; i++) {
		char sql[96];
		snprintf(sql, sizeof sql, "LISTEN %s", db->listeners[i].channel);
		res = PQexec(db->conn, sql);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
	}
	if (ok && db->tz) {
		const char *p[] = { db->tz };
		res = PQexecParams(db->conn, "SELECT set_config('TimeZone', $1, false)",
				   1, NULL, p, NULL, NULL, 0);
		ok = PQresultStatus(res) == PGRES_TUPLES_OK;
		PQclear(res);
	}
	return ok ? 0 : -1;
}

/* What the server says outside of an answer. A FATAL one (the server
 * shutting down, an administrator ending the session) comes just before
 * the connection closes: the connection is lost from then on, even before
 * the close is read. libpq would print these on stderr as they are; they
 * go to the log as one line each. */
static void db_notice(void *arg, const PGresult *res)
{
	struct db *db = arg;
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	char msg[512];

	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state && !strcmp(state, DB_OWN_CHANGE_SQLSTATE)) {
		const char *channel = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		if (channel)
			db->own_heard |= db_listener_bit(db, channel);
		return;
	}
	snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(res));
	msg[strcspn(msg, "\n")] = '\0';
	if (sev && (!strcmp(sev, "FATAL") || !strcmp(sev, "PANIC"))) {
		db->lost = true;
		log_warn("database: %s", msg);
	} else {
		log_info("database: %s", msg);
	}
}

int db_connect(struct db *db, const char *url)
{
	static const char *const keys[] = { "dbname", "connect_timeout",
					    "application_name", NULL };
	const char *vals[] = { url, "3", db->app_name ? db->app_name : "opengov", NULL };

	db->own_heard = 0;
	if (db->conn)
		PQfinish(db->conn);
	db->url = url;
	db->in_tx = false;
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn)
		PQsetNoticeReceiver(db->conn, db_notice, db);
	if (PQstatus(db->conn) != CONNECTION_OK || db_session_setup(db)) {
		db->lost = true;
		return -1;
	}
	db->gen++;
	db->lost = false;
	for (size_t i = 0; i < db->nlisteners; i++)
		if (db->listeners[i].on_notify)
			db->listeners[i].on_notify();
	return 0;
}

void db_close(struct db *db)
{
	if (db->conn)
		PQfinish(db->conn);
	db->conn = NULL;
}

bool db_ensure(struct db *db)
{
	if (db->conn && PQstatus(db->conn) == CONNECTION_OK && !db->lost)
		return true;
	if (db_connect(db, db->url)) {
		db->req_connect_failed = true;
		return false;
	}
	metrics_db_reconnect();
	log_info("database connection re-established");
	return true;
}

/* Results made so far (every one passes db_check): db_col's table of
 * column numbers is good for one result until another is made, since only
 * a new result can take the address of a cleared one. */
static unsigned long results_made;

static PGresult *db_check(struct db *db, PGresult *res)
{
	results_made++;
	ExecStatusType st = PQresultStatus(res);
	bool was_in_tx = db->in_tx;

	db->last_used = db_now();
	if (db->nlisteners && db->conn)
		db_drain_notifies(db);
	/* Its transaction has ended: an autocommit statement, a COMMIT, a
	 * ROLLBACK (db_rollback clears in_tx first), or a connection lost. */
	if (db->own_heard && (!db->in_tx || db->sending_commit))
		db_own_changes_done(db);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		db->sqlstate[0] = '\0';
		if (!was_in_tx && !db->sending_begin && db_tag_writes(PQcmdStatus(res)))
			db->req_committed = true;
		db->req_ok++;
		return res;
	}
	db_note_error(db, res);
	/* Gone: nothing of the request landed when the statement was a BEGIN,
	 * or inside a transaction and not its COMMIT (the server rolls back a
	 * transaction whose session ends). The request's first statement
	 * counts as safe too: that is the connection that died while idle, its
	 * statement sent to no session. (A server that ended its session on
	 * purpose, 57P01, answers a statement it completed before it ends it;
	 * only a crash in the middle of a first statement that writes on its
	 * own leaves its outcome unknown.) Otherwise it may have committed. */
	if (db->lost && !(db->sending_begin || (was_in_tx && !db->sending_commit) ||
			  (!was_in_tx && !db->sending_commit && db->req_ok == 0)))
		db->req_unsafe = true;
	if (!db->lost && strcmp(db->sqlstate, "23505") &&
	    strcmp(db->sqlstate, "23503") && strcmp(db->sqlstate, "23514") &&
	    strcmp(db->sqlstate, "40001") && strcmp(db->sqlstate, "40P01"))
		log_error("sql error %s: %s", db->sqlstate,
			  PQresultErrorMessage(res));
	PQclear(res);
	return NULL;
}

static int db_prepare(struct db *db, struct db_stmt *stmt)
{
	if (db_stmt_parse(stmt)) { /* db_stmts_check() refuses this at start */
		log_error("statement %s (%s:%d) cannot be prepared: %s", stmt->name,
			  stmt->file, stmt->line, stmt->problem);
		snprintf(db->sqlstate, sizeof db->sqlstate, "42601");
		return -1;
	}
	PGresult *res = PQprepare(db->conn, stmt->name, stmt->text, 0, NULL);

	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		db_note_error(db, res);
		if (!db->lost)
			log_error("prepare %s failed: %s", stmt->name,
				  PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	stmt->gen[db->slot] = db->gen;
	return 0;
}

PGresult *db_exec(struct db *db, struct db_stmt *stmt, int n,
		  const char *const *params)
{
	return db_exec_binary(db, stmt, n, params, NULL, NULL, 0);
}

PGresult *db_exec_binary(struct db *db, struct db_stmt *stmt, int n,
			 const char *const *params, const int *lengths,
			 const int *formats, int result_format)
{
	db->sqlstate[0] = '\0';
	/* Outside a transaction a dead connection may be replaced here. */
	if (!db->in_tx && !db_ensure(db))
		return NULL;
	if (stmt->gen[db->slot] != db->gen && db_prepare(db, stmt))
		return NULL;
	PGresult *res = PQexecPrepared(db->conn, stmt->name, n, params, lengths,
				       formats, result_format);
	/* 26000: the session lost its prepared statements (DISCARD ALL, a
	 * pooler handing over another server connection). Outside a
	 * transaction, forget them all and prepare this one again. */
	if (PQresultStatus(res) == PGRES_FATAL_ERROR && !db->in_tx) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state && !strcmp(state, "26000")) {
			PQclear(res);
			db->gen++;
			if (db_prepare(db, stmt))
				return NULL;
			res = PQexecPrepared(db->conn, stmt->name, n, params, lengths,
					     formats, result_format);
		}
	}
	return db_check(db, res);
}

PGresult *db_exec_args(struct db *db, struct db_stmt *stmt, const struct db_args *args)
{
	const char *params[DB_ARGS_MAX];
	int n = db_args_params(stmt, args, params);

	if (n < 0) { /* logged: a 500, as a mistake of the code */
		snprintf(db->sqlstate, sizeof db->sqlstate, "42P02");
		db->constraint[0] = '\0';
		return NULL;
	}
	return db_exec(db, stmt, n, params);
}

PGresult *db_exec_params(struct db *db, const char *sql, int n,
			 const char *const *params)
{
	db->sqlstate[0] = '\0';
	if (!db->in_tx && !db_ensure(db))
		return NULL;
	return db_check(db, PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0));
}

/* The shapes of assembled statements this worker has prepared. Lists with
 * optional filters have a few hundred shapes at most; past the table's size
 * a statement is planned each time, which is only slower. */
#define DYN_MAX 1024

struct dyn_stmt {
	unsigned long hash;
	char *sql;
	char name[16];
	struct db_stmt st;
};

static struct dyn_stmt dyn[DYN_MAX];
static int ndyn;

static unsigned long fnv1a(const char *s)
{
	unsigned long h = 14695981039346656037UL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211UL;
	return h;
}

PGresult *db_exec_cached(struct db *db, const char *sql, int n,
			 const char *const *params)
{
	unsigned long h = fnv1a(sql);
	int i;

	for (i = 0; i < ndyn; i++)
		if (dyn[i].hash == h && !strcmp(dyn[i].sql, sql))
			break;
	if (i == ndyn) {
		if (ndyn == DYN_MAX)
			return db_exec_params(db, sql, n, params);
		dyn[i].hash = h;
		dyn[i].sql = xstrdup(sql);
		snprintf(dyn[i].name, sizeof dyn[i].name, "dyn%d", i);
		dyn[i].st.name = dyn[i].name;
		dyn[i].st.sql = dyn[i].sql;
		memset(dyn[i].st.gen, 0, sizeof dyn[i].st.gen);
		/* Assembled with $n placeholders (sqlb): prepared as it is. */
		dyn[i].st.parsed = true;
		dyn[i].st.text = dyn[i].sql;
		ndyn++;
	}
	return db_exec(db, &dyn[i].st, n, params);
}

PGresult *db_exec_simple(struct db *db, const char *sql)
{
	db->sqlstate[0] = '\0';
	if (!db->in_tx && !db_ensure(db))
		return NULL;
	return db_check(db, PQexec(db->conn, sql));
}

int db_begin(struct db *db)
{
	db->sending_begin = true;
	PGresult *res = db_exec_simple(db, "BEGIN");
	db->sending_begin = false;

	if (!res)
		return -1;
	PQclear(res);
	db->in_tx = true;
	return 0;
}

int db_commit(struct db *db)
{
	db->sending_commit = true;
	PGresult *res = db_exec_simple(db, "COMMIT");
	db->sending_commit = false;

	db->in_tx = false;
	if (!res)
		return -1;
	/* A COMMIT of an aborted transaction answers ROLLBACK. */
	int ok = !strcmp(PQcmdStatus(res), "COMMIT");
	PQclear(res);
	if (ok)
		db->req_committed = true;
	return ok ? 0 : -1;
}

int db_wait_durable(struct db *db)
{
	/* Nothing the client sees may have happened only in memory: whatever
	 * this answers, the write stands, and running it again would repeat it. */
	db->req_committed = true;
	if (db->in_tx)
		return -1;
	/* A transactional message is WAL with a transaction id: its commit
	 * flushes (a transaction that wrote no WAL would not), with the
	 * session's synchronous_commit, up to its own record and so past the
	 * commit before it. Nothing decodes it (wal_level is not logical). */
	PGresult *res = db_exec_simple(db, "SELECT pg_logical_emit_message(true, 'opengov', 'durable')");

	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

void db_rollback(struct db *db)
{
	char state[sizeof db->sqlstate], cons[sizeof db->constraint];
	bool unsafe = db->req_unsafe;

	if (!db->in_tx)
		return;
	db->in_tx = false;
	/* The failure that led here stays the one callers read: a ROLLBACK
	 * that succeeds must not clear a deadlock's 40P01 (nor one that fails
	 * make a write of the request look uncertain). */
	memcpy(state, db->sqlstate, sizeof state);
	memcpy(cons, db->constraint, sizeof cons);
	if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
		PQclear(db_check(db, PQexec(db->conn, "ROLLBACK")));
	db->req_unsafe = unsafe;
	if (state[0]) {
		memcpy(db->sqlstate, state, sizeof state);
		memcpy(db->constraint, cons, sizeof cons);
	}
}

int db_col(const PGresult *res, const char *col)
{
	/* Callers name columns with string literals: a small table from the
	 * name's address to the column's number, good for one result, spares
	 * the search (and its strcmp calls, a tenth of a list page's time).
	 * The table is emptied for another result, and whenever a result has
	 * been made since (it may have the address of one cleared); within
	 * that, an address is its literal, checked by its first byte only. */
	enum { SLOTS = 256 };
	static const PGresult *cached_res;
	static unsigned long cached_made;
	static const char *keys[SLOTS];
	static int vals[SLOTS];
	/* Literals sit next to each other, a few bytes apart: a multiplicative
	 * hash of the whole address, not its upper bits, keeps them apart. */
	size_t h = (size_t)(((uint64_t)(uintptr_t)col * 0x9E3779B97F4A7C15u) >> 56) % SLOTS;
	int n = PQnfields(res);

	if (res != cached_res || cached_made != results_made) {
		cached_res = res;
		cached_made = results_made;
		memset(keys, 0, sizeof keys);
	}
	/* Open addressing: two names of one result in one slot would
	 * otherwise push each other out at every row. */
	while (keys[h] && keys[h] != col)
		h = (h + 1) % SLOTS;
	if (keys[h] == col && vals[h] < n && PQfname(res, vals[h])[0] == col[0])
		return vals[h];
	for (int i = 0; i < n; i++)
		if (!strcmp(PQfname(res, i), col)) {
			if (n < SLOTS / 2) { /* never full: the probe above ends */
				keys[h] = col;
				vals[h] = i;
			}
			return i;
		}
	return -1;
}

const char *db_get(const PGresult *res, int row, const char *col)
{
	int c = db_col(res, col);

	if (c < 0 || row >= PQntuples(res) || PQgetisnull(res, row, c))
		return NULL;
	return PQgetvalue(res, row, c);
}

long long db_get_ll(const PGresult *res, int row, const char *col)
{
	const char *v = db_get(res, row, col);

	return v ? strtoll(v, NULL, 10) : 0;
}

void sqlb_add(struct sqlb *b, const char *fragment)
{
	buf_puts(&b->sql, fragment);
}

void sqlb_param(struct sqlb *b, const char *value, const char *cast)
{
	if (b->n >= SQLB_MAX_PARAMS)
		abort(); /* a programming error: the lists have a handful of filters */
	b->params[b->n++] = value;
	buf_printf(&b->sql, "$%d", b->n);
	if (cast)
		buf_printf(&b->sql, "::%s", cast);
}

void sqlb_and_eq(struct sqlb *b, const char *column, const char *value, const char *cast)
{
	if (!value)
		return;
	sqlb_add(b, " AND ");
	sqlb_add(b, column);
	sqlb_add(b, " = ");
	sqlb_param(b, value, cast);
}

void sqlb_and_between(struct sqlb *b, const char *column, const char *from, bool from_date,
		      const char *to, bool to_date)
{
	if (from) {
		sqlb_add(b, " AND ");
		sqlb_add(b, column);
		sqlb_add(b, " >= ");
		sqlb_param(b, from, from_date ? "date" : "timestamptz");
	}
	if (to) {
		sqlb_add(b, " AND ");
		sqlb_add(b, column);
		sqlb_add(b, to_date ? " < (" : " <= ");
		sqlb_param(b, to, to_date ? "date + 1)" : "timestamptz");
	}
}

void sqlb_and_before(struct sqlb *b, const char *time_column, const char *id_column,
		     char after[2][128])
{
	if (!after[0][0])
		return;
	sqlb_add(b, " AND (");
	sqlb_add(b, time_column);
	sqlb_add(b, ", ");
	sqlb_add(b, id_column);
	sqlb_add(b, ") < (timestamptz 'epoch' + ");
	sqlb_param(b, after[0], "bigint");
	sqlb_add(b, " * interval '1 microsecond', ");
	sqlb_param(b, after[1], "uuid");
	sqlb_add(b, ")");
}

void sqlb_free(struct sqlb *b)
{
	buf_free(&b->sql);
}

void sqlb_substring(struct sqlb *b, const char *const *columns, const char *q,
		    const char *pattern)
{
	bool letters = false;

	for (const char *p = q; *p; p++)
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
			letters = true;
	sqlb_add(b, "(");
	for (int i = 0; columns[i]; i++) {
		if (i)
			sqlb_add(b, " OR ");
		if (letters) {
			sqlb_add(b, columns[i]);
			sqlb_add(b, " ILIKE ");
			sqlb_param(b, pattern, "text");
		} else {
			sqlb_add(b, "strpos(");
			sqlb_add(b, columns[i]);
			sqlb_add(b, ", ");
			sqlb_param(b, q, "text");
			sqlb_add(b, ") > 0");
		}
	}
	sqlb_add(b, ")");
}

void sql_like_pattern(const char *q, char *out, size_t len)
{
	size_t o = 0;

	out[o++] = '%';
	for (; *q && o + 3 < len; q++) {
		if (*q == '%' || *q == '_' || *q == '\\')
			out[o++] = '\\';
		out[o++] = *q;
	}
	out[o++] = '%';
	out[o] = '\0';
}
