"""The disclosure catalogue (政府信息公开目录, OGI Regulations Art. 12: each
piece's index, name, summary and date), derived from published information
items with index numbers given at publication; the channels each piece was
published through; timeliness (Art. 26: published within 20 working days of
being made or changed). sql/031_catalogue_channels.sql, api/catalogue.c."""
import datetime as dt
import time
import uuid

import pytest

from conftest import assert_problem, error_pointers, uniq

LONG = 7200


def mint(tokens, role, **claims):
    return tokens.mint(role, exp=int(time.time()) + LONG, **claims)


@pytest.fixture(scope="module")
def staff(make_unit, tokens):
    from types import SimpleNamespace
    code = uniq("CT-")
    u = make_unit(kind="municipal_agency", code=code, name="测试目录局" + uniq())
    other = make_unit(kind="township", code=uniq("CO-"), name="测试目录乡" + uniq())
    return SimpleNamespace(
        id=u["id"], code=code, other=other["id"],
        clerk=mint(tokens, "clerk", unit=u["id"]),
        approver=mint(tokens, "approver", unit=u["id"]),
        other_clerk=mint(tokens, "clerk", unit=other["id"]))


def publish(api, s, **over):
    body = {"kind": "information", "category": "regulation", "title": "测试目录信息" + uniq(),
            "body": "正文。", "document_number": "测目〔2026〕" + uniq() + "号"}
    body.update(over)
    r = api.post("/v1/items", token=s.clerk, json=body)
    assert r.status_code == 201, r.content
    iid = r.json()["id"]
    assert api.post(f"/v1/items/{iid}/submit", token=s.clerk).status_code == 200
    r = api.post(f"/v1/items/{iid}/review", token=s.approver, json={"decision": "approve"})
    assert r.status_code == 200, r.content
    return r.json()


def test_demo_catalogue_numbered_gapless(db):
    n, numbered = db("SELECT count(*), count(index_number) FROM items WHERE created_by ="
                     " 'seed:demo' AND kind = 'information' AND status = 'published'")[0]
    assert int(n) == 4526 and int(numbered) == 4526
    # Gapless per unit and year: the sequences are 1..count and the counter says so.
    bad = db("SELECT i.unit_id, i.index_year FROM items i JOIN catalogue_counters c"
             " ON c.unit_id = i.unit_id AND c.year = i.index_year"
             " WHERE i.index_seq IS NOT NULL GROUP BY 1, 2, c.last"
             " HAVING count(*) <> max(i.index_seq) OR max(i.index_seq) <> c.last")
    assert bad == []


def test_demo_channels_are_the_work_summary(db):
    rows = dict((c, (int(n), int(i), int(k or 0))) for c, n, i, k in db(
        "SELECT channel, count(*), count(DISTINCT issue), coalesce(sum(copies), 0) FROM"
        " (SELECT DISTINCT ON (p.channel, coalesce(p.issue, p.id::text)) p.channel, p.issue,"
        "  p.copies FROM item_publications p JOIN items i ON i.id = p.item_id"
        "  WHERE i.created_by = 'seed:demo') s GROUP BY channel"))
    direct = db("SELECT count(*) FROM item_publications p JOIN items i ON i.id = p.item_id"
                " WHERE i.created_by = 'seed:demo' AND p.channel = 'direct_report'")[0][0]
    assert int(direct) == 3012
    assert rows["bulletin"][1] == 17 and rows["bulletin"][2] == 60000


