"""Ratings (issue 12): the applicant's rating of a decided request (政务服务
"好差评"), once; who may rate (the applicant only: other roles 403, another's
request 404), bad input that changes nothing, the complaint finding a score
of 1 or 2 opens (once, and red when not rectified in time), the request's
`rating`, and the unit scoreboard's average_rating, ratings and
bad_rating_share recomputed here from the rows.

Every request this module makes goes to a unit of its own. Dates are
Asia/Shanghai days computed here (tests/api/test_requests.py WorkCal).
"""

import concurrent.futures
import contextlib
import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal

import pytest

from conftest import BASE_URL, CONTRACT, Api, assert_problem, error_pointers
from test_appeals import audit, decided, make_staff, mint
from test_requests import at10, create, decide_body, disclosure_body, paper, shanghai_today
# fixtures, used by name
from test_requests import cal, identity_encoding, new_applicant  # noqa: F401

LABELS = {1: "非常不满意", 2: "不满意", 3: "基本满意", 4: "满意", 5: "非常满意"}


@pytest.fixture(scope="module")
def staff(make_unit, tokens, demo_units):
    return make_staff(make_unit, tokens, demo_units, prefix="RT-")


@pytest.fixture
def nothing_changed(db):
    sql = ("SELECT (SELECT count(*) FROM ratings), (SELECT count(*) FROM findings),"
           " (SELECT count(*) FROM finding_steps), (SELECT count(*) FROM audit_log),"
           " (SELECT coalesce(sum(version), 0) FROM requests)")

    @contextlib.contextmanager
    def _unchanged():
        before = db.read(sql)
        yield
        after = db.read(sql)
        assert after == before, f"database changed: before {before}, after {after}"
    return _unchanged


def rate(api, tok, rid, body):
    r = api.post(f"/v1/requests/{rid}/rating", token=tok, json=body)
    assert r.status_code == 201, r.content
    doc = r.json()
    assert r.headers["Location"] == f"/v1/requests/{rid}/rating"
    assert r.headers["ETag"] == '"1"'
    assert doc["request_id"] == rid and doc["label"] == LABELS[doc["score"]]
    return doc


def complaints(api, staff, rid):
    r = api.get("/v1/findings", token=staff.supervisor,
                params={"unit": staff.unit, "source": "complaint", "limit": 100})
    assert r.status_code == 200, r.content
    return [f for f in r.json()["data"] if f["request_id"] == rid]


# --------------------------------------------------------------------------
# the applicant rates a decided request, once


def test_rate_once_decided(api, staff, new_applicant, nothing_changed, db):
    who = new_applicant()
    req = create(api, who.token, disclosure_body(staff.unit))
    rid = req["id"]
    assert req["rating"] is None
    # not before it is decided
    with nothing_changed():
        doc = assert_problem(api.post(f"/v1/requests/{rid}/rating", token=who.token,
                                      json={"score": 5}), 409, "conflict")
    assert doc["current_status"] == "submitted" and "decided" in doc["detail"]
    assert "decide" in doc["allowed_actions"]
    r = api.post(f"/v1/requests/{rid}/approvals", token=staff.approver,
                 json=decide_body("disclosure"))
    assert r.status_code == 201, r.content
    version = r.json()["request"]["version"]
    tag = api.get(f"/v1/requests/{rid}", token=who.token).headers["ETag"]
    g = rate(api, who.token, rid, {"score": 5, "comment": "答复及时，工作人员耐心。"})
    assert (g["score"], g["label"], g["comment"]) == (5, "非常满意", "答复及时，工作人员耐心。")
    # the request shows it, and its ETag moved
    r = api.get(f"/v1/requests/{rid}", token=who.token, headers={"If-None-Match": tag})
    assert r.status_code == 200, "the request was rated but answered 304"
    assert r.json()["rating"] == {"score": 5, "comment": "答复及时，工作人员耐心。",
                                  "rated_at": g["rated_at"]}
    assert r.json()["version"] == version + 1
    # whoever reads the request reads the rating
    for tok in (who.token, staff.clerk, staff.approver, staff.supervisor, staff.admin):
        r = api.get(f"/v1/requests/{rid}/rating", token=tok)
        assert r.status_code == 200 and r.json() == g, tok
        assert r.headers["ETag"] == '"1"'
        r = api.get(f"/v1/requests/{rid}/rating", token=tok, headers={"If-None-Match": '"1"'})
        assert r.status_code == 304 and r.content == b""
    for tok in (staff.other_clerk, new_applicant().token):
        assert_problem(api.get(f"/v1/requests/{rid}/rating", token=tok), 404, "not-found")
    assert_problem(api.get(f"/v1/requests/{rid}/rating"), 401, "unauthorized")
    # once
    with nothing_changed():
        for body in ({"score": 1}, {"score": 5, "comment": "再评一次"}):
            doc = assert_problem(api.post(f"/v1/requests/{rid}/rating", token=who.token,
                                          json=body), 409, "conflict")
            assert doc["current_status"] == "decided" and "once" in doc["detail"]
    # a good rating opens nothing; audited as the applicant's
    assert complaints(api, staff, rid) == []
    entries = [e for e in audit(api, staff.supervisor, entity="request", entity_id=rid)
               if e["action"] == "request.rate"]
    assert [(e["actor"], e["role"], e["detail"]["score"], e["detail"]["finding_id"])
            for e in entries] == [(who.id, "public", 5, None)]
    assert db(f"SELECT score, comment, rated_by, finding_id FROM ratings"
              f" WHERE request_id = '{rid}'") == [["5", "答复及时，工作人员耐心。", who.id, ""]]
    # not rated: 404
    other = decided(api, staff, who)["id"]
    assert_problem(api.get(f"/v1/requests/{other}/rating", token=who.token), 404, "not-found")


