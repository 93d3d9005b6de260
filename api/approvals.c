/* approvals.c - the steps staff take on a request (src/domain/caserules.c names
 * them: accept, request_correction, refuse_acceptance, pause, resume,
 * extend, fee_notice, record_payment, decide, deliver), each one an
 * immutable row, and the record of them. Each step is a row of handlers[]:
 * its body's fields and a short function over the case; who may take it,
 * from which status and on which conditions is the rules table's.
 * operationIds createApproval, listRequestApprovals, listApprovals. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "opengov/api/handlers.h"
#include "opengov/api/common.h"
#include "opengov/api/caseflow.h"
#include "opengov/base/cursor.h"
#include "opengov/domain/fees.h"
#include "opengov/db/jsonw.h"
#include "opengov/domain/workcal.h"

static const char *const disclosure_fields[] = { "description", "purpose", "delivery", NULL };
static const char *const approval_fields[] = { "form", NULL };
static const char *const fee_methods[] = { "by_count", "by_volume", NULL };
static const char *const delivery_methods[] = { "in_person", "post", "electronic", NULL };

static const char *const *staff_steps(void)
{
	return case_staff_step_names();
}

static const char *const *outcome_names(void)
{
	return case_outcome_names(-1);
}

#define ACTION_FIELD { "action", FT_ENUM, F_REQUIRED, 0, 0, NULL, NULL, staff_steps }
#define COMMENT_FIELD { "comment", FT_STRING, F_NULLABLE, 0, 2000, NULL, NULL, NULL }

#define APPROVAL_COLUMNS \
	"a.id, a.request_id, q.number AS request_number, a.seq, a.unit_id, a.action, a.actor," \
	" a.actor_role, rfc3339(a.at) AS at, a.from_status, a.to_status, a.outcome," \
	" a.reason_code, a.legal_basis, a.responsible_unit_id, a.reason, a.comment, a.days," \
	" a.items, to_char(a.respond_by, 'YYYY-MM-DD') AS respond_by, a.details," \
	" (extract(epoch FROM a.at) * 1000000)::bigint AS _sort_us"

/* One step being taken. */
struct step {
	struct req *r;
	enum case_action a;
	struct request_ref ref;
	struct case_state s;
	const struct calendar *cal;
	PGresult *cur;
	struct case_step st;
	struct case_changes c;
	json_t *extra;    /* members for the audit entry */
	json_t *details;  /* the step's details (its approvals row) */
	char *items_text;
	char at[32];
	int today;
	struct verrs v;
};

/* Answers 422 with what v gathered (rolls back). */
static int invalid(struct step *x, const char *what)
{
	if (x->r->db->in_tx)
		db_rollback(x->r->db);
	problem_reply_errors(x->r, 422, "validation", what, &x->v);
	return -1;
}

/* ---- accept ----------------------------------------------------------------- */

static const struct field accept_fields[] = { ACTION_FIELD, COMMENT_FIELD, END_FIELDS };

/* An approval request is accepted with every required material there
 * (Licensing Law Art. 32(5)); the decision clock starts today. */
static int do_accept(struct step *x)
{
	json_t *missing = request_step_blocker(x->cur, 0, &x->s, CA_ACCEPT), *m;
	size_t i;

	json_array_foreach(missing, i, m) {
		char ptr[64];
		snprintf(ptr, sizeof ptr, "/materials/%.40s", json_member_str(m, "code"));
		verrs_add(&x->v, ptr, "required material %s has not been uploaded",
			  json_member_str(m, "code"));
	}
	json_decref(missing);
	if (x->v.n) {
		db_rollback(x->r->db);
		problem_reply_errors(x->r, 422, "missing-materials",
				     "Required materials are missing: the application cannot be accepted yet;"
				     " ask for them with one correction notice.", &x->v);
		return -1;
	}
	case_do_accept(&x->s, x->today);
	x->c.accepted = true;
	return 0;
}

/* ---- request_correction ----------------------------------------------------- */

static const struct field correction_fields[] = {
	ACTION_FIELD,
	{ "items", FT_ARRAY, F_REQUIRED, 1, 30, NULL, NULL, NULL },
	{ "respond_within_days", FT_INT, F_REQUIRED, 1, CORRECTION_MAX_DAYS, NULL, NULL, NULL },
	COMMENT_FIELD,
	END_FIELDS,
};

