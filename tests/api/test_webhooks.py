"""Webhooks (docs/events.md): registration by an admin, deliveries sent by
`opengov deliver` to a real receiver on loopback, signed with HMAC-SHA256
over "timestamp.body", retried with growing pauses, failed after the last
attempt, redelivered on request; bad input changes nothing.

The stack's sender retries after 1, 2, 4 s with at most 3 attempts a round
(scripts/stack.sh STACK_QUOTAS: OPENGOV_WEBHOOK_BACKOFF,
OPENGOV_WEBHOOK_MAX_ATTEMPTS); the tests read the values from the env file."""
import hashlib
import hmac
import http.server
import json
import socket
import threading
import time

import pytest

from conftest import assert_problem, error_pointers, uniq

BACKOFF = None
MAX_ATTEMPTS = None
CREATED = []


@pytest.fixture(scope="module", autouse=True)
def schedule(env):
    global BACKOFF, MAX_ATTEMPTS
    BACKOFF = [int(x) for x in env.get("OPENGOV_WEBHOOK_BACKOFF", "30").split(",")]
    MAX_ATTEMPTS = int(env.get("OPENGOV_WEBHOOK_MAX_ATTEMPTS", "8"))
    if sum(BACKOFF[:MAX_ATTEMPTS - 1]) > 20:
        pytest.skip("the stack's webhook back-off is too long for the tests")


class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST (arrival time,
    headers, raw body) and answers 503 to the next `fail` of them."""

    def __init__(self):
        self.got = []
        self.fail = 0
        self.lock = threading.Lock()
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with rec.lock:
                    rec.got.append((time.monotonic(), dict(self.headers), body))
                    failing = rec.fail > 0
                    if failing:
                        rec.fail -= 1
                self.send_response(503 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def about(self, subject_id):
        with self.lock:
            return [g for g in self.got if json.loads(g[2])["subject"]["id"] == subject_id]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module", autouse=True)
def cleanup(api, tokens):
    """Deletes the module's webhooks: none is left to post to a closed port."""
    yield
    admin = tokens.mint("admin")
    for wid in CREATED:
        api.delete(f"/v1/webhooks/{wid}", token=admin)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def citizen(make_account, tokens):
    acc, _ = make_account("wh")
    return tokens.mint("public", sub=acc["id"])


def register(api, admin, url, types=("request.submitted",), **more):
    r = api.post("/v1/webhooks", token=admin, json=dict(url=url, types=list(types), **more))
    assert r.status_code == 201, r.content
    CREATED.append(r.json()["id"])
    return r.json()


def new_request(api, citizen, unit):
    r = api.post("/v1/requests", token=citizen, json={
        "kind": "disclosure", "unit_id": unit, "purpose": "学术研究", "delivery": "electronic",
        "description": "申请公开本单位2025年度行政许可办理情况统计。" + uniq()})
    assert r.status_code == 201, r.content
    return r.json()["id"]


def wait_for(pred, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    return pred()


def deliveries(api, admin, wid):
    r = api.get(f"/v1/webhooks/{wid}/deliveries?limit=100", token=admin)
    assert r.status_code == 200, r.content
    return r.json()["data"]


def verify(secret, headers, body, tolerance=300):
    """What a receiver does (docs/events.md): the signature over
    "t.body" with the secret, compared in constant time, t recent."""
    parts = dict(p.split("=", 1) for p in headers["Opengov-Signature"].split(","))
    t = int(parts["t"])
    want = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, parts["v1"]) and abs(time.time() - t) <= tolerance


