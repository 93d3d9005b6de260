"""Appeals (issue 12): what the applicant did with a request's answer outside
the unit, administrative reconsideration (行政复议) and litigation (行政诉讼),
recorded by the clerks of the request's unit with their result and
documents. Who may record and read them, bad input that changes nothing, the
result recorded once, the finding a corrected answer (纠正) opens (once per
appeal), documents up and down, the request's `appeals`, the lists with their
filters and pages, and table 四 of the annual report form
(appeal_report_counts, sql/015) recomputed here from the rows.

Every request this module makes goes to a unit of its own, so lists filtered
by that unit hold only rows the test made. Dates are Asia/Shanghai days,
computed here (tests/api/test_requests.py WorkCal), never read back from the
server.
"""

import contextlib
import datetime as dt
import hashlib
import time
import uuid
from types import SimpleNamespace

import pytest

from conftest import assert_problem, error_pointers, uniq
from test_findings import JPEG, PDF, PNG
from test_requests import (at10, create, decide_body, disclosure_body, paper, shanghai_today,
                           walk)
# fixtures, used by name
from test_requests import cal, identity_encoding, new_applicant  # noqa: F401

LONG = 7200
REMEDY = "如不服本答复，可自收到之日起六十日内向市人民政府申请行政复议，或者六个月内向人民法院提起行政诉讼。"
APPEAL_KEYS = {"id", "request_id", "request_number", "unit_id", "kind", "body", "filed_on",
               "after_reconsideration", "result", "result_on", "case_number", "note",
               "finding_id", "documents", "recorded_by", "created_at", "updated_at", "version",
               "allowed_actions"}
SUMMARY_KEYS = {"id", "kind", "body", "filed_on", "after_reconsideration", "result", "result_on"}
CATEGORIES = ["reconsideration", "litigation_direct", "litigation_after_reconsideration"]
RESULTS = ["upheld", "corrected", "other", "pending", "total"]


def mint(tokens, role, **claims):
    return tokens.mint(role, exp=int(time.time()) + LONG, **claims)


def make_staff(make_unit, tokens, demo_units, prefix="AP-"):
    u = make_unit(kind="municipal_agency", code=uniq(prefix), name="测试复议诉讼局" + uniq())
    subs = {k: str(uuid.uuid4()) for k in ("clerk", "clerk2", "approver", "supervisor")}
    return SimpleNamespace(
        unit=u["id"], subs=subs,
        clerk=mint(tokens, "clerk", unit=u["id"], sub=subs["clerk"]),
        clerk2=mint(tokens, "clerk", unit=u["id"], sub=subs["clerk2"]),
        approver=mint(tokens, "approver", unit=u["id"], sub=subs["approver"]),
        supervisor=mint(tokens, "supervisor", sub=subs["supervisor"]),
        admin=mint(tokens, "admin"),
        other_clerk=mint(tokens, "clerk", unit=demo_units["AIC"]),
        other_approver=mint(tokens, "approver", unit=demo_units["AIC"]))


@pytest.fixture(scope="module")
def staff(make_unit, tokens, demo_units):
    """A unit of this module's own, two clerks and an approver of it, a
    supervisor, an admin, and the staff of another unit (AIC)."""
    return make_staff(make_unit, tokens, demo_units)


@pytest.fixture(scope="module")
def applicant(new_applicant):
    return new_applicant()


@pytest.fixture
def nothing_changed(db):
    """with nothing_changed(): ... asserts that no appeal, document, rating,
    finding, file, audit entry or request appeared or changed."""
    sql = ("SELECT (SELECT count(*) FROM appeals), (SELECT coalesce(sum(version), 0) FROM appeals),"
           " (SELECT count(*) FROM appeal_documents), (SELECT count(*) FROM ratings),"
           " (SELECT count(*) FROM findings), (SELECT count(*) FROM finding_steps),"
           " (SELECT count(*) FROM files), (SELECT count(*) FROM audit_log),"
           " (SELECT count(*) FROM requests), (SELECT coalesce(sum(version), 0) FROM requests)")

    @contextlib.contextmanager
    def _unchanged():
        before = db.read(sql)
        yield
        after = db.read(sql)
        assert after == before, f"database changed: before {before}, after {after}"
    return _unchanged


# --------------------------------------------------------------------------
# helpers


def today():
    return shanghai_today()


def tomorrow():
    return (today() + dt.timedelta(days=1)).isoformat()


def yesterday():
    return (today() - dt.timedelta(days=1)).isoformat()


