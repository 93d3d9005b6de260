"""Reports (issue 6): the annual government information disclosure report
(GET /v1/reports/annual, JSON and CSV) and the unit scoreboard
(GET /v1/stats/units).

The figures are checked exactly where the test owns every row they count:
the demo year 2019, units created here whose rows lie in years nobody else
writes (2021 for the scoreboard, 2022 for the unit report; rows the API
cannot date in the past are written through the superuser `db` fixture),
and requests registered here through the API. City-wide figures of the
current years are compared as deltas against a first read, since other
tests add requests to the same database.
"""

import base64
import csv
import datetime as dt
import io
import json
import re
import time
import uuid
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from conftest import assert_problem, error_pointers, uniq

TZ = ZoneInfo("Asia/Shanghai")
LINK_RE = re.compile(r'^<([^>]+)>; *rel="next"$')
APPLICANT_TYPES = ["natural_person", "company", "research_body", "ngo", "legal_service", "other"]
INFO_CATEGORIES = ["general", "project", "regulation", "work_dynamic", "personnel", "financial",
                   "business", "annual_report"]
SERVICE_CATEGORIES = ["administrative_license", "non_administrative_license", "public_service",
                      "referral"]
OUTCOMES = ["disclosed", "partially_disclosed", "withheld", "already_public", "not_held",
            "not_within_scope", "needs_new_work", "unclear_after_correction",
            "complaint_petition", "duplicate", "public_publication", "excessive_requests",
            "reconfirmation", "abandoned_correction", "abandoned_fee", "other"]
REASONS = ["state_secret", "law_prohibited", "security_stability", "third_party_rights",
           "internal_affairs", "process_information", "enforcement_file",
           "administrative_query"]
FINDING_CATEGORIES = ["overdue", "improper_refusal", "missing_reason", "not_online",
                      "disclosure_gap", "other"]
LEGAL_BASIS = "《中华人民共和国政府信息公开条例》第三十六条"


def shanghai_today():
    return dt.datetime.now(TZ).date()


def mint(tokens, role, **claims):
    return tokens.mint(role, exp=int(time.time()) + 3600, **claims)


def report(api, year, token=None, **params):
    r = api.get("/v1/reports/annual", token=token, params=dict(year=year, **params))
    assert r.status_code == 200, r.content
    return r.json()


def by(entries, key, value="count"):
    """[{category: c, count: n}, ...] -> {c: n}"""
    return {e[key]: e[value] for e in entries}


def counts(doc):
    """Every number of a report (not rates or averages) by its JSON path."""
    out = {}

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, path + (k,))
        elif isinstance(node, list):
            for e in node:
                label = next(iter(e))
                for k, v in e.items():
                    if k != label:
                        out[path + (e[label], k)] = v
        elif isinstance(node, int) and not isinstance(node, bool):
            out[path] = node

    for section in ("proactive_disclosure", "applications", "processing", "service_items",
                    "supervision", "approvals"):
        walk(doc[section], (section,))
    return out


def ts(local):
    """'2022-03-01 10:00' in Asia/Shanghai as an SQL timestamptz literal."""
    return f"timestamptz '{local}+08'"


# --------------------------------------------------------------------------
# rows the API cannot date in the past, written with the superuser


def insert_requests(db, unit, rows, item=None):
    """rows: dicts with kind, applicant_type, status, received (local time) and
    optionally decided, closed, outcome, reason_code, days_used, on_time,
    extended, red_on, light. Returns nothing; numbers are unique per row."""
    values = []
    for r in rows:
        kind = r.get("kind", "disclosure")
        values.append("(" + ", ".join([
            f"'{kind}'", f"'T13-{uuid.uuid4().hex}'", f"'{r['status']}'", f"'{unit}'::uuid",
            f"'{item}'::uuid" if kind == "approval" else "NULL",
            f"'{r.get('applicant_type', 'natural_person')}'",
            "'{\"type\": \"natural_person\", \"name\": \"测试\"}'::jsonb",
            "'online'",
            "'测试申请'" if kind == "disclosure" else "NULL",
            "'electronic'" if kind == "disclosure" else "NULL",
            "'{}'::jsonb" if kind == "approval" else "NULL",
            ts(r["received"]),
            ts(r["decided"]) if r.get("decided") else "NULL",
            ts(r["closed"]) if r.get("closed") else "NULL",
            f"'{r['outcome']}'" if r.get("outcome") else "NULL",
            f"'{r['reason_code']}'" if r.get("reason_code") else "NULL",
            str(r["days_used"]) if r.get("days_used") is not None else "NULL",
            ("true" if r["on_time"] else "false") if r.get("on_time") is not None else "NULL",
            ("'[{\"days\": 10, \"reason\": \"需要检索\", \"at\": \"2022-03-05T02:00:00Z\"}]'"
             if r.get("extended") else "'[]'") + "::jsonb",
            f"date '{r['red_on']}'" if r.get("red_on") else "NULL",
            f"'{r['light']}'" if r.get("light") else "NULL",
        ]) + ")")
    db("INSERT INTO requests (kind, number, status, unit_id, item_id, applicant_type, applicant,"
       " channel, description, delivery, form, received_at, decided_at, closed_at, outcome,"
       " reason_code, days_used, on_time, extensions, red_on, light) VALUES "
       + ", ".join(values))


