/* fcgiconn.c - a worker's FastCGI connections, watched with poll(2).
 *
 * nginx keeps its connections to the workers open between requests
 * (fastcgi_keep_conn on, an upstream keepalive pool): a new unix-socket
 * connection per request costs more kernel time than the service's whole
 * answer to a cached read. libfcgi serves one connection at a time, though,
 * and waits on it for the next request (FCGX_Accept_r): a kept connection
 * nginx is not using would hold the worker while nginx waits for another
 * connection to be accepted. That is the p99 pitfall of kept connections.
 *
 * So a worker watches the listening socket and every connection it holds
 * at once, accepts when it is idle, and runs whichever request has arrived;
 * libfcgi only parses and answers (FCGX_Accept_r is called on a connection
 * with data waiting, which never blocks for long: nginx sends a request's
 * records together, its body already buffered). nginx takes the connection
 * freed last from its pool, i.e. most often one of a worker that has just
 * answered and is idle.
 *
 * The slots' listening socket is -1, so libfcgi itself never accepts: when a
 * connection turns out closed or broken, FCGX_Accept_r closes it and returns
 * an error, and the slot is free again. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "opengov/server/fcgiconn.h"

struct fcgi_conns {
	int listen_fd;
	int max, open;
	FCGX_Request *slots;
	struct pollfd *pfds;
	int *pslot;           /* the slot of each pollfd: -1 listening, -2 extra */
	int *ready, nready, rpos; /* slots with a request waiting, from the last poll */
	bool fresh;           /* the last fcgi_conns_next polled just before it returned */
};

int fcgi_listen_nonblocking(int listen_fd)
{
	int fl = fcntl(listen_fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK);
}

struct fcgi_conns *fcgi_conns_new(int listen_fd, int max)
{
	struct fcgi_conns *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->listen_fd = listen_fd;
	c->max = max > 0 ? max : 1;
	c->slots = calloc((size_t)c->max, sizeof *c->slots);
	c->pfds = calloc((size_t)c->max + 2, sizeof *c->pfds);
	c->pslot = calloc((size_t)c->max + 2, sizeof *c->pslot);
	c->ready = calloc((size_t)c->max, sizeof *c->ready);
	if (!c->slots || !c->pfds || !c->pslot || !c->ready) {
		fcgi_conns_free(c);
		return NULL;
	}
	for (int i = 0; i < c->max; i++)
		FCGX_InitRequest(&c->slots[i], -1, 0);
	return c;
}

static void slot_close(struct fcgi_conns *c, int i)
{
	FCGX_Request *q = &c->slots[i];

	if (q->ipcFd >= 0) {
		close(q->ipcFd);
		q->ipcFd = -1;
		c->open--;
	}
	FCGX_Free(q, 0); /* streams and parameters, if any */
}

void fcgi_conns_free(struct fcgi_conns *c)
{
	if (!c)
		return;
	if (c->slots)
		for (int i = 0; i < c->max; i++)
			slot_close(c, i);
	free(c->slots);
	free(c->pfds);
	free(c->pslot);
	free(c->ready);
	free(c);
}

bool fcgi_conns_fresh(const struct fcgi_conns *c)
{
	return c->fresh;
}

int fcgi_conns_open(const struct fcgi_conns *c)
{
	return c->open;
}

/* 1: bytes wait on fd; 0: nothing yet; -1: the peer hung up or it broke. */
static int pending(int fd)
{
	char b;
	ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n > 0)
		return 1;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	return -1;
}

/* One new connection, if a sibling worker has not taken it first. */
static void accept_one(struct fcgi_conns *c)
{
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC); /* blocking, as libfcgi wants */

	if (fd < 0)
		return;
	for (int i = 0; i < c->max; i++) {
		FCGX_Request *q = &c->slots[i];
		if (q->ipcFd >= 0)
			continue;
		FCGX_InitRequest(q, -1, 0);
		q->ipcFd = fd;
		/* Not closed by the FCGX_Finish_r that starts FCGX_Accept_r; the
		 * request's own flags decide after it. */
		q->keepConnection = 1;
		c->open++;
		/* nginx writes the request as soon as it has connected: most often
		 * it is here already, and needs no second poll. */
		if (pending(fd) > 0)
			c->ready[c->nready++] = i;
		return;
	}
	close(fd); /* cannot happen: the socket is only watched below max */
}

FCGX_Request *fcgi_conns_next(struct fcgi_conns *c, int extra_fd, int timeout_ms,
			      bool *extra_ready)
{
	*extra_ready = false;
	c->fresh = false;
	for (;;) {
		while (c->rpos < c->nready) {
			int i = c->ready[c->rpos++];
			FCGX_Request *q = &c->slots[i];
			if (q->ipcFd < 0)
				continue;
			if (FCGX_Accept_r(q) >= 0)
				return q;
			/* It hung up or spoke nonsense: libfcgi closed it. */
			if (q->ipcFd < 0)
				c->open--;
			else
				slot_close(c, i);
		}
		c->nready = c->rpos = 0;

		int n = 0;
		if (c->open < c->max) {
			c->pfds[n] = (struct pollfd){ .fd = c->listen_fd, .events = POLLIN };
			c->pslot[n++] = -1;
		}
		if (extra_fd >= 0) {
			c->pfds[n] = (struct pollfd){ .fd = extra_fd, .events = POLLIN };
			c->pslot[n++] = -2;
		}
		for (int i = 0; i < c->max; i++)
			if (c->slots[i].ipcFd >= 0) {
				c->pfds[n] = (struct pollfd){ .fd = c->slots[i].ipcFd, .events = POLLIN };
				c->pslot[n++] = i;
			}
		if (poll(c->pfds, (nfds_t)n, timeout_ms) <= 0)
			return NULL; /* the time is up, or a signal */
		c->fresh = true;
		for (int k = 0; k < n; k++) {
			short ev = c->pfds[k].revents;
			if (!ev)
				continue;
			int i = c->pslot[k];
			if (i == -1)
				accept_one(c);
			else if (i == -2)
				*extra_ready = true;
			else if (ev & POLLIN)
				/* Bytes, or the end of the stream: FCGX_Accept_r reads
				 * either, and a hang-up fails it (above), so no recv
				 * of our own to tell them apart first. */
				c->ready[c->nready++] = i;
			else
				slot_close(c, i); /* POLLERR, POLLHUP, POLLNVAL alone */
		}
		if (*extra_ready)
			return NULL; /* the caller reads it; the ready requests wait */
	}
}

void fcgi_conns_done(struct fcgi_conns *c, FCGX_Request *req)
{
	FCGX_Finish_r(req);
	if (req->ipcFd < 0) /* nginx did not ask to keep it, or it broke */
		c->open--;
}
