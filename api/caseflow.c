/* caseflow.c - cases over HTTP: who sees a request and what the caller may
 * do with it, a step opened (the law's own steps recorded first) and
 * committed, the 409 naming what is possible now, and the request as
 * clients read it. The handlers of api/requests.c, api/approvals.c and
 * api/materials.c call it; the rules are src/domain/caserules.c and
 * src/domain/casestep.c, the storage src/domain/casestore.c. */
#include <stdarg.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opengov/api/caseflow.h"
#include "opengov/api/common.h"
#include "opengov/db/jsonw.h"
#include "opengov/domain/workcal.h"
#include "opengov/base/msg.h"

static void not_found(struct req *r)
{
	problem_reply(r, 404, "not-found", "There is no such request.");
}

unsigned request_caller_mask(const struct req *r, const struct request_ref *ref)
{
	unsigned m = 0;

	if (request_acts_for_applicant(r, ref))
		m |= BY_APPLICANT;
	if (ref->unit_staff && r->claims.role == ROLE_CLERK)
		m |= BY_CLERK;
	if (ref->unit_staff && r->claims.role == ROLE_APPROVER)
		m |= BY_APPROVER;
	return m;
}

json_t *request_step_blocker(const PGresult *res, int row, const struct case_state *s,
			     enum case_action a)
{
	const char *v;
	json_t *missing;

	if (a != CA_ACCEPT || s->kind != CK_APPROVAL)
		return NULL;
	if (!(v = db_get(res, row, "missing_materials")) || !(missing = json_loads(v, 0, NULL)))
		return NULL;
	if (json_is_array(missing) && json_array_size(missing))
		return missing;
	json_decref(missing);
	return NULL;
}

/* Leaves out of the n actions acts (NULL-terminated) those that would
 * still be refused for the request of row (request_step_blocker; none
 * without res); returns how many are left. */
static size_t drop_blocked(const PGresult *res, int row, const struct case_state *s,
			   const char **acts, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		json_t *why = res ? request_step_blocker(res, row, s,
							 (enum case_action)case_action_parse(acts[i]))
				  : NULL;
		if (why)
			json_decref(why);
		else
			acts[k++] = acts[i];
	}
	acts[k] = NULL;
	return k;
}

/* What the caller may do now: what the rules allow, less a step that
 * would still be refused. */
