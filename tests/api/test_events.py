"""The change feed, GET /v1/events (docs/events.md): what each caller sees,
keyset paging complete and ordered under concurrent writes, the 304 of an
unchanged head, bad input."""
import json
import os
import re
import threading
import time

import pytest

from conftest import assert_problem, error_pointers, uniq, var_dir

LINK_RE = re.compile(r'^<([^>]+)>; *rel="next"$')


def disclosure_body(unit_id):
    return {"kind": "disclosure", "unit_id": unit_id,
            "description": "申请公开本单位2025年度行政许可办理情况统计。" + uniq(),
            "purpose": "学术研究", "delivery": "electronic"}


def head(api, token=None):
    r = api.get("/v1/events?after=999999999999999999&limit=1", token=token)
    assert r.status_code == 200, r.content
    return r.json()["head"]


def read_all(api, after, token=None, limit=100, types=None):
    """Every event after `after` the caller sees, following next_after."""
    out = []
    for _ in range(1000):
        q = f"/v1/events?after={after}&limit={limit}"
        if types:
            q += "&types=" + types
        r = api.get(q, token=token)
        assert r.status_code == 200, r.content
        body = r.json()
        out += body["data"]
        after = body["next_after"]
        if not body["has_more"]:
            return out
    pytest.fail("the feed did not end")


@pytest.fixture(scope="module")
def citizen(make_account, tokens):
    """citizen() -> (account id, token) of a fresh applicant account."""
    def _make():
        acc, _ = make_account("ev")
        return acc["id"], tokens.mint("public", sub=acc["id"])
    return _make


def create_request(api, token, unit):
    r = api.post("/v1/requests", token=token, json=disclosure_body(unit))
    assert r.status_code == 201, r.content
    return r.json()["id"]


def test_citizens_see_their_own_request_events_only(api, tokens, demo_units, citizen):
    h0 = head(api, tokens.mint("admin"))
    sub_a, tok_a = citizen()
    sub_b, tok_b = citizen()
    psb, aic = demo_units["PSB"], demo_units["AIC"]
    req_a = create_request(api, tok_a, psb)
    req_b = create_request(api, tok_b, aic)

    def subjects(events):
        return {e["subject"]["id"] for e in events}

    seen_a = read_all(api, h0, tok_a)
    assert req_a in subjects(seen_a) and req_b not in subjects(seen_a)
    ev = next(e for e in seen_a if e["subject"]["id"] == req_a)
    assert ev["type"] == "request.submitted" and ev["subject"]["kind"] == "request"
    assert ev["subject"]["href"] == f"/v1/requests/{req_a}"
    assert ev["unit_id"] == psb and ev["public"] is False
    assert ev["data"]["to_status"] == "submitted" and ev["data"]["number"].startswith("GK-")
    assert ev["id"] == f"evt_{ev['seq']}"
    # Every event a citizen reads is public or about their own request.
    assert all(e["public"] or e["subject"]["id"] == req_a for e in seen_a)
    seen_b = read_all(api, h0, tok_b)
    assert req_b in subjects(seen_b) and req_a not in subjects(seen_b)

    # Anonymous callers: public events only.
    anon = read_all(api, h0)
    assert all(e["public"] for e in anon)
    assert not {req_a, req_b} & subjects(anon)

    # Staff: their unit's cases (and public events); supervisors everything.
    psb_clerk = tokens.mint("clerk", unit=psb)
    seen = read_all(api, h0, psb_clerk)
    assert req_a in subjects(seen) and req_b not in subjects(seen)
    assert all(e["public"] or e["unit_id"] == psb for e in seen)
    aic_approver = tokens.mint("approver", unit=aic)
    assert req_b in subjects(read_all(api, h0, aic_approver))
    assert req_a not in subjects(read_all(api, h0, aic_approver))
    assert {req_a, req_b} <= subjects(read_all(api, h0, tokens.mint("supervisor")))

    # The subject's own GET agrees: the citizen may not read B's request.
    assert api.get(f"/v1/requests/{req_b}", token=tok_a).status_code == 404


