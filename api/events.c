/* events.c - GET /v1/events: the change feed (docs/events.md).
 *
 * Events are written by triggers in the transaction of the change they
 * record and numbered at its commit (sql/024), so "seq > after" never
 * skips one. Each caller reads what the subject's own GET would show
 * them: supervisors and admins everything; a unit's clerks and approvers
 * their unit's events and the public ones; a citizen (public role) the
 * events of their own requests and the public ones; anonymous callers the
 * public ones (items published, changed or withdrawn, published findings
 * and their steps, published reports).
 *
 * A poll costs no query while nothing changed: the head (the highest seq)
 * is held by the worker until a notification says events committed
 * (eventhead.c), the page is bounded by that head, and the ETag names the
 * head and what was asked; If-None-Match with it is answered 304 at once. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opengov/server/listener.h"
#include "opengov/api/handlers.h"
#include "opengov/api/common.h"
#include "opengov/base/cursor.h"
#include "opengov/base/eventhead.h"
#include "opengov/domain/events.h"

#define EVENTS_TYPES_MAX 32

static bool digits(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 18)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* ?after=: the seq after which to read, a whole number 0..10^18 - 1; or
 * ?cursor=, a list's opaque cursor (the same seq), as every list takes. */
static int after_or_reply(struct req *r, long long *after)
{
	const char *s = http_query(r, "after");
	char parts[1][CURSOR_PART_MAX];

	*after = 0;
	if (query_cursor_or_reply(r, 1, parts))
		return -1;
	if (parts[0][0]) {
		if (s) {
			query_invalid_reply(r, "cursor", "cannot be given with after");
			return -1;
		}
		if (!digits(parts[0])) {
			query_invalid_reply(r, "cursor", "is not a cursor this server issued");
			return -1;
		}
		*after = strtoll(parts[0], NULL, 10);
		return 0;
	}
	if (!s)
		return 0;
	if (!digits(s)) {
		query_invalid_reply(r, "after", "must be a whole number of 0 or more");
		return -1;
	}
	*after = strtoll(s, NULL, 10);
	return 0;
}

/* ?types=: event types, comma-separated, each of the EventType enum; as a
 * PostgreSQL array literal (the names hold no character it quotes) into
 * arr, empty when absent. */
static int types_or_reply(struct req *r, struct buf *arr)
{
	const char *s = http_query(r, "types");
	int n = 0;

	if (!s)
		return 0;
	char *copy = xstrdup(s), *save = NULL;
	buf_puts(arr, "{");
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!event_type_known(tok) || ++n > EVENTS_TYPES_MAX) {
			free(copy);
			query_invalid_reply(r, "types",
					    "must be event types of the EventType list, comma-separated");
			return -1;
		}
		buf_printf(arr, "%s%s", n > 1 ? "," : "", tok);
	}
	free(copy);
	if (!n) {
		query_invalid_reply(r, "types",
				    "must be event types of the EventType list, comma-separated");
		return -1;
	}
	buf_puts(arr, "}");
	return 0;
}

/* The head: held by the worker, else read (and held). 0 and *head, or -1
 * after answering the database's error. */
static int head_or_reply(struct req *r, uint64_t *head)
{
	DB_STMT(st, "events_head", "SELECT last FROM events_counter");
	uint64_t gen = 0;

	/* While the host's listener is not listening nothing is known, and
	 * the head is read (and not kept: gen stays 0). */
	if (listener_hearing() && eventhead_get(head, &gen))
		return 0;
	PGresult *res = db_exec_or_reply(r, &st, 0, NULL);
	if (!res)
		return -1;
	*head = PQntuples(res) == 1 ? (uint64_t)strtoull(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	eventhead_put(gen, *head);
	return 0;
}

/* The ETag of a page: the head it is bounded by, and a hash of who asks
 * (what they may see) and what they ask (the query string). */
static void feed_etag(const struct req *r, uint64_t head, char *out, size_t len)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a, 64 bits */
	const char *parts[] = {
		r->authed ? auth_role_name(r->claims.role) : "anonymous",
		r->authed ? r->claims.sub : "",
		r->authed ? r->claims.unit : "",
		r->query ? r->query : "",
	};

	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++)
			h = (h ^ *p) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
	}
	snprintf(out, len, "\"%" PRIu64 ".%016" PRIx64 "\"", head, h);
}