static void write_allowed(struct buf *b, const struct req *r, const struct request_ref *ref,
			  const struct calendar *cal, const struct case_state *s, int today,
			  const PGresult *res, int row)
{
	const char *acts[CA__MAX + 1];
	size_t n = case_possible(cal, s, today, request_caller_mask(r, ref), acts, CA__MAX + 1);

	jw_strings(b, acts, drop_blocked(res, row, s, acts, n));
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
	char out[24];

	jw_key(b, first, key);
	if (!v) {
		buf_puts(b, "null");
		return;
	}
	/* By hand rather than gmtime_r and strftime: a list page writes six
	 * of these per case, and the two were a twentieth of its time. */
	long long t = strtoll(v, NULL, 10), day = t / 86400, sec = t % 86400;
	if (sec < 0) {
		sec += 86400;
		day--;
	}
	out[0] = '"';
	calendar_format((int)day, out + 1);
	int hms[3] = { (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60) };
	for (int i = 0; i < 3; i++) {
		out[11 + 3 * i] = i ? ':' : 'T';
		out[12 + 3 * i] = (char)('0' + hms[i] / 10);
		out[13 + 3 * i] = (char)('0' + hms[i] % 10);
	}
	memcpy(out + 20, "Z\"", 3);
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

static void put_int(struct buf *b, bool *first, const char *key, int v, bool present)
{
	jw_key(b, first, key);
	if (present)
		buf_printf(b, "%d", v);
	else
		buf_puts(b, "null");
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

/* Member name of o, or null. */
static void put_member(struct buf *b, bool *first, const char *key, const json_t *o,
		       const char *name)
{
	json_t *v = json_object_get(o, name);

	put_json(b, first, key, v ? v : json_null());
}

static void put_light(struct buf *b, bool *first, const char *key, bool show,
		      const struct deadline_result *d)
{
	jw_key(b, first, key);
	if (show)
		jw_string(b, deadline_light_name(d->light));
	else
		buf_puts(b, "null");
}

/* The excluded intervals, as the schema shows them. */
static void write_excluded(struct buf *b, const json_t *excluded)
{
	size_t i;
	json_t *e;

	buf_puts(b, "[");
	json_array_foreach(excluded, i, e) {
		bool f = true;
		if (i)
			buf_puts(b, ",");
		buf_puts(b, "{");
		put_member(b, &f, "from", e, "from");
		put_member(b, &f, "to", e, "to");
		put_member(b, &f, "reason", e, "reason");
		put_member(b, &f, "limit", e, "limit");
		buf_puts(b, "}");
	}
	buf_puts(b, "]");
}

/* The clocks: statutory (due_date, on_time), committed (approval: the
 * light), the acceptance stage (approval). */
static void write_deadline(struct buf *b, const struct calendar *cal, const struct case_state *s,
			   int today)
{
	struct deadline_result d = { 0 }, c = { 0 }, a = { 0 };
	bool started = state_deadline(cal, s, today, &d) == 0;
	bool committed = s->kind == CK_APPROVAL && started && state_committed(cal, s, today, &c) == 0;
	bool closed = case_statuses[s->status].phase == PHASE_CLOSED;
	bool in_acceptance = state_acceptance(cal, s, today, &a) == 0;
	bool f = true;

	buf_puts(b, "{");
	put_day(b, &f, "start_date", started ? s->start : -1);
	put_day(b, &f, "due_date", started ? d.due : -1);
	jw_key(b, &f, "working_days_allowed");
	buf_printf(b, "%d", s->allowed);
	jw_key(b, &f, "working_days_elapsed");
	buf_printf(b, "%d", started ? d.elapsed : 0);
	jw_key(b, &f, "working_days_remaining");
	buf_printf(b, "%d", started ? d.remaining : s->allowed);
	jw_key(b, &f, "excluded");
	write_excluded(b, s->excluded);
	put_json(b, &f, "extensions", s->extensions);
	/* The light: the acceptance stage's before acceptance, then the
	 * committed days' (approval) or the statutory ones' (disclosure). */
	if (in_acceptance)
		put_light(b, &f, "light", !closed, &a);
	else if (s->kind == CK_APPROVAL)
		put_light(b, &f, "light", committed && !closed, &c);
	else
		put_light(b, &f, "light", started && !closed, &d);
	jw_key(b, &f, "on_time");
	if (started && s->decided >= 0)
		buf_puts(b, d.on_time ? "true" : "false");
	else
		buf_puts(b, "null");
	put_int(b, &f, "committed_days", s->committed, s->kind == CK_APPROVAL && s->committed >= 0);
	put_day(b, &f, "committed_due_date", committed ? c.due : -1);
	jw_key(b, &f, "acceptance");
	if (s->kind == CK_APPROVAL && s->acc_start >= 0) {
		bool g = true;
		buf_puts(b, "{");
		put_day(b, &g, "start_date", s->acc_start);
		put_day(b, &g, "due_date", s->acc_due);
		jw_key(b, &g, "working_days_allowed");
		buf_printf(b, "%d", APPROVAL_ACCEPTANCE_DAYS);
		jw_key(b, &g, "open");
		buf_puts(b, in_acceptance ? "true" : "false");
		put_int(b, &g, "working_days_remaining", a.remaining, in_acceptance);
		buf_puts(b, "}");
	} else {
		buf_puts(b, "null");
	}
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
	put_member(b, &f, "notice_id", c, "notice_id");
	put_member(b, &f, "notice_at", c, "notice_at");
	put_member(b, &f, "respond_by", c, "respond_by");
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
			put_member(b, &g, "field", e, "field");
		}
		put_member(b, &g, "reason", e, "reason");
		jw_key(b, &g, "redone");
		buf_puts(b, redone ? "true" : "false");
		buf_puts(b, "}");
	}
	buf_puts(b, "]");
	put_member(b, &f, "resubmitted_at", c, "resubmitted_at");
	buf_puts(b, "}");
	json_decref(up);
}