def insert_many_decided(db, unit, n, on_time, received="2021-03-01 10:00",
                        decided="2021-04-01 10:00"):
    """n decided disclosure requests of the unit, the first on_time of them in time."""
    db("INSERT INTO requests (kind, number, status, unit_id, applicant_type, applicant, channel,"
       " description, delivery, received_at, decided_at, outcome, days_used, on_time)"
       f" SELECT 'disclosure', 'T13-' || gen_random_uuid(), 'decided', '{unit}',"
       " 'natural_person', '{\"type\": \"natural_person\", \"name\": \"测试\"}', 'online',"
       f" '测试申请', 'electronic', {ts(received)}, {ts(decided)}, 'disclosed',"
       f" CASE WHEN i <= {on_time} THEN 5 ELSE 25 END, i <= {on_time}"
       f" FROM generate_series(1, {n}) AS i")


def insert_items(db, unit, rows):
    """rows: dicts with kind, category, status, published (local) or None,
    withdrawn (local) or None, online (service)."""
    values = []
    for r in rows:
        service = r["kind"] == "service"
        values.append("(" + ", ".join([
            f"'{r['kind']}'", f"'{unit}'::uuid", f"'{r['category']}'", f"'{r['status']}'",
            "'测试事项'",
            f"'T13-{uuid.uuid4().hex}'" if service else "NULL",
            "'《测试条例》第一条'" if service else "NULL",
            "20" if service else "NULL", "10" if service else "NULL",
            "'[]'::jsonb" if service else "NULL", "0" if service else "NULL",
            ("true" if r.get("online") else "false") if service else "NULL",
            ts(r["published"]) if r.get("published") else "NULL",
            ts(r["withdrawn"]) if r.get("withdrawn") else "NULL",
            "'test:reports'",
        ]) + ")")
    db("INSERT INTO items (kind, unit_id, category, status, title, code, legal_basis,"
       " statutory_days, committed_days, materials, fee, online, published_at, withdrawn_at,"
       " created_by) VALUES " + ", ".join(values))


def insert_many_service_items(db, unit, n, online, published="2021-01-10 10:00"):
    db("INSERT INTO items (kind, unit_id, category, status, title, code, legal_basis,"
       " statutory_days, committed_days, materials, fee, online, published_at, created_by)"
       f" SELECT 'service', '{unit}', 'public_service', 'published', '测试服务',"
       " 'T13-' || replace(gen_random_uuid()::text, '-', ''), '《测试条例》第一条', 20, 10, '[]',"
       f" 0, i <= {online}, {ts(published)}, 'test:reports' FROM generate_series(1, {n}) AS i")


def insert_findings(db, unit, rows):
    """rows: dicts with category, created, rectified, closed, published (local or None)."""
    values = []
    for r in rows:
        status = "closed" if r.get("closed") else (
            "rectification_submitted" if r.get("rectified") else "open")
        values.append("(" + ", ".join([
            "'inspection'", f"'{unit}'::uuid", f"'{r['category']}'", "'yellow'", "'测试发现'",
            "'测试说明'", "date '2022-12-31'", f"'{status}'",
            ts(r["rectified"]) if r.get("rectified") else "NULL",
            ts(r["closed"]) if r.get("closed") else "NULL",
            ts(r["published"]) if r.get("published") else "NULL",
            "'test:reports'", "'supervisor'", ts(r["created"]),
        ]) + ")")
    db("INSERT INTO findings (source, unit_id, category, severity, title, description,"
       " rectify_by, status, rectified_at, closed_at, published_at, created_by, created_role,"
       " created_at) VALUES " + ", ".join(values))


def insert_many_findings(db, unit, n, closed, created="2021-02-01 10:00",
                         closed_at="2021-03-01 10:00"):
    db("INSERT INTO findings (source, unit_id, category, severity, title, description,"
       " rectify_by, status, rectified_at, closed_at, created_by, created_role, created_at)"
       f" SELECT 'inspection', '{unit}', 'other', 'yellow', '测试发现', '测试说明', date '2021-12-31',"
       f" CASE WHEN i <= {closed} THEN 'closed' ELSE 'open' END,"
       f" CASE WHEN i <= {closed} THEN {ts(closed_at)} END,"
       f" CASE WHEN i <= {closed} THEN {ts(closed_at)} END,"
       f" 'test:reports', 'supervisor', {ts(created)} FROM generate_series(1, {n}) AS i")


# --------------------------------------------------------------------------
# the demo year

DEMO_2019_INFORMATION = {"general": 275, "project": 685, "regulation": 1062, "work_dynamic": 2181,
                         "personnel": 126, "financial": 21, "business": 98, "annual_report": 78}
DEMO_2019_SERVICE = {"administrative_license": 178, "non_administrative_license": 75,
                     "public_service": 201, "referral": 129}
Y2019 = ("timestamptz '2019-01-01 00:00:00+08'", "timestamptz '2020-01-01 00:00:00+08'")


@pytest.fixture
def demo_2019(db):
    """The demo's 2019 figures, plus what other suites dated 2019 in the same
    database (test_items publishes a few items in 2019 to test its date
    filters): on a fresh database these are the work summary's exactly."""
    info = dict.fromkeys(INFO_CATEGORIES, 0) | DEMO_2019_INFORMATION
    for cat, n in db("SELECT category, count(*) FROM items WHERE kind = 'information'"
                     " AND status IN ('published', 'withdrawn') AND created_by <> 'seed:demo'"
                     f" AND published_at >= {Y2019[0]} AND published_at < {Y2019[1]}"
                     " GROUP BY 1"):
        info[cat] += int(n)
    service = dict(DEMO_2019_SERVICE)
    for cat, n in db("SELECT category, count(*) FROM items WHERE kind = 'service'"
                     " AND status IN ('published', 'withdrawn') AND created_by <> 'seed:demo'"
                     f" AND published_at < {Y2019[1]}"
                     f" AND coalesce(withdrawn_at, 'infinity') >= {Y2019[1]} GROUP BY 1"):
        service[cat] += int(n)
    # other suites date a few requests in 2019 too (deadlines across the
    # National Day week), in units of their own
    others = int(db.scalar("SELECT count(*) FROM requests WHERE kind = 'disclosure'"
                           " AND number <> 'GK-2019-000001'"
                           f" AND received_at >= {Y2019[0]} AND received_at < {Y2019[1]}"))
    return info, service, others


