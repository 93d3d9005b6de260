#!/usr/bin/python3
"""soak.py - the load and the faults of `make soak` (run by scripts/soak.sh
against its own stack; reads the stack's env file).

For SOAK_SECONDS (default 180) SOAK_THREADS clients (default 4) mix reads,
request creations (POST /v1/requests as demo-public) and material uploads.
Meanwhile PostgreSQL is restarted (at 30 % of the run) and a worker is killed
with SIGKILL (at 60 %). Then it checks, and exits 1 on any violation:

  - every creation and upload answered 201 is in the database, by its id;
  - the audit chains verify (GET /v1/audit/verify);
  - no worker that lived through the run grew in memory by more than
    SOAK_RSS_TOLERANCE_KIB (default 4096) between the end of the warm-up
    (10 % of the run) and the end;
  - the only error answers were 503 with Retry-After during the database's
    outage (sent before it accepted connections again), and, for the one
    request the killed worker was serving, nginx's 502.

Prints the figures: requests, answers by status, the outage as the clients
saw it, RSS by worker.
"""

import os
import random
import shlex
import signal
import struct
import subprocess
import sys
import threading
import time
import uuid
import zlib
from collections import Counter

import requests

PG_BIN = "/usr/lib/postgresql/15/bin"


def load_env(path):
    env = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k.strip()] = v.strip()
    return env


ENV = load_env(os.environ["OPENGOV_ENV_FILE"])
BASE = ENV["OPENGOV_BASE_URL"]
VAR = ENV["OPENGOV_VAR"]
SECONDS = float(os.environ.get("SOAK_SECONDS", "180"))
THREADS = int(os.environ.get("SOAK_THREADS", "4"))
RSS_TOLERANCE_KIB = int(os.environ.get("SOAK_RSS_TOLERANCE_KIB", "4096"))
PASSWORD = os.environ.get("SOAK_PASSWORD", "demo-password")


def now():
    return time.monotonic()


# ---------------------------------------------------------------- the stack