def test_who_may_rate(api, staff, new_applicant, tokens, nothing_changed):
    who, stranger = new_applicant(), new_applicant()
    rid = decided(api, staff, who)["id"]
    with nothing_changed():
        for tok in (staff.clerk, staff.approver, staff.supervisor, staff.admin,
                    staff.other_clerk):
            r = api.post(f"/v1/requests/{rid}/rating", token=tok, json={"score": 5})
            assert_problem(r, 403, "forbidden")
        # another applicant: no such request for them
        r = api.post(f"/v1/requests/{rid}/rating", token=stranger.token, json={"score": 1})
        assert_problem(r, 404, "not-found")
        # a public token of no account
        r = api.post(f"/v1/requests/{rid}/rating", token=mint(tokens, "public"), json={"score": 1})
        assert_problem(r, 404, "not-found")
        assert_problem(api.post(f"/v1/requests/{rid}/rating", json={"score": 5}), 401,
                       "unauthorized")
        for bad in (str(uuid.uuid4()), "not-a-uuid"):
            r = api.post(f"/v1/requests/{bad}/rating", token=who.token, json={"score": 5})
            assert_problem(r, 404, "not-found")


def test_a_paper_applicant_with_an_account_rates(api, staff, new_applicant, cal):
    """A clerk registered the paper application and linked the applicant's
    account: the applicant rates it like an online one."""
    who = new_applicant()
    s = cal.back(3)
    rid = create(api, staff.clerk, paper(disclosure_body(staff.unit), at10(s),
                                         account_id=who.id))["id"]
    r = api.post(f"/v1/requests/{rid}/approvals", token=staff.approver,
                 json=decide_body("disclosure"))
    assert r.status_code == 201, r.content
    assert rate(api, who.token, rid, {"score": 4})["comment"] is None
    assert api.get(f"/v1/requests/{rid}", token=who.token).json()["rating"]["score"] == 4


@pytest.mark.parametrize("body, pointers", [
    ({}, ["/score"]),
    ({"score": 0}, ["/score"]),
    ({"score": 6}, ["/score"]),
    ({"score": -1}, ["/score"]),
    ({"score": "5"}, ["/score"]),
    ({"score": 4.5}, ["/score"]),
    ({"score": True}, ["/score"]),
    ({"score": None}, ["/score"]),
    ({"score": 3, "comment": ""}, ["/comment"]),
    ({"score": 3, "comment": "好" * 501}, ["/comment"]),
    ({"score": 3, "comment": 123}, ["/comment"]),
    ({"score": 3, "stars": 3}, ["/stars"]),
    ({"score": 9, "comment": ""}, ["/score", "/comment"]),
])
def test_bad_input_422(api, staff, new_applicant, nothing_changed, body, pointers):
    who = new_applicant()
    rid = decided(api, staff, who)["id"]
    with nothing_changed():
        doc = assert_problem(api.post(f"/v1/requests/{rid}/rating", token=who.token, json=body),
                             422, "validation")
    assert sorted(error_pointers(doc)) == sorted(pointers), doc


