"""Operations hardening: who may reach the database, who the service runs as,
and who may write the audit log.

* The stack's PostgreSQL admits its own OS user (and root) as the superuser
  by peer authentication, and the service roles by password only; its socket
  directory is closed to other OS users.
* `opengov serve` (master and workers) and `opengov monitor`, started as
  root, run as the unprivileged OPENGOV_USER; the FastCGI socket stays 0660
  for nginx's group.
* Only the service's role (and the schema owner) may call audit_append and
  the other SECURITY DEFINER functions; the service still audits its writes.
"""

import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import time
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from conftest import ENV, REPO, children, master_pid

# Absolute: the processes below start in / (OPENGOV_BIN may be relative to the repository).
BIN = os.path.join(REPO, os.environ.get("OPENGOV_BIN") or os.path.join("bin", "opengov"))
AS_ROOT = os.geteuid() == 0
NOT_ROOT = "needs root: the suite runs as a normal user, who cannot act as another OS user"
AUDIT_APPEND = "audit_append(text,text,text,text,text,text,jsonb)"


def service_user():
    return ENV.get("OPENGOV_USER") or "opengov"


def psql(url, sql="SELECT 1", user=None, extra_env=None):
    """psql as this process's user, or as OS user `user` (root only)."""
    cmd = [shutil.which("psql") or "/usr/bin/psql", url, "-X", "-w", "-At",
           "-v", "ON_ERROR_STOP=1", "-c", sql]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(extra_env or {})
    if user:
        cmd = ["runuser", "-u", user, "--"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env, cwd="/")


def without_passfile(url):
    parts = urlsplit(url)
    q = [(k, v) for k, v in parse_qsl(parts.query) if k != "passfile"]
    return urlunsplit(parts._replace(query=urlencode(q, safe="/")))


def passfile(url):
    return dict(parse_qsl(urlsplit(url).query)).get("passfile")


def uid_line(pid):
    """(real, effective, saved, fs) uids and gids and the groups of pid."""
    with open(f"/proc/{pid}/status") as f:
        text = f.read()
    uids = tuple(int(x) for x in re.search(r"^Uid:\s+(.*)$", text, re.M).group(1).split())
    gids = tuple(int(x) for x in re.search(r"^Gid:\s+(.*)$", text, re.M).group(1).split())
    groups = tuple(int(x) for x in re.search(r"^Groups:[ \t]*(.*)$", text, re.M).group(1).split())
    return uids, gids, groups


# --------------------------------------------------------------------------
# 3. the cluster admits no one it does not know


def test_cluster_rules_have_no_trust(db):
    """pg_hba: the superuser by peer, everyone else by scram-sha-256; no
    trust line, no TCP line."""
    rules = db("SELECT type, auth_method, array_to_string(user_name, ',') FROM pg_hba_file_rules"
               " WHERE error IS NULL")
    assert rules, "no pg_hba rules"
    for typ, method, users in rules:
        assert typ == "local", rules
        assert method in ("peer", "scram-sha-256"), rules
        if method == "peer":
            assert users == "postgres", rules
    assert db.scalar("SHOW password_encryption") == "scram-sha-256"
    for role in ("opengov", "opengov_app"):
        assert db.scalar(f"SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid"
                         f" WHERE rolname = '{role}'") == "t", role


def test_service_role_needs_its_password():
    """opengov_app (and the owner) cannot connect without the password; with
    the passfile the URL names, they can."""
    for key in ("OPENGOV_DATABASE_URL", "OPENGOV_ADMIN_DATABASE_URL"):
        url = ENV[key]
        assert passfile(url), f"{key} names no passfile"
        assert ":" not in (urlsplit(url).netloc.split("@")[0]), f"{key} holds a password"
        ok = psql(url)
        assert ok.returncode == 0 and ok.stdout.strip() == "1", ok.stderr
        bare = psql(without_passfile(url), extra_env={"PGPASSFILE": "/dev/null"})
        assert bare.returncode != 0, f"{key} connected without a password"
        assert re.search(r"password|authentication", bare.stderr), bare.stderr
        wrong = psql(without_passfile(url), extra_env={"PGPASSFILE": "/dev/null",
                                                       "PGPASSWORD": "not-the-password"})
        assert wrong.returncode != 0, f"{key} connected with a wrong password"


