"""nginx's own cache of the public catalogue (fastcgi_cache, nginx/
opengov-dev.conf.in; emptied by the workers on every catalogue change,
src/server/edgecache.c).

What a client must be able to rely on: anonymous reads of catalogue items
may be answered by nginx alone (X-Cache-Status: HIT), but a withdrawn or
changed item is never served from it once the change is answered, a caller
with a token never gets a stored public body, a request that says no-cache
reaches the workers, and the stored answer is keyed by everything that
shapes it (method, language, origin)."""

import re
import time

from conftest import BASE_URL, CONTRACT, Api, uniq
from test_cache import published_item, staff  # noqa: F401 (a fixture)

ROUTE = "/v1/items/{id}"


def anon():
    a = Api(BASE_URL, CONTRACT)
    a.s.headers["Accept-Encoding"] = "identity"
    return a


def worker_answers(api, route=ROUTE, status="200"):
    """How many GETs of route the workers have answered (their /metrics)."""
    m = re.search(r'^opengov_http_requests_total\{method="GET",route="%s",status="%s"\} (\d+)$'
                  % (re.escape(route), status), api.get("/metrics").text, re.M)
    return int(m.group(1)) if m else 0


def stored(path, **kw):
    """GETs path anonymously until nginx answers it from its cache."""
    a = anon()
    for _ in range(3):
        r = a.get(path, **kw)
        if r.headers.get("X-Cache-Status") == "HIT":
            return r
    raise AssertionError(f"{path} never came from nginx's cache: "
                         f"{r.status_code} {r.headers.get('X-Cache-Status')}")


def test_anonymous_item_reads_are_answered_by_nginx(api, staff):
    it = published_item(api, staff)
    path = f"/v1/items/{it['id']}"
    first = anon().get(path)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert first.headers["X-Cache-Status"] in ("MISS", "EXPIRED")
    r = stored(path)
    before = worker_answers(api)
    for _ in range(5):
        again = anon().get(path)
        assert again.headers["X-Cache-Status"] == "HIT"
        assert again.json() == r.json() == first.json()
        assert again.headers["ETag"] == first.headers["ETag"]
        # nginx's request id, not the stored one: each answer has its own
        assert again.headers["X-Request-Id"] != r.headers["X-Request-Id"]
    assert worker_answers(api) == before, "a stored answer went to the workers"


def test_a_large_stored_answer_comes_back_whole(api, staff):
    """nginx reads a stored answer into memory to send it (sendfile off in
    /v1/, one write for headers and body): one far larger than its buffers
    (32 kB) still comes back byte for byte, plain and gzipped."""
    text = "".join(f"第{i}条 行政机关应当主动公开本行政机关的政府信息。" for i in range(2500))
    it = published_item(api, staff, text=text)
    path = f"/v1/items/{it['id']}"
    first = anon().get(path)
    assert first.status_code == 200 and first.headers["X-Cache-Status"] in ("MISS", "EXPIRED")
    assert len(first.content) > 100_000 and first.json()["body"] == text
    r = stored(path)
    assert r.content == first.content
    assert int(r.headers["Content-Length"]) == len(r.content)
    z = Api(BASE_URL, CONTRACT)
    z.s.headers["Accept-Encoding"] = "gzip"
    g = z.get(path)
    assert g.headers["X-Cache-Status"] == "HIT"
    assert g.headers["Content-Encoding"] == "gzip"
    assert g.content == first.content  # requests decodes it


def test_withdrawn_item_is_gone_at_once(api, staff):
    it = published_item(api, staff)
    path = f"/v1/items/{it['id']}"
    stored(path)
    r = api.post(f"/v1/items/{it['id']}/withdraw", token=staff["approver"],
                 json={"reason": "已被新文件替代。"})
    assert r.status_code == 200, r.content
    # the very next anonymous read, from every kind of client
    for headers in ({}, {"Accept-Language": "en"}, {"Accept-Language": None}):
        r = anon().get(path, headers=headers)
        assert r.status_code == 404, (r.status_code, r.headers.get("X-Cache-Status"))
        assert r.headers.get("X-Cache-Status") != "HIT"


def test_catalogue_list_is_emptied_by_a_change(api, staff):
    """A public page of the catalogue is stored too, and goes with each
    change: a new item is on it at once, a withdrawn one off it at once."""
    token = "边缘列表" + uniq()
    path = "/v1/items?" + "q=" + token
    r = anon().get(path)
    assert r.status_code == 200 and r.json()["data"] == []
    stored(path)
    it = published_item(api, staff, title=token + "的信息")
    r = anon().get(path)
    assert [d["id"] for d in r.json()["data"]] == [it["id"]]
    stored(path)
    r = api.post(f"/v1/items/{it['id']}/withdraw", token=staff["approver"],
                 json={"reason": "已废止。"})
    assert r.status_code == 200, r.content
    r = anon().get(path)
    assert r.headers["X-Cache-Status"] != "HIT"
    assert r.json()["data"] == []


