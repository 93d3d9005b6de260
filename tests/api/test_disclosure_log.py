"""The disclosure log (issue 12, 依申请公开转主动公开): answers to disclosure
requests decided disclosed or partially disclosed, published by an approver
of their unit for anyone to read, never with the applicant; their files, the
other requests that asked the same, the catalogue items made from them.

Who may publish, withdraw, upload, link and make an item (approvers of the
unit; clerks, supervisors and the public 403; another unit's approver 404),
which requests may be published (409 naming why), bad input (422, nothing
changed), anonymity (no applicant data in any public answer, nor in the
audit details), search (Chinese words found, absent ones not), pagination,
a withdrawal seen by every worker at once, files up and down, and the item
made from an entry: a draft linked to the entry's requests, then reviewed.

Every request is made on a unit of this module's own, so lists filtered by
that unit hold only what the module made.
"""

import datetime as dt
import hashlib
import random
import re
import time
import uuid
from types import SimpleNamespace
from urllib.parse import quote, urlencode

import pytest

from conftest import assert_problem, error_pointers, uniq
from test_cache import fan_out
from test_materials import PNG, make_pdf
from test_requests import (act, approval_body, create, decide_body, disclosure_body,
                           make_service_item, paper, walk)
from test_requests import upload as upload_material
# fixtures, used by name
from test_requests import identity_encoding, new_applicant  # noqa: F401

LONG = 7200
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
ENTRY_KEYS = {"id", "unit_id", "unit_name", "request_number", "received_on", "answered_on",
              "outcome", "title", "summary", "answer", "files", "request_count", "requests",
              "status", "version", "published_at", "revised_at", "updated_at"}
LIST_KEYS = ENTRY_KEYS - {"answer", "requests"}
LOG_TABLES = ("disclosure_log", "disclosure_log_versions", "disclosure_log_files",
              "disclosure_log_requests", "disclosure_log_items", "items", "files", "audit_log")


def mint(tokens, role, **claims):
    return tokens.mint(role, exp=int(time.time()) + LONG, **claims)


def make_staff(make_unit, tokens, demo_units):
    """A unit of its own: a clerk, two approvers; a supervisor, an admin, a
    citizen; an approver and a clerk of another unit (AIC)."""
    u = make_unit(kind="municipal_agency", code=uniq("DL-"), name="信息公开目录测试局" + uniq())
    subs = {k: str(uuid.uuid4()) for k in ("clerk", "approver", "approver2")}
    return SimpleNamespace(
        unit=u["id"], unit_name=u["name"], subs=subs, aic=demo_units["AIC"],
        clerk=mint(tokens, "clerk", unit=u["id"], sub=subs["clerk"]),
        approver=mint(tokens, "approver", unit=u["id"], sub=subs["approver"]),
        approver2=mint(tokens, "approver", unit=u["id"], sub=subs["approver2"]),
        supervisor=mint(tokens, "supervisor"), admin=mint(tokens, "admin"),
        public=mint(tokens, "public"),
        other_approver=mint(tokens, "approver", unit=demo_units["AIC"]),
        other_clerk=mint(tokens, "clerk", unit=demo_units["AIC"]))


@pytest.fixture(scope="module")
def st(make_unit, tokens, demo_units):
    return make_staff(make_unit, tokens, demo_units)


@pytest.fixture
def log_unchanged(db):
    """with log_unchanged(): ... asserts that no row of the log, its files,
    links, items or the audit log appeared or changed."""
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in LOG_TABLES) + \
        " UNION ALL SELECT 'rev', coalesce(sum(rev), 0) FROM disclosure_log"

    import contextlib

    @contextlib.contextmanager
    def _unchanged():
        before = db.read(sql)
        yield
        after = db.read(sql)
        assert after == before, f"database changed: before {before}, after {after}"
    return _unchanged


# --------------------------------------------------------------------------
# helpers


SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"


def someone():
    """An applicant whose every detail is unique to this run."""
    rnd = random.Random(uuid.uuid4().int)
    name = rnd.choice(SURNAMES) + "".join(chr(rnd.randint(0x4E00, 0x9FA5)) for _ in range(2))
    digits = "".join(rnd.choice("0123456789") for _ in range(9))
    return {"name": name, "id_number": "110105" + "1987" + digits[:7] + "X",
            "phone": "139" + digits[:8], "email": uniq("ap") + "@example.cn",
            "address": "测试市幸福路" + digits[:4] + "号"}


