"""Several application hosts on one database (docs/deployment.md): the
stack's own `opengov serve` (host A, behind nginx) and a second, private
one on its own socket (host B, driven over FastCGI directly), as two
machines would run them.

- a write through A is read at once through B, whose worker had the old
  answer in its cache: B's listener process LISTENs (its workers do not),
  and the primary's NOTIFY of the change empties B's workers' cache;
- electronic monitoring runs on one host at a time: the pass takes a
  PostgreSQL advisory lock, so a pass started anywhere while another runs
  does nothing (409 over HTTP, "skipped" from the command);
- the read replica (OPENGOV_DATABASE_READ_URL): anonymous catalogue reads
  use it while it is within its lag bound, a caller with a token never
  does, an unreachable one sends every read to the primary, and /readyz and
  /metrics report it. The replica here is the primary itself (a server not
  in recovery has no lag); tests/cluster/ runs a real streaming one."""

import json
import os
import subprocess
import time

import pytest

from conftest import ENV, REPO
from test_serve_lifecycle import BIN, fcgi_get, serve


def metric(sock, name):
    status, _, body = fcgi_get(sock, "/metrics")
    assert status == 200
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


def unit_etag(api, uid):
    r = api.get("/v1/units/" + uid)
    assert r.status_code == 200
    return r.headers["ETag"]


@pytest.fixture
def host_b(tmp_path):
    with serve(tmp_path) as (proc, sock, env):
        yield sock


def test_write_through_one_host_is_read_at_once_through_another(api, admin, make_unit, host_b):
    """The primary sends its NOTIFY to B's connection when it commits A's
    write, before A answers; B's backend forwards it as soon as it is
    scheduled. So B's cache follows within that delivery (well under a
    millisecond when idle, a few on a loaded machine; a read in that
    window is answered from B's cache as it was); a client that must not
    read an older answer sends Cache-Control: no-cache."""
    u = make_unit()
    path = "/v1/units/" + u["id"]
    stale_first, worst = 0, 0.0
    rounds = 30
    for round_ in range(rounds):
        # B reads the unit twice: the second answer comes from its cache.
        for _ in range(2):
            status, _, body = fcgi_get(host_b, path)
            assert status == 200
        before = json.loads(body)["name"]
        name = f"改名 {round_} {time.monotonic_ns()}"
        r = api.patch(path, token=admin, json={"name": name},
                      headers={"If-Match": unit_etag(api, u["id"])})
        assert r.status_code == 200, r.content
        written = time.monotonic()
        # No pause: B's next read has the change, or has it moments later.
        while True:
            status, _, body = fcgi_get(host_b, path)
            assert status == 200
            if json.loads(body)["name"] == name != before:
                break
            stale_first += 1
            assert time.monotonic() - written < 0.5, "B's cache did not follow A's write"
            time.sleep(0.001)
        worst = max(worst, time.monotonic() - written)
    print(f"cross-host cache: {rounds} writes, worst {worst * 1000:.1f} ms until B "
          f"answered the change, {stale_first} stale reads on the way")
    # No bound on stale_first: how often B answers before the NOTIFY is
    # delivered depends on the machine's load (0 to a few in 30 here).


def test_catalogue_list_cached_on_b_follows_a_write_on_a(api, admin, make_unit, host_b):
    parent = make_unit(kind="municipal_agency")
    q = "limit=10&parent_id=" + parent["id"]
    # Until B answers the page from its cache (the NOTIFY of the parent's
    # creation may reach B after its first read, and empty the cache once).
    for _ in range(50):
        status, _, body = fcgi_get(host_b, "/v1/units", q)
        assert status == 200 and json.loads(body)["data"] == []
        if metric(host_b, 'opengov_cache_lookups_total{result="hit"}'):
            break
        time.sleep(0.01)
    else:
        pytest.fail("B never answered the page from its cache")
    child = make_unit(parent_id=parent["id"])  # through A
    written = time.monotonic()
    while True:  # at once, or within the NOTIFY's delivery (above)
        status, _, body = fcgi_get(host_b, "/v1/units", q)
        assert status == 200
        if [x["id"] for x in json.loads(body)["data"]] == [child["id"]]:
            break
        assert time.monotonic() - written < 0.5, "B's cached page did not follow A's write"
        time.sleep(0.001)


