"""Approvals (issue 5): the immutable record of every step taken on a request,
GET /v1/requests/{id}/approvals and GET /v1/approvals (filters, scope,
keyset pagination).

The module works in a unit of its own (the `staff` fixture of
test_requests), so lists filtered by that unit hold only its rows.
"""

import datetime as dt
import uuid

import pytest

from conftest import assert_problem, error_pointers
from test_requests import (accept, act, approval_body, create, decide_body,
                           disclosure_body, resubmit, steps, upload, walk, withdraw)
# fixtures, used by name
from test_requests import applicant, identity_encoding, item, new_applicant, staff  # noqa: F401

STEP_KEYS = {"id", "request_id", "request_number", "seq", "unit_id", "action", "actor",
             "actor_role", "at", "from_status", "to_status", "outcome", "reason_code",
             "legal_basis", "responsible_unit_id", "reason", "comment", "days", "items",
             "respond_by", "details"}


def utc_now():
    return dt.datetime.now(dt.timezone.utc)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def approval_ids(api, tok, **params):
    qs = "&".join(f"{k}={v}" for k, v in params.items())
    return [x["id"] for x in walk(api, "/v1/approvals?limit=100" + ("&" + qs if qs else ""),
                                  tok)]


@pytest.fixture(scope="module")
def history(api, staff, new_applicant, item, db):
    """Requests of our unit taken through many steps; returns their ids and
    the time window they were made in."""
    t0 = utc_now() - dt.timedelta(seconds=2)
    who = new_applicant()
    h = {}
    rid = create(api, who.token, disclosure_body(staff.unit))["id"]
    act(api, staff.clerk, rid, {"action": "request_correction", "respond_within_days": 5,
                                "items": [{"field": "description", "reason": "请写明文号。"}]})
    resubmit(api, who.token, rid, {"fields": {"description": "申请公开市发〔2025〕1号文件。"},
                                   "note": "已补正。"})
    accept(api, staff, rid)
    act(api, staff.approver, rid, {"action": "extend", "days": 15, "reason": "需要会商。"})
    act(api, staff.approver, rid, {"action": "pause", "reason": "third_party_consultation",
                                   "third_party": "某某科技有限公司", "comment": "征求第三方意见。"})
    act(api, staff.approver, rid, {"action": "resume", "comment": "第三方已答复。"})
    act(api, staff.approver, rid, decide_body("disclosure", outcome="partially_disclosed",
                                              reason_code="third_party_rights",
                                              comment="涉及商业秘密的部分不予公开。"))
    h["disclosure"] = rid
    rid = create(api, who.token, approval_body(item["id"]))["id"]
    upload(api, db, who.token, rid, "ID")
    accept(api, staff, rid)
    act(api, staff.approver, rid, {"action": "decide", "outcome": "approved",
                                   "legal_basis": "《中华人民共和国行政许可法》第三十八条"})
    h["approval"] = rid
    rid = create(api, who.token, disclosure_body(staff.unit))["id"]
    act(api, staff.clerk, rid, {"action": "refuse_acceptance", "reason": "不属于政府信息。"})
    h["refused"] = rid
    rid = create(api, who.token, disclosure_body(staff.unit))["id"]
    withdraw(api, who.token, rid, {"reason": "不再需要。"})
    h["withdrawn"] = rid
    rid = create(api, who.token, disclosure_body(staff.unit))["id"]
    act(api, staff.approver, rid, decide_body("disclosure", outcome="withheld",
                                              reason_code="state_secret"))
    h["withheld"] = rid
    t1 = utc_now() + dt.timedelta(seconds=2)
    return dict(ids=h, who=who, t0=t0, t1=t1)