def recently():
    t = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def decided(api, st, outcome="disclosed", applicant=None):
    """A paper disclosure request of the unit, decided outcome; (request, applicant)."""
    who = applicant or someone()
    body = paper(disclosure_body(st.unit, description="申请公开本单位道路养护经费使用情况。" + uniq()),
                 recently(), **who)
    req = create(api, st.clerk, body)
    extra = {"reason_code": "third_party_rights"} if outcome == "partially_disclosed" else {}
    act(api, st.approver, req["id"], decide_body("disclosure", outcome=outcome, **extra))
    return req, who


def text(**over):
    body = {"title": "本单位2025年度道路养护经费使用情况",
            "summary": "养护经费的预算与决算。",
            "answer": "经查，本单位2025年度道路养护经费预算500万元，决算486万元，明细见附件。"}
    body.update(over)
    return body


def publish(api, tok, rid, status=201, **over):
    r = api.post(f"/v1/requests/{rid}/publication", token=tok, json=text(**over))
    assert r.status_code == status, r.content
    return r


def published(api, st, outcome="disclosed", **over):
    """A decided request published in the log: (entry, request, applicant)."""
    req, who = decided(api, st, outcome)
    r = publish(api, st.approver, req["id"], **over)
    return r.json(), req, who


def entry_ids(api, tok=None, **params):
    qs = urlencode(dict(limit=100, **params))
    return [e["id"] for e in walk(api, "/v1/disclosure-log?" + qs, tok)]


def upload(api, tok, eid, data, filename, ctype="application/pdf", status=201):
    r = api.post(f"/v1/disclosure-log/{eid}/files", token=tok, params={"filename": filename},
                 data=data, headers={"Content-Type": ctype})
    assert r.status_code == status, r.content
    return r


# --------------------------------------------------------------------------
# publication


def test_publish_and_read(api, st, db):
    req, _ = decided(api, st)
    r = publish(api, st.approver, req["id"])
    e = r.json()
    assert r.headers["Location"] == "/v1/disclosure-log/" + e["id"]
    assert r.headers["Cache-Control"] == "private, no-cache"
    assert set(e) == ENTRY_KEYS | {"workflow"}
    assert e["unit_id"] == st.unit and e["unit_name"] == st.unit_name
    assert e["request_number"] == req["number"] and e["outcome"] == "disclosed"
    assert e["status"] == "published" and e["version"] == 1 and e["files"] == []
    assert e["title"] == text()["title"] and e["answer"] == text()["answer"]
    assert e["summary"] == text()["summary"]
    received = dt.datetime.fromisoformat(req["received_at"].replace("Z", "+00:00"))
    assert e["received_on"] == received.astimezone(SHANGHAI).date().isoformat()
    assert e["answered_on"] == dt.datetime.now(SHANGHAI).date().isoformat()
    assert e["request_count"] == 1
    assert e["requests"] == [{"number": req["number"], "received_on": e["received_on"],
                              "answered_on": e["answered_on"], "outcome": "disclosed"}]
    wf = e["workflow"]
    assert wf["request_id"] == req["id"] and wf["request_ids"] == [req["id"]]
    assert wf["published_by"] == st.subs["approver"] and wf["item_ids"] == []
    etag = r.headers["ETag"]

    # anonymous: the same entry without the workflow, cacheable, 304
    g = api.get(r.headers["Location"])
    assert g.status_code == 200 and g.headers["ETag"] == etag
    assert g.headers["Cache-Control"] == "public, max-age=60"
    assert g.json() == {k: v for k, v in e.items() if k != "workflow"}
    assert api.get(r.headers["Location"], headers={"If-None-Match": etag}).status_code == 304
    # public token: the same, private
    g = api.get(r.headers["Location"], token=st.public)
    assert g.headers["Cache-Control"] == "private, no-cache" and "workflow" not in g.json()
    # the unit's clerk, a supervisor: with the workflow
    for tok in (st.clerk, st.supervisor):
        assert api.get(r.headers["Location"], token=tok).json()["workflow"] == wf
    # in the list, without the answer and the requests
    page = api.get("/v1/disclosure-log", params={"unit": st.unit, "limit": 100})
    assert page.headers["Cache-Control"] == "public, max-age=30"
    mine = [x for x in page.json()["data"] if x["id"] == e["id"]]
    assert len(mine) == 1 and set(mine[0]) == LIST_KEYS

    # recorded: the version's text and the audit entry, without the applicant
    assert db(f"SELECT version, title FROM disclosure_log_versions WHERE entry_id = '{e['id']}'") \
        == [["1", text()["title"]]]
    a = api.get("/v1/audit", token=st.supervisor,
                params={"entity": "disclosure_log", "entity_id": e["id"]}).json()["data"]
    assert [x["action"] for x in a] == ["disclosure_log.publish"]
    assert a[0]["detail"] == {"request_id": req["id"], "number": req["number"], "version": 1}