/* The members keys of o, in that order (null where missing); null when
 * there is no o. */
static void write_picked(struct buf *b, const json_t *o, const char *const *keys)
{
	bool f = true;

	if (!o) {
		buf_puts(b, "null");
		return;
	}
	buf_puts(b, "{");
	for (int i = 0; keys[i]; i++)
		put_member(b, &f, keys[i], o, keys[i]);
	buf_puts(b, "}");
}

/* What the running or last pause shows, and the fee. */
static const char *const pause_keys[] = { "reason", "since", "days", "limit", "expected_days",
	"third_party", "notice_date", "resumed_on", "resumed_by", NULL };
static const char *const fee_keys[] = { "method", "basis", "amount", "currency", "explanation",
	"notice_date", "pay_by", "paid_on", "receipt", NULL };

/* The licence of an approved request: its own 10-day clock (Art. 44). */
static void write_licence(struct buf *b, const struct case_state *s, const PGresult *res, int row)
{
	const char *rec = db_get(res, row, "delivery_record");
	json_t *d = rec ? json_loads(rec, 0, NULL) : NULL;
	bool f = true;

	if (s->delivery_due < 0) {
		buf_puts(b, "null");
		json_decref(d);
		return;
	}
	buf_puts(b, "{");
	put_day(b, &f, "due_date", s->delivery_due);
	put_time(b, &f, "delivered_at", res, row, "delivered_at");
	put_member(b, &f, "method", d, "method");
	put_member(b, &f, "certificate_number", d, "certificate_number");
	put_member(b, &f, "note", d, "note");
	jw_key(b, &f, "on_time");
	if (s->delivered >= 0)
		buf_puts(b, s->delivered <= s->delivery_due ? "true" : "false");
	else
		buf_puts(b, "null");
	buf_puts(b, "}");
	json_decref(d);
}

/* The required materials missing names, joined for a sentence ("、" in
 * Chinese, ", " in English). */
static void join_names(const json_t *missing, enum lang lang, char *out, size_t len)
{
	size_t i, n = 0;
	json_t *m;

	out[0] = '\0';
	json_array_foreach(missing, i, m) {
		const char *name = json_member_str(m, "name");
		int w = snprintf(out + n, len - n, "%s%s", i ? (lang == LANG_EN ? ", " : "、") : "",
				 name ? name : json_member_str(m, "code"));
		if (w < 0 || (size_t)w >= len - n) {
			out[n] = '\0';
			break;
		}
		n += (size_t)w;
	}
}

/* What the applicant must do next, and who acts, in one sentence that is
 * true now, in the language of the answer: Simplified Chinese, in the
 * words of the Administrative Licensing Law and the OGI Regulations, or
 * English. missing: the required materials not uploaded (approval
 * requests not yet accepted; request_step_blocker). */
