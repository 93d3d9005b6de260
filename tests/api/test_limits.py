"""Hardening at the edges (issue 13): the headers every answer carries and
the policy of /docs, the query parameter limit, and the quotas on
self-registration, request creation and uploads (429 with Retry-After).

The stack runs with the quotas of scripts/stack.sh's env file; the quota
tests read them from there and spend them from addresses or accounts of
their own, so nothing else in the suite is throttled.
"""

import requests
from urllib.parse import urlencode

import pytest

from conftest import BASE_URL, assert_problem, error_pointers

# --------------------------------------------------------------------------
# headers on every answer


def assert_hardened(r):
    """Exactly one of each: requests joins repeated headers with ', '."""
    assert r.headers.get("X-Content-Type-Options") == "nosniff", (r.status_code, r.headers)
    assert r.headers.get("Referrer-Policy") == "no-referrer", (r.status_code, r.headers)


def test_security_headers_on_service_answers(api, admin):
    assert_hardened(api.get("/healthz"))
    assert_hardened(api.get("/v1/items?limit=1"))
    assert_hardened(api.get("/v1/items?limit=1"))  # a cached page too
    assert_hardened(api.get("/v1/units?limit=1", token=admin))
    # the service's own problems
    assert_hardened(assert_problem_r(api.get("/v1/items/00000000-0000-0000-0000-000000000000"),
                                     404))
    assert_hardened(assert_problem_r(api.get("/v1/me"), 401))
    assert_hardened(assert_problem_r(api.get("/v1/items?limit=0"), 400))
    assert_hardened(assert_problem_r(api.post("/v1/items", token=admin, data="{",
                                              headers={"Content-Type": "application/json"}),
                                     400, 403, 422))


def assert_problem_r(r, *statuses):
    assert r.status_code in statuses, (r.status_code, r.content[:300])
    assert r.headers["Content-Type"].startswith("application/problem+json")
    return r


def test_security_headers_on_nginx_answers(api):
    s = requests.Session()
    s.trust_env = False
    # nginx's own problems: unknown path, a body over its cap
    assert_hardened(assert_problem_r(s.get(BASE_URL + "/nothing-here", timeout=10), 404))
    r = s.post(BASE_URL + "/v1/items", data=b"x" * (2 * 1024 * 1024),
               headers={"Content-Type": "application/json"}, timeout=30)
    assert_hardened(assert_problem_r(r, 413))
    # the docs and the spec
    assert_hardened(s.get(BASE_URL + "/openapi.yaml", timeout=10))


def test_docs_content_security_policy():
    s = requests.Session()
    s.trust_env = False
    r = s.get(BASE_URL + "/docs/", timeout=10)
    assert r.status_code == 200
    assert_hardened(r)
    csp = r.headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives.get("default-src") == ["'none'"], csp
    assert directives.get("script-src") == ["'self'"], csp  # no inline or eval
    assert directives.get("object-src") == ["'none'"], csp
    assert directives.get("base-uri") == ["'none'"], csp
    assert directives.get("frame-ancestors") == ["'none'"], csp
    assert directives.get("connect-src") == ["'self'"], csp  # ../openapi.yaml
    for d, sources in directives.items():
        assert "*" not in sources and "http:" not in sources and "https:" not in sources, d


# --------------------------------------------------------------------------
# query parameters


def test_more_than_32_query_parameters_400(api):
    q = {f"p{i}": "1" for i in range(31)}
    assert api.get("/v1/items?" + urlencode({**q, "limit": 1})).status_code == 200  # 32
    # repeats of one name count once (the first value counts)
    assert api.get("/v1/items?" + urlencode({**q, "limit": 1}) + "&p0=2&p0=3").status_code == 200
    r = api.get("/v1/items?" + urlencode({**q, "limit": 1, "p31": "1"}))  # 33
    doc = assert_problem(r, 400, "bad-request")
    assert "32" in doc["detail"] and "query parameters" in doc["detail"], doc
    assert "percent-encoded" not in doc["detail"], doc
    # a malformed one still says so
    doc = assert_problem(api.get("/v1/items?q=%FF"), 400, "bad-request")
    assert "percent-encoded" in doc["detail"], doc