def test_delivery_arrives_signed(api, admin, citizen, demo_units, receiver, db):
    hook = register(api, admin, receiver.url)
    assert hook["secret"].startswith("whsec_") and hook["active"] is True
    assert db.scalar(f"SELECT count(*) FROM audit_log WHERE action = 'webhook.create'"
                     f" AND entity_id = '{hook['id']}'") == "1"
    rid = new_request(api, citizen, demo_units["PSB"])
    got = wait_for(lambda: receiver.about(rid))
    assert len(got) == 1
    _, headers, body = got[0]
    event = json.loads(body)
    assert event["type"] == "request.submitted" and event["subject"]["id"] == rid
    assert headers["Opengov-Event-Type"] == "request.submitted"
    assert headers["Opengov-Event-Id"] == event["id"] == f"evt_{event['seq']}"
    assert headers["Content-Type"] == "application/json"
    assert headers["Opengov-Timestamp"] == headers["Opengov-Signature"].split(",")[0][2:]
    assert verify(hook["secret"], headers, body)
    # A tampered body or another secret does not verify.
    assert not verify(hook["secret"], headers, body + b" ")
    assert not verify("whsec_" + "0" * 64, headers, body)
    # The same event as the feed shows it to an admin.
    r = api.get(f"/v1/events?after={event['seq'] - 1}&limit=1", token=admin)
    assert r.json()["data"][0] == event
    # The log says delivered, once.
    d = wait_for(lambda: [x for x in deliveries(api, admin, hook["id"])
                          if x["event_seq"] == event["seq"] and x["status"] == "delivered"])
    assert d and d[0]["attempts"] == 1 and d[0]["last_status_code"] == 204
    assert d[0]["log"][0]["status_code"] == 204 and d[0]["next_attempt_at"] is None
    assert headers["Opengov-Delivery-Id"] == d[0]["id"]
    # The secret is never shown again.
    assert "secret" not in api.get(f"/v1/webhooks/{hook['id']}", token=admin).json()
    listed = api.get("/v1/webhooks?limit=100", token=admin).json()["data"]
    assert hook["id"] in {w["id"] for w in listed}
    assert all("secret" not in w for w in listed)


def test_failing_receiver_gets_retries_with_growing_pauses(api, admin, citizen, demo_units,
                                                         receiver):
    if MAX_ATTEMPTS < 3:
        pytest.skip("needs three attempts a round")
    hook = register(api, admin, receiver.url)
    receiver.fail = 2
    rid = new_request(api, citizen, demo_units["AIC"])
    got = wait_for(lambda: len(receiver.about(rid)) >= 3 and receiver.about(rid),
                   timeout=5 + sum(BACKOFF[:2]) * 2)
    assert got and len(got) == 3
    t = [g[0] for g in got]
    # Pauses of the schedule, less at most a tenth of jitter.
    assert t[1] - t[0] >= BACKOFF[0] * 0.85
    assert t[2] - t[1] >= BACKOFF[min(1, len(BACKOFF) - 1)] * 0.85
    assert t[2] - t[1] > t[1] - t[0] or BACKOFF[0] == BACKOFF[1]
    # Each attempt signed anew, all of the same event.
    assert len({g[1]["Opengov-Event-Id"] for g in got}) == 1
    assert all(verify(hook["secret"], g[1], g[2]) for g in got)
    seq = json.loads(got[0][2])["seq"]
    d = wait_for(lambda: [x for x in deliveries(api, admin, hook["id"])
                          if x["event_seq"] == seq and x["status"] == "delivered"])
    assert d and d[0]["attempts"] == 3
    assert [a["status_code"] for a in d[0]["log"]] == [503, 503, 204]
    assert d[0]["log"][0]["error"] == "answered HTTP 503" and d[0]["log"][2]["error"] is None


