"""Lists and queries: every operation accepts exactly the query parameters
openapi.yaml declares for it (api/queries.def; 400 naming any other), CORS
lets a browser send Cache-Control and Pragma and read the headers the spec
describes, list pages carry an ETag (304 on If-None-Match), every list of
rows with an updated_at takes updated_since, and requests are searched by
case number and text and sorted by received, due date and light.
"""

import uuid

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
    # Another page of the same list (when it has rows) is another validator.
    if api.get(path).json()["data"]:
        assert page_etag(api, path.replace("limit=", "limit=1")) != tag


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