static void write_next_step(struct buf *b, enum lang lang, const struct calendar *cal,
			    const struct case_state *s, int today, const json_t *missing)
{
	char due[11] = "", text[1200], names[700];
	struct deadline_result d;
	bool approval = s->kind == CK_APPROVAL, en = lang == LANG_EN;
	const char *pause_reason = json_member_str(s->pause, "reason");
	const char *pause_limit = json_member_str(s->pause, "limit");
	const struct case_pause_rule *pr = pause_reason ? case_pause_find(pause_reason) : NULL;

	if (state_deadline(cal, s, today, &d) == 0)
		calendar_format(d.due, due);
	switch (s->status) {
	case CS_SUBMITTED:
		if (approval && s->start < 0 && json_array_size(missing)) {
			/* Licensing Law Art. 32(1)(4) and (5): the unit accepts only
			 * a complete application, and tells once everything to add
			 * within five days. */
			calendar_format(s->acc_due, due);
			join_names(missing, lang, names, sizeof names);
			if (en)
				snprintf(text, sizeof text,
					 "Required materials are missing: %s. The applicant may upload them now;"
					 " the unit cannot accept the application until they are all there, and by %s"
					 " it must ask once for everything missing or refuse the application (if it does"
					 " neither, the application counts as accepted from the day it was received).",
					 names, due);
			else
				snprintf(text, sizeof text,
					 "申请材料不齐全，尚缺：%s。申请人可以现在上传所缺材料；材料齐全前行政机关不能受理，"
					 "并应当在%s前一次告知申请人需要补正的全部内容或者作出不予受理决定"
					 "（逾期不告知的，自收到申请材料之日起即为受理）。",
					 names, due);
		} else if (approval && s->start < 0) {
			calendar_format(s->acc_due, due);
			if (en)
				snprintf(text, sizeof text,
					 "Nothing to do now unless the unit asks: by %s it must accept the application,"
					 " ask once for everything missing, or refuse it; if it does none of these the"
					 " application counts as accepted from the day it was received.", due);
			else
				snprintf(text, sizeof text,
					 "目前无需操作：行政机关应当在%s前受理申请、一次告知需要补正的全部内容或者不予受理；"
					 "逾期不告知的，自收到申请材料之日起即为受理。如行政机关通知补正，请按通知办理。",
					 due);
		} else if (en) {
			snprintf(text, sizeof text,
				 "Nothing to do now: the unit is examining the application and must answer by %s.",
				 due);
		} else {
			snprintf(text, sizeof text, "目前无需操作：行政机关正在办理申请，应当在%s前%s。",
				 due, approval ? "作出决定" : "予以答复");
		}
		break;
	case CS_ACCEPTED:
		if (en)
			snprintf(text, sizeof text,
				 "Nothing to do now: the application is accepted and the decision is due by %s.", due);
		else
			snprintf(text, sizeof text, "目前无需操作：申请已受理，行政机关应当在%s前作出决定。", due);
		break;
	case CS_PAUSED:
		if (en)
			snprintf(text, sizeof text,
				 "Nothing to do now: the clock is stopped (%s) until %s at the latest.",
				 pause_reason ? pause_reason : "paused", pause_limit ? pause_limit : "it resumes");
		else if (pause_limit)
			snprintf(text, sizeof text,
				 "目前无需操作：因%s，办理期限中止计算，最迟至%s恢复计算；所需时间不计入办理期限。",
				 pr ? pr->label : "其他原因", pause_limit);
		else
			snprintf(text, sizeof text,
				 "目前无需操作：因%s，办理期限中止计算，至恢复时重新计算；所需时间不计入办理期限。",
				 pr ? pr->label : "其他原因");
		break;
	case CS_AWAITING_PAYMENT:
		if (en)
			snprintf(text, sizeof text,
				 "Pay the information-processing fee of %lld yuan by %s; if it is not paid by then the"
				 " application is treated as abandoned (视为放弃申请).",
				 (long long)json_integer_value(json_object_get(s->fee, "amount")),
				 json_member_str(s->fee, "pay_by"));
		else
			snprintf(text, sizeof text,
				 "请于%s前缴纳信息处理费%lld元；逾期未缴纳的，视为放弃申请。",
				 json_member_str(s->fee, "pay_by"),
				 (long long)json_integer_value(json_object_get(s->fee, "amount")));
		break;
	case CS_CORRECTION_REQUIRED:
		if (en)
			snprintf(text, sizeof text,
				 "Redo every entry of the correction checklist (upload a new version of each listed"
				 " material, send each listed field with the resubmission), then resubmit by %s,"
				 " or the application will be closed as abandoned.",
				 json_member_str(s->correction, "respond_by"));
		else
			snprintf(text, sizeof text,
				 "请按补正通知逐项补正（重新上传所列材料，所列内容随重新提交一并提交），"
				 "并于%s前重新提交；逾期未补正的，视为放弃申请。",
				 json_member_str(s->correction, "respond_by"));
		break;
	case CS_DECIDED:
		if (approval && s->delivery_due >= 0 && s->delivered < 0) {
			calendar_format(s->delivery_due, due);
			if (en)
				snprintf(text, sizeof text,
					 "Nothing to do: the licence is granted and must be delivered by %s.", due);
			else
				snprintf(text, sizeof text,
					 "无需操作：已作出准予行政许可的决定，行政许可证件应当在%s前颁发、送达。", due);
		} else if (en) {
			snprintf(text, sizeof text,
				 "Nothing to do: the case is decided; the decision and its legal basis are on the case.");
		} else {
			snprintf(text, sizeof text, "无需操作：已作出决定，决定内容及其法律依据见本申请。");
		}
		break;
	case CS_NOT_ACCEPTED:
		if (en)
			snprintf(text, sizeof text, "Nothing to do: the application was not accepted; the reason is in the case history, and a new application may be filed.");
		else
			snprintf(text, sizeof text, "无需操作：申请未予受理，理由见办理记录；可以重新提出申请。");
		break;
	case CS_WITHDRAWN:
		snprintf(text, sizeof text, "%s", en ? "Nothing to do: the application was withdrawn."
						     : "无需操作：申请已撤回。");
		break;
	default: {
		const char *by = s->fee ? json_member_str(s->fee, "pay_by")
			       : json_member_str(s->correction, "respond_by");
		if (en)
			snprintf(text, sizeof text,
				 "Nothing to do: the %s did not arrive by %s and the application was closed; a new application may be filed.",
				 s->fee ? "fee" : "correction", by ? by : "its deadline");
		else if (by)
			snprintf(text, sizeof text,
				 "无需操作：未在%s前%s，视为放弃申请，申请已终止；可以重新提出申请。",
				 by, s->fee ? "缴纳信息处理费" : "补正");
		else
			snprintf(text, sizeof text,
				 "无需操作：未在期限内%s，视为放弃申请，申请已终止；可以重新提出申请。",
				 s->fee ? "缴纳信息处理费" : "补正");
		break;
	}
	}
	jw_string(b, text);
}

