"""The working-day calendar: GET /v1/calendar and PUT /v1/calendar/{date},
checked against the official 2019-2026 schedules the service ships
(sql/012), and the years whose schedule is loaded: GET /v1/calendar/years,
PUT and DELETE /v1/calendar/years/{year}, incomplete_years, /metrics."""

import datetime as dt
import random
import re
from zoneinfo import ZoneInfo

import pytest

from conftest import assert_problem, error_pointers

TZ = ZoneInfo("Asia/Shanghai")

# The notices sql/012 ships (国务院办公厅关于YYYY年部分节假日安排的通知).
SHIPPED = {
    2019: ("国办发明电〔2018〕15号", "2018-12-06"),
    2020: ("国办发明电〔2019〕16号", "2019-11-21"),
    2021: ("国办发明电〔2020〕27号", "2020-11-25"),
    2022: ("国办发明电〔2021〕11号", "2021-10-25"),
    2023: ("国办发明电〔2022〕16号", "2022-12-08"),
    2024: ("国办发明电〔2023〕7号", "2023-10-25"),
    2025: ("国办发明电〔2024〕12号", "2024-11-12"),
    2026: ("国办发明电〔2025〕7号", "2025-11-04"),
}


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


# --------------------------------------------------------------------------
# the official schedules shipped with the service (sql/012)


@pytest.mark.parametrize("day, working", [
    # National Day and Mid-Autumn 2025: eight days off, two make-up days
    *[(f"2025-10-0{d}", False) for d in range(1, 9)],
    ("2025-09-28", True),   # Sunday
    ("2025-10-11", True),   # Saturday
    ("2025-10-09", True),
    # the Spring Festival of 2020, extended to 2 February
    ("2020-01-31", False), ("2020-02-01", False), ("2020-02-02", False),
    ("2020-02-03", True),
    ("2020-01-19", True),   # Sunday, still a make-up day
    # make-up days of other years
    ("2024-02-04", True),   # Sunday
    ("2021-02-20", True),   # Saturday
    ("2023-01-28", True),   # Saturday
    ("2023-01-27", False),
    ("2018-12-29", True),   # Saturday, for the New Year of 2019
])
def test_official_days(api, day, working):
    _, d = days(api, day, day)
    assert d[day]["working"] is working, d[day]
    weekend = d[day]["weekday"] >= 6
    if working == weekend or "2025-10-01" <= day <= "2025-10-08":
        assert d[day]["source"] == "override" and d[day]["note"], d[day]


def test_national_day_2025_week(api):
    doc, d = days(api, "2025-09-27", "2025-10-12")
    assert doc["incomplete_years"] == []
    assert {x["note"] for k, x in d.items() if "2025-10-01" <= k <= "2025-10-08"} == \
        {"国庆节、中秋节"}
    assert d["2025-09-28"]["note"] == d["2025-10-11"]["note"] == "国庆节、中秋节调休上班"
    # 28, 29, 30 Sep; 9, 10, 11 Oct
    assert doc["working_days"] == 6


# --------------------------------------------------------------------------
# coverage: which years carry the official schedule


def shanghai_today():
    return dt.datetime.now(TZ).date()


def years_doc(api):
    r = api.get("/v1/calendar/years")
    assert r.status_code == 200, r.content
    assert r.headers["Cache-Control"] == "public, max-age=60"
    return r.json()


def scrape_calendar(api):
    """year -> 0/1 of opengov_calendar_year_complete, and the missing count."""
    r = api.get("/metrics")
    assert r.status_code == 200
    text = r.text
    years = {int(y): int(v) for y, v in
             re.findall(r'^opengov_calendar_year_complete\{year="(\d+)"\} ([01])$', text, re.M)}
    m = re.search(r"^opengov_calendar_missing_years (\d+)$", text, re.M)
    assert m and years, "the calendar gauges are not in /metrics"
    assert "# TYPE opengov_calendar_year_complete gauge" in text
    assert "# TYPE opengov_calendar_missing_years gauge" in text
    return years, int(m.group(1))


