"""Transactions that PostgreSQL aborts to settle a race (deadlock 40P01,
serialization failure 40001) are run again by the worker, a bounded number of
times, and counted in /metrics; the client sees the outcome of the re-run,
never a 500. (The database restarted under the service: test_zz_disruptive.)"""

import concurrent.futures as cf
import re
import threading

from conftest import BASE_URL, CONTRACT, Api

# Two admins at once: one makes A the parent of B, the other B the parent of A.
# Each locks its own unit, then waits for the other's row (the foreign key's
# share lock on the new parent): PostgreSQL detects the deadlock after
# deadlock_timeout (1 s) and aborts one of them.
MIN_ROUNDS = 6
MAX_ROUNDS = 24


def scrape_retries(api):
    """opengov_db_retries_total by reason."""
    out = {}
    for line in api.get("/metrics").text.splitlines():
        m = re.match(r'^opengov_db_retries_total\{reason="([a-z_]+)"\} (\S+)$', line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def patch_parent(a, token, unit, etag, parent, barrier):
    barrier.wait(timeout=30)
    r = a.patch("/v1/units/" + unit, token=token, json={"parent_id": parent},
                headers={"If-Match": etag}, timeout=60)
    return r.status_code, r.headers.get("Retry-After"), r.content[:300]


def test_parent_cycle_race_is_retried_never_500(api, admin, make_unit, db):
    before = scrape_retries(api)
    assert "deadlock" in before and "serialization" in before, \
        "opengov_db_retries_total{reason=...} missing from /metrics"
    answers = []
    rounds = 0
    with cf.ThreadPoolExecutor(2) as ex:
        sessions = [Api(BASE_URL, CONTRACT), Api(BASE_URL, CONTRACT)]
        while rounds < MAX_ROUNDS:
            rounds += 1
            a, b = make_unit(), make_unit()
            ea = api.get("/v1/units/" + a["id"]).headers["ETag"]
            eb = api.get("/v1/units/" + b["id"]).headers["ETag"]
            barrier = threading.Barrier(2)
            fa = ex.submit(patch_parent, sessions[0], admin, a["id"], ea, b["id"], barrier)
            fb = ex.submit(patch_parent, sessions[1], admin, b["id"], eb, a["id"], barrier)
            got = sorted([fa.result(), fb.result()])
            answers.append(got)
            statuses = [s for s, _, _ in got]
            # one wins; the other is refused as a cycle (422), or, when its
            # retries ran out, told to come back (503 with Retry-After)
            assert statuses in ([200, 422], [200, 503]), got
            for s, retry_after, _ in got:
                if s == 503:
                    assert int(retry_after) >= 1
            # never a cycle in the table
            pa = db.scalar(f"SELECT parent_id FROM units WHERE id = '{a['id']}'")
            pb = db.scalar(f"SELECT parent_id FROM units WHERE id = '{b['id']}'")
            assert not (pa == b["id"] and pb == a["id"]), "a cycle was created"
            assert (pa == b["id"]) != (pb == a["id"]), (pa, pb)
            if rounds >= MIN_ROUNDS and scrape_retries(api).get("deadlock", 0) > \
                    before.get("deadlock", 0):
                break
    after = scrape_retries(api)
    assert after["deadlock"] > before["deadlock"], \
        f"no deadlock was retried in {rounds} rounds: {answers}"


def test_retries_counter_declared(api):
    text = api.get("/metrics").text
    assert "# TYPE opengov_db_retries_total counter" in text
    for reason in ("connection", "deadlock", "serialization"):
        assert f'opengov_db_retries_total{{reason="{reason}"}}' in text, reason
    assert "# TYPE opengov_db_retries_exhausted_total counter" in text