def test_partially_disclosed_is_published(api, st):
    e, _, _ = published(api, st, "partially_disclosed")
    assert e["outcome"] == "partially_disclosed"


def test_roles(api, st, log_unchanged):
    req, _ = decided(api, st)
    path = f"/v1/requests/{req['id']}/publication"
    with log_unchanged():
        for tok in (st.clerk, st.supervisor, st.admin, st.public):
            assert_problem(api.post(path, token=tok, json=text()), 403, "forbidden")
        assert_problem(api.post(path, json=text()), 401, "unauthorized")
        # another unit's approver does not see the request
        assert_problem(api.post(path, token=st.other_approver, json=text()), 404, "not-found")
    e = publish(api, st.approver, req["id"]).json()
    base = f"/v1/disclosure-log/{e['id']}"
    writes = [("withdraw", {"json": {"reason": "测试。"}}),
              ("files", {"params": {"filename": "a.pdf"}, "data": make_pdf(),
                         "headers": {"Content-Type": "application/pdf"}}),
              ("item", {"json": {}}),
              ("requests", {"json": {"request_ids": [req["id"]]}})]
    with log_unchanged():
        for sub, kw in writes:
            for tok in (st.clerk, st.supervisor, st.admin, st.public):
                assert_problem(api.post(f"{base}/{sub}", token=tok, **kw), 403, "forbidden")
            assert_problem(api.post(f"{base}/{sub}", **kw), 401, "unauthorized")
            assert_problem(api.post(f"{base}/{sub}", token=st.other_approver, **kw), 404,
                           "not-found")
            assert_problem(api.post(f"/v1/disclosure-log/{uuid.uuid4()}/{sub}", token=st.approver,
                                    **kw), 404, "not-found")
    # the other unit's staff still read the public entry
    assert api.get(base, token=st.other_clerk).status_code == 200


def test_only_decided_disclosures_that_disclosed(api, st, new_applicant, db, log_unchanged):
    submitted = create(api, st.clerk, paper(disclosure_body(st.unit), recently(), **someone()))
    withheld, _ = decided(api, st, "not_held")
    item = make_service_item(api, st)
    applicant = new_applicant()
    approval = create(api, applicant.token, approval_body(item["id"]))
    upload_material(api, db, applicant.token, approval["id"], "ID")
    act(api, st.clerk, approval["id"], {"action": "accept", "comment": "受理。"})
    act(api, st.approver, approval["id"], decide_body("approval"))
    cases = [(submitted, "not_decided", "submitted", None, "submitted"),
             (withheld, "not_disclosed", "decided", "not_held", "not_held"),
             (approval, "not_disclosure", "decided", "approved", "service item")]
    with log_unchanged():
        for req, reason, status, outcome, words in cases:
            r = api.post(f"/v1/requests/{req['id']}/publication", token=st.approver, json=text())
            doc = assert_problem(r, 409, "conflict")
            assert doc["reason"] == reason and doc["current_status"] == status, doc
            assert doc["outcome"] == outcome and words in doc["detail"], doc


