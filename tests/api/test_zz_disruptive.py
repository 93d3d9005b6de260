"""Disruptive tests, run last (file name): a tampered audit row, the database
stopped and started under the service, a worker killed with SIGKILL.

Each puts things back the way they were: the audit row is restored, the
database is started again, the master respawns the worker.
"""

import concurrent.futures as cf
import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import (BASE_URL, CONTRACT, ENV, Api, assert_problem, listener_of, master_pid,
                      pg_ctl, pg_log, postmaster_options, uniq, var_dir, wait_until, workers_of)


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
    return workers_of(master_pid())


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


# ---- the database is back: no client sees a 503 -----------------------------------------


def scrape_retries(api, reason):
    for line in api.get("/metrics").text.splitlines():
        m = re.match(r'^opengov_db_retries_total\{reason="([a-z_]+)"\} (\S+)$', line)
        if m and m.group(1) == reason:
            return float(m.group(2))
    pytest.fail(f'opengov_db_retries_total{{reason="{reason}"}} missing from /metrics')


def served_by(request_ids, timeout=5):
    """The worker pids whose access lines carry these request ids (workers
    write their access lines within about a second)."""
    want = set(request_ids)
    path = os.path.join(var_dir(), "log", "opengov.log")
    pids = {}

    def scan():
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if '"level":"access"' not in line:
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if rec.get("request_id") in want:
                    pids[rec["request_id"]] = rec["pid"]
        return len(pids) == len(want)

    wait_until(scan, timeout, interval=0.3)
    return set(pids.values())


def burst(admin, kids, rounds_max=12, cover=True):
    """Creations (and a read each) from four threads per worker, until every
    worker has served at least one creation (cover) or for rounds_max
    rounds. Four per worker: nginx keeps its connections to the workers and
    uses the one freed last first, so as many threads as workers may all be
    served by the workers that answered last; more at once than the kept
    connections reach makes nginx open new ones, which the idle workers
    accept. Returns the answers as (method, status, body, request id) and,
    with cover, the workers that served the creations."""
    n = 4 * len(kids)
    sessions = [Api(BASE_URL, CONTRACT) for _ in range(n)]
    answers, ids = [], []

    def one(i):
        a = sessions[i]
        c = a.post("/v1/units", token=admin, json={
            "kind": "township", "code": uniq("BACK-"), "name": "恢复"})
        g = a.get("/v1/units?limit=1", headers={"Cache-Control": "no-cache"})
        return [("POST", c.status_code, c.content[:300], c.headers.get("X-Request-Id")),
                ("GET", g.status_code, g.content[:300], g.headers.get("X-Request-Id"))]

    with cf.ThreadPoolExecutor(n) as ex:
        for _ in range(rounds_max):
            for got in ex.map(one, range(n)):
                answers.extend(got)
                ids.extend(rid for m, _, _, rid in got if m == "POST" and rid)
            if cover and len(ids) >= 3 * n and served_by(ids, timeout=2) >= kids:
                break
    return answers, served_by(ids) if cover else set()


def test_writes_answer_201_on_every_worker_once_database_is_back(api, admin, db):
    """PostgreSQL restarted: every worker's connection died while idle. Once
    the database accepts connections, the first request on each worker
    reconnects and runs: no 503, reads and writes alike."""
    kids = workers()
    for _ in range(4 * len(kids)):  # every worker holds a connection
        assert api.get("/v1/units?limit=1", headers={"Cache-Control": "no-cache"}
                       ).status_code == 200
    p = pg_ctl("restart", "-m", "fast", "-w", "-t", "60", "-l", pg_log(),
               "-o", postmaster_options())
    assert p.returncode == 0, p.stdout + p.stderr
    assert db.scalar("SELECT 1") == "1"  # the database accepts connections
    answers, pids = burst(admin, kids)
    bad = [(m, s, b) for m, s, b, _ in answers if s not in (200, 201)]
    assert not bad, f"{len(bad)} of {len(answers)} answers failed: {bad[:5]}"
    assert pids >= kids, f"workers {kids - pids} served no creation"
    assert workers() == kids


