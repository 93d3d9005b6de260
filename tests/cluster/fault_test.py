#!/usr/bin/python3
"""The fault test of docs/deployment.md, against the cluster scripts/cluster.sh
started (its env file is the argument): a bounded mixed load through nginx
(anonymous and applicant reads, creations of requests with Idempotency-Keys,
material uploads) while one opengov host is killed (SIGKILL of its process
group) and then the PostgreSQL primary (SIGKILL of its Patroni and its
postmaster: a machine that dies).

First, with the load not yet started, the standby's replay is held up: the
replica's lag must show in /readyz, and anonymous reads must leave it for
the primary once the lag passes OPENGOV_REPLICA_MAX_LAG_MS.

It reports the requests that failed around each fault (their status, and
whether they carried Retry-After), the time until a write succeeds again
after the primary died, and then checks on the new primary:
  - every creation answered 201 exists exactly once (its Idempotency-Key is
    in its description), and no key made two requests;
  - the audit chains verify (GET /v1/audit/verify), and each created
    request has exactly one registration entry;
  - the case numbers of each kind and year run 1..n with no gap and no
    duplicate, and the counter (request_numbers) stands at n.
The figures go to stdout and to DIR/report.json; the exit status is 0 only
when every check holds.

The load's client retries a creation that failed with 502/503/504 or a
broken connection with the same Idempotency-Key, after 0.2 s rather than
the Retry-After the answer names (5 s), so that the time to recovery is
measured finely; a real client waits as told."""

import json
import os
import re
import struct
import subprocess
import sys
import threading
import time
import uuid
import zlib

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLUSTER = os.path.join(ROOT, "scripts", "cluster.sh")

HOST_KILL_AT = float(os.environ.get("CLUSTER_HOST_KILL_AT", "6"))
PRIMARY_KILL_AT = float(os.environ.get("CLUSTER_PRIMARY_KILL_AT", "16"))
AFTER_RECOVERY = float(os.environ.get("CLUSTER_AFTER_RECOVERY", "8"))
RECOVERY_LIMIT = 90.0  # seconds: a failover slower than this fails the test
WRITERS, READERS = 4, 2
RETRY_PAUSE = 0.2
RETRYABLE = (502, 503, 504)


def load_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"^([A-Z_][A-Z0-9_]*)=(.*)$", line.rstrip("\n"))
            if m:
                env[m.group(1)] = m.group(2)
    return env