def test_demo_2019_figures(api, demo_2019):
    info, service, others = demo_2019
    r = api.get("/v1/reports/annual", params={"year": 2019})
    assert r.status_code == 200, r.content
    assert r.headers["Cache-Control"] == "public, max-age=300"
    doc = r.json()
    assert doc["year"] == 2019 and doc["unit_id"] is None
    pd = doc["proactive_disclosure"]
    assert [e["category"] for e in pd["by_category"]] == INFO_CATEGORIES
    assert by(pd["by_category"], "category") == info
    assert pd["total"] == sum(info.values())
    if info == dict.fromkeys(INFO_CATEGORIES, 0) | DEMO_2019_INFORMATION:
        assert pd["total"] == 4526
    sv = doc["service_items"]
    assert [e["category"] for e in sv["by_category"]] == SERVICE_CATEGORIES
    assert by(sv["by_category"], "category") == service
    assert sv["total"] == sum(service.values())
    assert sv["online"] == sum(e["online"] for e in sv["by_category"])
    assert sv["online_rate"] > 0.8
    assert sv["online_rate"] == pytest.approx(sv["online"] / sv["total"], abs=5e-5)
    apps = doc["applications"]
    assert apps["received"]["total"] == 1 + others
    assert apps["balance"]["balanced"] is True


def test_demo_2019_one_application_answered_in_time(api, demo_units, db):
    # The demo's one application (the Public Security Bureau's), alone in
    # its unit's 2019: every figure of it exactly.
    assert db.scalar("SELECT count(*) FROM requests WHERE unit_id = '%s'"
                     " AND received_at < %s AND coalesce(decided_at, closed_at, 'infinity')"
                     " >= %s" % (demo_units["PSB"], Y2019[1], Y2019[0])) == "1"
    apps = report(api, 2019, unit=demo_units["PSB"])["applications"]
    assert apps["received"]["total"] == 1
    assert apps["received"]["by_applicant_type"] == dict.fromkeys(APPLICANT_TYPES, 0) | {
        "natural_person": 1}
    assert apps["carried_over"]["total"] == 0 and apps["carried_forward"]["total"] == 0
    assert apps["outcomes"]["total"] == 1
    assert apps["outcomes"]["by_applicant_type"]["natural_person"] == 1
    assert by(apps["outcomes"]["by_outcome"], "outcome") == dict.fromkeys(OUTCOMES, 0) | {
        "disclosed": 1}
    assert apps["balance"] == {"new_plus_carried_over": 1, "outcomes_plus_carried_forward": 1,
                               "balanced": True}
    assert report(api, 2019, unit=demo_units["PSB"])["processing"] == {
        "decided": 1, "average_working_days": 14.0, "median_working_days": 14.0, "on_time": 1,
        "on_time_rate": 1.0, "extended": 0}


def test_demo_2019_application_is_demo_publics(api, demo_units, db):
    unit, sub = db("SELECT unit_id, applicant_sub FROM requests"
                   " WHERE number = 'GK-2019-000001'")[0]
    assert unit == demo_units["PSB"]
    assert db.scalar(f"SELECT username FROM accounts WHERE id::text = '{sub}'") == "demo-public"
    aic = report(api, 2019, unit=demo_units["AIC"])
    assert aic["unit_id"] == demo_units["AIC"]
    assert aic["applications"]["received"]["total"] == 0
    assert aic["processing"]["on_time_rate"] is None
    assert aic["processing"]["average_working_days"] is None


def test_token_callers_get_a_private_answer(api, tokens):
    r = api.get("/v1/reports/annual", params={"year": 2019}, token=mint(tokens, "public"))
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "private, no-cache"


# --------------------------------------------------------------------------
# a unit's year, every row known (2022)


