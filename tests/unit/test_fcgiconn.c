/* test_fcgiconn.c - a worker's FastCGI connections (src/server/fcgiconn.c),
 * spoken to as nginx speaks: FastCGI records over a unix socket, with and
 * without FCGI_KEEP_CONN. The point of the module: a kept connection that
 * nginx leaves idle never holds the worker while another one waits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "opengov/server/fcgiconn.h"

enum { BEGIN = 1, END = 3, PARAMS = 4, STDIN = 5, STDOUT = 6 };

struct fixture {
	char path[108];
	int listen_fd;
	struct fcgi_conns *conns;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(f->path, sizeof f->path, "/tmp/og-fcgiconn-%d.sock", (int)getpid());
	unlink(f->path);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->path);
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(f->listen_fd >= 0);
	assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(f->listen_fd, 16), 0);
	assert_int_equal(fcgi_listen_nonblocking(f->listen_fd), 0);
	f->conns = fcgi_conns_new(f->listen_fd, 4);
	assert_non_null(f->conns);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fcgi_conns_free(f->conns);
	close(f->listen_fd);
	unlink(f->path);
	free(f);
	return 0;
}

static int client(const struct fixture *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

static size_t record(unsigned char *out, int type, int id, const void *body, size_t len)
{
	out[0] = 1;
	out[1] = (unsigned char)type;
	out[2] = (unsigned char)(id >> 8);
	out[3] = (unsigned char)id;
	out[4] = (unsigned char)(len >> 8);
	out[5] = (unsigned char)len;
	out[6] = 0;
	out[7] = 0;
	if (len)
		memcpy(out + 8, body, len);
	return 8 + len;
}

/* One GET of uri, as nginx sends it: BEGIN_REQUEST, PARAMS, an empty
 * PARAMS, an empty STDIN. */
