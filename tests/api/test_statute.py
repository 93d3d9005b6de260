"""The case engine enforces the statute (issue 11), through nginx on real
dates: what was found bendable is not any more, each forbidden move answers
409 naming what is allowed, and every monitoring rule acts the day after its
limit, never on it (the day before, the day itself and the day after are
each tested).

Law: 《中华人民共和国政府信息公开条例》 (OGI Regulations, 2019) Arts. 30-33,
36, 42; 《政府信息公开信息处理费管理办法》 (国办函〔2020〕109号) Arts. 3-5;
《中华人民共和国行政许可法》 (Licensing Law) Arts. 32, 38, 42, 44, 45, 82.

Every case is made through the API on a unit of this module's own; where a
rule's day must be exactly yesterday, today or tomorrow whatever day the
suite runs, the case's stored day is set with the superuser connection and
the monitor (POST /v1/monitoring/runs) is what is tested. Expected dates
come from the calendar table (tests/api/test_requests.py WorkCal), never
from the server's own arithmetic.
"""

import datetime as dt
import time
import uuid

import pytest

from conftest import assert_problem, error_pointers, uniq
from test_requests import (REMEDY, THIRD_PARTY, accept, act, approval_body, at10, create,
                           decide_body, disclosure_body, get, make_service_item, paper,
                           resubmit, shanghai_today, steps, upload, withdraw)
# fixtures, used by name
from test_requests import cal, identity_encoding, new_applicant  # noqa: F401

LONG = 7200


def mint(tokens, role, **claims):
    return tokens.mint(role, exp=int(time.time()) + LONG, **claims)


@pytest.fixture(scope="module")
def staff(make_unit, tokens):
    """A unit of this module's own, its clerk and approver, a supervisor."""
    u = make_unit(kind="municipal_agency", code=uniq("ST-"), name="测试法定时限局" + uniq())
    subs = {k: str(uuid.uuid4()) for k in ("clerk", "approver", "supervisor")}
    from types import SimpleNamespace
    return SimpleNamespace(
        unit=u["id"], subs=subs, clerk_sub=subs["clerk"], approver_sub=subs["approver"],
        clerk=mint(tokens, "clerk", unit=u["id"], sub=subs["clerk"]),
        approver=mint(tokens, "approver", unit=u["id"], sub=subs["approver"]),
        supervisor=mint(tokens, "supervisor", sub=subs["supervisor"]))


@pytest.fixture(scope="module")
def item(api, staff):
    """A published service item: statutory 20 working days, committed 8."""
    return make_service_item(api, staff, committed_days=8)


def run_monitor(api, staff):
    r = api.post("/v1/monitoring/runs", token=staff.supervisor)
    assert r.status_code == 201, r.content
    return r.json()["result"]


def findings_of(api, staff, rid, rule=None):
    r = api.get("/v1/findings", token=staff.supervisor,
                params={"source": "e_monitoring", "unit": staff.unit, "limit": 100})
    assert r.status_code == 200, r.content
    return [f for f in r.json()["data"]
            if f["request_id"] == rid and (rule is None or f["rule"] == rule)]


def forbidden(api, tok, rid, body, status_now, text=None):
    """A forbidden move: 409 naming the status and what is possible now."""
    r = api.post(f"/v1/requests/{rid}/approvals", token=tok, json=body)
    doc = assert_problem(r, 409, "conflict")
    assert doc["current_status"] == status_now, doc
    assert body["action"] not in doc["allowed_actions"], doc
    if text:
        assert text in doc["detail"], doc
    return doc


def days(today, n):
    return (today + dt.timedelta(days=n)).isoformat()


# --------------------------------------------------------------------------
# found: a red case extended after its due date turned green and on time