@pytest.fixture(scope="module")
def unit2022(api, make_unit, db):
    """A unit whose 2022 is fully known, and the city-wide 2022 before it."""
    before = report(api, 2022)
    u = make_unit(kind="township", code=uniq("RP4-"), name="报表测试乡" + uniq())
    uid = u["id"]
    insert_items(db, uid, [
        *[{"kind": "information", "category": "general", "status": "published",
           "published": "2022-03-01 10:00"}] * 3,
        # the last minutes of 2022 in Shanghai, then the first of 2023
        {"kind": "information", "category": "regulation", "status": "published",
         "published": "2022-12-31 23:30"},
        {"kind": "information", "category": "project", "status": "published",
         "published": "2023-01-01 00:10"},
        # withdrawn later: still disclosed in 2022
        {"kind": "information", "category": "personnel", "status": "withdrawn",
         "published": "2022-06-01 10:00", "withdrawn": "2022-09-01 10:00"},
        {"kind": "information", "category": "business", "status": "draft"},
        {"kind": "information", "category": "business", "status": "pending_review"},
        *[{"kind": "service", "category": "administrative_license", "status": "published",
           "published": "2022-02-01 10:00", "online": True}] * 2,
        {"kind": "service", "category": "administrative_license", "status": "published",
         "published": "2022-02-01 10:00", "online": False},
        # withdrawn within 2022: not on offer at its end; withdrawn in 2023: on offer
        {"kind": "service", "category": "public_service", "status": "withdrawn",
         "published": "2022-05-01 10:00", "withdrawn": "2022-10-01 10:00", "online": True},
        {"kind": "service", "category": "public_service", "status": "withdrawn",
         "published": "2022-05-01 10:00", "withdrawn": "2023-03-01 10:00", "online": True},
        {"kind": "service", "category": "referral", "status": "published",
         "published": "2023-02-01 10:00", "online": True},
    ])
    item = db.scalar(f"SELECT id FROM items WHERE unit_id = '{uid}' AND kind = 'service'"
                     " AND category = 'administrative_license' LIMIT 1")
    insert_requests(db, uid, [
        # carried over from 2021
        {"applicant_type": "natural_person", "status": "decided", "received": "2021-11-01 10:00",
         "decided": "2022-01-10 10:00", "outcome": "disclosed", "days_used": 15, "on_time": True},
        {"applicant_type": "company", "status": "accepted", "received": "2021-12-01 10:00"},
        {"applicant_type": "ngo", "status": "decided", "received": "2021-06-01 10:00",
         "decided": "2023-02-01 10:00", "outcome": "disclosed", "days_used": 50,
         "on_time": False},
        # received in 2022
        {"applicant_type": "natural_person", "status": "decided", "received": "2022-03-01 10:00",
         "decided": "2022-03-20 10:00", "outcome": "withheld", "reason_code": "state_secret",
         "days_used": 10, "on_time": True, "extended": True},
        {"applicant_type": "legal_service", "status": "decided", "received": "2022-04-01 10:00",
         "decided": "2022-05-20 10:00", "outcome": "partially_disclosed",
         "reason_code": "third_party_rights", "days_used": 30, "on_time": False},
        {"applicant_type": "other", "status": "not_accepted", "received": "2022-05-01 10:00",
         "closed": "2022-05-03 10:00"},
        {"applicant_type": "company", "status": "withdrawn", "received": "2022-06-01 10:00",
         "closed": "2022-06-10 10:00"},
        {"applicant_type": "research_body", "status": "abandoned",
         "received": "2022-07-01 10:00", "closed": "2022-08-10 10:00"},
        {"applicant_type": "natural_person", "status": "decided", "received": "2022-11-01 10:00",
         "decided": "2023-01-05 10:00", "outcome": "disclosed", "days_used": 20,
         "on_time": True},
        {"applicant_type": "natural_person", "status": "accepted",
         "received": "2022-12-31 23:00"},
        # before and after, not counted
        {"applicant_type": "company", "status": "decided", "received": "2020-01-01 10:00",
         "decided": "2021-05-01 10:00", "outcome": "not_held", "days_used": 12,
         "on_time": True},
        {"applicant_type": "company", "status": "submitted", "received": "2023-01-01 00:30"},
        # approval requests
        {"kind": "approval", "status": "decided", "received": "2022-02-10 10:00",
         "decided": "2022-02-20 10:00", "outcome": "approved", "days_used": 5, "on_time": True},
        {"kind": "approval", "status": "decided", "received": "2022-03-10 10:00",
         "decided": "2022-04-20 10:00", "outcome": "rejected", "days_used": 25,
         "on_time": False},
        {"kind": "approval", "status": "accepted", "received": "2022-12-20 10:00"},
    ], item=item)
    insert_findings(db, uid, [
        {"category": "overdue", "created": "2022-02-01 10:00", "rectified": "2022-02-10 10:00",
         "closed": "2022-02-15 10:00", "published": "2022-02-16 10:00"},
        {"category": "other", "created": "2021-12-01 10:00", "rectified": "2022-01-05 10:00",
         "closed": "2022-01-10 10:00"},
        {"category": "not_online", "created": "2022-06-01 10:00"},
        {"category": "not_online", "created": "2022-11-01 10:00",
         "rectified": "2022-11-20 10:00", "published": "2023-01-02 10:00"},
    ])
    return u, before


EXPECTED_2022 = {
    "proactive_disclosure": {"total": 5, "by_category": {"general": 3, "regulation": 1,
                                                         "personnel": 1}},
    "received": {"natural_person": 3, "legal_service": 1, "other": 1, "company": 1,
                 "research_body": 1},
    "carried_over": {"natural_person": 1, "company": 1, "ngo": 1},
    "outcomes": {"natural_person": 2, "legal_service": 1, "other": 1, "company": 1,
                 "research_body": 1},
    "carried_forward": {"company": 1, "ngo": 1, "natural_person": 2},
}