def test_listener_killed_is_replaced_and_nothing_is_served_stale(api, make_unit, db):
    """The host's listener process (src/server/listener.c) dies: the master
    says at once that nothing is heard (no cache), starts another, which
    listens and forgets every cached answer; a change made while no one
    listened is read at once, and the cache answers again afterwards."""
    master, victim, uid, path = listener_and_cached_unit(api, make_unit, reads=8)
    os.kill(victim, signal.SIGKILL)
    name = "监听进程重启 " + uniq()
    db(f"UPDATE units SET name = '{name}', version = version + 1 WHERE id = '{uid}'")
    for _ in range(8):
        r = api.get(path)
        assert r.status_code == 200 and r.json()["name"] == name, r.text
    assert wait_until(lambda: listener_of(master) not in (None, victim), 10), \
        "the master did not start another listener"
    up = re.compile(r"^opengov_cache_listener_up 1$", re.M)
    assert wait_until(lambda: up.search(api.get("/metrics").text), 10)
    assert master_pid() == master


def test_own_writes_are_read_back_with_the_listener_stopped(api, admin, make_unit, db):
    """With the host's listener stopped (SIGSTOP), nothing moves the
    workers' generations but a worker's own notices (sql/035): a PATCH is
    read back at once by every worker all the same, because the writing
    worker moved the generation before it answered. A change made by psql
    meanwhile is heard once the listener runs again."""
    own_writes_read_back_without_the_listener(api, admin, make_unit, db)


def test_own_writes_are_read_back_whatever_the_roles_client_min_messages(api, admin,
                                                                         make_unit, db):
    """The notices reach the worker at client_min_messages notice: a role
    setting of warning (an administrator quieting psql) must not silence
    them. The workers set it for their sessions (src/db/db.c)."""
    db("ALTER ROLE opengov_app SET client_min_messages = warning")
    try:
        # new sessions take the role's setting: end the workers' sessions
        db("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
           " WHERE application_name = 'opengov'")
        assert wait_until(lambda: api.get("/readyz").status_code == 200, 10)
        own_writes_read_back_without_the_listener(api, admin, make_unit, db)
    finally:
        db("ALTER ROLE opengov_app RESET client_min_messages")
        db("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
           " WHERE application_name = 'opengov'")


def listener_and_cached_unit(api, make_unit, reads):
    """The master, its listener, and a new unit's id and path, read `reads`
    times so that the workers hold it in their caches."""
    master = master_pid()
    listener = listener_of(master)
    assert listener, "the master has no listener process"
    uid = make_unit()["id"]
    path = "/v1/units/" + uid
    for _ in range(reads):
        assert api.get(path).status_code == 200
    return master, listener, uid, path


def own_writes_read_back_without_the_listener(api, admin, make_unit, db):
    _, listener, uid, path = listener_and_cached_unit(api, make_unit, reads=16)
    os.kill(listener, signal.SIGSTOP)
    try:
        for i in range(3):
            etag = api.get(path).headers["ETag"]
            name = f"监听暂停改名 {i} " + uniq()
            r = api.patch(path, token=admin, json={"name": name}, headers={"If-Match": etag})
            assert r.status_code == 200, r.content
            for _ in range(16):
                r = api.get(path)
                assert r.status_code == 200 and r.json()["name"] == name, r.text
        outside = "库内改名 " + uniq()
        db(f"UPDATE units SET name = '{outside}', version = version + 1 WHERE id = '{uid}'")
    finally:
        os.kill(listener, signal.SIGCONT)
    assert wait_until(lambda: all(api.get(path).json()["name"] == outside for _ in range(16)), 5)