def test_an_overdue_case_cannot_be_given_time_after_the_fact(api, staff, cal, db):
    """A disclosure case 25 working days old, red, with its overdue finding:
    no extension, pause or fee notice can clear it (OGI Arts. 32, 33, 42),
    and its decision stays late."""
    s = cal.back(25)
    req = create(api, staff.clerk, paper(disclosure_body(staff.unit), at10(s)))
    rid = req["id"]
    due = cal.add(s, 20)
    assert req["deadline"]["due_date"] == due.isoformat()
    assert req["deadline"]["light"] == "red"
    run_monitor(api, staff)
    assert len(findings_of(api, staff, rid, "overdue")) == 1
    accept(api, staff, rid)
    doc = forbidden(api, staff.approver, rid,
                    {"action": "extend", "days": 20, "reason": "补办延期。"}, "accepted",
                    "before the due date, " + due.isoformat())
    assert set(doc["allowed_actions"]) == {"decide", "withdraw"}
    forbidden(api, staff.approver, rid, THIRD_PARTY, "accepted", "overdue")
    forbidden(api, staff.clerk, rid, {"action": "fee_notice", "method": "by_volume",
                                      "pages": 120}, "accepted", "overdue")
    g = get(api, staff.clerk, rid)
    assert g["deadline"]["light"] == "red" and g["deadline"]["extensions"] == []
    assert g["deadline"]["excluded"] == []
    req = act(api, staff.approver, rid, decide_body("disclosure"))
    assert req["deadline"]["on_time"] is False and req["deadline"]["light"] == "red"
    assert db.scalar(f"SELECT on_time FROM requests WHERE id = '{rid}'") == "f"


def test_extension_on_the_day_before_and_on_the_due_day(api, staff, cal):
    """OGI Art. 33: only before the due date. Received 19 working days ago,
    the due date is the next working day: extended today; 20 working days
    ago, today is the due date (when today is a working day): 409."""
    s = cal.back(19)
    rid = create(api, staff.clerk, paper(disclosure_body(staff.unit), at10(s)))["id"]
    req = act(api, staff.approver, rid, {"action": "extend", "days": 20,
                                         "reason": "需要汇总多个科室的信息。"})
    assert req["deadline"]["due_date"] == cal.add(s, 40).isoformat()
    assert req["deadline"]["extensions"][0]["reason"] == "需要汇总多个科室的信息。"
    # the applicant reads the reason on the request
    assert get(api, staff.clerk, rid)["deadline"]["extensions"][0]["days"] == 20
    if not cal.working(shanghai_today()):
        pytest.skip("the due day is always a working day; today is not one")
    s = cal.back(20)
    rid = create(api, staff.clerk, paper(disclosure_body(staff.unit), at10(s)))["id"]
    assert get(api, staff.clerk, rid)["deadline"]["due_date"] == shanghai_today().isoformat()
    forbidden(api, staff.approver, rid, {"action": "extend", "days": 5, "reason": "x"},
              "submitted", "before the due date")
    # the due day is not late: a pause is still possible
    act(api, staff.approver, rid, THIRD_PARTY)


# --------------------------------------------------------------------------
# channels and receipt (OGI Art. 31)


def test_fax_registered_on_the_day_the_unit_confirmed_it(api, staff, cal):
    s = cal.back(2)
    req = create(api, staff.clerk, paper(disclosure_body(staff.unit), at10(s), channel="fax"))
    assert req["channel"] == "fax" and req["received_at"] == at10(s)
    assert req["deadline"]["start_date"] == s.isoformat()
    assert "withdraw" in req["allowed_actions"]  # the clerk acts for a fax applicant


def test_online_received_on_submission(api, staff, new_applicant):
    who = new_applicant()
    req = create(api, who.token, disclosure_body(staff.unit))
    assert req["deadline"]["start_date"] == shanghai_today().isoformat()
    r = api.post("/v1/requests", token=who.token, json=dict(disclosure_body(staff.unit),
                                                            channel="fax"))
    assert "/channel" in error_pointers(assert_problem(r, 422, "validation"))


# --------------------------------------------------------------------------
# fees (OGI Art. 42; 国办函〔2020〕109号)


