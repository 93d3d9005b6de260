"""Supervision findings (issue 6): the life cycle (open, rectification
submitted, closed or open again, published), who may do what and who sees
what, filters and keyset pagination, Idempotency-Key, bad input that changes
nothing, the audit trail, and the evidence files a unit attaches to its
rectification report.

Every finding this module records is on a unit made for the module (or for
the test), so lists filtered by that unit hold only rows the test made.
Wire contract: docs/wire.md and docs/lifecycle.md; shapes: openapi.yaml (checked on every
answer by the `api` fixture).
"""

import datetime as dt
import hashlib
import json
import re
import struct
import time
import uuid
import zlib
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from conftest import assert_problem, error_pointers, uniq

TZ = ZoneInfo("Asia/Shanghai")
LONG = 7200  # lifetime of this module's tokens
MAX = 10 * 1024 * 1024
LINK_RE = re.compile(r'^<([^>]+)>; *rel="next"$')

PUBLIC_KEYS = {"id", "source", "unit_id", "request_id", "item_id", "category", "severity",
               "title", "description", "rectify_by", "status", "rectification",
               "rectified_at", "closed_at", "escalated_at", "published_at", "created_at", "report_year",
               "updated_at", "published"}
INTERNAL_KEYS = {"rule", "rectifications", "verification_comment", "verified_at",
                 "created_by", "created_role", "version", "evidence", "allowed_actions"}
EVIDENCE_KEYS = {"id", "finding_id", "filename", "content_type", "size", "sha256",
                 "uploaded_at", "uploaded_by"}

# What each (status, published) allows, whoever may take it (status_actions
# in api/findings.c: the 409 names them all; the finding's own allowed_actions is the caller's).
ALLOWED = {
    ("open", False): {"rectification", "publish"},
    ("open", True): {"rectification"},
    ("rectification_submitted", False): {"verification", "publish"},
    ("rectification_submitted", True): {"verification"},
    ("closed", False): {"publish"},
    ("closed", True): set(),
}
STATES = list(ALLOWED)


# --------------------------------------------------------------------------
# real files, built here (the server checks their structure)


