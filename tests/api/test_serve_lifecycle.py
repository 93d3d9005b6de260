"""`opengov serve` as an operator sees it: a second, private instance on its
own socket, driven over FastCGI directly, to check that SIGTERM lets an
in-flight request finish, exits 0 and removes the socket."""

import contextlib
import os
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

from conftest import ENV, REPO

BIN = os.environ.get("OPENGOV_BIN") or os.path.join(REPO, "bin", "opengov")


def _record(rtype, content, req_id=1):
    return struct.pack("!BBHHBB", 1, rtype, req_id, len(content), 0, 0) + content


def _pair(name, value):
    def ln(n):
        return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)
    return ln(len(name)) + ln(len(value)) + name + value


def fcgi_get(sock_path, path, query="", timeout=30, token=None):
    """One FastCGI GET; returns (status, headers text, body bytes)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    params = {
        b"REQUEST_METHOD": b"GET", b"DOCUMENT_URI": path.encode(),
        b"REQUEST_URI": path.encode(), b"QUERY_STRING": query.encode(),
        b"REMOTE_ADDR": b"127.0.0.1", b"SERVER_PROTOCOL": b"HTTP/1.1",
        b"REQUEST_ID": b"0123456789abcdef0123456789abcdef",
    }
    if token is not None:
        params[b"HTTP_AUTHORIZATION"] = b"Bearer " + token.encode()
    body = b"".join(_pair(k, v) for k, v in params.items())
    s.sendall(_record(1, struct.pack("!HB5x", 1, 0)) + _record(4, body) +
              _record(4, b"") + _record(5, b""))
    out = b""
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
        done = False
        while len(buf) >= 8:
            _, rtype, _, clen, plen, _ = struct.unpack("!BBHHBB", buf[:8])
            if len(buf) < 8 + clen + plen:
                break
            content = buf[8:8 + clen]
            buf = buf[8 + clen + plen:]
            if rtype == 6:
                out += content
            elif rtype == 3:
                done = True
        if done:
            break
    s.close()
    head, _, payload = out.partition(b"\r\n\r\n")
    status = int(head.split(b"\r\n")[0].split()[1])
    return status, head.decode(), payload


@pytest.fixture
def db_session_lock():
    """Runs SQL in an open transaction of a superuser psql session; the
    context gives a function that commits it."""
    import contextlib

    @contextlib.contextmanager
    def hold(sql):
        p = subprocess.Popen(["psql", ENV["OPENGOV_SUPERUSER_DATABASE_URL"], "-At",
                              "-v", "ON_ERROR_STOP=1"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
        p.stdin.write(f"BEGIN; {sql}; SELECT 'held';\n")
        p.stdin.flush()
        assert p.stdout.readline().strip() in ("BEGIN", "held")
        line = ""
        while line != "held":
            line = p.stdout.readline().strip()
            assert p.poll() is None, "psql ended early"

        def release():
            if p.poll() is None:
                p.stdin.write("COMMIT;\n")
                p.stdin.close()
                p.wait(10)
        try:
            yield release
        finally:
            release()
    return hold


@contextlib.contextmanager
def serve(tmp_path, extra=None):
    """A private `opengov serve` (one worker) on its own socket, with the
    stack's settings plus extra; stopped with SIGTERM afterwards."""
    env = dict(os.environ)
    env.update({k: v for k, v in ENV.items() if k.startswith("OPENGOV_")})
    run_dir = str(tmp_path)
    if os.geteuid() == 0:
        # Started as root, serve becomes OPENGOV_USER once its socket is
        # open: it removes the socket from a directory that user owns.
        import pwd
        import tempfile
        run_dir = tempfile.mkdtemp(prefix="opengov-serve-")
        pw = pwd.getpwnam(env.get("OPENGOV_USER") or "opengov")
        os.chown(run_dir, pw.pw_uid, pw.pw_gid)
    sock = os.path.join(run_dir, "serve.sock")
    env.update(OPENGOV_SOCKET=sock, OPENGOV_WORKERS="1",
               OPENGOV_PID_FILE=os.path.join(run_dir, "serve.pid"))
    env.pop("OPENGOV_SOCKET_GROUP", None)
    env.update(extra or {})
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen([BIN, "serve"], env=env, stdout=log, stderr=log)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        assert os.path.exists(sock), "the private server did not open its socket"
        yield proc, sock, env
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
        if run_dir != str(tmp_path):
            import shutil
            shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture
def private_server(tmp_path):
    with serve(tmp_path) as (proc, sock, _):
        yield proc, sock


def test_socket_is_not_world_accessible(private_server):
    _, sock = private_server
    mode = os.stat(sock).st_mode & 0o777
    assert mode == 0o660


def test_sigterm_drains_in_flight_request(private_server, db_session_lock):
    proc, sock = private_server
    status, _, _ = fcgi_get(sock, "/healthz")
    assert status == 200

    # Hold a lock so that a units read waits inside the worker.
    result = {}
    with db_session_lock("LOCK TABLE units IN ACCESS EXCLUSIVE MODE") as release:
        def call():
            result["answer"] = fcgi_get(sock, "/v1/units", "limit=1")
        t = threading.Thread(target=call)
        t.start()
        time.sleep(0.5)  # the request is now in flight, blocked on the lock
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        assert proc.poll() is None, "the master quit before its worker finished"
        release()
        t.join(20)
    assert "answer" in result
    assert result["answer"][0] == 200
    assert proc.wait(timeout=20) == 0
    assert not os.path.exists(sock)


def test_sigterm_when_idle_exits_zero(private_server):
    proc, sock = private_server
    assert fcgi_get(sock, "/healthz")[0] == 200
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert not os.path.exists(sock)


def test_rs256_tokens_verified_and_remembered(tmp_path):
    """An RS256 deployment (keys of an identity provider): tokens signed with
    the private key are accepted, again from the worker's cache of verified
    tokens; a tampered one, an HS256 one and an expired one are refused."""
    key, pub = tmp_path / "jwt.key", tmp_path / "jwt.pub"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                    "rsa_keygen_bits:2048", "-out", str(key)], check=True,
                   capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-out", str(pub)],
                   check=True, capture_output=True)
    rs = {"OPENGOV_JWT_ALG": "RS256", "OPENGOV_JWT_PUBLIC_KEY_FILE": str(pub),
          "OPENGOV_JWT_PRIVATE_KEY_FILE": str(key)}
    with serve(tmp_path, rs) as (proc, sock, env):
        def mint(*args):
            return subprocess.run([BIN, "token", *args], env=env, check=True,
                                  capture_output=True, text=True).stdout.strip()
        tok = mint("--role", "supervisor", "--sub", "rs-test")
        for _ in range(3):  # the first verifies, the others hit the cache
            status, _, body = fcgi_get(sock, "/v1/me", token=tok)
            assert status == 200, body
            assert b'"role":"supervisor"' in body
        head, payload, sig = tok.split(".")
        tampered = ".".join([head, payload, ("A" if sig[0] != "A" else "B") + sig[1:]])
        assert fcgi_get(sock, "/v1/me", token=tampered)[0] == 401
        hs = subprocess.run([BIN, "token", "--role", "supervisor"],
                            env={**env, "OPENGOV_JWT_ALG": "HS256"}, check=True,
                            capture_output=True, text=True).stdout.strip()
        assert fcgi_get(sock, "/v1/me", token=hs)[0] == 401
        short = mint("--role", "supervisor", "--ttl", "1")
        assert fcgi_get(sock, "/v1/me", token=short)[0] == 200
        time.sleep(2.2)
        status, _, body = fcgi_get(sock, "/v1/me", token=short)
        # Chinese, the default language: "the token has expired".
        assert status == 401 and "令牌已过期" in body.decode(), body