def test_longest_comment(api, staff, new_applicant):
    who = new_applicant()
    rid = decided(api, staff, who)["id"]
    assert rate(api, who.token, rid, {"score": 3, "comment": "好" * 500})["label"] == "基本满意"


def test_two_at_once_one_wins(api, staff, new_applicant, db):
    who = new_applicant()
    rid = decided(api, staff, who)["id"]

    def one(score):
        own = Api(BASE_URL, CONTRACT)  # a session per thread
        return own.post(f"/v1/requests/{rid}/rating", token=who.token, json={"score": score})

    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        answers = list(ex.map(one, [1, 2, 4, 5]))
    assert sorted(r.status_code for r in answers) == [201, 409, 409, 409]
    assert db(f"SELECT count(*) FROM ratings WHERE request_id = '{rid}'") == [["1"]]
    won = [r.json()["score"] for r in answers if r.status_code == 201][0]
    assert len(complaints(api, staff, rid)) == (1 if won <= 2 else 0)


# --------------------------------------------------------------------------
# a bad rating opens a complaint finding, once


@pytest.mark.parametrize("score", [1, 2, 3])
def test_bad_rating_opens_a_finding(api, staff, new_applicant, cal, db, score):
    who = new_applicant()
    rid = decided(api, staff, who)["id"]
    rate(api, who.token, rid, {"score": score, "comment": "答复拖到最后一天。"})
    fs = complaints(api, staff, rid)
    if score > 2:
        assert fs == []
        return
    (f,) = fs
    assert (f["source"], f["category"], f["severity"], f["status"]) == (
        "complaint", "other", "yellow", "open")
    assert f["unit_id"] == staff.unit and f["request_id"] == rid
    assert f["rectify_by"] == cal.add(shanghai_today(), 15).isoformat()
    assert LABELS[score] in f["description"] and "答复拖到最后一天。" in f["description"]
    g = api.get(f"/v1/findings/{f['id']}", token=staff.supervisor).json()
    assert (g["created_by"], g["created_role"], g["rule"]) == ("system", "system", None)
    assert db(f"SELECT finding_id FROM ratings WHERE request_id = '{rid}'") == [[f["id"]]]
    entries = audit(api, staff.supervisor, entity="finding", entity_id=f["id"])
    assert [(e["action"], e["actor"], e["role"]) for e in entries] == [
        ("finding.create", "system", "system")]
    assert entries[0]["detail"]["score"] == score


def test_unrectified_bad_rating_turns_red(api, staff, new_applicant, db):
    """The monitor's escalation covers these findings like any other: still
    open the day after rectify_by, red; rectified in time, not."""
    who = new_applicant()
    rid = decided(api, staff, who)["id"]
    rate(api, who.token, rid, {"score": 1})
    (f,) = complaints(api, staff, rid)
    yesterday = (shanghai_today() - dt.timedelta(days=1)).isoformat()
    r = api.post("/v1/monitoring/runs", token=staff.supervisor)
    assert r.status_code == 201, r.content
    assert api.get(f"/v1/findings/{f['id']}", token=staff.supervisor).json()["severity"] == \
        "yellow"
    db(f"UPDATE findings SET rectify_by = '{yesterday}' WHERE id = '{f['id']}'")
    r = api.post("/v1/monitoring/runs", token=staff.supervisor)
    assert r.status_code == 201, r.content
    assert r.json()["result"]["findings_escalated"] >= 1
    g = api.get(f"/v1/findings/{f['id']}", token=staff.supervisor).json()
    assert g["severity"] == "red" and g["escalated_at"] is not None and g["status"] == "open"


# --------------------------------------------------------------------------
# the scoreboard


