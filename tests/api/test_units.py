"""Units: keyset pagination, ETag/304, create, PATCH with If-Match, roles."""

import base64
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import assert_problem, error_pointers, uniq

LINK_RE = re.compile(r'^<([^>]+)>; *rel="next"$')


def walk(api, first_path, token=None):
    """Follows Link headers from first_path; returns (pages, items)."""
    pages, items, path = [], [], first_path
    for _ in range(500):
        r = api.get(path, token=token)
        assert r.status_code == 200, r.content
        body = r.json()
        pages.append(body)
        items.extend(body["data"])
        link = r.headers.get("Link")
        if body["next_cursor"] is None:
            assert link is None, f"last page has a Link header: {link}"
            return pages, items
        assert link, "a page with next_cursor has no Link header"
        m = LINK_RE.match(link)
        assert m, link
        nxt = m.group(1)
        q = parse_qs(urlsplit(nxt).query)
        assert q.get("cursor") == [body["next_cursor"]], (nxt, body["next_cursor"])
        # the link keeps the query (limit, filters) of the page it came from
        for k, v in parse_qs(urlsplit(path).query).items():
            if k != "cursor":
                assert q.get(k) == v, (k, nxt)
        path = nxt
    pytest.fail("pagination does not end")


@pytest.fixture(scope="module")
def family(make_unit):
    """A parent with five children (created in shuffled code order)."""
    parent = make_unit(kind="municipal_agency", code=uniq("P-"))
    prefix = uniq("C-")
    kids = [make_unit(kind="township", code=f"{prefix}-{i}", parent_id=parent["id"])
            for i in (3, 1, 5, 2, 4)]
    return parent, kids


def assert_code_order(db, ids):
    """ids are in code order (the database's collation or bytewise)."""
    by_db = [r[0] for r in db("SELECT id FROM units ORDER BY code")]
    by_c = [r[0] for r in db('SELECT id FROM units ORDER BY code COLLATE "C"')]
    pos_db = {i: n for n, i in enumerate(by_db)}
    pos_c = {i: n for n, i in enumerate(by_c)}
    assert [pos_db[i] for i in ids] == sorted(pos_db[i] for i in ids) or \
        [pos_c[i] for i in ids] == sorted(pos_c[i] for i in ids), "not ordered by code"


def test_list_defaults(api, db):
    r = api.get("/v1/units")
    assert r.status_code == 200
    body = r.json()
    total = int(db.scalar("SELECT count(*) FROM units"))
    assert len(body["data"]) == min(20, total)
    assert (body["next_cursor"] is None) == (total <= 20)
    assert_code_order(db, [u["id"] for u in body["data"]])


def test_pagination_three_pages_with_filter(api, family):
    parent, kids = family
    pages, items = walk(api, f"/v1/units?parent_id={parent['id']}&limit=2")
    assert [len(p["data"]) for p in pages] == [2, 2, 1]
    assert [u["id"] for u in items] == [k["id"] for k in sorted(kids, key=lambda k: k["code"])]
    assert all(u["parent_id"] == parent["id"] for u in items)


def test_pagination_whole_list_no_gaps_no_duplicates(api, db, family):
    pages, items = walk(api, "/v1/units?limit=2")
    assert len(pages) >= 3
    ids = [u["id"] for u in items]
    assert len(ids) == len(set(ids)), "a unit appears twice"
    in_db = {row[0] for row in db("SELECT id FROM units")}
    assert set(ids) == in_db, "pages skipped or invented units"
    # the same order as one big page
    big = api.get("/v1/units?limit=100").json()
    if big["next_cursor"] is None:
        assert [u["id"] for u in big["data"]] == ids
    assert_code_order(db, ids)


def test_filter_kind(api, db):
    pages, items = walk(api, "/v1/units?kind=township&limit=100")
    assert items and all(u["kind"] == "township" for u in items)
    assert len(items) == int(db.scalar("SELECT count(*) FROM units WHERE kind='township'"))


def test_filter_parent_unknown_gives_empty(api):
    r = api.get(f"/v1/units?parent_id={uuid.uuid4()}")
    assert r.status_code == 200
    assert r.json() == {"data": [], "next_cursor": None}
    assert "Link" not in r.headers


