/* casestore.c - a case in the database: its row locked, a step's approvals
 * row, the case written back, the audit entry, and the steps the law takes
 * by itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opengov/domain/casestore.h"

PGresult *casestore_lock(struct db *db, const char *id, bool skip)
{
	DB_STMT(lock, "requests_lock",
		"SELECT " REQUEST_DETAIL_COLUMNS ", " REQUEST_REDRESS_COLUMNS
		" FROM requests q WHERE q.id = $1 FOR UPDATE");
	DB_STMT(lock_skip, "requests_lock_skip",
		"SELECT " REQUEST_DETAIL_COLUMNS " FROM requests q WHERE q.id = $1"
		" FOR UPDATE SKIP LOCKED");
	const char *p[] = { id };

	return db_exec(db, skip ? &lock_skip : &lock, 1, p);
}

PGresult *casestore_insert_step(struct db *db, const struct case_key *k,
				const struct case_actor *who, const struct case_step *st)
{
	DB_STMT(ins, "approvals_insert",
		"INSERT INTO approvals (request_id, seq, unit_id, action, actor, actor_role,"
		" from_status, to_status, outcome, reason_code, legal_basis, responsible_unit_id,"
		" reason, comment, days, items, respond_by, details)"
		" SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
		" $12, $13, $14::int, $15::jsonb, $16::date, $17::jsonb FROM approvals WHERE request_id = $1"
		" RETURNING id, seq, rfc3339(at) AS at,"
		" (extract(epoch FROM at) * 1000000)::bigint AS at_us");
	char days[16], respond[11];
	char *details = st->details ? json_dumps(st->details, JSON_COMPACT) : NULL;

	snprintf(days, sizeof days, "%d", st->days);
	if (st->respond_by >= 0)
		calendar_format(st->respond_by, respond);
	const char *p[] = {
		k->id, k->unit_id, st->action, who->actor, who->role, st->from, st->to,
		st->outcome, st->reason_code, st->legal_basis, st->responsible_unit, st->reason,
		st->comment, st->days >= 0 ? days : NULL, st->items,
		st->respond_by >= 0 ? respond : NULL, details,
	};
	PGresult *res = db_exec(db, &ins, 17, p);
	free(details);
	return res;
}

static char *dump_or_null(const json_t *j)
{
	return j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

static const char *day_or_null(int day, char buf[16])
{
	if (day < 0)
		return NULL;
	snprintf(buf, 16, "%d", day);
	return buf;
}

PGresult *casestore_write(struct db *db, const char *id, const struct calendar *cal,
			  const struct case_state *s, const struct case_changes *c, int today)
{
	DB_STMT(upd, "requests_write",
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
		" committed_days = $23::int,"
		" acceptance_start = DATE '1970-01-01' + $24::int,"
		" acceptance_due = DATE '1970-01-01' + $25::int,"
		" pause = $26::jsonb, pause_limit = DATE '1970-01-01' + $27::int,"
		" fee = $28::jsonb, fee_due = DATE '1970-01-01' + $29::int,"
		" delivery_due = DATE '1970-01-01' + $30::int,"
		" delivered_at = CASE WHEN $31::boolean THEN now() ELSE delivered_at END,"
		" delivery_record = coalesce($32::jsonb, delivery_record),"
		" responsible_agency = coalesce($33, responsible_agency),"
		" remedy = coalesce($34, remedy),"
		" version = version + 1, updated_at = now()"
		" WHERE id = $1 RETURNING *)"
		" SELECT " REQUEST_DETAIL_COLUMNS ", " REQUEST_REDRESS_COLUMNS " FROM q");
	char start[16], allowed[16], due[16], corr[16], yellow[16], red[16], used[16] = "0";
	char committed[16], acc_start[16], acc_due[16], pause_limit[16], fee_due[16],
		delivery_due[16];
	struct deadline_result d;
	bool ontime = false;

	snprintf(allowed, sizeof allowed, "%d", s->allowed);
	snprintf(corr, sizeof corr, "%d", s->corrections);
	state_light_dates(cal, s, today, yellow, red);
	/* A decision fixes the figures the reports add up: the statutory clock
	 * judges whether it came in time. */
	if (c->decided && state_deadline(cal, s, today, &d) == 0) {
		snprintf(used, sizeof used, "%d", d.elapsed);
		ontime = d.on_time == 1;
	}
	char *ext = dump_or_null(s->extensions);
	char *exc = dump_or_null(s->excluded);
	char *cor = dump_or_null(s->correction);
	char *fields = dump_or_null(c->fields);
	char *pause = dump_or_null(s->pause);
	char *fee = dump_or_null(s->fee);
	char *delivery = dump_or_null(c->delivery);
	const char *p[] = {
		id, case_statuses[s->status].name, day_or_null(s->start, start), allowed, ext, exc,
		yellow[0] ? yellow : NULL, red[0] ? red : NULL, cor,
		day_or_null(s->correction_due, due), corr,
		c->accepted ? "true" : "false", c->decided ? "true" : "false",
		c->closed ? "true" : "false", c->outcome, c->reason_code, c->legal_basis,
		c->responsible_unit, fields, light_of(yellow, red, today),
		c->decided ? used : NULL, c->decided ? (ontime ? "true" : "false") : NULL,
		day_or_null(s->committed, committed), day_or_null(s->acc_start, acc_start),
		day_or_null(s->acc_due, acc_due), pause, day_or_null(s->pause_limit, pause_limit),
		fee, day_or_null(s->fee_due, fee_due), day_or_null(s->delivery_due, delivery_due),
		c->delivered ? "true" : "false", delivery, c->responsible_agency, c->remedy,
	};
	PGresult *res = db_exec(db, &upd, 34, p);
	free(ext);
	free(exc);
	free(cor);
	free(fields);
	free(pause);
	free(fee);
	free(delivery);
	return res;
}

