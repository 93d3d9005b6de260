/* fcgiconn.h - the FastCGI connections of one single-threaded worker: several
 * kept connections from nginx (fastcgi_keep_conn on) and the listening socket,
 * watched together in one epoll(7) set, so that an idle kept connection never holds
 * the worker while nginx waits on another one. */
#ifndef OPENGOV_SERVER_FCGICONN_H
#define OPENGOV_SERVER_FCGICONN_H

#include <stdbool.h>
#include <fcgiapp.h>

struct fcgi_conns;

/* listen_fd: the shared listening socket, made non-blocking by the caller
 * (fcgi_listen_nonblocking); max: the most connections one worker holds. */
struct fcgi_conns *fcgi_conns_new(int listen_fd, int max);
void fcgi_conns_free(struct fcgi_conns *c);

int fcgi_listen_nonblocking(int listen_fd);

/* The next request whose parameters have arrived, ready for its handler; or
 * NULL when timeout_ms passed, a signal came (check your flags), or extra_fd
 * (say, the database connection's socket; -1 for none) became readable, which
 * *extra_ready then says. */
FCGX_Request *fcgi_conns_next(struct fcgi_conns *c, int extra_fd, int timeout_ms,
			      bool *extra_ready);

/* extra_fd may have been closed and its number given to a new descriptor
 * since the last call (a reconnection): the next fcgi_conns_next watches
 * it again even if the number is the same. */
void fcgi_conns_renew_extra(struct fcgi_conns *c);

/* The request has been answered: finishes it, and keeps its connection for
 * the next request when nginx asked for that (FCGI_KEEP_CONN). */
void fcgi_conns_done(struct fcgi_conns *c, FCGX_Request *req);

/* The answer's bytes, a then b, as the request's standard output: in
 * records of up to 64 KiB written together with writev(2), where libfcgi
 * writes one 8 KiB record per system call (a 30 KiB list page took four).
 * What libfcgi holds for the stream goes first; FCGX_Finish_r still ends
 * the stream and the request (fcgi_conns_done). -1: the connection failed. */
int fcgi_write_stdout(FCGX_Request *req, const char *a, size_t alen, const char *b,
		      size_t blen);

/* Connections open now (for tests and metrics). */
int fcgi_conns_open(const struct fcgi_conns *c);

#endif