def test_bad_input_changes_nothing(api, st, log_unchanged):
    req, who = decided(api, st)
    path = f"/v1/requests/{req['id']}/publication"
    bad = [({"answer": "答复。"}, ["/title"]),
           ({"title": "标题"}, ["/answer"]),
           ({"title": "", "answer": "答复。"}, ["/title"]),
           ({"title": "题" * 301, "answer": "答复。"}, ["/title"]),
           ({"title": "标题", "answer": "答" * 20001}, ["/answer"]),
           ({"title": "标题", "answer": "答复。", "summary": "概" * 2001}, ["/summary"]),
           ({"title": 5, "answer": "答复。"}, ["/title"]),
           ({"title": "标题", "answer": "答复。", "applicant": "x"}, ["/applicant"]),
           # the applicant, named in the text
           (text(title="关于" + who["name"] + "申请的答复"), ["/title"]),
           (text(answer="经查，" + who["id_number"] + "号申请人的……"), ["/answer"]),
           (text(summary="联系电话" + who["phone"]), ["/summary"]),
           (text(answer="寄至" + who["address"] + "。"), ["/answer"]),
           (text(answer="邮件" + who["email"].upper()), ["/answer"])]
    with log_unchanged():
        for body, pointers in bad:
            doc = assert_problem(api.post(path, token=st.approver, json=body), 422, "validation")
            assert error_pointers(doc) == pointers, (body, doc)
        assert_problem(api.post(path, token=st.approver, data="{", headers={
            "Content-Type": "application/json"}), 400)
        assert_problem(api.post(path, token=st.approver, data="x", headers={
            "Content-Type": "text/plain"}), 415)
    e = publish(api, st.approver, req["id"]).json()
    base = f"/v1/disclosure-log/{e['id']}"
    with log_unchanged():
        for sub, body, pointer in [("withdraw", {}, "/reason"), ("withdraw", {"reason": ""}, "/reason"),
                                   ("item", {"category": "service"}, "/category"),
                                   ("item", {"kind": "service"}, "/kind"),
                                   ("requests", {}, "/request_ids"),
                                   ("requests", {"request_ids": []}, "/request_ids"),
                                   ("requests", {"request_ids": ["x"]}, "/request_ids/0"),
                                   ("requests", {"request_ids": [req["id"], req["id"].upper()]},
                                    "/request_ids/1"),
                                   ("requests", {"request_ids": [str(uuid.uuid4())
                                                                 for _ in range(21)]},
                                    "/request_ids")]:
            doc = assert_problem(api.post(f"{base}/{sub}", token=st.approver, json=body), 422,
                                 "validation")
            assert pointer in error_pointers(doc), (sub, body, doc)
        for data, name, status in [(b"", "a.pdf", 422), (b"<html></html>", "a.pdf", 415),
                                   (PNG, "a.pdf", 422), (make_pdf(), "a/b.pdf", 400),
                                   (make_pdf(), who["name"] + "的答复.pdf", 422)]:
            r = api.post(f"{base}/files", token=st.approver, params={"filename": name}, data=data,
                         headers={"Content-Type": "application/octet-stream"})
            assert_problem(r, status)


# --------------------------------------------------------------------------
# anonymity


def test_no_public_answer_names_the_applicant(api, st, new_applicant, db):
    """Every answer the public can get about an entry (the list, searches,
    the entry, its files, 304s and 404s, their headers) is searched for every
    detail of its applicants: a paper applicant's name, ID number, phone,
    email and address, an online applicant's account and name."""
    e, req, who = published(api, st)
    online = new_applicant()
    oreq = create(api, online.token, disclosure_body(st.unit))
    act(api, st.approver, oreq["id"], decide_body("disclosure"))
    r = api.post(f"/v1/disclosure-log/{e['id']}/requests", token=st.approver,
                 json={"request_ids": [oreq["id"]]})
    assert r.status_code == 200 and r.json()["request_count"] == 2
    fid = upload(api, st.approver, e["id"], make_pdf("reply"), "答复书.pdf").json()["id"]
    secrets = [who["name"], who["id_number"], who["phone"], who["email"], who["address"],
               online.id, online.account["username"], req["id"], oreq["id"]]
    base = f"/v1/disclosure-log/{e['id']}"
    answers = []
    for tok in (None, st.public):
        answers += [api.get("/v1/disclosure-log", token=tok),
                    api.get("/v1/disclosure-log", token=tok, params={"unit": st.unit, "limit": 1}),
                    api.get("/v1/disclosure-log", token=tok, params={"q": "养护经费"}),
                    api.get(base, token=tok), api.get(base + "/files/" + fid + "/content", token=tok),
                    api.get(f"/v1/disclosure-log/{uuid.uuid4()}", token=tok)]
        etag = answers[-3].headers["ETag"]
        answers.append(api.get(base, token=tok, headers={"If-None-Match": etag}))
        for s in secrets[:5]:
            found = api.get("/v1/disclosure-log", token=tok, params={"q": s})
            assert found.json()["data"] == [], s
            answers.append(found)
    assert {a.status_code for a in answers} == {200, 304, 404}
    for a in answers:
        blob = a.content.decode("latin-1") + str(a.headers)
        blob_u = a.content.decode("utf-8", "replace") + str(a.headers)
        for s in secrets:
            assert s not in blob_u and s not in blob, (s, a.request.url)
            assert quote(s) not in blob, (s, a.request.url)
    # nor in the audit details of the log (supervisors read them)
    audit = api.get("/v1/audit", token=st.supervisor,
                    params={"entity": "disclosure_log", "entity_id": e["id"]}).json()["data"]
    assert len(audit) == 3
    details = str([x["detail"] for x in audit])
    for s in secrets[:7]:
        assert s not in details
    # and the text of a linked request's applicant is refused too
    r = api.post(f"/v1/requests/{req['id']}/publication", token=st.approver,
                 json=text(answer="经查，" + online.account["username"] + "申请的信息如下。"))
    assert error_pointers(assert_problem(r, 422, "validation")) == ["/answer"]


