"""The house rules that keep a change safe (docs/architecture.md).

- One list of operations: api/routes.def, compiled into the binary and read
  back with `opengov routes`, is exactly openapi.yaml's operations, with the
  same roles (x-roles), the same anonymous access (security) and the same
  kind of body. A route in one place and not the other fails here; a handler
  without a row does not compile (-Wmissing-prototypes: its prototype comes
  from the row).
- One list of query parameters: api/queries.def, read back with `opengov
  queries`, is exactly the query parameters openapi.yaml declares for each
  operation (the router answers 400 to any other).
- The layers: src/base, src/db, src/domain, src/server and api/ include only
  what their layer may (nothing below reaches up; the domain never sees HTTP).

These tests need no running stack.
"""

import glob
import os
import re
import subprocess

import pytest

from conftest import BIN, CONTRACT, REPO, binary_routes

METHODS = ("get", "post", "put", "patch", "delete")
ALL_ROLES = {"public", "clerk", "approver", "supervisor", "admin"}

# What each layer's files may include of the project's headers
# (include/opengov/<layer>/), bottom up.
MAY_INCLUDE = {
    "base": {"base"},
    "db": {"base", "db"},
    "domain": {"base", "db", "domain"},
    "server": {"base", "db", "server"},
    "api": {"base", "db", "domain", "server", "api"},
}
# Libraries that belong to one layer only: HTTP (libfcgi) to the server.
FOREIGN = {
    "base": ("fcgiapp.h", "fcgi_stdio.h", "libpq-fe.h"),
    "db": ("fcgiapp.h", "fcgi_stdio.h"),
    "domain": ("fcgiapp.h", "fcgi_stdio.h"),
}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]')


def spec_operations():
    for path, item in CONTRACT.doc["paths"].items():
        for m in METHODS:
            if m in item:
                yield m.upper(), path, item[m]


@pytest.fixture(scope="module")
def routes():
    return binary_routes()


def test_routes_are_the_operations_of_the_spec(routes):
    table = {(rt.method, rt.path): rt.operation_id for rt in routes}
    spec = {(m, p): op["operationId"] for m, p, op in spec_operations()}
    assert len(table) == len(routes), "a method and path twice in api/routes.def"
    assert sorted(set(table) - set(spec)) == [], "routes the spec does not declare"
    assert sorted(set(spec) - set(table)) == [], "operations no route serves"
    assert {k: v for k, v in table.items() if spec[k] != v} == {}, "operationIds differ"


def test_route_roles_are_the_spec_roles(routes):
    spec = {(m, p): op for m, p, op in spec_operations()}
    wrong = []
    for rt in routes:
        op = spec[(rt.method, rt.path)]
        declared = set(op["x-roles"])
        sec = op["security"]
        anonymous = sec == [] or {} in sec
        # x-roles [anonymous] with no security at all: a token, when sent,
        # is checked but any role passes.
        if declared == {"anonymous"} and sec == []:
            declared = ALL_ROLES | {"anonymous"}
        served = rt.roles | ({"anonymous"} if "anon" in rt.flags else set())
        if served != declared or anonymous != ("anon" in rt.flags):
            wrong.append((rt.method, rt.path, sorted(served), sorted(declared)))
    assert wrong == []


def test_route_bodies_are_the_spec_bodies(routes):
    spec = {(m, p): op for m, p, op in spec_operations()}
    for rt in routes:
        body = spec[(rt.method, rt.path)].get("requestBody")
        where = f"{rt.method} {rt.path}"
        if "json" in rt.flags:
            assert body and "application/json" in body["content"], where
        elif "upload" in rt.flags:
            assert body and "application/json" not in body["content"], where
        else:
            assert body is None, where


def test_handlers_are_named_for_their_file(routes):
    """api_<resource>_<verb> lives in api/<resource>.c."""
    sources = {os.path.basename(f)[:-2]: open(f, encoding="utf-8").read()
               for f in glob.glob(os.path.join(REPO, "api", "*.c"))}
    for rt in routes:
        owner = [n for n in sources if rt.handler.startswith(f"api_{n}_")]
        assert owner, f"{rt.handler}: no api/<resource>.c for it"
        resource = max(owner, key=len)
        assert re.search(rf"^void {rt.handler}\(struct req \*r\)$", sources[resource], re.M), \
            f"{rt.handler} is not defined in api/{resource}.c"