int casestore_audit(struct db *db, const struct case_key *k, const struct case_actor *who,
		    const char *step_id, const struct case_step *st, json_t *extra)
{
	DB_STMT(audit, "casestore_audit",
		"SELECT audit_append($1, $2, $3, 'request', $4, $5, $6::jsonb)");
	json_t *detail = extra ? json_deep_copy(extra) : json_object();
	char action[64];

	json_object_set_new(detail, "number", json_string(k->number));
	json_object_set_new(detail, "approval_id", json_string(step_id));
	json_object_set_new(detail, "action", json_string(st->action));
	json_object_set_new(detail, "from", st->from ? json_string(st->from) : json_null());
	json_object_set_new(detail, "to", json_string(st->to));
	snprintf(action, sizeof action, "request.%s", st->action);
	char *text = json_dumps(detail, JSON_COMPACT);
	json_decref(detail);
	const char *p[] = { who->actor, who->role, action, k->id, who->request_id, text };
	PGresult *res = db_exec(db, &audit, 6, p);
	free(text);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

/* One system step on s: its row, its audit entry, s moved. */
static int settle_one(struct db *db, const struct case_key *k, struct case_state *s,
		      int today, const char *actor, const char *request_id,
		      struct case_changes *c, enum case_action a)
{
	struct case_actor who = { actor, "system", NULL };
	struct case_step st = { .action = case_actions[a].step, .days = -1, .respond_by = -1,
				.from = case_statuses[s->status].name };
	json_t *details = json_object();
	char d[11];
	int rc = -1;

	who.request_id = request_id;
	switch (a) {
	case CA_DEEMED_ACCEPT:
		calendar_format(s->acc_due, d);
		json_object_set_new(details, "acceptance_due", json_string(d));
		case_do_deemed_accept(s);
		calendar_format(s->start, d);
		json_object_set_new(details, "accepted_from", json_string(d));
		st.reason = "not accepted, corrected or refused within 5 working days: accepted from the day received (Licensing Law Art. 32(4))";
		c->accepted = true;
		break;
	case CA_ABANDON: {
		const char *outcome = case_abandon_outcome(s);
		bool fee = s->status == CS_AWAITING_PAYMENT;
		int limit = fee ? s->fee_due : s->correction_due;
		calendar_format(limit, d);
		json_object_set_new(details, fee ? "pay_by" : "respond_by", json_string(d));
		st.respond_by = fee ? -1 : limit;
		st.reason = fee ? "the fee was not paid by its day (国办函〔2020〕109号)"
				: "the correction did not arrive by its deadline";
		case_do_close(s, CS_ABANDONED, today);
		c->closed = true;
		if (outcome[0]) {
			snprintf(s->outcome, sizeof s->outcome, "%s", outcome);
			st.outcome = c->outcome = s->outcome;
		}
		break;
	}
	case CA_RESUME:
		calendar_format(s->pause_limit, d);
		json_object_set_new(details, "limit", json_string(d));
		st.reason = "the third party's 15 working days are over (OGI Regulations Art. 32)";
		case_do_resume(s, today, "system");
		break;
	default:
		json_decref(details);
		return 0;
	}
	st.to = case_statuses[s->status].name;
	st.details = details;
	PGresult *row = casestore_insert_step(db, k, &who, &st);
	if (row) {
		rc = casestore_audit(db, k, &who, db_get(row, 0, "id"), &st, details);
		PQclear(row);
	}
	json_decref(details);
	return rc;
}

int casestore_settle(struct db *db, const struct case_key *k, struct case_state *s,
		     int today, const char *actor, const char *request_id,
		     struct case_changes *c,
		     int (*done)(struct db *, const struct case_key *, enum case_action,
				 const struct case_state *, void *), void *arg)
{
	int n = 0;

	/* Each system step moves the case out of the state that made it due,
	 * so this ends; the bound is a guard. */
	for (int i = 0; i < 4; i++) {
		enum case_action a = case_settle_next(s, today);
		if (a == CA__MAX)
			break;
		if (settle_one(db, k, s, today, actor, request_id, c, a))
			return -1;
		if (done && done(db, k, a, s, arg))
			return -1;
		n++;
	}
	return n;
}