# --------------------------------------------------------------------------
# search and pagination


@pytest.fixture(scope="module")
def corpus(api, make_unit, tokens, demo_units):
    """Three entries of a unit of their own."""
    st = make_staff(make_unit, tokens, demo_units)
    word = "".join(chr(0x4E00 + (uuid.uuid4().int >> k) % 20000) for k in (0, 16, 32))
    mark = uniq("Q").upper()
    entries = {}
    for key, body in {
        "green": text(title="城市绿化养护经费的答复" + word, summary=None,
                      answer="经查，行道树修剪费用为12万元。"),
        "bus": text(title="公交线路调整情况" + word, summary="涉及" + mark + "号线路。",
                    answer="经查，2025年调整公交线路5条。"),
        "school": text(title="学校建设项目" + word, summary=None,
                       answer="经查，新建学校2所，扩建绿地3处。"),
    }.items():
        req, _ = decided(api, st)
        entries[key] = publish(api, st.approver, req["id"], **body).json()["id"]
    return SimpleNamespace(unit=st.unit, word=word, mark=mark, **entries)


@pytest.mark.parametrize("q, want", [
    ("绿化", ["green"]),            # in a title
    ("养护经费", ["green"]),        # four characters
    ("行道树", ["green"]),          # in an answer only
    ("公交线路", ["bus"]),          # in the title and the answer
    ("绿", ["school", "green"]),    # one character: 绿化 and 绿地
    ("经查", ["school", "bus", "green"]),
    ("地铁", []),                   # absent
    ("绿化经费", []),               # its bigrams are there, the word is not
    ("行道 树", []),
])
def test_search(api, corpus, q, want):
    got = entry_ids(api, None, unit=corpus.unit, q=q)
    assert got == [getattr(corpus, k) for k in want]


@pytest.mark.parametrize("q", ["a", "%", "a b", "l R", "_", " x "])
def test_search_without_an_indexable_token_400(api, corpus, q):
    """Like the catalogue's: a query the bigram index cannot narrow (no two
    adjacent non-space characters, no non-ASCII character) would read every
    entry of the log, so it is refused, from the cache or not (issue 13)."""
    for headers in ({"Cache-Control": "no-cache"}, {}):
        r = api.get("/v1/disclosure-log?" + urlencode({"q": q}), headers=headers)
        doc = assert_problem(r, 400, "bad-request")
        assert error_pointers(doc) == ["/query/q"], doc
        assert "two characters in a row" in doc["errors"][0]["message"], doc


def test_search_across_the_log(api, st, corpus):
    got = entry_ids(api, None, q="学校建设项目" + corpus.word)
    assert got == [corpus.school]
    # ASCII: case-insensitive
    assert entry_ids(api, None, q=corpus.mark.lower()) == [corpus.bus]
    assert entry_ids(api, st.supervisor, q=corpus.mark) == [corpus.bus]
    r = api.get("/v1/disclosure-log", params={"q": "x" * 101})
    assert error_pointers(assert_problem(r, 400, "bad-request")) == ["/query/q"]


def test_pagination_and_filters(api, st, corpus):
    for _ in range(3):
        published(api, st)
    first = entry_ids(api, None, unit=st.unit)
    items = walk(api, "/v1/disclosure-log?" + urlencode({"unit": st.unit, "limit": 2}), None)
    assert [x["id"] for x in items] == first and len(first) == len(set(first)) >= 3
    times = [x["published_at"] for x in items]  # whole seconds: ties go by microseconds
    assert times == sorted(times, reverse=True)
    assert entry_ids(api, st.supervisor, unit=st.unit, status="published") == first
    # a search pages the same way
    q = walk(api, "/v1/disclosure-log?" + urlencode({"unit": corpus.unit, "q": "经查", "limit": 1}),
             None)
    assert [x["id"] for x in q] == [corpus.school, corpus.bus, corpus.green]
    # published dates
    today = dt.datetime.now(SHANGHAI).date()
    assert entry_ids(api, None, unit=st.unit, **{"from": today.isoformat()}) == first
    assert entry_ids(api, None, unit=st.unit, to=(today - dt.timedelta(days=1)).isoformat()) == []
    for bad in ("from=2026-13-01", "to=yesterday", "unit=x", "status=draft", "cursor=abc",
                "limit=0", "limit=101"):
        assert_problem(api.get("/v1/disclosure-log?" + bad), 400, "bad-request")


# --------------------------------------------------------------------------
# withdrawal, republication, the workers' cache