def test_monitoring_runs_on_one_host_at_a_time(api, supervisor):
    """A pass holds pg_try_advisory_lock(hashtext('opengov.monitor')) for its
    duration. Held from elsewhere (as a pass running on another host would
    hold it), a pass asked of host A over HTTP answers 409 and one started
    by `opengov monitor` on another machine does nothing; released, a pass
    runs."""
    p = subprocess.Popen(["psql", ENV["OPENGOV_SUPERUSER_DATABASE_URL"], "-At", "-X",
                          "-v", "ON_ERROR_STOP=1"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        p.stdin.write("SELECT pg_advisory_lock(hashtext('opengov.monitor')); SELECT 'held';\n")
        p.stdin.flush()
        while p.stdout.readline().strip() != "held":
            assert p.poll() is None, "psql ended early"
        r = api.post("/v1/monitoring/runs", token=supervisor)
        assert r.status_code == 409, r.content
        env = dict(os.environ)
        env.update({k: v for k, v in ENV.items() if k.startswith("OPENGOV_")})
        out = subprocess.run([BIN, "monitor"], env=env, capture_output=True, text=True,
                             timeout=60, cwd=REPO)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["skipped"] is True
    finally:
        p.stdin.close()  # the session ends: its advisory lock goes
        p.wait(10)
    # Released: a pass runs. (The server ends psql's session a moment after
    # psql leaves: until then the lock is still held.)
    for _ in range(50):
        r = api.post("/v1/monitoring/runs", token=supervisor)
        if r.status_code != 409:
            break
        time.sleep(0.2)
    assert r.status_code in (200, 201), r.content


def test_anonymous_catalogue_reads_use_the_replica(tmp_path, api, tokens, make_unit):
    extra = {"OPENGOV_DATABASE_READ_URL": ENV["OPENGOV_DATABASE_URL"],
             "OPENGOV_REPLICA_MAX_LAG_MS": "500"}
    with serve(tmp_path, extra) as (_, sock, _env):
        status, _, body = fcgi_get(sock, "/readyz")
        assert status == 200
        assert json.loads(body)["replica"] == {"usable": True, "lag_ms": 0}
        u = make_unit()
        base = metric(sock, 'opengov_db_replica_reads_total{served_by="replica"}') or 0
        status, head, body = fcgi_get(sock, "/v1/units/" + u["id"])
        assert status == 200 and json.loads(body)["id"] == u["id"]
        # nginx must not keep a replica's answer in its edge cache.
        assert "X-Accel-Expires: 0" in head
        after = metric(sock, 'opengov_db_replica_reads_total{served_by="replica"}')
        assert after == base + 1
        # Served from the replica, not kept in the worker's cache either.
        fcgi_get(sock, "/v1/units/" + u["id"])
        assert metric(sock, 'opengov_db_replica_reads_total{served_by="replica"}') == base + 2
        # With a token: the primary, never the replica.
        status, head, _ = fcgi_get(sock, "/v1/units/" + u["id"], token=tokens.mint("public"))
        assert status == 200 and "X-Accel-Expires" not in head
        assert metric(sock, 'opengov_db_replica_reads_total{served_by="replica"}') == base + 2
        # A route that is not public record (requests) never reads it.
        fcgi_get(sock, "/v1/requests", token=tokens.mint("public"))
        assert metric(sock, 'opengov_db_replica_reads_total{served_by="replica"}') == base + 2
        assert metric(sock, "opengov_db_replica_up") == 1
        assert metric(sock, "opengov_db_replica_lag_seconds") == 0


def test_replica_and_primary_connections_keep_their_own_statements(tmp_path, tokens, db):
    """A worker's two connections prepare their statements apart: when one
    reconnects (a failover, a restart) the other's stay valid and are not
    prepared a second time."""
    extra = {"OPENGOV_DATABASE_READ_URL": ENV["OPENGOV_DATABASE_URL"]}
    with serve(tmp_path, extra) as (_, sock, _env):
        token = tokens.mint("public")
        path = "/v1/calendar/years"
        for _ in range(2):
            assert fcgi_get(sock, path)[0] == 200               # the replica's
            assert fcgi_get(sock, path, token=token)[0] == 200  # the primary's
        db("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
           "WHERE application_name = 'opengov-replica'")
        for _ in range(3):
            assert fcgi_get(sock, path)[0] == 200
            assert fcgi_get(sock, path, token=token)[0] == 200
        assert metric(sock, 'opengov_db_replica_reads_total{served_by="replica"}') >= 4


def test_unreachable_replica_sends_reads_to_the_primary(tmp_path, make_unit):
    # Nothing listens there (the cluster test's range, unused by the suite).
    extra = {"OPENGOV_DATABASE_READ_URL":
             "postgresql://opengov_app@127.0.0.1:18649/opengov?connect_timeout=1"}
    with serve(tmp_path, extra) as (_, sock, _env):
        u = make_unit()
        started = time.monotonic()
        for _ in range(5):
            status, head, body = fcgi_get(sock, "/v1/units/" + u["id"])
            assert status == 200 and json.loads(body)["id"] == u["id"]
            assert "X-Accel-Expires" not in head
        # One failed connection, then the replica is left alone a while.
        assert time.monotonic() - started < 3
        status, _, body = fcgi_get(sock, "/readyz")
        assert status == 200  # the primary answers: ready
        assert json.loads(body)["replica"] == {"usable": False, "lag_ms": None}
        assert metric(sock, "opengov_db_replica_up") == 0
        assert metric(sock, 'opengov_db_replica_reads_total{served_by="primary"}') >= 5
        assert metric(sock, 'opengov_db_replica_reads_total{served_by="replica"}') == 0
