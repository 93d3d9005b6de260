"""The workers' cache of rendered units and published items (src/base/rcache.c):
a client reads its own writes whichever worker answers, other writers
(psql, another host) are seen as soon as their notification arrives,
nothing is served from the cache that the caller could not read from the
database, and nothing is served while the database is unreachable
(test_zz_disruptive covers the last).

Every read here goes to many workers at once: 16 sessions in parallel, so
that each worker of the stack holds the entry before the change is made."""

import concurrent.futures as cf
import re
import time
import uuid
from urllib.parse import urlencode

import pytest

from conftest import BASE_URL, CONTRACT, Api, uniq

PAR = 16
ROUNDS = 4


def fan_out(path, token=None, headers=None, n=PAR * ROUNDS):
    """GETs path n times from PAR sessions in parallel; [(status, etag, json)]."""
    def one(_):
        a = Api(BASE_URL, CONTRACT)
        a.s.headers["Accept-Encoding"] = "identity"
        r = a.get(path, token=token, headers=headers)
        body = r.json() if r.status_code in (200, 404) else None
        return r.status_code, r.headers.get("ETag"), r.headers.get("Cache-Control"), body
    with cf.ThreadPoolExecutor(PAR) as ex:
        return list(ex.map(one, range(n)))


def cache_hits(api):
    m = re.search(r'^opengov_cache_lookups_total\{result="hit"\} (\d+)$',
                  api.get("/metrics").text, re.M)
    assert m, "the cache counters are not in /metrics"
    return int(m.group(1))