def test_fee_by_volume_stops_the_clock_until_paid(api, staff, new_applicant, cal, db):
    who = new_applicant()
    rid = create(api, who.token, disclosure_body(staff.unit))["id"]
    today = shanghai_today()
    # one method per request (Art. 3)
    for body, ptr in (({"action": "fee_notice", "method": "by_volume"}, "/pages"),
                      ({"action": "fee_notice", "method": "by_volume", "pages": 40,
                        "pieces": 2}, "/pieces"),
                      ({"action": "fee_notice", "method": "by_count", "pages": 40}, "/pages"),
                      ({"action": "fee_notice", "method": "by_volume", "pages": 30}, "/method"),
                      ({"action": "fee_notice", "method": "by_weight", "pages": 40}, "/method")):
        r = api.post(f"/v1/requests/{rid}/approvals", token=staff.clerk, json=body)
        assert error_pointers(assert_problem(r, 422, "validation")) == [ptr], body
    r = api.post(f"/v1/requests/{rid}/approvals", token=staff.approver,
                 json={"action": "fee_notice", "method": "by_volume", "pages": 120})
    assert_problem(r, 403, "forbidden")
    req = act(api, staff.clerk, rid, {"action": "fee_notice", "method": "by_volume",
                                      "pages": 120})
    # Art. 5: 70 pages at 10 yuan, 20 at 20
    fee = req["fee"]
    pay_by = cal.add(today, 20)
    assert fee["method"] == "by_volume" and fee["basis"] == {"pages": 120}
    assert fee["amount"] == 70 * 10 + 20 * 20 and fee["currency"] == "CNY"
    assert "120页" in fee["explanation"] and "第五条" in fee["explanation"]
    assert (fee["notice_date"], fee["pay_by"]) == (today.isoformat(), pay_by.isoformat())
    assert fee["paid_on"] is None
    assert req["status"] == "awaiting_payment"
    assert req["deadline"]["excluded"] == [{"from": days(today, 1), "to": None, "reason": "fee",
                                            "limit": pay_by.isoformat()}]
    assert "1100" in req["next_step"] and pay_by.isoformat() in req["next_step"]
    assert get(api, who.token, rid)["allowed_actions"] == ["withdraw"]
    forbidden(api, staff.clerk, rid, {"action": "fee_notice", "method": "by_volume",
                                      "pages": 200}, "awaiting_payment")
    forbidden(api, staff.approver, rid, decide_body("disclosure"), "awaiting_payment")
    req = act(api, staff.clerk, rid, {"action": "record_payment", "receipt": "非税票据0001"})
    assert req["status"] == "submitted" and req["fee"]["paid_on"] == today.isoformat()
    assert req["fee"]["receipt"] == "非税票据0001"
    assert req["deadline"]["excluded"] == []  # paid the same day
    s = steps(api, staff.clerk, rid)
    assert [x["action"] for x in s][-2:] == ["fee_notice", "record_payment"]
    assert s[-2]["details"]["fee"]["amount"] == 1100
    # once per request
    forbidden(api, staff.clerk, rid, {"action": "fee_notice", "method": "by_volume",
                                      "pages": 200}, "submitted", "once")


def test_fee_by_count_the_eleventh_request_of_a_month(api, staff, new_applicant, db):
    """Art. 4: up to 10 requests a month free, the 11th to 30th 100 yuan."""
    who = new_applicant()
    ids = [create(api, who.token, disclosure_body(staff.unit))["id"] for _ in range(11)]
    r = api.post(f"/v1/requests/{ids[9]}/approvals", token=staff.clerk,
                 json={"action": "fee_notice", "method": "by_count"})
    assert "/method" in error_pointers(assert_problem(r, 422, "validation"))  # the 10th: free
    req = act(api, staff.clerk, ids[10], {"action": "fee_notice", "method": "by_count"})
    assert req["fee"]["basis"] == {"requests_before": 10, "pieces": 1}
    assert req["fee"]["amount"] == 100
    assert "第11件" in req["fee"]["explanation"]
    # split "one matter, one request" into 3 pieces: the 9th, 10th, 11th places
    req = act(api, staff.clerk, ids[8], {"action": "fee_notice", "method": "by_count",
                                         "pieces": 3})
    assert req["fee"]["basis"] == {"requests_before": 8, "pieces": 3}
    assert req["fee"]["amount"] == 100


def test_fee_not_for_approvals(api, staff, applicant_item_request):
    rid = applicant_item_request()
    forbidden(api, staff.clerk, rid, {"action": "fee_notice", "method": "by_volume",
                                      "pages": 100}, "submitted", "not a step")