def test_dead_receiver_fails_then_redelivery_sends_again(api, admin, citizen, demo_units,
                                                         receiver, db):
    hook = register(api, admin, receiver.url)
    receiver.fail = 1000
    rid = new_request(api, citizen, demo_units["PSB"])
    seq = None

    def failed():
        nonlocal seq
        got = receiver.about(rid)
        if not got:
            return None
        seq = json.loads(got[0][2])["seq"]
        return [x for x in deliveries(api, admin, hook["id"])
                if x["event_seq"] == seq and x["status"] == "failed"]

    d = wait_for(failed, timeout=10 + sum(BACKOFF[:MAX_ATTEMPTS]) * 2)
    assert d, "the delivery did not end failed"
    d = d[0]
    assert d["attempts"] == MAX_ATTEMPTS and len(d["log"]) == MAX_ATTEMPTS
    assert d["next_attempt_at"] is None and d["last_status_code"] == 503
    assert len(receiver.about(rid)) == MAX_ATTEMPTS
    # Nothing more is tried once failed.
    time.sleep(BACKOFF[-1] + 0.5)
    assert len(receiver.about(rid)) == MAX_ATTEMPTS

    receiver.fail = 0
    r = api.post(f"/v1/webhooks/{hook['id']}/deliveries/{d['id']}/redeliver", token=admin)
    assert r.status_code == 202, r.content
    assert r.json()["status"] == "pending"
    assert db.scalar(f"SELECT count(*) FROM audit_log WHERE action = 'webhook.redeliver'"
                     f" AND entity_id = '{d['id']}'") == "1"
    done = wait_for(lambda: [x for x in deliveries(api, admin, hook["id"])
                             if x["id"] == d["id"] and x["status"] == "delivered"])
    assert done and done[0]["attempts"] == MAX_ATTEMPTS + 1
    assert len(receiver.about(rid)) == MAX_ATTEMPTS + 1
    # A refused connection is a failed attempt too, with the transport's error.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/"
    r = api.patch(f"/v1/webhooks/{hook['id']}", token=admin, json={"url": closed},
                  headers={"If-Match": api.get(f"/v1/webhooks/{hook['id']}",
                                               token=admin).headers["ETag"]})
    assert r.status_code == 200, r.content
    r = api.post(f"/v1/webhooks/{hook['id']}/deliveries/{d['id']}/redeliver", token=admin)
    assert r.status_code == 202
    x = wait_for(lambda: [x for x in deliveries(api, admin, hook["id"])
                          if x["id"] == d["id"] and x["attempts"] > MAX_ATTEMPTS + 1])
    assert x and x[0]["log"][-1]["status_code"] is None and x[0]["log"][-1]["error"]


def test_other_types_and_inactive_webhooks_get_nothing(api, admin, citizen, demo_units,
                                                       receiver):
    other = Receiver()
    try:
        wanted = register(api, admin, receiver.url)
        unwanted = register(api, admin, other.url, types=["report.published", "item.withdrawn"])
        off = register(api, admin, other.url, active=False)
        rid = new_request(api, citizen, demo_units["PSB"])
        assert wait_for(lambda: receiver.about(rid))
        seq = json.loads(receiver.about(rid)[0][2])["seq"]
        wait_for(lambda: [x for x in deliveries(api, admin, wanted["id"])
                          if x["event_seq"] == seq])
        time.sleep(1.0)
        assert other.about(rid) == []
        assert [x for x in deliveries(api, admin, unwanted["id"]) if x["event_seq"] == seq] == []
        assert [x for x in deliveries(api, admin, off["id"]) if x["event_seq"] == seq] == []
    finally:
        other.close()


def test_crud_and_secret_rotation(api, admin, db):
    hook = register(api, admin, "https://portal.example.org/hook", types=["item.published"],
                    description="门户")
    wid = hook["id"]
    r = api.get(f"/v1/webhooks/{wid}", token=admin)
    assert r.status_code == 200
    etag = r.headers["ETag"]
    assert api.get(f"/v1/webhooks/{wid}", token=admin,
                   headers={"If-None-Match": etag}).status_code == 304
    # PATCH needs If-Match.
    assert_problem(api.patch(f"/v1/webhooks/{wid}", token=admin, json={"active": False}),
                   428)
    assert_problem(api.patch(f"/v1/webhooks/{wid}", token=admin, json={"active": False},
                             headers={"If-Match": '"999"'}), 412)
    r = api.patch(f"/v1/webhooks/{wid}", token=admin,
                  json={"active": False, "description": None}, headers={"If-Match": etag})
    assert r.status_code == 200, r.content
    assert r.json()["active"] is False and r.json()["description"] is None
    assert r.json()["version"] == hook["version"] + 1
    r = api.post(f"/v1/webhooks/{wid}/secret", token=admin)
    assert r.status_code == 200, r.content
    assert r.json()["secret"] != hook["secret"] and r.json()["secret_rotated_at"]
    assert db.scalar(f"SELECT secret FROM webhooks WHERE id = '{wid}'") == r.json()["secret"]
    r = api.delete(f"/v1/webhooks/{wid}", token=admin)
    assert r.status_code == 200 and r.json()["id"] == wid
    assert_problem(api.get(f"/v1/webhooks/{wid}", token=admin), 404)
    assert_problem(api.delete(f"/v1/webhooks/{wid}", token=admin), 404)
    assert_problem(api.get("/v1/webhooks/not-a-uuid", token=admin), 404)
    actions = {a for (a,) in db(f"SELECT action FROM audit_log WHERE entity_id = '{wid}'")}
    assert actions == {"webhook.create", "webhook.update", "webhook.rotate_secret",
                       "webhook.delete"}