def test_public_events_are_published_items(api, tokens, demo_units, db):
    psb = demo_units["PSB"]
    clerk = tokens.mint("clerk", unit=psb)
    approver = tokens.mint("approver", unit=psb)
    h0 = head(api)
    r = api.post("/v1/items", token=clerk, json={
        "kind": "information", "category": "general", "title": "测试公开信息" + uniq(),
        "body": "正文：根据有关规定，现予公开。"})
    assert r.status_code == 201, r.content
    iid = r.json()["id"]
    assert read_all(api, h0) == [] or iid not in {e["subject"]["id"] for e in read_all(api, h0)}
    assert api.post(f"/v1/items/{iid}/submit", token=clerk).status_code == 200
    r = api.post(f"/v1/items/{iid}/review", token=approver, json={"decision": "approve"})
    assert r.status_code == 200, r.content
    r = api.post(f"/v1/items/{iid}/withdraw", token=approver, json={"reason": "已被新文件替代。"})
    assert r.status_code == 200, r.content
    mine = [e for e in read_all(api, h0) if e["subject"]["id"] == iid]
    assert [e["type"] for e in mine] == ["item.published", "item.withdrawn"]
    assert all(e["public"] and e["subject"]["href"] == f"/v1/items/{iid}" for e in mine)
    assert mine[0]["seq"] < mine[1]["seq"]
    # The types filter.
    only = read_all(api, h0, types="item.withdrawn")
    assert iid in {e["subject"]["id"] for e in only}
    assert all(e["type"] == "item.withdrawn" for e in only)
    # What anonymous callers read is exactly the public events in the database.
    h1 = mine[1]["seq"]
    want = [int(s) for (s,) in db(f"SELECT seq FROM events WHERE public AND seq > {h0}"
                                  f" AND seq <= {h1} ORDER BY seq")]
    assert [e["seq"] for e in read_all(api, h0) if e["seq"] <= h1] == want


def test_finding_events_follow_the_finding_visibility(api, tokens, demo_units):
    psb, aic = demo_units["PSB"], demo_units["AIC"]
    supervisor = tokens.mint("supervisor")
    h0 = head(api, supervisor)
    r = api.post("/v1/findings", token=supervisor, json={
        "source": "inspection", "unit_id": psb, "category": "disclosure_gap",
        "severity": "yellow", "title": "2025年度财政预算未主动公开 " + uniq(),
        "description": "按规定应在批复后20日内公开，至检查时仍未公开。",
        "rectify_by": "2099-12-31"})
    assert r.status_code == 201, r.content
    fid = r.json()["id"]

    def of(token):
        return [e["type"] for e in read_all(api, h0, token) if e["subject"]["id"] == fid]

    # Unpublished: the unit's staff and supervisors only.
    assert of(supervisor) == ["finding.created"]
    assert of(tokens.mint("clerk", unit=psb)) == ["finding.created"]
    assert of(tokens.mint("clerk", unit=aic)) == []
    assert of(None) == [] and of(tokens.mint("public")) == []
    r = api.post(f"/v1/findings/{fid}/publish", token=supervisor)
    assert r.status_code == 200, r.content
    # Published: its publication is everyone's; its earlier steps stay
    # with those who could read them then.
    assert of(None) == ["finding.published"]
    assert of(tokens.mint("clerk", unit=psb)) == ["finding.created", "finding.published"]
    ev = [e for e in read_all(api, h0) if e["subject"]["id"] == fid][0]
    assert ev["subject"]["href"] == f"/v1/findings/{fid}" and ev["public"] is True
    assert api.get(f"/v1/findings/{fid}").status_code == 200