def test_sessions_ended_between_requests_are_replaced_without_503(api, admin, db):
    """The server ends every worker's session just after a request (an
    administrator's pg_terminate_backend, a pooler, a failover). An idle
    worker watches its database socket with its FastCGI connections
    (src/server/fcgiconn.c) and sees the session end, and its next request
    connects anew first; a request that was already on its way finds the
    connection gone at its first statement and is run again on a new one,
    nothing having been executed. Either way: no 503, and reconnections."""
    kids = workers()
    before = scrape_retries(api, "connection")
    reconnects = scrape_reconnects(api)
    answers = []
    # one psql session kept open, so that the sessions end within
    # milliseconds of the last answer (a worker idle for a second checks its
    # connection before using it, which is the other way this is handled)
    psql = subprocess.Popen(["psql", ENV["OPENGOV_SUPERUSER_DATABASE_URL"], "-X", "-q", "-At",
                             "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, bufsize=1)
    try:
        for _ in range(5):
            got, _ = burst(admin, kids, rounds_max=2, cover=False)
            answers.extend(got)
            psql.stdin.write("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE application_name = 'opengov' AND pid <> pg_backend_pid();\n")
            psql.stdin.flush()
            ended = int(psql.stdout.readline())
            assert ended, "no worker session to end"
            time.sleep(0.05)  # the sessions are gone; the workers do not know it yet
    finally:
        psql.stdin.close()
        psql.wait(30)
    got, _ = burst(admin, kids, rounds_max=2, cover=False)
    answers.extend(got)
    bad = [(m, s, b) for m, s, b, _ in answers if s not in (200, 201)]
    assert not bad, f"{len(bad)} of {len(answers)} answers failed: {bad[:5]}"
    assert (scrape_retries(api, "connection") > before or
            scrape_reconnects(api) > reconnects), "no worker connected anew"
    assert workers() == kids


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


SLOW = """
CREATE SEQUENCE IF NOT EXISTS test_slow_runs;
CREATE OR REPLACE FUNCTION test_slow() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $f$
BEGIN
  IF NEW.description LIKE '%slow-once%' AND nextval('test_slow_runs') = 1 THEN
    PERFORM pg_sleep(2);
  END IF;
  RETURN NEW;
END $f$;
CREATE TRIGGER test_slow BEFORE INSERT ON requests FOR EACH ROW EXECUTE FUNCTION test_slow();
"""


def post_while_workers_die(db, token, unit, key):
    """POST /v1/requests whose first run is held for 2 s in the database
    while every worker is killed: nginx sees its connection break (its own
    502). Returns (answer, requests made with this description)."""
    mark = "slow-once " + uniq()
    body = {"kind": "disclosure", "unit_id": unit, "purpose": None, "delivery": "electronic",
            "description": "申请公开重发测试的有关信息 " + mark}
    headers = {"Idempotency-Key": key} if key else {}
    db("DROP SEQUENCE IF EXISTS test_slow_runs; " + SLOW)
    try:
        with cf.ThreadPoolExecutor(1) as pool:
            # The raw session: nginx's own 502 is in the contract's
            # description of nginx's answers, not in each operation's.
            a = Api(BASE_URL, CONTRACT)
            fut = pool.submit(a.s.post, BASE_URL + "/v1/requests", json=body, timeout=30,
                              headers={"Authorization": "Bearer " + token, **headers})
            assert wait_until(lambda: db.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'") != "0", 5)
            for pid in workers():
                os.kill(pid, signal.SIGKILL)
            r = fut.result(timeout=30)
    finally:
        db("DROP TRIGGER IF EXISTS test_slow ON requests; DROP FUNCTION IF EXISTS test_slow();"
           " DROP SEQUENCE IF EXISTS test_slow_runs")
    wait_until(lambda: api_ok(), 5)
    made = int(db.scalar(f"SELECT count(*) FROM requests WHERE description LIKE '%{mark}'"))
    return r, made


def api_ok():
    try:
        return Api(BASE_URL, CONTRACT).get("/healthz").status_code == 200
    except Exception:  # noqa: BLE001 - workers still starting
        return False


def test_keyed_post_is_sent_again_when_its_worker_dies(login, demo_units, db):
    """A POST with an Idempotency-Key whose worker (or host) dies under it is
    sent once more by nginx (@upstream_502): the second run waits for the
    first's transaction to end and creates the request once; the client
    gets its 201, not a 502."""
    r, made = post_while_workers_die(db, login("demo-public"), demo_units["PSB"],
                                     "resend-" + uuid_hex())
    assert r.status_code == 201, r.content
    assert made == 1


def test_unkeyed_post_is_not_sent_again_when_its_worker_dies(login, demo_units, db):
    """Without a key nginx never sends a POST twice: 502 with Retry-After;
    the first run, cut off before it could answer, left nothing."""
    r, made = post_while_workers_die(db, login("demo-public"), demo_units["PSB"], None)
    assert r.status_code == 502, r.content
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert r.json()["type"] == "/problems/bad-gateway" and r.headers.get("Retry-After")
    assert made <= 1


def uuid_hex():
    import uuid
    return uuid.uuid4().hex


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
