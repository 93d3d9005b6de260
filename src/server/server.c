/* server.c - `opengov serve`: a master that opens the FastCGI socket, forks
 * the workers, replaces any that die and drains them on SIGTERM; and the
 * worker loop: one request at a time on its own database connection, from
 * any of the FastCGI connections nginx keeps open to it (fcgiconn.c). */
#include <errno.h>
#include <malloc.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcgiapp.h>

#include "opengov/base/accountcache.h"
#include "opengov/base/config.h"
#include "opengov/server/edgecache.h"
#include "opengov/server/fcgiconn.h"
#include "opengov/server/http.h"
#include "opengov/server/listener.h"
#include "opengov/db/jsonw.h"
#include "opengov/base/log.h"
#include "opengov/base/metrics.h"
#include "opengov/base/privdrop.h"
#include "opengov/base/rcache.h"
#include "opengov/base/eventhead.h"
#include "opengov/server/router.h"
#include "opengov/server/server.h"
#include "opengov/db/replica.h"

static volatile sig_atomic_t stopping;
static volatile sig_atomic_t busy;
static struct buf *pending_log; /* the worker's unwritten access lines */
static pid_t worker_pid;        /* getpid() is a system call */

static void worker_on_term(int sig)
{
	(void)sig;
	stopping = 1;
	/* Idle in accept: nothing in flight, leave now (the buffer is not being
	 * touched while idle, and write(2) is async-signal-safe). Busy: finish
	 * the request first; the loop then ends. */
	if (!busy) {
		if (pending_log && pending_log->len &&
		    write(STDERR_FILENO, pending_log->data, pending_log->len) < 0)
			_exit(0);
		_exit(0);
	}
}

static void master_on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* One JSON line per request, written with one write(2) so that lines from
 * several workers never interleave. Formatted by hand: it runs on every
 * request, and a generic JSON encoder costs more than the rest of /healthz. */
static void log_access(const struct req *r, double secs, struct buf *line)
{
	/* The second's stamp, formatted once per second; the duration in
	 * whole microseconds (a float's formatting was a tenth of this). */
	static char ts[32];
	static time_t ts_of = -1;
	time_t now = time(NULL);
	long long us = secs > 0 ? (long long)(secs * 1e6 + 0.5) : 0;

	if (now != ts_of) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
		ts_of = now;
	}
	buf_printf(line, "{\"ts\":\"%s\",\"level\":\"access\",\"request_id\":", ts);
	jw_string(line, r->request_id);
	buf_puts(line, ",\"method\":");
	jw_string(line, r->method);
	buf_puts(line, ",\"path\":");
	jw_string(line, r->path);
	buf_printf(line, ",\"route\":\"%s\",\"status\":%d,\"duration_ms\":%lld.%03lld,\"actor\":",
		   r->route ? r->route->pattern : "", r->status, us / 1000, us % 1000);
	jw_string(line, req_actor(r));
	/* Statements the request ran (its last run): what a cached answer saves. */
	buf_printf(line, ",\"role\":\"%s\",\"db_statements\":%u,\"pid\":%d}\n", req_role(r),
		   r->db ? r->db->req_ok : 0, (int)worker_pid);
}

/* Writes the buffered access lines: whole lines in one write(2), so lines
 * of different workers never interleave. */
static void log_flush(struct buf *lines)
{
	size_t off = 0;

	while (off < lines->len) {
		ssize_t n = write(STDERR_FILENO, lines->data + off, lines->len - off);
		if (n <= 0)
			break; /* nowhere left to report it */
		off += (size_t)n;
	}
	buf_reset(lines);
}

/* Under load the access log is written in batches (a write per request
 * costs a tenth of a small request): when 16 KiB are waiting, or the lines
 * are from an earlier second. An idle worker's poll gives up after a
 * second (worker_main), and the loop comes here again: no line waits
 * longer than about a second, and no system call per request asks whether
 * another is queued. */
