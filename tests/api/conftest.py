"""Fixtures for the API suite, and the live contract check.

Every response a test receives through the `api` fixture is checked against
openapi.yaml: the route template and method exist, the status is declared, the
content type matches, the body validates (JSON Schema 2020-12), declared
headers are present and valid, and X-Request-Id is on it. A mismatch fails the
test that made the request.

Configuration comes from the KEY=VALUE file named by $OPENGOV_ENV_FILE
(default var/check/opengov.env under the repository), written by
scripts/stack.sh.
"""

import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import shlex
import subprocess
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests
import yaml
from jsonschema import Draft202012Validator, FormatChecker

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC_PATH = os.path.join(REPO, "openapi.yaml")
PG_BIN = "/usr/lib/postgresql/15/bin"
DEMO_PASSWORD = "demo-password"
REQUEST_ID_RE = re.compile(r"^[0-9a-f]{32}$")
TABLES = ("units", "accounts", "audit_log", "idempotency_keys", "requests", "approvals",
          "files", "materials", "findings", "finding_steps", "finding_evidence", "monitoring_runs")


# --------------------------------------------------------------------------
# environment


ENV_FILE = os.environ.get("OPENGOV_ENV_FILE") or os.path.join(
    REPO, "var", "check", "opengov.env")


def load_env(path=ENV_FILE):
    env = {}
    if not os.path.exists(path):
        return env  # the fixtures that need the stack say so
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, v = line.split("=", 1)
            env[k.strip()] = v.strip()
    return env


ENV = load_env()
BASE_URL = ENV.get("OPENGOV_BASE_URL", "http://127.0.0.1:8080").rstrip("/")


def uniq(prefix=""):
    """A short unique suffix so the suite can run again on the same database."""
    return prefix + uuid.uuid4().hex[:10]


# --------------------------------------------------------------------------
# the contract


def _check_uuid(value):
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                        r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", value):
        raise ValueError("not a canonical UUID")
    return True


_DT_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z$")


def _check_date_time(value):
    # docs/wire.md: times are RFC 3339 in UTC with a Z.
    if not isinstance(value, str):
        return True
    m = _DT_RE.match(value)
    if not m:
        raise ValueError("not an RFC 3339 UTC time ending in Z")
    time.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")
    return True


FORMATS = FormatChecker(formats=())
FORMATS.checks("uuid", raises=ValueError)(_check_uuid)
FORMATS.checks("date-time", raises=ValueError)(_check_date_time)