def test_catalogue_list_filters_pages_and_csv(api, demo_units):
    psb = demo_units["PSB"]
    first = api.get(f"/v1/units/{psb}/catalogue?limit=3&year=2019")
    assert first.status_code == 200
    page = first.json()
    assert len(page["data"]) == 3 and page["next_cursor"]
    nums = [e["index_number"] for e in page["data"]]
    assert all(n.startswith("PSB-2019-") for n in nums) and nums == sorted(nums, reverse=True)
    nxt = api.get(f"/v1/units/{psb}/catalogue?limit=3&year=2019&cursor={page['next_cursor']}").json()
    assert nxt["data"][0]["index_number"] < nums[-1]
    regs = api.get(f"/v1/units/{psb}/catalogue?category=regulation&year=2019&limit=100").json()
    assert regs["data"] and {e["category"] for e in regs["data"]} == {"regulation"}
    doc = regs["data"][0]["document_number"]
    hit = api.get(f"/v1/units/{psb}/catalogue", params={"document_number": doc}).json()["data"]
    assert [e["document_number"] for e in hit] == [doc]
    assert api.get(f"/v1/units/{psb}/catalogue?year=2020").json()["data"] == []
    csv = api.get(f"/v1/units/{psb}/catalogue?format=csv&category=regulation")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    text = csv.content.decode("utf-8")
    assert text.startswith("\ufeff索引号,信息名称,内容概述,文号,类别,生成日期,发布日期,链接\r\n")
    n_regs = len(api.get(f"/v1/units/{psb}/catalogue?category=regulation&limit=100").json()["data"])
    assert text.count("\r\n") == 1 + n_regs or n_regs == 100
    assert regs["data"][0]["index_number"] in text


def test_catalogue_bad_input(api, demo_units):
    psb = demo_units["PSB"]
    for q in ("year=19", "year=abcd", "category=referral", "format=xml", "cursor=zzz",
              "limit=0", "nope=1"):
        assert_problem(api.get(f"/v1/units/{psb}/catalogue?{q}"), 400, "bad-request")
    assert_problem(api.get(f"/v1/units/{uuid.uuid4()}/catalogue"), 404, "not-found")
    assert_problem(api.get("/v1/units/x/catalogue"), 404, "not-found")


def test_publication_numbers_and_timeliness(api, db, staff):
    today = dt.date.today()
    on_time = publish(api, staff, made_on=(today - dt.timedelta(days=3)).isoformat())
    year = on_time["published_at"][:4]
    assert on_time["index_number"] == f"{staff.code}-{year}-00001"
    assert on_time["published_late"] is False and on_time["publish_due"] > on_time["made_on"]
    late = publish(api, staff, made_on=(today - dt.timedelta(days=60)).isoformat())
    assert late["index_number"] == f"{staff.code}-{year}-00002"
    assert late["published_late"] is True and late["publish_due"] < today.isoformat()
    plain = publish(api, staff)
    assert plain["index_number"].endswith("-00003") and plain["published_late"] is None
    # A draft has none; a rejected one takes no number.
    r = api.post("/v1/items", token=staff.clerk, json={"kind": "information", "category": "general",
                                                       "title": "草稿" + uniq(), "body": "正文。"})
    assert r.json()["index_number"] is None
    # The portal is recorded at publication.
    pubs = api.get(f"/v1/items/{on_time['id']}/publications").json()["data"]
    assert [p["channel"] for p in pubs] == ["portal"]
    cat = api.get(f"/v1/units/{staff.id}/catalogue").json()["data"]
    assert [e["index_number"] for e in cat] == [plain["index_number"], late["index_number"],
                                                on_time["index_number"]]
    # made_on: a date, not in the future.
    for bad in ("2026-13-01", (today + dt.timedelta(days=2)).isoformat()):
        r = api.post("/v1/items", token=staff.clerk, json={
            "kind": "information", "category": "general", "title": "x" + uniq(), "body": "b",
            "made_on": bad})
        assert_problem(r, 422, "validation")
        assert "/made_on" in error_pointers(r.json())