def test_only_admins(api, tokens):
    for role in ("public", "clerk", "approver", "supervisor"):
        tok = tokens.mint(role)
        if role != "supervisor":  # the supervision office reads them (direct reporting)
            assert_problem(api.get("/v1/webhooks", token=tok), 403)
        assert_problem(api.post("/v1/webhooks", token=tok,
                                json={"url": "https://a.example/", "types": ["item.published"]}),
                       403)
    assert api.get("/v1/webhooks", token=tokens.mint("supervisor")).status_code == 200
    assert_problem(api.get("/v1/webhooks"), 401)


@pytest.mark.parametrize("body,pointer", [
    ({"url": "http://portal.example.org/hook", "types": ["item.published"]}, "/url"),
    ({"url": "ftp://portal.example.org/hook", "types": ["item.published"]}, "/url"),
    ({"url": "https://user:pw@portal.example.org/", "types": ["item.published"]}, "/url"),
    ({"url": "https://portal.example.org/a b", "types": ["item.published"]}, "/url"),
    ({"url": "https://portal.example.org/#x", "types": ["item.published"]}, "/url"),
    ({"url": "https://:443/", "types": ["item.published"]}, "/url"),
    ({"url": "http://127.0.0.1:99999/", "types": ["item.published"]}, "/url"),
    ({"url": "not a url", "types": ["item.published"]}, "/url"),
    ({"types": ["item.published"]}, "/url"),
    ({"url": "https://portal.example.org/", "types": []}, "/types"),
    ({"url": "https://portal.example.org/", "types": ["item.nothing"]}, "/types/0"),
    ({"url": "https://portal.example.org/", "types": ["item.published", "item.published"]},
     "/types/1"),
    ({"url": "https://portal.example.org/", "types": "item.published"}, "/types"),
    ({"url": "https://portal.example.org/", "types": ["item.published"], "secret": "x"},
     "/secret"),
    ({"url": "https://portal.example.org/", "types": ["item.published"], "active": "yes"},
     "/active"),
])
def test_bad_webhook_is_422_and_changes_nothing(api, admin, db, body, pointer):
    before = db.scalar("SELECT count(*) FROM webhooks")
    audit = db.scalar("SELECT count(*) FROM audit_log")
    r = api.post("/v1/webhooks", token=admin, json=body)
    assert_problem(r, 422, "validation")
    assert pointer in error_pointers(r.json())
    assert db.scalar("SELECT count(*) FROM webhooks") == before
    assert db.scalar("SELECT count(*) FROM audit_log") == audit


def test_bad_patch_and_unknown_delivery(api, admin, db):
    hook = register(api, admin, "https://portal.example.org/x")
    wid = hook["id"]
    etag = api.get(f"/v1/webhooks/{wid}", token=admin).headers["ETag"]
    r = api.patch(f"/v1/webhooks/{wid}", token=admin, json={"url": "http://example.org/"},
                  headers={"If-Match": etag})
    assert_problem(r, 422, "validation")
    assert db.scalar(f"SELECT url FROM webhooks WHERE id = '{wid}'") == hook["url"]
    assert_problem(api.patch(f"/v1/webhooks/{wid}", token=admin, json={},
                             headers={"If-Match": etag}), 422)
    missing = "00000000-0000-4000-8000-000000000000"
    assert_problem(api.post(f"/v1/webhooks/{wid}/deliveries/{missing}/redeliver",
                            token=admin), 404)
    assert_problem(api.get(f"/v1/webhooks/{missing}/deliveries", token=admin), 404)
    assert_problem(api.get(f"/v1/webhooks/{wid}/deliveries?status=lost", token=admin), 400)
    api.delete(f"/v1/webhooks/{wid}", token=admin)


def test_idle_sender_sleeps(db):
    """With nothing pending, opengov deliver sleeps until notified (or a
    second has passed) instead of asking the database again at once: its
    reads of the deliveries table stay at a few per second. A sender that
    never slept (as when "nothing pending" read as "due now") makes
    thousands."""
    db.scalar("UPDATE webhooks SET active = false WHERE active")  # nothing can be due

    def scans():
        return int(db.scalar("SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0)"
                             " FROM pg_stat_user_tables WHERE relname = 'webhook_deliveries'"))

    time.sleep(1.5)  # the statistics of what ran before are flushed
    before = scans()
    time.sleep(4)
    assert scans() - before < 100