def _no_dup_pairs(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError(f"duplicate key {k!r} in response JSON")
        d[k] = v
    return d


def media_type(content_type):
    return (content_type or "").split(";")[0].strip().lower()


class Contract:
    """openapi.yaml, indexed for checking responses."""

    METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

    def __init__(self, path=SPEC_PATH):
        with open(path, encoding="utf-8") as f:
            self.doc = yaml.safe_load(f)
        self.routes = []
        for tmpl, item in self.doc["paths"].items():
            params = re.findall(r"\{[^}]+\}", tmpl)
            rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(tmpl)) + "$"
            self.routes.append((len(params), tmpl, re.compile(rx), item))
        self.routes.sort(key=lambda r: (r[0], r[1]))  # literal paths win
        self._validators = {}
        self.seen = set()  # (operationId, status)

    def resolve(self, obj):
        """Follows $ref chains inside this document."""
        seen = 0
        while isinstance(obj, dict) and "$ref" in obj:
            ref = obj["$ref"]
            if not ref.startswith("#/"):
                raise KeyError(f"external $ref {ref} not supported")
            node = self.doc
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                node = node[part]
            obj = node
            seen += 1
            if seen > 20:
                raise KeyError(f"$ref loop at {ref}")
        return obj

    def route(self, path):
        for _, tmpl, rx, item in self.routes:
            if rx.match(path):
                return tmpl, item
        return None, None

    def operation(self, path, method):
        tmpl, item = self.route(path)
        if item is None:
            return None, None
        op = item.get(method.lower())
        return (tmpl, op) if op else (tmpl, None)

    def validator(self, schema):
        key = json.dumps(schema, sort_keys=True)
        v = self._validators.get(key)
        if v is None:
            # The schema becomes the root of a document that also holds the
            # components, so local "#/components/..." references resolve.
            root = dict(schema)
            root["components"] = self.doc.get("components", {})
            v = Draft202012Validator(root, format_checker=FORMATS)
            self._validators[key] = v
        return v

    def schema_errors(self, schema, instance):
        v = self.validator(schema)
        return ["%s: %s" % ("/" + "/".join(str(p) for p in e.absolute_path), e.message)
                for e in sorted(v.iter_errors(instance), key=lambda e: list(e.absolute_path))]

    # ---- response checks -------------------------------------------------

    def check(self, resp, expect_undeclared=False):
        """Returns a list of contract violations of one response."""
        req = resp.request
        path = urlsplit(req.url).path
        method = req.method.lower()
        errs = []
        rid = resp.headers.get("X-Request-Id")
        if rid is None or not REQUEST_ID_RE.match(rid):
            errs.append(f"X-Request-Id missing or not 32 hex: {rid!r}")

        tmpl, op = self.operation(path, method)
        if expect_undeclared:
            if op is not None:
                errs.append(f"{method.upper()} {path} is declared ({tmpl}); "
                            "do not mark it contract=False")
            errs += self._check_generic(resp, path)
            return errs
        if tmpl is None:
            return errs + [f"no path in openapi.yaml matches {path}"]
        if op is None:
            return errs + [f"{method.upper()} is not declared for {tmpl}"]

        status = str(resp.status_code)
        responses = op.get("responses", {})
        rdef = responses.get(status) or responses.get(status[0] + "XX") \
            or responses.get("default")
        if rdef is None:
            return errs + [f"status {status} is not declared for "
                           f"{op['operationId']} ({method.upper()} {tmpl})"]
        self.seen.add((op["operationId"], resp.status_code))
        rdef = self.resolve(rdef)

        for name, hdef in (rdef.get("headers") or {}).items():
            hdef = self.resolve(hdef)
            value = resp.headers.get(name)
            if value is None:
                if hdef.get("required"):
                    errs.append(f"required header {name} missing")
                continue
            hschema = self.resolve(hdef.get("schema", {}))
            inst = value
            if hschema.get("type") == "integer":
                try:
                    inst = int(value)
                except ValueError:
                    errs.append(f"header {name}: {value!r} is not an integer")
                    continue
            for e in self.schema_errors(hschema, inst):
                errs.append(f"header {name}={value!r}: {e}")

        content = rdef.get("content")
        body = resp.content
        if method == "head":
            # A HEAD answer has the status and headers of the GET and never
            # a body (RFC 9110 9.3.2), whatever the GET's answer declares.
            if body:
                errs.append(f"HEAD answered with a body of {len(body)} bytes")
            return errs
        if not content:
            if body:
                errs.append(f"no body declared but got {len(body)} bytes: {body[:200]!r}")
            return errs
        mt = media_type(resp.headers.get("Content-Type"))
        declared = {k.lower(): v for k, v in content.items()}
        if mt not in declared:
            return errs + [f"Content-Type {mt!r} not declared (declared: "
                           f"{', '.join(declared)})"]
        schema = declared[mt].get("schema")
        if mt == "application/json" or mt.endswith("+json"):
            try:
                doc = json.loads(body.decode("utf-8"), object_pairs_hook=_no_dup_pairs)
            except (ValueError, UnicodeDecodeError) as e:
                return errs + [f"body is not valid JSON: {e}: {body[:200]!r}"]
            if schema is not None:
                errs += ["body" + e for e in self.schema_errors(schema, doc)]
            if mt == "application/problem+json":
                errs += self._problem_invariants(resp, doc, path)
        elif self.resolve(schema or {}).get("format") != "binary":  # bytes, not text
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                errs.append("text body is not UTF-8")
        return errs

    def _problem_invariants(self, resp, doc, path):
        errs = []
        if not isinstance(doc, dict):
            return ["problem body is not an object"]
        if doc.get("status") != resp.status_code:
            errs.append(f"problem status {doc.get('status')} != HTTP {resp.status_code}")
        if doc.get("request_id") != resp.headers.get("X-Request-Id"):
            errs.append(f"problem request_id {doc.get('request_id')!r} != X-Request-Id "
                        f"{resp.headers.get('X-Request-Id')!r}")
        # nginx refuses a request whose path decodes to a NUL before parsing
        # it, and then has no path to name: its 400 says "/".
        unparsed = resp.status_code == 400 and "%00" in path and doc.get("instance") == "/"
        if doc.get("instance") != path and not unparsed:
            errs.append(f"problem instance {doc.get('instance')!r} != request path {path!r}")
        return errs

    def _check_generic(self, resp, path):
        """An answer to a route the document does not declare: a problem or nothing."""
        errs = []
        if resp.status_code >= 400:
            mt = media_type(resp.headers.get("Content-Type"))
            if mt != "application/problem+json":
                return [f"error answer has Content-Type {mt!r}, want application/problem+json"]
            try:
                doc = json.loads(resp.content.decode("utf-8"), object_pairs_hook=_no_dup_pairs)
            except (ValueError, UnicodeDecodeError) as e:
                return [f"problem body is not JSON: {e}"]
            errs += ["body" + e for e in self.schema_errors(
                {"$ref": "#/components/schemas/Problem"}, doc)]
            errs += self._problem_invariants(resp, doc, path)
        elif resp.content:
            errs.append(f"undeclared route answered {resp.status_code} with a body")
        return errs