static const struct field correction_item_fields[] = {
	{ "material_code", FT_STRING, 0, 1, 32, NULL, NULL, NULL },
	{ "field", FT_STRING, 0, 1, 32, NULL, NULL, NULL },
	{ "reason", FT_STRING, F_REQUIRED, 1, 1000, NULL, NULL, NULL },
	END_FIELDS,
};

/* The codes of the item's materials. */
static json_t *item_material_codes(struct req *r, const char *item_id)
{
	DB_STMT(st, "requests_item_materials",
		"SELECT m->>'code' AS code FROM items i, jsonb_array_elements(i.materials) AS m"
		" WHERE i.id = $1");
	const char *p[] = { item_id };
	PGresult *res = db_exec_or_reply(r, &st, 1, p);

	if (!res)
		return NULL;
	json_t *codes = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(codes, json_string(db_get(res, i, "code")));
	PQclear(res);
	return codes;
}

static bool codes_has(const json_t *codes, const char *code)
{
	size_t i;
	json_t *c;

	json_array_foreach(codes, i, c)
		if (!strcmp(json_string_value(c), code))
			return true;
	return false;
}

/* The checklist: entries well formed, each field one the kind has, each
 * material one the item lists, none twice. */
static void check_correction_items(const json_t *items, enum case_kind kind, const json_t *codes,
				   struct verrs *v)
{
	const char *const *fields = kind == CK_DISCLOSURE ? disclosure_fields : approval_fields;
	size_t i;
	json_t *e;
	char ptr[64];

	json_array_foreach(items, i, e) {
		struct verrs inner = { 0 };
		snprintf(ptr, sizeof ptr, "/items/%zu", i);
		if (!json_is_object(e)) {
			verrs_add(v, ptr, "must be an object: {material_code or field, reason}");
			continue;
		}
		if (validate_object(e, correction_item_fields, &inner)) {
			for (int k = 0; k < inner.n; k++)
				verrs_nest(v, ptr, &inner.e[k]);
			continue;
		}
		const char *code = json_member_str(e, "material_code"), *field = json_member_str(e, "field");
		char sub[96];
		if (!code == !field) {
			verrs_add(v, ptr, "must name either a material_code or a field");
			continue;
		}
		snprintf(sub, sizeof sub, "%s/%s", ptr, code ? "material_code" : "field");
		if (field && choice_index(fields, field) < 0)
			verrs_add(v, sub, "field %s cannot be corrected on a %s request", field,
				  case_kind_names[kind]);
		if (code && check_code_value(code))
			verrs_add(v, sub, "is not a valid code");
		else if (code && codes && !codes_has(codes, code))
			verrs_add(v, sub, "%s is not one of the item's materials", code);
		for (size_t j = 0; j < i; j++) {
			json_t *o = json_array_get(items, j);
			const char *oc = json_member_str(o, "material_code"), *of = json_member_str(o, "field");
			if ((code && oc && !strcmp(code, oc)) || (field && of && !strcmp(field, of)))
				verrs_add(v, sub, "repeats entry %zu", j);
		}
	}
}

/* One notice naming everything to redo (OGI Art. 30; Licensing Law Art.
 * 32(4): 一次告知). */
static int do_correction(struct step *x)
{
	json_t *codes = NULL;
	json_t *items = json_object_get(x->r->json, "items");

	if (x->s.kind == CK_APPROVAL && !(codes = item_material_codes(x->r, x->ref.item_id)))
		return -1;
	check_correction_items(items, x->s.kind, codes, &x->v);
	json_decref(codes);
	if (x->v.n)
		return invalid(x, "The correction notice is invalid.");
	int within = (int)json_integer_value(json_object_get(x->r->json, "respond_within_days"));
	case_do_correction(&x->s, x->cal, x->today, json_deep_copy(items), within);
	x->items_text = json_dumps(items, JSON_COMPACT);
	x->st.items = x->items_text;
	x->st.days = within;
	x->st.respond_by = x->s.correction_due;
	json_object_set(x->extra, "respond_by", json_object_get(x->s.correction, "respond_by"));
	return 0;
}

/* ---- refuse_acceptance ------------------------------------------------------ */