/* GET /v1/events - listEvents: 200, 304, 400, 401, 500, 503. The events
 * after ?after= the caller may see, oldest first, at most ?limit=, of
 * ?types= and ?unit= when given. */
void api_events_list(struct req *r)
{
	long long after;
	int limit;
	uint64_t head;
	struct buf types = { 0 };
	char etag[64], after_text[24], head_text[24], lim[16];
	const char *unit;

	if (after_or_reply(r, &after) || query_limit_or_reply(r, &limit) ||
	    query_uuid_or_reply(r, "unit", &unit) || types_or_reply(r, &types)) {
		buf_free(&types);
		return;
	}
	if (head_or_reply(r, &head)) {
		buf_free(&types);
		return;
	}
	feed_etag(r, head, etag, sizeof etag);
	http_header(r, "Cache-Control", "private, no-cache");
	http_header(r, "Vary", "Authorization");
	if (http_not_modified(r, etag)) {
		buf_free(&types);
		return;
	}

	snprintf(after_text, sizeof after_text, "%lld", after);
	snprintf(head_text, sizeof head_text, "%" PRIu64, head);
	snprintf(lim, sizeof lim, "%d", limit + 1);
	struct sqlb b = { 0 };
	sqlb_add(&b, "SELECT e.seq, event_json(e)::text AS event FROM events e WHERE e.seq > ");
	sqlb_param(&b, after_text, "bigint");
	/* Bounded by the head the ETag names: the same ETag, the same page. */
	sqlb_add(&b, " AND e.seq <= ");
	sqlb_param(&b, head_text, "bigint");
	if (types.len) {
		sqlb_add(&b, " AND e.type = ANY(");
		sqlb_param(&b, buf_str(&types), "text[]");
		sqlb_add(&b, ")");
	}
	/* One unit's events (a higher-level portal mirroring one unit's
	 * publications, docs/catalogue.md). No index leads with unit_id: a
	 * poller reads the few events since its last poll, walked by seq. */
	sqlb_and_eq(&b, "e.unit_id", unit, "uuid");
	if (req_sees_everything(r)) {
		/* every event */
	} else if (req_is_unit_staff(r) && r->claims.unit[0]) {
		sqlb_add(&b, " AND (e.public OR e.unit_id = ");
		sqlb_param(&b, r->claims.unit, "uuid");
		sqlb_add(&b, ")");
	} else if (r->authed && r->claims.role == ROLE_PUBLIC) {
		sqlb_add(&b, " AND (e.public OR e.owner_sub = ");
		sqlb_param(&b, r->claims.sub, "text");
		sqlb_add(&b, ")");
	} else {
		sqlb_add(&b, " AND e.public");
	}
	sqlb_add(&b, " ORDER BY e.seq LIMIT ");
	sqlb_param(&b, lim, "int");
	PGresult *res = db_exec_cached(r->db, buf_str(&b.sql), b.n, b.params);
	buf_free(&b.sql);
	if (!res) {
		buf_free(&types);
		db_error_reply(r);
		return;
	}

	int n = PQntuples(res);
	bool more = n > limit;
	if (more)
		n = limit;
	const char *next = n ? PQgetvalue(res, n - 1, 0) : after_text;
	char *cursor = more ? cursor_encode(&next, 1) : NULL;
	struct buf body = { 0 };
	buf_puts(&body, "{\"data\":[");
	for (int i = 0; i < n; i++) {
		buf_puts(&body, i ? "," : "");
		buf_puts(&body, PQgetvalue(res, i, 1));
	}
	buf_printf(&body, "],\"next_cursor\":");
	if (cursor)
		buf_printf(&body, "\"%s\"", cursor); /* base64url: nothing to escape */
	else
		buf_puts(&body, "null");
	buf_printf(&body, ",\"next_after\":%s,\"has_more\":%s,\"head\":%s}", next,
		   more ? "true" : "false", head_text);
	if (more) {
		/* The next page: after the last event shown, the rest of the
		 * query as asked (its values are digits and type names). */
		buf_printf(&r->headers, "Link: </v1/events?limit=%d", limit);
		if (types.len)
			buf_printf(&r->headers, "&types=%s", http_query(r, "types"));
		buf_printf(&r->headers, "&cursor=%s>; rel=\"next\"\r\n", cursor);
	}
	free(cursor);
	PQclear(res);
	buf_free(&types);
	http_json_text(r, 200, &body);
	buf_free(&body);
}
