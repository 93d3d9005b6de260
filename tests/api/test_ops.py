"""Operations routes, routing errors (404/405) and CORS, through nginx."""

import json
import os
import re

import pytest

from conftest import ENV, assert_problem, var_dir, wait_until


def test_healthz(api):
    r = api.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz_reports_schema_version(api, db):
    r = api.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ready"
    applied = db("SELECT version FROM schema_migrations")
    assert applied, "schema_migrations is empty"
    assert body["schema_version"] == max(int(v[0]) for v in applied)


def scrape(api):
    r = api.get("/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    return r.text


def metric_families(text):
    """name -> type from the # TYPE lines."""
    return dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))


def samples(text, name):
    """Values of every sample of metric `name` (any labels)."""
    out = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)", line)
        if m and m.group(1) == name:
            out.append((m.group(2) or "", float(m.group(3))))
    return out


def request_counter(families):
    names = [n for n, t in families.items() if t == "counter" and "request" in n]
    assert names, f"no request counter among {families}"
    return names[0]


def test_metrics_prometheus_text(api):
    text = scrape(api)
    families = metric_families(text)
    counter = request_counter(families)
    assert any(t == "histogram" for t in families.values()), \
        f"no latency histogram among {families}"
    assert any("reconnect" in n for n in families), \
        f"no database reconnect metric among {families}"
    # requests by route and status
    labels = " ".join(lbl for lbl, _ in samples(text, counter))
    assert "route" in labels or "path" in labels, labels
    assert "status" in labels or "code" in labels, labels
    # every sample line parses as Prometheus text
    for line in text.splitlines():
        if line and not line.startswith("#"):
            assert re.match(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eEInfNa]+( \d+)?$",
                            line), line


def test_metrics_count_requests(api):
    """The counters are the service's, not one worker's: 20 requests add >= 20."""
    counter = request_counter(metric_families(scrape(api)))
    before = sum(v for lbl, v in samples(scrape(api), counter) if "healthz" in lbl)
    for _ in range(20):
        assert api.get("/healthz").status_code == 200
    after = sum(v for lbl, v in samples(scrape(api), counter) if "healthz" in lbl)
    assert after - before >= 20, (before, after)


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_ops_routes_refuse_invalid_token(api, path, tokens):
    """An invalid token is refused on every route, probes included."""
    assert_problem(api.get(path, token="garbage"), 401, "unauthorized")
    assert_problem(api.get(path, token=tokens.mint("admin", exp=1)), 401, "unauthorized")
    assert api.get(path, token=tokens.mint("admin")).status_code == 200


# ---- routing errors -------------------------------------------------------


def test_unknown_path_404(api):
    r = api.get("/v1/no-such-thing", contract=False)
    assert_problem(r, 404, "not-found")
    r = api.get("/nope", contract=False)
    assert_problem(r, 404, "not-found")


@pytest.mark.parametrize("method,path,allowed", [
    ("DELETE", "/v1/units", {"GET", "POST"}),
    ("PUT", "/v1/units", {"GET", "POST"}),
    ("DELETE", "/v1/units/0b6f3a52-8d3e-4c59-9f8e-3f1a2b7c9d10", {"GET", "PATCH"}),
    ("POST", "/healthz", {"GET"}),
    ("GET", "/v1/auth/token", {"POST"}),
    ("PATCH", "/v1/me", {"GET"}),
    ("POST", "/v1/audit/verify", {"GET"}),
])
def test_method_not_allowed_405(api, method, path, allowed):
    r = api.request(method, path, contract=False)
    assert_problem(r, 405, "method-not-allowed")
    got = {m.strip().upper() for m in r.headers["Allow"].split(",")}
    assert allowed <= got, got
    assert method not in got
    assert got <= allowed | {"HEAD", "OPTIONS"}, got


def test_405_decided_before_auth_and_body(api):
    # no token, a body that is not JSON: still 405, not 401/415
    r = api.request("DELETE", "/v1/audit", data=b"\xff", contract=False,
                    headers={"Content-Type": "text/plain"})
    assert_problem(r, 405, "method-not-allowed")


# ---- CORS -------------------------------------------------------------------

ALLOWED_ORIGIN = "http://localhost:3000"


@pytest.fixture(scope="module")
def cors_origin():
    origins = [o.strip() for o in ENV.get("OPENGOV_CORS_ORIGINS", "").split(",") if o.strip()]
    assert ALLOWED_ORIGIN in origins or "*" in origins, (
        f"the test stack should allow {ALLOWED_ORIGIN}; OPENGOV_CORS_ORIGINS={origins}")
    return ALLOWED_ORIGIN


def test_cors_preflight_allowed(api, cors_origin):
    r = api.options("/v1/units", contract=False, headers={
        "Origin": cors_origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    })
    assert r.status_code == 204, r.content
    assert r.headers.get("Access-Control-Allow-Origin") == cors_origin
    methods = {m.strip().upper() for m in r.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST"} <= methods, methods
    allow_headers = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "if-match", "if-none-match",
            "idempotency-key"} <= allow_headers, allow_headers
    assert r.headers.get("Access-Control-Max-Age") == "600"
    assert "origin" in r.headers.get("Vary", "").lower()


def test_cors_preflight_item_route(api, cors_origin, demo_units):
    r = api.options("/v1/units/" + demo_units["PSB"], contract=False, headers={
        "Origin": cors_origin, "Access-Control-Request-Method": "PATCH"})
    assert r.status_code == 204
    methods = {m.strip().upper() for m in r.headers["Access-Control-Allow-Methods"].split(",")}
    assert "PATCH" in methods


def test_cors_simple_request_allowed(api, cors_origin):
    r = api.get("/v1/units?limit=1", headers={"Origin": cors_origin})
    assert r.status_code == 200
    assert r.headers.get("Access-Control-Allow-Origin") == cors_origin
    assert "origin" in r.headers.get("Vary", "").lower()
    exposed = {h.strip().lower() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"etag", "location", "link", "x-request-id", "retry-after"} <= exposed


def test_cors_error_answers_carry_headers(api, cors_origin):
    r = api.get("/v1/me", headers={"Origin": cors_origin})
    assert_problem(r, 401, "unauthorized")
    assert r.headers.get("Access-Control-Allow-Origin") == cors_origin


def test_cors_disallowed_origin(api, cors_origin):
    evil = "http://evil.example"
    r = api.options("/v1/units", contract=False, headers={
        "Origin": evil, "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in r.headers
    assert "Access-Control-Allow-Methods" not in r.headers
    r = api.get("/v1/units?limit=1", headers={"Origin": evil})
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers


# ---- access log ---------------------------------------------------------------


def test_access_log_line_per_request(api, admin):
    """One JSON line per request in the service log, keyed by the request id."""
    r = api.get("/v1/units?limit=1", token=admin)
    rid = r.headers["X-Request-Id"]
    path = os.path.join(var_dir(), "log", "opengov.log")

    def lines():
        with open(path, encoding="utf-8", errors="replace") as f:
            return [ln for ln in f if rid in ln]

    found = wait_until(lines, 3)
    assert len(found) == 1, found
    entry = json.loads(found[0])
    assert entry["request_id"] == rid
    assert entry["method"] == "GET" and entry["status"] == 200
    assert entry["path"] == "/v1/units"
    assert admin not in found[0], "the bearer token must never reach the log"