def test_unit_report_every_figure(api, unit2022):
    u, _ = unit2022
    doc = report(api, 2022, unit=u["id"])
    assert doc["unit_id"] == u["id"] and doc["year"] == 2022
    pd = doc["proactive_disclosure"]
    assert pd["total"] == 5
    assert by(pd["by_category"], "category") == dict.fromkeys(INFO_CATEGORIES, 0) | EXPECTED_2022[
        "proactive_disclosure"]["by_category"]
    apps = doc["applications"]
    for part in ("received", "carried_over", "outcomes", "carried_forward"):
        want = dict.fromkeys(APPLICANT_TYPES, 0) | EXPECTED_2022[part]
        assert apps[part]["by_applicant_type"] == want, part
        assert apps[part]["total"] == sum(want.values()), part
    out = apps["outcomes"]
    assert by(out["by_outcome"], "outcome") == dict.fromkeys(OUTCOMES, 0) | {
        "disclosed": 1, "withheld": 1, "partially_disclosed": 1}
    assert by(out["withheld_by_reason"], "reason_code") == dict.fromkeys(REASONS, 0) | {
        "state_secret": 1}
    assert by(out["partially_disclosed_by_reason"], "reason_code") == dict.fromkeys(
        REASONS, 0) | {"third_party_rights": 1}
    assert (out["not_accepted"], out["withdrawn"], out["abandoned"]) == (1, 1, 1)
    assert apps["balance"] == {"new_plus_carried_over": 10, "outcomes_plus_carried_forward": 10,
                               "balanced": True}
    # decided in 2022: 15, 10 and 30 working days, two in time, one extended
    assert doc["processing"] == {"decided": 3, "average_working_days": 18.3,
                                 "median_working_days": 15.0, "on_time": 2,
                                 "on_time_rate": 0.6667, "extended": 1}
    sv = doc["service_items"]
    assert (sv["total"], sv["online"], sv["online_rate"]) == (4, 3, 0.75)
    assert {e["category"]: (e["count"], e["online"]) for e in sv["by_category"]} == {
        "administrative_license": (3, 2), "non_administrative_license": (0, 0),
        "public_service": (1, 1), "referral": (0, 0)}
    sup = doc["supervision"]
    assert (sup["findings_opened"], sup["rectified"], sup["closed"], sup["published"]) == (
        3, 3, 2, 1)
    assert {e["category"]: (e["opened"], e["closed"]) for e in sup["by_category"]} == dict.fromkeys(
        FINDING_CATEGORIES, (0, 0)) | {"overdue": (1, 1), "other": (0, 1), "not_online": (2, 0)}
    assert doc["approvals"] == {"received": 3, "decided": 2, "approved": 1, "rejected": 1,
                                "on_time_rate": 0.5}


def test_unit_report_adds_to_the_city(api, unit2022):
    u, before = unit2022
    after, mine = report(api, 2022), report(api, 2022, unit=u["id"])
    b, a, m = counts(before), counts(after), counts(mine)
    assert a.keys() == m.keys() == b.keys()
    for k in a:
        assert a[k] - b[k] == m[k], k
    assert after["applications"]["balance"]["balanced"] is True


def test_neighbouring_years_of_the_unit(api, unit2022):
    u, _ = unit2022
    y_before = report(api, 2021, unit=u["id"])
    # received in 2021: three (the ones carried over into 2022)
    assert y_before["applications"]["received"]["total"] == 3
    assert y_before["applications"]["carried_over"]["total"] == 1
    assert y_before["applications"]["outcomes"]["total"] == 1
    assert y_before["applications"]["carried_forward"]["total"] == 3
    assert y_before["applications"]["balance"]["balanced"] is True
    y_after = report(api, 2023, unit=u["id"])
    assert y_after["applications"]["carried_over"]["total"] == 4
    assert y_after["proactive_disclosure"]["total"] == 1
    assert y_after["supervision"]["published"] == 1
    assert y_after["applications"]["balance"]["balanced"] is True


# --------------------------------------------------------------------------
# CSV


def parse_csv(resp):
    assert resp.headers["Content-Type"].lower().replace(" ", "") == "text/csv;charset=utf-8"
    assert resp.content.startswith(b"\xef\xbb\xbf"), resp.content[:10]
    text = resp.content.decode("utf-8")[1:]
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["section", "item", "dimension", "value"]
    assert all(len(r) == 4 for r in rows), rows
    return rows[1:]


def csv_value(s):
    if s == "":
        return None
    if s in ("true", "false"):
        return s == "true"
    return float(s) if "." in s else int(s)


ARRAYS = {"by_category": "category", "by_outcome": "outcome",
          "withheld_by_reason": "reason_code", "partially_disclosed_by_reason": "reason_code"}


def rebuild(rows):
    """The JSON report again, from nothing but the rows of its CSV."""
    doc = {}
    for section, item, dim, value in rows:
        if section == "report":
            doc[item] = {"year": int, "unit_id": lambda v: v or None,
                         "generated_at": str}[item](value)
            continue
        v = csv_value(value)
        keys = item.split(".")
        node = doc.setdefault(section, {})
        if not dim:
            for k in keys[:-1]:
                node = node.setdefault(k, {})
            node[keys[-1]] = v
        elif keys[-1] in ("by_applicant_type", "by_score", "by_channel"):
            for k in keys:
                node = node.setdefault(k, {})
            node[dim] = v
        else:  # an entry of an array; its count, or the member named last
            array, field = (keys[-1], "count") if keys[-1] in ARRAYS else (keys[-2], keys[-1])
            for k in keys[:keys.index(array)]:
                node = node.setdefault(k, {})
            entries = node.setdefault(array, [])
            entry = next((e for e in entries if e[ARRAYS[array]] == dim), None)
            if entry is None:
                entry = {ARRAYS[array]: dim}
                entries.append(entry)
            entry[field] = v
    return doc


@pytest.mark.parametrize("which", ["demo2019", "unit2022", "city_this_year"])
def test_csv_equals_json(api, request, which):
    if which == "demo2019":
        params = {"year": 2019}
    elif which == "unit2022":
        params = {"year": 2022, "unit": request.getfixturevalue("unit2022")[0]["id"]}
    else:
        params = {"year": shanghai_today().year}
    for attempt in range(3):  # other tests may add a request between the two reads
        j = api.get("/v1/reports/annual", params=params)
        c = api.get("/v1/reports/annual", params=dict(params, format="figures_csv"))
        assert j.status_code == c.status_code == 200
        assert c.headers["Content-Disposition"] == \
            f'attachment; filename="annual-report-figures-{params["year"]}.csv"'
        assert c.headers["Cache-Control"] == "public, max-age=300"
        doc, rows = j.json(), parse_csv(c)
        assert "Content-Disposition" not in j.headers
        got = rebuild(rows)
        got.pop("generated_at"), doc.pop("generated_at")
        # the national form and the publication are the form CSV's and the
        # JSON's; the figures CSV is the sections beside them
        doc.pop("form"), doc.pop("publication")
        if got == doc:
            break
    assert got == doc
    # one row per value, in the order of the JSON document
    assert rows[0][:2] == ["report", "year"]
    assert ["proactive_disclosure", "by_category", "general"] in [r[:3] for r in rows]