def test_withdraw_is_seen_by_every_worker_at_once(api, st, db):
    e, req, _ = published(api, st, title="撤回测试" + uniq())
    entry = f"/v1/disclosure-log/{e['id']}"
    page = "/v1/disclosure-log?" + urlencode({"unit": st.unit, "limit": 100})
    search = "/v1/disclosure-log?" + urlencode({"q": e["title"]})
    for path in (page, search):
        got = fan_out(path)
        assert all(s == 200 and e["id"] in [x["id"] for x in b["data"]] for s, _, _, b in got)
    assert {s for s, _, _, _ in fan_out(entry)} == {200}

    r = api.post(entry + "/withdraw", token=st.approver, json={"reason": "附件有误，撤回。"})
    assert r.status_code == 200, r.content
    w = r.json()
    assert w["status"] == "withdrawn" and w["workflow"]["withdraw_reason"] == "附件有误，撤回。"
    assert w["workflow"]["withdrawn_by"] == st.subs["approver"]
    # gone at once from every worker, for anonymous and public callers
    for path in (page, search):
        for tok in (None, st.public):
            got = fan_out(path, token=tok)
            assert all(s == 200 and e["id"] not in [x["id"] for x in b["data"]]
                       for s, _, _, b in got), path
    assert {s for s, _, _, _ in fan_out(entry)} == {404}
    assert e["id"] not in entry_ids(api, None, status="withdrawn", unit=st.unit)
    # the unit's staff and supervisors still read it
    assert api.get(entry, token=st.clerk).json()["status"] == "withdrawn"
    assert e["id"] in entry_ids(api, st.supervisor, unit=st.unit, status="withdrawn")
    assert e["id"] not in entry_ids(api, st.other_approver, unit=st.unit)
    # a second withdrawal: 409 with what may be done
    doc = assert_problem(api.post(entry + "/withdraw", token=st.approver,
                                  json={"reason": "再次。"}), 409, "conflict")
    assert doc["current_status"] == "withdrawn" and doc["allowed_actions"] == ["publish"]
    for sub, kw in [("item", {"json": {}}), ("requests", {"json": {"request_ids": [req["id"]]}}),
                    ("files", {"params": {"filename": "a.pdf"}, "data": make_pdf()})]:
        doc = assert_problem(api.post(f"{entry}/{sub}", token=st.approver, **kw), 409, "conflict")
        assert doc["current_status"] == "withdrawn"

    # published again: the next version, back for every worker
    r = publish(api, st.approver, req["id"], status=200, title=e["title"] + "（更正）")
    assert r.headers["Content-Location"] == entry
    again = r.json()
    assert again["status"] == "published" and again["version"] == 2
    assert again["published_at"] == e["published_at"] and again["revised_at"] >= e["revised_at"]
    assert again["workflow"]["withdrawn_at"] is None
    got = fan_out(entry)
    assert {s for s, _, _, _ in got} == {200}
    assert {b["title"] for _, _, _, b in got} == {e["title"] + "（更正）"}
    assert db(f"SELECT version FROM disclosure_log_versions WHERE entry_id = '{e['id']}'"
              " ORDER BY version") == [["1"], ["2"]]
    acts = [x["action"] for x in reversed(api.get("/v1/audit", token=st.supervisor, params={
        "entity": "disclosure_log", "entity_id": e["id"]}).json()["data"])]
    assert acts == ["disclosure_log.publish", "disclosure_log.withdraw",
                    "disclosure_log.republish"]


# --------------------------------------------------------------------------
# files