def decided(api, staff, who, outcome="withheld"):
    """A disclosure request of who's to our unit, decided today."""
    rid = create(api, who.token, disclosure_body(staff.unit))["id"]
    body = decide_body("disclosure", outcome=outcome)
    if outcome in ("withheld", "partially_disclosed"):
        body["reason_code"] = "third_party_rights"
    r = api.post(f"/v1/requests/{rid}/approvals", token=staff.approver, json=body)
    assert r.status_code == 201, r.content
    return r.json()["request"]


def reconsideration(**over):
    body = {"kind": "reconsideration", "body": "市人民政府", "filed_on": today().isoformat(),
            "case_number": "市政复〔" + uniq() + "〕号"}
    body.update(over)
    return body


def litigation(after=False, **over):
    body = {"kind": "litigation", "body": "市中级人民法院", "filed_on": today().isoformat(),
            "after_reconsideration": after}
    body.update(over)
    return body


def record(api, tok, rid, body):
    r = api.post(f"/v1/requests/{rid}/appeals", token=tok, json=body)
    assert r.status_code == 201, r.content
    doc = r.json()
    assert r.headers["Location"] == f"/v1/requests/{rid}/appeals/{doc['id']}"
    assert r.headers["ETag"] == f'"{doc["version"]}"'
    assert set(doc) == APPEAL_KEYS
    return doc


def result(api, tok, rid, aid, body):
    r = api.post(f"/v1/requests/{rid}/appeals/{aid}/result", token=tok, json=body)
    assert r.status_code == 200, r.content
    assert r.headers["Content-Location"] == f"/v1/requests/{rid}/appeals/{aid}"
    doc = r.json()
    assert r.headers["ETag"] == f'"{doc["version"]}"'
    return doc


def get_appeal(api, tok, rid, aid):
    r = api.get(f"/v1/requests/{rid}/appeals/{aid}", token=tok)
    assert r.status_code == 200, r.content
    return r.json()


def get_request(api, tok, rid):
    r = api.get(f"/v1/requests/{rid}", token=tok)
    assert r.status_code == 200, r.content
    return r


def upload(api, tok, rid, aid, data=PDF, filename="行政复议决定书.pdf",
           ctype="application/pdf"):
    headers = {"Content-Type": ctype} if ctype else {}
    params = {"filename": filename} if filename is not None else {}
    return api.post(f"/v1/requests/{rid}/appeals/{aid}/documents", token=tok, params=params,
                    data=data, headers=headers)


def findings_on(api, staff, rid):
    r = api.get("/v1/findings", token=staff.supervisor,
                params={"unit": staff.unit, "source": "complaint", "limit": 100})
    assert r.status_code == 200, r.content
    return [f for f in r.json()["data"] if f["request_id"] == rid]


def audit(api, tok, **params):
    r = api.get("/v1/audit", token=tok, params=dict(limit=100, **params))
    assert r.status_code == 200, r.content
    return r.json()["data"]


def summary(a):
    return {k: a[k] for k in SUMMARY_KEYS}


# --------------------------------------------------------------------------
# recording and reading