def test_csv_of_the_demo_year_reads_like_the_summary(api, demo_2019):
    info, service, _ = demo_2019
    rows = parse_csv(api.get("/v1/reports/annual", params={"year": 2019, "format": "figures_csv"}))
    table = {tuple(r[:3]): r[3] for r in rows}
    assert table[("proactive_disclosure", "total", "")] == str(sum(info.values()))
    for cat in INFO_CATEGORIES:
        assert table[("proactive_disclosure", "by_category", cat)] == str(info[cat])
    for cat in SERVICE_CATEGORIES:
        assert table[("service_items", "by_category", cat)] == str(service[cat])
    assert table[("applications", "received.by_applicant_type", "natural_person")] >= "1"
    assert table[("applications", "balance.balanced", "")] == "true"
    assert table[("approvals", "on_time_rate", "")] == ""
    assert table[("report", "unit_id", "")] == ""


# --------------------------------------------------------------------------
# the balance across a year boundary, through the API


@pytest.fixture(scope="module")
def carried(api, make_unit, tokens):
    """Paper applications received last year, registered now, some decided
    now; and the reports of both years before."""
    this_year = shanghai_today().year
    last_year = this_year - 1
    before = {y: report(api, y) for y in (last_year, this_year)}
    u = make_unit(kind="municipal_agency", code=uniq("RPB-"), name="结转测试局" + uniq())
    clerk = mint(tokens, "clerk", unit=u["id"], sub=str(uuid.uuid4()))
    approver = mint(tokens, "approver", unit=u["id"], sub=str(uuid.uuid4()))

    def register(received_at, applicant_type):
        body = {"kind": "disclosure", "unit_id": u["id"],
                "description": "申请公开本单位上年度财政预算执行情况。" + uniq(),
                "purpose": "监督", "delivery": "paper", "channel": "paper",
                "received_at": received_at,
                "applicant": {"type": applicant_type, "name": "申请人" + uniq()}}
        r = api.post("/v1/requests", token=clerk, json=body)
        assert r.status_code == 201, r.content
        return r.json()["id"]

    def step(rid, body, token):
        r = api.post(f"/v1/requests/{rid}/approvals", token=token, json=body)
        assert r.status_code == 201, r.content

    decide = {"action": "decide", "outcome": "disclosed", "legal_basis": LEGAL_BASIS}
    old = [register(f"{last_year}-{m:02d}-15T02:00:00Z", t) for m, t in
           ((3, "company"), (4, "natural_person"), (5, "ngo"), (6, "natural_person"))]
    step(old[1], decide, approver)
    step(old[2], dict(decide, outcome="withheld", reason_code="third_party_rights"), approver)
    r = api.post(f"/v1/requests/{old[3]}/withdraw", token=clerk, json={"reason": "申请人撤回"})
    assert r.status_code == 200, r.content
    new = register(dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "company")
    step(new, decide, approver)
    return u, before, last_year, this_year


def test_balance_with_carried_over_cases(api, carried):
    u, before, last_year, this_year = carried
    prev = report(api, last_year, unit=u["id"])["applications"]
    assert prev["received"]["total"] == 4
    assert prev["carried_over"]["total"] == 0
    assert prev["outcomes"]["total"] == 0
    assert prev["carried_forward"]["total"] == 4
    assert prev["carried_forward"]["by_applicant_type"] == dict.fromkeys(APPLICANT_TYPES, 0) | {
        "company": 1, "natural_person": 2, "ngo": 1}
    assert prev["balance"] == {"new_plus_carried_over": 4, "outcomes_plus_carried_forward": 4,
                               "balanced": True}
    cur = report(api, this_year, unit=u["id"])
    apps = cur["applications"]
    assert apps["carried_over"]["total"] == 4
    assert apps["carried_over"]["by_applicant_type"] == \
        prev["carried_forward"]["by_applicant_type"]
    assert apps["received"]["by_applicant_type"] == dict.fromkeys(APPLICANT_TYPES, 0) | {
        "company": 1}
    out = apps["outcomes"]
    assert out["total"] == 4
    assert by(out["by_outcome"], "outcome") == dict.fromkeys(OUTCOMES, 0) | {
        "disclosed": 2, "withheld": 1}
    assert by(out["withheld_by_reason"], "reason_code")["third_party_rights"] == 1
    assert out["withdrawn"] == 1
    assert apps["carried_forward"]["by_applicant_type"] == dict.fromkeys(APPLICANT_TYPES, 0) | {
        "company": 1}
    assert apps["balance"] == {"new_plus_carried_over": 5, "outcomes_plus_carried_forward": 5,
                               "balanced": True}
    # decided now: one received today (in time, 0 working days), two last
    # spring (late)
    p = cur["processing"]
    assert p["decided"] == 3 and p["on_time"] == 1
    assert p["on_time_rate"] == pytest.approx(1 / 3, abs=5e-5)
    assert p["average_working_days"] is not None and p["median_working_days"] is not None
    assert p["median_working_days"] > 0


def test_balance_city_wide_deltas(api, carried):
    _, before, last_year, this_year = carried
    prev, cur = report(api, last_year), report(api, this_year)
    for doc in (prev, cur):
        assert doc["applications"]["balance"]["balanced"] is True
    d = lambda a, b, part: (a["applications"][part]["total"]
                            - b["applications"][part]["total"])
    # others add requests of their own; ours are at least there
    assert d(prev, before[last_year], "received") >= 4
    assert d(prev, before[last_year], "carried_forward") >= 4
    assert d(cur, before[this_year], "carried_over") >= 4
    assert d(cur, before[this_year], "outcomes") >= 4