def test_every_step_with_actor_role_and_statuses(api, staff, history):
    rid = history["ids"]["disclosure"]
    who = history["who"]
    s = steps(api, who.token, rid)
    assert all(set(x) == STEP_KEYS for x in s)
    assert [(x["seq"], x["action"], x["actor_role"], x["from_status"], x["to_status"])
            for x in s] == [
        (1, "submit", "public", None, "submitted"),
        (2, "request_correction", "clerk", "submitted", "correction_required"),
        (3, "resubmit", "public", "correction_required", "submitted"),
        (4, "accept", "clerk", "submitted", "accepted"),
        (5, "extend", "approver", "accepted", "accepted"),
        (6, "pause", "approver", "accepted", "paused"),
        (7, "resume", "approver", "paused", "accepted"),
        (8, "decide", "approver", "accepted", "decided"),
    ]
    assert [x["actor"] for x in s] == [who.id, staff.clerk_sub, who.id, staff.clerk_sub] + \
        [staff.approver_sub] * 4
    # each step starts where the previous one left the request
    for prev, nxt in zip(s, s[1:]):
        assert nxt["from_status"] == prev["to_status"]
        assert nxt["at"] >= prev["at"]
    number = api.get(f"/v1/requests/{rid}", token=who.token).json()["number"]
    assert all(x["request_id"] == rid and x["request_number"] == number and
               x["unit_id"] == staff.unit for x in s)
    corr = s[1]
    assert corr["items"] == [{"field": "description", "reason": "请写明文号。"}]
    assert corr["respond_by"] and corr["days"] == 5
    assert s[2]["comment"] == "已补正。"
    assert (s[4]["days"], s[4]["reason"]) == (15, "需要会商。")
    assert (s[5]["reason"], s[5]["comment"]) == ("third_party_consultation", "征求第三方意见。")
    assert s[6]["comment"] == "第三方已答复。"
    dec = s[7]
    assert (dec["outcome"], dec["reason_code"]) == ("partially_disclosed", "third_party_rights")
    assert dec["legal_basis"] == "《中华人民共和国政府信息公开条例》第二十七条"
    assert dec["comment"] == "涉及商业秘密的部分不予公开。"
    for x in s[:7]:
        assert x["outcome"] is None and x["legal_basis"] is None
    # the same record for everyone who may see the request
    for tok in (staff.clerk, staff.approver, staff.supervisor, staff.admin):
        assert steps(api, tok, rid) == s


def test_refusal_and_withdrawal_steps(api, staff, history):
    s = steps(api, staff.clerk, history["ids"]["refused"])
    assert [(x["action"], x["to_status"], x["reason"]) for x in s][-1] == \
        ("refuse_acceptance", "not_accepted", "不属于政府信息。")
    s = steps(api, staff.clerk, history["ids"]["withdrawn"])
    assert (s[-1]["action"], s[-1]["actor_role"], s[-1]["reason"]) == \
        ("withdraw", "public", "不再需要。")


def test_request_steps_hidden_from_others(api, staff, history, new_applicant):
    rid = history["ids"]["disclosure"]
    stranger = new_applicant()
    for tok in (staff.other_clerk, staff.other_approver, stranger.token):
        assert_problem(api.get(f"/v1/requests/{rid}/approvals", token=tok), 404, "not-found")
    for bad in (str(uuid.uuid4()), "nope"):
        assert_problem(api.get(f"/v1/requests/{bad}/approvals", token=staff.supervisor), 404,
                       "not-found")
    assert_problem(api.get(f"/v1/requests/{rid}/approvals"), 401, "unauthorized")


def test_steps_are_immutable(history, db):
    aid = db.scalar(f"SELECT id FROM approvals WHERE request_id = '{history['ids']['approval']}'"
                    " ORDER BY seq LIMIT 1")
    with pytest.raises(RuntimeError, match="immutable"):
        db(f"UPDATE approvals SET comment = 'changed' WHERE id = '{aid}'")
    with pytest.raises(RuntimeError, match="immutable"):
        db(f"DELETE FROM approvals WHERE id = '{aid}'")


