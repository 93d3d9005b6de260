"""Property-based test of the contract (issue 3), for every operation in openapi.yaml.

The operations are read from openapi.yaml, so an operation added to the
document is covered here without touching this file. For each one, requests
are generated from the document's own schemas (parameters, request bodies,
x-roles), both valid ones and boundary or invalid ones: wrong types, strings
one past maxLength and very long, missing required fields, unknown fields,
huge numbers, odd Unicode (NUL, lone surrogates as raw bytes, bidi marks,
emoji, combining marks, CJK), bad UUIDs in the path and query, limits out of
range, forged cursors, malformed bodies, wrong content types, bad tokens and
roles the operation does not admit.

Every answer must satisfy:
  * no 5xx, and no connection reset or other transport error;
  * it is declared for that operation (route, status, content type, schema,
    headers): the `api` fixture of conftest.py checks that;
  * a request that is invalid by construction (or by the document's JSON
    Schema) is answered 4xx;
  * an invalid request, and any request answered 4xx (except a failed login,
    which records itself), leaves the database as it was: every table of the
    public schema is fingerprinted (row count and newest row version) before
    and after each request.

Two tests per operation: `test_generated` (hypothesis: a fixed number of
examples, derandomized so that a run is reproducible; half are meant to be
valid, the others have defects in one or two parts of the request) and
`test_boundaries` (a deterministic sweep: each listed boundary value in each
member and parameter once, one defect per request). A test sends all its
requests, then fails listing each distinct violation with the first request
that showed it.

Valid writes go to objects this module creates, never to the demo data;
bodies never name a demo account (failed logins would lock it), and logins
are paced under nginx's per-address limit.

OPENGOV_PROPERTY_SCALE (a float, default 1) multiplies the number of
generated examples, e.g. 10 for a long local run.
"""

import base64
import datetime
import json
import os
import re
import subprocess
import tempfile
import time
import uuid
from urllib.parse import quote, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from conftest import CONTRACT, Contract, ENV

# Examples are not kept (database=None below), but hypothesis also caches its
# Unicode tables on disk: outside the repository, please.
set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "opengov-hypothesis"))

DOC = CONTRACT.doc
ROLES = ("public", "clerk", "approver", "supervisor", "admin")
SCALE = float(os.environ.get("OPENGOV_PROPERTY_SCALE", "1") or 1)

# Generated examples per operation. Creating accounts and logging in hash
# passwords with argon2 (slow on purpose), so those get fewer.
EXAMPLES = {"createAccount": 40, "createToken": 25}
DEFAULT_EXAMPLES = 60

# Operations nginx rate-limits per client address (POST /v1/auth/token: 10 r/s,
# burst 50): (rate, burst) this module keeps to, a leaky bucket like nginx's
# with room to spare, so that the suite's later logins are not refused.
RATE_LIMITED = {"createToken": (10.0, 40)}

# (operationId, status) of rejections that write by design: a failed login
# counts against the account and is audited.
REJECTION_WRITES = {("createToken", 401), ("createToken", 429)}

UNSAFE = {"post", "put", "patch", "delete"}


# --------------------------------------------------------------------------
# the document


def ref_target(ref):
    if not ref.startswith("#/"):
        raise KeyError(f"external $ref {ref} not supported")
    node = DOC
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def deref(schema):
    """schema with $ref chains replaced by their targets; sibling keywords win."""
    out = {}
    s = schema if isinstance(schema, dict) else {}
    for _ in range(20):
        if "$ref" not in s:
            break
        out = {**{k: v for k, v in s.items() if k != "$ref"}, **out}
        s = ref_target(s["$ref"])
    return {**s, **out}


def _merge(a, b):
    out = dict(a)
    for k, v in b.items():
        if k == "properties":
            props = dict(a.get(k, {}))
            for name, ps in v.items():
                props[name] = {"allOf": [props[name], ps]} if name in props else ps
            out[k] = props
        elif k == "required":
            out[k] = sorted(set(a.get(k, [])) | set(v))
        elif k not in out:
            out[k] = v
    return out


def flatten(schema):
    """deref + allOf merged in. Conditional members (if/then/else/not) are not
    merged: the generator ignores them and the validator classifies."""
    s = deref(schema)
    if "allOf" not in s:
        return s
    base = {k: v for k, v in s.items() if k != "allOf"}
    for sub in s["allOf"]:
        sub = flatten(sub)
        if any(k in sub for k in ("if", "then", "else", "not")):
            continue
        base = _merge(base, sub)
    return base


def schema_valid(schema, instance):
    return CONTRACT.validator(schema).is_valid(instance)


def object_schema(schema, instance):
    """The object schema whose members to mutate: schema itself, or for a
    oneOf/anyOf the branch instance matches (else the first object branch)."""
    s = flatten(schema)
    if "properties" in s:
        return s
    branches = [flatten(b) for key in ("oneOf", "anyOf") for b in s.get(key, [])]
    branches = [b for b in branches if "properties" in b]
    for b in branches:
        if schema_valid(b, instance):
            return b
    return branches[0] if branches else s


def types_of(schema):
    s = flatten(schema)
    if "const" in s:
        return {json_type(s["const"])}
    if "enum" in s:
        return {json_type(v) for v in s["enum"]}
    for key in ("oneOf", "anyOf"):
        if key in s:
            out = set()
            for sub in s[key]:
                out |= types_of(sub)
            return out
    t = s.get("type")
    if t is None:
        return {"object"} if "properties" in s else set()
    return set(t) if isinstance(t, list) else {t}


def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


class Op:
    def __init__(self, path, method, item, op):
        self.path = path
        self.method = method
        self.op = op
        self.id = op["operationId"]
        params = {}
        for p in list(item.get("parameters", [])) + list(op.get("parameters", [])):
            p = deref(p)
            params[(p["in"], p["name"])] = p
        self.params = list(params.values())
        self.path_params = [p for p in self.params if p["in"] == "path"]
        self.query_params = [p for p in self.params if p["in"] == "query"]
        self.header_params = [p for p in self.params if p["in"] == "header"]
        rb = deref(op["requestBody"]) if "requestBody" in op else None
        self.body_required = bool(rb and rb.get("required"))
        self.bodies = {}  # media type -> (schema, [example values])
        for mt, c in ((rb or {}).get("content") or {}).items():
            exs = []
            if "example" in c:
                exs.append(c["example"])
            for e in (c.get("examples") or {}).values():
                e = deref(e)
                if "value" in e:
                    exs.append(e["value"])
            schema = c.get("schema", {})
            exs += list(flatten(schema).get("examples") or [])
            self.bodies[mt] = (schema, exs)
        # A file upload (materials, evidence): the body is the file's bytes.
        self.binary = bool(self.bodies) and all(
            deref(sch).get("format") == "binary" for sch, _ in self.bodies.values())
        roles = op.get("x-roles")
        if roles is None:  # no x-roles: what `security` says
            sec = op.get("security", DOC.get("security", []))
            roles = (["anonymous"] if (not sec or {} in sec) else []) + list(ROLES)
        self.roles = list(roles)
        self.anonymous = "anonymous" in self.roles
        self.unsafe = method in UNSAFE
        # The object a path with parameters names: /v1/x/{id}/submit -> /v1/x/{id}.
        self.obj_template = path[:path.rindex("}") + 1] if "{" in path else None

    def admits(self, role):
        return self.anonymous or role in self.roles

    def __repr__(self):
        return f"{self.id} ({self.method.upper()} {self.path})"