def wait_until(pred, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while not (v := pred()):
        if time.monotonic() > deadline:
            return v
        time.sleep(interval)
    return v


@pytest.fixture(scope="module")
def staff(make_unit, tokens):
    u = make_unit(kind="municipal_agency", code=uniq("CACHE-"), name="缓存测试局" + uniq())
    subs = [str(uuid.uuid4()) for _ in range(2)]
    return {"unit": u["id"],
            "clerk": tokens.mint("clerk", unit=u["id"], sub=subs[0]),
            "approver": tokens.mint("approver", unit=u["id"], sub=subs[1])}


def published_item(api, staff, title=None, text="正文。"):
    body = {"kind": "information", "category": "general",
            "title": title or "缓存测试信息" + uniq(), "body": text}
    r = api.post("/v1/items", token=staff["clerk"], json=body)
    assert r.status_code == 201, r.content
    iid = r.json()["id"]
    assert api.post(f"/v1/items/{iid}/submit", token=staff["clerk"]).status_code == 200
    r = api.post(f"/v1/items/{iid}/review", token=staff["approver"], json={"decision": "approve"})
    assert r.status_code == 200, r.content
    return r.json()


def test_unit_reads_hit_the_cache(api, make_unit):
    u = make_unit()
    before = cache_hits(api)
    got = fan_out("/v1/units/" + u["id"])
    assert {(s, e) for s, e, _, _ in got} == {(200, '"1"')}
    assert all(b == u for _, _, _, b in got)
    # every worker missed at most once; the rest were answered from the cache
    assert cache_hits(api) - before >= len(got) - PAR


def test_unit_patch_is_read_back_by_every_worker(api, admin, make_unit):
    u = make_unit()
    path = "/v1/units/" + u["id"]
    for i in range(5):
        fan_out(path)  # every worker holds the current version
        etag = api.get(path).headers["ETag"]
        name = f"改名 {i} " + uniq()
        r = api.patch(path, token=admin, json={"name": name}, headers={"If-Match": etag})
        assert r.status_code == 200, r.content
        new_etag = r.headers["ETag"]
        assert new_etag != etag
        # at once, from all workers: the new version, never the old one
        got = fan_out(path)
        assert {(s, e) for s, e, _, _ in got} == {(200, new_etag)}, got[:3]
        assert {b["name"] for _, _, _, b in got} == {name}


def test_if_none_match_on_a_cached_unit(api, make_unit):
    u = make_unit()
    path = "/v1/units/" + u["id"]
    fan_out(path)
    got = fan_out(path, headers={"If-None-Match": '"1"'}, n=PAR)
    assert {s for s, _, _, _ in got} == {304}
    got = fan_out(path, headers={"If-None-Match": '"2"'}, n=PAR)
    assert {s for s, _, _, _ in got} == {200}


def test_change_made_outside_the_service_is_seen(api, make_unit, db):
    """psql (or another host) changes a unit: the workers drop their entries
    when the notification arrives, within moments, not after the TTL."""
    u = make_unit()
    path = "/v1/units/" + u["id"]
    fan_out(path)
    name = "库内改名 " + uniq()
    db(f"UPDATE units SET name = '{name}', version = version + 1 WHERE id = '{u['id']}'")

    def all_new():
        return all(s == 200 and b["name"] == name and e == '"2"' for s, e, _, b in fan_out(path))
    assert wait_until(all_new, 5), "a change made in the database was not seen within 5 s"


def test_withdrawn_item_is_gone_for_every_worker(api, staff):
    it = published_item(api, staff)
    path = f"/v1/items/{it['id']}"
    got = fan_out(path)
    assert {(s, c) for s, _, c, _ in got} == {(200, "public, max-age=60")}
    assert all("workflow" not in b for _, _, _, b in got)
    r = api.post(f"/v1/items/{it['id']}/withdraw", token=staff["approver"],
                 json={"reason": "已被新文件替代。"})
    assert r.status_code == 200, r.content
    got = fan_out(path)
    assert {s for s, _, _, _ in got} == {404}, [g[:2] for g in got[:5]]


def test_cached_item_keeps_each_callers_view(api, staff, public):
    """Anonymous and public callers share the cached form (with their own
    Cache-Control); staff of the unit get the workflow, never from the cache."""
    it = published_item(api, staff)
    path = f"/v1/items/{it['id']}"
    anon = fan_out(path)
    pub = fan_out(path, token=public, n=PAR * 2)
    assert {(s, c) for s, _, c, _ in pub} == {(200, "private, no-cache")}
    assert {e for _, e, _, _ in pub} == {e for _, e, _, _ in anon}
    assert all(b == anon[0][3] for _, _, _, b in pub)
    own = fan_out(path, token=staff["clerk"], n=PAR)
    assert {(s, c) for s, _, c, _ in own} == {(200, "private, no-cache")}
    assert all("workflow" in b and b["workflow"]["reviewed_by"] for _, _, _, b in own)


def test_draft_read_by_staff_stays_hidden_from_the_public(api, staff, public):
    r = api.post("/v1/items", token=staff["clerk"],
                 json={"kind": "information", "category": "general",
                       "title": "草稿" + uniq(), "body": "正文。"})
    assert r.status_code == 201, r.content
    path = f"/v1/items/{r.json()['id']}"
    assert {s for s, _, _, _ in fan_out(path, token=staff["clerk"], n=PAR)} == {200}
    assert {s for s, _, _, _ in fan_out(path)} == {404}
    assert {s for s, _, _, _ in fan_out(path, token=public, n=PAR)} == {404}


def test_public_list_pages_follow_every_change(api, staff):
    """A page of the public catalogue (a search here) is cached too; a newly
    published item is on it at once, for every worker, and the Link of a
    cached page is the one the database's page had."""
    word = "缓存" + uuid.uuid4().hex[:8]
    first = [published_item(api, staff, title=f"{word} 第{i}号") for i in range(3)]
    path = "/v1/items?" + urlencode({"q": word, "limit": 2})

    def pages():
        out = []
        for s, _, c, b in fan_out(path):
            assert (s, c) == (200, "public, max-age=30")
            out.append(([i["id"] for i in b["data"]], b["next_cursor"]))
        return out
    got = pages()
    assert {tuple(ids) for ids, _ in got} == {(first[2]["id"], first[1]["id"])}
    assert len({cur for _, cur in got}) == 1 and got[0][1]
    links = {fan_out_link(path) for _ in range(PAR)}
    assert len(links) == 1 and "cursor=" in links.pop()
    newest = published_item(api, staff, title=f"{word} 第9号")
    got = pages()
    assert {tuple(ids) for ids, _ in got} == {(newest["id"], first[2]["id"])}


def fan_out_link(path):
    r = Api(BASE_URL, CONTRACT).get(path)
    assert r.status_code == 200
    return r.headers.get("Link")


def test_no_cache_request_reads_the_database(api, make_unit):
    u = make_unit()
    path = "/v1/units/" + u["id"]
    fan_out(path)
    before = cache_hits(api)
    got = fan_out(path, headers={"Cache-Control": "no-cache"}, n=PAR)
    assert {s for s, _, _, _ in got} == {200}
    assert cache_hits(api) == before


def test_unit_list_follows_a_new_unit(api, make_unit):
    parent = make_unit(kind="municipal_agency")
    path = "/v1/units?" + urlencode({"parent_id": parent["id"]})
    assert all(s == 200 and b["data"] == [] for s, _, _, b in fan_out(path))
    child = make_unit(parent_id=parent["id"])
    got = fan_out(path)
    assert all(s == 200 and [u["id"] for u in b["data"]] == [child["id"]] for s, _, _, b in got)


# ---- who hears the changes: the host's listener (docs/caches.md) ------------------


def listener_up(api):
    m = re.search(r"^opengov_cache_listener_up ([01])$", api.get("/metrics").text, re.M)
    assert m, "opengov_cache_listener_up is not in /metrics"
    return m.group(1) == "1"


def test_one_listening_session_for_the_host(api, db):
    """PostgreSQL wakes every listening session of a database on every
    NOTIFY, whatever its channel: one session per host listens (the
    listener process), and /metrics says it hears."""
    assert listener_up(api)
    sessions = db("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'opengov-listener'")
    assert sessions == [["1"]]


def test_nothing_stale_while_the_listener_is_away(api, make_unit, db):
    """The listener's session is ended (an administrator, a failover) and,
    in the same breath, a unit is changed by psql: its notification may
    reach nobody. The workers serve nothing from their caches until the
    listener listens again, and then have forgotten what they held: the
    change is read at once, by every worker. The listener reconnects by
    itself, and the cache answers again."""
    u = make_unit()
    path = "/v1/units/" + u["id"]
    fan_out(path)
    name = "监听中断改名 " + uniq()
    db("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
       " WHERE application_name = 'opengov-listener';"
       f" UPDATE units SET name = '{name}', version = version + 1 WHERE id = '{u['id']}'")
    got = fan_out(path)
    assert {(s, e, b["name"]) for s, e, _, b in got} == {(200, '"2"', name)}, got[:3]
    assert wait_until(lambda: listener_up(api), 10), "the listener did not listen again within 10 s"
    assert wait_until(lambda: db("SELECT count(*) FROM pg_stat_activity"
                                 " WHERE application_name = 'opengov-listener'") == [["1"]], 5)
    fan_out(path)
    before = cache_hits(api)
    fan_out(path, n=PAR)
    assert cache_hits(api) > before, "the cache did not answer again after the listener came back"