# --------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("params,pointer", [
    ({}, "/query/year"),
    ({"year": "1999"}, "/query/year"),
    ({"year": "10000"}, "/query/year"),
    ({"year": "20x9"}, "/query/year"),
    ({"year": "2019.0"}, "/query/year"),
    ({"year": "+2019"}, "/query/year"),
    ({"year": ""}, "/query/year"),
    ({"year": "2019", "format": "xml"}, "/query/format"),
    ({"year": "2019", "format": "CSV"}, "/query/format"),
    ({"year": "2019", "unit": "PSB"}, "/query/unit"),
])
def test_annual_bad_query_400(api, params, pointer):
    doc = assert_problem(api.get("/v1/reports/annual", params=params), 400, "bad-request")
    assert error_pointers(doc) == [pointer]


def test_annual_unknown_unit_404(api):
    assert_problem(api.get("/v1/reports/annual",
                           params={"year": 2019, "unit": str(uuid.uuid4())}), 404, "not-found")


def test_annual_invalid_token_401(api):
    assert_problem(api.get("/v1/reports/annual", params={"year": 2019}, token="x.y.z"), 401)


@pytest.mark.parametrize("params,pointer", [
    ({"from": "2019-02-30"}, "/query/from"),
    ({"from": "20190101"}, "/query/from"),
    ({"to": "yesterday"}, "/query/to"),
    ({"from": "2019-05-02", "to": "2019-05-01"}, "/query/to"),
    ({"from": "2020-01-01", "to": "2025-01-01"}, "/query/to"),
    ({"from": "2020-02-29", "to": "2025-02-28"}, "/query/to"),
    ({"from": "9999-12-01", "to": "9999-12-31"}, "/query/to"),
    ({"from": "2019-01-01", "to": "2019-12-31", "limit": "0"}, "/query/limit"),
    ({"from": "2019-01-01", "to": "2019-12-31", "limit": "101"}, "/query/limit"),
    ({"from": "2019-01-01", "to": "2019-12-31", "cursor": "nonsense"}, "/query/cursor"),
])
def test_scoreboard_bad_query_400(api, params, pointer):
    doc = assert_problem(api.get("/v1/stats/units", params=params), 400, "bad-request")
    assert error_pointers(doc) == [pointer]


def test_scoreboard_forged_cursors_400(api):
    for parts in (["abc", "PSB"], ["101", "PSB"], ["-1", "PSB"], ["50", "no such code!"],
                  ["50"]):
        c = base64.urlsafe_b64encode(json.dumps(parts).encode()).rstrip(b"=").decode()
        doc = assert_problem(api.get("/v1/stats/units", params={"cursor": c}), 400,
                             "bad-request")
        assert error_pointers(doc) == ["/query/cursor"]


def test_scoreboard_longest_range_and_defaults(api):
    assert api.get("/v1/stats/units", params={"from": "2020-01-01",
                                              "to": "2024-12-31"}).status_code == 200
    assert api.get("/v1/stats/units", params={"from": "2020-02-29",
                                              "to": "2025-02-27"}).status_code == 200
    assert api.get("/v1/stats/units", params={"from": "2019-06-01",
                                              "to": "2019-06-01"}).status_code == 200
    r = api.get("/v1/stats/units")
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "public, max-age=300"
    # the defaults are 1 January of this year through today
    today = shanghai_today()
    explicit = api.get("/v1/stats/units", params={"from": f"{today.year}-01-01",
                                                  "to": today.isoformat()})
    assert [u["unit_id"] for u in r.json()["data"]] == \
        [u["unit_id"] for u in explicit.json()["data"]]


# --------------------------------------------------------------------------
# the scoreboard: grades at their thresholds (2021)


RANGE_2021 = {"from": "2021-01-01", "to": "2021-12-31"}
N = 400  # the denominator of every rate below: just below is one in 400 less
THRESHOLDS = {  # metric -> [(threshold, grade at it, grade just below)]
    "on_time_rate": [(0.95, "excellent", "good"), (0.85, "good", "pass"),
                     (0.70, "pass", "fail")],
    "online_rate": [(0.90, "excellent", "good"), (0.80, "good", "pass"),
                    (0.60, "pass", "fail")],
    "rectification_rate": [(0.90, "excellent", "good"), (0.75, "good", "pass"),
                           (0.50, "pass", "fail")],
}
CASES = [(metric, t, at, below, side) for metric, rows in THRESHOLDS.items()
         for t, at, below in rows for side in ("at", "below")]


def walk(api, params, token=None):
    """Every page of the scoreboard, following Link; returns the rows."""
    rows, query = [], dict(params)
    for _ in range(1000):
        r = api.get("/v1/stats/units", params=query, token=token)
        assert r.status_code == 200, r.content
        body = r.json()
        rows.extend(body["data"])
        if body["next_cursor"] is None:
            assert "Link" not in r.headers
            return rows
        m = LINK_RE.match(r.headers["Link"])
        assert m, r.headers["Link"]
        q = parse_qs(urlsplit(m.group(1)).query)
        assert q["cursor"] == [body["next_cursor"]]
        for k, v in params.items():
            assert q[k] == [str(v)], (k, q)
        query = dict(params, cursor=body["next_cursor"])
    pytest.fail("the scoreboard never ended")