def operations():
    ops = []
    for path, item in DOC["paths"].items():
        for m in Contract.METHODS:
            if m in item and m != "head":
                ops.append(Op(path, m, item, item[m]))
    return ops


OPS = operations()
OPS_BY_PATH = {(o.path, o.method): o for o in OPS}


def template_regex(tmpl):
    rx = re.escape(tmpl)
    rx = re.sub(r"\\\{([^}]+)\\\}", lambda m: f"(?P<{m.group(1)}>[^/]+)", rx)
    return re.compile("^" + rx + "$")


TEMPLATES = [(t, template_regex(t)) for t in DOC["paths"] if "{" in t]


def match_template(path):
    for t, rx in TEMPLATES:
        m = rx.match(path)
        if m:
            return t, m.groupdict()
    return None, None


# --------------------------------------------------------------------------
# values

# Single characters that tend to break things; mixed into generated text.
ODD_CHARS = [
    "\x00", "\x01", "\x1f", "\x7f", "\u0085", "\u00a0", "\u200b", "\u200d", "\u200e",
    "\u200f", "\u202a", "\u202e", "\u2028", "\u2066", "\ufeff", "\ufffd", "\uffff",
    "\U0010ffff", "\u0301", "\u0338", "\u20dd", "\U0001f600", "\U0001f468", "\U0001f1e8",
    "中", "國", "\U0002000b", "ア", "한", "ل", "א", "\ud800", "\udfff",
    "'", '"', "\\", "/", "%", "<", "&", "{", "\n", "\t", " ", "é",
]
CHAR = st.one_of(st.characters(blacklist_categories=("Cs",)), st.sampled_from(ODD_CHARS))
# Characters for "one past maxLength": a code point each, 1 to 4 UTF-8 bytes.
LONG_CHARS = ["x", "é", "中", "\U0001f600", "\u0301"]

HUGE_NUMBERS = [2**63, -2**63 - 1, 2**64, 10**30, 1e308, -1e308, 5e-324, 1.5, -0.0]
WRONG_VALUES = [None, True, False, 0, -1, *HUGE_NUMBERS, "", "x", [], ["x"], {}, {"a": 1}]
# The sweep tries each of these on every member (the generated test draws from all).
SWEEP_WRONG_VALUES = [None, True, 2**63, -2**63 - 1, 1e308, 1.5, "x", [], {"a": 1}]
SWEEP_LONG_CHARS = ["x", "中", "\U0001f600"]

BAD_UUIDS = [
    "not-a-uuid", "", "0", "00000000-0000-0000-0000-00000000000",
    "00000000-0000-0000-0000-0000000000000", "00000000-0000-0000-0000-00000000000g",
    "{00000000-0000-4000-8000-000000000000}", "00000000000040008000000000000000",
    "urn:uuid:00000000-0000-4000-8000-000000000000",
    "00000000-0000-4000-8000-000000000000\n", " 00000000-0000-4000-8000-000000000000",
    "0000000-00000-4000-8000-000000000000", "00000000-0000-4000-8000-00000000000０",
    "'; DROP TABLE units; --", "x" * 300, "中" * 36, "\U0001f600", "\x00",
]
# Path ids: the strings above, plus raw bytes (invalid UTF-8 in the path).
BAD_PATH_IDS = [b for b in BAD_UUIDS if b not in ("",)] + [
    b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", "%", "a%2Fb", "...", "-1", "2" * 40,
]

BAD_INTEGER_STRINGS = ["", "abc", "1.5", "1e3", "0x10", "1,2", "９", str(2**63),
                       str(-2**63 - 1), str(2**64), "1" * 400, "1e308", "NaN", "--1", "1 2"]
BAD_DATE_TIMES = [
    "", "yesterday", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-01",
    "2026-01-01T25:00:00Z", "2026-01-01T00:00:00", "2026-01-01T00:00:00+8", "1e308",
    str(2**63), "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00.1234567890Z",
    "２０２６-01-01T00:00:00Z", "2026-01-01T00:00:00Z\x00", "99999-01-01T00:00:00Z",
]
BAD_IDEMPOTENCY_KEYS = ["", "k" * 201, "a b", "ключ", "key\x01", "中文"]


def uuid_strings(known=()):
    opts = [st.uuids().map(str), st.uuids().map(lambda u: str(u).upper())]
    if known:
        opts.append(st.sampled_from(sorted(known)))
    return st.one_of(*opts)


def date_time_strings():
    def fmt(y, mo, d, h, mi, s, frac, off):
        return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{frac}{off}"
    return st.builds(
        fmt, st.one_of(st.integers(1970, 2100), st.sampled_from([0, 1, 1969, 9999])),
        st.integers(1, 12), st.integers(1, 28), st.integers(0, 23), st.integers(0, 59),
        st.integers(0, 59), st.sampled_from(["", ".5", ".123456", ".123456789"]),
        st.sampled_from(["Z", "z", "+08:00", "-00:00", "+23:59", "-23:59"]))


def text(min_size=0, max_size=None):
    hi = max_size if max_size is not None else min_size + 40
    hi = min(hi, min_size + 60)  # boundaries are tried by the sweep
    lists = [st.lists(CHAR, min_size=min_size, max_size=hi)]
    if max_size is not None and max_size <= 1000:
        lists.append(st.lists(CHAR, min_size=max_size, max_size=max_size))  # at the bound
    return st.one_of(*lists).map("".join)


def from_schema(schema, ctx, depth=0):
    """A strategy for instances of schema (the subset openapi.yaml uses)."""
    s = flatten(schema)
    if "const" in s:
        return st.just(s["const"])
    if "enum" in s:
        return st.sampled_from(s["enum"])
    for key in ("oneOf", "anyOf"):
        if key in s:
            base = {k: v for k, v in s.items() if k != key}
            return st.one_of(*[from_schema(_merge(flatten(sub), base), ctx, depth)
                               for sub in s[key]])
    t = s.get("type")
    if isinstance(t, list):
        return st.one_of(*[from_schema({**s, "type": x}, ctx, depth) for x in t])
    if t is None:
        t = "object" if "properties" in s else None
    if t == "null":
        return st.none()
    if t == "boolean":
        return st.booleans()
    if t == "integer":
        lo, hi = s.get("minimum"), s.get("maximum")
        if "exclusiveMinimum" in s:
            lo = s["exclusiveMinimum"] + 1
        if "exclusiveMaximum" in s:
            hi = s["exclusiveMaximum"] - 1
        return st.integers(lo, hi)
    if t == "number":
        return st.floats(s.get("minimum"), s.get("maximum"), allow_nan=False,
                         allow_infinity=False)
    if t == "string":
        lo, hi = s.get("minLength", 0), s.get("maxLength")
        fmt = s.get("format")
        if fmt == "uuid":
            return uuid_strings(ctx.known_ids() if ctx else ())
        if fmt == "date-time":
            return date_time_strings()
        if fmt == "date":
            return st.dates().map(lambda d: d.isoformat())
        if "pattern" in s:
            return st.from_regex(s["pattern"], fullmatch=True).filter(
                lambda v: len(v) >= lo and (hi is None or len(v) <= hi))
        return text(lo, hi)
    if t == "array":
        items = from_schema(s.get("items", {}), ctx, depth + 1) if depth < 4 else st.none()
        lo = s.get("minItems", 0)
        return st.lists(items, min_size=lo, max_size=max(lo, min(s.get("maxItems", 3), 3)))
    if t == "object":
        props = s.get("properties", {})
        req = [k for k in s.get("required", []) if k in props]
        strat = st.fixed_dictionaries(
            {k: from_schema(props[k], ctx, depth + 1) for k in req},
            optional={k: from_schema(v, ctx, depth + 1) for k, v in props.items()
                      if k not in req})
        if s.get("minProperties"):
            strat = strat.filter(lambda d: len(d) >= s["minProperties"])
        return strat
    return JSON_VALUES


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.sampled_from(HUGE_NUMBERS),
                         st.floats(allow_nan=False, allow_infinity=False), text(0, 20))
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(text(0, 8), c, max_size=3),
    max_leaves=6)


