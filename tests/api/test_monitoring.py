"""Electronic monitoring (issue 6): `POST /v1/monitoring/runs` and `opengov
monitor`. One e_monitoring finding per overdue case however often and however
concurrently monitoring runs; yellow findings past rectify_by turn red once;
cases whose correction deadline passed are abandoned; a calendar change moves
the deadlines of open cases; the record of every pass.

On this stack the monitor runs only when a test calls it. Every case a test
watches is registered on a unit made for the module, so findings filtered by
that unit and request hold only what the test caused. Working days come from
GET /v1/calendar, never from the server's own deadline arithmetic.
"""

import datetime as dt
import json
import os
import subprocess
import threading
import time
import uuid
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from conftest import BASE_URL, CONTRACT, ENV, REPO, Api, assert_problem, uniq

TZ = ZoneInfo("Asia/Shanghai")
LONG = 7200
BIN = os.environ.get("OPENGOV_BIN") or os.path.join(REPO, "bin", "opengov")
RESULT_KEYS = {"skipped", "clocks_recomputed", "lights_changed", "findings_created",
               "findings_escalated", "abandoned", "deemed_accepted", "consultations_ended"}
RUN_KEYS = {"id", "started_at", "finished_at", "actor", "trigger", "today", "result"}


# --------------------------------------------------------------------------
# the calendar, as GET /v1/calendar tells it


def today():
    return dt.datetime.now(TZ).date()


def calendar(api, frm, to):
    """{date: working} for frm..to (inclusive), from the API."""
    out = {}
    while frm <= to:
        end = min(to, frm + dt.timedelta(days=300))
        r = api.get("/v1/calendar", params={"from": frm.isoformat(), "to": end.isoformat()})
        assert r.status_code == 200, r.content
        for d in r.json()["data"]:
            out[dt.date.fromisoformat(d["date"])] = d
        frm = end + dt.timedelta(days=1)
    return out


def working_days_ago(api, n):
    """The latest working day s with exactly n working days d, s < d <= today."""
    t = today()
    cal = calendar(api, t - dt.timedelta(days=3 * n + 60), t)
    s = t - dt.timedelta(days=1)
    while True:
        count = sum(1 for d, x in cal.items() if s < d <= t and x["working"])
        if cal[s]["working"] and count == n:
            return s
        assert count <= n, "no such day"
        s -= dt.timedelta(days=1)


def add_working_days(api, start, n):
    """The nth working day after start (start is day 0)."""
    cal = calendar(api, start, start + dt.timedelta(days=3 * n + 60))
    d, k = start, 0
    while k < n:
        d += dt.timedelta(days=1)
        if cal[d]["working"]:
            k += 1
    return d


def at10(d):
    """10:00 in Shanghai on day d, as RFC 3339 UTC."""
    return f"{d.isoformat()}T02:00:00Z"


def just_now():
    return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------
# helpers


def mint(tokens, role, **claims):
    return tokens.mint(role, exp=int(time.time()) + LONG, **claims)


def register(api, ctx, received_at, description=None):
    """A paper disclosure application the clerk registers for a company."""
    r = api.post("/v1/requests", token=ctx.clerk, json={
        "kind": "disclosure", "unit_id": ctx.unit,
        "description": description or "申请公开2025年度建设工程项目审批信息。" + uniq(),
        "purpose": "经营参考", "delivery": "paper", "channel": "paper",
        "received_at": received_at,
        "applicant": {"type": "company", "name": "某某建设工程有限公司" + uniq()}})
    assert r.status_code == 201, r.content
    return r.json()


def get_request(api, tok, rid):
    r = api.get(f"/v1/requests/{rid}", token=tok)
    assert r.status_code == 200, r.content
    return r.json()


def run(api, tok):
    """One pass through the API; the recorded run."""
    r = api.post("/v1/monitoring/runs", token=tok)
    assert r.status_code == 201, r.content
    doc = r.json()
    assert set(doc) == RUN_KEYS
    assert set(doc["result"]) == RESULT_KEYS
    assert doc["result"]["skipped"] is False
    assert doc["trigger"] == "api"
    assert r.headers["Location"] == "/v1/monitoring/runs/" + doc["id"]
    return doc


