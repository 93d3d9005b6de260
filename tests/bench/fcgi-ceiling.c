/* fcgi-ceiling.c - the fastest FastCGI responder libfcgi allows, for make bench.
 * Usage: fcgi-ceiling SOCKET_PATH [WORKERS]. nginx + this program is the ceiling
 * the service's routes are measured against (scripts/bench.sh). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* fork, kill, sigaction without -D_GNU_SOURCE */
#endif

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "opengov/server/fcgiconn.h"

#define MAX_WORKERS 64
/* Deep enough that 64 wrk connections through nginx never meet a full
 * backlog: on a unix socket that is an immediate EAGAIN, i.e. a 502. */
#define BACKLOG 1024

static const char answer[] = "Status: 200 OK\r\n"
			     "Content-Type: application/json\r\n"
			     "\r\n"
			     "{\"status\":\"ok\"}";

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Give the socket to the same group as the service's socket (0660), so that
 * nginx's workers (www-data when run as root) may connect and nobody else. */
static int socket_permissions(const char *path)
{
	const char *group = getenv("OPENGOV_SOCKET_GROUP");

	if (group != NULL && *group != '\0') {
		const struct group *g = getgrnam(group);

		if (g == NULL) {
			fprintf(stderr, "fcgi-ceiling: unknown group %s\n", group);
			return -1;
		}
		if (chown(path, (uid_t)-1, g->gr_gid) != 0) {
			perror("fcgi-ceiling: chown");
			return -1;
		}
	}
	if (chmod(path, 0660) != 0) {
		perror("fcgi-ceiling: chmod");
		return -1;
	}
	return 0;
}

/* A worker dies with the default SIGTERM action: it holds nothing worth
 * finishing. Its connections are handled as opengov serve handles its own
 * (src/server/fcgiconn.c: kept connections, watched together with the
 * listening socket), so the ceiling is like for like. */
static int worker_loop(int fd)
{
	struct fcgi_conns *conns = fcgi_conns_new(fd, 64);
	FCGX_Request *req;
	bool extra;

	if (conns == NULL)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		char sink[4096];

		req = fcgi_conns_next(conns, -1, 1000, &extra);
		if (req == NULL)
			continue;
		FCGX_PutStr(answer, (int)(sizeof(answer) - 1), req->out);
		/* Close as opengov serve does (src/server/server.c): input read to its
		 * end, then no lingering close. The ceiling stays a ceiling. */
		while (FCGX_GetStr(sink, sizeof sink, req->in) > 0)
			;
		if (FCGX_HasSeenEOF(req->in))
			FCGX_Detach(req);
		fcgi_conns_done(conns, req);
	}
	return 0;
}

int main(int argc, char **argv)
{
	pid_t pids[MAX_WORKERS];
	int nworkers = 4, fd, i, alive;
	struct sigaction sa;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: fcgi-ceiling SOCKET_PATH [WORKERS]\n");
		return 2;
	}
	if (argc == 3) {
		nworkers = atoi(argv[2]);
		if (nworkers < 1 || nworkers > MAX_WORKERS) {
			fprintf(stderr, "fcgi-ceiling: WORKERS must be 1..%d\n", MAX_WORKERS);
			return 2;
		}
	}
	if (FCGX_Init() != 0) {
		fprintf(stderr, "fcgi-ceiling: FCGX_Init failed\n");
		return 1;
	}
	/* A stale socket from a killed run would make bind() fail. */
	if (unlink(argv[1]) != 0 && errno != ENOENT) {
		perror("fcgi-ceiling: unlink");
		return 1;
	}
	umask(0117); /* never world-connectable, not even for a moment */
	fd = FCGX_OpenSocket(argv[1], BACKLOG);
	if (fd < 0) {
		fprintf(stderr, "fcgi-ceiling: cannot listen on %s\n", argv[1]);
		return 1;
	}
	if (socket_permissions(argv[1]) != 0)
		return 1;
	if (fcgi_listen_nonblocking(fd) != 0) {
		perror("fcgi-ceiling: fcntl");
		return 1;
	}

	/* The master only waits; SIGTERM/SIGINT take the workers down with it.
	 * Caught before forking so that no signal can orphan a worker. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	for (i = 0; i < nworkers; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fcgi-ceiling: fork");
			nworkers = i;
			break;
		}
		if (pids[i] == 0) {
			sa.sa_handler = SIG_DFL;
			sigaction(SIGTERM, &sa, NULL);
			sigaction(SIGINT, &sa, NULL);
			_exit(worker_loop(fd));
		}
	}

	alive = nworkers;
	while (alive > 0 && !stopping) {
		if (waitpid(-1, NULL, 0) > 0)
			alive--;
		else if (errno != EINTR)
			break;
	}
	for (i = 0; i < nworkers; i++)
		kill(pids[i], SIGTERM);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	unlink(argv[1]);
	return 0;
}