def make_pdf(text="opengov evidence", pad=0):
    """A one-page PDF: header, objects, a cross-reference table whose entries
    are the objects' byte offsets, trailer, startxref with the offset of the
    xref table, %%EOF. pad adds a comment line of pad + 2 bytes."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>"]
    stream = b"BT /F1 14 Tf 20 100 Td (" + text.encode() + b") Tj ET"
    objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    if pad:
        out += b"%" + b"p" * pad + b"\n"
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1, xref)
    return out


def make_pdf_of_size(size):
    """A valid PDF of exactly size bytes."""
    pad = size - len(make_pdf()) - 2
    for _ in range(5):  # startxref may gain a digit
        data = make_pdf(pad=pad)
        if len(data) == size:
            return data
        pad += size - len(data)
    raise AssertionError("could not hit the size")


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))


def make_png():
    raw = b"".join(b"\x00" + bytes((10, 120, 200)) * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n"
            + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(raw))
            + png_chunk(b"IEND", b""))


def jpeg_segment(marker, payload):
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def make_jpeg():
    return (b"\xff\xd8"
            + jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
            + jpeg_segment(0xDB, b"\x00" + bytes([1] * 64))
            + jpeg_segment(0xC0, b"\x08" + struct.pack(">HH", 8, 8) + b"\x01\x01\x11\x00")
            + jpeg_segment(0xC4, b"\x00" + bytes([1] + [0] * 15) + b"\x00")
            + jpeg_segment(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00")
            + jpeg_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
            + b"\x3f"
            + b"\xff\xd9")


PDF = make_pdf()
PNG = make_png()
JPEG = make_jpeg()


# --------------------------------------------------------------------------
# helpers


def today():
    return dt.datetime.now(TZ).date()


def mint(tokens, role, **claims):
    return tokens.mint(role, exp=int(time.time()) + LONG, **claims)


def finding_body(unit, **over):
    body = {"source": "inspection", "unit_id": unit, "category": "disclosure_gap",
            "severity": "yellow", "title": "2025年度财政预算未主动公开 " + uniq(),
            "description": "按规定应在批复后20日内公开，至检查时仍未公开。",
            "rectify_by": (today() + dt.timedelta(days=30)).isoformat()}
    body.update(over)
    return body


def etag_of(doc):
    return f'"{doc["version"]}"'


def check_internal(doc):
    assert set(doc) == PUBLIC_KEYS | INTERNAL_KEYS, set(doc) ^ (PUBLIC_KEYS | INTERNAL_KEYS)
    assert doc["published"] == (doc["published_at"] is not None)


def check_public(doc):
    assert set(doc) == PUBLIC_KEYS, set(doc) ^ PUBLIC_KEYS
    assert doc["published"] is True and doc["published_at"] is not None


def create(api, tok, body, headers=None):
    r = api.post("/v1/findings", token=tok, json=body, headers=headers)
    assert r.status_code == 201, r.content
    doc = r.json()
    assert r.headers["Location"] == "/v1/findings/" + doc["id"]
    assert r.headers["ETag"] == etag_of(doc)
    check_internal(doc)
    return doc


def get(api, tok, fid):
    r = api.get(f"/v1/findings/{fid}", token=tok)
    assert r.status_code == 200, r.content
    doc = r.json()
    if "version" in doc:
        assert r.headers["ETag"] == etag_of(doc)
    return doc


def step(api, tok, fid, action, body=None):
    """rectification / verification / publish that must succeed."""
    kw = {} if action == "publish" else {"json": body}
    r = api.post(f"/v1/findings/{fid}/{action}", token=tok, **kw)
    assert r.status_code == 200, r.content
    doc = r.json()
    assert doc["id"] == fid
    assert r.headers["Content-Location"] == "/v1/findings/" + fid
    assert r.headers["ETag"] == etag_of(doc)
    check_internal(doc)
    return doc


def rectify(api, tok, fid, description="已整改：已在门户网站主动公开。", evidence_ids=None):
    body = {"description": description}
    if evidence_ids is not None:
        body["evidence_ids"] = evidence_ids
    return step(api, tok, fid, "rectification", body)


def verify(api, tok, fid, accepted=True, comment=None):
    body = {"accepted": accepted}
    if comment is not None:
        body["comment"] = comment
    return step(api, tok, fid, "verification", body)


def publish(api, tok, fid):
    return step(api, tok, fid, "publish")


def upload(api, tok, fid, data, filename="整改报告.pdf", content_type="application/pdf"):
    headers = {"Content-Type": content_type} if content_type else {}
    params = {} if filename is None else {"filename": filename}
    return api.post(f"/v1/findings/{fid}/evidence", token=tok, params=params, data=data,
                    headers=headers)


def uploaded(api, tok, fid, data=PDF, filename="整改报告.pdf", content_type="application/pdf"):
    r = upload(api, tok, fid, data, filename, content_type)
    assert r.status_code == 201, r.content
    ev = r.json()
    assert set(ev) == EVIDENCE_KEYS
    assert ev["finding_id"] == fid
    assert r.headers["Location"] == f"/v1/findings/{fid}/evidence/{ev['id']}/content"
    assert ev["sha256"] == hashlib.sha256(data).hexdigest()
    assert ev["size"] == len(data)
    return ev


def walk(api, first_path, token):
    """Follows the pages (checking Link against next_cursor); every item."""
    items, path, pages = [], first_path, 0
    for _ in range(1000):
        r = api.get(path, token=token)
        assert r.status_code == 200, r.content
        body = r.json()
        pages += 1
        items.extend(body["data"])
        link = r.headers.get("Link")
        if body["next_cursor"] is None:
            assert link is None, link
            return items
        m = LINK_RE.match(link or "")
        assert m, link
        q = parse_qs(urlsplit(m.group(1)).query)
        assert q.get("cursor") == [body["next_cursor"]]
        path = m.group(1)
    pytest.fail("pagination does not end")


def listed(api, token, **params):
    qs = "&".join(f"{k}={v}" for k, v in params.items())
    return walk(api, "/v1/findings?limit=100" + ("&" + qs if qs else ""), token)


def ids(docs):
    return [d["id"] for d in docs]


def steps_of(db, fid):
    return db(f"SELECT action, coalesce(from_status, ''), to_status, actor_role,"
              f" coalesce(accepted::text, '') FROM finding_steps"
              f" WHERE finding_id = '{fid}' ORDER BY seq")


def audit_of(api, sup, fid):
    r = api.get("/v1/audit", token=sup,
                params={"entity": "finding", "entity_id": fid, "limit": 100})
    assert r.status_code == 200, r.content
    return list(reversed(r.json()["data"]))


def version_of(db, fid):
    return db.scalar(f"SELECT version || '/' || status || '/' || coalesce(published_at::text, '')"
                     f" FROM findings WHERE id = '{fid}'")


# --------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module", autouse=True)
def identity_encoding(api):
    """Identity encoding: ETags stay the server's strong tags (nginx weakens
    them when it gzips)."""
    old = api.s.headers.get("Accept-Encoding")
    api.s.headers["Accept-Encoding"] = "identity"
    yield
    if old is None:
        api.s.headers.pop("Accept-Encoding", None)
    else:
        api.s.headers["Accept-Encoding"] = old


@pytest.fixture(scope="module")
def ctx(make_unit, tokens):
    """A unit of our own (its clerk and approver), another unit (its clerk
    and approver), two supervisors, an admin, a public caller."""
    u = make_unit(kind="municipal_agency", code=uniq("FD-"), name="测试被督查局" + uniq())
    o = make_unit(kind="township", code=uniq("FO-"), name="测试乡镇" + uniq())
    subs = {k: f"{k}-{uuid.uuid4()}" for k in (
        "clerk", "approver", "other_clerk", "other_approver", "supervisor", "supervisor2",
        "admin", "public")}
    return SimpleNamespace(
        unit=u["id"], other=o["id"], subs=subs,
        clerk=mint(tokens, "clerk", unit=u["id"], sub=subs["clerk"]),
        approver=mint(tokens, "approver", unit=u["id"], sub=subs["approver"]),
        other_clerk=mint(tokens, "clerk", unit=o["id"], sub=subs["other_clerk"]),
        other_approver=mint(tokens, "approver", unit=o["id"], sub=subs["other_approver"]),
        supervisor=mint(tokens, "supervisor", sub=subs["supervisor"]),
        supervisor2=mint(tokens, "supervisor", sub=subs["supervisor2"]),
        admin=mint(tokens, "admin", sub=subs["admin"]),
        public=mint(tokens, "public", sub=subs["public"]))


def in_state(api, ctx, status, published, **over):
    """A finding of ctx.unit brought to (status, published)."""
    f = create(api, ctx.supervisor, finding_body(ctx.unit, **over))
    if status in ("rectification_submitted", "closed"):
        f = rectify(api, ctx.clerk, f["id"])
    if status == "closed":
        f = verify(api, ctx.supervisor, f["id"], True, "整改到位。")
    if published:
        f = publish(api, ctx.supervisor, f["id"])
    assert (f["status"], f["published"]) == (status, published)
    return f


@pytest.fixture(scope="module")
def states(api, ctx):
    """One finding in each (status, published), made on first use."""
    cache = {}

    def _get(status, published):
        if (status, published) not in cache:
            cache[(status, published)] = in_state(api, ctx, status, published)
        return cache[(status, published)]
    return _get


# --------------------------------------------------------------------------
# the life cycle


def test_full_life_cycle(api, ctx, db):
    t0 = today()
    body = finding_body(ctx.unit, category="missing_reason", severity="red",
                        title="不予公开决定未说明理由 " + uniq(),
                        description="抽查发现2份答复书未列明不予公开的法律依据和理由。")
    f = create(api, ctx.supervisor, body)
    fid = f["id"]
    for k in ("source", "unit_id", "category", "severity", "title", "description", "rectify_by"):
        assert f[k] == body[k], k
    assert f["status"] == "open" and f["published"] is False and f["published_at"] is None
    assert f["request_id"] is None and f["item_id"] is None and f["rule"] is None
    assert f["rectification"] is None and f["rectified_at"] is None
    assert f["closed_at"] is None and f["escalated_at"] is None
    assert f["rectifications"] == 0 and f["verification_comment"] is None
    assert f["verified_at"] is None and f["evidence"] == [] and f["version"] == 1
    assert f["created_by"] == ctx.subs["supervisor"] and f["created_role"] == "supervisor"
    assert f["allowed_actions"] == ["publish"]
    assert f["created_at"][:10] in (t0.isoformat(), (t0 - dt.timedelta(days=1)).isoformat())

    # the unit's staff see it, and may report
    g = get(api, ctx.clerk, fid)
    check_internal(g)
    assert g["allowed_actions"] == ["rectification"]
    assert get(api, ctx.approver, fid)["allowed_actions"] == ["rectification"]
    assert get(api, ctx.admin, fid)["allowed_actions"] == []
    # nobody else yet
    for tok in (None, ctx.public, ctx.other_clerk):
        assert_problem(api.get(f"/v1/findings/{fid}", token=tok), 404, "not-found")

    # rectification with an evidence file
    ev = uploaded(api, ctx.clerk, fid, PDF, "整改情况说明.pdf")
    assert ev["content_type"] == "application/pdf"
    assert ev["uploaded_by"] == ctx.subs["clerk"]
    f = rectify(api, ctx.clerk, fid, "已重新作出答复并列明理由。", [ev["id"]])
    assert f["status"] == "rectification_submitted"
    assert f["rectification"] == "已重新作出答复并列明理由。"
    assert f["rectified_at"] is not None and f["rectifications"] == 1
    assert [e["id"] for e in f["evidence"]] == [ev["id"]]
    entry = f["evidence"][0]
    assert {k: entry[k] for k in entry} == {k: ev[k] for k in entry}
    assert f["allowed_actions"] == []  # the clerk's own view: nothing left to do
    assert get(api, ctx.supervisor, fid)["allowed_actions"] == ["verification", "publish"]

    # verification rejected: open again, with the office's comment
    f = verify(api, ctx.supervisor, fid, False, "未提供答复书送达回证，请补充。")
    assert f["status"] == "open" and f["closed_at"] is None
    assert f["verification_comment"] == "未提供答复书送达回证，请补充。"
    assert f["verified_at"] is not None
    assert get(api, ctx.clerk, fid)["verification_comment"] == "未提供答复书送达回证，请补充。"

    # second report, by the approver
    f = rectify(api, ctx.approver, fid, "已补充送达回证。")
    assert f["status"] == "rectification_submitted" and f["rectifications"] == 2
    assert f["rectification"] == "已补充送达回证。"

    # accepted: closed
    f = verify(api, ctx.supervisor, fid, True, "整改到位。")
    assert f["status"] == "closed" and f["closed_at"] is not None
    assert f["verification_comment"] == "整改到位。"
    assert f["allowed_actions"] == ["publish"]

    # published: the public sees it, without the internal members
    f = publish(api, ctx.supervisor, fid)
    assert f["published"] is True and f["published_at"] is not None
    assert f["status"] == "closed" and f["allowed_actions"] == []
    assert f["version"] >= 6  # six changes of the row (evidence may move it too)
    for tok in (None, ctx.public, ctx.other_clerk, ctx.other_approver):
        p = get(api, tok, fid)
        check_public(p)
        assert "verification_comment" not in p and "evidence" not in p
        assert p["status"] == "closed" and p["rectification"] == "已补充送达回证。"
        assert {k: p[k] for k in PUBLIC_KEYS} == {k: f[k] for k in PUBLIC_KEYS}
    for tok in (None, ctx.public):
        assert fid in ids(listed(api, tok, unit=ctx.unit, published="true"))

    # every step is a row in finding_steps
    assert steps_of(db, fid) == [
        ["create", "", "open", "supervisor", ""],
        ["rectify", "open", "rectification_submitted", "clerk", ""],
        ["verify", "rectification_submitted", "open", "supervisor", "false"],
        ["rectify", "open", "rectification_submitted", "approver", ""],
        ["verify", "rectification_submitted", "closed", "supervisor", "true"],
        ["publish", "closed", "closed", "supervisor", ""],
    ]

    # and every write is audited
    entries = audit_of(api, ctx.supervisor, fid)
    assert [e["action"] for e in entries] == [
        "finding.create", "finding.evidence_upload", "finding.rectify", "finding.reopen",
        "finding.rectify", "finding.close", "finding.publish"]
    assert [(e["actor"], e["role"]) for e in entries] == [
        (ctx.subs["supervisor"], "supervisor"), (ctx.subs["clerk"], "clerk"),
        (ctx.subs["clerk"], "clerk"), (ctx.subs["supervisor"], "supervisor"),
        (ctx.subs["approver"], "approver"), (ctx.subs["supervisor"], "supervisor"),
        (ctx.subs["supervisor"], "supervisor")]
    assert all(e["entity"] == "finding" and e["entity_id"] == fid for e in entries)
    r = api.get("/v1/audit", token=ctx.admin,
                params={"entity": "finding", "action": "finding.publish", "limit": 100})
    assert r.status_code == 200
    assert fid in [e["entity_id"] for e in r.json()["data"]]


def test_finding_on_a_request_and_an_item(api, ctx, tokens):
    """request_id and item_id of the finding's unit are kept."""
    req = api.post("/v1/requests", token=ctx.clerk, json={
        "kind": "disclosure", "unit_id": ctx.unit, "description": "申请公开督查事项" + uniq(),
        "purpose": None, "delivery": "electronic", "channel": "counter",
        "received_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "applicant": {"type": "natural_person", "name": "李明"}})
    assert req.status_code == 201, req.content
    item = api.post("/v1/items", token=ctx.clerk, json={
        "kind": "service", "category": "public_service", "code": uniq("FDS-"),
        "name": "测试办事事项" + uniq(), "legal_basis": "《中华人民共和国行政许可法》第二十九条",
        "statutory_days": 20, "committed_days": 10,
        "materials": [{"code": "ID", "name": "居民身份证", "required": True}],
        "fee": 0, "online": False})
    assert item.status_code == 201, item.content
    f = create(api, ctx.supervisor, finding_body(
        ctx.unit, source="complaint", category="not_online", request_id=req.json()["id"],
        item_id=item.json()["id"], rectify_by=today().isoformat()))
    assert f["source"] == "complaint"
    assert f["request_id"] == req.json()["id"] and f["item_id"] == item.json()["id"]
    assert f["rectify_by"] == today().isoformat()
    assert get(api, ctx.clerk, f["id"])["item_id"] == item.json()["id"]


def test_etag_and_304(api, ctx):
    f = create(api, ctx.supervisor, finding_body(ctx.unit))
    fid = f["id"]
    r = api.get(f"/v1/findings/{fid}", token=ctx.supervisor)
    assert r.status_code == 200 and r.headers["ETag"] == '"1"'
    assert "Authorization" in r.headers["Vary"]
    assert r.headers["Cache-Control"] == "private, no-cache"
    r = api.get(f"/v1/findings/{fid}", token=ctx.clerk, headers={"If-None-Match": '"1"'})
    assert r.status_code == 304 and r.content == b""
    assert r.headers["ETag"] == '"1"'
    r = api.get(f"/v1/findings/{fid}", token=ctx.clerk, headers={"If-None-Match": 'W/"1"'})
    assert r.status_code == 304
    publish(api, ctx.supervisor, fid)
    r = api.get(f"/v1/findings/{fid}", token=ctx.clerk, headers={"If-None-Match": '"1"'})
    assert r.status_code == 200 and r.headers["ETag"] == '"2"'
    r = api.get(f"/v1/findings/{fid}")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "public, max-age=60"
    assert r.headers["ETag"] == '"2"'
    r = api.get(f"/v1/findings/{fid}", headers={"If-None-Match": '"2"'})
    assert r.status_code == 304


def test_get_unknown_404(api, ctx):
    for path in (f"/v1/findings/{uuid.uuid4()}", "/v1/findings/not-a-uuid",
                 "/v1/findings/" + str(uuid.uuid4()).upper()[:35]):
        for tok in (None, ctx.supervisor, ctx.clerk):
            assert_problem(api.get(path, token=tok), 404, "not-found")
    for action in ("rectification", "verification", "publish"):
        tok = ctx.clerk if action == "rectification" else ctx.supervisor
        body = {"rectification": {"description": "x"},
                "verification": {"accepted": True}}.get(action)
        kw = {"json": body} if body else {}
        assert_problem(api.post(f"/v1/findings/{uuid.uuid4()}/{action}", token=tok, **kw),
                       404, "not-found")


# --------------------------------------------------------------------------
# transitions


def forbidden_cases():
    for status, published in STATES:
        allowed = ALLOWED[(status, published)]
        for action in ("rectification", "verification", "publish", "evidence"):
            ok = {"evidence": "rectification"}.get(action, action) in allowed
            if not ok:
                yield pytest.param(status, published, action,
                                   id=f"{status}-{'pub' if published else 'unpub'}-{action}")


@pytest.mark.parametrize("status, published, action", list(forbidden_cases()))
def test_forbidden_transition_409(api, ctx, states, db, unchanged, status, published, action):
    f = states(status, published)
    fid = f["id"]
    before = version_of(db, fid)
    with unchanged():
        if action == "rectification":
            r = api.post(f"/v1/findings/{fid}/rectification", token=ctx.clerk,
                         json={"description": "再次整改。"})
        elif action == "verification":
            r = api.post(f"/v1/findings/{fid}/verification", token=ctx.supervisor,
                         json={"accepted": True})
        elif action == "publish":
            r = api.post(f"/v1/findings/{fid}/publish", token=ctx.supervisor)
        else:
            r = upload(api, ctx.clerk, fid, PDF)
        doc = assert_problem(r, 409, "conflict")
    assert doc["current_status"] == status
    assert set(doc["allowed_actions"]) == ALLOWED[(status, published)]
    assert len(doc["allowed_actions"]) == len(set(doc["allowed_actions"]))
    assert version_of(db, fid) == before


@pytest.mark.parametrize("status, published", STATES)
def test_allowed_actions_per_caller(api, ctx, states, status, published):
    fid = states(status, published)["id"]
    allowed = ALLOWED[(status, published)]
    want = {
        ctx.supervisor: allowed - {"rectification"},
        ctx.admin: set(),
        ctx.clerk: allowed & {"rectification"},
        ctx.approver: allowed & {"rectification"},
    }
    for tok, acts in want.items():
        doc = get(api, tok, fid)
        check_internal(doc)
        assert set(doc["allowed_actions"]) == acts, (tok == ctx.supervisor, doc)


def test_verification_rejected_needs_a_comment(api, ctx, db, unchanged):
    f = in_state(api, ctx, "rectification_submitted", False)
    with unchanged():
        for body in ({"accepted": False}, {"accepted": False, "comment": None},
                     {"accepted": False, "comment": ""}):
            r = api.post(f"/v1/findings/{f['id']}/verification", token=ctx.supervisor, json=body)
            doc = assert_problem(r, 422, "validation")
            assert error_pointers(doc) == ["/comment"], (body, doc)
    assert get(api, ctx.supervisor, f["id"])["status"] == "rectification_submitted"
    # accepted without a comment is fine
    g = verify(api, ctx.supervisor, f["id"], True)
    assert g["status"] == "closed" and g["verification_comment"] is None


def test_publish_in_every_status(api, ctx):
    for status in ("open", "rectification_submitted", "closed"):
        f = in_state(api, ctx, status, True)
        p = get(api, None, f["id"])
        check_public(p)
        assert p["status"] == status


# --------------------------------------------------------------------------
# roles


def test_wrong_role_403(api, ctx, states, unchanged):
    open_f = states("open", False)["id"]
    sub_f = states("rectification_submitted", False)["id"]
    body = finding_body(ctx.unit)
    with unchanged():
        for tok in (ctx.public, ctx.clerk, ctx.approver, ctx.admin):
            assert_problem(api.post("/v1/findings", token=tok, json=body), 403, "forbidden")
        assert_problem(api.post("/v1/findings", json=body), 401, "unauthorized")
        # verification: supervisors only
        for tok in (ctx.clerk, ctx.approver, ctx.admin, ctx.public):
            assert_problem(api.post(f"/v1/findings/{sub_f}/verification", token=tok,
                                    json={"accepted": True}), 403, "forbidden")
        assert_problem(api.post(f"/v1/findings/{sub_f}/verification",
                                json={"accepted": True}), 401, "unauthorized")
        # rectification: the unit's clerks and approvers only
        for tok in (ctx.supervisor, ctx.admin, ctx.public):
            assert_problem(api.post(f"/v1/findings/{open_f}/rectification", token=tok,
                                    json={"description": "整改。"}), 403, "forbidden")
        assert_problem(api.post(f"/v1/findings/{open_f}/rectification",
                                json={"description": "整改。"}), 401, "unauthorized")
        # publish: supervisors only
        for tok in (ctx.clerk, ctx.approver, ctx.admin, ctx.public):
            assert_problem(api.post(f"/v1/findings/{open_f}/publish", token=tok),
                           403, "forbidden")
        assert_problem(api.post(f"/v1/findings/{open_f}/publish"), 401, "unauthorized")
        # evidence: the unit's clerks and approvers only
        for tok in (ctx.supervisor, ctx.admin, ctx.public):
            assert_problem(upload(api, tok, open_f, PDF), 403, "forbidden")
        assert_problem(upload(api, None, open_f, PDF), 401, "unauthorized")
    assert get(api, ctx.supervisor, open_f)["status"] == "open"
    assert get(api, ctx.supervisor, sub_f)["status"] == "rectification_submitted"


def test_other_units_staff(api, ctx, db, unchanged):
    f = create(api, ctx.supervisor, finding_body(ctx.unit))
    fid = f["id"]
    ev = uploaded(api, ctx.clerk, fid)
    content = f"/v1/findings/{fid}/evidence/{ev['id']}/content"
    with unchanged():
        for tok in (ctx.other_clerk, ctx.other_approver):
            # unpublished: as if it did not exist
            assert_problem(api.get(f"/v1/findings/{fid}", token=tok), 404, "not-found")
            assert_problem(api.post(f"/v1/findings/{fid}/rectification", token=tok,
                                    json={"description": "不是我们的。"}), 404, "not-found")
            assert_problem(upload(api, tok, fid, PDF), 404, "not-found")
            assert_problem(api.get(content, token=tok), 404, "not-found")
            assert fid not in ids(listed(api, tok, unit=ctx.unit))
    publish(api, ctx.supervisor, fid)
    with unchanged():
        for tok in (ctx.other_clerk, ctx.other_approver):
            # published: they read the public view, and may not act on it
            p = get(api, tok, fid)
            check_public(p)
            assert_problem(api.post(f"/v1/findings/{fid}/rectification", token=tok,
                                    json={"description": "不是我们的。"}), 403, "forbidden")
            assert_problem(upload(api, tok, fid, PDF), 403, "forbidden")
            assert_problem(api.get(content, token=tok), 404, "not-found")
            lst = [x for x in listed(api, tok, unit=ctx.unit) if x["id"] == fid]
            assert len(lst) == 1
            check_public(lst[0])
    # created (1), evidence added (2), published (3): the others changed nothing
    assert version_of(db, fid).startswith("3/open/")


# --------------------------------------------------------------------------
# who sees what


def test_visibility_by_role(api, ctx):
    mine = create(api, ctx.supervisor, finding_body(ctx.unit))
    mine_pub = in_state(api, ctx, "open", True)
    theirs = create(api, ctx.supervisor, finding_body(ctx.other))
    theirs_pub = publish(api, ctx.supervisor,
                         create(api, ctx.supervisor, finding_body(ctx.other))["id"])
    four = {x["id"]: x for x in (mine, mine_pub, theirs, theirs_pub)}
    internal = "internal"
    # caller -> {finding id: "internal" | "public" | None (404)}
    table = {
        "anonymous": (None, {mine["id"]: None, mine_pub["id"]: "public",
                             theirs["id"]: None, theirs_pub["id"]: "public"}),
        "public": (ctx.public, {mine["id"]: None, mine_pub["id"]: "public",
                                theirs["id"]: None, theirs_pub["id"]: "public"}),
        "clerk": (ctx.clerk, {mine["id"]: internal, mine_pub["id"]: internal,
                              theirs["id"]: None, theirs_pub["id"]: "public"}),
        "approver": (ctx.approver, {mine["id"]: internal, mine_pub["id"]: internal,
                                    theirs["id"]: None, theirs_pub["id"]: "public"}),
        "other_clerk": (ctx.other_clerk, {mine["id"]: None, mine_pub["id"]: "public",
                                          theirs["id"]: internal,
                                          theirs_pub["id"]: internal}),
        "supervisor": (ctx.supervisor, {k: internal for k in four}),
        "admin": (ctx.admin, {k: internal for k in four}),
    }
    for who, (tok, want) in table.items():
        # by id
        for fid, view in want.items():
            r = api.get(f"/v1/findings/{fid}", token=tok)
            if view is None:
                assert_problem(r, 404, "not-found")
                continue
            assert r.status_code == 200, (who, r.content)
            (check_internal if view == internal else check_public)(r.json())
        # in the lists, by unit
        for unit in (ctx.unit, ctx.other):
            got = {x["id"]: x for x in listed(api, tok, unit=unit) if x["id"] in four}
            expect = {fid for fid, view in want.items()
                      if view is not None and four[fid]["unit_id"] == unit}
            assert set(got) == expect, (who, unit)
            for fid, doc in got.items():
                (check_internal if want[fid] == internal else check_public)(doc)


def test_anonymous_list_is_published_only(api, ctx):
    create(api, ctx.supervisor, finding_body(ctx.unit))
    in_state(api, ctx, "closed", True)
    for tok in (None, ctx.public):
        r = api.get("/v1/findings", token=tok, params={"limit": 100})
        assert r.status_code == 200, r.content
        assert r.json()["data"], "a published finding exists"
        for doc in r.json()["data"]:
            check_public(doc)
        assert r.headers["Cache-Control"] == ("public, max-age=30" if tok is None
                                              else "private, no-cache")
        assert "Authorization" in r.headers["Vary"]
        r = api.get("/v1/findings", token=tok, params={"published": "false", "limit": 100})
        assert r.status_code == 200 and r.json()["data"] == []


# --------------------------------------------------------------------------
# filters and pagination


def test_filters(api, ctx, make_unit, tokens):
    unit = make_unit(kind="township", code=uniq("FF-"), name="筛选测试" + uniq())["id"]
    unit_clerk = mint(tokens, "clerk", unit=unit)
    made = {}

    def add(name, status, published, **over):
        f = create(api, ctx.supervisor, finding_body(unit, **over))
        if status in ("rectification_submitted", "closed"):
            f = step(api, unit_clerk, f["id"], "rectification", {"description": "已整改。"})
        if status == "closed":
            f = verify(api, ctx.supervisor, f["id"], True)
        if published:
            f = publish(api, ctx.supervisor, f["id"])
        made[name] = f

    add("f1", "open", False, source="inspection", severity="yellow", category="disclosure_gap")
    add("f2", "open", True, source="complaint", severity="red", category="missing_reason")
    add("f3", "rectification_submitted", False, source="inspection", severity="red",
        category="other")
    add("f4", "closed", True, source="complaint", severity="yellow", category="overdue")
    add("f5", "closed", False, source="inspection", severity="yellow", category="not_online")
    add("f6", "rectification_submitted", True, source="inspection", severity="red",
        category="improper_refusal")

    def expect(**flt):
        out = set()
        for name, f in made.items():
            ok = True
            for k, v in flt.items():
                if k == "published":
                    ok &= f["published"] == (v == "true")
                else:
                    ok &= f[k] == v
            if ok:
                out.add(f["id"])
        return out

    combos = [{}]
    combos += [{"status": s} for s in ("open", "rectification_submitted", "closed")]
    combos += [{"source": s} for s in ("inspection", "complaint", "e_monitoring")]
    combos += [{"severity": s} for s in ("yellow", "red")]
    combos += [{"category": c} for c in ("overdue", "improper_refusal", "missing_reason",
                                         "not_online", "disclosure_gap", "other")]
    combos += [{"published": "true"}, {"published": "false"}]
    combos += [{"status": "open", "severity": "red"},
               {"source": "inspection", "published": "true"},
               {"severity": "yellow", "status": "closed", "published": "false"},
               {"category": "other", "source": "complaint"}]
    for flt in combos:
        got = listed(api, ctx.supervisor, unit=unit, **flt)
        assert set(ids(got)) == expect(**flt), flt
        for f in got:
            for k, v in flt.items():
                assert (f["published"] == (v == "true")) if k == "published" else f[k] == v
    # anonymous: the same filters over the published ones
    for flt in ({}, {"severity": "red"}, {"status": "closed"}, {"published": "false"}):
        got = set(ids(listed(api, None, unit=unit, **flt)))
        assert got == expect(**flt) & expect(published="true"), flt
    # the unit filter
    assert not set(ids(listed(api, ctx.supervisor, unit=ctx.other))) & expect()


@pytest.mark.parametrize("param, value", [
    ("status", "pending"), ("status", ""), ("source", "audit"), ("severity", "green"),
    ("category", "late"), ("published", "yes"), ("published", "1"), ("unit", "PSB"),
    ("unit", "12345678-1234-1234-1234-12345678901"), ("limit", "0"), ("limit", "101"),
    ("limit", "ten"), ("cursor", "not-a-cursor"), ("cursor", "WzEsMl0"),
])
def test_bad_list_parameters_400(api, ctx, param, value):
    for tok in (None, ctx.supervisor):
        doc = assert_problem(api.get("/v1/findings", token=tok, params={param: value}), 400)
        assert f"/query/{param}" in error_pointers(doc), doc


def test_keyset_pagination(api, ctx, make_unit):
    unit = make_unit(kind="township", code=uniq("FP-"), name="分页测试" + uniq())["id"]
    made = [create(api, ctx.supervisor, finding_body(unit)) for _ in range(7)]
    newest_first = [f["id"] for f in reversed(made)]
    pages = []
    path = f"/v1/findings?unit={unit}&limit=3"
    while path:
        r = api.get(path, token=ctx.supervisor)
        assert r.status_code == 200, r.content
        body = r.json()
        pages.append(ids(body["data"]))
        if body["next_cursor"] is None:
            assert "Link" not in r.headers
            path = None
        else:
            m = LINK_RE.match(r.headers["Link"])
            assert m, r.headers.get("Link")
            q = parse_qs(urlsplit(m.group(1)).query)
            assert q["cursor"] == [body["next_cursor"]]
            assert q["unit"] == [unit] and q["limit"] == ["3"]
            path = m.group(1)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert sum(pages, []) == newest_first
    # created_at descending
    docs = listed(api, ctx.supervisor, unit=unit)
    assert [d["created_at"] for d in docs] == sorted((d["created_at"] for d in docs),
                                                     reverse=True)
    # the anonymous pages of the published ones
    for f in made[1::2]:
        publish(api, ctx.supervisor, f["id"])
    got = walk(api, f"/v1/findings?unit={unit}&limit=2", None)
    assert ids(got) == [f for f in newest_first if f in {x["id"] for x in made[1::2]}]
    # a page after the last: empty
    r = api.get(f"/v1/findings?unit={unit}&limit=7", token=ctx.supervisor)
    assert r.json()["next_cursor"] is None and len(r.json()["data"]) == 7


# --------------------------------------------------------------------------
# Idempotency-Key


def test_idempotent_replay(api, ctx, db, unchanged):
    key = "finding-" + uuid.uuid4().hex
    body = finding_body(ctx.unit)
    r1 = api.post("/v1/findings", token=ctx.supervisor, json=body,
                  headers={"Idempotency-Key": key})
    assert r1.status_code == 201, r1.content
    with unchanged():
        r2 = api.post("/v1/findings", token=ctx.supervisor, json=body,
                      headers={"Idempotency-Key": key})
        assert r2.status_code == 201, r2.content
        assert r2.json() == r1.json()
        assert r2.headers["Location"] == r1.headers["Location"]
        assert r2.headers["ETag"] == r1.headers["ETag"]
        assert r2.headers.get("Idempotent-Replayed") == "true"
        # the same key with another body
        other = dict(body, title=body["title"] + "（修改）")
        doc = assert_problem(api.post("/v1/findings", token=ctx.supervisor, json=other,
                                      headers={"Idempotency-Key": key}), 422, "validation")
        assert error_pointers(doc) == ["/headers/Idempotency-Key"]
    assert db.scalar(f"SELECT count(*) FROM findings WHERE title = "
                     f"'{body['title']}'") == "1"
    # bad keys
    with unchanged():
        for bad in ("x" * 201, "中文键", "a b"):
            r = api.post("/v1/findings", token=ctx.supervisor, json=finding_body(ctx.unit),
                         headers={"Idempotency-Key": bad.encode("utf-8")})
            doc = assert_problem(r, 422, "validation")
            assert error_pointers(doc) == ["/headers/Idempotency-Key"]
    # a key is the caller's own: another supervisor's same key creates anew
    r3 = api.post("/v1/findings", token=ctx.supervisor2, json=body,
                  headers={"Idempotency-Key": key})
    assert r3.status_code == 201 and r3.json()["id"] != r1.json()["id"]


# --------------------------------------------------------------------------
# bad input changes nothing


@pytest.fixture(scope="module")
def foreign(api, ctx):
    """A request and an item of the other unit."""
    req = api.post("/v1/requests", token=ctx.other_clerk, json={
        "kind": "disclosure", "unit_id": ctx.other, "description": "他单位申请" + uniq(),
        "purpose": None, "delivery": "paper", "channel": "paper",
        "received_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "applicant": {"type": "company", "name": "某某科技有限公司"}})
    assert req.status_code == 201, req.content
    item = api.post("/v1/items", token=ctx.other_clerk, json={
        "kind": "information", "category": "general", "title": "他单位信息" + uniq(),
        "body": "正文。"})
    assert item.status_code == 201, item.content
    return SimpleNamespace(request=req.json()["id"], item=item.json()["id"])


def bad_create_cases(ctx, foreign):
    yesterday = (today() - dt.timedelta(days=1)).isoformat()
    cases = {}
    for k in ("source", "unit_id", "category", "severity", "title", "description",
              "rectify_by"):
        cases[f"missing_{k}"] = (k, None, "/" + k)
        cases[f"null_{k}"] = (k, "NULL", "/" + k)
    cases.update({
        "source_e_monitoring": ("source", "e_monitoring", "/source"),
        "source_bogus": ("source", "audit", "/source"),
        "source_number": ("source", 1, "/source"),
        "unit_not_uuid": ("unit_id", "PSB", "/unit_id"),
        "unit_unknown": ("unit_id", str(uuid.uuid4()), "/unit_id"),
        "unit_number": ("unit_id", 42, "/unit_id"),
        "request_not_uuid": ("request_id", "GK-2026-000001", "/request_id"),
        "request_unknown": ("request_id", str(uuid.uuid4()), "/request_id"),
        "request_of_other_unit": ("request_id", foreign.request, "/request_id"),
        "item_not_uuid": ("item_id", "item", "/item_id"),
        "item_unknown": ("item_id", str(uuid.uuid4()), "/item_id"),
        "item_of_other_unit": ("item_id", foreign.item, "/item_id"),
        "category_bogus": ("category", "late", "/category"),
        "severity_green": ("severity", "green", "/severity"),
        "severity_upper": ("severity", "RED", "/severity"),
        "title_empty": ("title", "", "/title"),
        "title_301": ("title", "题" * 301, "/title"),
        "title_number": ("title", 5, "/title"),
        "title_array": ("title", ["a"], "/title"),
        "description_empty": ("description", "", "/description"),
        "description_5001": ("description", "述" * 5001, "/description"),
        "rectify_by_past": ("rectify_by", yesterday, "/rectify_by"),
        "rectify_by_long_ago": ("rectify_by", "2019-10-01", "/rectify_by"),
        "rectify_by_not_a_day": ("rectify_by", "2031-02-30", "/rectify_by"),
        "rectify_by_word": ("rectify_by", "tomorrow", "/rectify_by"),
        "rectify_by_datetime": ("rectify_by", "2031-01-01T00:00:00Z", "/rectify_by"),
        "rectify_by_number": ("rectify_by", 20310101, "/rectify_by"),
        "unknown_field": ("colour", "red", "/colour"),
        "status_given": ("status", "closed", "/status"),
        "rule_given": ("rule", "overdue", "/rule"),
    })
    return cases


BAD_CREATE = ["missing_source", "missing_unit_id", "missing_category", "missing_severity",
              "missing_title", "missing_description", "missing_rectify_by", "null_source",
              "null_unit_id", "null_category", "null_severity", "null_title",
              "null_description", "null_rectify_by", "source_e_monitoring", "source_bogus",
              "source_number", "unit_not_uuid", "unit_unknown", "unit_number",
              "request_not_uuid", "request_unknown", "request_of_other_unit",
              "item_not_uuid", "item_unknown", "item_of_other_unit", "category_bogus",
              "severity_green", "severity_upper", "title_empty", "title_301", "title_number",
              "title_array", "description_empty", "description_5001", "rectify_by_past",
              "rectify_by_long_ago", "rectify_by_not_a_day", "rectify_by_word",
              "rectify_by_datetime", "rectify_by_number", "unknown_field", "status_given",
              "rule_given"]


@pytest.mark.parametrize("case", BAD_CREATE)
def test_bad_create_422(api, ctx, foreign, unchanged, case):
    field, value, pointer = bad_create_cases(ctx, foreign)[case]
    body = finding_body(ctx.unit)
    if value is None:
        body.pop(field)
    else:
        body[field] = None if value == "NULL" else value
    key = "bad-" + uuid.uuid4().hex
    with unchanged():
        r = api.post("/v1/findings", token=ctx.supervisor, json=body,
                     headers={"Idempotency-Key": key})
        doc = assert_problem(r, 422, "validation")
    assert error_pointers(doc) == [pointer], doc
    # the key was not spent: the corrected body goes through with it
    create(api, ctx.supervisor, finding_body(ctx.unit), headers={"Idempotency-Key": key})


def test_boundaries_accepted(api, ctx):
    f = create(api, ctx.supervisor, finding_body(
        ctx.unit, title="题" * 300, description="述" * 5000, rectify_by=today().isoformat(),
        request_id=None, item_id=None))
    assert len(f["title"]) == 300 and len(f["description"]) == 5000


@pytest.mark.parametrize("data, ctype, status, slug", [
    (b'{"source": "inspection",', "application/json", 400, "invalid-json"),
    (b'["inspection"]', "application/json", 400, "invalid-json"),
    (b'{"title": "a", "title": "b"}', "application/json", 400, "invalid-json"),
    (b'{"title": "\xff\xfe"}', "application/json", 400, "invalid-json"),
    (b"[" * 40 + b"]" * 40, "application/json", 400, "invalid-json"),
    (b'{"source": "inspection"}', "text/plain", 415, "unsupported-media-type"),
    (b'{"source": "inspection"}', None, 415, "unsupported-media-type"),
])
def test_malformed_bodies(api, ctx, states, unchanged, data, ctype, status, slug):
    fid = states("open", False)["id"]
    sub = states("rectification_submitted", False)["id"]
    headers = {"Content-Type": ctype} if ctype else {}
    with unchanged():
        for path, tok in (("/v1/findings", ctx.supervisor),
                          (f"/v1/findings/{fid}/rectification", ctx.clerk),
                          (f"/v1/findings/{sub}/verification", ctx.supervisor)):
            r = api.post(path, token=tok, data=data, headers=headers)
            assert_problem(r, status, slug)


def test_body_too_large_413(api, ctx, states, unchanged):
    fid = states("open", False)["id"]
    big = json.dumps({"description": "述" * 400000}).encode()
    assert len(big) > 1024 * 1024
    with unchanged():
        for path, tok in (("/v1/findings", ctx.supervisor),
                          (f"/v1/findings/{fid}/rectification", ctx.clerk)):
            r = api.post(path, token=tok, data=big, headers={"Content-Type": "application/json"})
            assert_problem(r, 413, "payload-too-large")


@pytest.mark.parametrize("body, pointer", [
    ({}, "/description"),
    ({"description": ""}, "/description"),
    ({"description": None}, "/description"),
    ({"description": "述" * 5001}, "/description"),
    ({"description": 7}, "/description"),
    ({"description": "整改。", "evidence_ids": "not-a-list"}, "/evidence_ids"),
    ({"description": "整改。", "evidence_ids": ["not-a-uuid"]}, "/evidence_ids"),
    ({"description": "整改。", "evidence_ids": [7]}, "/evidence_ids"),
    ({"description": "整改。", "evidence_ids": [str(uuid.uuid4())]}, "/evidence_ids"),
    ({"description": "整改。", "evidence_ids": [str(uuid.uuid4()) for _ in range(21)]},
     "/evidence_ids"),
    ({"description": "整改。", "done": True}, "/done"),
])
def test_bad_rectification_422(api, ctx, db, unchanged, body, pointer):
    f = create(api, ctx.supervisor, finding_body(ctx.unit))
    with unchanged():
        r = api.post(f"/v1/findings/{f['id']}/rectification", token=ctx.clerk, json=body)
        doc = assert_problem(r, 422, "validation")
    assert error_pointers(doc) == [pointer], doc
    assert version_of(db, f["id"]) == "1/open/"


def test_foreign_and_repeated_evidence_ids_422(api, ctx, db, unchanged):
    a = create(api, ctx.supervisor, finding_body(ctx.unit))
    b = create(api, ctx.supervisor, finding_body(ctx.unit))
    ev_a = uploaded(api, ctx.clerk, a["id"])
    ev_b = uploaded(api, ctx.clerk, b["id"])
    with unchanged():
        for evs in ([ev_b["id"]], [ev_a["id"], ev_b["id"]], [ev_a["id"], ev_a["id"]]):
            r = api.post(f"/v1/findings/{a['id']}/rectification", token=ctx.clerk,
                         json={"description": "整改。", "evidence_ids": evs})
            doc = assert_problem(r, 422, "validation")
            assert error_pointers(doc) == ["/evidence_ids"], (evs, doc)
    assert version_of(db, a["id"]) == "2/open/"  # created, evidence added
    f = rectify(api, ctx.clerk, a["id"], "整改。", [ev_a["id"]])
    assert [e["id"] for e in f["evidence"]] == [ev_a["id"]]


@pytest.mark.parametrize("body, pointer", [
    ({}, "/accepted"),
    ({"accepted": None}, "/accepted"),
    ({"accepted": "yes"}, "/accepted"),
    ({"accepted": 1}, "/accepted"),
    ({"accepted": True, "comment": "评" * 2001}, "/comment"),
    ({"accepted": True, "comment": 5}, "/comment"),
    ({"accepted": True, "closed": True}, "/closed"),
])
def test_bad_verification_422(api, ctx, db, states, unchanged, body, pointer):
    fid = states("rectification_submitted", False)["id"]
    before = version_of(db, fid)
    with unchanged():
        r = api.post(f"/v1/findings/{fid}/verification", token=ctx.supervisor, json=body)
        doc = assert_problem(r, 422, "validation")
    assert error_pointers(doc) == [pointer], doc
    assert version_of(db, fid) == before


# --------------------------------------------------------------------------
# evidence files


def test_evidence_upload_and_download(api, ctx, db):
    f = create(api, ctx.supervisor, finding_body(ctx.unit))
    fid = f["id"]
    pdf = uploaded(api, ctx.clerk, fid, PDF, "整改报告.PDF")
    png = uploaded(api, ctx.approver, fid, PNG, "现场照片.png", "image/png")
    jpg = uploaded(api, ctx.clerk, fid, JPEG, "公示截图.jpeg", "application/octet-stream")
    assert (pdf["content_type"], png["content_type"], jpg["content_type"]) == (
        "application/pdf", "image/png", "image/jpeg")
    assert png["uploaded_by"] == ctx.subs["approver"]
    g = get(api, ctx.clerk, fid)
    assert [e["id"] for e in g["evidence"]] == [pdf["id"], png["id"], jpg["id"]]
    assert g["evidence"][0]["filename"] == "整改报告.PDF"
    # the bytes come back unchanged, for the unit's staff and the office
    for ev, data, mime in ((pdf, PDF, "application/pdf"), (png, PNG, "image/png"),
                           (jpg, JPEG, "image/jpeg")):
        path = f"/v1/findings/{fid}/evidence/{ev['id']}/content"
        for tok in (ctx.clerk, ctx.approver, ctx.supervisor, ctx.admin):
            r = api.get(path, token=tok)
            assert r.status_code == 200, r.content
            assert r.content == data
            assert r.headers["Content-Type"].split(";")[0] == mime
            assert r.headers["ETag"] == f'"{ev["sha256"]}"'
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert r.headers["Content-Disposition"].startswith("attachment;")
        r = api.get(path, token=ctx.supervisor, headers={"If-None-Match": f'"{ev["sha256"]}"'})
        assert r.status_code == 304 and r.content == b""
        # nobody else
        assert_problem(api.get(path), 401, "unauthorized")
        for tok in (ctx.public, ctx.other_clerk, ctx.other_approver):
            assert_problem(api.get(path, token=tok), 404, "not-found")
    # an evidence id under another finding, an unknown one, a bad one
    other = create(api, ctx.supervisor, finding_body(ctx.unit))
    for path in (f"/v1/findings/{other['id']}/evidence/{pdf['id']}/content",
                 f"/v1/findings/{fid}/evidence/{uuid.uuid4()}/content",
                 f"/v1/findings/{fid}/evidence/not-a-uuid/content"):
        assert_problem(api.get(path, token=ctx.supervisor), 404, "not-found")
    # audited
    ups = [e for e in audit_of(api, ctx.supervisor, fid) if e["action"] ==
           "finding.evidence_upload"]
    assert len(ups) == 3
    assert db.scalar(f"SELECT count(*) FROM finding_evidence WHERE finding_id = '{fid}'") == "3"


def test_evidence_moves_the_etag(api, ctx):
    """The finding lists its evidence: a new file changes what GET answers,
    so the old ETag must not answer 304 any more."""
    f = create(api, ctx.supervisor, finding_body(ctx.unit))
    tag = api.get(f"/v1/findings/{f['id']}", token=ctx.clerk).headers["ETag"]
    uploaded(api, ctx.clerk, f["id"])
    r = api.get(f"/v1/findings/{f['id']}", token=ctx.clerk, headers={"If-None-Match": tag})
    assert r.status_code == 200, "evidence was added but the finding answered 304"
    assert len(r.json()["evidence"]) == 1


@pytest.mark.parametrize("data, filename, ctype, status, slug, pointer", [
    # PNG bytes that say they are a PDF
    (PNG, "整改报告.pdf", "application/pdf", 415, "unsupported-media-type", None),
    # a PDF sent as a JPEG
    (PDF, "整改报告.jpg", "image/jpeg", 415, "unsupported-media-type", None),
    # a JPEG sent as a PNG
    (JPEG, "照片.png", "image/png", 415, "unsupported-media-type", None),
    # a PNG signature over garbage
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "照片.png", "image/png", 415,
     "unsupported-media-type", None),
    # JPEG start and end markers around nothing
    (b"\xff\xd8\xff\xe0" + b"garbage" * 10 + b"\xff\xd9", "照片.jpg", "image/jpeg", 415,
     "unsupported-media-type", None),
    # a PDF whose startxref points nowhere
    (make_pdf().replace(b"startxref\n", b"startxref\n9"), "a.pdf", "application/pdf", 415,
     "unsupported-media-type", None),
    # a PDF with something appended
    (PDF + b"<script>alert(1)</script>", "a.pdf", "application/pdf", 415,
     "unsupported-media-type", None),
    # text
    (b"%PDF-1.4 not really", "a.pdf", "application/pdf", 415, "unsupported-media-type", None),
    # a type no upload has
    (PDF, "a.pdf", "text/plain", 415, "unsupported-media-type", None),
    # a right file with the wrong name
    (PDF, "整改报告.png", "application/octet-stream", 422, "validation", "/query/filename"),
    (PNG, "照片", None, 422, "validation", "/query/filename"),
    # empty
    (b"", "a.pdf", "application/pdf", 422, "validation", ""),
    # no name, a path for a name
    (PDF, None, "application/pdf", 400, "bad-request", "/query/filename"),
    (PDF, "../etc/a.pdf", "application/pdf", 400, "bad-request", "/query/filename"),
    (PDF, "", "application/pdf", 400, "bad-request", "/query/filename"),
])
def test_evidence_refused(api, ctx, db, states, unchanged, data, filename, ctype, status, slug,
                          pointer):
    fid = states("open", False)["id"]
    with unchanged():
        r = upload(api, ctx.clerk, fid, data, filename, ctype)
        doc = assert_problem(r, status, slug)
    if pointer is not None:
        assert pointer in error_pointers(doc), doc


def test_evidence_size_limit(api, ctx, db, unchanged):
    f = create(api, ctx.supervisor, finding_body(ctx.unit))
    big = make_pdf_of_size(MAX + 1)
    with unchanged():
        assert_problem(upload(api, ctx.clerk, f["id"], big), 413, "payload-too-large")
    exact = make_pdf_of_size(MAX)
    ev = uploaded(api, ctx.clerk, f["id"], exact, "大文件.pdf")
    assert ev["size"] == MAX
    r = api.get(f"/v1/findings/{f['id']}/evidence/{ev['id']}/content", token=ctx.supervisor)
    assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == ev["sha256"]