def monitor_findings(api, ctx, rid):
    """The e_monitoring findings on request rid, as a supervisor lists them."""
    out, path = [], f"/v1/findings?source=e_monitoring&unit={ctx.unit}&limit=100"
    while path:
        r = api.get(path, token=ctx.supervisor)
        assert r.status_code == 200, r.content
        body = r.json()
        out += [f for f in body["data"] if f["request_id"] == rid]
        path = (f"/v1/findings?source=e_monitoring&unit={ctx.unit}&limit=100"
                f"&cursor={body['next_cursor']}") if body["next_cursor"] else None
    return out


def overdue_case(api, ctx):
    """A paper application received 30 working days ago: red from the start."""
    s = working_days_ago(api, 30)
    req = register(api, ctx, at10(s))
    assert req["received_at"] == at10(s)
    assert req["deadline"]["start_date"] == s.isoformat()
    assert req["deadline"]["working_days_elapsed"] == 30
    assert req["deadline"]["light"] == "red", req["deadline"]
    return req


def cli_env():
    env = dict(os.environ)
    env.update({k: v for k, v in ENV.items() if k.startswith("OPENGOV_")})
    return env


def audit(api, tok, **params):
    r = api.get("/v1/audit", token=tok, params=dict(limit=100, **params))
    assert r.status_code == 200, r.content
    return r.json()["data"]


# --------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def ctx(make_unit, tokens):
    u = make_unit(kind="municipal_agency", code=uniq("MN-"), name="测试监察对象局" + uniq())
    subs = {k: f"{k}-{uuid.uuid4()}" for k in ("clerk", "approver", "supervisor", "admin")}
    return SimpleNamespace(
        unit=u["id"], subs=subs,
        clerk=mint(tokens, "clerk", unit=u["id"], sub=subs["clerk"]),
        approver=mint(tokens, "approver", unit=u["id"], sub=subs["approver"]),
        supervisor=mint(tokens, "supervisor", sub=subs["supervisor"]),
        admin=mint(tokens, "admin", sub=subs["admin"]),
        public=mint(tokens, "public"))


# --------------------------------------------------------------------------
# one finding per overdue case


def test_one_finding_per_overdue_case_across_three_runs(api, ctx):
    req = overdue_case(api, ctx)
    rid = req["id"]
    t = today()
    runs = [run(api, ctx.supervisor) for _ in range(3)]
    assert runs[0]["result"]["findings_created"] >= 1
    assert runs[0]["today"] == t.isoformat()
    assert runs[0]["actor"] == ctx.subs["supervisor"]
    # running again changes nothing
    for again in runs[1:]:
        assert again["result"] == {"skipped": False, "clocks_recomputed": 0,
                                   "lights_changed": 0, "findings_created": 0,
                                   "findings_escalated": 0, "abandoned": 0,
                                   "deemed_accepted": 0, "consultations_ended": 0}, again
    found = monitor_findings(api, ctx, rid)
    assert len(found) == 1, found
    f = found[0]
    assert f["source"] == "e_monitoring" and f["rule"] == "overdue"
    assert f["category"] == "overdue" and f["severity"] == "red"
    assert f["status"] == "open" and f["published"] is False
    assert f["unit_id"] == ctx.unit and f["request_id"] == rid and f["item_id"] is None
    # Read in English (the suite's default): derived from the rule.
    assert f["title"] == "Overdue without a decision " + req["number"]
    assert req["number"] in f["description"] and "deadline" in f["description"]
    # The record itself is Chinese, the default language.
    zh = api.get(f"/v1/findings/{f['id']}", token=ctx.supervisor,
                 headers={"Accept-Language": None})
    assert zh.status_code == 200 and zh.headers["Content-Language"] == "zh-CN"
    assert zh.json()["title"] == "超期未办结 " + req["number"]
    assert req["number"] in zh.json()["description"] and "电子监察" in zh.json()["description"]
    en = api.get(f"/v1/findings/{f['id']}", token=ctx.supervisor)
    assert en.headers["ETag"] != zh.headers["ETag"]
    assert f["rectify_by"] == add_working_days(api, t, 10).isoformat()
    assert (f["created_by"], f["created_role"]) == ("monitor", "system")
    assert f["escalated_at"] is None
    # the unit's staff see it and are to rectify it; the public does not
    g = api.get(f"/v1/findings/{f['id']}", token=ctx.clerk)
    assert g.status_code == 200 and g.json()["allowed_actions"] == ["rectification"]
    assert_problem(api.get(f"/v1/findings/{f['id']}"), 404, "not-found")
    # the case is still red, and listed so
    assert get_request(api, ctx.clerk, rid)["deadline"]["light"] == "red"
    # the monitor's creation is audited
    entries = audit(api, ctx.supervisor, entity="finding", entity_id=f["id"])
    assert [(e["action"], e["actor"], e["role"]) for e in entries] == [
        ("finding.create", "monitor", "system")]
    # and each pass
    for r in runs:
        e = audit(api, ctx.supervisor, entity="monitoring_run", entity_id=r["id"])
        assert [(x["action"], x["actor"], x["role"]) for x in e] == [
            ("monitoring.run", ctx.subs["supervisor"], "supervisor")]


