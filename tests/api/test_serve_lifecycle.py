"""`opengov serve` as an operator sees it: a second, private instance on its
own socket, driven over FastCGI directly, to check that SIGTERM lets an
in-flight request finish, exits 0 and removes the socket."""

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


def fcgi_get(sock_path, path, query="", timeout=30):
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


@pytest.fixture
def private_server(tmp_path):
    env = dict(os.environ)
    env.update({k: v for k, v in ENV.items() if k.startswith("OPENGOV_")})
    sock = str(tmp_path / "serve.sock")
    env.update(OPENGOV_SOCKET=sock, OPENGOV_WORKERS="1",
               OPENGOV_PID_FILE=str(tmp_path / "serve.pid"))
    env.pop("OPENGOV_SOCKET_GROUP", None)
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen([BIN, "serve"], env=env, stdout=log, stderr=log)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    assert os.path.exists(sock), "the private server did not open its socket"
    yield proc, sock
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log.close()


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