# --------------------------------------------------------------------------
# approval: the acceptance stage on its clock (Licensing Law Art. 32)


@pytest.fixture(scope="module")
def applicant_item_request(api, item, new_applicant):
    who = new_applicant()

    def _make():
        return create(api, who.token, approval_body(item["id"]))["id"]
    return _make


def test_approval_registered_in_spring_festival_2026(api, staff, item, cal, db):
    """Received Thursday 2026-02-12, before the Spring Festival holiday
    (2026-02-15..23 off, Saturday 02-14 and 02-28 worked): the five working
    days of the acceptance stage are 02-13, 02-14, 02-24, 02-25, 02-26.
    Nobody accepted it: the monitor records the deemed acceptance, and the
    decision clock runs from the day of receipt."""
    if shanghai_today().year > 2027:
        pytest.skip("2026 is older than a registration may reach back now")
    received = dt.date(2026, 2, 12)
    assert cal.add(received, 5) == dt.date(2026, 2, 26)
    req = create(api, staff.clerk, paper(approval_body(item["id"]), at10(received),
                                         channel="counter"))
    rid = req["id"]
    acc = req["deadline"]["acceptance"]
    assert (acc["start_date"], acc["due_date"], acc["open"]) == ("2026-02-12", "2026-02-26", True)
    assert req["deadline"]["light"] == "red"  # the stage is long over
    run_monitor(api, staff)
    req = get(api, staff.clerk, rid)
    assert req["status"] == "accepted"
    d = req["deadline"]
    assert d["start_date"] == "2026-02-12"
    assert d["due_date"] == cal.add(received, 20).isoformat()
    assert d["committed_due_date"] == cal.add(received, 8).isoformat()
    assert d["acceptance"]["open"] is False
    s = steps(api, staff.clerk, rid)
    assert [(x["action"], x["actor"], x["actor_role"]) for x in s] == [
        ("register", staff.clerk_sub, "clerk"), ("deemed_accept", "monitor", "system")]
    assert s[1]["details"] == {"acceptance_due": "2026-02-26", "accepted_from": "2026-02-12"}
    assert len(findings_of(api, staff, rid, "acceptance_lapsed")) == 1
    assert len(findings_of(api, staff, rid, "overdue")) == 1  # the decision clock too
    # once only
    again = run_monitor(api, staff)
    assert len(findings_of(api, staff, rid, "acceptance_lapsed")) == 1
    assert [x["action"] for x in steps(api, staff.clerk, rid)].count("deemed_accept") == 1
    assert again["skipped"] is False


def test_correction_or_refusal_past_the_acceptance_stage_is_409(api, staff, item, cal):
    """Past its 5 working days an application is accepted by law: a notice or
    a refusal then is a forbidden move, whether or not the monitor has run."""
    s = cal.back(6)
    rid = create(api, staff.clerk, paper(approval_body(item["id"]), at10(s)))["id"]
    doc = forbidden(api, staff.clerk, rid,
                    {"action": "request_correction", "respond_within_days": 5,
                     "items": [{"material_code": "ID", "reason": "请补正。"}]}, "accepted")
    assert set(doc["allowed_actions"]) == {"pause", "extend", "decide", "withdraw"}
    forbidden(api, staff.clerk, rid, {"action": "refuse_acceptance", "reason": "x",
                                      "legal_basis": "y", "remedy": REMEDY}, "accepted")
    # an approver's decision is possible: the law's step is recorded first
    req = act(api, staff.approver, rid, {"action": "decide", "outcome": "approved",
                                         "legal_basis": "《中华人民共和国行政许可法》第三十八条"})
    acts = [(x["action"], x["actor"]) for x in steps(api, staff.clerk, rid)]
    assert acts[1:] == [("deemed_accept", "system"), ("decide", staff.approver_sub)]
    assert req["deadline"]["start_date"] == s.isoformat()


