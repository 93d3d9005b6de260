/* deliver.c - `opengov deliver`: the webhooks' sender (docs/events.md).
 *
 * Requests never send anything: they write their event (a trigger, in
 * their own transaction, sql/024). This process, started beside `opengov
 * serve` by scripts/stack.sh, turns the events committed after
 * webhook_outbox.last_seq into one durable row of webhook_deliveries per
 * endpoint that wants the event's type (the outbox), then POSTs each due
 * delivery, signed, and records every attempt: a 2xx answer delivers it,
 * anything else (another status, a refused connection, a timeout) is
 * tried again after the configured pause (OPENGOV_WEBHOOK_BACKOFF, with
 * jitter) until OPENGOV_WEBHOOK_MAX_ATTEMPTS, and then the delivery is
 * failed. An admin may redeliver any delivery (a new round of attempts).
 *
 * One sender per database: the process holds a session advisory lock
 * while it works, and a second one waits for it (a standby). Events are
 * numbered at commit, so reading "seq > last_seq" never skips one. A
 * delivery is sent at least once: a crash between the POST and the record
 * of its answer sends it again (receivers dedupe on Opengov-Event-Id). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "opengov/base/log.h"
#include "opengov/db/db.h"
#include "opengov/domain/events.h"

#define DELIVER_LOCK_KEY 7370746401LL /* pg_advisory_lock: one sender */
#define DELIVER_BATCH 20
#define DELIVER_ERROR_MAX 300

static volatile sig_atomic_t stopping;
static volatile sig_atomic_t woken;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static void on_wake(void)
{
	woken = 1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* The events after the outbox's mark become deliveries. Returns how many
 * events were read (0: none new), or -1 when the database failed. */
static int fill_outbox(struct db *db)
{
	DB_STMT(st, "deliver_fill",
		"WITH ev AS (SELECT e.seq, e.type, e.unit_id FROM events e"
		"  WHERE e.seq > (SELECT last_seq FROM webhook_outbox) ORDER BY e.seq LIMIT 1000),"
		" ins AS (INSERT INTO webhook_deliveries (webhook_id, event_seq, next_attempt_at)"
		"  SELECT w.id, ev.seq, now() FROM ev JOIN webhooks w"
		"   ON w.active AND ev.type = ANY(w.types) AND ev.seq > w.from_seq"
		/* an endpoint held to one unit (the higher-level portal's
		 * subscription to it) gets that unit's events only */
		"   AND (w.unit_id IS NULL OR w.unit_id = ev.unit_id)"
		"  ON CONFLICT (webhook_id, event_seq) DO NOTHING RETURNING 1),"
		" up AS (UPDATE webhook_outbox SET last_seq = (SELECT max(seq) FROM ev)"
		"  WHERE EXISTS (SELECT 1 FROM ev) RETURNING last_seq)"
		" SELECT (SELECT count(*) FROM ev) AS events, (SELECT count(*) FROM ins) AS made");
	PGresult *res = db_exec(db, &st, 0, NULL);

	if (!res)
		return -1;
	int n = atoi(PQgetvalue(res, 0, 0));
	int made = atoi(PQgetvalue(res, 0, 1));
	PQclear(res);
	if (made)
		log_info("deliver: %d deliveries made from %d events", made, n);
	return n;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	(void)ptr;
	(void)userdata;
	return size * nmemb;
}

struct outcome {
	long status;    /* HTTP status, 0 when there was no answer */
	int duration_ms;
	char error[DELIVER_ERROR_MAX];
};

/* POSTs body to url with the delivery's headers. */
static void post(const struct config *cfg, const char *url, const char *secret,
		 const char *delivery_id, const char *seq, const char *type, const char *body,
		 struct outcome *out)
{
	char sig[128], h_sig[160], h_id[64], h_type[96], h_ts[64], h_del[80];
	long long ts = (long long)time(NULL);
	struct curl_slist *headers = NULL;
	CURL *c = curl_easy_init();

	memset(out, 0, sizeof *out);
	if (!c) {
		snprintf(out->error, sizeof out->error, "no HTTP client could be made");
		return;
	}
	if (webhook_signature_header(secret, ts, body, strlen(body), sig, sizeof sig)) {
		snprintf(out->error, sizeof out->error, "the body could not be signed");
		curl_easy_cleanup(c);
		return;
	}
	snprintf(h_sig, sizeof h_sig, "Opengov-Signature: %s", sig);
	snprintf(h_id, sizeof h_id, "Opengov-Event-Id: evt_%s", seq);
	snprintf(h_type, sizeof h_type, "Opengov-Event-Type: %s", type);
	snprintf(h_ts, sizeof h_ts, "Opengov-Timestamp: %lld", ts);
	snprintf(h_del, sizeof h_del, "Opengov-Delivery-Id: %s", delivery_id);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, "User-Agent: opengov-webhooks/1");
	headers = curl_slist_append(headers, "Expect:");
	headers = curl_slist_append(headers, h_id);
	headers = curl_slist_append(headers, h_type);
	headers = curl_slist_append(headers, h_ts);
	headers = curl_slist_append(headers, h_del);
	headers = curl_slist_append(headers, h_sig);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)cfg->webhook_timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
			 (long)(cfg->webhook_timeout < 5 ? cfg->webhook_timeout : 5));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	double t0 = now_ms();
	CURLcode rc = curl_easy_perform(c);
	out->duration_ms = (int)(now_ms() - t0 + 0.5);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
		if (out->status < 200 || out->status > 299)
			snprintf(out->error, sizeof out->error, "answered HTTP %ld", out->status);
	} else {
		snprintf(out->error, sizeof out->error, "%s", curl_easy_strerror(rc));
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
}