CONTRACT = Contract()

# The executable under test (check.sh: the sanitizer build).
BIN = os.environ.get("OPENGOV_BIN") or os.path.join(REPO, "bin", "opengov")


class Route:
    """A row of `opengov routes` (api/routes.def as compiled in)."""

    def __init__(self, line):
        (self.method, self.path, self.operation_id, roles, flags,
         self.handler) = line.split("\t")
        self.roles = set(roles.split(",")) if roles != "-" else set()
        self.flags = set(flags.split(",")) if flags != "-" else set()


def binary_routes():
    """The route table of the binary: what the server really answers."""
    p = subprocess.run([BIN, "routes"], capture_output=True, text=True, timeout=30,
                       env={"PATH": os.environ.get("PATH", "")})
    assert p.returncode == 0, p.stderr
    return [Route(line) for line in p.stdout.splitlines()]


# --------------------------------------------------------------------------
# the HTTP client


class Api:
    """requests.Session wrapper: every response is checked against the contract.

    Pass contract=False only for a request to a path/method the document does
    not declare (unknown path -> 404, undeclared method -> 405, CORS
    preflight); the wrapper then asserts it is indeed undeclared and that the
    answer is a valid problem document (or empty).
    """

    def __init__(self, base_url, contract):
        self.base_url = base_url
        self.contract = contract
        self.s = requests.Session()
        self.s.trust_env = False  # never a proxy for the loopback stack

    def url(self, path):
        return path if path.startswith("http") else self.base_url + path

    def request(self, method, path, *, token=None, headers=None, contract=True,
                timeout=30, **kw):
        h = dict(headers or {})
        # The suite reads the English text by default (its assertions on
        # details were written in English); a test of the default language
        # passes headers={"Accept-Language": None} (requests then sends none)
        # or a header of its own.
        h.setdefault("Accept-Language", "en")
        if token is not None:
            h["Authorization"] = "Bearer " + token
        resp = self.s.request(method, self.url(path), headers=h, timeout=timeout,
                              allow_redirects=False, **kw)
        errs = self.contract.check(resp, expect_undeclared=not contract)
        if errs:
            pytest.fail("contract violation: %s %s -> %d\n  %s\n  body: %r" % (
                method.upper(), path if len(path) < 200 else path[:200] + "...",
                resp.status_code, "\n  ".join(errs), resp.content[:600]),
                pytrace=False)
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def options(self, path, **kw):
        return self.request("OPTIONS", path, **kw)


def assert_problem(resp, status, slug=None):
    """The answer is `status` with an application/problem+json body of type slug."""
    assert resp.status_code == status, (
        f"want {status}, got {resp.status_code}: {resp.content[:500]!r}")
    assert media_type(resp.headers.get("Content-Type")) == "application/problem+json", \
        resp.headers.get("Content-Type")
    doc = resp.json()
    assert doc["status"] == status
    if slug is not None:
        assert doc["type"] == "/problems/" + slug, doc
    assert doc["request_id"] == resp.headers["X-Request-Id"]
    if status == 401:
        assert resp.headers.get("WWW-Authenticate", "").startswith("Bearer"), resp.headers
    return doc