static void log_maybe_flush(struct buf *lines, time_t *last)
{
	time_t now;

	if (!lines->len)
		return;
	now = time(NULL);
	if (lines->len >= 16384 || now != *last) {
		log_flush(lines);
		*last = now;
	}
}

static unsigned retry_seed; /* the worker's jitter (rand_r) */

/* Dispatches r, and runs it again from the start, with a fresh answer,
 * when the database failed it in a way a new run settles (db_request_retry:
 * a deadlock or serialization failure rolled its transaction back, or the
 * connection had died and nothing of the request landed), a bounded number
 * of times after a short jittered pause. The body was read once and stays;
 * the failed run's transaction, with its audit entry and idempotency record,
 * was rolled back. When the runs are spent the answer is 503 with
 * Retry-After. Every re-run is logged and counted in /metrics. */
static void dispatch(struct req *r)
{
	bool read_only = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");

	for (int attempt = 1;; attempt++) {
		r->db = r->primary; /* the router may hand a read to the replica */
		db_request_begin(r->db);
		router_dispatch(r);
		if (r->db->in_tx) /* a handler that answered without ending its transaction */
			db_rollback(r->db);
		enum db_retry why = db_request_retry(r->db, read_only);
		if (why == DB_RETRY_NONE)
			return;
		const char *state = why == DB_RETRY_CONNECTION ? "connection lost"
							       : db_request_retry_state(r->db);
		const char *route = r->route ? r->route->pattern : "";
		if (attempt > db_retry_limit(why)) {
			metrics_db_retry_exhausted();
			log_warn("database %s on %s %s (request %s): answered 503 after %d runs",
				 state, r->method, route, r->request_id, attempt);
			if (r->status != 503) {
				req_reset_answer(r);
				problem_reply(r, 503, "service-unavailable",
					      "The database could not complete the request; retry shortly.");
			}
			return;
		}
		metrics_db_retry(why);
		log_warn("database %s on %s %s (request %s): running it again (run %d)",
			 state, r->method, route, r->request_id, attempt + 1);
		req_reset_answer(r);
		usleep((useconds_t)db_retry_delay_us(attempt, (unsigned)rand_r(&retry_seed)));
	}
}

static void handle(FCGX_Request *fcgi, const struct config *cfg, struct db *db,
		   struct buf *line)
{
	struct req r;
	struct timespec end;

	int bad = req_init(&r, fcgi, cfg, db);
	if (bad == -2)
		problem_replyf(&r, 400, "bad-request",
			       "The URL has more than %d query parameters.", QUERY_PARAMS_MAX);
	else if (bad)
		problem_reply(&r, 400, "bad-request",
			      "The URL is not valid percent-encoded UTF-8.");
	else
		dispatch(&r);
	http_send(&r);
	/* Read what nginx sent to its end: with nothing unread, the connection
	 * can be closed at once, without libfcgi's lingering close (shutdown,
	 * then wait for nginx to hang up), which costs a wake-up per request. */
	char sink[4096];
	while (FCGX_GetStr(sink, sizeof sink, fcgi->in) > 0)
		;
	if (FCGX_HasSeenEOF(fcgi->in))
		FCGX_Detach(fcgi);
	clock_gettime(CLOCK_MONOTONIC, &end);
	double secs = (double)(end.tv_sec - r.started.tv_sec) +
		      (double)(end.tv_nsec - r.started.tv_nsec) / 1e9;
	metrics_request(r.route_index, r.status, secs);
	log_access(&r, secs, line);
	req_free(&r);
}

