"""Materials (issue 5): the files handed in with a request. Uploads of real
PDF, JPEG and PNG files, a version per upload under a code, the bytes served
back unchanged with download headers, who sees them, and the uploads that
lie about what they are, are too big, or come at the wrong time.

Each module run makes its own unit, service item, applicants and requests,
so other rows never matter.
"""

import hashlib
import struct
import threading
import uuid
import zlib
from types import SimpleNamespace
from urllib.parse import quote

import pytest

from conftest import BASE_URL, CONTRACT, Api, assert_problem, error_pointers, uniq

MAX = 10 * 1024 * 1024
MATERIAL_KEYS = {"id", "request_id", "code", "version", "filename", "content_type", "size",
                 "sha256", "uploaded_at", "uploaded_by", "uploaded_role"}


# --------------------------------------------------------------------------
# real files, built here


def make_pdf(text="opengov", pad=0):
    """A one-page PDF with a correct cross-reference table; pad adds a
    comment line (the file grows by pad + 2 bytes)."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>"]
    stream = b"BT /F1 12 Tf 20 100 Td (" + text.encode() + b") Tj ET"
    objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    if pad:
        out += b"%" + b"x" * pad + b"\n"
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
    """A valid PDF of exactly size bytes (the padding comment absorbs the rest)."""
    pad = size - len(make_pdf()) - 2
    for _ in range(5):  # the startxref offset may gain a digit
        data = make_pdf(pad=pad)
        if len(data) == size:
            return data
        pad += size - len(data)
    raise AssertionError("could not hit the size")


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))


def make_png(rgb=(200, 30, 30)):
    """A 2x2 truecolour PNG with correct CRCs."""
    raw = b"".join(b"\x00" + bytes(rgb) * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n"
            + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(raw))
            + png_chunk(b"IEND", b""))


def jpeg_segment(marker, payload):
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def make_jpeg():
    """An 8x8 mid-grey baseline JFIF (libjpeg decodes it without a warning):
    one Huffman code per table, DC difference 0 then end of block."""
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


def upload(api, tok, rid, code, filename, data, content_type=None, **kw):
    headers = {"Content-Type": content_type} if content_type else {}
    params = {}
    if code is not None:
        params["code"] = code
    if filename is not None:
        params["filename"] = filename
    return api.post(f"/v1/requests/{rid}/materials", token=tok, params=params, data=data,
                    headers=headers, **kw)


def uploaded(api, tok, rid, code, filename, data, content_type=None):
    r = upload(api, tok, rid, code, filename, data, content_type)
    assert r.status_code == 201, r.content
    return r.json()


def list_all(api, tok, rid, limit=100):
    out, path = [], f"/v1/requests/{rid}/materials?limit={limit}"
    for _ in range(100):
        r = api.get(path, token=tok)
        assert r.status_code == 200, r.content
        body = r.json()
        out += body["data"]
        if body["next_cursor"] is None:
            return out
        path = f"/v1/requests/{rid}/materials?limit={limit}&cursor={body['next_cursor']}"
    pytest.fail("pagination does not end")


def raw_post(api, path, tok, body):
    """For the request operations this module only needs (creating,
    withdrawing): their contract is test_requests.py's to check."""
    return api.s.post(BASE_URL + path, json=body, headers={"Authorization": "Bearer " + tok},
                      timeout=30)


def request_version(db, rid):
    return db.scalar(f"SELECT version FROM requests WHERE id = '{rid}'")


# --------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module", autouse=True)
def identity_encoding(api):
    """ETag assertions want the server's own tags, not nginx's weak ones."""
    old = api.s.headers.get("Accept-Encoding")
    api.s.headers["Accept-Encoding"] = "identity"
    yield
    if old is None:
        api.s.headers.pop("Accept-Encoding", None)
    else:
        api.s.headers["Accept-Encoding"] = old