def error_pointers(doc):
    return [e.get("pointer") for e in doc.get("errors") or []]


# --------------------------------------------------------------------------
# JWT minting (HS256 and friends, by hand: tests need broken tokens too)


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(obj):
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def sign_jwt(header, payload, key, alg=None):
    """Encodes header and payload and signs with HMAC (alg from header unless given).
    alg 'none' (or an unknown alg) gives an empty signature."""
    alg = alg or header.get("alg", "HS256")
    if isinstance(key, str):
        key = key.encode()
    signing_input = b64url_json(header) + "." + b64url_json(payload)
    h = _HASHES.get(alg)
    sig = b64url(hmac.new(key, signing_input.encode(), h).digest()) if h else ""
    return signing_input + "." + sig


class Tokens:
    """Mints tokens with the stack's key; `claims(role)` gives valid claims."""

    def __init__(self, env, units):
        self.secret = env.get("OPENGOV_JWT_SECRET", "")
        self.issuer = env.get("OPENGOV_JWT_ISSUER") or None
        self.audience = env.get("OPENGOV_JWT_AUDIENCE") or None
        self.alg = env.get("OPENGOV_JWT_ALG") or "HS256"
        self.units = units

    def claims(self, base_role, **over):
        """Valid claims for base_role; each keyword overrides a claim (None drops it)."""
        role = base_role
        now = int(time.time())
        # An hour: the session fixtures (admin, clerk, ...) live as long as
        # the suite, which takes more than 15 minutes on a loaded machine;
        # the server refuses more than OPENGOV_JWT_MAX_LIFETIME (a day).
        c = {"sub": f"test-{role}-{uuid.uuid4().hex[:8]}", "role": role,
             "iat": now, "nbf": now, "exp": now + 3600}
        if role in ("clerk", "approver"):
            c["unit"] = self.units["PSB"]
        if role == "public":
            c["applicant_type"] = "natural_person"
        if self.issuer:
            c["iss"] = self.issuer
        if self.audience:
            c["aud"] = self.audience
        for k, v in over.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    def mint(self, base_role="admin", header=None, key=None, alg=None, **over):
        if self.alg != "HS256":
            pytest.skip("the suite mints HS256 tokens; stack uses " + self.alg)
        hdr = header if header is not None else {"alg": "HS256", "typ": "JWT"}
        return sign_jwt(hdr, self.claims(base_role, **over),
                        self.secret if key is None else key, alg)

    def raw(self, header, payload, key=None, alg=None):
        return sign_jwt(header, payload, self.secret if key is None else key, alg)


# --------------------------------------------------------------------------
# database access through the superuser URL


# PostgreSQL's own psql, not Debian's /usr/bin/psql: that is pg_wrapper, a
# Perl script that reads the cluster configuration first (~100 ms a call on
# a loaded machine, and the suite makes thousands).
PSQL = os.path.join(PG_BIN, "psql") if os.access(os.path.join(PG_BIN, "psql"), os.X_OK) \
    else "psql"