def test_record_and_read(api, staff, applicant, new_applicant, db):
    req = decided(api, staff, applicant)
    rid = req["id"]
    assert req["appeals"] == []
    tag = get_request(api, applicant.token, rid).headers["ETag"]
    a = record(api, staff.clerk, rid, reconsideration(case_number="市政复〔2026〕7号",
                                                        note="申请人认为答复理由不足。"))
    assert (a["kind"], a["body"], a["filed_on"], a["after_reconsideration"]) == (
        "reconsideration", "市人民政府", today().isoformat(), None)
    assert (a["result"], a["result_on"], a["finding_id"]) == ("pending", None, None)
    assert (a["case_number"], a["note"]) == ("市政复〔2026〕7号", "申请人认为答复理由不足。")
    assert (a["request_id"], a["request_number"], a["unit_id"]) == (rid, req["number"],
                                                                    staff.unit)
    assert a["recorded_by"] == staff.subs["clerk"] and a["documents"] == []
    assert a["version"] == 1 and a["allowed_actions"] == ["record_result", "upload_document"]
    # the request lists it, and its ETag moved
    r = api.get(f"/v1/requests/{rid}", token=applicant.token, headers={"If-None-Match": tag})
    assert r.status_code == 200, "an appeal was recorded but the request answered 304"
    assert r.json()["appeals"] == [summary(a)]
    assert r.json()["version"] == req["version"] + 1
    # who reads it: the applicant (no finding id, no actions), the unit's staff, the office
    for tok, actions in ((applicant.token, []), (staff.clerk2, ["record_result", "upload_document"]),
                         (staff.approver, []), (staff.supervisor, []), (staff.admin, [])):
        g = get_appeal(api, tok, rid, a["id"])
        assert g == dict(a, allowed_actions=actions), tok
        r = api.get(f"/v1/requests/{rid}/appeals", token=tok)
        assert r.status_code == 200, r.content
        assert r.json() == {"data": [g], "next_cursor": None}
    # nobody else, and nothing without a token
    for tok in (staff.other_clerk, staff.other_approver, new_applicant().token):
        assert_problem(api.get(f"/v1/requests/{rid}/appeals", token=tok), 404, "not-found")
        assert_problem(api.get(f"/v1/requests/{rid}/appeals/{a['id']}", token=tok), 404,
                       "not-found")
    assert_problem(api.get(f"/v1/requests/{rid}/appeals"), 401, "unauthorized")
    assert_problem(api.get(f"/v1/requests/{rid}/appeals/{a['id']}"), 401, "unauthorized")
    # ETag and 304
    r = api.get(f"/v1/requests/{rid}/appeals/{a['id']}", token=staff.clerk,
                headers={"If-None-Match": '"1"'})
    assert r.status_code == 304 and r.content == b""
    # an appeal of another request, a random and a malformed id
    other = decided(api, staff, applicant)
    for path in (f"/v1/requests/{other['id']}/appeals/{a['id']}",
                 f"/v1/requests/{rid}/appeals/{uuid.uuid4()}",
                 f"/v1/requests/{rid}/appeals/not-a-uuid",
                 f"/v1/requests/{uuid.uuid4()}/appeals",
                 "/v1/requests/nope/appeals"):
        assert_problem(api.get(path, token=staff.supervisor), 404, "not-found")
    # audited, by the clerk
    entries = audit(api, staff.supervisor, entity="appeal", entity_id=a["id"])
    assert [(e["action"], e["actor"], e["role"]) for e in entries] == [
        ("appeal.create", staff.subs["clerk"], "clerk")]
    assert entries[0]["detail"]["request_id"] == rid
    assert entries[0]["detail"]["result"] == "pending"
    row = db(f"SELECT kind, result, result_on, finding_id, recorded_role FROM appeals"
             f" WHERE id = '{a['id']}'")
    assert row == [["reconsideration", "pending", "", "", "clerk"]]


def test_who_may_record(api, staff, applicant, nothing_changed):
    rid = decided(api, staff, applicant)["id"]
    with nothing_changed():
        for tok in (staff.approver, staff.supervisor, staff.admin, applicant.token):
            r = api.post(f"/v1/requests/{rid}/appeals", token=tok, json=reconsideration())
            assert_problem(r, 403, "forbidden")
        # another unit's clerk does not see the request
        r = api.post(f"/v1/requests/{rid}/appeals", token=staff.other_clerk,
                     json=reconsideration())
        assert_problem(r, 404, "not-found")
        assert_problem(api.post(f"/v1/requests/{rid}/appeals", json=reconsideration()), 401,
                       "unauthorized")
        for bad in (str(uuid.uuid4()), "not-a-uuid"):
            r = api.post(f"/v1/requests/{bad}/appeals", token=staff.clerk,
                         json=reconsideration())
            assert_problem(r, 404, "not-found")


def test_any_request_may_be_appealed(api, staff, applicant):
    """Inaction is appealable too: an open request, and one not accepted."""
    rid = create(api, applicant.token, disclosure_body(staff.unit))["id"]
    a = record(api, staff.clerk, rid, litigation(after=False))
    assert a["after_reconsideration"] is False and a["kind"] == "litigation"
    r = api.post(f"/v1/requests/{rid}/approvals", token=staff.clerk,
                 json={"action": "refuse_acceptance", "reason": "申请内容不属于政府信息。"})
    assert r.status_code == 201, r.content
    record(api, staff.clerk, rid, reconsideration())


BAD = [
    ({}, ["/kind", "/body", "/filed_on"]),
    (reconsideration(kind="lawsuit"), ["/kind"]),
    (reconsideration(body=""), ["/body"]),
    (reconsideration(body="法" * 201), ["/body"]),
    (reconsideration(body=None), ["/body"]),
    (reconsideration(filed_on="2026-13-01"), ["/filed_on"]),
    (reconsideration(filed_on="2026/12/01"), ["/filed_on"]),
    ("tomorrow", ["/filed_on"]),
    ("before receipt", ["/filed_on"]),
    (litigation(after=None), ["/after_reconsideration"]),
    ("litigation without after", ["/after_reconsideration"]),
    (reconsideration(after_reconsideration=True), ["/after_reconsideration"]),
    (reconsideration(after_reconsideration=False), ["/after_reconsideration"]),
    (litigation(after="yes"), ["/after_reconsideration"]),
    (reconsideration(result="upheld"), ["/result_on"]),
    (reconsideration(result="upheld", result_on=None), ["/result_on"]),
    ("pending with a day", ["/result_on"]),
    ("result before filing", ["/result_on"]),
    ("result tomorrow", ["/result_on"]),
    (reconsideration(result="won"), ["/result"]),
    (reconsideration(result=None), ["/result"]),
    (reconsideration(case_number=""), ["/case_number"]),
    (reconsideration(case_number="号" * 101), ["/case_number"]),
    (reconsideration(note="注" * 2001), ["/note"]),
    (reconsideration(colour="red"), ["/colour"]),
    (reconsideration(result_on="2026-02-30", result="other"), ["/result_on"]),
]