def test_unchanged_head_answers_304(api, tokens, demo_units, citizen):
    sub, tok = citizen()
    r = api.get("/v1/events?after=0&limit=5", token=tok)
    assert r.status_code == 200
    etag = r.headers["ETag"]
    assert r.headers["Cache-Control"] == "private, no-cache"
    r2 = api.get("/v1/events?after=0&limit=5", token=tok, headers={"If-None-Match": etag})
    assert r2.status_code == 304 and r2.content == b""
    assert r2.headers["ETag"].removeprefix("W/") == etag.removeprefix("W/")
    # The same tag for another query or another caller is not a match.
    r3 = api.get("/v1/events?after=0&limit=6", token=tok, headers={"If-None-Match": etag})
    assert r3.status_code == 200
    r4 = api.get("/v1/events?after=0&limit=5", token=tokens.mint("public"),
                 headers={"If-None-Match": etag})
    assert r4.status_code == 200
    # A change moves the head: the old tag answers 200 with the new events
    # (read at once, whichever worker answers).
    rid = create_request(api, tok, demo_units["PSB"])
    after = r.json()["head"]
    r5 = api.get(f"/v1/events?after={after}&limit=100", token=tok)
    assert r5.status_code == 200
    r6 = api.get("/v1/events?after=0&limit=5", token=tok, headers={"If-None-Match": etag})
    assert r6.status_code == 200
    assert r6.headers["ETag"].removeprefix("W/") != etag.removeprefix("W/")
    assert rid in {e["subject"]["id"] for e in read_all(api, after, tok)}


def statements_of(resp):
    """The database statements the request ran, from its access log line."""
    rid = resp.headers["X-Request-Id"]
    path = os.path.join(var_dir(), "log", "opengov.log")
    for _ in range(60):
        with open(path, encoding="utf-8", errors="replace") as f:
            found = [json.loads(ln) for ln in f if rid in ln and '"access"' in ln]
        if found:
            return found[0]["db_statements"]
        time.sleep(0.1)
    pytest.fail(f"no access log line for {rid}")


def test_polling_an_unchanged_head_runs_no_query(api, env):
    r = api.get("/v1/events?after=0&limit=3")
    assert r.status_code == 200 and statements_of(r) >= 1
    etag = r.headers["ETag"]
    # Every worker answers from the head it holds: after each has read it
    # once, a poll with the tag costs no statement at all.
    polls = [api.get("/v1/events?after=0&limit=3", headers={"If-None-Match": etag})
             for _ in range(12)]
    assert {p.status_code for p in polls} == {304}
    counts = [statements_of(p) for p in polls]
    # One head read per worker at most (one statement), the rest none.
    assert sum(counts) <= int(env.get("OPENGOV_WORKERS", "4")) and counts.count(0) >= 8


def test_paging_is_complete_and_ordered_under_concurrent_writes(api, tokens, demo_units,
                                                               citizen):
    admin = tokens.mint("admin")
    h0 = head(api, admin)
    units = [demo_units["PSB"], demo_units["AIC"]]
    created, errors = [], []

    toks = [citizen()[1] for _ in range(4)]

    def writer(n):
        tok = toks[n]
        for i in range(6):
            try:
                created.append(create_request(api, tok, units[(n + i) % 2]))
            except AssertionError as e:  # pragma: no cover - reported below
                errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    # Read while they write, a few events a page, following the cursor.
    seen, after = [], h0
    while any(t.is_alive() for t in threads):
        r = api.get(f"/v1/events?after={after}&limit=3", token=admin)
        assert r.status_code == 200
        body = r.json()
        seen += body["data"]
        after = body["next_after"]
    for t in threads:
        t.join()
    assert not errors, errors
    seen += read_all(api, after, admin, limit=3)
    seqs = [e["seq"] for e in seen]
    # Strictly increasing and without a hole: an admin sees every event,
    # and no event may commit later with a number already passed.
    assert seqs == list(range(h0 + 1, h0 + 1 + len(seqs)))
    assert set(created) <= {e["subject"]["id"] for e in seen}


def test_link_and_cursor_follow_the_feed(api, tokens):
    admin = tokens.mint("admin")
    h = head(api, admin)
    start = max(0, h - 7)
    r = api.get(f"/v1/events?after={start}&limit=3", token=admin)
    body = r.json()
    assert body["has_more"] is True and body["next_cursor"]
    m = LINK_RE.match(r.headers["Link"])
    assert m
    r2 = api.get(m.group(1), token=admin)
    assert r2.status_code == 200
    r3 = api.get(f"/v1/events?limit=3&cursor={body['next_cursor']}", token=admin)
    assert r2.json()["data"] == r3.json()["data"]
    assert r3.json()["data"][0]["seq"] == body["data"][-1]["seq"] + 1