static void send_request(int fd, const char *uri, bool keep)
{
	unsigned char buf[1024], params[256];
	unsigned char begin[8] = { 0, 1, keep ? 1 : 0 };
	size_t n = 0, p = 0;
	const char *kv[][2] = { { "REQUEST_METHOD", "GET" }, { "REQUEST_URI", uri } };

	for (size_t i = 0; i < 2; i++) {
		size_t kl = strlen(kv[i][0]), vl = strlen(kv[i][1]);
		params[p++] = (unsigned char)kl;
		params[p++] = (unsigned char)vl;
		memcpy(params + p, kv[i][0], kl);
		p += kl;
		memcpy(params + p, kv[i][1], vl);
		p += vl;
	}
	n += record(buf + n, BEGIN, 1, begin, sizeof begin);
	n += record(buf + n, PARAMS, 1, params, p);
	n += record(buf + n, PARAMS, 1, NULL, 0);
	n += record(buf + n, STDIN, 1, NULL, 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
}

/* Reads records until END_REQUEST; returns what STDOUT carried. */
static char *read_answer(int fd)
{
	static char out[4096];
	size_t olen = 0;

	for (;;) {
		unsigned char h[8], body[65536 + 256];
		assert_int_equal(recv(fd, h, 8, MSG_WAITALL), 8);
		size_t len = ((size_t)h[4] << 8 | h[5]) + h[6];
		if (len)
			assert_int_equal(recv(fd, body, len, MSG_WAITALL), (ssize_t)len);
		if (h[1] == STDOUT && olen + len < sizeof out) {
			memcpy(out + olen, body, len - h[6]);
			olen += len - h[6];
		}
		if (h[1] == END)
			break;
	}
	out[olen] = '\0';
	return out;
}

/* The next request, answered with its own URI. */
static void serve_one(struct fixture *f, const char *want_uri)
{
	bool extra;
	FCGX_Request *q = NULL;

	for (int i = 0; i < 20 && !q; i++)
		q = fcgi_conns_next(f->conns, -1, 100, &extra);
	assert_non_null(q);
	assert_string_equal(FCGX_GetParam("REQUEST_URI", q->envp), want_uri);
	FCGX_FPrintF(q->out, "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n%s", want_uri);
	char sink[256];
	while (FCGX_GetStr(sink, sizeof sink, q->in) > 0)
		;
	fcgi_conns_done(f->conns, q);
}

static bool closed_by_peer(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b;

	return poll(&p, 1, 1000) == 1 && recv(fd, &b, 1, 0) == 0;
}

static void test_idle_kept_connection_does_not_hold_the_worker(void **state)
{
	struct fixture *f = *state;
	int a = client(f), b = client(f);

	send_request(a, "/a/1", true);
	serve_one(f, "/a/1");
	assert_non_null(strstr(read_answer(a), "/a/1"));
	assert_int_equal(fcgi_conns_open(f->conns), 1);
	/* a is kept and idle: b is served all the same */
	send_request(b, "/b/1", true);
	serve_one(f, "/b/1");
	assert_non_null(strstr(read_answer(b), "/b/1"));
	assert_int_equal(fcgi_conns_open(f->conns), 2);
	/* and a's next request comes over the same connection */
	send_request(a, "/a/2", true);
	serve_one(f, "/a/2");
	assert_non_null(strstr(read_answer(a), "/a/2"));
	assert_int_equal(fcgi_conns_open(f->conns), 2);
	close(a);
	close(b);
}

static void test_hang_up_frees_the_slot(void **state)
{
	struct fixture *f = *state;
	int a = client(f);
	bool extra;

	send_request(a, "/x", true);
	serve_one(f, "/x");
	(void)read_answer(a);
	assert_int_equal(fcgi_conns_open(f->conns), 1);
	close(a);
	assert_null(fcgi_conns_next(f->conns, -1, 200, &extra));
	assert_int_equal(fcgi_conns_open(f->conns), 0);
}

static void test_connection_not_kept_is_closed(void **state)
{
	struct fixture *f = *state;
	int a = client(f);

	send_request(a, "/once", false);
	serve_one(f, "/once");
	assert_non_null(strstr(read_answer(a), "/once"));
	assert_int_equal(fcgi_conns_open(f->conns), 0);
	assert_true(closed_by_peer(a));
	close(a);
}

static void test_full_worker_leaves_new_connections_to_others(void **state)
{
	struct fixture *f = *state;
	int c[5];

	/* four kept connections fill this worker (max 4) */
	for (int i = 0; i < 4; i++) {
		char uri[16];
		snprintf(uri, sizeof uri, "/k/%d", i);
		c[i] = client(f);
		send_request(c[i], uri, true);
		serve_one(f, uri);
		(void)read_answer(c[i]);
	}
	assert_int_equal(fcgi_conns_open(f->conns), 4);
	/* a fifth waits in the backlog (for a sibling worker) ... */
	c[4] = client(f);
	send_request(c[4], "/fifth", true);
	bool extra;
	assert_null(fcgi_conns_next(f->conns, -1, 100, &extra));
	/* ... until one of this worker's connections closes */
	close(c[0]);
	serve_one(f, "/fifth");
	assert_non_null(strstr(read_answer(c[4]), "/fifth"));
	for (int i = 1; i < 5; i++)
		close(c[i]);
}

static void test_extra_descriptor_wakes_the_worker(void **state)
{
	struct fixture *f = *state;
	int p[2];
	bool extra = false;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "n", 1), 1);
	assert_null(fcgi_conns_next(f->conns, p[0], 1000, &extra));
	assert_true(extra);
	close(p[0]);
	close(p[1]);
}

/* A reconnection may give the database's new socket the old one's number:
 * renewed, it is watched again. */
static void test_renewed_extra_descriptor_with_the_same_number_wakes_the_worker(void **state)
{
	struct fixture *f = *state;
	int p[2], q[2];
	bool extra = false;

	assert_int_equal(pipe(p), 0);
	assert_null(fcgi_conns_next(f->conns, p[0], 10, &extra));
	assert_false(extra);
	int num = p[0];
	close(p[0]); /* leaves the set by itself */
	close(p[1]);
	assert_int_equal(pipe(q), 0);
	assert_int_equal(dup2(q[0], num), num);
	if (q[0] != num)
		close(q[0]);
	assert_int_equal(write(q[1], "n", 1), 1);
	fcgi_conns_renew_extra(f->conns);
	assert_null(fcgi_conns_next(f->conns, num, 1000, &extra));
	assert_true(extra);
	close(num);
	close(q[1]);
}

/* An extra descriptor closed and its number taken by a kept connection: the
 * connection stays watched (the old extra is never removed by number). */
static void test_old_extra_number_taken_by_a_connection_stays_served(void **state)
{
	struct fixture *f = *state;
	int p[2];
	bool extra = false;

	assert_int_equal(pipe(p), 0);
	assert_null(fcgi_conns_next(f->conns, p[0], 10, &extra));
	close(p[0]);
	close(p[1]);
	int a = client(f);
	send_request(a, "/r/1", true);
	serve_one(f, "/r/1");
	(void)read_answer(a);
	/* the caller has no extra descriptor now, or another one */
	assert_null(fcgi_conns_next(f->conns, -1, 10, &extra));
	send_request(a, "/r/2", true);
	serve_one(f, "/r/2");
	assert_non_null(strstr(read_answer(a), "/r/2"));
	close(a);
}