/* The request's appeals (newest recorded first) and its rating, from the
 * columns of REQUEST_REDRESS_COLUMNS: none on a row without them. */
static void write_redress(struct buf *b, bool *first, const PGresult *res, int row)
{
	int a = db_col(res, "appeals"), g = db_col(res, "rating");

	jw_key(b, first, "appeals");
	if (a >= 0 && !PQgetisnull(res, row, a))
		buf_puts(b, PQgetvalue(res, row, a));
	else
		buf_puts(b, "[]");
	jw_key(b, first, "rating");
	if (g >= 0 && !PQgetisnull(res, row, g))
		buf_puts(b, PQgetvalue(res, row, g));
	else
		buf_puts(b, "null");
}

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
	if (s.status == CS_DECIDED && db_get(res, row, "outcome")) {
		const struct case_outcome_rule *o = case_outcome_find(db_get(res, row, "outcome"));
		bool g = true;
		buf_puts(b, "{");
		put(b, &g, "outcome", res, row, "outcome");
		put(b, &g, "reason_code", res, row, "reason_code");
		put(b, &g, "legal_basis", res, row, "legal_basis");
		put(b, &g, "responsible_unit_id", res, row, "responsible_unit_id");
		put_time(b, &g, "decided_at", res, row, "decided_at");
		put(b, &g, "responsible_agency", res, row, "responsible_agency");
		put(b, &g, "remedy", res, row, "remedy");
		jw_key(b, &g, "report_row");
		if (o && o->report_row)
			jw_string(b, o->report_row);
		else
			buf_puts(b, "null");
		buf_puts(b, "}");
	} else {
		buf_puts(b, "null");
	}
	jw_key(b, &f, "deadline");
	write_deadline(b, cal, &s, today);
	jw_key(b, &f, "correction");
	if (s.correction) {
		int col = db_col(res, "latest_uploads");
		write_correction(b, &s, col >= 0 && !PQgetisnull(res, row, col)
				 ? PQgetvalue(res, row, col) : NULL);
	} else {
		buf_puts(b, "null");
	}
	jw_key(b, &f, "pause");
	write_picked(b, s.pause, pause_keys);
	jw_key(b, &f, "fee");
	write_picked(b, s.fee, fee_keys);
	jw_key(b, &f, "licence_delivery");
	write_licence(b, &s, res, row);
	jw_key(b, &f, "closing_outcome");
	if (s.status == CS_ABANDONED && s.outcome[0])
		jw_string(b, s.outcome);
	else
		buf_puts(b, "null");
	write_redress(b, &f, res, row);
	json_t *missing = request_step_blocker(res, row, &s, CA_ACCEPT);
	jw_key(b, &f, "next_step");
	write_next_step(b, r->lang, cal, &s, today, missing);
	json_decref(missing);
	jw_key(b, &f, "allowed_actions");
	write_allowed(b, r, &ref, cal, &s, today, res, row);
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

