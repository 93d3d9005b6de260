"""Hardening at the edges (issue 13): the headers every answer carries and
the policy of /docs, the query parameter limit, and the quotas on
self-registration, request creation and uploads (429 with Retry-After).

The stack runs with the quotas of scripts/stack.sh's env file; the quota
tests read them from there and spend them from addresses or accounts of
their own, so nothing else in the suite is throttled.
"""

from urllib.parse import urlencode

import requests

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
    # 32 pass the parser; names the operation does not declare are then
    # refused by the router, naming the first (api/queries.def).
    for extra in ("", "&p0=2&p0=3"):  # repeats of one name count once
        r = api.get("/v1/items?" + urlencode({**q, "limit": 1}) + extra)  # 32
        doc = assert_problem(r, 400, "bad-request")
        assert error_pointers(doc) == ["/query/p0"], doc
        assert "32" not in doc["detail"], doc
    r = api.get("/v1/items?" + urlencode({**q, "limit": 1, "p31": "1"}))  # 33
    doc = assert_problem(r, 400, "bad-request")
    assert "32" in doc["detail"] and "query parameters" in doc["detail"], doc
    assert "percent-encoded" not in doc["detail"], doc
    # a malformed one still says so
    doc = assert_problem(api.get("/v1/items?q=%FF"), 400, "bad-request")
    assert "percent-encoded" in doc["detail"], doc


# --------------------------------------------------------------------------
# quotas
#
# The stack's limits are in its env file (scripts/stack.sh STACK_QUOTAS: far
# above what the suite does from 127.0.0.1). Spending one honestly would take
# a hundred thousand creations: instead a test takes a fresh subject (an
# address of 127/8 of its own, a new account), counts a few creations from
# zero, then sets the subject's counter one below its limit in the database
# and shows that the next creation passes, the one after is refused with 429
# and Retry-After and changes nothing, and that another subject is not
# affected. The concurrent test shows the counting is atomic.

import random
import threading
import uuid

from requests.adapters import HTTPAdapter

from conftest import CONTRACT, ENV, Api, uniq
from test_materials import (MAX, PDF, make_pdf_of_size, new_request, upload, uploaded,
                            world)  # noqa: F401  (world is a fixture)

WINDOW = int(ENV.get("OPENGOV_QUOTA_WINDOW", 3600))


def limit(name, default):
    return int(ENV.get(name, default))


class _SourceAddress(HTTPAdapter):
    def __init__(self, ip):
        self.ip = ip
        super().__init__()

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self.ip, 0)
        super().init_poolmanager(*args, **kw)


def from_address():
    """(address, Api) for a loopback address of our own: nginx sees it as
    the client's $remote_addr."""
    ip = "127.%d.%d.%d" % (random.randint(1, 254), random.randint(0, 255), random.randint(1, 254))
    a = Api(BASE_URL, CONTRACT)
    a.s.mount("http://", _SourceAddress(ip))
    return ip, a


def used(db, kind, subject):
    return int(db.scalar(
        f"SELECT coalesce(sum(used), 0) FROM quota_counters WHERE kind = '{kind}'"
        f" AND subject = '{subject}' AND window_start > now() - interval '{WINDOW} seconds'"))


def fill(db, kind, subject, n):
    """Sets the subject's counter to n in this window and the next (a test
    that runs across a window's end still sees it)."""
    for k in (0, 1):
        db(f"INSERT INTO quota_counters (kind, subject, window_start, used) VALUES"
           f" ('{kind}', '{subject}', to_timestamp((floor(extract(epoch FROM now()) / {WINDOW})"
           f" + {k}) * {WINDOW}), {n}) ON CONFLICT (kind, subject, window_start)"
           f" DO UPDATE SET used = {n}")


def assert_429(r):
    doc = assert_problem(r, 429, "too-many-requests")
    retry = int(r.headers["Retry-After"])
    assert 1 <= retry <= WINDOW, r.headers["Retry-After"]
    assert "at most" in doc["detail"] and "Retry after" in doc["detail"], doc
    return doc


def register(a, **over):
    body = {"username": uniq("quota."), "password": "pw-" + uuid.uuid4().hex,
            "applicant_type": "natural_person", **over}
    return a.post("/v1/accounts", json=body), body


def test_registration_quota_per_address(api, db, unchanged):
    n = limit("OPENGOV_QUOTA_REGISTRATIONS_PER_ADDRESS", 20)
    ip, a = from_address()
    for i in (1, 2):
        r, _ = register(a)
        assert r.status_code == 201, r.content
        assert used(db, "registration:address", ip) == i
    fill(db, "registration:address", ip, n - 1)
    r, _ = register(a)
    assert r.status_code == 201, r.content  # the last one
    with unchanged():
        r, body = register(a)
        doc = assert_429(r)
        assert "accounts registered" in doc["detail"] and str(n) in doc["detail"], doc
    assert db.scalar(f"SELECT count(*) FROM accounts WHERE username = '{body['username']}'") == "0"
    # another address is not affected
    _, b = from_address()
    assert register(b)[0].status_code == 201


def applicant(api, make_account, login):
    acct, password = make_account("quota")
    return acct["id"], login(acct["username"], password)


def disclosure_body(tokens):
    return {"kind": "disclosure", "unit_id": tokens.units["PSB"],
            "description": "申请公开配额测试的有关信息。" + uniq(), "purpose": None,
            "delivery": "electronic"}