/* Reads records until END_REQUEST (on a thread of its own, while the worker
 * writes more than the socket holds): the STDOUT content, or NULL when a
 * record was malformed or the stream broke. No cmocka assertion here. */
struct reader {
	int fd;
	char *out;
	size_t len;
};

static void *read_stdout_all(void *arg)
{
	struct reader *rd = arg;
	size_t cap = 1 << 16;
	static unsigned char body[65536 + 256];

	rd->out = malloc(cap);
	rd->len = 0;
	for (;;) {
		unsigned char h[8];
		if (!rd->out || recv(rd->fd, h, 8, MSG_WAITALL) != 8 || h[0] != 1)
			goto bad;
		size_t clen = (size_t)h[4] << 8 | h[5], plen = h[6];
		if (clen + plen &&
		    recv(rd->fd, body, clen + plen, MSG_WAITALL) != (ssize_t)(clen + plen))
			goto bad;
		if (h[1] == STDOUT) {
			if ((clen + plen) % 8)
				goto bad;
			while (rd->len + clen > cap)
				cap *= 2;
			char *grown = realloc(rd->out, cap);
			if (!grown)
				goto bad;
			rd->out = grown;
			memcpy(rd->out + rd->len, body, clen);
			rd->len += clen;
		}
		if (h[1] == END)
			return NULL;
	}
bad:
	free(rd->out);
	rd->out = NULL;
	return NULL;
}

/* The caller has no extra descriptor any more (a database connection found
 * lost, its socket not yet closed and at its end): the old one no longer
 * wakes the worker, which would otherwise spin on it. */
static void test_dropped_extra_descriptor_no_longer_wakes_the_worker(void **state)
{
	struct fixture *f = *state;
	int p[2];
	bool extra = false;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "n", 1), 1); /* readable, and stays so */
	assert_null(fcgi_conns_next(f->conns, p[0], 100, &extra));
	assert_true(extra);
	extra = false;
	assert_null(fcgi_conns_next(f->conns, -1, 100, &extra));
	assert_false(extra);
	close(p[0]);
	close(p[1]);
}

/* A large answer in records of at most 64 KiB, over several batches of
 * iovecs, byte for byte; then the request ends as libfcgi ends it. */
static void test_large_answer_in_records(void **state)
{
	struct fixture *f = *state;
	int a = client(f);
	bool extra;
	size_t alen = 100, blen = 3 * 1000 * 1000 + 5; /* 46 records, 2 batches */
	char *head = malloc(alen), *body = malloc(blen);

	assert_non_null(head);
	assert_non_null(body);
	for (size_t i = 0; i < alen; i++)
		head[i] = (char)('A' + i % 26);
	for (size_t i = 0; i < blen; i++)
		body[i] = (char)(i * 7 + i / 65536);
	send_request(a, "/big", true);
	FCGX_Request *q = NULL;
	for (int i = 0; i < 20 && !q; i++)
		q = fcgi_conns_next(f->conns, -1, 100, &extra);
	assert_non_null(q);
	struct reader rd = { .fd = a };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, read_stdout_all, &rd), 0);
	FCGX_PutS("buffered first;", q->out); /* what libfcgi holds goes first */
	assert_int_equal(fcgi_write_stdout(q, head, alen, body, blen), 0);
	char sink[64];
	while (FCGX_GetStr(sink, sizeof sink, q->in) > 0)
		;
	fcgi_conns_done(f->conns, q);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_non_null(rd.out);
	assert_int_equal(rd.len, 15 + alen + blen);
	assert_memory_equal(rd.out, "buffered first;", 15);
	assert_memory_equal(rd.out + 15, head, alen);
	assert_memory_equal(rd.out + 15 + alen, body, blen);
	assert_int_equal(fcgi_conns_open(f->conns), 1); /* kept */
	free(rd.out);
	free(head);
	free(body);
	close(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_idle_kept_connection_does_not_hold_the_worker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hang_up_frees_the_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_not_kept_is_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_worker_leaves_new_connections_to_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extra_descriptor_wakes_the_worker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renewed_extra_descriptor_with_the_same_number_wakes_the_worker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_extra_number_taken_by_a_connection_stays_served, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropped_extra_descriptor_no_longer_wakes_the_worker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_answer_in_records, setup, teardown),
	};

	if (FCGX_Init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
