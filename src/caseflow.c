/* caseflow.c - the request state machine: which steps each status allows
 * and who takes them, who sees a request, a step recorded (its approval
 * row, the new state, the audit entry) and the request as clients read it.
 * The handlers of api/requests.c, api/approvals.c and api/materials.c call
 * it; the clock itself is src/caseclock.c. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opengov/caseflow.h"
#include "opengov/jsonw.h"
#include "opengov/workcal.h"

static void not_found(struct req *r)
{
	problem_reply(r, 404, "not-found", "There is no such request.");
}

bool case_is_open(const char *status)
{
	return !strcmp(status, "submitted") || !strcmp(status, "accepted") ||
	       !strcmp(status, "correction_required") || !strcmp(status, "paused");
}

/* The actions each status allows, whoever may take them. */
const char *const *request_status_actions(const char *kind, const char *status)
{
	static const char *const submitted_d[] = { "accept", "request_correction",
		"refuse_acceptance", "extend", "decide", "withdraw", "upload_material", NULL };
	static const char *const submitted_a[] = { "accept", "request_correction",
		"refuse_acceptance", "withdraw", "upload_material", NULL };
	static const char *const accepted_d[] = { "pause", "extend", "decide", "withdraw", NULL };
	static const char *const accepted_a[] = { "pause", "decide", "withdraw", NULL };
	static const char *const paused_d[] = { "resume", "extend", "withdraw", NULL };
	static const char *const paused_a[] = { "resume", "withdraw", NULL };
	static const char *const correction[] = { "resubmission", "withdraw", "upload_material", NULL };
	static const char *const none[] = { NULL };
	bool d = !strcmp(kind, "disclosure");

	if (!strcmp(status, "submitted"))
		return d ? submitted_d : submitted_a;
	if (!strcmp(status, "accepted"))
		return d ? accepted_d : accepted_a;
	if (!strcmp(status, "paused"))
		return d ? paused_d : paused_a;
	if (!strcmp(status, "correction_required"))
		return correction;
	return none;
}

bool case_clerk_action(const char *a)
{
	return !strcmp(a, "accept") || !strcmp(a, "request_correction") ||
	       !strcmp(a, "refuse_acceptance");
}

bool case_approver_action(const char *a)
{
	return !strcmp(a, "pause") || !strcmp(a, "resume") || !strcmp(a, "extend") ||
	       !strcmp(a, "decide");
}

/* What the caller may do now. */
static void write_allowed(struct buf *b, const struct req *r, const struct request_ref *ref,
			  const struct case_state *s)
{
	const char *const *acts = request_status_actions(s->kind, s->status);
	bool first = true;
	bool own_staff = ref->unit_staff;
	bool for_applicant = request_acts_for_applicant(r, ref);

	buf_append(b, "[", 1);
	for (int i = 0; acts[i]; i++) {
		const char *a = acts[i];
		bool ok;
		if (!strcmp(a, "extend") && json_array_size(s->extensions) > 0)
			continue;
		if (case_clerk_action(a))
			ok = own_staff && r->claims.role == ROLE_CLERK;
		else if (case_approver_action(a))
			ok = own_staff && r->claims.role == ROLE_APPROVER;
		else if (!strcmp(a, "upload_material"))
			ok = ref->own || own_staff;
		else
			ok = for_applicant;
		if (!ok)
			continue;
		if (!first)
			buf_append(b, ",", 1);
		first = false;
		jw_string(b, a);
	}
	buf_append(b, "]", 1);
}

static void put(struct buf *b, bool *first, const char *key, const PGresult *res, int row,
		const char *col)
{
	jw_key(b, first, key);
	jw_value(b, res, row, db_col(res, col));
}