def test_record_publications(api, db, staff, public, tokens):
    item = publish(api, staff)
    iid = item["id"]
    day = item["published_at"][:10]
    r = api.post(f"/v1/items/{iid}/publications", token=staff.clerk,
                 json={"channel": "bulletin", "published_on": day, "issue": "2026年第1期",
                       "copies": 3500})
    assert r.status_code == 201, r.content
    assert r.json()["channel"] == "bulletin" and r.json()["copies"] == 3500
    r = api.post(f"/v1/items/{iid}/publications", token=staff.approver,
                 json={"channel": "touch_screen", "published_on": day, "note": "政务大厅"})
    assert r.status_code == 201
    assert_problem(api.post(f"/v1/items/{iid}/publications", token=staff.clerk,
                            json={"channel": "touch_screen", "published_on": day}), 409, "conflict")
    pubs = api.get(f"/v1/items/{iid}/publications").json()["data"]
    assert {p["channel"] for p in pubs} == {"portal", "bulletin", "touch_screen"}
    audit = db(f"SELECT count(*) FROM audit_log WHERE action = 'item.publication'"
               f" AND entity_id = '{iid}'")[0][0]
    assert int(audit) == 2
    # Refusals, each changing nothing.
    before = db(f"SELECT count(*) FROM item_publications WHERE item_id = '{iid}'")[0][0]
    bad = {
        "/copies": {"channel": "bulletin", "published_on": day, "issue": "2026年第2期"},
        "/issue": {"channel": "other", "published_on": day, "issue": "x"},
        "/channel": {"channel": "portal", "published_on": day},
        "/published_on": {"channel": "press", "published_on": "2000-01-01"},
    }
    for ptr, body in bad.items():
        r = api.post(f"/v1/items/{iid}/publications", token=staff.clerk, json=body)
        assert_problem(r, 422, "validation")
        assert ptr in error_pointers(r.json()), (ptr, r.json())
    ok = {"channel": "press", "published_on": day, "issue": "衡阳日报"}
    assert_problem(api.post(f"/v1/items/{iid}/publications", token=staff.other_clerk, json=ok),
                   403, "forbidden")
    for tok in (public, mint(tokens, "supervisor"), mint(tokens, "admin")):
        assert_problem(api.post(f"/v1/items/{iid}/publications", token=tok, json=ok), 403)
    assert_problem(api.post(f"/v1/items/{iid}/publications", json=ok), 401)
    assert_problem(api.post(f"/v1/items/{uuid.uuid4()}/publications", token=staff.clerk,
                            json=ok), 404, "not-found")
    draft = api.post("/v1/items", token=staff.clerk, json={
        "kind": "information", "category": "general", "title": "草稿" + uniq(),
        "body": "正文。"}).json()
    assert_problem(api.post(f"/v1/items/{draft['id']}/publications", token=staff.clerk,
                            json=ok), 409, "conflict")
    # A draft's publications are not public.
    assert_problem(api.get(f"/v1/items/{draft['id']}/publications"), 404, "not-found")
    after = db(f"SELECT count(*) FROM item_publications WHERE item_id = '{iid}'")[0][0]
    assert after == before


def test_annual_report_counts_channels(api):
    """The 2019 work summary: 3,000+ pieces reported directly to the
    prefecture's portal, 17 issues of the bulletin, 60,000 copies."""
    rep = api.get("/v1/reports/annual?year=2019").json()["publication_channels"]
    assert rep["by_channel"]["direct_report"] >= 3012
    assert rep["by_channel"]["portal"] >= 4526
    assert rep["by_channel"]["touch_screen"] > 0
    assert rep["bulletin_issues"] == 17 and rep["bulletin_copies"] == 60000


def test_late_publication_scoreboard_and_monitoring(api, db, staff, tokens):
    today = dt.date.today()
    late = publish(api, staff, made_on=(today - dt.timedelta(days=90)).isoformat())
    assert late["published_late"] is True
    board = api.get("/v1/stats/units", params={"from": today.isoformat(),
                                               "to": today.isoformat(), "limit": 100})
    rows = board.json()["data"]
    while board.json()["next_cursor"] and not any(x["unit_id"] == staff.id for x in rows):
        board = api.get("/v1/stats/units", params={"from": today.isoformat(),
                        "to": today.isoformat(), "limit": 100,
                        "cursor": board.json()["next_cursor"]})
        rows = board.json()["data"]
    mine = next(x for x in rows if x["unit_id"] == staff.id)
    assert mine["late_publications"] >= 1
    sup = mint(tokens, "supervisor")
    for _ in range(10):
        r = api.post("/v1/monitoring/runs", token=sup)
        if r.status_code != 409:
            break
        time.sleep(1)
    assert r.status_code in (200, 201), r.content
    found = db(f"SELECT rule, category, severity, unit_id FROM findings"
               f" WHERE item_id = '{late['id']}'")
    assert found == [["publication_late", "disclosure_gap", "yellow", staff.id]]
    # Once per item, however often the monitor runs.
    api.post("/v1/monitoring/runs", token=sup)
    assert db(f"SELECT count(*) FROM findings WHERE item_id = '{late['id']}'")[0][0] == "1"
