"""Disruptive tests, run last (file name): a tampered audit row, the database
stopped and started under the service, a worker killed with SIGKILL.

Each puts things back the way they were: the audit row is restored, the
database is started again, the master respawns the worker.
"""

import os
import re
import signal

import pytest

from conftest import (ENV, assert_problem, children, master_pid, pg_ctl, pg_log,
                      postmaster_options, uniq, wait_until)


def sql_literal(s):
    return "NULL" if s is None else "'" + s.replace("'", "''") + "'"


# ---- audit tampering ---------------------------------------------------------------


def tamper(db, seq, actor):
    # session_replication_role=replica: a trigger that protects audit_log from
    # updates must not stop the test from simulating a hand edit.
    db(f"SET session_replication_role = replica; "
       f"UPDATE audit_log SET actor = {sql_literal(actor)} WHERE seq = {seq}")


def test_tampered_audit_row_is_detected(api, supervisor, tokens, db):
    actor = "tamper-test-" + uniq()
    adm = tokens.mint("admin", sub=actor)
    units = []
    for _ in range(3):
        r = api.post("/v1/units", token=adm,
                     json={"kind": "township", "code": uniq("TMP-"), "name": "篡改测试"})
        assert r.status_code == 201
        units.append(r.json())
    mid = units[1]["id"]
    seq = int(db.scalar(f"SELECT seq FROM audit_log WHERE entity_id::text = '{mid}' "
                        f"AND action = 'unit.create'"))
    last = int(db.scalar("SELECT max(seq) FROM audit_log"))
    assert seq < last, "the tampered row should not be the newest"
    assert api.get("/v1/audit/verify", token=supervisor).json()["ok"] is True

    original = db.scalar(f"SELECT actor FROM audit_log WHERE seq = {seq}")
    assert original == actor
    tamper(db, seq, "x")
    try:
        r = api.get("/v1/audit/verify", token=supervisor)
        assert r.status_code == 200
        v = r.json()
        assert v["ok"] is False
        assert v["first_bad"] == seq
        assert v["entries"] == int(db.scalar("SELECT count(*) FROM audit_log"))
        # the list shows the edited row as it now is
        e = [e for e in api.get(f"/v1/audit?entity_id={mid}", token=supervisor).json()["data"]
             if e["seq"] == seq][0]
        assert e["actor"] == "x"
    finally:
        tamper(db, seq, original)
    v = api.get("/v1/audit/verify", token=supervisor).json()
    assert v["ok"] is True and v["first_bad"] is None


def test_tampered_hash_is_detected(api, supervisor, db):
    seq = int(db.scalar("SELECT max(seq) FROM audit_log")) - 1
    h = db.scalar(f"SELECT hash FROM audit_log WHERE seq = {seq}")
    col_type = db.scalar("SELECT data_type FROM information_schema.columns "
                         "WHERE table_name='audit_log' AND column_name='hash'")
    zero = "'\\x" + "00" * 32 + "'" if col_type == "bytea" else "'" + "0" * 64 + "'"
    restore = "'" + h + "'"
    db(f"SET session_replication_role = replica; UPDATE audit_log SET hash = {zero} "
       f"WHERE seq = {seq}")
    try:
        v = api.get("/v1/audit/verify", token=supervisor).json()
        assert v["ok"] is False and v["first_bad"] == seq
    finally:
        db(f"SET session_replication_role = replica; UPDATE audit_log SET hash = {restore} "
           f"WHERE seq = {seq}")
    assert api.get("/v1/audit/verify", token=supervisor).json()["ok"] is True


# ---- the schema is behind the binary --------------------------------------------------


def test_readyz_fails_while_schema_behind(api, db):
    top = int(db.scalar("SELECT max(version) FROM schema_migrations"))
    # hide the newest migration (negated, so it can be put back exactly)
    db(f"UPDATE schema_migrations SET version = -version WHERE version = {top}")
    try:
        r = api.get("/readyz")
        assert_problem(r, 503, "service-unavailable")
        assert api.get("/healthz").status_code == 200
    finally:
        db(f"UPDATE schema_migrations SET version = -version WHERE version = {-top}")
    r = api.get("/readyz")
    assert r.status_code == 200 and r.json()["schema_version"] == top


# ---- the database goes away ----------------------------------------------------------


def workers():
    return children(master_pid())


def scrape_reconnects(api):
    text = api.get("/metrics").text
    total = 0.0
    for line in text.splitlines():
        m = re.match(r"^(\S*reconnect\S*?)(\{[^}]*\})? (\S+)$", line)
        if m and not line.startswith("#"):
            total += float(m.group(3))
    return total


