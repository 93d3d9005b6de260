"""The working-day calendar: GET /v1/calendar and PUT /v1/calendar/{date},
checked against the official 2019 and 2026 schedules the demo seeds."""

import random

import pytest

from conftest import assert_problem, error_pointers


def days(api, frm, to, **kw):
    r = api.get("/v1/calendar", params={"from": frm, "to": to}, **kw)
    assert r.status_code == 200, r.content
    doc = r.json()
    return doc, {d["date"]: d for d in doc["data"]}


def test_national_day_2019(api):
    doc, d = days(api, "2019-09-28", "2019-10-13")
    assert doc["from"] == "2019-09-28" and doc["to"] == "2019-10-13"
    assert len(doc["data"]) == 16
    assert d["2019-09-28"]["working"] is False and d["2019-09-28"]["source"] == "rule"
    assert d["2019-09-29"] == {"date": "2019-09-29", "weekday": 7, "working": True,
                               "source": "override", "note": "国庆节调休上班"}
    assert d["2019-09-30"]["working"] is True and d["2019-09-30"]["source"] == "rule"
    for day in range(1, 8):
        assert d[f"2019-10-{day:02d}"]["working"] is False, day
        assert d[f"2019-10-{day:02d}"]["note"] == "国庆节"
    assert d["2019-10-12"]["working"] is True and d["2019-10-12"]["weekday"] == 6
    assert d["2019-10-13"]["working"] is False
    # 09-29, 09-30, 10-08..10-11, 10-12
    assert doc["working_days"] == 7
    assert doc["working_days"] == sum(x["working"] for x in doc["data"])


def test_spring_festival_2026(api):
    doc, d = days(api, "2026-02-14", "2026-02-28")
    assert d["2026-02-14"]["working"] is True and d["2026-02-14"]["weekday"] == 6
    for day in range(15, 24):
        assert d[f"2026-02-{day:02d}"]["working"] is False, day
    assert d["2026-02-24"]["working"] is True
    assert d["2026-02-28"]["working"] is True and d["2026-02-28"]["source"] == "override"


def test_weekdays_and_cache(api):
    r = api.get("/v1/calendar", params={"from": "2030-01-07", "to": "2030-01-13"})
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "public, max-age=60"
    doc = r.json()
    assert [x["weekday"] for x in doc["data"]] == [1, 2, 3, 4, 5, 6, 7]
    assert [x["working"] for x in doc["data"]] == [True] * 5 + [False] * 2
    assert doc["working_days"] == 5


@pytest.mark.parametrize("params, pointer", [
    ({"to": "2019-10-01"}, "/query/from"),
    ({"from": "2019-10-01"}, "/query/to"),
    ({"from": "2019-02-29", "to": "2019-03-01"}, "/query/from"),
    ({"from": "2019-10-1", "to": "2019-10-02"}, "/query/from"),
    ({"from": "2019-10-02", "to": "2019-10-01"}, "/query/to"),
    ({"from": "2019-01-01", "to": "2020-01-02"}, "/query/to"),  # 367 days
    ({"from": "2019-01-01T00:00:00Z", "to": "2019-01-02"}, "/query/from"),
])
def test_bad_ranges(api, params, pointer):
    doc = assert_problem(api.get("/v1/calendar", params=params), 400, "bad-request")
    assert pointer in error_pointers(doc)


def test_longest_range_is_366_days(api):
    doc, _ = days(api, "2020-01-01", "2020-12-31")  # a leap year
    assert len(doc["data"]) == 366


def random_day():
    """A date far away from the seeded years, different on every run."""
    return f"{random.randint(2070, 2099)}-{random.randint(1, 12):02d}-{random.randint(1, 28):02d}"


def test_put_day_and_audit(api, admin, db):
    day = random_day()
    before = db("SELECT count(*) FROM audit_log WHERE action = 'calendar.set'")[0][0]
    r = api.put(f"/v1/calendar/{day}", token=admin, json={"working": False, "note": "临时休息日"})
    assert r.status_code == 200, r.content
    assert r.json()["date"] == day and r.json()["working"] is False
    assert r.json()["source"] == "override" and r.json()["note"] == "临时休息日"
    _, d = days(api, day, day)
    assert d[day]["working"] is False and d[day]["source"] == "override"
    r = api.put(f"/v1/calendar/{day}", token=admin, json={"working": True})
    assert r.status_code == 200 and r.json()["working"] is True and r.json()["note"] is None
    after = db("SELECT count(*) FROM audit_log WHERE action = 'calendar.set'")[0][0]
    assert int(after) == int(before) + 2
    row = db(f"SELECT actor, entity_id FROM audit_log WHERE action = 'calendar.set'"
             f" ORDER BY seq DESC LIMIT 1")[0]
    assert row[1] == day


def count_state(db):
    return (db("SELECT count(*), coalesce(max(updated_at)::text, '') FROM calendar_days")[0],
            db("SELECT max(seq) FROM audit_log")[0])


def test_put_refused(api, admin, tokens, db, demo_units):
    day = random_day()
    state = count_state(db)
    clerk = tokens.mint("clerk", unit=demo_units["PSB"])
    assert_problem(api.put(f"/v1/calendar/{day}", token=clerk, json={"working": True}),
                   403, "forbidden")
    assert_problem(api.put(f"/v1/calendar/{day}", json={"working": True}), 401, "unauthorized")
    for bad in ("2019-13-01", "2019-02-29", "20190101", "tomorrow"):
        assert_problem(api.put(f"/v1/calendar/{bad}", token=admin, json={"working": True}),
                       404, "not-found")
    for body, pointer in (({}, "/working"), ({"working": "yes"}, "/working"),
                          ({"working": True, "extra": 1}, "/extra"),
                          ({"working": True, "note": "x" * 201}, "/note"),
                          ({"working": None}, "/working")):
        doc = assert_problem(api.put(f"/v1/calendar/{day}", token=admin, json=body),
                             422, "validation")
        assert pointer in error_pointers(doc), doc
    r = api.put(f"/v1/calendar/{day}", token=admin, data=b"working=true",
                headers={"Content-Type": "text/plain"})
    assert_problem(r, 415, "unsupported-media-type")
    assert count_state(db) == state