static const struct field refuse_fields[] = {
	ACTION_FIELD,
	{ "reason", FT_STRING, F_REQUIRED, 1, 2000, NULL, NULL, NULL },
	{ "legal_basis", FT_STRING, F_NULLABLE, 1, 2000, NULL, NULL, NULL },
	{ "remedy", FT_STRING, F_NULLABLE, 1, 2000, NULL, NULL, NULL },
	COMMENT_FIELD,
	END_FIELDS,
};

/* A refusal of an approval states its legal basis and the applicant's
 * right to reconsideration or litigation (Licensing Law Art. 38). */
static void require_remedy(struct step *x)
{
	if (!json_member_str(x->r->json, "legal_basis"))
		verrs_add(&x->v, "/legal_basis", "is required: a refusal of an approval states its legal basis (Licensing Law Art. 38)");
	if (!json_member_str(x->r->json, "remedy"))
		verrs_add(&x->v, "/remedy", "is required: tell the applicant where and within what time to apply for administrative reconsideration or to sue (Licensing Law Art. 38)");
}

static int do_refuse(struct step *x)
{
	if (x->s.kind == CK_APPROVAL)
		require_remedy(x);
	if (x->v.n)
		return invalid(x, "The refusal is invalid.");
	x->st.reason = json_member_str(x->r->json, "reason");
	x->st.legal_basis = x->c.legal_basis = json_member_str(x->r->json, "legal_basis");
	x->c.remedy = json_member_str(x->r->json, "remedy");
	if (x->c.remedy)
		json_object_set_new(x->details, "remedy", json_string(x->c.remedy));
	case_do_close(&x->s, CS_NOT_ACCEPTED, x->today);
	x->c.closed = true;
	return 0;
}

/* ---- pause, resume ---------------------------------------------------------- */

static const char *const *pause_names(void)
{
	return case_pause_names();
}

static const struct field pause_fields[] = {
	ACTION_FIELD,
	{ "reason", FT_ENUM, F_REQUIRED, 0, 0, NULL, NULL, pause_names },
	{ "third_party", FT_STRING, F_NULLABLE, 1, 200, NULL, NULL, NULL },
	{ "expected_days", FT_INT, F_NULLABLE, 1, PAUSE_MAX_DAYS, NULL, NULL, NULL },
	COMMENT_FIELD,
	END_FIELDS,
};

/* Disclosure: only to consult a third party, who has 15 working days (OGI
 * Art. 32). Approval: a hearing, tender, test, appraisal or expert review,
 * its duration told to the applicant (Licensing Law Art. 45). */
static int do_pause(struct step *x)
{
	const char *reason = json_member_str(x->r->json, "reason");
	const struct case_pause_rule *p = case_pause_find(reason);
	const char *third = json_member_str(x->r->json, "third_party");
	json_t *expected = json_object_get(x->r->json, "expected_days");
	bool has_expected = json_is_integer(expected);
	char today[11];

	if (p->deprecated)
		verrs_add(&x->v, "/reason", "%s no longer stops the clock: %s", reason,
			  !strcmp(reason, "on_site_inspection")
			  ? "an on-site check is part of the 20 working days (Licensing Law Arts. 34, 45)"
			  : "only the reasons the law names do (Licensing Law Art. 45)");
	else if (p->kind != x->s.kind)
		verrs_add(&x->v, "/reason", x->s.kind == CK_DISCLOSURE
			  ? "a disclosure request pauses only for third_party_consultation (OGI Regulations Arts. 32, 33)"
			  : "third_party_consultation pauses disclosure requests only; an approval pauses for a hearing, tender or auction, testing or inspection, appraisal or expert review (Licensing Law Art. 45)");
	if (!x->v.n && x->s.kind == CK_DISCLOSURE) {
		if (!third)
			verrs_add(&x->v, "/third_party", "is required: the third party consulted (OGI Regulations Art. 32)");
		if (has_expected)
			verrs_add(&x->v, "/expected_days", "is set by law for a third-party consultation: %d working days", THIRD_PARTY_DAYS);
	} else if (!x->v.n) {
		if (!has_expected)
			verrs_add(&x->v, "/expected_days", "is required: the working days it will take, told to the applicant (Licensing Law Art. 45)");
		if (third)
			verrs_add(&x->v, "/third_party", "applies to a disclosure request's third-party consultation only");
	}
	if (x->v.n)
		return invalid(x, "The pause is invalid.");
	int days = p->statutory_days ? p->statutory_days : (int)json_integer_value(expected);
	calendar_format(x->today, today);
	json_t *d = json_object();
	json_object_set_new(d, "expected_days", has_expected ? json_integer(days) : json_null());
	json_object_set_new(d, "third_party", third ? json_string(third) : json_null());
	json_object_set_new(d, "notice_date", x->s.kind == CK_DISCLOSURE ? json_string(today)
									 : json_null());
	json_object_update(x->details, d);
	case_do_pause(&x->s, x->cal, x->today, reason, days, d);
	json_object_set(x->details, "limit", json_object_get(x->s.pause, "limit"));
	x->st.reason = reason;
	x->st.days = days;
	return 0;
}