/* A time column of REQUEST_COLUMNS (seconds since 1970) as RFC 3339 UTC. */
static void put_time(struct buf *b, bool *first, const char *key, const PGresult *res, int row,
		     const char *col)
{
	const char *v = db_get(res, row, col);
	char out[32];
	struct tm tm;

	jw_key(b, first, key);
	if (!v) {
		buf_puts(b, "null");
		return;
	}
	time_t t = (time_t)strtoll(v, NULL, 10);
	gmtime_r(&t, &tm);
	strftime(out, sizeof out, "\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
	buf_puts(b, out);
}

static void put_day(struct buf *b, bool *first, const char *key, int day)
{
	char d[11];

	jw_key(b, first, key);
	if (day < 0 || day == INT_MAX) {
		buf_puts(b, "null");
		return;
	}
	calendar_format(day, d);
	jw_string(b, d);
}

static void put_json(struct buf *b, bool *first, const char *key, const json_t *j)
{
	jw_key(b, first, key);
	if (json_is_array(j) && json_array_size(j) == 0) {
		buf_puts(b, "[]");
		return;
	}
	char *t = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	buf_puts(b, t ? t : "null");
	free(t);
}

/* The deadline block of s; started: d holds its clock (state_deadline). */
static void write_deadline(struct buf *b, const struct case_state *s, bool started,
			   const struct deadline_result *dl)
{
	struct deadline_result d = *dl;
	bool f = true;
	bool closed = !strcmp(s->status, "withdrawn") || !strcmp(s->status, "not_accepted") ||
		      !strcmp(s->status, "abandoned");

	buf_puts(b, "{");
	put_day(b, &f, "start_date", started ? s->start : -1);
	put_day(b, &f, "due_date", started ? d.due : -1);
	jw_key(b, &f, "working_days_allowed");
	buf_printf(b, "%d", s->allowed);
	jw_key(b, &f, "working_days_elapsed");
	buf_printf(b, "%d", started ? d.elapsed : 0);
	jw_key(b, &f, "working_days_remaining");
	buf_printf(b, "%d", started ? d.remaining : s->allowed);
	put_json(b, &f, "excluded", s->excluded);
	put_json(b, &f, "extensions", s->extensions);
	jw_key(b, &f, "light");
	if (started && !closed)
		jw_string(b, deadline_light_name(d.light));
	else
		buf_puts(b, "null");
	jw_key(b, &f, "on_time");
	if (started && s->decided >= 0)
		buf_puts(b, d.on_time ? "true" : "false");
	else
		buf_puts(b, "null");
	jw_key(b, &f, "calendar_complete");
	buf_puts(b, d.calendar_complete ? "true" : "false");
	buf_puts(b, "}");
}

/* The checklist of the notice: each entry with whether it is redone. */
static void write_correction(struct buf *b, const struct case_state *s, const char *latest)
{
	json_t *c = s->correction;
	json_t *up = latest ? json_loads(latest, 0, NULL) : NULL;
	json_int_t notice = json_integer_value(json_object_get(c, "notice_us"));
	bool resubmitted = json_is_string(json_object_get(c, "resubmitted_at"));
	bool f = true;
	size_t i;
	json_t *e;

	buf_puts(b, "{");
	jw_key(b, &f, "notice_id");
	jw_string(b, json_member_str(c, "notice_id"));
	jw_key(b, &f, "notice_at");
	jw_string(b, json_member_str(c, "notice_at"));
	jw_key(b, &f, "respond_by");
	jw_string(b, json_member_str(c, "respond_by"));
	jw_key(b, &f, "items");
	buf_puts(b, "[");
	json_array_foreach(json_object_get(c, "items"), i, e) {
		bool g = true, redone = resubmitted;
		const char *code = json_member_str(e, "material_code");
		if (i)
			buf_puts(b, ",");
		buf_puts(b, "{");
		if (code) {
			jw_key(b, &g, "material_code");
			jw_string(b, code);
			if (json_integer_value(json_object_get(up, code)) > notice)
				redone = true;
		} else {
			jw_key(b, &g, "field");
			jw_string(b, json_member_str(e, "field"));
		}
		jw_key(b, &g, "reason");
		jw_string(b, json_member_str(e, "reason"));
		jw_key(b, &g, "redone");
		buf_puts(b, redone ? "true" : "false");
		buf_puts(b, "}");
	}
	buf_puts(b, "]");
	jw_key(b, &f, "resubmitted_at");
	jw_string(b, json_member_str(c, "resubmitted_at"));
	buf_puts(b, "}");
	json_decref(up);
}

/* What the applicant must do next, in one sentence. */
static void write_next_step(struct buf *b, const struct case_state *s, bool started,
			    const struct deadline_result *d)
{
	char due[11] = "", text[400];

	if (started)
		calendar_format(d->due, due);
	if (!strcmp(s->status, "submitted"))
		snprintf(text, sizeof text, !strcmp(s->kind, "disclosure")
			 ? "Nothing to do now: the unit is examining the application and must answer by %s."
			 : "Nothing to do now: the unit is checking the application and its materials%s.",
			 !strcmp(s->kind, "disclosure") ? due : " before it accepts it");
	else if (!strcmp(s->status, "accepted"))
		snprintf(text, sizeof text,
			 "Nothing to do now: the application is accepted and the decision is due by %s.", due);
	else if (!strcmp(s->status, "paused"))
		snprintf(text, sizeof text,
			 "Nothing to do now: the case is paused and its clock stopped until the unit resumes it.");
	else if (!strcmp(s->status, "correction_required"))
		snprintf(text, sizeof text,
			 "Redo every entry of the correction checklist (upload a new version of each listed"
			 " material, send each listed field with the resubmission), then resubmit by %s,"
			 " or the application will be closed as abandoned.",
			 json_member_str(s->correction, "respond_by"));
	else if (!strcmp(s->status, "decided"))
		snprintf(text, sizeof text, "Nothing to do: the case is decided; the decision and its legal basis are on the case.");
	else if (!strcmp(s->status, "not_accepted"))
		snprintf(text, sizeof text, "Nothing to do: the application was not accepted; the reason is in the case history, and a new application may be filed.");
	else if (!strcmp(s->status, "withdrawn"))
		snprintf(text, sizeof text, "Nothing to do: the application was withdrawn.");
	else
		snprintf(text, sizeof text, "Nothing to do: the correction did not arrive by %s and the application was closed; a new application may be filed.",
			 json_member_str(s->correction, "respond_by")
			 ? json_member_str(s->correction, "respond_by") : "its deadline");
	jw_string(b, text);
}


/* The request as clients see it. */
void request_write(struct buf *b, const struct req *r, const struct calendar *cal,
			  const PGresult *res, int row, int today)
{
	struct case_state s;
	struct request_ref ref;
	bool f = true;

	state_load(&s, res, row);
	request_fill_ref(r, res, row, &ref);
	buf_puts(b, "{");
	put(b, &f, "id", res, row, "id");
	put(b, &f, "kind", res, row, "kind");
	put(b, &f, "number", res, row, "number");
	put(b, &f, "status", res, row, "status");
	put(b, &f, "unit_id", res, row, "unit_id");
	put(b, &f, "item_id", res, row, "item_id");
	put(b, &f, "channel", res, row, "channel");
	put(b, &f, "applicant", res, row, "applicant");
	put(b, &f, "registered_by", res, row, "registered_by");
	/* Every member on every kind (null where it does not apply): one
	 * shape for clients to read. */
	put(b, &f, "description", res, row, "description");
	put(b, &f, "purpose", res, row, "purpose");
	put(b, &f, "delivery", res, row, "delivery");
	put(b, &f, "form", res, row, "form");
	put_time(b, &f, "received_at", res, row, "received_at");
	put_time(b, &f, "accepted_at", res, row, "accepted_at");
	put_time(b, &f, "decided_at", res, row, "decided_at");
	put_time(b, &f, "closed_at", res, row, "closed_at");
	jw_key(b, &f, "decision");
	if (db_get(res, row, "outcome")) {
		bool g = true;
		buf_puts(b, "{");
		put(b, &g, "outcome", res, row, "outcome");
		put(b, &g, "reason_code", res, row, "reason_code");
		put(b, &g, "legal_basis", res, row, "legal_basis");
		put(b, &g, "responsible_unit_id", res, row, "responsible_unit_id");
		put_time(b, &g, "decided_at", res, row, "decided_at");
		buf_puts(b, "}");
	} else {
		buf_puts(b, "null");
	}
	struct deadline_result dl = { 0 };
	bool started = state_deadline(cal, &s, today, &dl) == 0;
	jw_key(b, &f, "deadline");
	write_deadline(b, &s, started, &dl);
	jw_key(b, &f, "correction");
	if (s.correction) {
		int col = db_col(res, "latest_uploads");
		write_correction(b, &s, col >= 0 && !PQgetisnull(res, row, col)
				 ? PQgetvalue(res, row, col) : NULL);
	} else {
		buf_puts(b, "null");
	}
	jw_key(b, &f, "next_step");
	write_next_step(b, &s, started, &dl);
	jw_key(b, &f, "allowed_actions");
	write_allowed(b, r, &ref, &s);
	put_time(b, &f, "created_at", res, row, "created_at");
	put_time(b, &f, "updated_at", res, row, "updated_at");
	put(b, &f, "version", res, row, "version");
	buf_puts(b, "}");
	state_free(&s);
}

const struct calendar *request_calendar_or_reply(struct req *r, const PGresult *res)
{
	const char *v = res && PQntuples(res) ? db_get(res, 0, "cal_version") : NULL;
	const struct calendar *cal = workcal_get(r->db, v ? strtoll(v, NULL, 10) : -1);

	if (!cal)
		db_error_reply(r);
	return cal;
}

/* The version of the row and the day: the deadline block moves with the
 * days even when the row does not. */
void request_etag(const PGresult *res, int row, char *out, size_t len)
{
	snprintf(out, len, "\"%s.%d\"", db_get(res, row, "version"), workcal_today());
}

/* Answers with the request of row 0 (and its headers). */
void request_reply(struct req *r, int status, const PGresult *res,
			  const struct calendar *cal)
{
	struct buf body = { 0 };
	char etag[32];

	request_write(&body, r, cal, res, 0, workcal_today());
	request_etag(res, 0, etag, sizeof etag);
	http_header(r, "ETag", "%s", etag);
	http_header(r, "Cache-Control", "private, no-cache");
	http_json_text(r, status, &body);
	buf_free(&body);
}

void request_fill_ref(const struct req *r, const PGresult *res, int row, struct request_ref *ref)
{
	const char *sub = db_get(res, row, "applicant_sub");
	const char *item = db_get(res, row, "item_id");

	memset(ref, 0, sizeof *ref);
	snprintf(ref->id, sizeof ref->id, "%s", db_get(res, row, "id"));
	snprintf(ref->kind, sizeof ref->kind, "%s", db_get(res, row, "kind"));
	snprintf(ref->status, sizeof ref->status, "%s", db_get(res, row, "status"));
	snprintf(ref->channel, sizeof ref->channel, "%s", db_get(res, row, "channel"));
	snprintf(ref->unit_id, sizeof ref->unit_id, "%s", db_get(res, row, "unit_id"));
	snprintf(ref->item_id, sizeof ref->item_id, "%s", item ? item : "");
	snprintf(ref->number, sizeof ref->number, "%s", db_get(res, row, "number"));
	ref->own = r->authed && r->claims.role == ROLE_PUBLIC && sub && !strcmp(sub, r->claims.sub);
	ref->unit_staff = req_is_unit_staff(r) && !strcmp(r->claims.unit, ref->unit_id);
}

static bool ref_visible(const struct req *r, const struct request_ref *ref)
{
	return ref->own || ref->unit_staff || req_sees_everything(r);
}

bool request_acts_for_applicant(const struct req *r, const struct request_ref *ref)
{
	return ref->own || (ref->unit_staff && r->claims.role == ROLE_CLERK &&
			    strcmp(ref->channel, "online"));
}

static struct db_stmt request_by_id = { "requests_get",
	"SELECT " REQUEST_DETAIL_COLUMNS " FROM requests q WHERE q.id = $1", 0 };
static struct db_stmt request_lock = { "requests_lock",
	"SELECT " REQUEST_DETAIL_COLUMNS " FROM requests q WHERE q.id = $1 FOR UPDATE", 0 };


/* Loads the request row (locked inside the open transaction with lock);
 * NULL after answering 404/5xx. */
PGresult *request_load_or_reply(struct req *r, const char *id, bool lock,
				       struct request_ref *ref)
{
	if (!uuid_valid(id)) {
		if (lock && r->db->in_tx)
			db_rollback(r->db);
		not_found(r);
		return NULL;
	}
	const char *p[] = { id };
	PGresult *res = db_exec_or_reply(r, lock ? &request_lock : &request_by_id, 1, p);
	if (!res)
		return NULL;
	if (PQntuples(res) == 1)
		request_fill_ref(r, res, 0, ref);
	if (PQntuples(res) != 1 || !ref_visible(r, ref)) {
		PQclear(res);
		if (lock && r->db->in_tx)
			db_rollback(r->db);
		not_found(r);
		return NULL;
	}
	return res;
}

int request_find_or_reply(struct req *r, const char *id, bool lock, struct request_ref *out)
{
	PGresult *res = request_load_or_reply(r, id, lock, out);

	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

/* Inserts the approval row; returns its id and time in the result (NULL
 * after answering). The request row is locked by the caller. */
static PGresult *insert_step(struct req *r, const char *request_id, const char *unit_id,
			     const struct case_step *st)
{
	static struct db_stmt ins = { "approvals_insert",
		"INSERT INTO approvals (request_id, seq, unit_id, action, actor, actor_role,"
		" from_status, to_status, outcome, reason_code, legal_basis, responsible_unit_id,"
		" reason, comment, days, items, respond_by)"
		" SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
		" $12, $13, $14::int, $15::jsonb, $16::date FROM approvals WHERE request_id = $1"
		" RETURNING id, seq, rfc3339(at) AS at,"
		" (extract(epoch FROM at) * 1000000)::bigint AS at_us", 0 };
	char days[16], respond[11];

	snprintf(days, sizeof days, "%d", st->days);
	if (st->respond_by >= 0)
		calendar_format(st->respond_by, respond);
	const char *p[] = {
		request_id, unit_id, st->action, req_actor(r), req_role(r), st->from, st->to,
		st->outcome, st->reason_code, st->legal_basis, st->responsible_unit, st->reason,
		st->comment, st->days >= 0 ? days : NULL, st->items,
		st->respond_by >= 0 ? respond : NULL,
	};
	return db_exec_or_reply(r, &ins, 16, p);
}

static PGresult *write_state(struct req *r, const char *id, const struct calendar *cal,
			     const struct case_state *s, const struct case_changes *c)
{
	static struct db_stmt upd = { "requests_write",
		"WITH q AS (UPDATE requests SET status = $2,"
		" clock_start = DATE '1970-01-01' + $3::int, days_allowed = $4::int,"
		" extensions = $5::jsonb, excluded = $6::jsonb, yellow_on = $7::date,"
		" red_on = $8::date, correction = $9::jsonb, light = $20,"
		" clock_calendar = (SELECT version FROM calendar_meta),"
		" days_used = CASE WHEN $13::boolean THEN $21::int ELSE days_used END,"
		" on_time = CASE WHEN $13::boolean THEN $22::boolean ELSE on_time END,"
		" correction_due = DATE '1970-01-01' + $10::int, corrections = $11::int,"
		" accepted_at = CASE WHEN $12::boolean THEN now() ELSE accepted_at END,"
		" decided_at = CASE WHEN $13::boolean THEN now() ELSE decided_at END,"
		" closed_at = CASE WHEN $14::boolean THEN now() ELSE closed_at END,"
		" outcome = coalesce($15, outcome), reason_code = coalesce($16, reason_code),"
		" legal_basis = coalesce($17, legal_basis),"
		" responsible_unit_id = coalesce($18::uuid, responsible_unit_id),"
		" description = coalesce($19::jsonb->>'description', description),"
		" purpose = CASE WHEN $19::jsonb ? 'purpose' THEN $19::jsonb->>'purpose' ELSE purpose END,"
		" delivery = coalesce($19::jsonb->>'delivery', delivery),"
		" form = coalesce($19::jsonb->'form', form),"
		" version = version + 1, updated_at = now()"
		" WHERE id = $1 RETURNING *)"
		" SELECT " REQUEST_DETAIL_COLUMNS " FROM q", 0 };
	char start[16], allowed[16], due[16], corr[16], yellow[16], red[16];
	int today = workcal_today();

	snprintf(start, sizeof start, "%d", s->start);
	snprintf(allowed, sizeof allowed, "%d", s->allowed);
	snprintf(due, sizeof due, "%d", s->correction_due);
	snprintf(corr, sizeof corr, "%d", s->corrections);
	state_light_dates(cal, s, today, yellow, red);
	/* A decision fixes the figures the reports add up. */
	struct deadline_result d;
	char used[16] = "0";
	bool ontime = false;
	if (c->decided && state_deadline(cal, s, today, &d) == 0) {
		snprintf(used, sizeof used, "%d", d.elapsed);
		ontime = d.on_time == 1;
	}
	char *ext = json_dumps(s->extensions, JSON_COMPACT);
	char *exc = json_dumps(s->excluded, JSON_COMPACT);
	char *cor = s->correction ? json_dumps(s->correction, JSON_COMPACT) : NULL;
	char *fields = c->fields ? json_dumps(c->fields, JSON_COMPACT) : NULL;
	const char *p[] = {
		id, s->status, s->start >= 0 ? start : NULL, allowed, ext, exc,
		yellow[0] ? yellow : NULL, red[0] ? red : NULL, cor,
		s->correction_due >= 0 ? due : NULL, corr,
		c->accepted ? "true" : "false", c->decided ? "true" : "false",
		c->closed ? "true" : "false", c->outcome, c->reason_code, c->legal_basis,
		c->responsible_unit, fields, light_of(yellow, red, today),
		c->decided ? used : NULL, c->decided ? (ontime ? "true" : "false") : NULL,
	};
	PGresult *res = db_exec_or_reply(r, &upd, 22, p);
	free(ext);
	free(exc);
	free(cor);
	free(fields);
	return res;
}

/* Answers 409: the action does not fit the status. */
void case_wrong_status(struct req *r, const struct case_state *s, const char *action)
{
	char detail[200];

	snprintf(detail, sizeof detail, "The request is %s: %s is not possible now.", s->status,
		 action);
	conflict_reply(r, detail, s->status, request_status_actions(s->kind, s->status));
}

bool case_action_allowed(const struct case_state *s, const char *action)
{
	const char *const *acts = request_status_actions(s->kind, s->status);

	for (int i = 0; acts[i]; i++)
		if (!strcmp(acts[i], action))
			return true;
	return false;
}

/* Opens the transaction and loads the request locked, with its state and
 * the calendar. NULL after answering. */
PGresult *case_begin_or_reply(struct req *r, const char *id, struct request_ref *ref,
			      struct case_state *s, const struct calendar **cal)
{
	if (db_begin_or_reply(r))
		return NULL;
	PGresult *res = request_load_or_reply(r, id, true, ref);
	if (!res)
		return NULL;
	*cal = request_calendar_or_reply(r, res);
	if (!*cal) {
		PQclear(res);
		return NULL;
	}
	state_load(s, res, 0);
	return res;
}

void case_now_rfc3339(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

PGresult *case_commit_or_reply(struct req *r, const struct request_ref *ref,
			       struct case_state *s, const struct calendar *cal,
			       struct case_step *st, const struct case_changes *c, json_t *detail,
			       char step_id[37])
{
	char audit_action[64];

	st->to = s->status;
	PGresult *step = insert_step(r, ref->id, ref->unit_id, st);
	if (!step) {
		json_decref(detail);
		return NULL;
	}
	snprintf(step_id, 37, "%s", db_get(step, 0, "id"));
	if (!strcmp(st->action, "request_correction")) {
		/* The notice is the step: its time tells a new upload from an old. */
		json_object_set_new(s->correction, "notice_id", json_string(step_id));
		json_object_set_new(s->correction, "notice_at", json_string(db_get(step, 0, "at")));
		json_object_set_new(s->correction, "notice_us",
				    json_integer(strtoll(db_get(step, 0, "at_us"), NULL, 10)));
	}
	PQclear(step);
	PGresult *row = write_state(r, ref->id, cal, s, c);
	if (!row) {
		json_decref(detail);
		return NULL;
	}
	json_object_set_new(detail, "number", json_string(ref->number));
	json_object_set_new(detail, "approval_id", json_string(step_id));
	json_object_set_new(detail, "action", json_string(st->action));
	json_object_set_new(detail, "from", json_string(st->from));
	json_object_set_new(detail, "to", json_string(st->to));
	snprintf(audit_action, sizeof audit_action, "request.%s", st->action);
	int rc = audit_append_or_reply(r, audit_action, "request", ref->id, detail);
	json_decref(detail);
	if (rc || db_commit_or_reply(r)) {
		PQclear(row);
		return NULL;
	}
	return row;
}

/* The newest upload of each code (microseconds), as a JSON object. */
json_t *request_latest_uploads(const PGresult *res)
{
	const char *v = db_get(res, 0, "latest_uploads");
	json_t *j = v ? json_loads(v, 0, NULL) : NULL;

	return j ? j : json_object();
}