def test_database_restart(api, supervisor, tokens, demo_units, demo_accounts, db):
    master = master_pid()
    kids = workers()
    assert kids, "the master has no workers"
    n_requests = 3 * len(kids)
    reconnects_before = scrape_reconnects(api)
    opts = postmaster_options()
    log = pg_log()

    p = pg_ctl("stop", "-m", "fast", "-w", "-t", "60")
    assert p.returncode == 0, p.stderr
    try:
        for _ in range(n_requests):
            r = api.get("/v1/units?limit=1")
            assert_problem(r, 503, "service-unavailable")
            assert int(r.headers["Retry-After"]) == 5
        r = api.get("/v1/units/" + demo_units["PSB"])
        assert_problem(r, 503, "service-unavailable")
        r = api.get("/readyz")
        assert_problem(r, 503, "service-unavailable")
        r = api.get("/v1/audit/verify", token=supervisor)
        assert_problem(r, 503, "service-unavailable")
        r = api.post("/v1/auth/token", json={"username": "demo-admin", "password": "x" * 8})
        assert_problem(r, 503, "service-unavailable")
        # every route that needs the database, reads and writes alike
        admin = tokens.mint("admin")
        for method, path, kw in [
            # /v1/me reads the account when sub names one
            ("GET", "/v1/me", {"token": tokens.mint("admin", sub=demo_accounts["demo-admin"])}),
            ("GET", "/v1/audit", {"token": supervisor}),
            ("GET", "/v1/accounts/" + demo_accounts["demo-clerk"], {"token": admin}),
            ("POST", "/v1/units", {"token": admin, "json": {
                "kind": "township", "code": uniq("DOWN-"), "name": "x"}}),
            ("PATCH", "/v1/units/" + demo_units["PSB"], {"token": admin, "json": {"name": "x"},
                                                        "headers": {"If-Match": '"1"'}}),
            ("POST", "/v1/accounts", {"json": {"username": uniq("down."),
                                               "password": "pw-" + uniq("down-"),
                                               "applicant_type": "ngo"}}),
        ]:
            r = api.request(method, path, **kw)
            assert_problem(r, 503, "service-unavailable")
            assert int(r.headers["Retry-After"]) == 5
        # liveness does not depend on the database
        assert api.get("/healthz").status_code == 200
        assert workers() == kids, "a worker died while the database was down"
        assert os.path.exists(f"/proc/{master}")
    finally:
        p = pg_ctl("start", "-w", "-t", "60", "-l", log, "-o", opts)
        assert p.returncode == 0, p.stdout + p.stderr

    streak = {"n": 0}

    def healthy():
        r = api.get("/v1/units?limit=1")
        streak["n"] = streak["n"] + 1 if r.status_code == 200 else 0
        if r.status_code not in (200, 503):
            pytest.fail(f"unexpected {r.status_code} during recovery: {r.content[:300]!r}")
        return streak["n"] >= max(10, n_requests)

    assert wait_until(healthy, 15, interval=0.05), "the service did not recover within 15 s"
    assert api.get("/readyz").status_code == 200
    assert api.get("/v1/units/" + demo_units["PSB"]).status_code == 200
    assert api.get("/v1/audit/verify", token=supervisor).json()["ok"] is True
    assert workers() == kids, "workers were replaced: a worker crashed on the outage"
    assert db.scalar("SELECT 1") == "1"
    assert scrape_reconnects(api) > reconnects_before, "reconnects are not counted"


# ---- a worker dies -------------------------------------------------------------------


def test_killed_worker_is_respawned(api):
    master = master_pid()
    kids = workers()
    expected = int(ENV.get("OPENGOV_WORKERS") or len(kids))
    assert len(kids) == expected, f"{len(kids)} workers, configured {expected}"
    victim = min(kids)
    os.kill(victim, signal.SIGKILL)

    def respawned():
        now = workers()
        return victim not in now and len(now) == expected

    assert wait_until(respawned, 5), f"workers after 5 s: {workers()} (killed {victim})"
    now = workers()
    assert len(now & kids) == expected - 1, "only the killed worker should be new"
    assert os.path.exists(f"/proc/{master}") and master_pid() == master
    for _ in range(4 * expected):
        assert api.get("/v1/units?limit=1").status_code == 200
        assert api.get("/healthz").status_code == 200


def test_all_workers_killed_are_respawned(api):
    master = master_pid()
    kids = workers()
    for pid in kids:
        os.kill(pid, signal.SIGKILL)

    def respawned():
        now = workers()
        return not (now & kids) and len(now) == len(kids)

    assert wait_until(respawned, 5), f"workers after 5 s: {workers()} (killed {kids})"
    ok = wait_until(lambda: api.get("/v1/units?limit=1").status_code == 200, 5)
    assert ok
    for _ in range(10):
        assert api.get("/v1/units?limit=1").status_code == 200
    assert master_pid() == master


# ---- nginx's per-address login rate limit (last: it leaves the bucket empty) ----------


def test_login_rate_limited_per_address(api, unchanged):
    """Far more logins per second than nginx's limit_req allows: some answer 429
    problem+json with Retry-After. The bodies are invalid, so nothing is written."""
    statuses = []
    with unchanged():
        for _ in range(150):
            r = api.post("/v1/auth/token", json={})
            statuses.append(r.status_code)
            if r.status_code == 429:
                doc = assert_problem(r, 429, "too-many-requests")
                assert int(r.headers["Retry-After"]) >= 1
                assert doc["instance"] == "/v1/auth/token"
                break
    assert 429 in statuses, f"no 429 after {len(statuses)} rapid logins"
    assert set(statuses) <= {422, 429}, set(statuses)