static void worker_main(const struct config *cfg, int sock, pid_t master)
{
	struct db db = { 0 };
	struct buf line = { 0 };
	/* SA_RESTART: a SIGTERM during a request must not fail its reads and
	 * writes; the handler itself leaves at once only when no request is in
	 * flight. */
	struct sigaction sa = { .sa_handler = worker_on_term, .sa_flags = SA_RESTART };

	sigaction(SIGTERM, &sa, NULL);
	worker_pid = getpid();
	retry_seed = (unsigned)worker_pid ^ (unsigned)time(NULL);
	/* A worker outlives no master: if it is killed, drain and leave too. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != master)
		_exit(0);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* No fast bins: libfcgi allocates its 8 KiB stream buffers for every
	 * request, and each allocation that large first merged every small
	 * block freed by the request before (malloc_consolidate, about 1% of
	 * a cached answer's worker samples). Small blocks are still reused at
	 * once through the thread cache. */
	mallopt(M_MXFAST, 0);

	/* Connect now; a database that is down is retried per request. */
	db.tz = cfg->tz;
	/* The worker hears its own changes to the cached tables, and moves
	 * their generations once its transaction has ended, before it
	 * answers; the host's listener hears everyone else's (listener.c). */
	db.listeners = listener_channels;
	db.nlisteners = listener_channels_count;
	db.own_changes_only = true;
	edgecache_init(cfg->edge_cache_dir);
	if (db_connect(&db, cfg->database_url))
		log_warn("worker started without a database connection");
	replica_init(cfg->database_read_url, cfg->replica_max_lag_ms, cfg->tz);
	struct fcgi_conns *conns = fcgi_conns_new(sock, cfg->worker_connections);
	if (!conns) {
		log_error("worker cannot allocate its %d connection slots", cfg->worker_connections);
		_exit(1);
	}
	time_t last_flush = time(NULL);
	unsigned db_gen = db.gen;
	pending_log = &line;
	while (!stopping) {
		log_maybe_flush(&line, &last_flush);
		edgecache_tick();
		busy = 0;
		if (stopping)
			break;
		/* A reconnection may have given the new socket the old one's
		 * number: it is watched again all the same. */
		if (db.gen != db_gen) {
			fcgi_conns_renew_extra(conns);
			db_gen = db.gen;
		}
		/* A second at most, so that the access lines are written; the
		 * database socket too, so that a session the server ends while
		 * the worker is idle is seen (it sends nothing else: the worker
		 * does not LISTEN) and replaced before the next request. */
		bool ended;
		FCGX_Request *fcgi = fcgi_conns_next(conns, db_socket(&db), 1000, &ended);
		busy = 1;
		if (ended)
			(void)db_poll_notifies(&db);
		if (!fcgi)
			continue;
		handle(fcgi, cfg, &db, &line);
		fcgi_conns_done(conns, fcgi);
	}
	fcgi_conns_free(conns);
	log_flush(&line);
	db_close(&db);
	buf_free(&line);
	_exit(0);
}

static pid_t spawn(const struct config *cfg, int sock)
{
	pid_t master = getpid();
	pid_t pid = fork();

	if (pid == 0)
		worker_main(cfg, sock, master);
	if (pid < 0)
		log_error("fork failed: %s", strerror(errno));
	return pid;
}

static int open_socket(const struct config *cfg)
{
	unlink(cfg->socket_path);
	mode_t old = umask(0117); /* the socket is born 0660 */
	int sock = FCGX_OpenSocket(cfg->socket_path, 1024);
	umask(old);
	if (sock < 0) {
		log_error("cannot listen on %s", cfg->socket_path);
		return -1;
	}
	if (cfg->socket_group) {
		struct group *g = getgrnam(cfg->socket_group);
		if (!g || chown(cfg->socket_path, (uid_t)-1, g->gr_gid)) {
			log_error("cannot give %s to group %s", cfg->socket_path,
				  cfg->socket_group);
			return -1;
		}
	}
	chmod(cfg->socket_path, 0660);
	/* The workers watch it with epoll(7) and accept without waiting: a
	 * sibling may have taken the connection first (fcgiconn.c). */
	if (fcgi_listen_nonblocking(sock)) {
		log_error("cannot make %s non-blocking: %s", cfg->socket_path, strerror(errno));
		return -1;
	}
	return sock;
}