def test_passwords_kept_private():
    """The passwords live in VARDIR/pgpass and in the passfile, mode 0600;
    the env file (JWT secret) is 0600 too."""
    var = ENV["OPENGOV_VAR"]
    files = {os.path.join(var, "pgpass"), passfile(ENV["OPENGOV_DATABASE_URL"]),
             os.path.join(var, "opengov.env")}
    for path in files:
        st = os.stat(path)
        assert stat.S_IMODE(st.st_mode) & 0o077 == 0, f"{path} is {oct(st.st_mode)}"
    if AS_ROOT:
        st = os.stat(passfile(ENV["OPENGOV_DATABASE_URL"]))
        assert st.st_uid == pwd.getpwnam(service_user()).pw_uid
        assert os.stat(os.path.join(var, "pgpass")).st_uid == 0


@pytest.mark.skipif(not AS_ROOT, reason=NOT_ROOT)
def test_other_os_users_cannot_connect():
    """nobody reaches neither the superuser nor the service roles; the service
    user is not the superuser (peer maps only the cluster's user and root)."""
    su = ENV["OPENGOV_SUPERUSER_DATABASE_URL"]
    assert psql(su).returncode == 0  # root, as the cluster's administrator
    for url in (su, ENV["OPENGOV_DATABASE_URL"], without_passfile(ENV["OPENGOV_DATABASE_URL"])):
        p = psql(url, user="nobody")
        assert p.returncode != 0, f"nobody connected with {url}"
        assert "Permission denied" in p.stderr or "password" in p.stderr, p.stderr
    p = psql(su, user=service_user())
    assert p.returncode != 0, "the service user connected as the superuser"
    assert "authentication failed" in p.stderr, p.stderr
    # The socket directory: the cluster's user and the service's group only.
    host = dict(parse_qsl(urlsplit(su).query))["host"]
    st = os.stat(host)
    assert stat.S_IMODE(st.st_mode) & 0o007 == 0, oct(st.st_mode)


# --------------------------------------------------------------------------
# 4. nothing runs as root


def serve_pids():
    master = master_pid()
    workers = children(master)
    assert workers, "the master has no workers"
    return [master, *sorted(workers)]


def test_workers_not_root():
    want = None
    if AS_ROOT:
        pw = pwd.getpwnam(service_user())
        assert pw.pw_uid != 0
        want = (pw.pw_uid, pw.pw_gid)
    for pid in serve_pids():
        uids, gids, groups = uid_line(pid)
        assert 0 not in uids, f"pid {pid} has uid 0: {uids}"
        assert 0 not in gids and 0 not in groups, f"pid {pid}: gids {gids}, groups {groups}"
        if want:
            assert uids == (want[0],) * 4, (pid, uids)
            assert gids == (want[1],) * 4, (pid, gids)


def test_fastcgi_socket_for_nginx_only():
    st = os.stat(ENV["OPENGOV_SOCKET"])
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o660
    if AS_ROOT:
        import grp
        assert st.st_gid == grp.getgrnam(ENV.get("OPENGOV_SOCKET_GROUP") or "www-data").gr_gid


@pytest.mark.parametrize("args", [["monitor", "--every", "3600"], ["deliver"]])
def test_monitor_not_root(args):
    """The background processes (the monitor, the webhooks' sender) never
    run as root."""
    env = dict(os.environ)
    env.update({k: v for k, v in ENV.items() if k.startswith("OPENGOV_")})
    p = subprocess.Popen([BIN, *args], env=env, cwd="/",
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        seen = None
        for _ in range(100):
            uids, _, _ = uid_line(p.pid)
            if 0 not in uids or p.poll() is not None:
                seen = uids
                break
            time.sleep(0.05)
        assert p.poll() is None, p.stderr.read()
        assert seen and 0 not in seen, f"{args[0]} runs as {seen}"
        if AS_ROOT:
            assert seen == (pwd.getpwnam(service_user()).pw_uid,) * 4
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)