def no_demo_usernames(body):
    """Bodies never name a demo account: failed logins would lock it for the
    rest of the suite."""
    if isinstance(body, dict) and isinstance(body.get("username"), str) \
            and body["username"].startswith("demo-"):
        body = dict(body, username="prop-" + uuid.uuid4().hex[:12])
    return body


def valid_body_strategy(op, mt, ctx):
    """Bodies meant to be valid: from the schema, or a documented example with
    some members replaced by generated values (keeps the members that make the
    conditional parts of a schema hold)."""
    schema, examples = op.bodies[mt]
    gen = from_schema(schema, ctx)
    props = flatten(schema).get("properties", {})
    dict_examples = [e for e in examples if isinstance(e, dict)]
    if not dict_examples:
        return gen

    @st.composite
    def from_example(draw):
        body = dict(draw(st.sampled_from(dict_examples)))
        for k in sorted(body):
            if k in props and draw(st.booleans()):
                body[k] = draw(from_schema(props[k], ctx))
        return body

    return st.one_of(gen, from_example())


def some_values(strategy, n=20):
    """n values of strategy, drawn outside of the tests' @given (setup only).
    (strategy.example() would do, but costs seconds per call.)"""
    out = []

    @settings(max_examples=n, deadline=None, derandomize=True, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(v):
        out.append(v)

    collect()
    return out


# --------------------------------------------------------------------------
# invalid values of one schema (for a body member or a parameter)


def invalid_values(schema, compact=False):
    """[(label, value)]: values the schema must reject (the caller keeps those
    the validator agrees are invalid)."""
    s = flatten(schema)
    out = [(f"wrong type {v!r}"[:60], v)
           for v in (SWEEP_WRONG_VALUES if compact else WRONG_VALUES)]
    types = types_of(s)
    if "string" in types or not types:  # (not types: anyOf etc.)
        hi, lo = s.get("maxLength"), s.get("minLength", 0)
        if hi is not None:
            for c in (SWEEP_LONG_CHARS if compact else LONG_CHARS):
                out.append((f"maxLength+1 of {c!r}", c * (hi + 1)))
            out.append(("very long (100000)", "中" * 100_000))
        else:
            out.append(("very long (100000)", "x" * 100_000))
        if lo > 0:
            out.append((f"minLength-1 ({lo - 1})", "y" * (lo - 1)))
        if "enum" in s:
            e = str(s["enum"][0])
            out += [("not in enum", "castle"), ("enum upper", e.upper()),
                    ("enum padded", e + " "), ("enum with NUL", e + "\x00")]
        if s.get("format") == "uuid" or "uuid" in str(s.get("pattern", "")).lower():
            out += [(f"bad uuid {b!r}"[:60], b) for b in (BAD_UUIDS[::2] if compact else BAD_UUIDS)]
        if "pattern" in s:
            out += [(f"pattern mismatch {b!r}"[:60], b)
                    for b in (" x", "a b", "中文中文", "-abc", "ABC\u202e", "a\x00b", "..")]
        if formats_of(s) & {"date", "date-time"}:
            out += [(f"bad date/date-time {b!r}"[:60], b) for b in bad_dates(formats_of(s))]
    if "integer" in types or "number" in types:
        lo, hi = s.get("minimum"), s.get("maximum")
        if lo is not None:
            out.append((f"minimum-1 ({lo - 1})", lo - 1))
        if hi is not None:
            out.append((f"maximum+1 ({hi + 1})", hi + 1))
    return out


def formats_of(schema):
    s = flatten(schema)
    out = {s["format"]} if "format" in s else set()
    for key in ("oneOf", "anyOf"):
        for sub in s.get(key, []):
            out |= formats_of(sub)
    return out


_DATE_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)", re.ASCII)
_DATE_TIME_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?"
                           r"([Zz]|[+-](\d\d):(\d\d))", re.ASCII)


def is_date(v):
    m = _DATE_RE.fullmatch(v)
    try:
        return bool(m) and bool(datetime.date(*map(int, m.groups())))
    except ValueError:
        return False


def is_date_time(v):
    """RFC 3339 section 5.6 (leap seconds aside)."""
    m = _DATE_TIME_RE.fullmatch(v)
    if not m or not is_date(v[:10]):
        return False
    h, mi, sec = int(m.group(4)), int(m.group(5)), int(m.group(6))
    oh, om = int(m.group(9) or 0), int(m.group(10) or 0)
    return h < 24 and mi < 60 and sec < 60 and oh < 24 and om < 60


def bad_dates(formats):
    return [v for v in BAD_DATE_TIMES
            if not ("date" in formats and is_date(v))
            and not ("date-time" in formats and is_date_time(v))]


def invalid_query_values(schema):
    """[(label, string)]: query values the parameter schema rules out."""
    s = flatten(schema)
    types = types_of(s)
    formats = formats_of(s)
    out = []
    if "integer" in types:
        out += [(f"not an integer {v!r}"[:60], v) for v in BAD_INTEGER_STRINGS]
        if "minimum" in s:
            out += [("minimum-1", str(s["minimum"] - 1)), ("-1", "-1")]
        if "maximum" in s:
            out += [("maximum+1", str(s["maximum"] + 1)), ("huge", str(2**63))]
        return out
    if "enum" in s:
        e = str(s["enum"][0])
        out += [("not in enum", "castle"), ("enum upper", e.upper()), ("empty", ""),
                ("enum padded", e + " "), ("enum + NUL", e + "\x00")]
    if s.get("format") == "uuid":
        out += [(f"bad uuid {b!r}"[:60], b) for b in BAD_UUIDS if len(b) < 2000]
    if formats & {"date", "date-time"}:
        out += [(f"bad date/date-time {b!r}"[:60], b) for b in bad_dates(formats)]
    if "maxLength" in s:
        for c in LONG_CHARS:
            out.append((f"maxLength+1 of {c!r}", c * (s["maxLength"] + 1)))
    if s.get("minLength", 0) > 0:
        out.append(("minLength-1", "z" * (s["minLength"] - 1)))
    return out


# --------------------------------------------------------------------------
# database fingerprint (a persistent psql: a fresh one per check costs 40 ms)