/* Sends the deliveries that are due, at most DELIVER_BATCH. Returns how
 * many were tried, or -1 when the database failed. */
static int send_due(struct db *db, const struct config *cfg, const struct webhook_backoff *b)
{
	DB_STMT(due, "deliver_due",
		"SELECT d.id, d.attempts, d.round_start, w.url, w.secret, e.seq, e.type,"
		" event_json(e)::text AS body"
		" FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.active"
		" JOIN events e ON e.seq = d.event_seq"
		" WHERE d.status = 'pending' AND d.next_attempt_at <= now()"
		" ORDER BY d.next_attempt_at, d.event_seq LIMIT 20");
	DB_STMT(rec, "deliver_record",
		"WITH a AS (INSERT INTO webhook_attempts (delivery_id, attempt, status_code,"
		"  duration_ms, error) VALUES (:id::uuid, :attempt::int, :code::int, :ms::int, :error)),"
		/* Direct reporting: an information item's publication delivered
		 * to an endpoint marked direct_report (the higher-level portal)
		 * is recorded as published there, that day (sql/031). */
		" dr AS (INSERT INTO item_publications (item_id, unit_id, channel, published_on,"
		"  note, recorded_by)"
		"  SELECT i.id, i.unit_id, 'direct_report', (now() AT TIME ZONE :tz)::date,"
		"   left('webhook ' || w.id || ' ' || w.url, 500), 'deliver'"
		"  FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id"
		"  JOIN events e ON e.seq = d.event_seq JOIN items i ON i.id = e.subject_id"
		"  WHERE :status = 'delivered' AND d.id = :id::uuid AND w.direct_report"
		"   AND e.type = 'item.published' AND i.kind = 'information'"
		"   AND i.published_at IS NOT NULL"
		"  ON CONFLICT DO NOTHING)"
		" UPDATE webhook_deliveries SET attempts = :attempt::int, last_attempt_at = now(),"
		"  last_status_code = :code::int, last_duration_ms = :ms::int, last_error = :error,"
		"  status = :status,"
		"  next_attempt_at = CASE WHEN :status = 'pending'"
		"   THEN now() + :delay_ms::bigint * interval '1 millisecond' END,"
		"  delivered_at = CASE WHEN :status = 'delivered' THEN now() END"
		" WHERE id = :id::uuid");
	PGresult *res = db_exec(db, &due, 0, NULL);

	if (!res)
		return -1;
	int n = PQntuples(res);
	for (int i = 0; i < n && !stopping; i++) {
		const char *id = db_get(res, i, "id");
		int attempt = atoi(db_get(res, i, "attempts")) + 1;
		int in_round = attempt - atoi(db_get(res, i, "round_start"));
		struct outcome o;
		char attempt_s[16], code_s[16], ms_s[16], delay_s[24];
		const char *status;
		long delay = 0;

		post(cfg, db_get(res, i, "url"), db_get(res, i, "secret"), id,
		     db_get(res, i, "seq"), db_get(res, i, "type"), db_get(res, i, "body"), &o);
		if (o.status >= 200 && o.status <= 299) {
			status = "delivered";
		} else if (in_round >= cfg->webhook_max_attempts) {
			status = "failed";
		} else {
			status = "pending";
			delay = webhook_backoff_ms(b, in_round, (unsigned)rand());
		}
		snprintf(attempt_s, sizeof attempt_s, "%d", attempt);
		snprintf(code_s, sizeof code_s, "%ld", o.status);
		snprintf(ms_s, sizeof ms_s, "%d", o.duration_ms);
		snprintf(delay_s, sizeof delay_s, "%ld", delay);
		struct db_args a = { 0 };
		DB_ARG(&a, rec, "id", id);
		DB_ARG(&a, rec, "attempt", attempt_s);
		DB_ARG(&a, rec, "code", o.status ? code_s : NULL);
		DB_ARG(&a, rec, "ms", ms_s);
		DB_ARG(&a, rec, "error", o.error[0] ? o.error : NULL);
		DB_ARG(&a, rec, "status", status);
		DB_ARG(&a, rec, "delay_ms", delay_s);
		DB_ARG(&a, rec, "tz", cfg->tz);
		PGresult *r2 = db_exec_args(db, &rec, &a);
		if (!r2) {
			PQclear(res);
			return -1;
		}
		PQclear(r2);
		log_info("deliver: %s attempt %d: %s%s%s", id, attempt, status,
			 o.error[0] ? ", " : "", o.error);
	}
	PQclear(res);
	return n;
}

