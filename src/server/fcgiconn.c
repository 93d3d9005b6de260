/* fcgiconn.c - a worker's FastCGI connections, watched with epoll(7).
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
 * at once (one epoll(7) set: a worker holds tens of connections, and poll(2)
 * looked at every one of them for every wait, a fifth of the worker's time
 * on a cached read), accepts when it is idle, and runs whichever request has arrived;
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
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "opengov/server/fcgiconn.h"

/* What an event's data.u32 names: the listening socket, the caller's extra
 * descriptor, or a connection's slot (TAG_SLOT + its index). */
enum { TAG_LISTEN = 0, TAG_EXTRA = 1, TAG_SLOT = 2 };

struct fcgi_conns {
	int listen_fd;
	int max, open;
	int epfd;             /* the set: the listening socket while open < max,
			       * every open connection, the extra descriptor */
	bool listening;       /* the listening socket is in the set */
	int extra_fd;         /* the extra descriptor in the set; -1 none, -2 renew */
	FCGX_Request *slots;
	struct epoll_event *evs;
	int *ready, nready, rpos; /* slots with a request waiting, from the last wait */
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
	c->extra_fd = -1;
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	c->slots = calloc((size_t)c->max, sizeof *c->slots);
	c->evs = calloc((size_t)c->max + 2, sizeof *c->evs);
	c->ready = calloc((size_t)c->max, sizeof *c->ready);
	if (c->epfd < 0 || !c->slots || !c->evs || !c->ready) {
		fcgi_conns_free(c);
		return NULL;
	}
	for (int i = 0; i < c->max; i++)
		FCGX_InitRequest(&c->slots[i], -1, 0);
	return c;
}

/* Closing a descriptor takes it out of the set: each is opened here once and
 * never duplicated, so the close is its file's last reference. */
static int watch(struct fcgi_conns *c, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
		return 0;
	return errno == EEXIST ? epoll_ctl(c->epfd, EPOLL_CTL_MOD, fd, &ev) : -1;
}

/* Whether fd is one of the connections' (a number the extra descriptor
 * once had may be by now). */
static bool slot_holds(const struct fcgi_conns *c, int fd)
{
	for (int i = 0; i < c->max; i++)
		if (c->slots[i].ipcFd == fd)
			return true;
	return false;
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
	if (c->epfd >= 0)
		close(c->epfd);
	free(c->slots);
	free(c->evs);
	free(c->ready);
	free(c);
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
		if (watch(c, fd, TAG_SLOT + (uint32_t)i)) {
			close(fd); /* nginx tries again on another connection */
			q->ipcFd = -1;
			return;
		}
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

		/* The listening socket is watched while a slot is free. */
		bool want = c->open < c->max;
		if (want != c->listening) {
			struct epoll_event ev = { .events = EPOLLIN, .data.u32 = TAG_LISTEN };
			if (!epoll_ctl(c->epfd, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, c->listen_fd,
				       &ev) || errno == EEXIST || errno == ENOENT)
				c->listening = want;
		}
		/* The extra descriptor changed. The old one leaves the set: it
		 * may still be open (a database connection found lost and not
		 * yet closed), and an end of stream would wake every wait. Closed,
		 * it has left by itself, and its number may be a connection's
		 * by now: that one stays. */
		if (extra_fd != c->extra_fd) {
			if (c->extra_fd >= 0 && !slot_holds(c, c->extra_fd))
				(void)epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->extra_fd, NULL);
			c->extra_fd = -1;
			if (extra_fd >= 0 && !watch(c, extra_fd, TAG_EXTRA))
				c->extra_fd = extra_fd;
		}
		int n = epoll_wait(c->epfd, c->evs, c->max + 2, timeout_ms);
		if (n <= 0)
			return NULL; /* the time is up, or a signal */
		for (int k = 0; k < n; k++) {
			uint32_t ev = c->evs[k].events, tag = c->evs[k].data.u32;
			if (tag == TAG_LISTEN) {
				if (c->open < c->max)
					accept_one(c);
			} else if (tag == TAG_EXTRA) {
				/* An old socket still open (its connection not yet
				 * finished) wakes the caller for nothing: harmless. */
				*extra_ready = true;
			} else {
				int i = (int)(tag - TAG_SLOT);
				if (i >= c->max || c->slots[i].ipcFd < 0)
					continue;
				if (ev & EPOLLIN)
					/* Bytes, or the end of the stream: FCGX_Accept_r
					 * reads either, and a hang-up fails it (above), so
					 * no recv of our own to tell them apart first. */
					c->ready[c->nready++] = i;
				else
					slot_close(c, i); /* EPOLLERR or EPOLLHUP alone */
			}
		}
		if (*extra_ready)
			return NULL; /* the caller reads it; the ready requests wait */
	}
}

void fcgi_conns_renew_extra(struct fcgi_conns *c)
{
	c->extra_fd = -2;
}

void fcgi_conns_done(struct fcgi_conns *c, FCGX_Request *req)
{
	FCGX_Finish_r(req);
	if (req->ipcFd < 0) /* nginx did not ask to keep it, or it broke */
		c->open--;
}

/* Writes the iovecs whole: writev(2) may stop short (a signal). */
static int writev_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* FastCGI 1.0, section 3.3: a record's content is at most 65535 bytes, and
 * its padding makes the record a multiple of 8 bytes ("recommended"). */
#define STDOUT_RECORD_MAX 65528 /* the largest multiple of 8 under 65536 */
#define IOV_BATCH 64

int fcgi_write_stdout(FCGX_Request *req, const char *a, size_t alen, const char *b,
		      size_t blen)
{
	static const char zeros[8];
	unsigned char hdrs[IOV_BATCH / 2][8]; /* a record takes two iovecs at least */
	struct iovec iov[IOV_BATCH];
	size_t total = alen + blen, off = 0;

	/* What libfcgi holds for this stream goes first. */
	if (FCGX_FFlush(req->out) < 0 || req->ipcFd < 0)
		return -1;
	while (off < total) {
		int n = 0, h = 0;
		/* Records while the batch has room for one more: a header, at
		 * most two pieces (the end of a, the start of b), a padding. */
		while (off < total && n + 4 <= IOV_BATCH) {
			size_t len = total - off < STDOUT_RECORD_MAX ? total - off : STDOUT_RECORD_MAX;
			size_t pad = (8 - len % 8) % 8;
			unsigned char *hd = hdrs[h++];
			hd[0] = 1; /* FCGI_VERSION_1 */
			hd[1] = 6; /* FCGI_STDOUT */
			hd[2] = (unsigned char)((req->requestId >> 8) & 0xff);
			hd[3] = (unsigned char)(req->requestId & 0xff);
			hd[4] = (unsigned char)(len >> 8);
			hd[5] = (unsigned char)(len & 0xff);
			hd[6] = (unsigned char)pad;
			hd[7] = 0;
			iov[n++] = (struct iovec){ hd, 8 };
			for (size_t left = len; left;) {
				const char *src = off < alen ? a + off : b + (off - alen);
				size_t room = off < alen ? alen - off : total - off;
				size_t take = room < left ? room : left;
				iov[n++] = (struct iovec){ (void *)src, take };
				off += take;
				left -= take;
			}
			if (pad)
				iov[n++] = (struct iovec){ (void *)zeros, pad };
		}
		if (writev_all(req->ipcFd, iov, n))
			return -1;
	}
	return 0;
}