class Pg:
    END = "__PROPERTIES_END__"

    def __init__(self, url):
        self.p = subprocess.Popen(
            ["psql", url, "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=0"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, encoding="utf-8", errors="replace", bufsize=1)

    def query(self, sql):
        self.p.stdin.write(sql.strip().rstrip(";") + ";\n\\echo " + self.END + "\n")
        self.p.stdin.flush()
        lines = []
        while True:
            line = self.p.stdout.readline()
            if line == "":
                raise RuntimeError("psql exited: " + "".join(lines))
            line = line.rstrip("\n")
            if line == self.END:
                break
            lines.append(line)
        if any(ln.startswith(("ERROR:", "psql:", "FATAL:")) for ln in lines):
            raise RuntimeError("psql: " + "\n".join(lines) + "\nSQL: " + sql)
        return [ln.split("\x1f") for ln in lines if ln]

    def close(self):
        try:
            self.p.stdin.close()
            self.p.wait(timeout=10)
        except Exception:
            self.p.kill()


# Written by opengov deliver, on its own schedule, from events other requests
# made: a change there while a request was refused is not the request's.
BACKGROUND_TABLES = {"webhook_outbox", "webhook_deliveries", "webhook_attempts"}


class Fingerprint:
    """Row count and newest row version of every table of the public schema
    (but the sender's, BACKGROUND_TABLES)."""

    def __init__(self, pg):
        self.pg = pg
        tables = [r[0] for r in pg.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            " AND table_type = 'BASE TABLE' ORDER BY 1") if r[0] not in BACKGROUND_TABLES]
        assert tables, "no tables in the public schema"
        self.has_audit = "audit_log" in tables
        self._last = None  # (snapshot, fingerprint) of the last take
        # A write shows as a new row count or a newer row version: inserted
        # and updated rows carry the writing transaction's id in xmin.
        self.sql = " UNION ALL ".join(
            f"SELECT '{t}', count(*), coalesce(max(xmin::text::bigint), 0) FROM \"{t}\""
            for t in tables)

    def take(self):
        # The fingerprint scans every table (0.1-0.2 s once the suite has
        # filled them), twice an example. The cluster's snapshot
        # (xmin:xmax:in-progress xids, read first) says whether any
        # transaction began or ended since the last fingerprint: every row
        # written carries a new xid, so while the snapshot is the same the
        # rows are, and the last fingerprint stands.
        snap = self.pg.query("SELECT pg_current_snapshot()")[0][0]
        if self._last is not None and self._last[0] == snap:
            return self._last[1]
        fp = {t: (int(n), h) for t, n, h in self.pg.query(self.sql)}
        self._last = (snap, fp)
        return fp

    def diff(self, before, after):
        lines = []
        for t in sorted(set(before) | set(after)):
            if before.get(t) != after.get(t):
                b, a = before.get(t, (0, "")), after.get(t, (0, ""))
                lines.append(f"table {t}: {b[0]} rows -> {a[0]} rows"
                             + ("" if b[0] != a[0] else " (rows changed)"))
        if self.has_audit and before.get("audit_log") != after.get("audit_log"):
            rows = self.pg.query("SELECT seq, actor, role, action, entity, coalesce(entity_id,'')"
                                 " FROM audit_log ORDER BY seq DESC LIMIT 3")
            lines += ["  newest audit: " + " ".join(r) for r in rows]
        return "\n    ".join(lines)


# --------------------------------------------------------------------------
# shared state: tokens, known ids, scratch objects, real cursors


class World:
    def __init__(self, api, tokens, demo_accounts, pg):
        self.api = api
        self.fp = Fingerprint(pg)
        now = int(time.time())
        self.tokens = {r: tokens.mint(r, exp=now + 3 * 3600) for r in ROLES}
        # Tokens of real accounts (sub = the account id), for "only their own".
        self.account_tokens = {
            "public (demo-public)": ("public", tokens.mint(
                "public", sub=demo_accounts["demo-public"], exp=now + 3 * 3600)),
            "clerk (demo-clerk)": ("clerk", tokens.mint(
                "clerk", sub=demo_accounts["demo-clerk"], exp=now + 3 * 3600)),
        }
        self.bad_tokens = {
            "expired": tokens.mint("admin", iat=now - 7200, nbf=now - 7200, exp=now - 3600),
            "bad signature": tokens.mint("admin", key="not-the-key-" * 4),
            "alg none": tokens.mint("admin", header={"alg": "none", "typ": "JWT"}),
            "garbage": "not.a.jwt",
            "unknown role": tokens.mint("admin", role="root"),
            "clerk without unit": tokens.mint("clerk", unit=None),
            "no exp": tokens.mint("admin", exp=None),
            "future nbf": tokens.mint("admin", nbf=now + 3600),
        }
        # Well signed but odd: may be accepted or refused, must not break anything.
        self.odd_tokens = {
            "huge exp": tokens.mint("admin", exp=2**63),
            "odd sub": tokens.mint("admin", sub="\x00\u202e" + "中" * 100),
            "oversized (12 KB header)": tokens.mint("admin", pad="x" * 9000),
        }
        self.known = {}    # template -> [params dict]
        self.scratch = {}  # template -> [params dict] created by this module
        self.cursors = {}  # operationId -> a real next_cursor
        self.last_call = {}
        self.seed_known_ids()

    # ---- ids

    def known_ids(self):
        out = set()
        for lst in self.known.values():
            for params in lst:
                out.update(v for v in params.values())
        return out

    def remember(self, tmpl, params, scratch=False):
        lst = self.known.setdefault(tmpl, [])
        if params not in lst:
            lst.append(params)
            del lst[:-200]
        if scratch:
            self.scratch.setdefault(tmpl, []).append(params)

    def harvest(self, op, path_params, resp, sent_by_us=True):
        """Ids from a 201's Location and from list answers."""
        loc = resp.headers.get("Location")
        if resp.status_code == 201 and loc:
            tmpl, params = match_template(urlsplit(loc).path)
            if tmpl:
                self.remember(tmpl, params, scratch=sent_by_us)
        if resp.status_code == 200 and op.method == "get" and \
                "application/json" in resp.headers.get("Content-Type", ""):
            try:
                doc = resp.json()
            except ValueError:
                return
            items = doc.get("data") if isinstance(doc, dict) else None
            if not isinstance(items, list):
                return
            for tmpl, rx in TEMPLATES:
                m = re.fullmatch(re.escape(op.path) + r"/\{([^}/]+)\}", tmpl)
                if not m:
                    continue
                for it in items:
                    if isinstance(it, dict) and isinstance(it.get("id"), str):
                        self.remember(tmpl, {**path_params, m.group(1): it["id"]})

    def pool(self, op):
        """Existing objects for op's path parameters: for a write, only objects
        this module created, so that valid writes never touch the demo data
        other tests rely on."""
        if not op.obj_template:
            return None
        return (self.scratch if op.unsafe else self.known).get(op.obj_template)

    def raw(self, method, path, token=None, **kw):
        """A setup request: not checked here (each operation's own test checks
        its answers), so that setup survives a violation."""
        headers = {"Authorization": "Bearer " + token} if token else {}
        return self.api.s.request(method, self.api.url(path), headers=headers, timeout=60,
                                  allow_redirects=False, **kw)

    def best_token(self, op):
        for role in ("admin", "supervisor", "approver", "clerk", "public"):
            if role in op.roles:
                return self.tokens[role]
        return None

    def seed_known_ids(self):
        for op in OPS:
            if op.method == "get" and not op.path_params and \
                    any(p["name"] == "cursor" for p in op.query_params):
                r = self.raw("GET", op.path + "?limit=100", self.best_token(op))
                self.harvest(op, {}, r, sent_by_us=False)
                r = self.raw("GET", op.path + "?limit=1", self.best_token(op))
                if r.status_code == 200 and r.json().get("next_cursor"):
                    self.cursors[op.id] = r.json()["next_cursor"]
        # Collections without a list operation: ids from the table of the same name.
        tables = {r[0] for r in self.fp.pg.query(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public'"
            " AND column_name = 'id'")}
        for tmpl, _ in TEMPLATES:
            m = re.fullmatch(r"(/[^{}]*)/\{([^}/]+)\}", tmpl)
            if not m or self.known.get(tmpl):
                continue
            table = m.group(1).rstrip("/").rsplit("/", 1)[-1].replace("-", "_")
            if table in tables:
                for (i,) in self.fp.pg.query(f'SELECT id FROM "{table}" ORDER BY id LIMIT 50'):
                    self.remember(tmpl, {m.group(2): i})

    def ensure_scratch(self, op):
        """For a write on an {id} path: objects this module created, so that
        valid writes never touch the demo data other tests rely on."""
        tmpl = op.obj_template
        if not (op.unsafe and tmpl) or self.scratch.get(tmpl):
            return
        m = re.fullmatch(r"(/[^{}]*)/\{([^}/]+)\}", tmpl)
        create = OPS_BY_PATH.get((m.group(1), "post")) if m else None
        if not create or not create.bodies:
            return
        mt = next(iter(create.bodies))
        schema = create.bodies[mt][0]
        for body in some_values(valid_body_strategy(create, mt, self), 30):
            body = no_demo_usernames(body)
            if not schema_valid(schema, body):
                continue
            r = self.raw("POST", create.path, self.best_token(create), json=body)
            if r.status_code == 201:
                self.harvest(create, {}, r)
                if len(self.scratch.get(tmpl, [])) >= 2:
                    return

    def etag_of(self, op, req):
        get = OPS_BY_PATH.get((op.obj_template, "get"))
        if not get:
            return None
        path = re.sub(r"\{([^}]+)\}", lambda m: enc(req.path_params[m.group(1)]),
                      op.obj_template)
        return self.raw("GET", path, self.best_token(get)).headers.get("ETag")

    def pace(self, op):
        if op.id not in RATE_LIMITED:
            return
        rate, burst = RATE_LIMITED[op.id]
        excess, last = self.last_call.get(op.id, (0.0, time.monotonic()))
        now = time.monotonic()
        excess = max(0.0, excess - rate * (now - last))
        if excess + 1 > burst:
            time.sleep((excess + 1 - burst) / rate)
            now = time.monotonic()
            excess = burst - 1
        self.last_call[op.id] = (excess + 1, now)