def png():
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    raw = b"".join(b"\x00" + bytes((30, 120, 200)) * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class Log:
    """Every request the load sent: (start, end, kind, status, retry_after,
    problem) with status 0 for a broken connection."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows = []

    def add(self, row):
        with self.lock:
            self.rows.append(row)


def call(session, log, kind, method, url, **kw):
    t0 = time.monotonic()
    try:
        r = session.request(method, url, timeout=40, **kw)
        status = r.status_code
        ra = r.headers.get("Retry-After")
        problem = r.headers.get("Content-Type", "").startswith("application/problem+json")
    except requests.RequestException:
        r, status, ra, problem = None, 0, None, False
    log.add({"start": t0, "end": time.monotonic(), "kind": kind, "method": method,
             "status": status, "retry_after": ra, "problem": problem})
    return r


def psql(env, port, q):
    out = subprocess.run(["psql", "-X", "-At", "-F", "\t", "-h", "127.0.0.1", "-p", port,
                          "-U", "postgres", "-d", "opengov", "-c", q],
                         env={**os.environ, "PGPASSWORD": env["CLUSTER_SUPERUSER_PASSWORD"]},
                         capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def replica_lag_phase(env, base, admin):
    """Before the load: the standby's replay is held up (a query on the
    standby holds a lock that a replayed ACCESS EXCLUSIVE lock must wait
    for, as hot standby does up to max_standby_streaming_delay), and a unit
    is created. Anonymous reads of it may miss it only while the replica's
    lag is within OPENGOV_REPLICA_MAX_LAG_MS; once /readyz reports it
    beyond, they read the primary; the writer (a token) reads it at once
    throughout. Then the standby catches up and is used again.
    (Not pg_wal_replay_pause(): Patroni resumes a paused replay in its next
    loop; nor recovery_min_apply_delay: Patroni removes it from
    postgresql.auto.conf.)"""
    ports = env["CLUSTER_PG_PORTS"].split(",")
    node = subprocess.run([CLUSTER, "primary", env["CLUSTER_DIR"]], capture_output=True,
                          text=True, check=True).stdout.strip()
    primary = ports[int(node[-1]) - 1]
    standby = ports[2 - int(node[-1])]
    bound = int(env.get("OPENGOV_REPLICA_MAX_LAG_MS", "1000"))
    s = requests.Session()
    auth = {"Authorization": "Bearer " + admin}
    out = {"bound_ms": bound}
    probe = "cluster_lag_probe"
    psql(env, primary, f"CREATE TABLE IF NOT EXISTS {probe} (x int)")
    for _ in range(100):
        if psql(env, standby, f"SELECT to_regclass('{probe}') IS NOT NULL")[0][0] == "t":
            break
        time.sleep(0.1)
    holder = subprocess.Popen(["psql", "-X", "-At", "-h", "127.0.0.1", "-p", standby, "-U", "postgres",
                               "-d", "opengov"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env={**os.environ,
                                              "PGPASSWORD": env["CLUSTER_SUPERUSER_PASSWORD"]})
    try:
        holder.stdin.write(f"BEGIN; SELECT count(*) FROM {probe}; SELECT 'held';\n")
        holder.stdin.flush()
        while holder.stdout.readline().strip() != "held":
            assert holder.poll() is None, "psql on the standby ended early"
        psql(env, primary, f"BEGIN; LOCK TABLE {probe} IN ACCESS EXCLUSIVE MODE; COMMIT")
        t0 = time.monotonic()
        r = s.post(base + "/v1/units", headers=auth, json={
            "kind": "township", "code": "LAG-" + uuid.uuid4().hex[:8], "name": "复制延迟测试"})
        assert r.status_code == 201, r.content
        uid = r.json()["id"]
        out["writer_reads_at_once"] = s.get(base + "/v1/units/" + uid, headers=auth).status_code == 200
        stale, lag, doc = 0, None, {}
        while time.monotonic() - t0 < 15:
            doc = s.get(base + "/readyz").json().get("replica", {})
            lag = doc.get("lag_ms")
            if lag is not None and lag > bound + 500:
                break
            if s.get(base + "/v1/units/" + uid).status_code == 404:
                stale += 1  # allowed: the replica is within its bound
            time.sleep(0.05)
        out["anonymous_misses_within_bound"] = stale
        out["lag_reported_ms"] = lag
        out["reported_unusable"] = doc.get("usable") is False
        # Beyond the bound: every anonymous read comes from the primary.
        codes = [s.get(base + "/v1/units/" + uid).status_code for _ in range(20)]
        out["anonymous_reads_beyond_bound"] = len(codes)
        out["anonymous_reads_beyond_bound_stale"] = sum(1 for c in codes if c != 200)
    finally:
        if holder.poll() is None:
            holder.stdin.write("COMMIT;\n")
            holder.stdin.close()
            holder.wait(10)
    t1 = time.monotonic()
    while time.monotonic() - t1 < 15:
        doc = s.get(base + "/readyz").json().get("replica", {})
        if doc.get("usable"):
            out["usable_again_after_resume_s"] = round(time.monotonic() - t1, 2)
            break
        time.sleep(0.05)
    psql(env, primary, f"DROP TABLE IF EXISTS {probe}")
    out["ok"] = (out["writer_reads_at_once"] and out["reported_unusable"]
                 and out["anonymous_reads_beyond_bound_stale"] == 0
                 and "usable_again_after_resume_s" in out)
    print("replica lag: " + json.dumps(out, ensure_ascii=False), flush=True)
    return out


def main():
    env = load_env(sys.argv[1])
    base = env["OPENGOV_BASE_URL"]
    cdir = env["CLUSTER_DIR"]
    log = Log()
    stop = threading.Event()
    created = {}      # key -> {"id", "number", "attempts"}
    unresolved = []   # keys that never got a 201 within the limit
    unexpected = []   # answers that are neither success nor a retryable failure
    lock = threading.Lock()

    s = requests.Session()
    units = s.get(base + "/v1/units?limit=100").json()["data"]
    psb = next(u["id"] for u in units if u["code"] == "PSB")

    def login(user):
        r = s.post(base + "/v1/auth/token", json={"username": user, "password": "demo-password"})
        assert r.status_code == 200, r.content
        return r.json()["access_token"]
    applicant = login("demo-public")
    auditor = login("demo-supervisor")
    admin = login("demo-admin")
    image = png()
    replica_phase = replica_lag_phase(env, base, admin)

    def writer(n):
        sess = requests.Session()
        auth = {"Authorization": "Bearer " + applicant}
        i = 0
        while not stop.is_set():
            i += 1
            key = f"cluster-{n}-{i}-{uuid.uuid4().hex[:12]}"
            body = {"kind": "disclosure", "unit_id": psb, "description": "cluster " + key,
                    "delivery": "electronic"}
            started, attempts = time.monotonic(), 0
            while True:
                attempts += 1
                r = call(sess, log, "create", "POST", base + "/v1/requests",
                         json=body, headers={**auth, "Idempotency-Key": key})
                status = r.status_code if r is not None else 0
                if status in (200, 201):
                    doc = r.json()
                    with lock:
                        created[key] = {"id": doc["id"], "number": doc["number"],
                                        "attempts": attempts, "status": status}
                    break
                if status in RETRYABLE or status == 0:
                    if time.monotonic() - started > RECOVERY_LIMIT:
                        unresolved.append(key)
                        break
                    time.sleep(RETRY_PAUSE)
                    continue
                unexpected.append({"kind": "create", "status": status,
                                   "body": r.text[:300] if r is not None else ""})
                break
            # Every other request gets a material (no key: an upload is a new
            # version each time, so a failed one is not retried here).
            if key in created and i % 2 == 0:
                rid = created[key]["id"]
                r = call(sess, log, "upload", "POST", base + f"/v1/requests/{rid}/materials",
                         params={"code": "DOC", "filename": "scan.png"}, data=image,
                         headers={**auth, "Content-Type": "image/png"})
                status = r.status_code if r is not None else 0
                if status not in (201, *RETRYABLE, 0):
                    unexpected.append({"kind": "upload", "status": status,
                                       "body": r.text[:300] if r is not None else ""})

    def reader(n):
        sess = requests.Session()
        auth = {"Authorization": "Bearer " + applicant}
        paths = ["/v1/units?limit=5", "/v1/items?limit=5", "/v1/units/" + psb,
                 "/v1/findings?limit=5", "/v1/calendar/years"]
        i = 0
        while not stop.is_set():
            i += 1
            path = paths[i % len(paths)]
            r = call(sess, log, "read", "GET", base + path)
            status = r.status_code if r is not None else 0
            if status not in (200, *RETRYABLE, 0):
                unexpected.append({"kind": "read", "status": status, "path": path})
            with lock:
                mine = next(iter(created.values()), None)
            if mine:
                r = call(sess, log, "read-own", "GET", base + "/v1/requests/" + mine["id"],
                         headers=auth)
                status = r.status_code if r is not None else 0
                if status not in (200, *RETRYABLE, 0):
                    unexpected.append({"kind": "read-own", "status": status})
            time.sleep(0.01)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    threads += [threading.Thread(target=reader, args=(n,)) for n in range(READERS)]
    t0 = time.monotonic()
    for t in threads:
        t.start()

    time.sleep(HOST_KILL_AT)
    subprocess.run([CLUSTER, "kill-host", cdir, "a"], check=True)
    t_host = time.monotonic()  # the host is gone: what started before was in flight
    print(f"fault 1: opengov host a killed at {t_host - t0:.1f} s", flush=True)

    time.sleep(max(0.0, PRIMARY_KILL_AT - (time.monotonic() - t0)))
    node = subprocess.run([CLUSTER, "kill-primary", cdir], check=True, capture_output=True,
                          text=True).stdout.strip()
    t_db = time.monotonic()
    print(f"fault 2: PostgreSQL primary {node} killed at {t_db - t0:.1f} s", flush=True)

    # Writes again: the first creation answered 201 that was sent after the kill.
    recovered = None
    while time.monotonic() - t_db < RECOVERY_LIMIT:
        with log.lock:
            ok = [r["end"] for r in log.rows
                  if r["kind"] == "create" and r["status"] == 201 and r["start"] > t_db]
        if ok:
            recovered = min(ok)
            break
        time.sleep(0.1)
    if recovered is not None:
        time.sleep(AFTER_RECOVERY)
    stop.set()
    for t in threads:
        t.join(120)
    t_end = time.monotonic()
    new_primary = subprocess.run([CLUSTER, "primary", cdir], capture_output=True,
                                 text=True).stdout.strip()

    # ---------------------------------------------------------- the figures
    def failures(lo, hi):
        return [r for r in log.rows if lo <= r["start"] < hi and r["status"] not in
                (200, 201, 204, 304)]

    def summary(rows):
        by = {}
        for r in rows:
            k = f'{r["kind"]} {r["status"] or "broken connection"}'
            by[k] = by.get(k, 0) + 1
        return by

    before = failures(t0, t_host - 1.0)
    host_fault = failures(t_host - 1.0, t_db - 1.0)
    db_fault = failures(t_db - 1.0, t_end)
    host_after = [r for r in host_fault if r["start"] >= t_host]
    db_after = [r for r in db_fault if r["start"] >= t_db]
    kinds = ("read", "read-own", "create", "upload")
    report = {
        "duration_s": round(t_end - t0, 1),
        "requests": len(log.rows),
        "by_kind": {k: sum(1 for r in log.rows if r["kind"] == k) for k in kinds},
        "creations_answered_201": len(created),
        "creations_retried_with_their_key": sum(1 for c in created.values() if c["attempts"] > 1),
        "failed_before_faults": summary(before),
        "host_kill": {
            "failed": len(host_fault),
            "failed_in_flight": len(host_fault) - len(host_after),
            "failed_sent_after_the_kill": len(host_after),
            "statuses": summary(host_fault),
            "without_retry_after": sum(1 for r in host_fault if r["status"] and not r["retry_after"]),
            "not_problem_json": sum(1 for r in host_fault if r["status"] and not r["problem"]),
        },
        "primary_kill": {
            "node": node,
            "new_primary": new_primary,
            "failed": len(db_fault),
            "failed_in_flight": len(db_fault) - len(db_after),
            "statuses": summary(db_fault),
            "anonymous_reads_failed": sum(1 for r in db_fault if r["kind"] == "read"),
            "without_retry_after": sum(1 for r in db_fault if r["status"] and not r["retry_after"]),
            "not_problem_json": sum(1 for r in db_fault if r["status"] and not r["problem"]),
            "writes_again_after_s": round(recovered - t_db, 2) if recovered else None,
            "last_failure_after_s": round(max((r["end"] for r in db_fault), default=t_db) - t_db, 2),
        },
        "unexpected": unexpected[:20],
        "unresolved_creations": len(unresolved),
        "replica_lag": replica_phase,
    }

    # ---------------------------------------------------------- the checks
    pg_ports = env["CLUSTER_PG_PORTS"].split(",")
    port = pg_ports[int(new_primary[-1]) - 1] if new_primary else pg_ports[1]

    def sql(q):
        return psql(env, port, q)

    rows = sql("SELECT substr(description, 9), id, number FROM requests "
               "WHERE description LIKE 'cluster cluster-%'")
    in_db = {}
    for key, rid, number in rows:
        in_db.setdefault(key, []).append((rid, number))
    missing = [k for k in created if k not in in_db]
    twice = [k for k, v in in_db.items() if len(v) > 1]
    mismatched = [k for k, c in created.items()
                  if k in in_db and in_db[k][0] != (c["id"], c["number"])]
    committed_unanswered = [k for k in in_db if k not in created]

    gaps = []
    counters = {(kind, int(year)): int(last) for kind, year, last in
                sql("SELECT kind, year, last FROM request_numbers")}
    for kind, prefix in (("disclosure", "GK"), ("approval", "SP")):
        for (k, year), last in counters.items():
            if k != kind:
                continue
            nums = sorted(int(n) for (n,) in sql(
                f"SELECT split_part(number, '-', 3) FROM requests "
                f"WHERE number LIKE '{prefix}-{year}-%'"))
            if nums != list(range(1, last + 1)):
                gaps.append({"kind": kind, "year": year, "counter": last, "count": len(nums),
                             "distinct": len(set(nums))})

    registered = "('request.submit', 'request.register')"
    audit_twice = sql(f"SELECT entity_id, count(*) FROM audit_log WHERE action IN {registered} "
                      "AND entity_id::text IN (SELECT id::text FROM requests WHERE description "
                      "LIKE 'cluster cluster-%') GROUP BY 1 HAVING count(*) <> 1")
    audit_missing = sql("SELECT count(*) FROM requests r WHERE description LIKE 'cluster cluster-%' "
                        f"AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.action IN {registered} "
                        "AND a.entity_id::text = r.id::text)")[0][0]
    # The webhook senders: host B's took over (or kept) the one lock.
    deliver_lock = sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                       "AND classid = 1 AND objid = 3075779105")[0][0]  # 7370746401
    verify = requests.get(base + "/v1/audit/verify",
                          headers={"Authorization": "Bearer " + auditor}, timeout=60)
    verify_doc = verify.json() if verify.status_code == 200 else {"status": verify.status_code}

    report["checks"] = {
        "created_missing_on_new_primary": len(missing),
        "keys_with_two_requests": len(twice),
        "answer_differs_from_row": len(mismatched),
        "committed_but_never_answered_201": len(committed_unanswered),
        "case_number_gaps_or_duplicates": gaps,
        "audit_registration_not_once": len(audit_twice) + int(audit_missing),
        "audit_verify": verify_doc,
        "webhook_senders_holding_the_lock": int(deliver_lock),
    }
    fault_statuses_ok = all(r["status"] in RETRYABLE or r["status"] == 0
                            for r in host_fault + db_fault)
    ok = (replica_phase["ok"] and int(deliver_lock) == 1 and recovered is not None and not missing and not twice and not mismatched
          and not gaps and not audit_twice and int(audit_missing) == 0
          and verify_doc.get("ok") is True and not unexpected and not unresolved
          and not before and not host_after and fault_statuses_ok
          and report["host_kill"]["without_retry_after"] == 0
          and report["primary_kill"]["without_retry_after"] == 0
          and report["primary_kill"]["anonymous_reads_failed"] == 0
          and report["host_kill"]["not_problem_json"] == 0
          and report["primary_kill"]["not_problem_json"] == 0)
    report["ok"] = ok
    print(json.dumps(report, indent=2, ensure_ascii=False))
    with open(os.path.join(cdir, "report.json"), "w") as f:
        json.dump(report, f, indent=2, ensure_ascii=False)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