def test_years_shipped(api):
    doc = years_doc(api)
    this_year = shanghai_today().year
    by_year = {y["year"]: y for y in doc["data"]}
    # consecutive, from the first shipped year through next year at least
    got = [y["year"] for y in doc["data"]]
    assert got == list(range(got[0], got[-1] + 1))
    assert got[0] == 2019 and got[-1] >= this_year + 1
    for year, (number, published) in SHIPPED.items():
        y = by_year[year]
        assert y["complete"] is True, y
        assert y["notice"] == f"国务院办公厅关于{year}年部分节假日安排的通知"
        assert y["notice_number"] == number and y["published_on"] == published
        assert y["recorded_by"] == "migration:012" and y["recorded_at"]
    # the two later changes are kept with their years
    assert "国办发明电〔2019〕3号" in by_year[2019]["note"]
    assert "国办发明电〔2020〕1号" in by_year[2020]["note"]
    assert doc["missing"] == [y["year"] for y in doc["data"] if not y["complete"]]
    for year in doc["missing"]:
        assert by_year[year] == {"year": year, "complete": False, "notice": None,
                                 "notice_number": None, "published_on": None, "note": None,
                                 "recorded_by": None, "recorded_at": None}


def test_years_in_metrics(api):
    doc = years_doc(api)
    years, missing = scrape_calendar(api)
    assert years == {y["year"]: int(y["complete"]) for y in doc["data"]}
    assert missing == len(doc["missing"])


def test_incomplete_years_of_a_range(api):
    doc = years_doc(api)
    complete = {y["year"] for y in doc["data"] if y["complete"]}
    assert days(api, "2019-01-01", "2019-12-31")[0]["incomplete_years"] == []
    assert days(api, "2025-12-01", "2026-01-31")[0]["incomplete_years"] == []
    # the years before the first schedule are not complete either
    assert days(api, "2018-12-01", "2019-01-31")[0]["incomplete_years"] == [2018]
    assert days(api, "2017-12-31", "2018-01-01")[0]["incomplete_years"] == [2017, 2018]
    far = days(api, "2099-12-31", "2100-01-01")[0]
    assert far["incomplete_years"] == [y for y in (2099, 2100) if y not in complete]
    # next year, recorded or not
    nxt = shanghai_today().year + 1
    doc, _ = days(api, f"{nxt}-01-01", f"{nxt}-01-31")
    assert doc["incomplete_years"] == ([] if nxt in complete else [nxt])


def test_one_year(api, public):
    """GET /v1/calendar/years/{year}: a year as the list shows it, recorded
    or not, to anyone; 404 for what is not a four-digit year."""
    doc = years_doc(api)
    for entry in doc["data"]:
        r = api.get(f"/v1/calendar/years/{entry['year']}")
        assert r.status_code == 200 and r.json() == entry
        assert r.headers["Cache-Control"] == "public, max-age=60"
    got = api.get("/v1/calendar/years/2019").json()
    assert got["complete"] is True and got["notice_number"].startswith("国办发明电")
    far = api.get("/v1/calendar/years/9999").json()
    assert far == {"year": 9999, "complete": False, "notice": None, "notice_number": None,
                   "published_on": None, "note": None, "recorded_by": None,
                   "recorded_at": None}
    assert api.get("/v1/calendar/years/2019", token=public).json() == got
    r = api.request("HEAD", "/v1/calendar/years/2019")
    assert r.status_code == 200 and not r.content
    for bad in ("19", "1899", "20190", "2019x", "-2019", "%20"):
        assert_problem(api.get(f"/v1/calendar/years/{bad}"), 404, "not-found")


def first_missing_year(api):
    """The first year without a schedule from this year on, or skip."""
    this_year = shanghai_today().year
    missing = [y for y in years_doc(api)["missing"] if y >= this_year]
    if not missing:
        pytest.skip("every year through next year has its official schedule")
    return missing[0]


def audit_count(db, action, year):
    return int(db.scalar(f"SELECT count(*) FROM audit_log WHERE action = '{action}'"
                         f" AND entity = 'calendar' AND entity_id = '{year}'"))