# --------------------------------------------------------------------------
# a request and running it


CURRENT_ETAG = object()  # replaced by the object's ETag right before sending


def enc(v):
    b = v if isinstance(v, bytes) else v.encode("utf-8", "surrogatepass")
    return quote(b, safe="")


def header_value(v):
    if isinstance(v, bytes):
        return v
    try:
        v.encode("latin-1")
        return v
    except UnicodeEncodeError:
        return v.encode("utf-8", "surrogatepass")


class Req:
    def __init__(self, op):
        self.op = op
        self.path_params = {}
        self.query = []      # [(name, value)]
        self.headers = {}
        self.auth = ("anonymous", None)  # (label, Authorization value)
        self.role = None     # the role of a valid token, None otherwise
        self.body = None     # bytes
        self.ctype = None
        self.raw_query = None  # appended to the query string as is
        self.invalid = []    # why this request must be rejected
        self.notes = []

    def bad(self, why):
        self.invalid.append(why)

    def path(self):
        return re.sub(r"\{([^}]+)\}", lambda m: enc(self.path_params[m.group(1)]), self.op.path)

    def url(self):
        parts = [f"{enc(k)}={enc(v)}" for k, v in self.query]
        if self.raw_query is not None:
            parts.append(self.raw_query)
        return self.path() + ("?" + "&".join(parts) if parts else "")

    def describe(self):
        body = self.body
        if body is not None and len(body) > 300:
            body = body[:300] + b"...(%d bytes)" % len(self.body)
        hdrs = {k: (v if not isinstance(v, str) or len(v) < 120 else v[:120] + "...")
                for k, v in self.headers.items() if v is not CURRENT_ETAG}
        hdrs.update({k: "<current ETag>" for k, v in self.headers.items() if v is CURRENT_ETAG})
        url = self.url()
        if len(url) > 300:
            url = url[:300] + "...(%d chars)" % len(url)
        return (f"{self.op.method.upper()} {url}\n    auth: {self.auth[0]}"
                f"\n    headers: {hdrs}\n    content-type: {self.ctype!r}\n    body: {body!r}"
                f"\n    invalid because: {self.invalid or '-'}"
                + (f"\n    notes: {self.notes}" if self.notes else ""))


class Findings:
    """Distinct violations seen by one test, each with the first request that
    showed it: a test runs all its requests and then fails listing them all."""

    def __init__(self, op):
        self.op = op
        self.items = {}  # key -> [message, count]

    def add(self, kind, status, detail, req, resp=None):
        first = detail.strip().splitlines()[0] if detail.strip() else ""
        first = re.sub(r"[0-9a-f]{8,}|\d+", "#", re.split(r"['\"]", first)[0])
        key = (kind, status, first[:90])
        if key in self.items:
            self.items[key][1] += 1
            return
        body = resp.content[:400] if resp is not None else b""
        self.items[key] = [f"[{kind}] {self.op}: {status} {detail.strip()}\n"
                           f"  answer body: {body!r}\n  request: {req.describe()}", 1]

    def check(self):
        if self.items:
            msgs = [f"{m}\n  (seen {n} time{'s' if n > 1 else ''})"
                    for m, n in self.items.values()]
            pytest.fail(f"{len(msgs)} distinct violation(s) for {self.op}:\n\n"
                        + "\n\n".join(msgs), pytrace=False)


def run(world, req, findings):
    """Sends req and checks every property (violations go to findings)."""
    op, api = req.op, world.api
    headers = {}
    for k, v in req.headers.items():
        if v is CURRENT_ETAG:
            v = world.etag_of(op, req)
            if v is None:
                continue
        headers[k] = header_value(v)
    if req.auth[1] is not None:
        headers["Authorization"] = header_value(req.auth[1])
    if req.ctype is not None:
        headers["Content-Type"] = req.ctype
    world.pace(op)
    before = world.fp.take()
    try:
        # What Api.request does, keeping the response when the contract check fails.
        resp = api.s.request(op.method.upper(), api.url(req.url()), headers=headers,
                             data=req.body, timeout=60, allow_redirects=False)
    except requests.RequestException as e:
        findings.add("transport error", None, f"{type(e).__name__}: {e}", req)
        return None
    status = resp.status_code
    after = world.fp.take()
    errs = api.contract.check(resp)
    changed = before != after and (op.id, status) not in REJECTION_WRITES
    if status >= 500:
        findings.add("server error", status, "\n    ".join(errs), req, resp)
    elif errs:
        findings.add("contract", status, "\n    ".join(errs), req, resp)
    if req.invalid and status < 400:
        findings.add("invalid request accepted", status, "; ".join(req.invalid)
                     + (f"\n  and it changed the database: {world.fp.diff(before, after)}"
                        if changed else ""), req, resp)
    elif (req.invalid or 400 <= status < 500) and changed:
        findings.add("rejected request changed data", status, world.fp.diff(before, after),
                     req, resp)
    world.harvest(op, req.path_params, resp)
    return resp


# --------------------------------------------------------------------------
# drawing requests


def auth_options(op, world):
    """[(label, Authorization value, valid role or None, invalid reason or None)]
    An option with neither a role nor a reason is of unknown validity."""
    out = [("anonymous", None, None,
            None if op.anonymous else "no token on a route that needs one")]
    for role in ROLES:
        out.append((role, "Bearer " + world.tokens[role], role,
                    None if op.admits(role) else f"role {role} not admitted"))
    for label, (role, tok) in world.account_tokens.items():
        out.append((label, "Bearer " + tok, role,
                    None if op.admits(role) else f"role {role} not admitted"))
    for label, tok in world.bad_tokens.items():
        out.append((f"bad token: {label}", "Bearer " + tok, None, f"invalid token ({label})"))
    for label, tok in world.odd_tokens.items():
        out.append((f"odd token: {label}", "Bearer " + tok, None, None))
    out += [("Bearer with no token", "Bearer ", None, None),
            ("Basic scheme", "Basic dXNlcjpwYXNz", None, None),
            ("two tokens", "Bearer " + world.tokens["admin"] + ", Bearer x", None, None),
            ("token with NUL", "Bearer " + world.tokens["admin"][:20] + "\x00", None,
             "invalid token (NUL)")]
    return out