@pytest.mark.parametrize("query,pointer", [
    ("after=abc", "/query/after"),
    ("after=-1", "/query/after"),
    ("after=1.5", "/query/after"),
    ("after=1234567890123456789", "/query/after"),
    ("limit=0", "/query/limit"),
    ("limit=101", "/query/limit"),
    ("types=request.nothing", "/query/types"),
    ("types=", "/query/types"),
    ("types=item.published,,x", "/query/types"),
    ("cursor=notacursor", "/query/cursor"),
    ("after=1&cursor=MQ", "/query/cursor"),
])
def test_bad_input_is_400(api, query, pointer, unchanged):
    with unchanged():
        r = api.get("/v1/events?" + query)
    assert_problem(r, 400, "bad-request")
    assert pointer in error_pointers(r.json())


def test_a_transaction_of_many_events_is_numbered_once_and_whole(db):
    """sql/029: events are numbered by the first firing of events_number at
    commit, and later firings of the same transaction have nothing to do;
    events inserted after a SET CONSTRAINTS ... IMMEDIATE in the same
    transaction are numbered too. Every event gets a number, consecutive
    within the transaction, none twice."""
    tag = uniq("ev029-")
    db(f"""BEGIN;
        INSERT INTO events (type, subject_kind, subject_id, data)
        SELECT 'item.updated', 'item', gen_random_uuid(), jsonb_build_object('tag', '{tag}', 'i', i)
        FROM generate_series(1, 2000) AS i;
        SET CONSTRAINTS events_number IMMEDIATE;
        INSERT INTO events (type, subject_kind, subject_id, data)
        SELECT 'item.updated', 'item', gen_random_uuid(), jsonb_build_object('tag', '{tag}', 'i', i)
        FROM generate_series(2001, 2010) AS i;
        COMMIT;""")
    rows = db(f"SELECT seq, (data->>'i')::int FROM events WHERE data->>'tag' = '{tag}' ORDER BY id")
    assert len(rows) == 2010
    seqs = [int(s) if s not in (None, "") else None for s, _ in rows]
    assert None not in seqs, "an event of the transaction was left without a number"
    assert seqs == list(range(seqs[0], seqs[0] + 2000)) + seqs[2000:]
    assert seqs[2000:] == list(range(seqs[2000], seqs[2000] + 10))
    assert len(set(seqs)) == 2010
    db(f"DELETE FROM events WHERE data->>'tag' = '{tag}'")


def test_feed_of_one_unit(api, make_unit, tokens):
    """A higher-level portal mirrors one unit's publications (direct
    reporting, docs/catalogue.md): ?unit= keeps that unit's events."""
    a = make_unit(kind="township", code=uniq("EU-"), name="事件单位" + uniq())["id"]
    b = make_unit(kind="township", code=uniq("EV-"), name="事件他乡" + uniq())["id"]
    head = api.get("/v1/events?limit=1").json()["head"]
    ids = {}
    for u in (a, b):
        clerk, approver = tokens.mint("clerk", unit=u), tokens.mint("approver", unit=u)
        r = api.post("/v1/items", token=clerk, json={"kind": "information", "category": "general",
                                                     "title": "事件" + uniq(), "body": "正文。"})
        ids[u] = r.json()["id"]
        api.post(f"/v1/items/{ids[u]}/submit", token=clerk)
        assert api.post(f"/v1/items/{ids[u]}/review", token=approver,
                        json={"decision": "approve"}).status_code == 200
    got = api.get(f"/v1/events?after={head}&unit={a}&types=item.published&limit=100").json()
    assert [e["subject"]["id"] for e in got["data"]] == [ids[a]]
    assert {e["unit_id"] for e in got["data"]} == {a}
    assert_problem(api.get("/v1/events?unit=nope"), 400, "bad-request")