@pytest.fixture(scope="module")
def graded(api, make_unit, db):
    """One unit per case, its rate exactly at the threshold or one in N
    below; every other rate has nothing to judge (null). Also a unit whose
    figures are all checked. Returns code -> scoreboard row."""
    units = {}
    for metric, t, _, _, side in CASES:
        k = round(t * N) - (side == "below")
        u = make_unit(kind="sub_district", code=uniq("RPG-"), name="评分测试" + uniq())
        units[(metric, t, side)] = u
        if metric == "on_time_rate":
            insert_many_decided(db, u["id"], N, k)
        elif metric == "online_rate":
            insert_many_service_items(db, u["id"], N, k)
        else:
            insert_many_findings(db, u["id"], N, k)
    mixed = make_unit(kind="township", code=uniq("RPM-"), name="综合测试乡" + uniq())
    m = mixed["id"]
    # decided in 2021: 6 in time (5 days each), 2 late (25 days each)
    insert_many_decided(db, m, 8, 6)
    insert_requests(db, m, [
        # open and red since 2021: overdue
        {"status": "accepted", "received": "2021-11-01 10:00", "red_on": "2021-12-01",
         "light": "red"},
        {"status": "paused", "received": "2020-05-01 10:00", "red_on": "-infinity",
         "light": "red"},
        # open and red, but received after the range: not counted
        {"status": "submitted", "received": "2022-01-05 10:00", "red_on": "2022-02-01",
         "light": "red"},
        # open, not red
        {"status": "accepted", "received": "2021-12-20 10:00", "red_on": "infinity",
         "light": "green"},
        # decided after the range
        {"status": "decided", "received": "2021-12-30 10:00", "decided": "2022-01-10 10:00",
         "outcome": "disclosed", "days_used": 6, "on_time": True},
    ])
    insert_many_service_items(db, m, 5, 4)
    # findings: 1 opened in 2021 and closed, 2 opened in 2020 and closed in 2021
    insert_findings(db, m, [
        {"category": "other", "created": "2021-03-01 10:00", "closed": "2021-04-01 10:00",
         "rectified": "2021-03-20 10:00"},
        {"category": "overdue", "created": "2020-12-01 10:00", "closed": "2021-01-20 10:00",
         "rectified": "2021-01-10 10:00"},
        {"category": "other", "created": "2020-11-01 10:00", "closed": "2021-02-01 10:00",
         "rectified": "2021-01-15 10:00"},
        {"category": "other", "created": "2022-01-01 10:00"},
    ])
    rows = {row["unit_code"]: row for row in walk(api, dict(RANGE_2021, limit=100))}
    return {key: rows[u["code"]] for key, u in units.items()}, rows[mixed["code"]], mixed


@pytest.mark.parametrize("metric,threshold,at,below,side", CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[4]}" for c in CASES])
def test_scoreboard_grade_at_threshold(graded, metric, threshold, at, below, side):
    row = graded[0][(metric, threshold, side)]
    k = round(threshold * N) - (side == "below")
    assert row[metric] == pytest.approx(k / N, abs=5e-5)
    assert row["grade"] == (at if side == "at" else below), row
    for other in THRESHOLDS:
        if other != metric:
            assert row[other] is None, (other, row)
    assert row["score"] == pytest.approx(
        round(100 * (1 - {"on_time_rate": 0.5}.get(metric, 0.25) * (1 - k / N)), 1), abs=0.051)


def test_scoreboard_figures_of_a_unit(graded):
    row, unit = graded[1], graded[2]
    assert row["unit_id"] == unit["id"]
    assert row["unit_name"] == unit["name"] and row["unit_kind"] == "township"
    # 8 decided, 2 open and 1 decided in 2022, received in 2021
    assert row["received"] == 11
    assert row["decided"] == 8
    assert row["on_time"] == 6
    # late decisions 2, open and red 2 (the one received in 2022 is not counted)
    assert row["overdue"] == 4
    assert row["on_time_rate"] == pytest.approx(0.6)
    assert row["average_working_days"] == 10.0  # (6 x 5 + 2 x 25) / 8
    assert (row["service_items"], row["online_items"], row["online_rate"]) == (5, 4, 0.8)
    assert (row["findings_opened"], row["findings_closed"]) == (1, 3)
    assert row["rectification_rate"] == 1.0  # 3 closed for 1 opened: capped at 1
    assert row["average_rating"] is None
    assert row["score"] == round(100 * (0.5 * 0.6 + 0.25 * 0.8 + 0.25 * 1.0), 1)
    assert row["grade"] == "fail"  # 0.6 < 0.70


def test_scoreboard_rates_round_but_grades_exact(graded):
    # 379/400 = 0.9475 is below 0.95 although two decimals would round it up
    row = graded[0][("on_time_rate", 0.95, "below")]
    assert row["on_time_rate"] == 0.9475 and row["grade"] == "good"


# --------------------------------------------------------------------------
# the scoreboard: order and pagination


def test_scoreboard_pagination_no_duplicates(api, db, graded):
    total = int(db.scalar("SELECT count(*) FROM units"))
    whole = walk(api, dict(RANGE_2021, limit=100))
    paged = walk(api, dict(RANGE_2021, limit=7))
    ids = [r["unit_id"] for r in paged]
    assert len(ids) == len(set(ids)), "a unit on two pages"
    assert len(ids) == total
    assert set(ids) == {r["unit_id"] for r in whole}
    assert ids == [r["unit_id"] for r in whole]
    keys = [(-r["score"], r["unit_code"]) for r in paged]
    assert keys == sorted(keys)


def test_scoreboard_pages_are_consistent_for_tokens(api, tokens):
    tok = mint(tokens, "supervisor")
    r = api.get("/v1/stats/units", params=dict(RANGE_2021, limit=3), token=tok)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "private, no-cache"
    assert len(r.json()["data"]) == 3