def test_record_a_year(api, admin, db):
    """An admin enters a day of the missing year, then records the year: it
    is complete in the list, the ranges and /metrics; taking it back
    restores all three."""
    year = first_missing_year(api)
    day = f"{year}-01-01"
    had_day = db(f"SELECT 1 FROM calendar_days WHERE day = '{day}'")
    _, before_missing = scrape_calendar(api)
    puts, deletes = audit_count(db, "calendar.year", year), audit_count(db, "calendar.year_delete", year)
    body = {"notice": f"国务院办公厅关于{year}年部分节假日安排的通知",
            "notice_number": f"国办发明电〔{year - 1}〕99号",
            "published_on": shanghai_today().isoformat(),
            "note": "测试用，随后删除。"}
    try:
        if not had_day:
            r = api.put(f"/v1/calendar/{day}", token=admin, json={"working": False, "note": "元旦"})
            assert r.status_code == 200, r.content
        r = api.put(f"/v1/calendar/years/{year}", token=admin, json=body)
        assert r.status_code == 200, r.content
        got = r.json()
        assert got["year"] == year and got["complete"] is True
        assert {k: got[k] for k in body} == body
        assert got["recorded_by"] and got["recorded_at"]
        doc = years_doc(api)
        assert year not in doc["missing"]
        assert [y for y in doc["data"] if y["year"] == year] == [got]
        assert api.get(f"/v1/calendar/years/{year}").json() == got
        assert days(api, f"{year}-01-01", f"{year}-01-02")[0]["incomplete_years"] == []
        years, missing = scrape_calendar(api)
        assert years[year] == 1 and missing == before_missing - 1
        assert audit_count(db, "calendar.year", year) == puts + 1
        detail = db.scalar(f"SELECT detail::text FROM audit_log WHERE action = 'calendar.year'"
                           f" AND entity_id = '{year}' ORDER BY seq DESC LIMIT 1")
        assert body["notice_number"] in detail and body["published_on"] in detail

        # recorded again: the notice is replaced, the year stays complete
        again = dict(body, notice_number=f"国办发明电〔{year - 1}〕98号", note=None)
        r = api.put(f"/v1/calendar/years/{year}", token=admin, json=again)
        assert r.status_code == 200 and r.json()["notice_number"] == again["notice_number"]
        assert r.json()["note"] is None

        r = api.delete(f"/v1/calendar/years/{year}", token=admin)
        assert r.status_code == 200, r.content
        assert r.json() == {"year": year, "complete": False, "notice": None,
                            "notice_number": None, "published_on": None, "note": None,
                            "recorded_by": None, "recorded_at": None}
        assert audit_count(db, "calendar.year_delete", year) == deletes + 1
        assert api.get(f"/v1/calendar/years/{year}").json() == r.json()
        assert_problem(api.delete(f"/v1/calendar/years/{year}", token=admin), 404, "not-found")
        assert year in years_doc(api)["missing"]
        assert days(api, f"{year}-01-01", f"{year}-01-02")[0]["incomplete_years"] == [year]
        years, missing = scrape_calendar(api)
        assert years[year] == 0 and missing == before_missing
    finally:
        db(f"DELETE FROM calendar_years WHERE year = {year}")
        if not had_day:
            db(f"DELETE FROM calendar_days WHERE day = '{day}'")


def year_state(db):
    return (db("SELECT year, notice, notice_number, published_on, note, recorded_by,"
               " recorded_at FROM calendar_years ORDER BY year"),
            db("SELECT max(seq) FROM audit_log")[0],
            db("SELECT version FROM calendar_meta")[0])