def test_refusal_of_acceptance_states_its_basis_and_remedy(api, staff, item, db):
    """Licensing Law Arts. 32, 38."""
    rid = create(api, staff.clerk, paper(approval_body(item["id"]),
                                         at10(shanghai_today())))["id"]
    r = api.post(f"/v1/requests/{rid}/approvals", token=staff.clerk,
                 json={"action": "refuse_acceptance", "reason": "不属于本机关职权范围。"})
    assert sorted(error_pointers(assert_problem(r, 422, "validation"))) == \
        ["/legal_basis", "/remedy"]
    act(api, staff.clerk, rid, {"action": "refuse_acceptance", "reason": "不属于本机关职权范围。",
                                "legal_basis": "《中华人民共和国行政许可法》第三十二条第一款第（二）项",
                                "remedy": REMEDY})
    s = steps(api, staff.clerk, rid)[-1]
    assert s["details"] == {"remedy": REMEDY} and s["legal_basis"].startswith("《")


# --------------------------------------------------------------------------
# monitoring: each rule the day after its limit, never on it


BOUNDARIES = [(-1, True), (0, False), (1, False)]  # limit = today + n; acted upon?


@pytest.mark.parametrize("offset,acts", BOUNDARIES)
def test_acceptance_stage_lapses_the_day_after(api, staff, applicant_item_request, db,
                                               offset, acts):
    rid = applicant_item_request()
    today = shanghai_today()
    db(f"UPDATE requests SET acceptance_due = '{days(today, offset)}',"
       f" acceptance_start = '{days(today, offset - 7)}' WHERE id = '{rid}'")
    run_monitor(api, staff)
    req = get(api, staff.clerk, rid)
    assert req["status"] == ("accepted" if acts else "submitted"), (offset, req["status"])
    assert bool(findings_of(api, staff, rid, "acceptance_lapsed")) == acts
    if acts:
        assert req["deadline"]["start_date"] == days(today, offset - 7)


@pytest.mark.parametrize("offset,acts", BOUNDARIES)
def test_correction_abandoned_the_day_after_respond_by(api, staff, new_applicant, db,
                                                       offset, acts):
    """OGI Art. 30: respond_by is the applicant's last day."""
    who = new_applicant()
    rid = create(api, who.token, disclosure_body(staff.unit))["id"]
    act(api, staff.clerk, rid, {"action": "request_correction", "respond_within_days": 5,
                                "items": [{"field": "description", "reason": "请写明文号。"}]})
    due = days(shanghai_today(), offset)
    db(f"UPDATE requests SET correction_due = '{due}' WHERE id = '{rid}'")
    res = run_monitor(api, staff)
    req = get(api, who.token, rid)
    if acts:
        assert req["status"] == "abandoned" and res["abandoned"] >= 1
        assert req["closing_outcome"] == "abandoned_correction"
        last = steps(api, who.token, rid)[-1]
        assert (last["action"], last["actor"], last["outcome"]) == \
            ("abandon", "monitor", "abandoned_correction")
        assert last["respond_by"] == due
    else:
        assert req["status"] == "correction_required" and req["closing_outcome"] is None
        # and the applicant may still resubmit on respond_by itself
        resubmit(api, who.token, rid, {"fields": {"description": "申请公开市发〔2025〕1号。"}})


@pytest.mark.parametrize("offset,acts", BOUNDARIES)
def test_fee_unpaid_abandoned_the_day_after_pay_by(api, staff, new_applicant, db,
                                                   offset, acts):
    who = new_applicant()
    rid = create(api, who.token, disclosure_body(staff.unit))["id"]
    act(api, staff.clerk, rid, {"action": "fee_notice", "method": "by_volume", "pages": 50})
    db(f"UPDATE requests SET fee_due = '{days(shanghai_today(), offset)}' WHERE id = '{rid}'")
    run_monitor(api, staff)
    req = get(api, who.token, rid)
    if acts:
        assert req["status"] == "abandoned" and req["closing_outcome"] == "abandoned_fee"
        assert steps(api, who.token, rid)[-1]["outcome"] == "abandoned_fee"
    else:
        assert req["status"] == "awaiting_payment"
        act(api, staff.clerk, rid, {"action": "record_payment"})


