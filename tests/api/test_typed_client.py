"""A typed client generated from openapi.yaml takes every journey (issue 15).

tests/client holds a third-party client as a front-end team would write it:
TypeScript types generated from openapi.yaml by openapi-typescript (pinned in
tests/client/package.json with its package-lock.json, TypeScript 5), calls
made with openapi-fetch, and tests/client/journey.ts compiled with `strict`,
`noUncheckedIndexedAccess` and `exactOptionalPropertyTypes`. The journey
browses the catalogue, applies (an approval request on a service item with
its materials, a disclosure request), has a correction asked and the request
resubmitted, decided, rated, and a supervisor read the monitoring and raise a
finding, against the stack of $OPENGOV_ENV_FILE.

Any error of generation, compilation or of the journey fails here with its
output. The journey uses no cast: the spec's discriminators and statuses
narrow every answer (checked below on its source).
"""

import hashlib
import os
import re
import shutil
import subprocess

import pytest

from conftest import ENV_FILE, REPO

CLIENT = os.path.join(REPO, "tests", "client")
BIN = os.path.join(CLIENT, "node_modules", ".bin")
JOURNEY = os.path.join(CLIENT, "journey.ts")


def run(argv, what, timeout=300, **kw):
    p = subprocess.run(argv, cwd=CLIENT, capture_output=True, text=True, timeout=timeout, **kw)
    if p.returncode != 0:
        pytest.fail(f"{what} failed (exit {p.returncode}):\n{p.stdout}\n{p.stderr}", pytrace=False)
    return p.stdout


def lock_stamp():
    h = []
    for name in ("package.json", "package-lock.json"):
        with open(os.path.join(CLIENT, name), "rb") as f:
            h.append(f"{hashlib.sha256(f.read()).hexdigest()}  {name}")
    return "\n".join(h)


@pytest.fixture(scope="module")
def client_tools():
    """tests/client/node_modules as package-lock.json pins it: npm ci (from
    npm's cache when it can) unless scripts/bootstrap.sh's stamp says it is
    already so."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed: run scripts/bootstrap.sh", pytrace=False)
    stamp = os.path.join(CLIENT, "node_modules", ".opengov-lock.sha256")
    want = lock_stamp()
    have = open(stamp, encoding="utf-8").read().strip() if os.path.exists(stamp) else ""
    tools = [os.path.join(BIN, t) for t in ("openapi-typescript", "tsc")]
    if have != want or not all(os.access(t, os.X_OK) for t in tools):
        run(["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts",
             "--loglevel=error"], "npm ci in tests/client")
        with open(stamp, "w", encoding="utf-8") as f:
            f.write(want + "\n")
    return CLIENT


def test_pinned_versions():
    """Exact versions, TypeScript 5 (openapi-typescript 7 does not work with
    later majors), and the lock agrees with package.json."""
    import json
    with open(os.path.join(CLIENT, "package.json"), encoding="utf-8") as f:
        pkg = json.load(f)
    with open(os.path.join(CLIENT, "package-lock.json"), encoding="utf-8") as f:
        lock = json.load(f)
    deps = pkg["devDependencies"]
    assert set(deps) >= {"openapi-typescript", "openapi-fetch", "typescript"}
    for name, version in deps.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} {version} is not pinned exactly"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    assert deps["typescript"].startswith("5.")
    assert deps["openapi-typescript"].startswith("7.")


def test_journey_has_no_cast():
    """No `as` assertion, no `any`, no cast through `unknown`, no non-null `!`:
    what the client knows of an answer comes from the spec's types and the
    narrowing they allow."""
    with open(JOURNEY, encoding="utf-8") as f:
        src = f.read()
    code = re.sub(r"//[^\n]*|/\*.*?\*/", "", src, flags=re.S)
    code = re.sub(r'"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`', '""', code)
    bad = []
    for n, line in enumerate(code.splitlines(), 1):
        if re.search(r"\bas\b", line) and not line.lstrip().startswith("import"):
            bad.append((n, "as", line.strip()))
        if re.search(r"\bany\b", line):
            bad.append((n, "any", line.strip()))
        if re.search(r"[\w)\]]!(?![=])", line):
            bad.append((n, "non-null !", line.strip()))
        if re.search(r"<\s*(unknown|any)\s*>", line):
            bad.append((n, "cast", line.strip()))
    assert bad == []


def test_generated_client_journey(api, client_tools):
    """Generate, compile strictly, run the journey against the stack."""
    os.makedirs(os.path.join(CLIENT, "generated"), exist_ok=True)
    run([os.path.join(BIN, "openapi-typescript"), os.path.join(REPO, "openapi.yaml"),
         "-o", os.path.join("generated", "openapi.d.ts")], "openapi-typescript")
    run([os.path.join(BIN, "tsc"), "-p", "."], "tsc (strict, noUncheckedIndexedAccess, "
        "exactOptionalPropertyTypes)")
    env = {"PATH": os.environ.get("PATH", ""), "OPENGOV_ENV_FILE": ENV_FILE,
           "NO_COLOR": "1"}
    out = run(["node", os.path.join("dist", "journey.js")], "the journey", timeout=120, env=env)
    for stage in ("browsed", "applied", "correction asked", "resubmitted", "decided", "rated",
                  "supervised", "done"):
        assert f"journey: {stage}" in out, out