static void write_pid_file(const char *path)
{
	FILE *f = path ? fopen(path, "w") : NULL;

	if (!f)
		return;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}

/* A child of the master died: what and how, before another starts. */
static void log_child_died(const char *what, pid_t pid, int status)
{
	log_warn("%s %d died (%s %d); starting another", what, (int)pid,
		 WIFSIGNALED(status) ? "signal" : "exit",
		 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

int server_run(struct config *cfg)
{
	if (FCGX_Init()) {
		log_error("FCGX_Init failed");
		return 1;
	}
	if (metrics_init(routes_count) || rcache_init() || accountcache_init() ||
	    eventhead_init() || listener_init()) {
		log_error("cannot map the areas the workers share (metrics, cache generation)");
		return 1;
	}
	int sock = open_socket(cfg);
	if (sock < 0)
		return 1;
	/* The socket is open and given to nginx's group: nothing else needs
	 * root, so the master and every worker it forks run as OPENGOV_USER. */
	char err[256];
	if (privdrop(cfg->user, err, sizeof err)) {
		log_error("%s", err);
		close(sock);
		unlink(cfg->socket_path);
		return 1;
	}

	struct sigaction sa = { .sa_handler = master_on_term };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* What nginx kept from an earlier run may be of another database. */
	edgecache_init(cfg->edge_cache_dir);
	edgecache_purge();

	pid_t *pids = xcalloc((size_t)cfg->workers, sizeof *pids);
	time_t *born = xcalloc((size_t)cfg->workers, sizeof *born);
	for (int i = 0; i < cfg->workers; i++) {
		pids[i] = spawn(cfg, sock);
		born[i] = time(NULL);
	}
	pid_t listener = listener_spawn(cfg);
	time_t listener_born = time(NULL);
	write_pid_file(cfg->pid_file);
	log_info("serving on %s with %d workers", cfg->socket_path, cfg->workers);

	while (!stopping) {
		int status;
		pid_t dead = waitpid(-1, &status, 0);
		if (dead < 0) {
			if (errno == EINTR)
				continue;
			sleep(1);
			continue;
		}
		if (dead == listener) {
			/* Its changes unheard from now on, until another listens. */
			listener_deaf();
			listener = 0;
			if (stopping)
				continue;
			log_child_died("listener", dead, status);
			if (time(NULL) - listener_born < 1)
				sleep(1);
			listener = listener_spawn(cfg);
			listener_born = time(NULL);
			continue;
		}
		for (int i = 0; i < cfg->workers; i++) {
			if (pids[i] != dead)
				continue;
			if (stopping) {
				pids[i] = 0;
				break;
			}
			log_child_died("worker", dead, status);
			metrics_worker_restart();
			/* A worker that dies at birth would otherwise spin the master. */
			if (time(NULL) - born[i] < 1)
				sleep(1);
			pids[i] = spawn(cfg, sock);
			born[i] = time(NULL);
			break;
		}
	}

	log_info("stopping: draining %d workers", cfg->workers);
	for (int i = 0; i < cfg->workers; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	if (listener > 0)
		kill(listener, SIGTERM);
	time_t deadline = time(NULL) + 30;
	int left = cfg->workers + (listener > 0);
	while (left > 0) {
		int status;
		pid_t dead = waitpid(-1, &status, WNOHANG);
		if (dead > 0) {
			left--;
			continue;
		}
		if (dead < 0 && errno == ECHILD)
			break;
		if (time(NULL) > deadline) {
			log_warn("workers still busy after 30 s: killing them");
			for (int i = 0; i < cfg->workers; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGKILL);
			if (listener > 0)
				kill(listener, SIGKILL);
			deadline = time(NULL) + 3600;
		}
		usleep(20000);
	}
	unlink(cfg->socket_path);
	if (cfg->pid_file)
		unlink(cfg->pid_file);
	free(pids);
	free(born);
	log_info("stopped");
	return 0;
}