@pytest.mark.parametrize("offset,acts", BOUNDARIES)
def test_third_party_consultation_ends_after_15_working_days(api, staff, new_applicant, db,
                                                              offset, acts):
    """OGI Art. 32: the third party's 15 working days; then the clock runs."""
    who = new_applicant()
    rid = create(api, who.token, disclosure_body(staff.unit))["id"]
    act(api, staff.approver, rid, THIRD_PARTY)
    limit = days(shanghai_today(), offset)
    db(f"UPDATE requests SET pause_limit = '{limit}',"
       f" excluded = jsonb_set(excluded, '{{0,limit}}', to_jsonb('{limit}'::text))"
       f" WHERE id = '{rid}'")
    res = run_monitor(api, staff)
    req = get(api, who.token, rid)
    if acts:
        assert req["status"] == "submitted" and res["consultations_ended"] >= 1
        assert req["pause"]["resumed_by"] == "system"
        last = steps(api, staff.clerk, rid)[-1]
        assert (last["action"], last["actor"], last["to_status"]) == \
            ("resume", "monitor", "submitted")
        # the pause began today, its limit put back to yesterday: it excluded nothing
        assert req["deadline"]["excluded"] == []
    else:
        assert req["status"] == "paused"


@pytest.mark.parametrize("offset,acts", BOUNDARIES)
def test_approval_pause_past_its_declared_duration(api, staff, applicant_item_request, db,
                                                   offset, acts):
    """Licensing Law Art. 45: the duration declared to the applicant; past it,
    a finding (the unit resumes, the law does not)."""
    rid = applicant_item_request()
    upload(api, db, staff.clerk, rid, "ID")
    act(api, staff.clerk, rid, {"action": "accept"})
    act(api, staff.approver, rid, {"action": "pause", "reason": "hearing", "expected_days": 5})
    db(f"UPDATE requests SET pause_limit = '{days(shanghai_today(), offset)}'"
       f" WHERE id = '{rid}'")
    run_monitor(api, staff)
    assert get(api, staff.clerk, rid)["status"] == "paused"
    assert bool(findings_of(api, staff, rid, "pause_overrun")) == acts


@pytest.mark.parametrize("offset,acts", BOUNDARIES)
def test_licence_not_delivered_in_10_working_days(api, staff, applicant_item_request, db,
                                                  offset, acts):
    """Licensing Law Art. 44."""
    rid = applicant_item_request()
    upload(api, db, staff.clerk, rid, "ID")
    act(api, staff.clerk, rid, {"action": "accept"})
    act(api, staff.approver, rid, {"action": "decide", "outcome": "approved",
                                   "legal_basis": "《中华人民共和国行政许可法》第三十八条"})
    db(f"UPDATE requests SET delivery_due = '{days(shanghai_today(), offset)}'"
       f" WHERE id = '{rid}'")
    run_monitor(api, staff)
    assert bool(findings_of(api, staff, rid, "delivery_overdue")) == acts
    req = act(api, staff.clerk, rid, {"action": "deliver", "method": "in_person",
                                      "certificate_number": "证" + uniq()})
    assert req["licence_delivery"]["on_time"] is (not acts)


@pytest.mark.parametrize("offset,acts", BOUNDARIES)
def test_overdue_finding_the_day_after_the_due_date(api, staff, new_applicant, db,
                                                    offset, acts):
    """red_on is the day after the due date: a case due today is not late."""
    who = new_applicant()
    rid = create(api, who.token, disclosure_body(staff.unit))["id"]
    # due today + offset: red from the day after it
    db(f"UPDATE requests SET red_on = '{days(shanghai_today(), offset + 1)}',"
       f" yellow_on = '{days(shanghai_today(), offset - 2)}' WHERE id = '{rid}'")
    run_monitor(api, staff)
    assert bool(findings_of(api, staff, rid, "overdue")) == acts