@pytest.mark.parametrize("body, pointers", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input_422(api, staff, applicant, nothing_changed, body, pointers):
    rid = decided(api, staff, applicant)["id"]
    if body == "tomorrow":
        body = reconsideration(filed_on=tomorrow())
    elif body == "before receipt":
        body = reconsideration(filed_on=yesterday())  # received today, online
    elif body == "litigation without after":
        body = litigation()
        del body["after_reconsideration"]
    elif body == "pending with a day":
        body = reconsideration(result="pending", result_on=today().isoformat())
    elif body == "result before filing":
        body = reconsideration(result="upheld", result_on=yesterday())
    elif body == "result tomorrow":
        body = reconsideration(result="upheld", result_on=tomorrow())
    with nothing_changed():
        r = api.post(f"/v1/requests/{rid}/appeals", token=staff.clerk, json=body)
        doc = assert_problem(r, 422, "validation")
    assert sorted(error_pointers(doc)) == sorted(pointers), doc


def test_not_json_and_not_an_object(api, staff, applicant, nothing_changed):
    rid = decided(api, staff, applicant)["id"]
    with nothing_changed():
        r = api.post(f"/v1/requests/{rid}/appeals", token=staff.clerk, data=b"{",
                     headers={"Content-Type": "application/json"})
        assert_problem(r, 400, "invalid-json")
        r = api.post(f"/v1/requests/{rid}/appeals", token=staff.clerk, json=[1])
        assert_problem(r, 400, "invalid-json")
        r = api.post(f"/v1/requests/{rid}/appeals", token=staff.clerk, data=b"kind=x",
                     headers={"Content-Type": "text/plain"})
        assert_problem(r, 415, "unsupported-media-type")


def test_filed_on_the_day_a_paper_application_arrived(api, staff, cal, nothing_changed):
    """filed_on may be the day of receipt (in Shanghai) of a paper
    application registered late, not the day before."""
    s = cal.back(8)
    rid = create(api, staff.clerk, paper(disclosure_body(staff.unit), at10(s)))["id"]
    with nothing_changed():
        r = api.post(f"/v1/requests/{rid}/appeals", token=staff.clerk,
                     json=reconsideration(filed_on=(s - dt.timedelta(days=1)).isoformat()))
        assert error_pointers(assert_problem(r, 422, "validation")) == ["/filed_on"]
    a = record(api, staff.clerk, rid, reconsideration(filed_on=s.isoformat()))
    assert a["filed_on"] == s.isoformat()


# --------------------------------------------------------------------------
# the result, recorded once


def test_result_recorded_once(api, staff, applicant, nothing_changed, db):
    req = decided(api, staff, applicant, outcome="disclosed")
    rid = req["id"]
    a = record(api, staff.clerk, rid, reconsideration(note="旧备注"))
    path = f"/v1/requests/{rid}/appeals/{a['id']}/result"
    with nothing_changed():
        for body, pointers in (
                ({}, ["/result", "/result_on"]),
                ({"result": "pending", "result_on": today().isoformat()}, ["/result"]),
                ({"result": "upheld"}, ["/result_on"]),
                ({"result": "upheld", "result_on": yesterday()}, ["/result_on"]),
                ({"result": "upheld", "result_on": tomorrow()}, ["/result_on"]),
                ({"result": "upheld", "result_on": "2026-02-29"}, ["/result_on"]),
                ({"result": "upheld", "result_on": today().isoformat(), "note": 5}, ["/note"]),
                ({"result": "upheld", "result_on": today().isoformat(), "x": 1}, ["/x"])):
            doc = assert_problem(api.post(path, token=staff.clerk, json=body), 422, "validation")
            assert sorted(error_pointers(doc)) == sorted(pointers), (body, doc)
        for tok in (staff.approver, staff.supervisor, staff.admin, applicant.token):
            r = api.post(path, token=tok, json={"result": "upheld",
                                                 "result_on": today().isoformat()})
            assert_problem(r, 403, "forbidden")
        r = api.post(path, token=staff.other_clerk, json={"result": "upheld",
                                                           "result_on": today().isoformat()})
        assert_problem(r, 404, "not-found")
        for bad in (f"/v1/requests/{rid}/appeals/{uuid.uuid4()}/result",
                    f"/v1/requests/{rid}/appeals/x/result"):
            r = api.post(bad, token=staff.clerk, json={"result": "upheld",
                                                       "result_on": today().isoformat()})
            assert_problem(r, 404, "not-found")
    tag = get_request(api, staff.clerk, rid).headers["ETag"]
    g = result(api, staff.clerk2, rid, a["id"], {"result": "upheld",
                                                 "result_on": today().isoformat()})
    assert (g["result"], g["result_on"], g["version"]) == ("upheld", today().isoformat(), 2)
    assert g["note"] == "旧备注" and g["finding_id"] is None
    assert g["allowed_actions"] == ["upload_document"]
    r = api.get(f"/v1/requests/{rid}", token=applicant.token, headers={"If-None-Match": tag})
    assert r.status_code == 200 and r.json()["appeals"] == [summary(g)]
    # once: a recorded result is not changed, whoever tries
    with nothing_changed():
        r = api.post(path, token=staff.clerk, json={"result": "corrected",
                                                    "result_on": today().isoformat()})
        doc = assert_problem(r, 409, "conflict")
        assert doc["current_status"] == "upheld" and doc["allowed_actions"] == ["upload_document"]
    assert findings_on(api, staff, rid) == []
    entries = audit(api, staff.supervisor, entity="appeal", entity_id=a["id"])
    assert [e["action"] for e in entries] == ["appeal.result", "appeal.create"]
    assert entries[0]["detail"]["result"] == "upheld" and entries[0]["actor"] == staff.subs["clerk2"]


# --------------------------------------------------------------------------
# a corrected answer opens a finding on the unit, once per appeal


def check_finding(api, staff, f, rid, category, cal):
    assert f["source"] == "complaint" and f["category"] == category
    assert f["severity"] == "yellow" and f["status"] == "open"
    assert f["unit_id"] == staff.unit and f["request_id"] == rid
    assert f["rectify_by"] == cal.add(today(), 15).isoformat()
    g = api.get(f"/v1/findings/{f['id']}", token=staff.supervisor).json()
    assert (g["created_by"], g["created_role"], g["rule"]) == ("system", "system", None)
    assert "纠正" in g["title"]


def test_corrected_result_opens_one_finding(api, staff, applicant, cal, db):
    req = decided(api, staff, applicant, outcome="withheld")
    rid = req["id"]
    a = record(api, staff.clerk, rid, reconsideration())
    assert findings_on(api, staff, rid) == []
    g = result(api, staff.clerk, rid, a["id"], {"result": "corrected",
                                                "result_on": today().isoformat(),
                                                "note": "复议机关责令重新答复。"})
    fs = findings_on(api, staff, rid)
    assert len(fs) == 1
    f = fs[0]
    check_finding(api, staff, f, rid, "improper_refusal", cal)  # the answer withheld it
    assert g["finding_id"] == f["id"] and g["note"] == "复议机关责令重新答复。"
    # the staff and the office see which finding; the applicant does not
    assert get_appeal(api, staff.approver, rid, a["id"])["finding_id"] == f["id"]
    assert get_appeal(api, applicant.token, rid, a["id"])["finding_id"] is None
    # the unit may read and rectify it like any finding
    assert api.get(f"/v1/findings/{f['id']}", token=staff.clerk).status_code == 200
    # a second appeal of the same request, corrected at once: its own finding
    b = record(api, staff.clerk, rid, litigation(after=True, result="corrected",
                                                 result_on=today().isoformat()))
    fs = findings_on(api, staff, rid)
    assert len(fs) == 2 and b["finding_id"] in {x["id"] for x in fs}
    assert b["finding_id"] != f["id"]
    # in the database: one finding per corrected appeal, each audited as the system's
    assert db(f"SELECT count(*), count(DISTINCT finding_id) FROM appeals"
              f" WHERE request_id = '{rid}' AND result = 'corrected'") == [["2", "2"]]
    for fid in (f["id"], b["finding_id"]):
        entries = audit(api, staff.supervisor, entity="finding", entity_id=fid)
        assert [(e["action"], e["actor"], e["role"]) for e in entries] == [
            ("finding.create", "system", "system")]
        assert entries[0]["detail"]["request_id"] == rid
        assert db(f"SELECT action, actor, actor_role FROM finding_steps"
                  f" WHERE finding_id = '{fid}'") == [["create", "system", "system"]]


def test_corrected_category_follows_the_answer(api, staff, applicant, cal):
    """An answer that gave the information and was corrected anyway (or an
    open case, inaction) is `other`, not an improper refusal."""
    rid = decided(api, staff, applicant, outcome="disclosed")["id"]
    record(api, staff.clerk, rid, reconsideration(result="corrected",
                                                  result_on=today().isoformat()))
    (f,) = findings_on(api, staff, rid)
    check_finding(api, staff, f, rid, "other", cal)
    rid = create(api, applicant.token, disclosure_body(staff.unit))["id"]
    record(api, staff.clerk, rid, litigation(result="corrected", result_on=today().isoformat()))
    (f,) = findings_on(api, staff, rid)
    check_finding(api, staff, f, rid, "other", cal)


def test_upheld_and_other_open_nothing(api, staff, applicant):
    rid = decided(api, staff, applicant)["id"]
    for r in ("upheld", "other"):
        a = record(api, staff.clerk, rid, reconsideration(result=r,
                                                          result_on=today().isoformat()))
        assert a["finding_id"] is None
    assert findings_on(api, staff, rid) == []


# --------------------------------------------------------------------------
# documents


def test_documents_up_and_down(api, staff, applicant, new_applicant, db, nothing_changed):
    rid = decided(api, staff, applicant)["id"]
    a = record(api, staff.clerk, rid, reconsideration())
    tag = f'"{a["version"]}"'
    r = upload(api, staff.clerk, rid, a["id"])
    assert r.status_code == 201, r.content
    pdf = r.json()
    assert r.headers["ETag"] == f'"{pdf["sha256"]}"'
    assert r.headers["Location"] == \
        f"/v1/requests/{rid}/appeals/{a['id']}/documents/{pdf['id']}/content"
    assert pdf["sha256"] == hashlib.sha256(PDF).hexdigest() and pdf["size"] == len(PDF)
    assert (pdf["appeal_id"], pdf["filename"], pdf["content_type"], pdf["uploaded_by"]) == (
        a["id"], "行政复议决定书.pdf", "application/pdf", staff.subs["clerk"])
    r = upload(api, staff.clerk2, rid, a["id"], PNG, "送达回证.PNG", "application/octet-stream")
    assert r.status_code == 201, r.content
    png = r.json()
    assert png["content_type"] == "image/png"
    # the appeal lists them, oldest first, and its ETag moved
    r = api.get(f"/v1/requests/{rid}/appeals/{a['id']}", token=applicant.token,
                headers={"If-None-Match": tag})
    assert r.status_code == 200
    g = r.json()
    assert g["version"] == 3
    assert [d["id"] for d in g["documents"]] == [pdf["id"], png["id"]]
    assert g["documents"][0] == {k: v for k, v in pdf.items() if k != "appeal_id"}
    # downloaded by whoever reads the request, byte for byte
    for doc, data, mime in ((pdf, PDF, "application/pdf"), (png, PNG, "image/png")):
        path = f"/v1/requests/{rid}/appeals/{a['id']}/documents/{doc['id']}/content"
        for tok in (applicant.token, staff.clerk, staff.approver, staff.supervisor, staff.admin):
            r = api.get(path, token=tok)
            assert r.status_code == 200, r.content
            assert r.content == data
            assert r.headers["Content-Type"].split(";")[0] == mime
            assert r.headers["ETag"] == f'"{doc["sha256"]}"'
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert r.headers["Content-Disposition"].startswith("attachment;")
        r = api.get(path, token=applicant.token, headers={"If-None-Match": f'"{doc["sha256"]}"'})
        assert r.status_code == 304 and r.content == b""
        assert_problem(api.get(path), 401, "unauthorized")
        for tok in (staff.other_clerk, new_applicant().token):
            assert_problem(api.get(path, token=tok), 404, "not-found")
    # a document under another appeal, an unknown and a malformed id
    b = record(api, staff.clerk, rid, reconsideration())
    for path in (f"/v1/requests/{rid}/appeals/{b['id']}/documents/{pdf['id']}/content",
                 f"/v1/requests/{rid}/appeals/{a['id']}/documents/{uuid.uuid4()}/content",
                 f"/v1/requests/{rid}/appeals/{a['id']}/documents/nope/content"):
        assert_problem(api.get(path, token=staff.supervisor), 404, "not-found")
    # refused uploads change nothing
    with nothing_changed():
        for data, name, ctype, status, slug in (
                (PNG, "决定书.pdf", "application/pdf", 415, "unsupported-media-type"),
                (b"%PDF-1.4 not really", "a.pdf", "application/pdf", 415,
                 "unsupported-media-type"),
                (PDF, "a.pdf", "text/plain", 415, "unsupported-media-type"),
                (PDF, "决定书.png", "application/octet-stream", 422, "validation"),
                (b"", "a.pdf", "application/pdf", 422, "validation"),
                (PDF, None, "application/pdf", 400, "bad-request"),
                (PDF, "../a.pdf", "application/pdf", 400, "bad-request")):
            assert_problem(upload(api, staff.clerk, rid, a["id"], data, name, ctype), status, slug)
        for tok in (staff.approver, staff.supervisor, applicant.token):
            assert_problem(upload(api, tok, rid, a["id"]), 403, "forbidden")
        assert_problem(upload(api, staff.other_clerk, rid, a["id"]), 404, "not-found")
        assert_problem(upload(api, staff.clerk, rid, str(uuid.uuid4())), 404, "not-found")
    # a decided appeal still takes documents (the judgment comes after the result)
    result(api, staff.clerk, rid, b["id"], {"result": "other", "result_on": today().isoformat()})
    r = upload(api, staff.clerk, rid, b["id"], JPEG, "判决书.jpg", "image/jpeg")
    assert r.status_code == 201, r.content
    ups = [e for e in audit(api, staff.supervisor, entity="appeal", entity_id=a["id"])
           if e["action"] == "appeal.document_upload"]
    assert len(ups) == 2 and {e["detail"]["document_id"] for e in ups} == {pdf["id"], png["id"]}
    assert db(f"SELECT count(*) FROM appeal_documents WHERE appeal_id = '{a['id']}'") == [["2"]]


# --------------------------------------------------------------------------
# the request's appeals


def test_request_lists_its_appeals_newest_first(api, staff, applicant):
    rid = decided(api, staff, applicant)["id"]
    first = record(api, staff.clerk, rid, reconsideration())
    second = record(api, staff.clerk, rid, litigation(after=True))
    req = get_request(api, applicant.token, rid).json()
    assert req["appeals"] == [summary(second), summary(first)]
    # and in the list of requests
    r = api.get("/v1/requests", token=staff.clerk, params={"unit": staff.unit, "limit": 100})
    assert r.status_code == 200
    (row,) = [x for x in r.json()["data"] if x["id"] == rid]
    assert row["appeals"] == req["appeals"]
    # the page of appeals, newest recorded first, one a page
    got = walk(api, f"/v1/requests/{rid}/appeals?limit=1", applicant.token)
    assert [x["id"] for x in got] == [second["id"], first["id"]]


# --------------------------------------------------------------------------
# the list of appeals: scope, filters, pages


@pytest.fixture(scope="module")
def listed(api, make_unit, tokens, demo_units, new_applicant):
    """A unit of its own with appeals of each kind and result, some filed last
    year (on a paper application received last year)."""
    st = make_staff(make_unit, tokens, demo_units, prefix="AL-")
    who = new_applicant()
    last = today().year - 1
    jan2 = dt.date(last, 1, 2)
    old = create(api, st.clerk, paper(disclosure_body(st.unit), at10(jan2),
                                      account_id=who.id))["id"]
    new = decided(api, st, who)["id"]
    made = []
    made.append(record(api, st.clerk, old, reconsideration(filed_on=f"{last}-03-01")))
    made.append(record(api, st.clerk, old, litigation(after=True, filed_on=f"{last}-06-01",
                                                      result="upheld",
                                                      result_on=f"{last}-09-01")))
    made.append(record(api, st.clerk, new, reconsideration(result="corrected",
                                                           result_on=today().isoformat())))
    made.append(record(api, st.clerk, new, litigation()))
    made.append(record(api, st.clerk, new, reconsideration(result="other",
                                                           result_on=today().isoformat())))
    return SimpleNamespace(st=st, made=made, last=last, old=old, new=new)


def test_list_scope_filters_and_pages(api, listed, tokens):
    st, made = listed.st, listed.made
    newest_first = [a["id"] for a in reversed(made)]
    for tok in (st.supervisor, st.admin):
        got = walk(api, f"/v1/appeals?unit={st.unit}&limit=2", tok)
        assert [a["id"] for a in got] == newest_first
    # the unit's staff see their unit's without asking
    for tok in (st.clerk, st.approver):
        got = walk(api, "/v1/appeals?limit=100", tok)
        assert [a["id"] for a in got] == newest_first
    # another unit's staff see none of them
    got = walk(api, f"/v1/appeals?unit={st.unit}&limit=100", st.other_clerk)
    assert got == []
    ids = lambda q: [a["id"] for a in walk(api, f"/v1/appeals?unit={st.unit}&limit=2&{q}",
                                          st.supervisor)]
    by = lambda pred: [a["id"] for a in reversed(made) if pred(a)]
    assert ids("kind=litigation") == by(lambda a: a["kind"] == "litigation")
    assert ids("result=pending") == by(lambda a: a["result"] == "pending")
    assert ids("result=corrected") == by(lambda a: a["result"] == "corrected")
    assert ids(f"year={listed.last}") == by(lambda a: a["filed_on"].startswith(str(listed.last)))
    assert ids(f"year={listed.last}&kind=reconsideration") == [made[0]["id"]]
    assert ids("year=2001") == []
    # the public has no such list
    assert_problem(api.get("/v1/appeals", token=mint(tokens, "public")), 403, "forbidden")
    assert_problem(api.get("/v1/appeals"), 401, "unauthorized")


@pytest.mark.parametrize("query, name", [
    ("year=1999", "year"), ("year=20x6", "year"), ("year=99999", "year"),
    ("kind=appeal", "kind"), ("result=won", "result"), ("unit=abc", "unit"),
    ("limit=0", "limit"), ("limit=101", "limit"), ("cursor=%21%21", "cursor"),
])
def test_list_bad_query_400(api, listed, query, name):
    r = api.get(f"/v1/appeals?{query}", token=listed.st.supervisor)
    doc = assert_problem(r, 400, "bad-request")
    assert error_pointers(doc) == [f"/query/{name}"], doc


# --------------------------------------------------------------------------
# table 四 of the annual report form


def report(db, year, unit=None):
    u = "NULL" if unit is None else f"'{unit}'"
    return [(c, r, int(n)) for c, r, n in
            db(f"SELECT category, result, count FROM appeal_report_counts({year}, {u})")]


def expected(rows, year):
    """Table 四 from the appeals rows: filed in the year; pending unless
    decided by 31 December."""
    end = dt.date(year, 12, 31)
    cells = {(c, r): 0 for c in CATEGORIES for r in RESULTS}
    for kind, after, res, res_on, filed in rows:
        if dt.date.fromisoformat(filed).year != year:
            continue
        cat = "reconsideration" if kind == "reconsideration" else \
            "litigation_after_reconsideration" if after == "t" else "litigation_direct"
        if res == "pending" or dt.date.fromisoformat(res_on) > end:
            res = "pending"
        cells[(cat, res)] += 1
        cells[(cat, "total")] += 1
    return [(c, r, cells[(c, r)]) for c in CATEGORIES for r in RESULTS]


def test_table_4(api, db, listed):
    st = listed.st
    # one decided only this year: pending at the end of last year
    a = record(api, st.clerk, listed.old, litigation(after=False, filed_on=f"{listed.last}-11-30"))
    result(api, st.clerk, listed.old, a["id"], {"result": "corrected",
                                                "result_on": today().isoformat()})
    rows = db(f"SELECT kind, coalesce(after_reconsideration::text, ''), result,"
              f" coalesce(result_on::text, ''), filed_on::text FROM appeals"
              f" WHERE unit_id = '{st.unit}'")
    rows = [(k, "t" if af == "true" else "f" if af == "false" else "", r, ro, f)
            for k, af, r, ro, f in rows]
    for year in (listed.last, listed.last + 1):
        got = report(db, year, st.unit)
        assert got == expected(rows, year), year
        assert len(got) == 15
    last = dict(((c, r), n) for c, r, n in report(db, listed.last, st.unit))
    assert last[("reconsideration", "pending")] == 1
    assert last[("litigation_after_reconsideration", "upheld")] == 1
    assert last[("litigation_direct", "pending")] == 1  # corrected only this year
    this = dict(((c, r), n) for c, r, n in report(db, listed.last + 1, st.unit))
    assert this[("reconsideration", "corrected")] == 1 and this[("reconsideration", "other")] == 1
    assert this[("litigation_direct", "pending")] == 1
    # the city's figures hold the unit's
    city = report(db, listed.last + 1)
    assert [(c, r) for c, r, _ in city] == [(c, r) for c in CATEGORIES for r in RESULTS]
    for (c, r, n), (_, _, m) in zip(city, report(db, listed.last + 1, st.unit)):
        assert n >= m
    # a year without appeals: fifteen zeros
    assert [n for _, _, n in report(db, 2001, st.unit)] == [0] * 15
    # the annual report's table 四, as JSON and in the form's CSV
    for year in (listed.last, listed.last + 1):
        want = expected(rows, year)
        r = api.get("/v1/reports/annual", params={"year": year, "unit": st.unit})
        assert r.status_code == 200, r.content
        assert r.json()["form"]["appeals"] == \
            {c: {res: n for cc, res, n in want if cc == c} for c in CATEGORIES}
        r = api.get("/v1/reports/annual", params={"year": year, "unit": st.unit,
                                                  "format": "csv"})
        lines = r.content.decode("utf-8").split("\r\n")
        at = lines.index("四、政府信息公开行政复议、行政诉讼情况")
        assert lines[at + 4] == ",".join(str(n) for _, _, n in want)
    # the service's role may call it
    n = db(f"SET ROLE opengov_app; SELECT count(*) FROM appeal_report_counts({listed.last},"
           f" '{st.unit}')")
    assert n == [["15"]]