def test_list_approvals_of_a_unit(api, staff, history):
    ours = set()
    for rid in history["ids"].values():
        ours |= {x["id"] for x in steps(api, staff.supervisor, rid)}
    for tok in (staff.supervisor, staff.admin):
        got = approval_ids(api, tok, unit=staff.unit)
        assert set(got) >= ours and len(got) == len(set(got))
    # staff of the unit see their unit's steps without asking
    for tok in (staff.clerk, staff.approver):
        got = set(approval_ids(api, tok))
        assert ours <= got
    # another unit's staff see none of them
    for tok in (staff.other_clerk, staff.other_approver):
        assert not set(approval_ids(api, tok)) & ours
        assert approval_ids(api, tok, unit=staff.unit) == []


def test_list_approvals_filters(api, staff, history):
    ids = history["ids"]
    tok = staff.supervisor
    unit = staff.unit
    r = api.get("/v1/approvals", token=tok,
                params={"unit": unit, "action": "decide", "limit": 100})
    decides = r.json()["data"]
    assert decides and all(x["action"] == "decide" and x["unit_id"] == unit for x in decides)
    assert {x["request_id"] for x in decides} >= {ids["disclosure"], ids["approval"],
                                                  ids["withheld"]}
    r = api.get("/v1/approvals", token=tok,
                params={"unit": unit, "outcome": "withheld", "limit": 100})
    assert {x["request_id"] for x in r.json()["data"]} >= {ids["withheld"]}
    assert all(x["outcome"] == "withheld" for x in r.json()["data"])
    r = api.get("/v1/approvals", token=tok,
                params={"unit": unit, "outcome": "approved", "action": "decide", "limit": 100})
    assert ids["approval"] in {x["request_id"] for x in r.json()["data"]}
    assert all(x["outcome"] == "approved" for x in r.json()["data"])
    for action in ("submit", "request_correction", "resubmit", "accept", "extend", "pause",
                   "resume", "refuse_acceptance", "withdraw"):
        r = api.get("/v1/approvals", token=tok,
                    params={"unit": unit, "action": action, "limit": 100})
        got = r.json()["data"]
        assert got and all(x["action"] == action for x in got), action
    # the time window
    window = approval_ids(api, tok, unit=unit, **{"from": iso(history["t0"]),
                                                  "to": iso(history["t1"])})
    ours = set()
    for rid in ids.values():
        ours |= {x["id"] for x in steps(api, tok, rid)}
    assert set(window) >= ours
    future = iso(utc_now() + dt.timedelta(hours=1))
    assert approval_ids(api, tok, unit=unit, **{"from": future}) == []
    assert approval_ids(api, tok, unit=unit, to=iso(history["t0"] - dt.timedelta(days=1))) \
        == []
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
    assert set(approval_ids(api, tok, unit=unit, **{"from": today, "to": today})) >= ours


def test_list_approvals_order_and_pagination(api, staff, history):
    full = walk(api, f"/v1/approvals?unit={staff.unit}&limit=100", staff.supervisor)
    paged = walk(api, f"/v1/approvals?unit={staff.unit}&limit=3", staff.supervisor)
    assert [x["id"] for x in paged] == [x["id"] for x in full]
    assert len({x["id"] for x in paged}) == len(paged)
    # newest first (whole seconds on the wire; ties ordered by the exact time)
    times = [x["at"] for x in full]
    assert times == sorted(times, reverse=True)


def test_list_approvals_roles(api, staff, history, applicant):
    assert_problem(api.get("/v1/approvals", token=applicant.token), 403, "forbidden")
    assert_problem(api.get("/v1/approvals"), 401, "unauthorized")


@pytest.mark.parametrize("query", [
    "action=approve", "outcome=granted", "unit=PSB", "from=yesterday", "to=2019-13-01",
    "limit=0", "limit=101", "cursor=!!!",
])
def test_list_approvals_bad_query_400(api, staff, query):
    r = api.get("/v1/approvals?" + query, token=staff.supervisor)
    doc = assert_problem(r, 400, "bad-request")
    assert error_pointers(doc) == ["/query/" + query.split("=")[0]]