def test_overdue_on_real_dates(api, staff, cal):
    """Registered so that the due date was the last working day before
    today, or is the next one: only the first is found overdue."""
    today = shanghai_today()
    late = create(api, staff.clerk, paper(disclosure_body(staff.unit), at10(cal.back(21))))
    due = dt.date.fromisoformat(late["deadline"]["due_date"])
    assert due < today and late["deadline"]["light"] == "red"
    early = create(api, staff.clerk, paper(disclosure_body(staff.unit), at10(cal.back(19))))
    assert dt.date.fromisoformat(early["deadline"]["due_date"]) > today
    run_monitor(api, staff)
    assert len(findings_of(api, staff, late["id"], "overdue")) == 1
    assert findings_of(api, staff, early["id"], "overdue") == []


def test_a_closed_case_clock_stops_on_the_day_it_closed(api, staff, cal, db):
    """Withdrawn 5 working days ago: elapsed counts to that day, not to today."""
    s = cal.back(12)
    rid = create(api, staff.clerk, paper(disclosure_body(staff.unit), at10(s)))["id"]
    withdraw(api, staff.clerk, rid)
    closed = cal.back(5)
    db(f"UPDATE requests SET closed_at = '{closed.isoformat()} 15:00+08' WHERE id = '{rid}'")
    d = get(api, staff.clerk, rid)["deadline"]
    assert d["working_days_elapsed"] == cal.count(s, closed) == 7
    assert d["light"] is None and d["on_time"] is None


def test_monitoring_passes_change_nothing_the_second_time(api, staff):
    run_monitor(api, staff)
    again = run_monitor(api, staff)
    assert again["deemed_accepted"] == 0 and again["abandoned"] == 0
    assert again["consultations_ended"] == 0


def test_disclosure_across_national_day_2026(api, staff, cal):
    """Received on paper Thursday 2026-09-24, before Mid-Autumn (09-25..27)
    and National Day (10-01..07), Sunday 09-20 and Saturday 10-10 worked:
    its correction window (7 working days) closed on 2026-10-12 and its 20
    working days end Thursday 2026-10-29 (by hand: 09-28, 29, 30; 10-08,
    09, 10, 12 ... 29)."""
    if shanghai_today().year > 2027:
        pytest.skip("2026 is older than a registration may reach back now")
    received = dt.date(2026, 9, 24)
    assert cal.add(received, 7) == dt.date(2026, 10, 12)
    assert cal.add(received, 20) == dt.date(2026, 10, 29)
    req = create(api, staff.clerk, paper(disclosure_body(staff.unit), at10(received),
                                         channel="post"))
    d = req["deadline"]
    assert (d["start_date"], d["due_date"]) == ("2026-09-24", "2026-10-29")
    assert d["calendar_complete"] is True
    doc = forbidden(api, staff.clerk, req["id"],
                    {"action": "request_correction", "respond_within_days": 5,
                     "items": [{"field": "description", "reason": "请写明文号。"}]},
                    "submitted", "by 2026-10-12")
    assert "decide" in doc["allowed_actions"]
    forbidden(api, staff.approver, req["id"], {"action": "extend", "days": 5, "reason": "x"},
              "submitted", "2026-10-29")


def test_lights_move_on_the_day_they_come(api, staff, new_applicant, db):
    """The monitor moves a light on its day (it reads only the days since its
    last pass): yellow on yellow_on, red on red_on, never before."""
    who = new_applicant()
    today = shanghai_today()
    ids = [create(api, who.token, disclosure_body(staff.unit))["id"] for _ in range(3)]
    run_monitor(api, staff)  # a pass today: the next one looks from yesterday on
    days_ = {ids[0]: (0, 3), ids[1]: (-2, 0), ids[2]: (1, 4)}  # (yellow_on, red_on) - today
    for rid, (y, r) in days_.items():
        db(f"UPDATE requests SET yellow_on = '{days(today, y)}', red_on = '{days(today, r)}',"
           f" light = 'green' WHERE id = '{rid}'")
    res = run_monitor(api, staff)
    assert res["lights_changed"] >= 2
    lights = {rid: db.scalar(f"SELECT light FROM requests WHERE id = '{rid}'") for rid in ids}
    assert lights == {ids[0]: "yellow", ids[1]: "red", ids[2]: "green"}
    r = api.get("/v1/requests", token=staff.clerk,
                params={"unit": staff.unit, "light": "yellow", "limit": 100})
    assert ids[0] in [x["id"] for x in r.json()["data"]]