@pytest.fixture(scope="module")
def world(api, make_unit, make_account, login, tokens, supervisor):
    """A unit with its staff, a published online service item with materials
    ID (required) and PHOTO, two applicants, and another unit's clerk."""
    u = make_unit(kind="municipal_agency", code=uniq("MT-"), name="材料测试局" + uniq())
    clerk = tokens.mint("clerk", unit=u["id"], sub=str(uuid.uuid4()))
    approver = tokens.mint("approver", unit=u["id"], sub=str(uuid.uuid4()))
    other_clerk = tokens.mint("clerk", sub=str(uuid.uuid4()))  # the PSB's
    assert tokens.units["PSB"] != u["id"]
    r = api.post("/v1/items", token=clerk, json={
        "kind": "service", "category": "administrative_license", "code": uniq("MT-"),
        "name": "材料测试事项" + uniq(), "legal_basis": "《中华人民共和国行政许可法》第二十九条",
        "statutory_days": 20, "committed_days": 10,
        "materials": [{"code": "ID", "name": "居民身份证", "required": True},
                      {"code": "PHOTO", "name": "近期免冠照片", "required": False}],
        "fee": 0, "online": True})
    assert r.status_code == 201, r.content
    item = r.json()["id"]
    assert api.post(f"/v1/items/{item}/submit", token=clerk).status_code == 200
    r = api.post(f"/v1/items/{item}/review", token=approver, json={"decision": "approve"})
    assert r.status_code == 200, r.content
    applicants = []
    for prefix in ("mat", "mat2"):
        acct, password = make_account(prefix)
        applicants.append(SimpleNamespace(id=acct["id"], tok=login(acct["username"], password)))
    return SimpleNamespace(unit=u["id"], item=item, clerk=clerk, approver=approver,
                           other_clerk=other_clerk, supervisor=supervisor,
                           applicant=applicants[0].tok, applicant_id=applicants[0].id,
                           other=applicants[1].tok)


def new_request(api, world, kind="disclosure", tok=None):
    if kind == "disclosure":
        body = {"kind": "disclosure", "unit_id": world.unit,
                "description": "申请公开材料测试局2019年度行政许可办理情况。" + uniq(),
                "purpose": None, "delivery": "electronic"}
    else:
        body = {"kind": "approval", "item_id": world.item, "form": {"note": uniq()}}
    r = raw_post(api, "/v1/requests", tok or world.applicant, body)
    assert r.status_code == 201, r.content
    return r.json()["id"]


@pytest.fixture(scope="module")
def disclosure(api, world):
    return new_request(api, world)


@pytest.fixture(scope="module")
def approval(api, world):
    return new_request(api, world, "approval")


# --------------------------------------------------------------------------
# uploads that are accepted