@pytest.mark.skipif(not AS_ROOT, reason=NOT_ROOT)
def test_refuses_root_without_a_service_user(tmp_path):
    """Started as root with an OPENGOV_USER that does not exist, serve,
    monitor and deliver refuse to start instead of running as root."""
    env = dict(os.environ)
    env.update({k: v for k, v in ENV.items() if k.startswith("OPENGOV_")})
    env.update(OPENGOV_USER="no-such-user-" + uuid.uuid4().hex[:6],
               OPENGOV_SOCKET=str(tmp_path / "x.sock"), OPENGOV_WORKERS="1")
    env.pop("OPENGOV_PID_FILE", None)
    for args in (["serve"], ["monitor", "--every", "60"], ["deliver"]):
        p = subprocess.run([BIN, *args], env=env, capture_output=True, text=True, timeout=30)
        assert p.returncode != 0, args
        assert "service user" in p.stderr, p.stderr
    assert not os.path.exists(tmp_path / "x.sock")


# --------------------------------------------------------------------------
# 10. only the service appends to the audit log


def test_other_roles_cannot_append_audit_entries(db):
    """A role of the cluster that is not the service's is refused."""
    role = "forger_" + uuid.uuid4().hex[:8]
    before = db.scalar("SELECT count(*) FROM audit_log")
    db(f"CREATE ROLE {role} NOLOGIN")
    try:
        db(f"GRANT USAGE ON SCHEMA public TO {role}")
        with pytest.raises(RuntimeError, match="permission denied for function audit_append"):
            db(f"SET ROLE {role}; SELECT audit_append('admin', 'admin', 'unit.create', 'unit',"
               " NULL, NULL, '{}'::jsonb)")
        with pytest.raises(RuntimeError, match="permission denied for function"):
            db(f"SET ROLE {role}; SELECT * FROM search_token_frequencies()")
    finally:
        db(f"REVOKE ALL ON SCHEMA public FROM {role}; DROP ROLE {role}")
    assert db.scalar("SELECT count(*) FROM audit_log") == before


def test_security_definer_functions_granted_to_the_service_only(db):
    """Every SECURITY DEFINER function: not executable by PUBLIC, by
    opengov_app only where the service calls it, search_path pinned."""
    rows = db("SELECT p.oid::regprocedure::text, coalesce(array_to_string(p.proconfig, ' '), ''),"
              " CASE WHEN p.proacl IS NULL THEN 'PUBLIC' ELSE"
              " coalesce((SELECT string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC'"
              "   ELSE a.grantee::regrole::text END, ',' ORDER BY 1)"
              "   FROM aclexplode(p.proacl) a WHERE a.privilege_type = 'EXECUTE'"
              "   AND a.grantee <> p.proowner), '') END"
              " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
              " WHERE p.prosecdef AND n.nspname = 'public'")
    found = {name: (config, grantees) for name, config, grantees in rows}
    assert AUDIT_APPEND in found, found
    for name, (config, grantees) in found.items():
        assert "PUBLIC" not in grantees, f"{name} is executable by {grantees}"
        assert set(grantees.split(",")) <= {"opengov_app", ""}, f"{name}: {grantees}"
        # Pinned, pg_temp last; pg_catalog first or not named (then it is
        # searched first anyway).
        m = re.search(r"search_path=([^ ]+( [^ =]+)*)", config)
        assert m, (name, config)
        path = [p.strip() for p in m.group(1).split(",")]
        assert path[-1] == "pg_temp", (name, config)
        assert "pg_catalog" not in path[1:], (name, config)
    assert found[AUDIT_APPEND][1] == "opengov_app"
    assert db.scalar(f"SELECT has_function_privilege('opengov_app', '{AUDIT_APPEND}',"
                     " 'EXECUTE')") == "t"


def test_service_still_audits(api, admin, db):
    """An API write still leaves its audit entry, and the chains verify."""
    code = "T-" + uuid.uuid4().hex[:8]
    r = api.post("/v1/units", json={"kind": "township", "code": code, "name": "审计单位 " + code},
                 token=admin)
    assert r.status_code == 201, r.content
    uid = r.json()["id"]
    assert db.scalar(f"SELECT count(*) FROM audit_log WHERE action = 'unit.create'"
                     f" AND entity_id = '{uid}'") == "1"
    v = api.get("/v1/audit/verify", token=admin)
    assert v.status_code == 200 and v.json()["ok"] is True, v.json()