class Db:
    END = "__OPENGOV_DB_END__"

    def __init__(self, url):
        self.url = url
        self._session = None

    def __call__(self, sql):
        """Runs sql (a psql of its own: one transaction, nothing left behind
        in a session); returns the rows as lists of strings ('' for NULL)."""
        if not self.url:
            pytest.fail("OPENGOV_SUPERUSER_DATABASE_URL is not in the env file")
        p = subprocess.run([PSQL, self.url, "-X", "-q", "-At", "-F", "\x1f",
                            "-v", "ON_ERROR_STOP=1", "-c", sql],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"psql failed ({p.returncode}): {p.stderr.strip()}\nSQL: {sql}")
        return [line.split("\x1f") for line in p.stdout.splitlines() if line != ""]

    def read(self, sql):
        """Like db(sql) for one read-only SELECT, on a psql session kept open:
        the `unchanged` checks run two per test, and a fresh psql costs a
        process and a backend each time. Nothing that writes or sets session
        state goes here. A session that died (PostgreSQL restarted, backends
        terminated) is opened again once."""
        if not self.url:
            pytest.fail("OPENGOV_SUPERUSER_DATABASE_URL is not in the env file")
        assert ";" not in sql.strip().rstrip(";"), "db.read takes one statement"
        for attempt in (1, 2):
            if self._session is None or self._session.poll() is not None:
                self._session = subprocess.Popen(
                    [PSQL, self.url, "-X", "-q", "-At", "-F", "\x1f", "-v", "ON_ERROR_STOP=0"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                    text=True, encoding="utf-8", errors="replace", bufsize=1)
            p = self._session
            try:
                p.stdin.write(sql.strip().rstrip(";") + ";\n\\echo " + self.END + "\n")
                p.stdin.flush()
            except (BrokenPipeError, OSError):
                lines, ended = [], False
            else:
                lines, ended = [], False
                while True:
                    line = p.stdout.readline()
                    if line == "":
                        break
                    line = line.rstrip("\n")
                    if line == self.END:
                        ended = True
                        break
                    lines.append(line)
            lost = not ended or any(
                "connection to server" in ln or "server closed the connection" in ln
                for ln in lines)
            if lost:
                self.close()
                if attempt == 1:
                    continue
                raise RuntimeError("psql session lost: " + "\n".join(lines) + "\nSQL: " + sql)
            if any(ln.startswith(("ERROR:", "psql:", "FATAL:")) for ln in lines):
                raise RuntimeError("psql: " + "\n".join(lines) + "\nSQL: " + sql)
            return [ln.split("\x1f") for ln in lines if ln != ""]

    def close(self):
        p, self._session = self._session, None
        if p is None:
            return
        try:
            p.stdin.close()
            p.wait(timeout=10)
        except Exception:
            p.kill()
            p.wait()

    def scalar(self, sql):
        rows = self(sql)
        return rows[0][0] if rows else None

    def counts(self):
        sql = " UNION ALL ".join(
            f"SELECT '{t}', count(*) FROM {t}" for t in TABLES)
        return {k: int(v) for k, v in self.read(sql)}


# --------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="session")
def env():
    return ENV


@pytest.fixture(scope="session")
def contract():
    return CONTRACT


@pytest.fixture(scope="session")
def api():
    if not ENV:
        pytest.fail(f"no env file {ENV_FILE}: start a stack (scripts/stack.sh start "
                    "var/check PORT) or set OPENGOV_ENV_FILE", pytrace=False)
    a = Api(BASE_URL, CONTRACT)
    try:
        a.s.get(BASE_URL + "/healthz", timeout=10)
    except requests.ConnectionError as e:
        pytest.fail(f"the stack at {BASE_URL} does not answer: {e}", pytrace=False)
    return a


@pytest.fixture(scope="session")
def db():
    d = Db(ENV.get("OPENGOV_SUPERUSER_DATABASE_URL"))
    yield d
    d.close()


@pytest.fixture(scope="session")
def demo_units(db):
    """code -> id of the demo units."""
    units = {code: uid for uid, code in db("SELECT id, code FROM units")}
    for code in ("PSB", "AIC", "GOV-OFFICE"):
        assert code in units, f"demo unit {code} missing: was `opengov seed --demo` run?"
    return units


@pytest.fixture(scope="session")
def demo_accounts(db):
    """username -> id of the demo accounts."""
    rows = db("SELECT username, id FROM accounts WHERE username LIKE 'demo-%'")
    accounts = dict((u, i) for u, i in rows)
    for u in ("demo-public", "demo-public2", "demo-clerk", "demo-approver",
              "demo-clerk2", "demo-supervisor", "demo-admin"):
        assert u in accounts, f"demo account {u} missing"
    return accounts


@pytest.fixture(scope="session")
def tokens(demo_units):
    return Tokens(ENV, demo_units)


@pytest.fixture(scope="session")
def admin(tokens):
    return tokens.mint("admin")


@pytest.fixture(scope="session")
def supervisor(tokens):
    return tokens.mint("supervisor")


@pytest.fixture(scope="session")
def clerk(tokens):
    return tokens.mint("clerk")


@pytest.fixture(scope="session")
def public(tokens):
    return tokens.mint("public")


@pytest.fixture(scope="session")
def login(api):
    """login(username, password) -> access token via POST /v1/auth/token
    (cached for the demo accounts so nginx's login rate limit is not hit)."""
    cache = {}

    def _login(username, password=DEMO_PASSWORD):
        key = (username, password)
        if key in cache:
            return cache[key]
        r = api.post("/v1/auth/token", json={"username": username, "password": password})
        assert r.status_code == 200, f"login {username}: {r.status_code} {r.content[:300]!r}"
        tok = r.json()["access_token"]
        if username.startswith("demo-"):
            cache[key] = tok
        return tok

    return _login


@pytest.fixture
def unchanged(db):
    """with unchanged(): ... asserts the tables' row counts did not move."""
    @contextlib.contextmanager
    def _unchanged():
        before = db.counts()
        yield
        after = db.counts()
        assert after == before, f"database changed: before {before}, after {after}"
    return _unchanged


@pytest.fixture(scope="session")
def make_unit(api, admin):
    """Creates a unit as admin; returns the response JSON."""
    def _make(kind="township", code=None, name=None, parent_id=None):
        body = {"kind": kind, "code": code or uniq("T-"), "name": name or "测试单位 " + uniq()}
        if parent_id is not None:
            body["parent_id"] = parent_id
        r = api.post("/v1/units", json=body, token=admin)
        assert r.status_code == 201, r.content
        return r.json()
    return _make


@pytest.fixture(scope="session")
def make_account(api):
    """Self-registers a public account; returns (account JSON, password)."""
    def _make(prefix="t", applicant_type="natural_person", password=None):
        password = password or "pw-" + uuid.uuid4().hex
        body = {"username": uniq(prefix + "."), "password": password,
                "applicant_type": applicant_type}
        r = api.post("/v1/accounts", json=body)
        assert r.status_code == 201, r.content
        return r.json(), password
    return _make


# --------------------------------------------------------------------------
# processes (for the disruptive tests)


def var_dir():
    v = ENV.get("OPENGOV_VAR")
    if not v:
        pytest.fail("OPENGOV_VAR is not in the env file")
    return v


def master_pid():
    with open(os.path.join(var_dir(), "run", "opengov.pid")) as f:
        return int(f.read().strip())


LISTENER_COMM = "opengov-listen"  # the master's listener process (src/server/listener.c)


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return None


def workers_of(pid):
    """The master's workers: its children but the listener."""
    return {c for c in children(pid) if comm(c) != LISTENER_COMM}


def listener_of(pid):
    """The master's listener process, or None."""
    found = [c for c in children(pid) if comm(c) == LISTENER_COMM]
    return found[0] if found else None


def children(pid):
    """Pids of the live (non-zombie) children of pid."""
    out = set()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        rest = stat[stat.rfind(")") + 2:].split()
        if rest[0] != "Z" and int(rest[1]) == pid:
            out.add(int(d))
    return out


def pg_data():
    # VAR/pg may be a symlink to a cluster outside VAR (stack.sh does that when
    # the postgres user cannot reach VAR): hand postgres the real path.
    return os.path.realpath(os.path.join(var_dir(), "pg", "data"))


def pg_log():
    return os.path.realpath(os.path.join(var_dir(), "log", "postgres.log"))


def pg_ctl(*args):
    cmd = [os.path.join(PG_BIN, "pg_ctl"), "-D", pg_data(), *args]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd="/")


def postmaster_options():
    """The server options of the running cluster (from postmaster.opts), minus -D."""
    path = os.path.join(pg_data(), "postmaster.opts")
    with open(path) as f:
        argv = shlex.split(f.read())
    argv = argv[1:]
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a == "-D":
            skip = True
            continue
        out.append(a)
    return shlex.join(out)


def wait_until(pred, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            return v
        time.sleep(interval)


# --------------------------------------------------------------------------
# report: which operations the run exercised


def pytest_terminal_summary(terminalreporter):
    if not CONTRACT.seen:
        return
    ops = {}
    for item in CONTRACT.doc["paths"].values():
        for m in Contract.METHODS:
            if m in item:
                ops[item[m]["operationId"]] = sorted(item[m]["responses"])
    tr = terminalreporter
    tr.section("openapi coverage")
    for op_id, declared in sorted(ops.items()):
        got = sorted(str(s) for o, s in CONTRACT.seen if o == op_id)
        tr.write_line(f"{op_id:14} seen {','.join(got) or '-':28} declared {','.join(declared)}")