def test_a_case_not_overdue_gets_no_finding(api, ctx):
    fresh = register(api, ctx, just_now())
    s = working_days_ago(api, 19)
    yellow = register(api, ctx, at10(s))
    assert yellow["deadline"]["light"] == "yellow"
    run(api, ctx.supervisor)
    assert monitor_findings(api, ctx, fresh["id"]) == []
    assert monitor_findings(api, ctx, yellow["id"]) == []


def test_two_concurrent_runs(api, ctx):
    req = overdue_case(api, ctx)
    barrier = threading.Barrier(2)
    answers = [None, None]

    def go(i):
        a = Api(BASE_URL, CONTRACT)  # a session per thread
        barrier.wait()
        answers[i] = a.post("/v1/monitoring/runs", token=ctx.supervisor)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    codes = sorted(a.status_code for a in answers)
    assert codes in ([201, 201], [201, 409]), [a.content for a in answers]
    done = [a.json() for a in answers if a.status_code == 201]
    if codes == [201, 409]:
        loser = next(a for a in answers if a.status_code == 409)
        assert_problem(loser, 409, "conflict")
        assert done[0]["result"]["findings_created"] >= 1
    else:
        # one after the other: the second found nothing left to do for the case
        assert sorted(d["result"]["findings_created"] >= 1 for d in done) == [False, True]
    assert len(monitor_findings(api, ctx, req["id"])) == 1