def test_request_quota_per_account(api, db, tokens, make_account, login, unchanged):
    n = limit("OPENGOV_QUOTA_REQUESTS_PER_ACCOUNT", 30)
    sub, tok = applicant(api, make_account, login)
    ip, a = from_address()
    r = a.post("/v1/requests", token=tok, json=disclosure_body(tokens))
    assert r.status_code == 201, r.content
    assert used(db, "request:account", sub) == 1 and used(db, "request:address", ip) == 1
    fill(db, "request:account", sub, n - 1)
    assert a.post("/v1/requests", token=tok, json=disclosure_body(tokens)).status_code == 201
    with unchanged():
        doc = assert_429(a.post("/v1/requests", token=tok, json=disclosure_body(tokens)))
        assert "requests created" in doc["detail"], doc
        # from another address too: the account's quota is spent
        _, b = from_address()
        assert_429(b.post("/v1/requests", token=tok, json=disclosure_body(tokens)))
    # another applicant from the first address is not affected
    _, tok2 = applicant(api, make_account, login)
    assert a.post("/v1/requests", token=tok2, json=disclosure_body(tokens)).status_code == 201
    # refused creations gave their units back: the address counted three
    assert used(db, "request:address", ip) == 3


def test_refused_creation_takes_no_quota_unit(api, db, tokens, make_account, login):
    """The quota's unit is taken in a statement of its own, committed before
    the creation (so that the counters are not held while it runs), and only
    once the application is known to be valid: a request to an unknown unit
    is refused before, and takes nothing."""
    sub, tok = applicant(api, make_account, login)
    ip, a = from_address()
    body = dict(disclosure_body(tokens), unit_id=str(uuid.uuid4()))
    r = a.post("/v1/requests", token=tok, json=body)
    assert r.status_code == 422, r.content
    assert r.json()["errors"][0]["pointer"] == "/unit_id", r.content
    assert used(db, "request:account", sub) == 0 and used(db, "request:address", ip) == 0
    assert a.post("/v1/requests", token=tok, json=disclosure_body(tokens)).status_code == 201
    assert used(db, "request:account", sub) == 1 and used(db, "request:address", ip) == 1


def test_request_quota_per_address(api, db, tokens, make_account, login, unchanged):
    n = limit("OPENGOV_QUOTA_REQUESTS_PER_ADDRESS", 300)
    ip, a = from_address()
    fill(db, "request:address", ip, n)
    _, tok = applicant(api, make_account, login)
    with unchanged():
        assert_429(a.post("/v1/requests", token=tok, json=disclosure_body(tokens)))
    # the same applicant from another address
    _, b = from_address()
    assert b.post("/v1/requests", token=tok, json=disclosure_body(tokens)).status_code == 201


def test_quota_counting_is_atomic(api, db, tokens, make_account, login):
    """Eight creations at once with three units left: three pass."""
    n = limit("OPENGOV_QUOTA_REQUESTS_PER_ACCOUNT", 30)
    sub, tok = applicant(api, make_account, login)
    fill(db, "request:account", sub, n - 3)
    statuses, barrier = [], threading.Barrier(8)

    def one():
        _, a = from_address()
        barrier.wait()
        r = a.s.post(BASE_URL + "/v1/requests", json=disclosure_body(tokens),
                     headers={"Authorization": "Bearer " + tok}, timeout=60)
        statuses.append(r.status_code)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] * 3 + [429] * 5, statuses
    assert db.scalar(f"SELECT count(*) FROM requests WHERE applicant_sub = '{sub}'") == "3"


def test_upload_quota_per_account(api, db, world, unchanged):  # noqa: F811
    n = limit("OPENGOV_QUOTA_UPLOADS_PER_ACCOUNT", 300)
    rid = new_request(api, world)
    uploaded(api, world.applicant, rid, "Q", "q.pdf", PDF)
    assert used(db, "upload:account", world.applicant_id) >= 1
    fill(db, "upload:account", world.applicant_id, n)
    with unchanged():
        doc = assert_429(upload(api, world.applicant, rid, "Q", "q.pdf", PDF))
        assert "files uploaded" in doc["detail"], doc
    # the unit's clerk is not counted
    uploaded(api, world.clerk, rid, "Q", "q.pdf", PDF)
    fill(db, "upload:account", world.applicant_id, 0)


def test_material_versions_capped(api, db, world, unchanged):  # noqa: F811
    cap = limit("OPENGOV_MATERIAL_VERSIONS_MAX", 20)
    rid = new_request(api, world)
    for v in range(1, cap + 1):
        assert uploaded(api, world.clerk, rid, "ID", f"v{v}.pdf", PDF)["version"] == v
    with unchanged():
        for tok in (world.applicant, world.clerk):
            doc = assert_problem(upload(api, tok, rid, "ID", "more.pdf", PDF), 422, "validation")
            assert error_pointers(doc) == ["/query/code"], doc
            assert f"already has {cap} versions" in doc["errors"][0]["message"], doc
    # another code of the same request still takes files
    assert uploaded(api, world.applicant, rid, "PHOTO", "p.pdf", PDF)["version"] == 1


def test_request_storage_quota(api, db, world, unchanged):  # noqa: F811
    quota = limit("OPENGOV_REQUEST_STORAGE_MAX", 50 * 1024 * 1024)
    rid = new_request(api, world)
    big = make_pdf_of_size(MAX)
    stored = 0
    while stored + MAX <= quota:
        uploaded(api, world.clerk, rid, "BIG", "big.pdf", big, "application/pdf")
        stored += MAX
    rest = quota - stored
    if rest >= len(PDF):  # what is left still takes a file that fits
        uploaded(api, world.clerk, rid, "REST", "rest.pdf", make_pdf_of_size(rest))
        stored = quota
    assert int(db.scalar(f"SELECT sum(size) FROM materials WHERE request_id = '{rid}'")) == stored
    with unchanged():
        doc = assert_problem(upload(api, world.applicant, rid, "MORE", "a.pdf", PDF), 413,
                             "payload-too-large")
        assert "storage quota of %d bytes" % quota in doc["detail"], doc