/* The version of the row, the day and the language: the deadline block
 * moves with the days even when the row does not, and next_step is written
 * in the answer's language (an English and a Chinese answer are two
 * representations, never one ETag). */
void request_etag(const PGresult *res, int row, enum lang l, char *out, size_t len)
{
	snprintf(out, len, "\"%s.%d.%s\"", db_get(res, row, "version"), workcal_today(),
		 l == LANG_EN ? "en" : "zh");
}

void request_reply(struct req *r, int status, const PGresult *res, const struct calendar *cal)
{
	struct buf body = { 0 };
	char etag[40];

	request_write(&body, r, cal, res, 0, workcal_today());
	request_etag(res, 0, r->lang, etag, sizeof etag);
	http_header(r, "ETag", "%s", etag);
	http_header(r, "Cache-Control", "private, no-cache");
	http_json_text(r, status, &body);
	buf_free(&body);
}

void request_fill_ref(const struct req *r, const PGresult *res, int row, struct request_ref *ref)
{
	const char *sub = db_get(res, row, "applicant_sub");
	const char *item = db_get(res, row, "item_id");
	int k = case_kind_parse(db_get(res, row, "kind"));
	int st = case_status_parse(db_get(res, row, "status"));

	memset(ref, 0, sizeof *ref);
	snprintf(ref->id, sizeof ref->id, "%s", db_get(res, row, "id"));
	ref->kind = k < 0 ? CK_DISCLOSURE : (enum case_kind)k;
	ref->status = st < 0 ? CS_WITHDRAWN : (enum case_status)st;
	snprintf(ref->channel, sizeof ref->channel, "%s", db_get(res, row, "channel"));
	snprintf(ref->unit_id, sizeof ref->unit_id, "%s", db_get(res, row, "unit_id"));
	snprintf(ref->item_id, sizeof ref->item_id, "%s", item ? item : "");
	snprintf(ref->number, sizeof ref->number, "%s", db_get(res, row, "number"));
	ref->own = r->authed && r->claims.role == ROLE_PUBLIC && sub && !strcmp(sub, r->claims.sub);
	ref->unit_staff = common_unit_staff(r, ref->unit_id);
}

static bool ref_visible(const struct req *r, const struct request_ref *ref)
{
	return ref->own || ref->unit_staff || req_sees_everything(r);
}

bool request_acts_for_applicant(const struct req *r, const struct request_ref *ref)
{
	const struct case_channel_rule *ch = case_channel_find(ref->channel);

	return ref->own || (ref->unit_staff && r->claims.role == ROLE_CLERK && ch &&
			    !(ch->by & BY_APPLICANT));
}

DB_STMT(request_by_id, "requests_get",
	"SELECT " REQUEST_DETAIL_COLUMNS ", " REQUEST_REDRESS_COLUMNS
	" FROM requests q WHERE q.id = $1");

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
	PGresult *res = lock ? casestore_lock(r->db, id, false)
			     : db_exec(r->db, &request_by_id, 1, p);
	if (!res) {
		db_error_reply(r);
		return NULL;
	}
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

PGresult *case_begin_or_reply(struct req *r, const char *id, struct request_ref *ref,
			      struct case_state *s, const struct calendar **cal,
			      struct case_changes *c)
{
	memset(s, 0, sizeof *s);
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
	/* The law's own steps come first: an approval application past its
	 * acceptance stage is accepted, a notice run out is abandoned,
	 * whether or not the monitor has been by. */
	struct case_key k = { ref->id, ref->unit_id, ref->number };
	if (casestore_settle(r->db, &k, s, workcal_today(), "system", r->request_id, c, NULL,
			     NULL) < 0) {
		db_error_reply(r);
		PQclear(res);
		return NULL;
	}
	ref->status = s->status;
	return res;
}

