"""/docs and /openapi.yaml: the API reference nginx serves from local files.

/openapi.yaml must be the repository's openapi.yaml byte for byte, and /docs/
(nginx/docs/index.html + Redoc's standalone bundle, copied in by
scripts/install-docs.sh) must render it in a real browser: Debian's headless
Chromium loads the page with every host but the server's unresolvable, and
the rendered DOM must list every operation of the spec (summary and
operationId), with no request of the page leaving the server's origin.

Chromium is required: scripts/bootstrap.sh installs it; without it these
tests fail rather than skip.
"""

import json
import os
import re
import subprocess
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from conftest import BASE_URL, CONTRACT, REPO, SPEC_PATH, Contract, media_type

CHROMIUM = "/usr/bin/chromium"
BUNDLE = os.path.join(REPO, "tests", "contract", "node_modules", "redoc", "bundles",
                      "redoc.standalone.js")
ORIGIN = "{0.scheme}://{0.netloc}".format(urlsplit(BASE_URL))


def spec_operations():
    for path, item in CONTRACT.doc["paths"].items():
        for m in Contract.METHODS:
            if m in item:
                yield m, path, item[m]


def squash(text):
    return re.sub(r"\s+", " ", text).strip()


class _Dom(HTMLParser):
    """Visible text, element ids and link targets of a dumped DOM."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text = []
        self.ids = set()
        self.hrefs = set()
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "style", "noscript"):
            self._skip += 1
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.hrefs.add(a["href"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "noscript") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


# --------------------------------------------------------------------------
# the files nginx serves


def test_openapi_yaml_is_the_repository_file(api):
    r = api.s.get(BASE_URL + "/openapi.yaml", timeout=30)
    assert r.status_code == 200, r.content[:300]
    assert media_type(r.headers.get("Content-Type")) == "application/yaml"
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers.get("X-Request-Id", ""))
    with open(SPEC_PATH, "rb") as f:
        want = f.read()
    assert r.content == want, (
        "the served /openapi.yaml differs from the repository's openapi.yaml "
        "(scripts/stack.sh start copies it; restart the stack)")


def test_docs_redirects_to_the_page(api):
    r = api.s.get(BASE_URL + "/docs", timeout=30, allow_redirects=False)
    assert r.status_code == 301
    assert r.headers["Location"].endswith("/docs/")


def test_docs_page_uses_local_files_only(api):
    r = api.s.get(BASE_URL + "/docs/", timeout=30)
    assert r.status_code == 200
    assert media_type(r.headers.get("Content-Type")) == "text/html"
    page = r.text
    # No CDN, no web font service, no absolute URL of any kind.
    assert not re.search(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page), \
        re.findall(r"(?i)(?:https?:)?//[^\s\"'<>]+", page)
    srcs = re.findall(r'<script[^>]*\ssrc="([^"]+)"', page)
    assert "redoc.standalone.js" in srcs, srcs

    js = api.s.get(BASE_URL + "/docs/redoc.standalone.js", timeout=30)
    assert js.status_code == 200
    assert media_type(js.headers.get("Content-Type")) in (
        "application/javascript", "text/javascript")
    if os.path.exists(BUNDLE):  # a client team's checkout may not have node_modules
        with open(BUNDLE, "rb") as f:
            assert js.content == f.read(), \
                "the served bundle is not the pinned redoc from tests/contract"


# --------------------------------------------------------------------------
# the page in a browser


@pytest.fixture(scope="module")
def rendered(api, tmp_path_factory):
    """(DOM text, parsed DOM, net log events) of /docs/ rendered by Chromium."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: scripts/bootstrap.sh installs Debian's "
                    "chromium (the /docs test needs a real browser)", pytrace=False)
    tmp = tmp_path_factory.mktemp("chromium")
    profile = tmp / "profile"
    netlog = tmp / "netlog.json"
    host = urlsplit(BASE_URL).hostname
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-proxy-server",
        f"--user-data-dir={profile}",
        # Every other host is unresolvable: the page must work offline.
        f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {host}",
        f"--log-net-log={netlog}",
        "--virtual-time-budget=15000",
        "--dump-dom", BASE_URL + "/docs/",
    ]
    env = dict(os.environ, HOME=str(tmp), XDG_CONFIG_HOME=str(tmp / "config"),
               XDG_CACHE_HOME=str(tmp / "cache"))
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=60, env=env, cwd=str(tmp))
    except subprocess.TimeoutExpired:
        pytest.fail("chromium did not finish rendering /docs/ within 60 s", pytrace=False)
    dom = p.stdout.decode("utf-8", "replace")
    if p.returncode != 0 or "<html" not in dom:
        pytest.fail("chromium failed (exit %d); stderr:\n%s" % (
            p.returncode, p.stderr.decode("utf-8", "replace")[-3000:]), pytrace=False)
    parsed = _Dom()
    parsed.feed(dom)
    try:
        with open(netlog, encoding="utf-8") as f:
            log = json.load(f)
    except (OSError, ValueError) as e:
        pytest.fail(f"chromium's net log {netlog} is unreadable: {e}", pytrace=False)
    return squash(" ".join(parsed.text)), parsed, log


def test_docs_render_every_operation(rendered):
    text, dom, _ = rendered
    assert "Something went wrong" not in text, text[:2000]
    assert "could not render" not in text and "did not load" not in text, text[:2000]
    info = CONTRACT.doc["info"]
    assert squash(info["title"]) in text, text[:2000]
    missing = []
    ops = list(spec_operations())
    assert ops
    for method, path, op in ops:
        summary = squash(op["summary"])
        if summary not in text:
            missing.append(f"summary {summary!r} of {method.upper()} {path}")
        anchor = "operation/" + op["operationId"]
        if anchor not in dom.ids and "#" + anchor not in dom.hrefs:
            missing.append(f"operation {op['operationId']} ({method.upper()} {path})")
        if path not in text:
            missing.append(f"path {path}")
    for tag in CONTRACT.doc.get("tags", []):
        if "tag/" + tag["name"] not in dom.ids:
            missing.append(f"tag {tag['name']}")
    assert not missing, "the rendered /docs/ lacks:\n  " + "\n  ".join(missing)


def test_docs_load_nothing_from_elsewhere(rendered):
    """Every request the page made went to the server itself, and it loaded the
    live /openapi.yaml (Chromium's own background requests are not the page's:
    they have no initiator)."""
    _, _, log = rendered
    c = log["constants"]
    types = {v: k for k, v in c["logEventTypes"].items()}
    requested, foreign = set(), set()
    for e in log["events"]:
        p = e.get("params") or {}
        if types.get(e.get("type")) != "URL_REQUEST_START_JOB" or "url" not in p:
            continue
        url = p["url"]
        if url.startswith(ORIGIN + "/"):
            requested.add(url[len(ORIGIN):].split("?")[0])
        elif p.get("initiator") == ORIGIN:
            foreign.add(url)
    assert not foreign, f"the page requested other origins: {sorted(foreign)}"
    for path in ("/docs/", "/docs/redoc.standalone.js", "/openapi.yaml"):
        assert path in requested, (path, sorted(requested))