static int do_resume(struct step *x)
{
	case_do_resume(&x->s, x->today, req_actor(x->r));
	return 0;
}

/* ---- extend ----------------------------------------------------------------- */

static const struct field extend_fields[] = {
	ACTION_FIELD,
	{ "days", FT_INT, F_REQUIRED, 1, DISCLOSURE_EXTENSION_MAX, NULL, NULL, NULL },
	{ "reason", FT_STRING, F_REQUIRED, 1, 2000, NULL, NULL, NULL },
	COMMENT_FIELD,
	END_FIELDS,
};

/* Once, before the due date, the reason told to the applicant: disclosure
 * by up to 20 working days (OGI Art. 33), approval by 10 (Licensing Law
 * Art. 42). */
static int do_extend(struct step *x)
{
	int days = (int)json_integer_value(json_object_get(x->r->json, "days"));
	int max = x->s.kind == CK_DISCLOSURE ? DISCLOSURE_EXTENSION_MAX : APPROVAL_EXTENSION_MAX;

	if (days > max) {
		verrs_add(&x->v, "/days", "a %s request is extended by %d working days at most (%s)",
			  case_kind_names[x->s.kind], max, case_actions[CA_EXTEND].law);
		return invalid(x, "The extension is invalid.");
	}
	x->st.days = days;
	x->st.reason = json_member_str(x->r->json, "reason");
	case_now_rfc3339(x->at);
	case_do_extend(&x->s, days, x->st.reason, x->at);
	json_object_set_new(x->extra, "days", json_integer(days));
	return 0;
}

/* ---- fees ------------------------------------------------------------------- */

static const struct field fee_fields[] = {
	ACTION_FIELD,
	{ "method", FT_ENUM, F_REQUIRED, 0, 0, fee_methods, NULL, NULL },
	{ "pages", FT_INT, F_NULLABLE, 1, 10000000, NULL, NULL, NULL },
	{ "pieces", FT_INT, F_NULLABLE, 1, 100, NULL, NULL, NULL },
	COMMENT_FIELD,
	END_FIELDS,
};

/* The applicant's disclosure requests received earlier in the same
 * calendar month: by their account, or the ID number a clerk registered. */