def test_files_up_and_down(api, st):
    e, req, _ = published(api, st)
    base = f"/v1/disclosure-log/{e['id']}"
    pdf = make_pdf("disclosed statistics")
    r = upload(api, st.approver, e["id"], pdf, "2025年经费决算表.pdf")
    f = r.json()
    assert f["entry_id"] == e["id"] and f["version"] == 1 and f["size"] == len(pdf)
    assert f["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert r.headers["ETag"] == f'"{f["sha256"]}"'
    assert r.headers["Location"] == f"{base}/files/{f['id']}/content"
    p = upload(api, st.approver, e["id"], PNG, "scan.PNG", "application/octet-stream").json()
    assert p["content_type"] == "image/png"

    entry = api.get(base).json()
    assert [x["id"] for x in entry["files"]] == [f["id"], p["id"]]
    assert entry["files"][0] == {k: f[k] for k in ("id", "filename", "content_type", "size",
                                                   "sha256", "uploaded_at")}
    # anyone downloads them, byte for byte, as attachments never sniffed
    for tok in (None, st.public, st.other_clerk):
        d = api.get(r.headers["Location"], token=tok)
        assert d.status_code == 200 and d.content == pdf
        assert d.headers["Content-Type"] == "application/pdf"
        assert d.headers["X-Content-Type-Options"] == "nosniff"
        assert d.headers["Content-Disposition"].startswith("attachment;")
        assert quote("2025年经费决算表.pdf", safe="") in d.headers["Content-Disposition"]
    assert api.get(r.headers["Location"], headers={"If-None-Match": r.headers["ETag"]}
                   ).status_code == 304
    d = api.get(f"{base}/files/{p['id']}/content")
    assert d.content == PNG and d.headers["Content-Type"] == "image/png"
    # a file of another entry, or none
    other, _, _ = published(api, st)
    assert_problem(api.get(f"/v1/disclosure-log/{other['id']}/files/{f['id']}/content"), 404)
    assert_problem(api.get(f"{base}/files/{uuid.uuid4()}/content"), 404)
    assert_problem(api.get(f"{base}/files/not-a-uuid/content"), 404)

    # a new version leaves the old files to the unit's staff
    v2 = publish(api, st.approver, req["id"], status=200).json()
    assert v2["version"] == 2 and v2["files"] == []
    assert_problem(api.get(r.headers["Location"]), 404)
    assert api.get(r.headers["Location"], token=st.clerk).content == pdf
    n = upload(api, st.approver, e["id"], make_pdf("v2"), "v2.pdf").json()
    assert n["version"] == 2
    assert [x["id"] for x in api.get(base).json()["files"]] == [n["id"]]
    # 20 files a version at most
    etag = api.get(base).headers["ETag"]
    for i in range(19):
        upload(api, st.approver, e["id"], make_pdf(f"page {i}"), f"p{i}.pdf")
    assert api.get(base).headers["ETag"] != etag
    doc = assert_problem(api.post(f"{base}/files", token=st.approver, params={"filename": "x.pdf"},
                                  data=make_pdf("one more")), 409, "conflict")
    assert doc["current_status"] == "published" and "20 files" in doc["detail"]
    # withdrawn: the files are gone for the public too
    api.post(base + "/withdraw", token=st.approver, json={"reason": "撤回。"})
    assert_problem(api.get(f"{base}/files/{n['id']}/content"), 404)
    assert api.get(f"{base}/files/{n['id']}/content", token=st.supervisor).status_code == 200


# --------------------------------------------------------------------------
# other requests, and the catalogue item


def test_link_other_requests(api, st, log_unchanged):
    e, req, who = published(api, st)
    base = f"/v1/disclosure-log/{e['id']}"
    same1, _ = decided(api, st)
    same2, _ = decided(api, st, "partially_disclosed")
    r = api.post(base + "/requests", token=st.approver,
                 json={"request_ids": [same1["id"], same2["id"].upper()]})
    assert r.status_code == 200, r.content
    got = r.json()
    assert got["request_count"] == 3 and r.headers["Content-Location"] == base
    assert {x["number"] for x in got["requests"]} == {req["number"], same1["number"],
                                                      same2["number"]}
    assert got["workflow"]["request_ids"] == [req["id"], same1["id"], same2["id"]]
    # again: nothing new, nothing written
    with log_unchanged():
        again = api.post(base + "/requests", token=st.approver, json={"request_ids": [same1["id"]]})
        assert again.status_code == 200 and again.headers["ETag"] == r.headers["ETag"]
    # a linked request is answered here: not published on its own
    doc = assert_problem(api.post(f"/v1/requests/{same1['id']}/publication", token=st.approver,
                                  json=text()), 409, "conflict")
    assert doc["reason"] == "answered_elsewhere" and e["id"] in doc["detail"]

    # what cannot be linked, each named; nothing is linked
    submitted = create(api, st.clerk, paper(disclosure_body(st.unit), recently(), **someone()))
    refused, _ = decided(api, st, "not_held")
    elsewhere, _, _ = published(api, st)
    named = someone()
    named["name"] = "经查"  # the entry's answer holds these two characters
    named_req, _ = decided(api, st, applicant=named)
    ok, _ = decided(api, st)
    ids = [ok["id"], submitted["id"], refused["id"], elsewhere["workflow"]["request_id"],
           str(uuid.uuid4()), named_req["id"]]
    with log_unchanged():
        doc = assert_problem(api.post(base + "/requests", token=st.approver,
                                      json={"request_ids": ids}), 422, "validation")
    msgs = {x["pointer"]: x["message"] for x in doc["errors"]}
    assert set(msgs) == {"/request_ids/1", "/request_ids/2", "/request_ids/3", "/request_ids/4",
                         "/request_ids/5"}, msgs
    assert "submitted" in msgs["/request_ids/1"] and "not_held" in msgs["/request_ids/2"]
    assert elsewhere["id"] in msgs["/request_ids/3"]
    assert msgs["/request_ids/4"] == "is not a request of this unit"
    assert "applicant" in msgs["/request_ids/5"]
    # another unit's request reads as none
    other_req = create(api, st.other_clerk, paper(disclosure_body(st.aic), recently(),
                                                  **someone()))
    doc = assert_problem(api.post(base + "/requests", token=st.approver,
                                  json={"request_ids": [other_req["id"]]}), 422)
    assert doc["errors"] == [{"pointer": "/request_ids/0", "code": "not_a_unit_request",
                              "message": "is not a request of this unit"}]


def test_item_made_from_an_entry(api, st, db):
    e, req, _ = published(api, st)
    base = f"/v1/disclosure-log/{e['id']}"
    same, _ = decided(api, st)
    assert api.post(base + "/requests", token=st.approver,
                    json={"request_ids": [same["id"]]}).status_code == 200
    r = api.post(base + "/item", token=st.approver, json={})
    assert r.status_code == 201, r.content
    item = r.json()
    assert r.headers["Location"] == "/v1/items/" + item["id"] and r.headers["ETag"] == '"1"'
    assert item["kind"] == "information" and item["status"] == "draft"
    assert item["category"] == "general" and item["unit_id"] == st.unit
    assert item["title"] == e["title"] and item["summary"] == e["summary"]
    assert item["body"] == e["answer"] and item["document_number"] is None
    assert item["workflow"]["created_by"] == st.subs["approver"]
    # linked to the entry, and through it to both requests
    assert db(f"SELECT l.request_id FROM disclosure_log_items i JOIN disclosure_log_requests l"
              f" USING (entry_id) WHERE i.item_id = '{item['id']}' ORDER BY l.linked_at") == \
        [[req["id"]], [same["id"]]]
    assert api.get(base, token=st.clerk).json()["workflow"]["item_ids"] == [item["id"]]
    assert "workflow" not in api.get(base).json()
    # a draft: not public yet
    assert_problem(api.get("/v1/items/" + item["id"]), 404)
    # one at a time
    doc = assert_problem(api.post(base + "/item", token=st.approver, json={"category": "financial"}),
                         409, "conflict")
    assert doc["item_id"] == item["id"] and doc["current_status"] == "published"
    # the catalogue's review: submitted, approved by another approver, public
    assert api.post(f"/v1/items/{item['id']}/submit", token=st.approver).status_code == 200
    assert_problem(api.post(f"/v1/items/{item['id']}/review", token=st.approver,
                            json={"decision": "approve"}), 403)
    r = api.post(f"/v1/items/{item['id']}/review", token=st.approver2, json={"decision": "approve"})
    assert r.status_code == 200 and r.json()["status"] == "published"
    assert api.get("/v1/items/" + item["id"]).status_code == 200
    acts = [x["action"] for x in api.get("/v1/audit", token=st.supervisor, params={
        "entity": "item", "entity_id": item["id"]}).json()["data"]]
    assert acts == ["item.publish", "item.submit", "item.create"]
    # withdrawn from the catalogue: the entry may be made into an item again
    assert api.post(f"/v1/items/{item['id']}/withdraw", token=st.approver,
                    json={"reason": "合并到年度报告。"}).status_code == 200
    r = api.post(base + "/item", token=st.approver, json={"category": "financial"})
    assert r.status_code == 201 and r.json()["category"] == "financial"
    assert api.get(base, token=st.approver).json()["workflow"]["item_ids"] == \
        [item["id"], r.json()["id"]]


def test_entry_etag_follows_the_unit_name(api, st, admin):
    e, _, _ = published(api, st)
    path = f"/v1/disclosure-log/{e['id']}"
    g = api.get(path)
    etag = g.headers["ETag"]
    assert re.fullmatch(r'"\d+\.\d+"', etag)
    unit = api.get(f"/v1/units/{st.unit}")
    name = "信息公开目录测试局（更名）" + uniq()
    r = api.patch(f"/v1/units/{st.unit}", token=admin, json={"name": name},
                  headers={"If-Match": unit.headers["ETag"]})
    assert r.status_code == 200, r.content
    st.unit_name = name
    g2 = api.get(path, headers={"If-None-Match": etag})
    assert g2.status_code == 200 and g2.json()["unit_name"] == name
    assert g2.headers["ETag"] != etag