def apply_auth(req, opt):
    label, value, role, why = opt
    req.auth = (label, value)
    req.role = role
    if why:
        req.bad(why)


def admitted_auth(op, world):
    return [o for o in auth_options(op, world)
            if o[3] is None and (o[2] is not None or (o[0] == "anonymous" and op.anonymous))]


def draw_auth(data, op, world, req, bad):
    opts = auth_options(op, world)
    pool = [o for o in opts if o not in admitted_auth(op, world)] if bad \
        else admitted_auth(op, world)
    apply_auth(req, data.draw(st.sampled_from(pool), label="auth"))


def draw_path_params(data, op, world, req, bad):
    pool = world.pool(op)
    if pool and not bad and data.draw(st.integers(0, 3), label="existing?") > 0:
        params = data.draw(st.sampled_from(pool), label="existing object")
        req.path_params.update(params)
    corrupt = data.draw(st.sampled_from([p["name"] for p in op.path_params]),
                        label="bad path param") if bad else None
    for p in op.path_params:
        name = p["name"]
        if name == corrupt:
            v = data.draw(st.one_of(st.sampled_from(BAD_PATH_IDS),
                                    text(1, 40).filter(lambda s: s.strip(".") != "")),
                          label="bad id")
            req.path_params[name] = v
            if isinstance(v, bytes) or not schema_valid(p.get("schema", {}), v):
                req.bad(f"path {name}={v!r} does not match its schema")
        elif name in req.path_params:
            if data.draw(st.integers(0, 4), label="upper-case id") == 0:
                req.path_params[name] = req.path_params[name].upper()
        else:
            req.path_params[name] = str(data.draw(st.uuids(), label="uuid"))


def cursor_variants(data, world, op, bad):
    """(cursor, invalid reason or None). A tampered or forged cursor may or may
    not decode to something acceptable (cursors are opaque, not signed): it
    must not break the server, but may be accepted."""
    real = world.cursors.get(op.id)
    if not bad:
        return (real if real else None), None
    kinds = ["garbage", "too long", "json junk"] + (["tampered", "leaf junk"] if real else [])
    kind = data.draw(st.sampled_from(kinds), label="cursor kind")
    if kind == "too long":
        return "A" * 513, "cursor longer than maxLength 512"
    if kind == "tampered":
        i = data.draw(st.integers(0, len(real) - 1), label="position")
        c = data.draw(st.sampled_from("Aa0-_=+/.%"), label="char")
        return real[:i] + c + real[i + 1:], None
    if kind in ("json junk", "leaf junk"):
        if kind == "leaf junk":
            doc = json.loads(base64.urlsafe_b64decode(real + "=" * (-len(real) % 4)))
            leaves = st.one_of(st.sampled_from(
                [str(2**63), str(-2**63 - 1), "0", "-1", "1e308", "", "\x00", "中" * 200,
                 "9" * 30, "zzzz", "00000000-0000-0000-0000-000000000000"]), JSON_SCALARS)
            if isinstance(doc, list):
                doc = [data.draw(leaves, label="cursor leaf") for _ in doc]
        else:
            doc = data.draw(JSON_VALUES, label="cursor json")
        raw = encode_json(doc, data.draw(st.booleans(), label="ascii"))
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), None
    v = data.draw(text(0, 40), label="cursor text")
    return v, ("empty cursor" if v == "" else None)


def draw_query(data, op, world, req, bad):
    names = [p["name"] for p in op.query_params]
    corrupt = set()
    extra = False
    if bad:
        targets = names + ["(extra)"]
        corrupt = data.draw(st.sets(st.sampled_from(targets), min_size=1, max_size=2),
                            label="bad query params")
        extra = "(extra)" in corrupt
    for p in op.query_params:
        name, schema = p["name"], p.get("schema", {})
        if name not in corrupt:
            if not p.get("required") and data.draw(st.booleans(), label=f"{name} absent"):
                continue
            if name == "cursor":
                v, _ = cursor_variants(data, world, op, False)
                if v:
                    req.query.append((name, v))
                continue
            v = data.draw(from_schema(schema, world), label=f"{name} value")
            req.query.append((name, v if isinstance(v, str) else json.dumps(v)))
            continue
        if name == "cursor":
            v, why = cursor_variants(data, world, op, True)
            req.query.append((name, v))
            if why:
                req.bad(why)
            continue
        bad_values = invalid_query_values(schema)
        if bad_values and data.draw(st.integers(0, 3), label=f"{name} junk?") > 0:
            label, v = data.draw(st.sampled_from(bad_values), label=f"{name} bad")
            req.query.append((name, v))
            req.bad(f"query {name}: {label}")
        else:  # junk of unknown validity
            req.query.append((name, data.draw(text(0, 30), label=f"{name} junk")))
    if extra:
        kind = data.draw(st.sampled_from(["unknown param", "repeat", "bare name", "raw"]),
                         label="extra query")
        if kind == "unknown param" or (kind == "repeat" and not req.query):
            req.query.append((data.draw(text(1, 10), label="name"),
                              data.draw(text(0, 10), label="value")))
        elif kind == "repeat":
            req.query.append((req.query[0][0], data.draw(text(0, 10), label="repeat value")))
        elif kind == "bare name":
            req.raw_query = data.draw(st.sampled_from(["a", "&&", "=", "a=b=c", "%", "%zz",
                                                       "%00", "%ff", "+", "limit"]),
                                      label="raw query")
            if req.raw_query in ("%ff",):
                req.bad("query is not UTF-8")
        else:
            req.raw_query = data.draw(st.sampled_from(["%ed%a0%80=1", "a=%c0%af", "x=%f4%90%80%80"]),
                                      label="raw bytes")
            req.bad("query is not UTF-8")
    for k, v in req.query:
        try:
            (k + v).encode("utf-8")
        except UnicodeEncodeError:
            req.bad(f"query {k!r}={v!r} is not UTF-8 (lone surrogate)")


def draw_headers(data, op, world, req, bad):
    names = [p["name"] for p in op.header_params]
    corrupt = data.draw(st.sampled_from(names), label="bad header") if bad and names else None
    for p in op.header_params:
        name, schema = p["name"], p.get("schema", {})
        low = name.lower()
        if low in ("if-match", "if-none-match"):
            if name != corrupt:
                kinds = ["current", "stale"] + ([] if p.get("required") else ["absent", "star"])
                kind = data.draw(st.sampled_from(kinds), label=name)
                if kind != "absent":
                    req.headers[name] = {"current": CURRENT_ETAG, "stale": '"999999999"',
                                         "star": "*"}[kind]
                continue
            kind = data.draw(st.sampled_from(["absent", "weak", "garbage", "long", "list"]),
                             label=f"bad {name}")
            if kind == "absent":
                if p.get("required"):
                    req.bad(f"{name} missing")
                else:
                    continue
            elif kind == "garbage":
                req.headers[name] = data.draw(text(1, 30).filter(
                    lambda s: s.strip() == s and "\n" not in s and "\r" not in s
                    and "\x00" not in s), label=f"{name} garbage")
            else:
                # Weak, over-long or list forms: not a match of the current ETag,
                # of unknown validity (an unmatched tag is just that).
                req.headers[name] = {"weak": 'W/"999999998"', "long": '"' + "9" * 300 + '"',
                                     "list": '"999999997", "999999999"'}[kind]
        elif name != corrupt:
            if data.draw(st.booleans(), label=f"{name} absent") and not p.get("required"):
                continue
            req.headers[name] = data.draw(from_schema(schema, world).filter(
                lambda s: not isinstance(s, str) or (s.strip() == s and s)),
                label=f"{name} value")
        else:
            opts = BAD_IDEMPOTENCY_KEYS if "idempotency" in low else ["", "x" * 5000, "中"]
            v = data.draw(st.sampled_from(opts), label=f"bad {name}")
            req.headers[name] = v
            if not schema_valid(schema, v):
                req.bad(f"header {name}: {v[:20]!r}... does not match its schema")