def scoreboard_row(api, unit, **params):
    path, seen = "/v1/stats/units", 0
    query = dict(limit=100, **params)
    for _ in range(100):
        r = api.get(path, params=query)
        assert r.status_code == 200, r.content
        for row in r.json()["data"]:
            seen += 1
            if row["unit_id"] == unit:
                return row
        if not r.json()["next_cursor"]:
            break
        query = dict(query, cursor=r.json()["next_cursor"])
    pytest.fail(f"unit {unit} not on the scoreboard ({seen} rows)")


def round_half_up(x, places):
    return float(Decimal(x).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def test_scoreboard_figures(api, make_unit, tokens, demo_units, new_applicant, db):
    st = make_staff(make_unit, tokens, demo_units, prefix="RS-")
    today = shanghai_today().isoformat()
    # a unit without ratings: nothing to average
    row = scoreboard_row(api, st.unit, **{"from": today, "to": today})
    assert (row["ratings"], row["average_rating"], row["bad_rating_share"]) == (0, None, None)
    scores = [5, 4, 2, 1, 3, 5, 4]
    for s in scores:
        who = new_applicant()
        rid = decided(api, st, who)["id"]
        rate(api, who.token, rid, {"score": s})
    # one rated long ago (straight into the table): outside the range
    who = new_applicant()
    rid = decided(api, st, who)["id"]
    db(f"INSERT INTO ratings (request_id, unit_id, score, rated_by, rated_at)"
       f" VALUES ('{rid}', '{st.unit}', 3, '{who.id}', '2021-06-01T02:00:00Z')")
    # the figures, recomputed from the rows of the range
    rows = [int(s) for (s,) in db(
        f"SELECT score FROM ratings WHERE unit_id = '{st.unit}'"
        f" AND rated_at >= ('{today}'::date)::timestamp AT TIME ZONE 'Asia/Shanghai'"
        f" AND rated_at < ('{today}'::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'")]
    assert sorted(rows) == sorted(scores)
    want_avg = round_half_up(Decimal(sum(rows)) / len(rows), 2)
    want_bad = round_half_up(Decimal(sum(1 for s in rows if s <= 2)) / len(rows), 4)
    for params in ({"from": today, "to": today}, {}):
        row = scoreboard_row(api, st.unit, **params)
        assert row["ratings"] == len(rows)
        assert row["average_rating"] == want_avg, (row, want_avg)
        assert row["bad_rating_share"] == want_bad, (row, want_bad)
    # 2021 holds only the old one
    row = scoreboard_row(api, st.unit, **{"from": "2021-01-01", "to": "2021-12-31"})
    assert (row["ratings"], row["average_rating"], row["bad_rating_share"]) == (1, 3.0, 0.0)
    # the annual report's ratings section: the year's, by score
    year = shanghai_today().year
    r = api.get("/v1/reports/annual", params={"year": year, "unit": st.unit})
    assert r.status_code == 200, r.content
    assert r.json()["ratings"] == {
        "count": len(rows), "average": want_avg, "bad": sum(1 for s in rows if s <= 2),
        "bad_share": want_bad, "by_score": {str(k): rows.count(k) for k in range(1, 6)}}
    r = api.get("/v1/reports/annual", params={"year": 2021, "unit": st.unit})
    assert r.json()["ratings"] == {"count": 1, "average": 3.0, "bad": 0, "bad_share": 0.0,
                                   "by_score": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 0}}
    # ratings do not enter the score: every case decided on time (0.5), no
    # service item (0.25), the two findings of the bad ratings open (0)
    row = scoreboard_row(api, st.unit, **{"from": today, "to": today})
    assert (row["on_time_rate"], row["online_rate"]) == (1.0, None)
    assert row["findings_opened"] == 2 and row["rectification_rate"] == 0.0
    assert row["score"] == 75.0


def test_scoreboard_reads_ratings_by_index(db):
    """The scoreboard reads a unit's ratings of a period from one range of
    ratings_unit_rated, index-only."""
    plan = "\n".join(r[0] for r in db(
        "SET enable_seqscan = off; EXPLAIN SELECT count(*), avg(score) FROM ratings"
        " WHERE unit_id = '00000000-0000-4000-8000-000000000000'"
        " AND rated_at >= '2026-01-01' AND rated_at < '2027-01-01'"))
    assert "ratings_unit_rated" in plan, plan
    assert "Index Only Scan" in plan, plan