def spec_query_parameters(path, op):
    """The names of the query parameters an operation declares (its own and
    its path's, $refs followed)."""
    params = CONTRACT.doc["paths"][path].get("parameters", []) + op.get("parameters", [])
    out = set()
    for p in params:
        if "$ref" in p:
            p = CONTRACT.doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        if p["in"] == "query":
            out.add(p["name"])
    return out


def binary_queries():
    p = subprocess.run([BIN, "queries"], capture_output=True, text=True, timeout=30,
                       env={"PATH": os.environ.get("PATH", "")})
    assert p.returncode == 0, p.stderr
    out = {}
    for line in p.stdout.splitlines():
        op, names = line.split("\t")
        assert op not in out, f"{op} twice in `opengov queries`"
        out[op] = set() if names == "-" else set(names.split(","))
    return out


def test_query_parameters_are_the_spec_parameters(routes):
    table = binary_queries()
    spec = {op["operationId"]: spec_query_parameters(p, op) for _, p, op in spec_operations()}
    assert set(table) == {rt.operation_id for rt in routes}
    wrong = {op: (sorted(table[op]), sorted(spec[op])) for op in table if table[op] != spec[op]}
    assert wrong == {}, "api/queries.def (server) and openapi.yaml (spec) differ"


def test_every_row_of_queries_def_names_an_operation(routes):
    """A row for an operationId no route has (misspelt) would be silently
    unused: that operation would then accept no parameter."""
    text = open(os.path.join(REPO, "api", "queries.def"), encoding="utf-8").read()
    rows = re.findall(r"^QUERY\((\w+),", text, re.M)
    ops = {rt.operation_id for rt in routes}
    assert rows and sorted(set(rows) - ops) == []
    assert len(rows) == len(set(rows)), "an operation twice in api/queries.def"


def layer_of(path):
    rel = os.path.relpath(path, REPO).split(os.sep)
    if rel[0] == "api":
        return "api"
    if rel[0] == "src" and len(rel) > 2:
        return rel[1]
    if rel[:2] == ["include", "opengov"] and len(rel) > 3:
        return rel[2]
    return None


def layered_files():
    pats = ("src/*/*.[ch]", "src/*/*/*.[ch]", "api/*.c", "include/opengov/*/*.h")
    for pat in pats:
        yield from sorted(glob.glob(os.path.join(REPO, pat)))


def include_violations(path, text):
    layer = layer_of(path)
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        m = INCLUDE_RE.match(line)
        if not m:
            continue
        name = m.group(2)
        if name.startswith("opengov/"):
            target = name.split("/")[1]
            if target not in MAY_INCLUDE[layer]:
                out.append(f"{os.path.relpath(path, REPO)}:{n}: {layer} includes {name}")
        elif os.path.basename(name) in FOREIGN.get(layer, ()):
            out.append(f"{os.path.relpath(path, REPO)}:{n}: {layer} includes <{name}>")
    return out


def test_every_source_file_is_in_a_layer():
    stray = [f for f in glob.glob(os.path.join(REPO, "src", "*.c"))
             if os.path.basename(f) != "main.c"]
    stray += glob.glob(os.path.join(REPO, "include", "opengov", "*.h"))
    assert stray == []
    layers = {layer_of(f) for f in layered_files()}
    assert layers <= set(MAY_INCLUDE), layers


def test_no_layer_reaches_up():
    bad = []
    for f in layered_files():
        with open(f, encoding="utf-8") as fh:
            bad += include_violations(f, fh.read())
    assert bad == []


@pytest.mark.parametrize("path,line", [
    ("src/domain/casestep.c", '#include "opengov/server/http.h"'),
    ("src/db/db.c", '#include "opengov/domain/workcal.h"'),
    ("src/base/buf.c", "#include <fcgiapp.h>"),
    ("src/server/router.c", '#include "opengov/api/handlers.h"'),
])
def test_the_layer_check_sees_a_reach_up(path, line):
    """The check itself: each of these would be a violation."""
    assert include_violations(os.path.join(REPO, path), line)