def psql(sql):
    p = subprocess.run(["psql", ENV["OPENGOV_SUPERUSER_DATABASE_URL"], "-X", "-q", "-At",
                        "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True, timeout=120)
    if p.returncode:
        raise RuntimeError(f"psql: {p.stderr.strip()}")
    return [line for line in p.stdout.splitlines() if line]


def pg_data():
    return os.path.realpath(os.path.join(VAR, "pg", "data"))


def pg_ctl(*args):
    cmd = [os.path.join(PG_BIN, "pg_ctl"), "-D", pg_data(), *args]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd="/")


def postmaster_options():
    with open(os.path.join(pg_data(), "postmaster.opts")) as f:
        argv = shlex.split(f.read())[1:]
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "-D":
            skip = True
        else:
            out.append(a)
    return shlex.join(out)


def master_pid():
    with open(os.path.join(VAR, "run", "opengov.pid")) as f:
        return int(f.read())


def workers():
    master, out = master_pid(), set()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        rest = stat[stat.rfind(")") + 2:].split()
        if rest[0] != "Z" and int(rest[1]) == master:
            out.add(int(d))
    return out


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


# ---------------------------------------------------------------- the load


def make_png(seed):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    rgb = bytes([seed % 256, (seed >> 8) % 256, 7])
    raw = b"".join(b"\x00" + rgb * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class Log:
    """Every answer: (op, status, started, ended, retry_after)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.answers = []
        self.created = []    # request ids answered 201
        self.uploaded = []   # material ids answered 201

    def add(self, op, status, t0, t1, retry_after=None):
        with self.lock:
            self.answers.append((op, status, t0, t1, retry_after))


def client(n, token, unit, log, stop):
    s = requests.Session()
    s.trust_env = False
    h = {"Authorization": "Bearer " + token}
    rnd = random.Random(n)
    mine = []  # this client's requests, for reads and uploads

    def call(op, method, path, **kw):
        t0 = now()
        try:
            r = s.request(method, BASE + path, timeout=30, **kw)
        except requests.RequestException as e:
            log.add(op, "conn:" + type(e).__name__, t0, now())
            return None
        log.add(op, r.status_code, t0, now(), r.headers.get("Retry-After"))
        return r

    while not stop.is_set():
        x = rnd.random()
        if x < 0.25:
            r = call("create", "POST", "/v1/requests", headers=h, json={
                "kind": "disclosure", "unit_id": unit, "purpose": None,
                "delivery": "electronic",
                "description": "压力测试：申请公开2019年度行政许可办理情况。" + uuid.uuid4().hex[:8]})
            if r is not None and r.status_code == 201:
                rid = r.json()["id"]
                mine.append(rid)
                with log.lock:
                    log.created.append(rid)
        elif x < 0.40 and mine:
            rid = mine.pop(rnd.randrange(len(mine)))  # one upload per request
            r = call("upload", "POST", f"/v1/requests/{rid}/materials",
                     params={"code": "DOC", "filename": "scan.png"},
                     headers={**h, "Content-Type": "image/png"}, data=make_png(rnd.randrange(1 << 16)))
            if r is not None and r.status_code == 201:
                with log.lock:
                    log.uploaded.append(r.json()["id"])
            mine.append(rid)
            mine = mine[-20:]
        elif x < 0.55 and mine:
            call("read-own", "GET", f"/v1/requests/{rnd.choice(mine)}", headers=h)
        elif x < 0.80:
            call("read-units", "GET", "/v1/units?limit=5")
        else:
            call("read-items", "GET", "/v1/items?limit=5",
                 headers={"Cache-Control": "no-cache"})


def login(username):
    r = requests.post(BASE + "/v1/auth/token", json={"username": username, "password": PASSWORD},
                      timeout=30)
    if r.status_code != 200:
        sys.exit(f"soak.py: login {username}: {r.status_code} {r.text[:200]}")
    return r.json()["access_token"]


def main():
    public = login("demo-public")
    supervisor = login("demo-supervisor")
    unit = psql("SELECT id FROM units WHERE code = 'PSB'")[0]
    log, stop = Log(), threading.Event()
    threads = [threading.Thread(target=client, args=(i, public, unit, log, stop), daemon=True)
               for i in range(THREADS)]
    start = now()
    for t in threads:
        t.start()

    def at(frac):
        time.sleep(max(0.0, start + frac * SECONDS - now()))

    at(0.10)
    rss_start = {pid: rss_kib(pid) for pid in workers()}

    at(0.30)
    opts = postmaster_options()
    outage = [now(), None]
    p = pg_ctl("restart", "-m", "fast", "-w", "-t", "60", "-l",
               os.path.realpath(os.path.join(VAR, "log", "postgres.log")), "-o", opts)
    outage[1] = now()
    if p.returncode:
        stop.set()
        sys.exit(f"soak.py: pg_ctl restart failed: {p.stdout}{p.stderr}")

    at(0.60)
    kids = workers()
    victim = random.Random(1).choice(sorted(kids))
    killed_at = now()
    os.kill(victim, signal.SIGKILL)

    at(1.0)
    stop.set()
    for t in threads:
        t.join(60)
    end = now()
    alive = workers()
    rss_end = {pid: rss_kib(pid) for pid in alive}

    # ------------------------------------------------------------ checks
    violations = []
    statuses = Counter(a[1] for a in log.answers)
    by_op = Counter((a[0], a[1]) for a in log.answers)
    seen_503 = [a for a in log.answers if a[1] == 503]
    lost_with_worker = []
    for op, status, t0, t1, retry_after in log.answers:
        if status in (200, 201):
            continue
        if status == 503 and t0 <= outage[1] and t1 >= outage[0]:
            if not (retry_after and retry_after.isdigit() and int(retry_after) >= 1):
                violations.append(f"503 without Retry-After: {op}")
            continue
        if status == 502 and t0 <= killed_at <= t1 + 0.05:
            lost_with_worker.append(op)
            continue
        violations.append(f"{op} answered {status} at {t0 - start:.2f} s "
                          f"(outage {outage[0] - start:.2f}-{outage[1] - start:.2f} s, "
                          f"kill {killed_at - start:.2f} s)")
    if len(lost_with_worker) > 1:
        violations.append(f"{len(lost_with_worker)} requests lost with the killed worker "
                          "(it serves one at a time)")

    def missing(table, ids):
        found = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            arr = "ARRAY[" + ",".join(f"'{x}'" for x in chunk) + "]::uuid[]"
            found |= set(psql(f"SELECT id FROM {table} WHERE id = ANY({arr})"))
        return [x for x in ids if x not in found]

    gone = missing("requests", log.created)
    if gone:
        violations.append(f"{len(gone)} requests answered 201 are not in the database: {gone[:3]}")
    gone = missing("materials", log.uploaded)
    if gone:
        violations.append(f"{len(gone)} uploads answered 201 are not in the database: {gone[:3]}")

    r = requests.get(BASE + "/v1/audit/verify", headers={"Authorization": "Bearer " + supervisor},
                     timeout=120)
    verify = r.json() if r.status_code == 200 else {"status": r.status_code}
    if r.status_code != 200 or verify.get("ok") is not True:
        violations.append(f"the audit log does not verify: {verify}")

    growth = {}
    for pid, before in rss_start.items():
        after = rss_end.get(pid)
        if before is None or after is None:
            continue  # the killed worker
        growth[pid] = after - before
        if after - before > RSS_TOLERANCE_KIB:
            violations.append(f"worker {pid} grew by {after - before} KiB "
                              f"(tolerance {RSS_TOLERANCE_KIB} KiB)")
    if victim in alive:
        violations.append(f"the killed worker {victim} is still there")
    if len(alive) != len(kids):
        violations.append(f"{len(alive)} workers at the end, {len(kids)} before the kill")

    # ------------------------------------------------------------ figures
    total = len(log.answers)
    print(f"soak: {end - start:.0f} s, {THREADS} clients, {total} requests "
          f"({total / (end - start):.0f}/s)")
    print("soak: answers by status: " + ", ".join(
        f"{k}: {v}" for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))))
    print("soak: by operation: " + ", ".join(
        f"{op} {st}: {n}" for (op, st), n in sorted(by_op.items(), key=str)))
    print(f"soak: created {len(log.created)} requests, uploaded {len(log.uploaded)} materials; "
          f"audit verify: {verify.get('ok')} ({verify.get('entries')} entries)")
    print(f"soak: PostgreSQL restart took {outage[1] - outage[0]:.2f} s "
          f"(pg_ctl restart -m fast)")
    if seen_503:
        first = min(a[2] for a in seen_503)
        last = max(a[3] for a in seen_503)
        print(f"soak: clients saw 503 for {last - first:.2f} s ({len(seen_503)} answers, "
              f"last one {last - outage[1]:+.2f} s after the database was back)")
    else:
        print("soak: clients saw no 503")
    print(f"soak: worker {victim} killed; requests lost with it: {len(lost_with_worker)}")
    print("soak: RSS growth by surviving worker (KiB, warm-up to end): " + ", ".join(
        f"{pid}: {rss_start[pid]} -> {rss_end[pid]} ({g:+d})" for pid, g in sorted(growth.items())))
    if growth:
        print(f"soak: max RSS growth {max(growth.values())} KiB "
              f"(tolerance {RSS_TOLERANCE_KIB} KiB)")
    if violations:
        print("soak: FAILED:", file=sys.stderr)
        for v in violations[:30]:
            print("  " + v, file=sys.stderr)
        if len(violations) > 30:
            print(f"  ... and {len(violations) - 30} more", file=sys.stderr)
        return 1
    print("soak: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