static int requests_before(struct step *x, int *before)
{
	DB_STMT(st, "approvals_fee_count",
		"SELECT count(*) FROM requests o, requests q WHERE q.id = $1"
		" AND o.kind = 'disclosure' AND o.id <> q.id"
		" AND o.received_at >= date_trunc('month', q.received_at)"
		" AND (o.received_at, o.id) < (q.received_at, q.id)"
		" AND ((q.applicant_sub IS NOT NULL AND o.applicant_sub = q.applicant_sub)"
		"  OR (q.applicant_sub IS NULL AND q.applicant->>'id_number' IS NOT NULL"
		"   AND o.applicant->>'id_number' = q.applicant->>'id_number'))");
	const char *p[] = { x->ref.id };
	PGresult *res = db_exec_or_reply(x->r, &st, 1, p);

	if (!res)
		return -1;
	*before = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* The fee, computed here from the Measures' bands (src/domain/fees.c), one method
 * per request (Art. 3); a notice of nothing is refused. */
static int do_fee_notice(struct step *x)
{
	const char *method = json_member_str(x->r->json, "method");
	json_t *pages = json_object_get(x->r->json, "pages");
	json_t *pieces = json_object_get(x->r->json, "pieces");
	bool by_count = !strcmp(method, "by_count");
	char why[400];
	long long amount;
	json_t *basis;

	if (by_count && json_is_integer(pages))
		verrs_add(&x->v, "/pages", "applies to the by_volume method only: one method per request (国办函〔2020〕109号 Art. 3)");
	if (!by_count && json_is_integer(pieces))
		verrs_add(&x->v, "/pieces", "applies to the by_count method only: one method per request (国办函〔2020〕109号 Art. 3)");
	if (!by_count && !json_is_integer(pages))
		verrs_add(&x->v, "/pages", "is required by the by_volume method: the pages provided");
	if (x->v.n)
		return invalid(x, "The fee notice is invalid.");
	if (by_count) {
		int before, n = json_is_integer(pieces) ? (int)json_integer_value(pieces) : 1;
		if (requests_before(x, &before))
			return -1;
		amount = fee_by_count(before, n);
		basis = json_pack("{s:i, s:i}", "requests_before", before, "pieces", n);
		snprintf(why, sizeof why,
			 "按件计收：同一申请人本自然月第%d件%s申请。每月10件以内免费，11—30件每件100元，"
			 "31件起每10件为一档、每档每件加收100元（国办函〔2020〕109号第四条）。",
			 before + 1, n > 1 ? "起（拆分计件）" : "");
		if (n > 1) {
			size_t len = strlen(why);
			snprintf(why + len, sizeof why - len, "本申请按%d件计。", n);
		}
	} else {
		int pg = (int)json_integer_value(pages);
		amount = fee_by_volume(pg);
		basis = json_pack("{s:i}", "pages", pg);
		snprintf(why, sizeof why,
			 "按量计收：共%d页。30页以下免费，31—100页每页10元，101—200页每页20元，"
			 "201页以上每页40元（国办函〔2020〕109号第五条）。", pg);
	}
	if (amount <= 0) {
		json_decref(basis);
		verrs_add(&x->v, "/method", "no fee is due by %s: %s", method, why);
		return invalid(x, "No fee is due.");
	}
	json_t *fee = json_pack("{s:s, s:o, s:I, s:s, s:s}", "method", method, "basis", basis,
				"amount", (json_int_t)amount, "currency", "CNY", "explanation", why);
	case_do_fee_notice(&x->s, x->cal, x->today, fee);
	json_object_set(x->details, "fee", x->s.fee);
	json_object_set_new(x->extra, "amount", json_integer(amount));
	x->st.reason = json_string_value(json_object_get(x->s.fee, "explanation"));
	return 0;
}

static const struct field payment_fields[] = {
	ACTION_FIELD,
	{ "receipt", FT_STRING, F_NULLABLE, 1, 100, NULL, NULL, NULL },
	COMMENT_FIELD,
	END_FIELDS,
};

static int do_payment(struct step *x)
{
	const char *receipt = json_member_str(x->r->json, "receipt");

	case_do_payment(&x->s, x->today, receipt);
	json_object_set_new(x->details, "receipt", receipt ? json_string(receipt) : json_null());
	json_object_set(x->details, "amount", json_object_get(x->s.fee, "amount"));
	return 0;
}

/* ---- decide ----------------------------------------------------------------- */

static const char *const *reason_names(void)
{
	return case_reason_names();
}

static const struct field decide_fields[] = {
	ACTION_FIELD,
	{ "outcome", FT_ENUM, F_REQUIRED, 0, 0, NULL, NULL, outcome_names },
	{ "legal_basis", FT_STRING, F_REQUIRED, 1, 2000, NULL, NULL, NULL },
	{ "reason_code", FT_ENUM, F_NULLABLE, 0, 0, NULL, NULL, reason_names },
	{ "responsible_unit_id", FT_UUID, F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "responsible_agency", FT_STRING, F_NULLABLE, 1, 200, NULL, NULL, NULL },
	{ "remedy", FT_STRING, F_NULLABLE, 1, 2000, NULL, NULL, NULL },
	COMMENT_FIELD,
	END_FIELDS,
};

/* The outcome's own rules, from its row of the table. */
static void check_decision(struct step *x)
{
	const json_t *b = x->r->json;
	const char *name = json_member_str(b, "outcome");
	const struct case_outcome_rule *o = case_outcome_find(name);
	const char *code = json_member_str(b, "reason_code");
	const char *unit = json_member_str(b, "responsible_unit_id");
	const char *agency = json_member_str(b, "responsible_agency");
	const char *remedy = json_member_str(b, "remedy");
	struct verrs *v = &x->v;

	if (o->kind != x->s.kind) {
		verrs_add(v, "/outcome", "is not an outcome of a %s request", case_kind_names[x->s.kind]);
		return;
	}
	if (o->flags & OUT_SYSTEM) {
		verrs_add(v, "/outcome", "is recorded by the system when the applicant's time runs out, not decided");
		return;
	}
	if ((o->flags & OUT_AFTER_CORRECTION) &&
	    !(x->s.corrections > 0 && json_is_string(json_object_get(x->s.correction, "resubmitted_at"))))
		verrs_add(v, "/outcome", "%s applies only to an application corrected after a notice (OGI Regulations Art. 30)", name);
	if ((o->flags & OUT_REASON) && !code)
		verrs_add(v, "/reason_code", "is required when the outcome is %s", name);
	if (!(o->flags & OUT_REASON) && code)
		verrs_add(v, "/reason_code", "applies only to withheld and partially_disclosed");
	if ((o->flags & OUT_RESPONSIBLE) && !unit == !agency)
		verrs_add(v, unit ? "/responsible_agency" : "/responsible_unit_id",
			  "name the body that holds the information: one of responsible_unit_id (one of the city's units) or responsible_agency (any other, by name)");
	if (!(o->flags & OUT_RESPONSIBLE) && (unit || agency))
		verrs_add(v, unit ? "/responsible_unit_id" : "/responsible_agency",
			  "applies only to not_within_scope");
	if (unit && !strcasecmp(unit, x->ref.unit_id))
		verrs_add(v, "/responsible_unit_id", "must be another unit than the request's own");
	if (o->flags & OUT_REMEDY)
		require_remedy(x);
	else if (remedy && x->s.kind == CK_DISCLOSURE)
		; /* a disclosure answer may state the remedies too */
	else if (remedy)
		verrs_add(v, "/remedy", "applies to a refusal");
}

static int do_decide(struct step *x)
{
	DB_STMT(unit_st, "requests_unit_exists",
		"SELECT 1 FROM units WHERE id = $1");
	const char *ru = json_member_str(x->r->json, "responsible_unit_id");

	check_decision(x);
	if (!x->v.n && ru) {
		const char *up[] = { ru };
		PGresult *u = db_exec_or_reply(x->r, &unit_st, 1, up);
		if (!u)
			return -1;
		if (PQntuples(u) == 0)
			verrs_add(&x->v, "/responsible_unit_id", "is not a unit");
		PQclear(u);
	}
	if (x->v.n)
		return invalid(x, "The decision is invalid.");
	const json_t *b = x->r->json;
	x->st.outcome = x->c.outcome = json_member_str(b, "outcome");
	x->st.reason_code = x->c.reason_code = json_member_str(b, "reason_code");
	x->st.legal_basis = x->c.legal_basis = json_member_str(b, "legal_basis");
	x->st.responsible_unit = x->c.responsible_unit = ru;
	x->c.responsible_agency = json_member_str(b, "responsible_agency");
	x->c.remedy = json_member_str(b, "remedy");
	if (x->c.responsible_agency)
		json_object_set_new(x->details, "responsible_agency", json_string(x->c.responsible_agency));
	if (x->c.remedy)
		json_object_set_new(x->details, "remedy", json_string(x->c.remedy));
	case_do_decide(&x->s, x->cal, x->today, x->st.outcome);
	if (x->s.delivery_due >= 0) {
		char due[11];
		calendar_format(x->s.delivery_due, due);
		json_object_set_new(x->details, "delivery_due", json_string(due));
	}
	x->c.decided = true;
	json_object_set_new(x->extra, "outcome", json_string(x->st.outcome));
	return 0;
}

/* ---- deliver ---------------------------------------------------------------- */

static const struct field deliver_fields[] = {
	ACTION_FIELD,
	{ "method", FT_ENUM, F_REQUIRED, 0, 0, delivery_methods, NULL, NULL },
	{ "certificate_number", FT_STRING, F_REQUIRED, 1, 100, NULL, NULL, NULL },
	{ "note", FT_STRING, F_NULLABLE, 1, 2000, NULL, NULL, NULL },
	COMMENT_FIELD,
	END_FIELDS,
};

/* The licence issued and delivered (Licensing Law Art. 44). */
static int do_deliver(struct step *x)
{
	const json_t *b = x->r->json;
	const char *note = json_member_str(b, "note");
	json_t *d = json_pack("{s:s, s:s, s:o}", "method", json_member_str(b, "method"),
			      "certificate_number", json_member_str(b, "certificate_number"),
			      "note", note ? json_string(note) : json_null());

	case_do_deliver(&x->s, x->today);
	x->c.delivered = true;
	x->c.delivery = d;
	json_object_update(x->details, d);
	json_object_set_new(x->details, "on_time", json_boolean(x->s.delivered <= x->s.delivery_due));
	return 0;
}

/* ---- the steps -------------------------------------------------------------- */

struct step_handler {
	const struct field *fields;
	int (*run)(struct step *x);
};

/* Every staff step of the rules table (PRE_STEP) has its row here. */
static const struct step_handler handlers[CA__MAX] = {
	[CA_ACCEPT] = { accept_fields, do_accept },
	[CA_REQUEST_CORRECTION] = { correction_fields, do_correction },
	[CA_REFUSE_ACCEPTANCE] = { refuse_fields, do_refuse },
	[CA_PAUSE] = { pause_fields, do_pause },
	[CA_RESUME] = { accept_fields, do_resume },
	[CA_EXTEND] = { extend_fields, do_extend },
	[CA_FEE_NOTICE] = { fee_fields, do_fee_notice },
	[CA_RECORD_PAYMENT] = { payment_fields, do_payment },
	[CA_DECIDE] = { decide_fields, do_decide },
	[CA_DELIVER] = { deliver_fields, do_deliver },
};

/* Records the step and answers 201: the step and the request it moved. */
static void step_reply(struct step *x)
{
	DB_STMT(one, "approvals_one",
		"SELECT " APPROVAL_COLUMNS " FROM approvals a JOIN requests q ON q.id = a.request_id"
		" WHERE a.id = $1");
	struct req *r = x->r;
	char step_id[37], loc[96], etag[40];

	if (json_object_size(x->details))
		x->st.details = x->details;
	PGresult *row = case_commit_or_reply(r, &x->ref, &x->s, x->cal, &x->st, &x->c, x->extra,
					     step_id);
	if (!row)
		return;
	const char *p[] = { step_id };
	PGresult *a = db_exec_or_reply(r, &one, 1, p);
	if (a) {
		struct buf body = { 0 };
		buf_puts(&body, "{\"approval\":");
		jw_row(&body, a, 0);
		buf_puts(&body, ",\"request\":");
		request_write(&body, r, x->cal, row, 0, workcal_today());
		buf_puts(&body, "}");
		snprintf(loc, sizeof loc, "/v1/requests/%s/approvals", x->ref.id);
		http_header(r, "Location", "%s", loc);
		request_etag(row, 0, x->r->lang, etag, sizeof etag);
		http_header(r, "ETag", "%s", etag);
		http_json_text(r, 201, &body);
		buf_free(&body);
		PQclear(a);
	}
	PQclear(row);
}

/* Who takes it, in words. */
static const char *who_takes(enum case_action a)
{
	return case_actions[a].by & BY_CLERK ? "a clerk" : "an approver";
}

/* POST /v1/requests/{id}/approvals - createApproval (clerk: accept,
 * request_correction, refuse_acceptance, fee_notice, record_payment,
 * deliver; approver: pause, resume, extend, decide): 201, 401, 403, 404,
 * 409 (the status or a condition of the law does not allow it now: the
 * problem names what is possible), 415, 422. */
void api_approvals_create(struct req *r)
{
	struct step x = { .r = r };
	const char *action = json_member_str(r->json, "action");
	int a = case_action_parse(action);

	if (a < 0 || !handlers[a].run) {
		char list[300] = "";
		for (const char *const *n = case_staff_step_names(); *n; n++)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
				 list[0] ? ", " : "", *n);
		verrs_add(&x.v, "/action", "is required: one of %s", list);
		problem_reply_errors(r, 422, "validation", "The step is invalid.", &x.v);
		return;
	}
	x.a = (enum case_action)a;
	if (validate_object(r->json, handlers[a].fields, &x.v)) {
		problem_reply_errors(r, 422, "validation", "The step is invalid.", &x.v);
		return;
	}
	x.cur = case_begin_or_reply(r, r->path_params[0], &x.ref, &x.s, &x.cal, &x.c);
	if (!x.cur)
		goto out;
	if (!(case_actions[a].by & request_caller_mask(r, &x.ref) & BY_STAFF)) {
		db_rollback(r->db);
		problem_replyf(r, 403, "forbidden", "Only %s of the request's unit may %s.",
			       who_takes(x.a), action);
		goto out;
	}
	if (case_possible_or_reply(r, &x.s, x.cal, x.a, x.cur))
		goto out;
	x.today = workcal_today();
	x.st = (struct case_step){ .action = case_actions[a].step,
				   .from = case_statuses[x.s.status].name, .days = -1,
				   .respond_by = -1, .comment = json_member_str(r->json, "comment") };
	x.extra = json_object();
	x.details = json_object();
	if (handlers[a].run(&x) == 0)
		step_reply(&x);
out:
	json_decref(x.extra);
	json_decref(x.details);
	json_decref(x.c.delivery);
	free(x.items_text);
	state_free(&x.s);
	PQclear(x.cur);
}