def test_change_made_in_the_database_empties_it(api, staff, db):
    """psql, opengov seed or another host: the workers hear the notification
    while idle (they watch their database socket) and empty nginx's cache."""
    it = published_item(api, staff)
    path = f"/v1/items/{it['id']}"
    stored(path)
    title = "库内改名" + uniq()
    db(f"UPDATE items SET title = '{title}', version = version + 1 WHERE id = '{it['id']}'")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        r = anon().get(path)
        if r.json()["title"] == title:
            break
        time.sleep(0.05)
    assert r.json()["title"] == title, "nginx still served the old item after 5 s"


def test_callers_with_a_token_never_get_a_stored_body(api, staff, public):
    it = published_item(api, staff)
    path = f"/v1/items/{it['id']}"
    stored(path)
    own = api.get(path, token=staff["clerk"])
    assert own.status_code == 200
    assert own.headers.get("X-Cache-Status") in (None, "BYPASS")
    assert own.headers["Cache-Control"] == "private, no-cache"
    assert "workflow" in own.json()
    pub = api.get(path, token=public)
    assert pub.headers.get("X-Cache-Status") in (None, "BYPASS")
    assert pub.headers["Cache-Control"] == "private, no-cache"
    # a token nginx cannot judge is the workers' to refuse, never a stored 200
    bad = anon().get(path, headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401
    # and what the token holders read was not stored for the anonymous
    r = anon().get(path)
    assert r.headers["Cache-Control"] == "public, max-age=60"
    assert "workflow" not in r.json()


def test_no_cache_reaches_the_workers(api, staff):
    it = published_item(api, staff)
    path = f"/v1/items/{it['id']}"
    stored(path)
    for headers in ({"Cache-Control": "no-cache"}, {"Cache-Control": "max-age=0"},
                    {"Pragma": "no-cache"}):
        before = worker_answers(api)
        r = anon().get(path, headers=headers)
        assert r.status_code == 200
        assert r.headers["X-Cache-Status"] == "BYPASS", headers
        assert worker_answers(api) == before + 1, headers


def test_conditional_reads_of_a_stored_answer(api, staff):
    it = published_item(api, staff)
    path = f"/v1/items/{it['id']}"
    etag = stored(path).headers["ETag"]
    r = anon().get(path, headers={"If-None-Match": etag})
    assert r.status_code == 304 and r.content == b""
    assert r.headers["ETag"] == etag
    r = anon().get(path, headers={"If-None-Match": '"0"'})
    assert r.status_code == 200 and r.json()["id"] == it["id"]


def test_conditional_read_of_what_is_not_stored(api, staff):
    """Nothing stored under the key: the workers answer the conditional read
    (304), and that 304, this client's alone, is not stored for others."""
    it = published_item(api, staff)
    path = f"/v1/items/{it['id']}"
    etag = api.get(path).headers["ETag"]
    # an origin nobody used: a key with nothing stored under it
    origin = {"Origin": f"https://t{uniq()}.example"}
    before = worker_answers(api, status="304")
    r = anon().get(path, headers={"If-None-Match": etag, **origin})
    assert r.status_code == 304 and r.headers["X-Cache-Status"] == "MISS"
    assert worker_answers(api, status="304") == before + 1
    r = anon().get(path, headers=origin)
    assert r.status_code == 200 and r.json()["id"] == it["id"]
    assert r.headers["X-Cache-Status"] == "MISS"


def test_head_and_get_are_stored_apart(api, staff):
    it = published_item(api, staff)
    path = f"/v1/items/{it['id']}"
    a = anon()
    for _ in range(3):
        h = a.s.head(BASE_URL + path)
        assert h.status_code == 200 and h.content == b""
    r = a.get(path)
    assert r.status_code == 200 and r.json()["id"] == it["id"]
    assert int(r.headers["Content-Length"]) == len(r.content) > 0


def test_language_and_origin_are_stored_apart(api, staff):
    """Problems carry text in the caller's language: a 404 of one language
    must not be served to another, nor one origin's CORS headers to another."""
    path = "/v1/items/00000000-0000-4000-8000-000000000000"
    en = anon().get(path, headers={"Accept-Language": "en"})
    zh = anon().get(path, headers={"Accept-Language": None})
    assert en.status_code == zh.status_code == 404
    assert en.headers["Content-Language"] == "en"
    assert zh.headers["Content-Language"] == "zh-CN"
    it = published_item(api, staff)
    p = f"/v1/items/{it['id']}"
    for lang in ("en", "zh-CN", "en"):
        r = anon().get(p, headers={"Accept-Language": lang})
        assert r.headers["Content-Language"] == ("en" if lang == "en" else "zh-CN")
    ok = anon().get(p, headers={"Origin": "http://localhost:3000"})
    ok = anon().get(p, headers={"Origin": "http://localhost:3000"})
    other = anon().get(p, headers={"Origin": "https://elsewhere.example"})
    assert ok.headers.get("Access-Control-Allow-Origin") == "http://localhost:3000"
    assert "Access-Control-Allow-Origin" not in other.headers


def test_other_routes_are_not_stored(api):
    """Only the catalogue, whose changes empty the cache, is stored: the
    calendar and reports say public too, but nothing would empty them."""
    for path in ("/v1/calendar?from=2026-01-01&to=2026-01-31", "/v1/calendar/years"):
        for _ in range(2):
            r = anon().get(path)
            assert r.status_code == 200, (path, r.content)
            assert r.headers.get("X-Cache-Status") in (None, "BYPASS"), (path, r.headers)