@pytest.mark.parametrize("kind,data,filename,content_type,mime", [
    ("pdf", PDF, "申请书.pdf", "application/pdf", "application/pdf"),
    ("jpeg", JPEG, "身份证正面.JPG", "image/jpeg", "image/jpeg"),
    ("jpeg-ext", JPEG, "photo.jpeg", None, "image/jpeg"),
    ("png", PNG, "scan.png", "application/octet-stream", "image/png"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 40 else "")
def test_upload_real_files(api, world, db, kind, data, filename, content_type, mime):
    rid = new_request(api, world)
    before = request_version(db, rid)
    r = upload(api, world.applicant, rid, "DOC", filename, data, content_type)
    assert r.status_code == 201, r.content
    m = r.json()
    assert set(m) == MATERIAL_KEYS
    sha = hashlib.sha256(data).hexdigest()
    assert m["request_id"] == rid and m["code"] == "DOC" and m["version"] == 1
    assert m["filename"] == filename and m["content_type"] == mime
    assert m["size"] == len(data) and m["sha256"] == sha
    assert m["uploaded_by"] == world.applicant_id and m["uploaded_role"] == "public"
    assert r.headers["Location"] == f"/v1/requests/{rid}/materials/{m['id']}"
    assert r.headers["ETag"] == f'"{sha}"'
    # the request's representation depends on its materials: its version moves
    assert int(request_version(db, rid)) == int(before) + 1

    g = api.get(r.headers["Location"], token=world.applicant)
    assert g.status_code == 200 and g.json() == m
    assert g.headers["ETag"] == f'"{sha}"'

    c = api.get(r.headers["Location"] + "/content", token=world.applicant)
    assert c.status_code == 200
    assert c.content == data
    assert c.headers["Content-Type"] == mime
    assert c.headers["Content-Length"] == str(len(data))
    assert c.headers["ETag"] == f'"{sha}"'
    assert c.headers["X-Content-Type-Options"] == "nosniff"
    assert c.headers["Cache-Control"] == "private"
    cd = c.headers["Content-Disposition"]
    assert cd.startswith("attachment; filename=\"")
    assert cd.endswith("; filename*=UTF-8''" + quote(filename, safe="!#$&+-.^_`|~"))

    audit = db("SELECT actor, role, detail->>'code', (detail->>'version')::int,"
               " detail->>'sha256', (detail->>'size')::int, detail->>'material_id'"
               f" FROM audit_log WHERE action = 'request.material_upload' AND entity = 'request'"
               f" AND entity_id = '{rid}'")
    assert audit == [[world.applicant_id, "public", "DOC", "1", sha, str(len(data)), m["id"]]]


def test_download_names_and_conditional_get(api, world, disclosure):
    name = '身份证 "正面" 100%.pdf'
    m = uploaded(api, world.applicant, disclosure, "NAMES", name, PDF)
    path = f"/v1/requests/{disclosure}/materials/{m['id']}/content"
    c = api.get(path, token=world.applicant)
    assert c.status_code == 200 and c.content == PDF
    cd = c.headers["Content-Disposition"]
    # ASCII stand-in: one '_' per non-ASCII character, and for '"' and '%'
    assert cd == ("attachment; filename=\"___ ____ 100_.pdf\"; filename*=UTF-8''"
                  "%E8%BA%AB%E4%BB%BD%E8%AF%81%20%22%E6%AD%A3%E9%9D%A2%22%20100%25.pdf")
    etag = c.headers["ETag"]
    for inm in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        r = api.get(path, token=world.applicant, headers={"If-None-Match": inm})
        assert r.status_code == 304, inm
        assert r.content == b"" and r.headers["ETag"] == etag
    r = api.get(path, token=world.applicant, headers={"If-None-Match": '"0"'})
    assert r.status_code == 200 and r.content == PDF
    meta = f"/v1/requests/{disclosure}/materials/{m['id']}"
    r = api.get(meta, token=world.applicant, headers={"If-None-Match": etag})
    assert r.status_code == 304
    head = api.s.head(BASE_URL + path, headers={"Authorization": "Bearer " + world.applicant})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == str(len(PDF))


def test_versions_increase_per_code(api, world, db, approval):
    a1 = uploaded(api, world.applicant, approval, "ID", "id-1.pdf", PDF)
    p1 = uploaded(api, world.applicant, approval, "PHOTO", "photo.png", PNG, "image/png")
    a2 = uploaded(api, world.clerk, approval, "ID", "id-2.jpg", JPEG)
    a3 = uploaded(api, world.approver, approval, "ID", "id-3.png", PNG)
    assert [a1["version"], a2["version"], a3["version"]] == [1, 2, 3]
    assert p1["version"] == 1
    assert a2["uploaded_role"] == "clerk" and a3["uploaded_role"] == "approver"
    listed = list_all(api, world.applicant, approval)
    assert [(m["code"], m["version"]) for m in listed] == [
        ("ID", 1), ("ID", 2), ("ID", 3), ("PHOTO", 1)]
    assert [m["id"] for m in listed] == [a1["id"], a2["id"], a3["id"], p1["id"]]
    # keyset pages of one give the same rows
    assert list_all(api, world.applicant, approval, limit=1) == listed
    r = api.get(f"/v1/requests/{approval}/materials?limit=2", token=world.applicant)
    assert r.status_code == 200 and len(r.json()["data"]) == 2
    assert r.json()["next_cursor"] and 'rel="next"' in r.headers["Link"]
    # the bytes of each version are their own
    for m, data in ((a1, PDF), (a2, JPEG), (a3, PNG), (p1, PNG)):
        c = api.get(f"/v1/requests/{approval}/materials/{m['id']}/content", token=world.clerk)
        assert c.content == data
        assert db.scalar(f"SELECT encode(sha256(f.content), 'hex') FROM materials m JOIN files f"
                         f" ON f.id = m.file_id WHERE m.id = '{m['id']}'") == m["sha256"]


def test_exactly_10_mib_is_accepted(api, world, disclosure):
    data = make_pdf_of_size(MAX)
    assert len(data) == MAX
    m = uploaded(api, world.applicant, disclosure, "BIG", "big.pdf", data, "application/pdf")
    assert m["size"] == MAX and m["sha256"] == hashlib.sha256(data).hexdigest()
    c = api.get(f"/v1/requests/{disclosure}/materials/{m['id']}/content", token=world.supervisor)
    assert c.status_code == 200 and c.content == data


def test_concurrent_uploads_get_distinct_versions(api, world):
    rid = new_request(api, world)
    n = 8
    results, errors = [None] * n, []

    def worker(i):
        try:
            a = Api(BASE_URL, CONTRACT)
            a.s.headers["Accept-Encoding"] = "identity"
            results[i] = upload(a, world.applicant, rid, "SAME", f"f{i}.png", make_png((i, i, i)))
        except BaseException as e:  # pytest.fail in a thread is an exception too
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert all(r.status_code == 201 for r in results), [r.content for r in results]
    versions = sorted(r.json()["version"] for r in results)
    assert versions == list(range(1, n + 1))
    by_name = {m["filename"]: m for m in list_all(api, world.applicant, rid)}
    for i, r in enumerate(results):
        assert by_name[f"f{i}.png"]["version"] == r.json()["version"]


def test_disclosure_takes_any_well_formed_code(api, world, disclosure):
    for code in ("A", "x_y-Z9", "C" * 32):
        assert uploaded(api, world.applicant, disclosure, code, "a.pdf", PDF)["code"] == code


# --------------------------------------------------------------------------
# who sees what


def test_visibility(api, world, disclosure):
    m = uploaded(api, world.applicant, disclosure, "VIS", "vis.png", PNG)
    paths = [f"/v1/requests/{disclosure}/materials",
             f"/v1/requests/{disclosure}/materials/{m['id']}",
             f"/v1/requests/{disclosure}/materials/{m['id']}/content"]
    for tok in (world.applicant, world.clerk, world.approver, world.supervisor):
        for p in paths:
            assert api.get(p, token=tok).status_code == 200, p
    for tok in (world.other, world.other_clerk):
        for p in paths:
            assert_problem(api.get(p, token=tok), 404, "not-found")
    for p in paths:
        assert_problem(api.get(p), 401, "unauthorized")


def test_not_found_cases(api, world, disclosure, approval):
    m = uploaded(api, world.applicant, disclosure, "NF", "nf.pdf", PDF)
    tok = world.applicant
    for p in (f"/v1/requests/{approval}/materials/{m['id']}",           # another request's
              f"/v1/requests/{approval}/materials/{m['id']}/content",
              f"/v1/requests/{disclosure}/materials/{uuid.uuid4()}",
              f"/v1/requests/{disclosure}/materials/{uuid.uuid4()}/content",
              f"/v1/requests/{disclosure}/materials/not-a-uuid",
              f"/v1/requests/{uuid.uuid4()}/materials",
              "/v1/requests/not-a-uuid/materials"):
        assert_problem(api.get(p, token=tok), 404, "not-found")


def test_bad_list_queries_400(api, world, disclosure):
    for q in ("limit=0", "limit=101", "cursor=bogus"):
        doc = assert_problem(api.get(f"/v1/requests/{disclosure}/materials?{q}",
                                     token=world.applicant), 400, "bad-request")
        assert error_pointers(doc) == ["/query/" + q.split("=")[0]]


# --------------------------------------------------------------------------
# refusals: each changes nothing


def test_refused_uploads_change_nothing(api, world, db, disclosure, approval, unchanged):
    html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
    garbage_pdf = PDF[:200] + b"\x00garbage" * 50
    cases = [
        # (who, request, code, filename, body, content type, status, slug, pointer)
        (world.applicant, disclosure, "X", "a.pdf", html, "application/pdf", 415,
         "unsupported-media-type", None),
        (world.applicant, disclosure, "X", "a.pdf", PNG, "application/pdf", 415,
         "unsupported-media-type", None),
        (world.applicant, disclosure, "X", "a.pdf", garbage_pdf, None, 415,
         "unsupported-media-type", None),
        (world.applicant, disclosure, "X", "a.pdf", PDF, "text/html", 415,
         "unsupported-media-type", None),
        (world.applicant, disclosure, "X", "a.pdf", PDF, "application/json", 415,
         "unsupported-media-type", None),
        (world.applicant, disclosure, "X", "x.pdf", PNG, "image/png", 422, "validation",
         ["/query/filename"]),
        (world.applicant, disclosure, "X", "x.pdf", PNG, None, 422, "validation",
         ["/query/filename"]),
        (world.applicant, disclosure, "X", "x", PDF, None, 422, "validation",
         ["/query/filename"]),
        (world.applicant, disclosure, "X", "a.png.exe", PNG, None, 422, "validation",
         ["/query/filename"]),
        (world.applicant, disclosure, "X", "a.pdf", b"", None, 422, "validation", [""]),
        (world.applicant, approval, "NOT_ON_ITEM", "a.pdf", PDF, None, 422, "validation",
         ["/query/code"]),
        (world.applicant, approval, "id", "a.pdf", PDF, None, 422, "validation",
         ["/query/code"]),
        (world.applicant, disclosure, None, "a.pdf", PDF, None, 400, "bad-request",
         ["/query/code"]),
        (world.applicant, disclosure, "bad code", "a.pdf", PDF, None, 400, "bad-request",
         ["/query/code"]),
        (world.applicant, disclosure, "C" * 33, "a.pdf", PDF, None, 400, "bad-request",
         ["/query/code"]),
        (world.applicant, disclosure, "X", None, PDF, None, 400, "bad-request",
         ["/query/filename"]),
        (world.applicant, disclosure, "X", "../../etc/a.pdf", PDF, None, 400, "bad-request",
         ["/query/filename"]),
        (world.applicant, disclosure, "X", "n" * 252 + ".pdf", PDF, None, 400, "bad-request",
         ["/query/filename"]),
        (world.applicant, disclosure, "X", "a\x01.pdf", PDF, None, 422, "validation",
         ["/query/filename"]),
        (world.supervisor, disclosure, "X", "a.pdf", PDF, None, 403, "forbidden", None),
        (world.other, disclosure, "X", "a.pdf", PDF, None, 404, "not-found", None),
        (world.other_clerk, disclosure, "X", "a.pdf", PDF, None, 404, "not-found", None),
        (world.applicant, str(uuid.uuid4()), "X", "a.pdf", PDF, None, 404, "not-found", None),
        (None, disclosure, "X", "a.pdf", PDF, None, 401, "unauthorized", None),
    ]
    versions = (request_version(db, disclosure), request_version(db, approval))
    with unchanged():
        for who, rid, code, filename, data, ct, status, slug, pointers in cases:
            r = upload(api, who, rid, code, filename, data, ct)
            doc = assert_problem(r, status, slug)
            if pointers is not None:
                assert error_pointers(doc) == pointers, (filename, doc)
    assert (request_version(db, disclosure), request_version(db, approval)) == versions


@pytest.mark.parametrize("filename", [
    "invoice_\u202efdp.exe.pdf",  # RIGHT-TO-LEFT OVERRIDE: shown as "invoice_fdp.exe.pdf" reversed
    "\u202aa.pdf", "\u202ba.pdf", "\u202ca.pdf", "\u202da.pdf",
    "\u2066a.pdf", "\u2067a.pdf", "\u2068a.pdf", "a\u2069.pdf",
    "a\u200e.pdf", "a\u200f.pdf", "a\u061c.pdf",
    "a\x01.pdf", "a\x1f.pdf", "a\x7f.pdf", "a\u0085.pdf", "a\u009f.pdf", "a\tb.pdf",
], ids=lambda v: "U+%04X" % next((ord(c) for c in v if ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f
                                  or c in "\u200e\u200f\u061c" or 0x202a <= ord(c) <= 0x202e
                                  or 0x2066 <= ord(c) <= 0x2069), 0))
def test_filename_with_bidi_or_control_characters_422(api, world, db, disclosure, unchanged,
                                                      filename):
    version = request_version(db, disclosure)
    with unchanged():
        r = upload(api, world.applicant, disclosure, "BIDI", filename, PDF, "application/pdf")
        doc = assert_problem(r, 422, "validation")
        assert error_pointers(doc) == ["/query/filename"], doc
        assert "control characters" in doc["errors"][0]["message"], doc
    assert request_version(db, disclosure) == version


def test_filename_in_other_scripts_accepted(api, world, disclosure):
    # zero-width space and joiner, CJK, emoji: not reordering marks
    for name in ("身份证\u200b正面.pdf", "a\u200db.pdf", "\U0001f600.pdf", "العربية.pdf"):
        uploaded(api, world.applicant, disclosure, "NAMES", name, PDF)


def test_too_large_413(api, world, disclosure, unchanged):
    with unchanged():
        # one byte over: the service's own answer
        r = upload(api, world.applicant, disclosure, "BIG", "big.pdf", make_pdf_of_size(MAX + 1),
                   "application/pdf")
        doc = assert_problem(r, 413, "payload-too-large")
        assert "10485760" in doc["detail"]
        # far over: nginx answers before the body reaches the service
        r = upload(api, world.applicant, disclosure, "BIG", "big.pdf", b"\0" * (12 * 1024 * 1024),
                   "application/pdf")
        doc = assert_problem(r, 413, "payload-too-large")
        assert "10485760" in doc["detail"]


def test_upload_after_withdraw_409(api, world, db, unchanged):
    rid = new_request(api, world)
    uploaded(api, world.applicant, rid, "DOC", "a.pdf", PDF)
    r = raw_post(api, f"/v1/requests/{rid}/withdraw", world.applicant, {})
    assert r.status_code == 200, r.content
    version = request_version(db, rid)
    with unchanged():
        for tok in (world.applicant, world.clerk):
            doc = assert_problem(upload(api, tok, rid, "DOC", "a.pdf", PDF), 409, "conflict")
            assert doc["current_status"] == "withdrawn" and doc["allowed_actions"] == []
    assert request_version(db, rid) == version
    # what was uploaded stays readable
    assert [m["version"] for m in list_all(api, world.applicant, rid)] == [1]