RAW_KINDS = ["truncated", "trailing garbage", "bad utf-8", "duplicate key", "depth 33",
             "depth 5000", "not an object", "empty", "bad content type", "no content type",
             "over 1 MiB", "single quotes", "BOM", "charset latin1", "nan"]


def tiny_pdf():
    """A small, well-formed PDF: header, three objects, a cross-reference
    table its startxref points at, %%EOF (the server checks that much)."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"]
    out, offs = b"%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offs)
    return out + b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref


# Files that are not what an upload takes, each with the type it claims.
BAD_FILES = [
    ("empty", b"", "application/pdf"),
    ("html named pdf", b"<html><body>not a pdf</body></html>", "application/pdf"),
    ("pdf header, no structure", b"%PDF-1.4\n" + b"x" * 100, "application/pdf"),
    ("png signature, junk", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/png"),
    ("jpeg marker, junk", b"\xff\xd8\xff" + b"\x00" * 40, "image/jpeg"),
    ("a pdf sent as png", None, "image/png"),
    ("random bytes", bytes(range(256)) * 4, "application/octet-stream"),
]


def bad_file(label, data):
    return tiny_pdf() if data is None else data


def encode_json(obj, ascii_only):
    return json.dumps(obj, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


def raw_body(kind, obj, mt):
    """(bytes, content type, invalid?) for one malformed-body kind; invalid is
    None when the request may legitimately be accepted."""
    base = obj if isinstance(obj, dict) and obj else {"k": "v"}
    raw = encode_json(base, True)
    first = next(iter(base))
    if kind == "truncated":
        return raw[:max(0, len(raw) // 2)], mt, True
    if kind == "trailing garbage":
        return raw + b" {}", mt, True
    if kind == "bad utf-8":
        doc = encode_json(dict(base, **{first: "@@BAD@@"}), False)
        return doc.replace(b"@@BAD@@", b"ok\xc3\x28\xff\xed\xa0\x80\xc0\xaf"), mt, True
    if kind == "duplicate key":
        return raw[:-1] + b', "%s": %s}' % (first.encode("utf-8", "surrogatepass"),
                                            encode_json(base[first], True)), mt, True
    if kind in ("depth 33", "depth 5000"):
        k = 32 if kind == "depth 33" else 4999
        doc = encode_json(dict(base, **{first: "@@NEST@@"}), True)
        return doc.replace(b'"@@NEST@@"', b"[" * k + b"]" * k), mt, True
    if kind == "not an object":
        return b"[" + raw + b"]", mt, True
    if kind == "empty":
        return b"", mt, True
    if kind == "bad content type":
        return raw, "text/plain", True
    if kind == "no content type":
        return raw, None, True
    if kind == "over 1 MiB":
        return encode_json(dict(base, **{first: "x" * (1024 * 1024)}), True), mt, True
    if kind == "single quotes":
        return raw.replace(b'"', b"'"), mt, True
    if kind == "BOM":
        return b"\xef\xbb\xbf" + raw, mt, None  # RFC 8259: may be ignored
    if kind == "charset latin1":
        return raw, mt + "; charset=iso-8859-1", None
    if kind == "nan":
        return raw[:-1] + b', "zz": NaN}', mt, True
    raise AssertionError(kind)


@st.composite
def field_mutation(draw, schema, body):
    """body (a dict) with one member made wrong; (label, new body)."""
    s = object_schema(schema, body)
    props = s.get("properties", {})
    required = [k for k in s.get("required", []) if k in body]
    kinds = ["wrong value", "wrong value", "extra field"] + (["missing required"] if required else [])
    kind = draw(st.sampled_from(kinds), label="mutation")
    if kind == "missing required":
        k = draw(st.sampled_from(required), label="drop")
        return f"missing required {k}", {kk: v for kk, v in body.items() if kk != k}
    if kind == "extra field" or not props:
        k = draw(st.one_of(st.sampled_from(["colour", "id", "created_at", "__proto__",
                                            "\u202e\x00", "中文"]), text(1, 12)), label="key")
        if k in props:
            k = k + "_x"
        return f"extra field {k!r}", dict(body, **{k: draw(JSON_VALUES, label="extra value")})
    k = draw(st.sampled_from(sorted(props)), label="member")
    label, v = draw(st.one_of(st.sampled_from(invalid_values(props[k])),
                              JSON_VALUES.map(lambda x: ("junk", x))), label="bad value")
    return f"{k}: {label}", dict(body, **{k: v})


def draw_body(data, op, world, req, bad):
    if op.binary:
        if bad:
            label, raw, ctype = data.draw(st.sampled_from(BAD_FILES), label="bad file")
            req.body, req.ctype = bad_file(label, raw), ctype
            req.bad(f"file: {label}")
        else:
            req.body = tiny_pdf()
            req.ctype = data.draw(st.sampled_from(["application/pdf", "application/octet-stream"]),
                                  label="file type")
        return
    mt = data.draw(st.sampled_from(sorted(op.bodies)), label="media type")
    schema = op.bodies[mt][0]
    valid = no_demo_usernames(data.draw(valid_body_strategy(op, mt, world), label="body"))
    ctype = data.draw(st.sampled_from([mt, mt, mt + "; charset=utf-8",
                                       mt.upper() + ";charset=UTF-8"]), label="content type")
    kind = data.draw(st.sampled_from(["field", "field", "raw", "none"]), label="body defect") \
        if bad else "valid"
    if kind == "none":
        req.ctype = data.draw(st.sampled_from([None, ctype]), label="ctype without body")
        if op.body_required:
            req.bad("no body")
        return
    if kind == "raw":
        rk = data.draw(st.sampled_from(RAW_KINDS), label="raw kind")
        req.body, req.ctype, invalid = raw_body(rk, valid, ctype)
        req.notes.append(f"raw body: {rk}")
        if invalid:
            req.bad(f"malformed body ({rk})")
        return
    obj = valid
    if kind == "field":
        if isinstance(valid, dict):
            label, obj = data.draw(field_mutation(schema, valid), label="field mutation")
        else:
            label, obj = "junk body", data.draw(JSON_VALUES, label="junk body")
        req.notes.append(label)
    obj = no_demo_usernames(obj)
    req.body = encode_json(obj, data.draw(st.booleans(), label="ensure_ascii"))
    req.ctype = ctype
    try:
        req.body.decode("utf-8")
    except UnicodeDecodeError:
        req.bad("body is not UTF-8 (raw lone surrogate)")
        return
    if not schema_valid(schema, obj):
        req.bad("body does not validate against " + str(schema.get("$ref", "the schema")))


def draw_request(data, op, world):
    """Half the requests are meant to be valid; the others have defects in one
    or two parts (auth, path, query, headers, body), so that a finding points
    at its cause."""
    dims = ["auth", "query"] + (["path"] if op.path_params else []) + \
        (["headers"] if op.header_params else []) + (["body"] if op.bodies else [])
    bad = data.draw(st.one_of(st.just(frozenset()),
                              st.frozensets(st.sampled_from(dims), min_size=1, max_size=2)),
                    label="defects")
    req = Req(op)
    draw_auth(data, op, world, req, "auth" in bad)
    if op.path_params:
        draw_path_params(data, op, world, req, "path" in bad)
    draw_query(data, op, world, req, "query" in bad)
    if op.header_params:
        draw_headers(data, op, world, req, "headers" in bad)
    if op.bodies:
        draw_body(data, op, world, req, "body" in bad)
    return req


# --------------------------------------------------------------------------
# the deterministic sweep: every boundary value of every member once


def base_request(op, world):
    req = Req(op)
    role = next((r for r in ("admin", "supervisor", "approver", "clerk", "public")
                 if r in op.roles), None)
    if role is None:
        apply_auth(req, ("anonymous", None, None, None))
    else:
        apply_auth(req, (role, "Bearer " + world.tokens[role], role, None))
    for p in op.path_params:
        pool = world.pool(op)
        if pool:
            req.path_params.update(pool[0])
        else:
            req.path_params[p["name"]] = str(uuid.uuid4())
    for p in op.header_params:
        if p.get("required"):
            req.headers[p["name"]] = CURRENT_ETAG if p["name"].lower() == "if-match" \
                else some_values(from_schema(p.get("schema", {}), world), 1)[0]
    if op.binary:
        req.body, req.ctype = tiny_pdf(), "application/pdf"
        req.base_body = None
    elif op.bodies:
        mt = sorted(op.bodies)[0]
        schema, examples = op.bodies[mt]
        body = None
        for e in examples:
            e = no_demo_usernames(e)
            if isinstance(e, dict) and "username" in e:
                e = dict(e, username="prop-" + uuid.uuid4().hex[:12])
            if schema_valid(schema, e):
                body = e
                break
        if body is None:
            for cand in some_values(valid_body_strategy(op, mt, world), 30):
                cand = no_demo_usernames(cand)
                if schema_valid(schema, cand):
                    body = cand
                    break
        if body is None:  # no valid body found: mutate an empty object
            body = {}
        req.body, req.ctype = encode_json(body, True), mt
        req.base_body = (mt, schema, body)
    return req


def copy_req(req):
    new = Req(req.op)
    new.path_params = dict(req.path_params)
    new.query = list(req.query)
    new.headers = dict(req.headers)
    new.auth, new.role = req.auth, req.role
    new.raw_query = req.raw_query
    new.body, new.ctype = req.body, req.ctype
    return new


def sweep(op, world):
    """Yields requests with one defect each: invalid ones, and a few odd ones
    of unknown validity (unusual tokens) that must not break anything."""
    base = base_request(op, world)
    for opt in auth_options(op, world):
        if opt[3] or opt[2] is None and opt[0] != "anonymous":
            r = copy_req(base)
            r.invalid = []
            apply_auth(r, opt)
            yield r
    for p in op.path_params:
        for v in BAD_PATH_IDS:
            if isinstance(v, str) and schema_valid(p.get("schema", {}), v):
                continue
            r = copy_req(base)
            r.path_params[p["name"]] = v
            r.bad(f"path {p['name']}={v!r}")
            yield r
    for p in op.query_params:
        for label, v in invalid_query_values(p.get("schema", {})):
            r = copy_req(base)
            r.query.append((p["name"], v))
            r.bad(f"query {p['name']}: {label}")
            yield r
        if p["name"] == "cursor":
            for v in ("", "A" * 513):
                r = copy_req(base)
                r.query.append(("cursor", v))
                r.bad("cursor out of bounds")
                yield r
    for p in op.header_params:
        if p.get("required"):
            r = copy_req(base)
            del r.headers[p["name"]]
            r.bad(f"{p['name']} missing")
            yield r
        if "idempotency" in p["name"].lower():
            for v in BAD_IDEMPOTENCY_KEYS:
                r = copy_req(base)
                r.headers[p["name"]] = v
                r.bad(f"{p['name']}={v!r}")
                yield r
    if op.binary:
        for label, data, ctype in BAD_FILES:
            r = copy_req(base)
            r.body, r.ctype = bad_file(label, data), ctype
            r.bad(f"file: {label}")
            yield r
        return
    if not op.bodies:
        return
    mt, schema, body = base.base_body
    if op.body_required:
        r = copy_req(base)
        r.body, r.ctype = None, None
        r.bad("no body")
        yield r
    for kind in RAW_KINDS:
        raw, ctype, invalid = raw_body(kind, body, mt)
        if invalid:
            r = copy_req(base)
            r.body, r.ctype = raw, ctype
            r.bad(f"malformed body ({kind})")
            yield r
    s = object_schema(schema, body)
    props = s.get("properties", {})
    for k in s.get("required", []):
        if k in body:
            r = copy_req(base)
            r.body = encode_json({kk: v for kk, v in body.items() if kk != k}, True)
            r.bad(f"missing required {k}")
            yield r
    for k in ("colour", "\u202e\x00中"):
        r = copy_req(base)
        r.body = encode_json(dict(body, **{k: 1}), False)
        r.bad(f"extra field {k!r}")
        yield r
    for v in (None, [], "x", 2**63, 1e308):
        r = copy_req(base)
        r.body = encode_json(v, True)
        r.bad(f"body is {v!r}")
        yield r
    for k in sorted(props):
        for label, v in invalid_values(props[k], compact=True):
            cand = dict(body, **{k: v})
            if schema_valid(schema, cand):
                continue
            encodings = {encode_json(cand, True), encode_json(cand, False)}
            for raw in sorted(encodings):
                r = copy_req(base)
                r.body = raw
                r.bad(f"{k}: {label}")
                yield r
        for odd in ("\ud800", "\udfff"):  # lone surrogates as raw bytes
            if "string" in types_of(props[k]):
                r = copy_req(base)
                r.body = encode_json(dict(body, **{k: "a" + odd + "b"}), False)
                r.bad(f"{k}: raw lone surrogate {odd!r}")
                yield r


# --------------------------------------------------------------------------
# fixtures and tests


@pytest.fixture(scope="session")
def world(api, tokens, demo_accounts):
    url = ENV.get("OPENGOV_SUPERUSER_DATABASE_URL")
    if not url:
        pytest.fail("OPENGOV_SUPERUSER_DATABASE_URL is not in the env file", pytrace=False)
    pg = Pg(url)
    try:
        yield World(api, tokens, demo_accounts, pg)
    finally:
        pg.close()


def examples_for(op):
    return max(5, int(EXAMPLES.get(op.id, DEFAULT_EXAMPLES) * SCALE))


@pytest.mark.parametrize("op", OPS, ids=[o.id for o in OPS])
def test_generated(op, world):
    world.ensure_scratch(op)

    @settings(max_examples=examples_for(op), deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def prop(data):
        run(world, draw_request(data, op, world), findings)

    findings = Findings(op)
    prop()
    findings.check()


@pytest.mark.parametrize("op", OPS, ids=[o.id for o in OPS])
def test_boundaries(op, world):
    world.ensure_scratch(op)
    findings = Findings(op)
    n = 0
    for req in sweep(op, world):
        run(world, req, findings)
        n += 1
    assert n > 0
    findings.check()