/* Milliseconds until the next pending delivery is due (0 when one is due
 * now), at most limit; limit when none is pending or the database failed. */
static long next_due_ms(struct db *db, long limit)
{
	DB_STMT(st, "deliver_next",
		/* NULL when nothing is pending: greatest() would turn that into 0
		 * (it ignores NULLs), and the sender would never sleep. */
		"SELECT ceil(extract(epoch FROM min(d.next_attempt_at) - now()) * 1000)"
		"::bigint FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.active"
		" WHERE d.status = 'pending'");
	PGresult *res = db_exec(db, &st, 0, NULL);
	long ms = limit;

	if (res && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
		long v = atol(PQgetvalue(res, 0, 0));
		ms = v < 0 ? 0 : v < limit ? v : limit;
	}
	PQclear(res);
	return ms;
}

/* Holds the sender's lock: true when this process is the sender. */
static bool take_lock(struct db *db)
{
	DB_STMT(st, "deliver_lock", "SELECT pg_try_advisory_lock($1::bigint)");
	char key[24];

	snprintf(key, sizeof key, "%lld", DELIVER_LOCK_KEY);
	const char *p[] = { key };
	PGresult *res = db_exec(db, &st, 1, p);
	bool ok = res && !strcmp(PQgetvalue(res, 0, 0), "t");
	PQclear(res);
	return ok;
}

int deliver_main(const struct config *cfg, bool once)
{
	static const struct db_listener listeners[] = {
		{ "opengov_events", on_wake },
		{ "opengov_webhooks", on_wake },
	};
	struct webhook_backoff b;
	struct db db = { 0 };
	unsigned gen_locked = 0;
	bool locked = false;

	if (!cfg->database_url) {
		fprintf(stderr, "deliver: set OPENGOV_DATABASE_URL\n");
		return 1;
	}
	if (webhook_backoff_parse(cfg->webhook_backoff, &b)) {
		fprintf(stderr, "deliver: OPENGOV_WEBHOOK_BACKOFF must be 1 to %d whole numbers of"
			" seconds (1..604800), comma-separated, none smaller than the one before\n",
			WEBHOOK_BACKOFF_MAX);
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "deliver: the HTTP client could not start\n");
		return 1;
	}
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	db.tz = cfg->tz;
	db.listeners = listeners;
	db.nlisteners = sizeof listeners / sizeof listeners[0];
	if (db_connect(&db, cfg->database_url) && once) {
		fprintf(stderr, "deliver: cannot connect to the database\n");
		curl_global_cleanup();
		return 1;
	}
	int rc = 0;
	while (!stopping) {
		woken = 0;
		if (!db_ensure(&db)) {
			locked = false;
		} else {
			/* A new connection has lost the session's lock. */
			if (!locked || gen_locked != db.gen) {
				locked = take_lock(&db);
				gen_locked = db.gen;
			}
			if (locked) {
				int made = fill_outbox(&db);
				int sent = made < 0 ? -1 : send_due(&db, cfg, &b);
				if (made < 0 || sent < 0) {
					rc = 1;
				} else if (made || sent) {
					continue; /* more may be waiting */
				}
			} else if (once) {
				fprintf(stderr, "deliver: another opengov deliver is the sender\n");
				rc = 1;
			}
		}
		if (once)
			break;
		/* Until something is notified or the next retry is due: at most
		 * 1 s, so that a retry leaves on time (within 50 ms). */
		long wait = locked ? next_due_ms(&db, 1000) : 1000;
		for (long slept = 0; slept < wait && !woken && !stopping; slept += 50) {
			usleep(50000);
			db_poll_notifies(&db);
		}
	}
	db_close(&db);
	curl_global_cleanup();
	return rc;
}
