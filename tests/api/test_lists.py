"""Lists and queries: every operation accepts exactly the query parameters
openapi.yaml declares for it (api/queries.def; 400 naming any other), CORS
lets a browser send Cache-Control and Pragma and read the headers the spec
describes, list pages carry an ETag (304 on If-None-Match), every list of
rows with an updated_at takes updated_since, and requests are searched by
case number and text and sorted by received, due date and light.
"""

import re
import time
import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from conftest import assert_problem, error_pointers

ALLOWED_ORIGIN = "http://localhost:3000"


# ---- unknown query parameters -------------------------------------------------

def unknown_param(r, name):
    doc = assert_problem(r, 400, "bad-request")
    assert error_pointers(doc) == ["/query/" + name], doc
    return doc


def test_unknown_parameter_on_a_list_is_400(api, clerk):
    # The report of the issue: a filter the list does not have is not
    # ignored (it used to answer the whole list).
    unknown_param(api.get("/v1/requests?numbr=GK-2019-000123", token=clerk), "numbr")
    unknown_param(api.get("/v1/items?limit=1&titel=x"), "titel")
    unknown_param(api.get("/v1/units?limit=1&parent=x"), "parent")


def test_unknown_parameter_on_single_reads_is_400(api, admin, demo_units):
    # An operation that declares none accepts none, HEAD included.
    unknown_param(api.get("/v1/units/" + demo_units["PSB"] + "?x=1"), "x")
    unknown_param(api.get("/v1/me?verbose=true", token=admin), "verbose")
    # (HEAD answers have no body for the contract check to read.)
    r = api.s.head(api.url("/v1/units/" + demo_units["PSB"] + "?x=1"), timeout=30)
    assert r.status_code == 400 and r.content == b""
    assert api.get("/v1/units/" + demo_units["PSB"]).status_code == 200


def test_cache_busting_parameter_is_refused(api):
    r = api.get("/v1/items?_=1700000000000")
    unknown_param(r, "_")
    # The way to ask for a fresh answer is the header.
    r = api.get("/v1/items?limit=1", headers={"Cache-Control": "no-cache", "Pragma": "no-cache"})
    assert r.status_code == 200


def test_unknown_parameter_on_writes_is_400_and_changes_nothing(api, admin, unchanged):
    with unchanged():
        r = api.post("/v1/units?dry_run=true", token=admin,
                     json={"kind": "township", "code": "Q-" + uuid.uuid4().hex[:8],
                           "name": "查询参数测试"})
        unknown_param(r, "dry_run")
        r = api.post("/v1/auth/token?remember=1",
                     json={"username": "demo-admin", "password": "wrong"})
        unknown_param(r, "remember")


def test_declared_parameters_still_work(api, clerk):
    r = api.get("/v1/requests?limit=1&kind=disclosure", token=clerk)
    assert r.status_code == 200
    # An empty value is still a parameter, and still checked by name.
    unknown_param(api.get("/v1/items?bogus="), "bogus")


# ---- CORS -----------------------------------------------------------------------