def publish_information(api, clerk, approver):
    r = api.post("/v1/items", token=clerk, json={
        "kind": "information", "category": "work_dynamic", "title": "直报测试" + uniq(),
        "body": "正文。"})
    assert r.status_code == 201, r.content
    iid = r.json()["id"]
    assert api.post(f"/v1/items/{iid}/submit", token=clerk).status_code == 200
    r = api.post(f"/v1/items/{iid}/review", token=approver, json={"decision": "approve"})
    assert r.status_code == 200, r.content
    return iid


def test_direct_reporting_to_the_higher_level_portal(api, db, tokens, admin, make_unit,
                                                     receiver):
    """The prefecture's portal subscribes to one unit's publications (direct
    reporting, 直报): it gets that unit's item.published events only, each
    delivered one records the item's publication through direct_report, a
    failed one is retried and shows as failed to the supervision office."""
    a = make_unit(kind="municipal_agency", code=uniq("DR-"), name="直报测试局" + uniq())["id"]
    b = make_unit(kind="municipal_agency", code=uniq("DS-"), name="直报他局" + uniq())["id"]
    staff = {u: (tokens.mint("clerk", unit=u), tokens.mint("approver", unit=u)) for u in (a, b)}
    hook = register(api, admin, receiver.url, types=("item.published",), unit_id=a,
                    direct_report=True, description="市州政府门户网站直报")
    assert hook["unit_id"] == a and hook["direct_report"] is True
    other = publish_information(api, *staff[b])
    mine = publish_information(api, *staff[a])
    assert wait_for(lambda: receiver.about(mine)), "the unit's publication was not delivered"
    assert receiver.about(other) == []
    pubs = wait_for(lambda: [p for p in api.get(f"/v1/items/{mine}/publications").json()["data"]
                             if p["channel"] == "direct_report"])
    assert pubs and pubs[0]["recorded_by"] == "deliver"
    assert [p["channel"] for p in api.get(f"/v1/items/{other}/publications").json()["data"]] \
        == ["portal"]
    # The supervision office reads the log: what reached the portal.
    sup = tokens.mint("supervisor")
    log = api.get(f"/v1/webhooks/{hook['id']}/deliveries", token=sup)
    assert log.status_code == 200
    assert [d["status"] for d in log.json()["data"]] == ["delivered"]
    assert api.get(f"/v1/webhooks/{hook['id']}", token=sup).status_code == 200
    assert_problem(api.patch(f"/v1/webhooks/{hook['id']}", token=sup,
                             json={"active": False}), 403)
    # A portal that keeps failing: retried, then failed, visible to the office,
    # and nothing recorded as reported.
    receiver.fail = 100
    lost = publish_information(api, *staff[a])

    def failed():
        rows = api.get(f"/v1/webhooks/{hook['id']}/deliveries", token=sup).json()["data"]
        return [d for d in rows if d["status"] == "failed"]
    got = wait_for(failed, timeout=sum(BACKOFF[:MAX_ATTEMPTS - 1]) + 15)
    assert got and got[0]["attempts"] == MAX_ATTEMPTS and len(got[0]["log"]) == MAX_ATTEMPTS
    assert len(receiver.about(lost)) == MAX_ATTEMPTS
    assert [p["channel"] for p in api.get(f"/v1/items/{lost}/publications").json()["data"]] \
        == ["portal"]


def test_unit_filter_bad_input(api, admin, unchanged):
    import uuid as _uuid
    with unchanged():
        r = api.post("/v1/webhooks", token=admin, json={
            "url": "https://portal.example.org/hook", "types": ["item.published"],
            "unit_id": str(_uuid.uuid4())})
        assert_problem(r, 422, "validation")
        assert "/unit_id" in error_pointers(r.json())
        r = api.post("/v1/webhooks", token=admin, json={
            "url": "https://portal.example.org/hook", "types": ["item.published"],
            "unit_id": "not-a-uuid", "direct_report": "yes"})
        assert_problem(r, 422, "validation")
        assert {"/unit_id", "/direct_report"} <= set(error_pointers(r.json()))