def test_record_a_year_refused(api, admin, tokens, demo_units, db):
    year = first_missing_year(api)
    state = year_state(db)
    good = {"notice": f"国务院办公厅关于{year}年部分节假日安排的通知",
            "notice_number": "国办发明电〔2026〕9号",
            "published_on": shanghai_today().isoformat()}
    for role in ("clerk", "approver", "supervisor", "public"):
        tok = tokens.mint(role, unit=demo_units["PSB"]) if role in ("clerk", "approver") \
            else tokens.mint(role)
        assert_problem(api.put(f"/v1/calendar/years/{year}", token=tok, json=good),
                       403, "forbidden")
        assert_problem(api.delete("/v1/calendar/years/2019", token=tok), 403, "forbidden")
    assert_problem(api.put(f"/v1/calendar/years/{year}", json=good), 401, "unauthorized")
    assert_problem(api.delete("/v1/calendar/years/2019"), 401, "unauthorized")
    for bad in ("27", "20270", "1899", "0000", "2O27", "-2027"):
        assert_problem(api.put(f"/v1/calendar/years/{bad}", token=admin, json=good),
                       404, "not-found")
    tomorrow = (shanghai_today() + dt.timedelta(days=1)).isoformat()
    for body, pointers in (
            ({}, {"/notice", "/notice_number", "/published_on"}),
            (dict(good, notice=""), {"/notice"}),
            (dict(good, notice="通" * 201), {"/notice"}),
            (dict(good, notice_number=None), {"/notice_number"}),
            (dict(good, notice_number="号" * 65), {"/notice_number"}),
            (dict(good, published_on="2026-02-30"), {"/published_on"}),
            (dict(good, published_on="20261110"), {"/published_on"}),
            (dict(good, published_on=20261110), {"/published_on"}),
            (dict(good, published_on=tomorrow), {"/published_on"}),
            (dict(good, published_on=f"{year - 2}-11-10"), {"/published_on"}),
            (dict(good, note="注" * 501), {"/note"}),
            (dict(good, year=year), {"/year"}),
            (dict(good, notice=1, extra=True), {"/notice", "/extra"})):
        doc = assert_problem(api.put(f"/v1/calendar/years/{year}", token=admin, json=body),
                             422, "validation")
        assert set(error_pointers(doc)) == pointers, (body, doc)
    # a year after next cannot have its notice yet
    later = shanghai_today().year + 2
    doc = assert_problem(api.put(f"/v1/calendar/years/{later}", token=admin,
                                 json=dict(good, notice=f"国务院办公厅关于{later}年部分节假日安排的通知")),
                         422, "validation")
    assert error_pointers(doc) == ["/published_on"]
    r = api.put(f"/v1/calendar/years/{year}", token=admin, data=b"notice=x",
                headers={"Content-Type": "text/plain"})
    assert_problem(r, 415, "unsupported-media-type")
    r = api.put(f"/v1/calendar/years/{year}", token=admin, data=b"{not json",
                headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "invalid-json")
    # no holiday of the year entered yet: the days come first
    if not db(f"SELECT 1 FROM calendar_days WHERE NOT working"
              f" AND extract(year FROM day) = {year}"):
        doc = assert_problem(api.put(f"/v1/calendar/years/{year}", token=admin, json=good),
                             409, "conflict")
        assert "PUT /v1/calendar/{date}" in doc["detail"]
    assert_problem(api.delete(f"/v1/calendar/years/{year}", token=admin), 404, "not-found")
    assert year_state(db) == state


def test_years_path_is_not_a_date(api, admin):
    """/v1/calendar/years is the list, never the date "years": the methods
    it does not declare answer 405 with its own Allow, and a date still
    answers 405 to GET."""
    r = api.put("/v1/calendar/years", token=admin, json={"working": True}, contract=False)
    assert_problem(r, 405, "method-not-allowed")
    assert r.headers["Allow"] == "OPTIONS, GET, HEAD"
    r = api.get("/v1/calendar/2026-10-01", contract=False)
    assert_problem(r, 405, "method-not-allowed")
    assert r.headers["Allow"] == "OPTIONS, PUT"
    r = api.post("/v1/calendar/years/2027", token=admin, json={}, contract=False)
    assert_problem(r, 405, "method-not-allowed")
    assert r.headers["Allow"] == "OPTIONS, GET, HEAD, PUT, DELETE"
    r = api.request("HEAD", "/v1/calendar/years")
    assert r.status_code == 200 and not r.content