/* The 409: why (in r->lang, with its code; code NULL: why is English,
 * looked up), and the steps possible now (whoever takes them), less those
 * that would still be refused for the request of row 0 of res (none left
 * out without res). */
static void conflict(struct req *r, const struct case_state *s, const struct calendar *cal,
		     const char *code, const char *why, const PGresult *res)
{
	const char *acts[CA__MAX + 1];
	size_t n = case_possible(cal, s, workcal_today(), BY_APPLICANT | BY_STAFF, acts, CA__MAX + 1);

	drop_blocked(res, 0, s, acts, n);
	if (code)
		conflict_reply_text(r, code, why, case_statuses[s->status].name, acts);
	else
		conflict_reply(r, why, case_statuses[s->status].name, acts);
}

int case_possible_or_reply(struct req *r, const struct case_state *s,
			   const struct calendar *cal, enum case_action a, const PGresult *res)
{
	char why[600];
	const char *code = NULL;

	if (case_check_in(cal, s, workcal_today(), a, r->lang, why, sizeof why, &code) == CASE_OK)
		return 0;
	if (r->db->in_tx)
		db_rollback(r->db);
	conflict(r, s, cal, code ? code : "conflict", why, res);
	return -1;
}

void request_conflict_reply(struct req *r, const PGresult *res, const char *fmt, ...)
{
	struct case_state s;
	const struct calendar *cal = request_calendar_or_reply(r, res);
	char why[600];
	va_list ap;

	if (!cal)
		return;
	if (r->db->in_tx)
		db_rollback(r->db);
	va_start(ap, fmt);
	const struct msg *m = msg_vformat(why, sizeof why, r->lang, fmt, ap);
	va_end(ap);
	state_load(&s, res, 0);
	conflict(r, &s, cal, m ? m->code : "conflict", why, res);
	state_free(&s);
}

void case_wrong_status(struct req *r, const struct case_state *s, const struct calendar *cal,
		       enum case_action a)
{
	char why[400];
	const struct msg *m = msg_format(why, sizeof why, r->lang,
					 "The request is %s: %s is not possible now.",
					 case_statuses[s->status].name, case_actions[a].name);

	conflict(r, s, cal, m ? m->code : "conflict", why, NULL);
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
			       struct case_step *st, const struct case_changes *c, json_t *extra,
			       char step_id[37])
{
	struct case_key k = { ref->id, ref->unit_id, ref->number };
	struct case_actor who = { req_actor(r), req_role(r), r->request_id };

	st->to = case_statuses[s->status].name;
	PGresult *step = casestore_insert_step(r->db, &k, &who, st);
	if (!step) {
		db_error_reply(r);
		return NULL;
	}
	snprintf(step_id, 37, "%s", db_get(step, 0, "id"));
	if (st->items) {
		/* The notice is the step: its time tells a new upload from an old. */
		json_object_set_new(s->correction, "notice_id", json_string(step_id));
		json_object_set_new(s->correction, "notice_at", json_string(db_get(step, 0, "at")));
		json_object_set_new(s->correction, "notice_us",
				    json_integer(strtoll(db_get(step, 0, "at_us"), NULL, 10)));
	}
	PQclear(step);
	PGresult *row = casestore_write(r->db, ref->id, cal, s, c, workcal_today());
	if (!row) {
		db_error_reply(r);
		return NULL;
	}
	if (casestore_audit(r->db, &k, &who, step_id, st, extra) || db_commit(r->db)) {
		db_error_reply(r);
		PQclear(row);
		return NULL;
	}
	return row;
}

json_t *request_latest_uploads(const PGresult *res)
{
	const char *v = db_get(res, 0, "latest_uploads");
	json_t *j = v ? json_loads(v, 0, NULL) : NULL;

	return j ? j : json_object();
}