/* ---- the record ---------------------------------------------------------- */

/* GET /v1/requests/{id}/approvals - listRequestApprovals: 200, 400, 401,
 * 404. Every step, in order (keyset pages by seq, like every list). */
void api_approvals_list_of_request(struct req *r)
{
	DB_STMT(st, "approvals_of_request",
		"SELECT " APPROVAL_COLUMNS " FROM approvals a JOIN requests q ON q.id = a.request_id"
		" WHERE a.request_id = $1 AND a.seq > $2::int ORDER BY a.seq LIMIT $3");
	static const char *const keys[] = { "seq" };
	struct request_ref ref;
	char after[1][CURSOR_PART_MAX], lim[16];
	int limit;

	if (query_limit_or_reply(r, &limit) || query_cursor_or_reply(r, 1, after))
		return;
	if (after[0][0]) {
		char *end;
		errno = 0;
		long seq = strtol(after[0], &end, 10);
		if (errno || *end || end == after[0] || seq < 1 || seq > INT_MAX) {
			query_invalid_reply(r, "cursor", "is not a cursor this server issued");
			return;
		}
	}
	if (request_find_or_reply(r, r->path_params[0], false, &ref))
		return;
	snprintf(lim, sizeof lim, "%d", limit + 1);
	const char *p[] = { ref.id, after[0][0] ? after[0] : "0", lim };
	PGresult *res = db_exec_or_reply(r, &st, 3, p);
	if (!res)
		return;
	http_header(r, "Cache-Control", "private, no-cache");
	http_list_rows(r, res, limit, keys, 1);
	PQclear(res);
}

