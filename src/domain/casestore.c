/* casestore.c - a case in the database: its row locked, a step's approvals
 * row, the case written back, the audit entry, and the steps the law takes
 * by itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opengov/db/audit.h"
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
		" SELECT :request_id, coalesce(max(seq), 0) + 1, :unit_id, :action, :actor,"
		" :actor_role, :from_status, :to_status, :outcome, :reason_code, :legal_basis,"
		" :responsible_unit_id,"
		" :reason, :comment, :days::int, :items::jsonb, :respond_by::date,"
		" :details::jsonb FROM approvals WHERE request_id = :request_id"
		" RETURNING id, seq, rfc3339(at) AS at,"
		" (extract(epoch FROM at) * 1000000)::bigint AS at_us");
	char days[16], respond[11];
	char *details = st->details ? json_dumps(st->details, JSON_COMPACT) : NULL;

	snprintf(days, sizeof days, "%d", st->days);
	if (st->respond_by >= 0)
		calendar_format(st->respond_by, respond);
	struct db_args a = { 0 };
	DB_ARG(&a, ins, "request_id", k->id);
	DB_ARG(&a, ins, "unit_id", k->unit_id);
	DB_ARG(&a, ins, "action", st->action);
	DB_ARG(&a, ins, "actor", who->actor);
	DB_ARG(&a, ins, "actor_role", who->role);
	DB_ARG(&a, ins, "from_status", st->from);
	DB_ARG(&a, ins, "to_status", st->to);
	DB_ARG(&a, ins, "outcome", st->outcome);
	DB_ARG(&a, ins, "reason_code", st->reason_code);
	DB_ARG(&a, ins, "legal_basis", st->legal_basis);
	DB_ARG(&a, ins, "responsible_unit_id", st->responsible_unit);
	DB_ARG(&a, ins, "reason", st->reason);
	DB_ARG(&a, ins, "comment", st->comment);
	DB_ARG(&a, ins, "days", st->days >= 0 ? days : NULL);
	DB_ARG(&a, ins, "items", st->items);
	DB_ARG(&a, ins, "respond_by", st->respond_by >= 0 ? respond : NULL);
	DB_ARG(&a, ins, "details", details);
	PGresult *res = db_exec_args(db, &ins, &a);
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
		"WITH q AS (UPDATE requests SET status = :status,"
		" clock_start = DATE '1970-01-01' + :clock_start::int,"
		" days_allowed = :days_allowed::int,"
		" extensions = :extensions::jsonb, excluded = :excluded::jsonb,"
		" yellow_on = :yellow_on::date,"
		" red_on = :red_on::date, correction = :correction::jsonb, light = :light,"
		" clock_calendar = (SELECT version FROM calendar_meta),"
		" days_used = CASE WHEN :decided::boolean THEN :days_used::int"
		" ELSE days_used END,"
		" on_time = CASE WHEN :decided::boolean THEN :on_time::boolean"
		" ELSE on_time END,"
		" correction_due = DATE '1970-01-01' + :correction_due::int,"
		" corrections = :corrections::int,"
		" accepted_at = CASE WHEN :accepted::boolean THEN now() ELSE accepted_at END,"
		" decided_at = CASE WHEN :decided::boolean THEN now() ELSE decided_at END,"
		" closed_at = CASE WHEN :closed::boolean THEN now() ELSE closed_at END,"
		" outcome = coalesce(:outcome, outcome), reason_code = coalesce(:reason_code,"
		" reason_code),"
		" legal_basis = coalesce(:legal_basis, legal_basis),"
		" responsible_unit_id = coalesce(:responsible_unit_id::uuid,"
		" responsible_unit_id),"
		" description = coalesce(:fields::jsonb->>'description', description),"
		" purpose = CASE WHEN :fields::jsonb ? 'purpose'"
		" THEN :fields::jsonb->>'purpose' ELSE purpose END,"
		" delivery = coalesce(:fields::jsonb->>'delivery', delivery),"
		" form = coalesce(:fields::jsonb->'form', form),"
		" committed_days = :committed_days::int,"
		" acceptance_start = DATE '1970-01-01' + :acceptance_start::int,"
		" acceptance_due = DATE '1970-01-01' + :acceptance_due::int,"
		" pause = :pause::jsonb, pause_limit = DATE '1970-01-01' + :pause_limit::int,"
		" fee = :fee::jsonb, fee_due = DATE '1970-01-01' + :fee_due::int,"
		" delivery_due = DATE '1970-01-01' + :delivery_due::int,"
		" delivered_at = CASE WHEN :delivered::boolean THEN"
		" now() ELSE delivered_at END,"
		" delivery_record = coalesce(:delivery_record::jsonb, delivery_record),"
		" responsible_agency = coalesce(:responsible_agency, responsible_agency),"
		" remedy = coalesce(:remedy, remedy),"
		" version = version + 1, updated_at = now()"
		" WHERE id = :id RETURNING *)"
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
	struct db_args a = { 0 };
	DB_ARG(&a, upd, "id", id);
	DB_ARG(&a, upd, "status", case_statuses[s->status].name);
	DB_ARG(&a, upd, "clock_start", day_or_null(s->start, start));
	DB_ARG(&a, upd, "days_allowed", allowed);
	DB_ARG(&a, upd, "extensions", ext);
	DB_ARG(&a, upd, "excluded", exc);
	DB_ARG(&a, upd, "yellow_on", yellow[0] ? yellow : NULL);
	DB_ARG(&a, upd, "red_on", red[0] ? red : NULL);
	DB_ARG(&a, upd, "correction", cor);
	DB_ARG(&a, upd, "correction_due", day_or_null(s->correction_due, due));
	DB_ARG(&a, upd, "corrections", corr);
	DB_ARG(&a, upd, "accepted", c->accepted ? "true" : "false");
	DB_ARG(&a, upd, "decided", c->decided ? "true" : "false");
	DB_ARG(&a, upd, "closed", c->closed ? "true" : "false");
	DB_ARG(&a, upd, "outcome", c->outcome);
	DB_ARG(&a, upd, "reason_code", c->reason_code);
	DB_ARG(&a, upd, "legal_basis", c->legal_basis);
	DB_ARG(&a, upd, "responsible_unit_id", c->responsible_unit);
	DB_ARG(&a, upd, "fields", fields);
	DB_ARG(&a, upd, "light", light_of(yellow, red, today));
	DB_ARG(&a, upd, "days_used", c->decided ? used : NULL);
	DB_ARG(&a, upd, "on_time", c->decided ? (ontime ? "true" : "false") : NULL);
	DB_ARG(&a, upd, "committed_days", day_or_null(s->committed, committed));
	DB_ARG(&a, upd, "acceptance_start", day_or_null(s->acc_start, acc_start));
	DB_ARG(&a, upd, "acceptance_due", day_or_null(s->acc_due, acc_due));
	DB_ARG(&a, upd, "pause", pause);
	DB_ARG(&a, upd, "pause_limit", day_or_null(s->pause_limit, pause_limit));
	DB_ARG(&a, upd, "fee", fee);
	DB_ARG(&a, upd, "fee_due", day_or_null(s->fee_due, fee_due));
	DB_ARG(&a, upd, "delivery_due", day_or_null(s->delivery_due, delivery_due));
	DB_ARG(&a, upd, "delivered", c->delivered ? "true" : "false");
	DB_ARG(&a, upd, "delivery_record", delivery);
	DB_ARG(&a, upd, "responsible_agency", c->responsible_agency);
	DB_ARG(&a, upd, "remedy", c->remedy);
	PGresult *res = db_exec_args(db, &upd, &a);
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
	json_t *detail = extra ? json_deep_copy(extra) : json_object();
	char action[64];

	json_object_set_new(detail, "number", json_string(k->number));
	json_object_set_new(detail, "approval_id", json_string(step_id));
	json_object_set_new(detail, "action", json_string(st->action));
	json_object_set_new(detail, "from", st->from ? json_string(st->from) : json_null());
	json_object_set_new(detail, "to", json_string(st->to));
	snprintf(action, sizeof action, "request.%s", st->action);
	int rc = audit_append(db, who->actor, who->role, action, "request", k->id,
			      who->request_id, detail);
	json_decref(detail);
	return rc;
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
		/* The case record is written in Chinese, as a clerk's would be. */
		st.reason = "5 个工作日内未作出受理、一次告知补正或者不予受理的决定：自收到申请材料之日起即为受理"
			    "（《中华人民共和国行政许可法》第三十二条第一款第四项）";
		c->accepted = true;
		break;
	case CA_ABANDON: {
		const char *outcome = case_abandon_outcome(s);
		bool fee = s->status == CS_AWAITING_PAYMENT;
		int limit = fee ? s->fee_due : s->correction_due;
		calendar_format(limit, d);
		json_object_set_new(details, fee ? "pay_by" : "respond_by", json_string(d));
		st.respond_by = fee ? -1 : limit;
		st.reason = fee ? "申请人未在规定期限内缴纳信息处理费（国办函〔2020〕109号）"
				: "申请人未在规定期限内补正";
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
		st.reason = "第三方征求意见的 15 个工作日已届满（《中华人民共和国政府信息公开条例》第三十二条）";
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