def test_opengov_monitor_twice_concurrently(api, ctx):
    req = overdue_case(api, ctx)
    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    procs = [subprocess.Popen([BIN, "monitor"], env=cli_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        lines = [ln for ln in out.splitlines() if ln.strip()]
        assert lines, (out, err)
        outs.append(json.loads(lines[-1]))
    for o in outs:
        assert set(o) == RESULT_KEYS | {"today"}, o
        assert o["today"] == today().isoformat()
    skipped = sorted(o["skipped"] for o in outs)
    assert skipped in ([False, False], [False, True]), outs
    assert sum(o["findings_created"] for o in outs) >= 1
    assert len(monitor_findings(api, ctx, req["id"])) == 1
    # the passes that ran are recorded as command runs by the monitor
    r = api.get("/v1/monitoring/runs", token=ctx.supervisor, params={"limit": 20})
    assert r.status_code == 200, r.content
    mine = [x for x in r.json()["data"] if x["trigger"] == "command" and
            dt.datetime.fromisoformat(x["started_at"].replace("Z", "+00:00")) >= started]
    assert len(mine) == skipped.count(False), (mine, outs)
    for x in mine:
        assert x["actor"] == "monitor" and x["result"]["skipped"] is False
        assert x["today"] == today().isoformat()
        e = audit(api, ctx.supervisor, entity="monitoring_run", entity_id=x["id"])
        assert [(y["action"], y["actor"], y["role"]) for y in e] == [
            ("monitoring.run", "monitor", "system")]
    # and a third run, however it is started, adds nothing for the case
    p = subprocess.run([BIN, "monitor"], env=cli_env(), capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    last = json.loads(p.stdout.strip().splitlines()[-1])
    assert last["skipped"] is False and last["findings_created"] == 0, last
    assert len(monitor_findings(api, ctx, req["id"])) == 1


# --------------------------------------------------------------------------
# escalation


def test_red_escalation(api, ctx, db):
    t = today()
    yesterday = (t - dt.timedelta(days=1)).isoformat()
    body = {"source": "inspection", "unit_id": ctx.unit, "category": "disclosure_gap",
            "severity": "yellow", "title": "政府信息公开指南未更新 " + uniq(),
            "description": "公开指南仍为2019年版本。", "rectify_by": t.isoformat()}
    r = api.post("/v1/findings", token=ctx.supervisor, json=body)
    assert r.status_code == 201, r.content
    f = r.json()
    # a second one the unit has already reported on: not escalated
    r = api.post("/v1/findings", token=ctx.supervisor,
                 json=dict(body, title="依申请公开登记台账不全 " + uniq()))
    assert r.status_code == 201, r.content
    reported = r.json()
    r = api.post(f"/v1/findings/{reported['id']}/rectification", token=ctx.clerk,
                 json={"description": "已补全台账。"})
    assert r.status_code == 200, r.content
    # due today: nothing yet
    assert run(api, ctx.supervisor)["result"]["findings_escalated"] == 0
    # the day passes
    db(f"UPDATE findings SET rectify_by = '{yesterday}'"
       f" WHERE id IN ('{f['id']}', '{reported['id']}')")
    first = run(api, ctx.supervisor)
    assert first["result"]["findings_escalated"] >= 1
    r = api.get(f"/v1/findings/{f['id']}", token=ctx.supervisor)
    assert r.status_code == 200, r.content
    g = r.json()
    assert g["severity"] == "red" and g["status"] == "open"
    assert g["escalated_at"] is not None and g["version"] == f["version"] + 1
    assert g["rectify_by"] == yesterday
    steps = db(f"SELECT action, actor, actor_role, from_status, to_status FROM finding_steps"
               f" WHERE finding_id = '{f['id']}' ORDER BY seq")
    assert steps == [["create", ctx.subs["supervisor"], "supervisor", "", "open"],
                     ["escalate", "monitor", "system", "open", "open"]]
    entries = audit(api, ctx.supervisor, entity="finding", entity_id=f["id"])
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("finding.escalate", "monitor"), ("finding.create", ctx.subs["supervisor"])]
    # the reported one stays yellow
    r = api.get(f"/v1/findings/{reported['id']}", token=ctx.supervisor)
    assert r.json()["severity"] == "yellow" and r.json()["escalated_at"] is None
    # once only
    second = run(api, ctx.supervisor)
    assert second["result"]["findings_escalated"] == 0
    h = api.get(f"/v1/findings/{f['id']}", token=ctx.supervisor).json()
    assert h["escalated_at"] == g["escalated_at"] and h["version"] == g["version"]


# --------------------------------------------------------------------------
# abandonment


def test_abandonment_when_the_correction_deadline_passed(api, ctx, db):
    req = register(api, ctx, just_now())
    rid = req["id"]
    r = api.post(f"/v1/requests/{rid}/approvals", token=ctx.clerk, json={
        "action": "request_correction", "respond_within_days": 5,
        "items": [{"field": "description", "reason": "请写明所需信息的名称或文号。"}]})
    assert r.status_code == 201, r.content
    assert r.json()["request"]["status"] == "correction_required"
    # not yet due: nothing happens
    run(api, ctx.supervisor)
    assert get_request(api, ctx.clerk, rid)["status"] == "correction_required"
    past = (today() - dt.timedelta(days=1)).isoformat()
    db(f"UPDATE requests SET correction_due = '{past}' WHERE id = '{rid}'")
    first = run(api, ctx.supervisor)
    assert first["result"]["abandoned"] >= 1
    got = get_request(api, ctx.clerk, rid)
    assert got["status"] == "abandoned" and got["closed_at"] is not None
    r = api.get(f"/v1/requests/{rid}/approvals", token=ctx.clerk)
    assert r.status_code == 200, r.content
    last = r.json()["data"][-1]
    assert last["action"] == "abandon"
    assert (last["actor"], last["actor_role"]) == ("monitor", "system")
    assert (last["from_status"], last["to_status"]) == ("correction_required", "abandoned")
    assert last["respond_by"] == past
    entries = audit(api, ctx.supervisor, entity="request", entity_id=rid)
    assert entries[0]["action"] == "request.abandon" and entries[0]["actor"] == "monitor"
    # once only
    assert run(api, ctx.supervisor)["result"]["abandoned"] == 0
    r = api.get(f"/v1/requests/{rid}/approvals", token=ctx.clerk)
    assert [s["action"] for s in r.json()["data"]].count("abandon") == 1


# --------------------------------------------------------------------------
# a calendar change moves the deadlines of open cases


def test_calendar_change_recomputes_clocks(api, ctx, db):
    req = register(api, ctx, just_now())
    rid = req["id"]
    t = today()
    run(api, ctx.supervisor)
    due0 = dt.date.fromisoformat(get_request(api, ctx.clerk, rid)["deadline"]["due_date"])
    assert due0 == add_working_days(api, t, 20)
    days = calendar(api, t + dt.timedelta(days=1), due0 - dt.timedelta(days=1))
    day = next(d for d in sorted(days) if days[d]["working"] and days[d]["source"] == "rule")
    ds = day.isoformat()
    try:
        r = api.put(f"/v1/calendar/{ds}", token=ctx.admin,
                    json={"working": False, "note": "临时停工（测试）"})
        assert r.status_code == 200, r.content
        res = run(api, ctx.supervisor)
        assert res["result"]["clocks_recomputed"] >= 1
        after = calendar(api, due0 + dt.timedelta(days=1), due0 + dt.timedelta(days=40))
        next_working = next(d for d in sorted(after) if after[d]["working"])
        got = get_request(api, ctx.clerk, rid)["deadline"]
        assert got["due_date"] == next_working.isoformat(), (ds, due0, got)
        assert got["working_days_allowed"] == 20
        assert db.scalar(f"SELECT clock_calendar = (SELECT version FROM calendar_meta)"
                         f" FROM requests WHERE id = '{rid}'") == "t"
        # and a second pass has nothing more to recompute
        assert run(api, ctx.supervisor)["result"]["clocks_recomputed"] == 0
    finally:
        r = api.put(f"/v1/calendar/{ds}", token=ctx.admin, json={"working": True, "note": None})
        db(f"DELETE FROM calendar_days WHERE day = '{ds}'")  # back to the rule
        api.post("/v1/monitoring/runs", token=ctx.supervisor)
    assert r.status_code == 200, r.content
    assert get_request(api, ctx.clerk, rid)["deadline"]["due_date"] == due0.isoformat()


# --------------------------------------------------------------------------
# the record of the passes


def test_runs_list_and_get(api, ctx):
    made = [run(api, ctx.supervisor) for _ in range(5)]  # within a second or so
    for tok in (ctx.supervisor, ctx.admin):
        r = api.get("/v1/monitoring/runs", token=tok, params={"limit": 100})
        assert r.status_code == 200, r.content
        data = r.json()["data"]
        assert [x["id"] for x in data[:5]] == [m["id"] for m in reversed(made)]
        keys = [(x["started_at"]) for x in data]
        assert keys == sorted(keys, reverse=True)
        for x in data:
            assert set(x) == RUN_KEYS and set(x["result"]) == RESULT_KEYS
        for m in made:
            r = api.get(f"/v1/monitoring/runs/{m['id']}", token=tok)
            assert r.status_code == 200, r.content
            assert r.json() == m
    # pages of two
    seen, path = [], "/v1/monitoring/runs?limit=2"
    for _ in range(3):
        r = api.get(path, token=ctx.supervisor)
        assert r.status_code == 200
        body = r.json()
        assert len(body["data"]) == 2
        seen += [x["id"] for x in body["data"]]
        assert body["next_cursor"] and r.headers["Link"]
        path = "/v1/monitoring/runs?limit=2&cursor=" + body["next_cursor"]
    assert len(set(seen)) == 6
    assert seen[:5] == [m["id"] for m in reversed(made)]


def test_runs_who_may(api, ctx, unchanged):
    some = run(api, ctx.supervisor)
    with unchanged():
        for tok in (ctx.clerk, ctx.approver, ctx.public, ctx.admin):
            assert_problem(api.post("/v1/monitoring/runs", token=tok), 403, "forbidden")
        assert_problem(api.post("/v1/monitoring/runs"), 401, "unauthorized")
        for tok in (ctx.clerk, ctx.approver, ctx.public):
            assert_problem(api.get("/v1/monitoring/runs", token=tok), 403, "forbidden")
            assert_problem(api.get(f"/v1/monitoring/runs/{some['id']}", token=tok),
                           403, "forbidden")
        assert_problem(api.get("/v1/monitoring/runs"), 401, "unauthorized")
        assert_problem(api.get(f"/v1/monitoring/runs/{some['id']}"), 401, "unauthorized")


def test_runs_unknown_and_bad_parameters(api, ctx):
    for path in (f"/v1/monitoring/runs/{uuid.uuid4()}", "/v1/monitoring/runs/not-a-uuid"):
        assert_problem(api.get(path, token=ctx.supervisor), 404, "not-found")
    for params in ({"limit": "0"}, {"limit": "101"}, {"limit": "x"},
                   {"cursor": "not-a-cursor"}):
        assert_problem(api.get("/v1/monitoring/runs", token=ctx.admin, params=params), 400)