/* GET /v1/approvals - listApprovals (staff of a unit: theirs; supervisors,
 * admins: all): 200, 400, 401, 403. Newest first; filters unit, action,
 * outcome, from, to. */
void api_approvals_list(struct req *r)
{
	const char *unit, *action, *outcome, *from, *to;
	bool from_date = false, to_date = false;
	char after[2][CURSOR_PART_MAX], lim[16];
	int limit;

	if (query_limit_or_reply(r, &limit) ||
	    query_uuid_or_reply(r, "unit", &unit) ||
	    query_enum_or_reply(r, "action", case_step_names(), &action) ||
	    query_enum_or_reply(r, "outcome", case_outcome_names(-1), &outcome) ||
	    query_when_or_reply(r, "from", &from, &from_date) ||
	    query_when_or_reply(r, "to", &to, &to_date) ||
	    query_time_cursor_or_reply(r, after))
		return;
	snprintf(lim, sizeof lim, "%d", limit + 1);
	struct sqlb b = { 0 };
	sqlb_add(&b, "SELECT " APPROVAL_COLUMNS " FROM approvals a JOIN requests q ON q.id = a.request_id WHERE ");
	if (req_is_unit_staff(r)) {
		sqlb_add(&b, "a.unit_id = ");
		sqlb_param(&b, r->claims.unit, "uuid");
	} else {
		sqlb_add(&b, "true");
	}
	sqlb_and_eq(&b, "a.unit_id", unit, "uuid");
	sqlb_and_eq(&b, "a.action", action, "text");
	sqlb_and_eq(&b, "a.outcome", outcome, "text");
	sqlb_and_between(&b, "a.at", from, from_date, to, to_date);
	PGresult *res = common_page_or_reply(r, &b, "a.at", "a.id", after, lim);
	if (!res)
		return;
	static const char *const keys[] = { "_sort_us", "id" };
	http_header(r, "Cache-Control", "private, no-cache");
	http_list_rows(r, res, limit, keys, 2);
	PQclear(res);
}