def test_preflight_allows_cache_control_and_pragma(api):
    r = api.options("/v1/items", contract=False, headers={
        "Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "cache-control, pragma, if-none-match"})
    assert r.status_code == 204, r.content
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"cache-control", "pragma", "if-none-match", "authorization"} <= allowed, allowed


def test_answers_expose_the_headers_the_spec_describes(api, clerk):
    for r in (api.get("/v1/items?limit=1", headers={"Origin": ALLOWED_ORIGIN}),
              api.get("/v1/requests?numbr=1", token=clerk, headers={"Origin": ALLOWED_ORIGIN})):
        assert r.headers.get("Access-Control-Allow-Origin") == ALLOWED_ORIGIN
        exposed = {h.strip().lower() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
        assert {"content-disposition", "location", "idempotent-replayed", "etag", "link",
                "retry-after", "x-request-id"} <= exposed, exposed


def test_other_origins_get_no_cors_headers(api):
    r = api.get("/v1/items?limit=1", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Expose-Headers" not in r.headers


# ---- list ETags --------------------------------------------------------------------

def strong(tag):
    """nginx marks a tag weak (W/) when it gzips the answer."""
    return tag[2:] if tag.startswith("W/") else tag


def page_etag(api, path, token=None):
    r = api.get(path, token=token)
    assert r.status_code == 200, r.content
    tag = r.headers["ETag"]
    assert strong(tag).startswith('"L'), tag
    assert "authorization" in r.headers.get("Vary", "").lower()
    return tag


@pytest.mark.parametrize("path", ["/v1/units?limit=5", "/v1/items?limit=3",
                                  "/v1/findings?limit=3", "/v1/disclosure-log?limit=3"])
def test_public_list_page_answers_304_while_unchanged(api, path):
    tag = page_etag(api, path)
    # Twice: the second may come from the worker's cache, which must answer
    # the condition as well.
    for _ in range(2):
        r = api.get(path, headers={"If-None-Match": tag})
        assert r.status_code == 304 and r.content == b"", r.content
        assert strong(r.headers["ETag"]) == strong(tag)
    assert api.get(path, headers={"If-None-Match": '"L0"'}).status_code == 200
    # Another page of the same list is another validator: one row of it,
    # when it has two or more (the same rows are the same page, and the
    # same tag, whatever the limit asked).
    if len(api.get(path).json()["data"]) >= 2:
        assert page_etag(api, re.sub(r"limit=\d+", "limit=1", path)) != tag


def test_list_etag_changes_after_a_write(api, admin, make_unit):
    path = "/v1/units?limit=100&kind=township"
    tag = page_etag(api, path)
    make_unit(kind="township")
    r = api.get(path, headers={"If-None-Match": tag})
    assert r.status_code == 200
    assert strong(r.headers["ETag"]) != strong(tag)


def test_list_etag_is_the_callers_page(api, tokens, clerk):
    # Two applicants with no requests see the same (empty) page; a clerk
    # sees the unit's requests: another page, another tag, and the
    # applicant's tag does not answer 304 to the clerk.
    a, b = tokens.mint("public"), tokens.mint("public")
    ta, tb = page_etag(api, "/v1/requests?limit=5", a), page_etag(api, "/v1/requests?limit=5", b)
    assert strong(ta) == strong(tb)
    tc = page_etag(api, "/v1/requests?limit=5", clerk)
    assert strong(tc) != strong(ta)
    r = api.get("/v1/requests?limit=5", token=clerk, headers={"If-None-Match": ta})
    assert r.status_code == 200
    r = api.get("/v1/requests?limit=5", token=clerk, headers={"If-None-Match": tc})
    assert r.status_code == 304


# ---- updated_since -------------------------------------------------------------------

SYNC_LISTS = ["/v1/units?limit=100", "/v1/items?limit=100", "/v1/findings?limit=100",
              "/v1/disclosure-log?limit=100", "/v1/requests?limit=100",
              "/v1/appeals?limit=100"]


@pytest.mark.parametrize("path", SYNC_LISTS)
def test_updated_since_on_every_list(api, admin, path):
    all_rows, _ = walk(api, path, admin)
    got, _ = walk(api, path + "&updated_since=2000-01-01T00:00:00Z", admin)
    assert got == all_rows
    r = api.get(path + "&updated_since=9000-01-01T00:00:00Z", token=admin)
    assert r.status_code == 200 and r.json()["data"] == []
    # Every row shown has updated_at >= the bound, whatever bound.
    if all_rows:
        mid = sorted(x["updated_at"] for x in all_rows)[len(all_rows) // 2]
        got, _ = walk(api, path + "&updated_since=" + mid, admin)
        assert got and all(x["updated_at"] >= mid for x in got)
        assert {x["id"] for x in got} == {x["id"] for x in all_rows if x["updated_at"] >= mid}
    for bad in ("yesterday", "2026-13-01T00:00:00Z", "2026-01-01"):
        doc = assert_problem(api.get(path + "&updated_since=" + bad, token=admin), 400)
        assert error_pointers(doc) == ["/query/updated_since"]


def test_updated_since_on_a_requests_appeals(api, admin, db):
    rid = db.scalar("SELECT id FROM requests ORDER BY received_at LIMIT 1")
    r = api.get(f"/v1/requests/{rid}/appeals?updated_since=9000-01-01T00:00:00Z", token=admin)
    assert r.status_code == 200 and r.json()["data"] == []
    assert_problem(api.get(f"/v1/requests/{rid}/appeals?updated_since=x", token=admin), 400)


# ---- requests: search, sorts ------------------------------------------------------

SH = timezone(timedelta(hours=8))


def days_ago(n):
    d = datetime.now(SH).date() - timedelta(days=n)
    t = datetime(d.year, d.month, d.day, 10, 0, tzinfo=SH)
    if t > datetime.now(SH):
        t = datetime.now(SH) - timedelta(minutes=5)
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def desk(api, make_unit, make_account, tokens):
    """A unit of its own, its clerk, two applicants with online requests of
    their own (each with a word of its own) and paper requests received over
    the last weeks."""
    u = make_unit(kind="municipal_agency", code="LS-" + uuid.uuid4().hex[:8],
                  name="列表测试局" + uuid.uuid4().hex[:6])
    clerk = tokens.mint("clerk", unit=u["id"], sub=str(uuid.uuid4()))
    people = []
    for _ in range(2):
        acc, _ = make_account("ls")
        tok = tokens.mint("public", sub=acc["id"], applicant_type="natural_person")
        word = "w" + uuid.uuid4().hex[:8]
        r = api.post("/v1/requests", token=tok, json={
            "kind": "disclosure", "unit_id": u["id"], "delivery": "electronic",
            "description": f"申请公开户籍窗口统计 {word}", "purpose": "研究"})
        assert r.status_code == 201, r.content
        people.append(SimpleNamespace(token=tok, word=word, request=r.json()))
    paper = []
    for n, ago in enumerate((35, 3, 40, 1, 21, 8, 30, 14)):
        r = api.post("/v1/requests", token=clerk, json={
            "kind": "disclosure", "unit_id": u["id"], "delivery": "paper",
            "description": f"纸质申请第{n}号：请公开河道整治资金使用情况", "purpose": None,
            "channel": "paper", "received_at": days_ago(ago),
            "applicant": {"type": "natural_person", "name": f"李{n}明"}})
        assert r.status_code == 201, r.content
        paper.append(r.json())
    return SimpleNamespace(unit=u["id"], clerk=clerk, people=people, paper=paper)


def walk(api, path, token):
    rows, seen_pages = [], 0
    while True:
        r = api.get(path, token=token)
        assert r.status_code == 200, r.content
        body = r.json()
        rows.extend(body["data"])
        seen_pages += 1
        if body["next_cursor"] is None:
            return rows, seen_pages
        base = path.split("&cursor=")[0]
        path = base + "&cursor=" + body["next_cursor"]


def test_search_by_number(api, desk):
    a, b = desk.people
    num = a.request["number"]
    got = api.get("/v1/requests?number=" + num, token=a.token).json()["data"]
    assert [x["id"] for x in got] == [a.request["id"]]
    # Another's number finds nothing for an applicant; the unit's clerk finds it.
    assert api.get("/v1/requests?number=" + num, token=b.token).json()["data"] == []
    got = api.get("/v1/requests?number=" + num, token=desk.clerk).json()["data"]
    assert [x["id"] for x in got] == [a.request["id"]]
    assert api.get("/v1/requests?number=GK-1999-000000", token=desk.clerk).json()["data"] == []


def test_search_by_number_prefix(api, desk):
    year = desk.paper[0]["number"].split("-")[1]
    got, _ = walk(api, f"/v1/requests?limit=3&number_prefix=GK-{year}-", desk.clerk)
    ids = {x["id"] for x in got}
    assert {x["id"] for x in desk.paper} <= ids
    assert all(x["number"].startswith(f"GK-{year}-") for x in got)
    # The prefix's last character's neighbours are not matched.
    assert api.get("/v1/requests?number_prefix=SP-", token=desk.clerk).json()["data"] == []
    for bad in ("gk-", "G", "GK_2019", "GK%25"):
        doc = assert_problem(api.get("/v1/requests?number_prefix=" + bad, token=desk.clerk), 400)
        assert error_pointers(doc) == ["/query/number_prefix"]


def test_search_by_text_sees_only_ones_own(api, desk):
    a, b = desk.people
    got = api.get("/v1/requests?q=" + a.word, token=a.token).json()["data"]
    assert [x["id"] for x in got] == [a.request["id"]]
    # b searching for a's word: nothing, never a's request.
    assert api.get("/v1/requests?q=" + a.word, token=b.token).json()["data"] == []
    # A word both share: each sees only their own.
    for p in (a, b):
        got = api.get("/v1/requests?q=户籍窗口", token=p.token).json()["data"]
        assert [x["id"] for x in got] == [p.request["id"]]
    # Staff: the unit's; by applicant's name; by upper case of a Latin word.
    got = api.get("/v1/requests?q=" + a.word.upper(), token=desk.clerk).json()["data"]
    assert [x["id"] for x in got] == [a.request["id"]]
    got, _ = walk(api, "/v1/requests?limit=2&q=河道整治", desk.clerk)
    assert {x["id"] for x in got} == {x["id"] for x in desk.paper}
    got = api.get("/v1/requests?q=李3明", token=desk.clerk).json()["data"]
    assert [x["id"] for x in got] == [desk.paper[3]["id"]]
    assert api.get("/v1/requests?q=李3明", token=a.token).json()["data"] == []
    for bad in ("a", " ", "x" * 101):
        assert_problem(api.get("/v1/requests?q=" + bad, token=desk.clerk), 400)


LIGHT_RANK = {"red": 0, "yellow": 1, "green": 2, None: 3}


def due_key(x):
    d = x["deadline"]["due_date"] if x.get("deadline") else None
    return d or "9999-12-31"


@pytest.mark.parametrize("sort", ["received", "received_asc", "due", "due_desc", "light"])
def test_each_sort_is_kept_across_pages(api, desk, sort):
    rows, pages = walk(api, f"/v1/requests?limit=3&sort={sort}", desk.clerk)
    assert pages >= 3
    ids = [x["id"] for x in rows]
    assert len(ids) == len(set(ids)), "a row twice across pages"
    assert set(ids) == {x["id"] for x in desk.paper} | {p.request["id"] for p in desk.people}
    if sort == "received":
        keys = [x["received_at"] for x in rows]
        assert keys == sorted(keys, reverse=True)
    elif sort == "received_asc":
        keys = [x["received_at"] for x in rows]
        assert keys == sorted(keys)
    elif sort in ("due", "light"):
        assert [due_key(x) for x in rows] == sorted(due_key(x) for x in rows)
        lights = [LIGHT_RANK[x["deadline"]["light"]] for x in rows]
        assert lights == sorted(lights), lights
        assert lights[0] == 0, "the paper requests received 35 days ago or more are red"
    else:
        assert [due_key(x) for x in rows] == sorted((due_key(x) for x in rows), reverse=True)
    # Without a sort the order is received's.
    if sort == "received":
        plain, _ = walk(api, "/v1/requests?limit=3", desk.clerk)
        assert [x["id"] for x in plain] == ids


def test_a_cursor_belongs_to_its_sort(api, desk):
    r = api.get("/v1/requests?limit=2&sort=due", token=desk.clerk)
    cur = r.json()["next_cursor"]
    assert cur
    for other in ("&sort=received", "", "&sort=due_desc"):
        doc = assert_problem(api.get(f"/v1/requests?limit=2{other}&cursor={cur}",
                                     token=desk.clerk), 400)
        assert error_pointers(doc) == ["/query/cursor"]
    assert api.get(f"/v1/requests?limit=2&sort=due&cursor={cur}",
                   token=desk.clerk).status_code == 200


def test_bad_values_answer_400_and_change_nothing(api, desk, unchanged):
    with unchanged():
        for qs, name in (("sort=newest", "sort"), ("number=", "number"),
                         ("number=" + "G" * 40, "number"), ("cursor=abc", "cursor")):
            doc = assert_problem(api.get("/v1/requests?" + qs, token=desk.clerk), 400)
            assert error_pointers(doc) == ["/query/" + name], (qs, doc)


def test_updated_since_follows_changes_of_requests(api, desk):
    p = desk.people[1]
    since = p.request["updated_at"]
    path = f"/v1/requests?limit=100&updated_since={since}"
    got = [x["id"] for x in api.get(path, token=p.token).json()["data"]]
    assert got == [p.request["id"]]
    later = (datetime.strptime(since, "%Y-%m-%dT%H:%M:%SZ") + timedelta(seconds=1)) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    path = f"/v1/requests?limit=100&updated_since={later}"
    r = api.get(path, token=p.token)
    assert r.json()["data"] == []
    tag = r.headers["ETag"]
    time.sleep(1.1)
    r = api.post(f"/v1/requests/{p.request['id']}/withdraw", token=p.token,
                 json={"reason": "不再需要"})
    assert r.status_code == 200, r.content
    r = api.get(path, token=p.token, headers={"If-None-Match": tag})
    assert r.status_code == 200
    assert [x["id"] for x in r.json()["data"]] == [p.request["id"]]


@pytest.mark.parametrize("sort", ["received", "due"])
def test_updated_since_with_a_sort_across_pages(api, desk, sort):
    plain, _ = walk(api, f"/v1/requests?limit=2&sort={sort}", desk.clerk)
    since = min(x["updated_at"] for x in plain)
    got, pages = walk(api, f"/v1/requests?limit=2&sort={sort}&updated_since={since}", desk.clerk)
    assert pages > 2
    assert [x["id"] for x in got] == [x["id"] for x in plain]