def b64(s):
    return base64.urlsafe_b64encode(s.encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("query", [
    "limit=0", "limit=101", "limit=abc", "limit=-1", "limit=1.5", "limit=",
    "cursor=not-a-cursor", "cursor=" + "A" * 513, "cursor=%00", "cursor=",
    # well-formed base64url around JSON the server never issues
    "cursor=" + b64("[1]"), "cursor=" + b64("{}"), "cursor=" + b64("[]"),
    "cursor=" + b64('["AIC",1]'), "cursor=" + b64("[null]"), "cursor=" + b64('"AIC"'),
    "kind=castle", "kind=", "parent_id=not-a-uuid",
])
def test_list_bad_query_400(api, query):
    r = api.get("/v1/units?" + query)
    doc = assert_problem(r, 400, "bad-request")
    assert doc["instance"] == "/v1/units"
    if "%" not in query:  # a URL that does not decode is refused as a whole
        assert "/query/" + query.split("=")[0] in error_pointers(doc), doc


def test_forged_cursor_400(api):
    r = api.get("/v1/units?limit=1")
    cur = r.json()["next_cursor"]
    assert cur
    # flip a character in the middle: an opaque cursor must not be trusted blindly
    i = len(cur) // 2
    forged = cur[:i] + ("A" if cur[i] != "A" else "B") + cur[i + 1:]
    r = api.get("/v1/units?limit=1&cursor=" + forged)
    assert r.status_code in (200, 400)  # a decodable forgery is just another key
    r = api.get("/v1/units?limit=1&cursor=" + cur + "%%%")
    assert_problem(r, 400, "bad-request")


# ---- one unit ---------------------------------------------------------------


def test_get_unit_etag_and_304(api, demo_units):
    uid = demo_units["PSB"]
    r = api.get("/v1/units/" + uid)
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == uid and body["code"] == "PSB"
    etag = r.headers["ETag"]
    r2 = api.get("/v1/units/" + uid, headers={"If-None-Match": etag})
    assert r2.status_code == 304
    assert r2.content == b""
    assert r2.headers["ETag"] == etag
    r3 = api.get("/v1/units/" + uid, headers={"If-None-Match": '"999999999"'})
    assert r3.status_code == 200
    assert r3.json() == body


def test_get_unit_conditional_lists_and_star(api, demo_units):
    uid = demo_units["AIC"]
    etag = api.get("/v1/units/" + uid).headers["ETag"]
    for inm in ("*", '"0", ' + etag, "W/" + etag):  # If-None-Match compares weakly
        r = api.get("/v1/units/" + uid, headers={"If-None-Match": inm})
        assert r.status_code == 304, inm


def test_head_unit(api, demo_units):
    uid = demo_units["AIC"]
    g = api.get("/v1/units/" + uid)
    r = api.request("HEAD", "/v1/units/" + uid)
    assert r.status_code == 200 and r.content == b""
    assert r.headers["ETag"] == g.headers["ETag"]
    assert r.headers["Content-Type"].startswith("application/json")
    r = api.request("HEAD", "/v1/units?limit=1")
    assert r.status_code == 200 and r.content == b"" and "Link" in r.headers
    # declared (headUnit...): an error answers the GET's status, no body
    r = api.request("HEAD", "/v1/units/" + str(uuid.uuid4()))
    assert r.status_code == 404 and r.content == b""


def test_get_unit_bad_token_401(api, demo_units):
    r = api.get("/v1/units/" + demo_units["AIC"], token="x.y.z")
    assert_problem(r, 401, "unauthorized")


def test_get_unit_matches_list(api, demo_units):
    items = walk(api, "/v1/units?limit=100")[1]
    one = [u for u in items if u["id"] == demo_units["AIC"]][0]
    assert api.get("/v1/units/" + demo_units["AIC"]).json() == one


def test_get_unit_not_found(api):
    r = api.get(f"/v1/units/{uuid.uuid4()}")
    assert_problem(r, 404, "not-found")


@pytest.mark.parametrize("bad", ["not-a-uuid", "123", "0b6f3a52-8d3e-4c59-9f8e-3f1a2b7c9d1",
                                 "0b6f3a52x8d3e-4c59-9f8e-3f1a2b7c9d10"])
def test_get_unit_bad_uuid_404(api, bad):
    r = api.get("/v1/units/" + bad)
    doc = assert_problem(r, 404, "not-found")
    assert doc["instance"] == "/v1/units/" + bad


# ---- create ------------------------------------------------------------------


def test_create_unit_admin(api, admin, db):
    code = uniq("N-")
    before = db.counts()
    r = api.post("/v1/units", token=admin,
                 json={"kind": "municipal_agency", "code": code, "name": "市统计局"})
    assert r.status_code == 201
    u = r.json()
    assert u["code"] == code and u["name"] == "市统计局" and u["kind"] == "municipal_agency"
    assert u["parent_id"] is None
    assert u["created_at"] == u["updated_at"]
    assert r.headers["Location"] == "/v1/units/" + u["id"]
    got = api.get(r.headers["Location"])
    assert got.json() == u
    assert got.headers["ETag"] == r.headers["ETag"]
    after = db.counts()
    assert after["units"] == before["units"] + 1
    assert after["audit_log"] == before["audit_log"] + 1
    row = db(f"SELECT code, name, kind FROM units WHERE id='{u['id']}'")
    assert row == [[code, "市统计局", "municipal_agency"]]


def test_create_unit_with_parent_and_charset(api, admin, demo_units):
    r = api.post("/v1/units", token=admin,
                 data=('{"kind":"sub_district","code":"%s","name":"街道办事处","parent_id":"%s"}'
                       % (uniq("SD-"), demo_units["GOV-OFFICE"])).encode(),
                 headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201, r.content
    assert r.json()["parent_id"] == demo_units["GOV-OFFICE"]


def test_create_unit_name_boundaries(api, admin, unchanged):
    r = api.post("/v1/units", token=admin,
                 json={"kind": "township", "code": uniq("B")[:32], "name": "名" * 200})
    assert r.status_code == 201
    with unchanged():
        r = api.post("/v1/units", token=admin,
                     json={"kind": "township", "code": uniq("B"), "name": "名" * 201})
        doc = assert_problem(r, 422, "validation")
        assert "/name" in error_pointers(doc)
        r = api.post("/v1/units", token=admin,
                     json={"kind": "township", "code": uniq("B"), "name": ""})
        assert_problem(r, 422, "validation")


def test_create_unit_code_boundaries(api, admin, unchanged):
    code32 = ("X" + uuid.uuid4().hex + "abc")[:32]
    r = api.post("/v1/units", token=admin, json={"kind": "township", "code": code32, "name": "n"})
    assert r.status_code == 201
    with unchanged():
        for bad in [code32 + "Y", "-leading", "", "has space", "中文"]:
            r = api.post("/v1/units", token=admin, json={"kind": "township", "code": bad, "name": "n"})
            doc = assert_problem(r, 422, "validation")
            assert "/code" in error_pointers(doc), (bad, doc)


def test_create_unit_duplicate_code_409(api, admin, unchanged):
    with unchanged():
        r = api.post("/v1/units", token=admin,
                     json={"kind": "municipal_agency", "code": "PSB", "name": "again"})
        assert_problem(r, 409, "conflict")


def test_create_unit_unknown_parent_422(api, admin, unchanged):
    with unchanged():
        r = api.post("/v1/units", token=admin,
                     json={"kind": "township", "code": uniq("U"), "name": "n",
                           "parent_id": str(uuid.uuid4())})
        doc = assert_problem(r, 422, "validation")
        assert "/parent_id" in error_pointers(doc)


def test_create_unit_without_token_401(api, unchanged):
    with unchanged():
        r = api.post("/v1/units", json={"kind": "township", "code": uniq("U"), "name": "n"})
        assert_problem(r, 401, "unauthorized")


@pytest.mark.parametrize("role", ["public", "clerk", "approver", "supervisor"])
def test_create_unit_other_roles_403(api, tokens, role, unchanged):
    with unchanged():
        r = api.post("/v1/units", token=tokens.mint(role),
                     json={"kind": "township", "code": uniq("U"), "name": "n"})
        assert_problem(r, 403, "forbidden")


def test_create_unit_demo_clerk_login_403(api, login, unchanged):
    tok = login("demo-clerk")  # a login is audited: before the count
    with unchanged():
        r = api.post("/v1/units", token=tok,
                     json={"kind": "township", "code": uniq("U"), "name": "n"})
        assert_problem(r, 403, "forbidden")


def test_create_unit_missing_fields_422(api, admin, unchanged):
    with unchanged():
        r = api.post("/v1/units", token=admin, json={"kind": "township"})
        doc = assert_problem(r, 422, "validation")
        assert doc.get("errors"), doc


# ---- PATCH ---------------------------------------------------------------------


def test_patch_requires_if_match_428(api, admin, make_unit, unchanged):
    u = make_unit()
    with unchanged():
        r = api.patch("/v1/units/" + u["id"], token=admin, json={"name": "新名字"})
        assert_problem(r, 428, "precondition-required")
    assert api.get("/v1/units/" + u["id"]).json()["name"] == u["name"]


def test_patch_stale_etag_412(api, admin, make_unit, unchanged):
    u = make_unit()
    etag = api.get("/v1/units/" + u["id"]).headers["ETag"]
    r = api.patch("/v1/units/" + u["id"], token=admin, json={"name": "第一次"},
                  headers={"If-Match": etag})
    assert r.status_code == 200
    current = r.headers["ETag"].removeprefix("W/")
    with unchanged():
        r = api.patch("/v1/units/" + u["id"], token=admin, json={"name": "第二次"},
                      headers={"If-Match": etag})
        doc = assert_problem(r, 412, "precondition-failed")
    assert api.get("/v1/units/" + u["id"]).json()["name"] == "第一次"
    # the answer names the version there is now: a retry with it succeeds
    assert doc["current_etag"] == current != etag
    r = api.patch("/v1/units/" + u["id"], token=admin, json={"name": "第二次"},
                  headers={"If-Match": doc["current_etag"]})
    assert r.status_code == 200, r.content
    assert api.get("/v1/units/" + u["id"]).json()["name"] == "第二次"


def test_patch_fresh_etag_200(api, admin, make_unit, db):
    u = make_unit()
    r0 = api.get("/v1/units/" + u["id"])
    etag = r0.headers["ETag"]
    audit_before = int(db.scalar("SELECT count(*) FROM audit_log"))
    r = api.patch("/v1/units/" + u["id"], token=admin, json={"name": "改名后的单位"},
                  headers={"If-Match": etag})
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "改名后的单位"
    assert body["code"] == u["code"] and body["kind"] == u["kind"]
    assert body["created_at"] == u["created_at"]
    assert body["updated_at"] >= u["updated_at"]
    new_etag = r.headers["ETag"]
    assert new_etag != etag
    g = api.get("/v1/units/" + u["id"])
    assert g.headers["ETag"] == new_etag
    assert g.json() == body
    # the old ETag no longer gives 304
    assert api.get("/v1/units/" + u["id"], headers={"If-None-Match": etag}).status_code == 200
    assert api.get("/v1/units/" + u["id"], headers={"If-None-Match": new_etag}).status_code == 304
    assert int(db.scalar("SELECT count(*) FROM audit_log")) == audit_before + 1


def test_patch_if_match_star_and_weak(api, admin, make_unit, unchanged):
    u = make_unit()
    etag = api.get("/v1/units/" + u["id"]).headers["ETag"]
    # nginx marks the tag of a gzipped answer weak: the weak form of the
    # current tag names the current version; of a stale one it does not.
    r = api.patch("/v1/units/" + u["id"], token=admin, json={"name": "weak"},
                  headers={"If-Match": "W/" + etag})
    assert r.status_code == 200 and r.json()["name"] == "weak"
    with unchanged():
        r = api.patch("/v1/units/" + u["id"], token=admin, json={"name": "stale"},
                      headers={"If-Match": "W/" + etag})
        assert_problem(r, 412, "precondition-failed")
    r = api.patch("/v1/units/" + u["id"], token=admin, json={"name": "star"},
                  headers={"If-Match": "*"})
    assert r.status_code == 200 and r.json()["name"] == "star"


def test_patch_if_match_list(api, admin, make_unit):
    """RFC 9110 13.1.1: If-Match is a list; any current tag in it lets the PATCH through."""
    u = make_unit()
    etag = api.get("/v1/units/" + u["id"]).headers["ETag"]
    r = api.patch("/v1/units/" + u["id"], token=admin, json={"name": "list"},
                  headers={"If-Match": '"0", ' + etag})
    assert r.status_code == 200, r.content
    assert r.json()["name"] == "list"


def test_patch_merge_patch_and_null_parent(api, admin, make_unit, demo_units):
    u = make_unit(parent_id=demo_units["GOV-OFFICE"])
    etag = api.get("/v1/units/" + u["id"]).headers["ETag"]
    r = api.patch("/v1/units/" + u["id"], token=admin, data=b'{"parent_id": null}',
                  headers={"If-Match": etag, "Content-Type": "application/merge-patch+json"})
    assert r.status_code == 200, r.content
    assert r.json()["parent_id"] is None


def test_patch_duplicate_code_409(api, admin, make_unit, unchanged):
    u = make_unit()
    etag = api.get("/v1/units/" + u["id"]).headers["ETag"]
    with unchanged():
        r = api.patch("/v1/units/" + u["id"], token=admin, json={"code": "PSB"},
                      headers={"If-Match": etag})
        assert_problem(r, 409, "conflict")


@pytest.mark.parametrize("body,pointer", [
    ({}, None),
    ({"name": ""}, "/name"),
    ({"name": 5}, "/name"),
    ({"kind": "castle"}, "/kind"),
    ({"code": "bad code"}, "/code"),
    ({"parent_id": "not-a-uuid"}, "/parent_id"),
    ({"colour": "red"}, "/colour"),
    ({"id": "0b6f3a52-8d3e-4c59-9f8e-3f1a2b7c9d10"}, "/id"),
])
def test_patch_bad_fields_422(api, admin, make_unit, unchanged, body, pointer):
    u = make_unit()
    etag = api.get("/v1/units/" + u["id"]).headers["ETag"]
    with unchanged():
        r = api.patch("/v1/units/" + u["id"], token=admin, json=body, headers={"If-Match": etag})
        doc = assert_problem(r, 422, "validation")
        if pointer:
            assert pointer in error_pointers(doc), doc
    assert api.get("/v1/units/" + u["id"]).headers["ETag"] == etag


def test_patch_self_parent_422(api, admin, make_unit, unchanged):
    u = make_unit()
    etag = api.get("/v1/units/" + u["id"]).headers["ETag"]
    with unchanged():
        r = api.patch("/v1/units/" + u["id"], token=admin, json={"parent_id": u["id"]},
                      headers={"If-Match": etag})
        assert_problem(r, 422, "validation")


def test_patch_parent_cycle_422(api, admin, make_unit, unchanged):
    a = make_unit()
    b = make_unit(parent_id=a["id"])
    c = make_unit(parent_id=b["id"])
    etag = api.get("/v1/units/" + a["id"]).headers["ETag"]
    with unchanged():
        r = api.patch("/v1/units/" + a["id"], token=admin, json={"parent_id": c["id"]},
                      headers={"If-Match": etag})
        doc = assert_problem(r, 422, "validation")
        assert "/parent_id" in error_pointers(doc), doc
    assert api.get("/v1/units/" + a["id"]).json()["parent_id"] is None


def test_patch_not_found_404(api, admin):
    r = api.patch(f"/v1/units/{uuid.uuid4()}", token=admin, json={"name": "x"},
                  headers={"If-Match": '"1"'})
    assert_problem(r, 404, "not-found")
    r = api.patch("/v1/units/not-a-uuid", token=admin, json={"name": "x"},
                  headers={"If-Match": '"1"'})
    assert_problem(r, 404, "not-found")


@pytest.mark.parametrize("role", ["public", "clerk", "supervisor"])
def test_patch_other_roles_403(api, tokens, make_unit, role, unchanged):
    u = make_unit()
    etag = api.get("/v1/units/" + u["id"]).headers["ETag"]
    with unchanged():
        r = api.patch("/v1/units/" + u["id"], token=tokens.mint(role), json={"name": "x"},
                      headers={"If-Match": etag})
        assert_problem(r, 403, "forbidden")


def test_patch_without_token_401(api, make_unit, unchanged):
    u = make_unit()
    with unchanged():
        r = api.patch("/v1/units/" + u["id"], json={"name": "x"}, headers={"If-Match": '"1"'})
        assert_problem(r, 401, "unauthorized")
