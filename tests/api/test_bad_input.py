"""Bad request bodies on POST /v1/units and POST /v1/accounts.

Each answers the right 4xx as problem+json and leaves the database unchanged.
"""

import json
import uuid

import pytest

from conftest import assert_problem, error_pointers, uniq

JSON = "application/json"


def unit_body():
    return {"kind": "township", "code": uniq("BAD-"), "name": "坏输入测试"}


def account_body():
    return {"username": uniq("bad."), "password": "pw-" + uuid.uuid4().hex,
            "applicant_type": "natural_person"}


TARGETS = {
    # name: (path, body factory, string field to nest into, needs admin)
    "units": ("/v1/units", unit_body, "name", True),
    "accounts": ("/v1/accounts", account_body, "display_name", False),
}


def nested(depth_total, field, base):
    """base with `field` replaced by arrays nested so the document is depth_total deep."""
    k = depth_total - 1  # the top-level object is depth 1
    placeholder = "__NEST__"
    doc = json.dumps(dict(base, **{field: placeholder}), ensure_ascii=False)
    return doc.replace('"%s"' % placeholder, "[" * k + "]" * k).encode()


def dup_key(base):
    first = next(iter(base))
    raw = json.dumps(base, ensure_ascii=False)
    return (raw[:-1] + ', "%s": %s}' % (first, json.dumps(base[first]))).encode()


def cases(field, base):
    """name -> (body bytes, content type, status, slug, pointer)."""
    raw = json.dumps(base, ensure_ascii=False).encode()
    big = json.dumps(dict(base, **{field: "x" * (2 * 1024 * 1024)})).encode()
    just_over = json.dumps(dict(base, **{field: "y" * (1024 * 1024)})).encode()
    return {
        "malformed": (raw[:-5], JSON, 400, "invalid-json", None),
        "trailing_garbage": (raw + b" {}", JSON, 400, "invalid-json", None),
        "single_quotes": (raw.replace(b'"', b"'"), JSON, 400, "invalid-json", None),
        "empty_body": (b"", JSON, 400, "invalid-json", None),
        "array_body": (b"[" + raw + b"]", JSON, 400, "invalid-json", None),
        "string_body": (b'"hello"', JSON, 400, "invalid-json", None),
        "null_body": (b"null", JSON, 400, "invalid-json", None),
        "duplicate_keys": (dup_key(base), JSON, 400, "invalid-json", None),
        "depth_33": (nested(33, field, base), JSON, 400, "invalid-json", None),
        "depth_5000": (nested(5000, field, base), JSON, 400, "invalid-json", None),
        "depth_32_is_a_type_error": (nested(32, field, base), JSON, 422, "validation",
                                     "/" + field),
        "unknown_field": (json.dumps(dict(base, colour="red")).encode(), JSON, 422,
                          "validation", "/colour"),
        "wrong_type_number": (json.dumps(dict(base, **{field: 42})).encode(), JSON, 422,
                              "validation", "/" + field),
        "wrong_type_object": (json.dumps(dict(base, **{field: {"a": 1}})).encode(), JSON, 422,
                              "validation", "/" + field),
        "invalid_utf8": (raw.replace(b'"', b'"\xff\xfe', 1), JSON, 400, "invalid-json", None),
        "invalid_utf8_in_value": (json.dumps(dict(base, **{field: "PLACE"})).encode()
                                  .replace(b"PLACE", b"ok\xc3\x28ok"), JSON, 400,
                                  "invalid-json", None),
        "overlong_utf8": (json.dumps(dict(base, **{field: "PLACE"})).encode()
                          .replace(b"PLACE", b"\xc0\xaf"), JSON, 400, "invalid-json", None),
        "utf8_surrogate": (json.dumps(dict(base, **{field: "PLACE"})).encode()
                           .replace(b"PLACE", b"\xed\xa0\x80"), JSON, 400, "invalid-json", None),
        "body_2mib": (big, JSON, 413, "payload-too-large", None),
        "body_just_over_1mib": (just_over, JSON, 413, "payload-too-large", None),
        "text_plain": (raw, "text/plain", 415, "unsupported-media-type", None),
        "form_urlencoded": (raw, "application/x-www-form-urlencoded", 415,
                            "unsupported-media-type", None),
        "json_lookalike": (raw, "application/jsonp", 415, "unsupported-media-type", None),
        "no_content_type": (raw, None, 415, "unsupported-media-type", None),
    }


CASE_NAMES = list(cases("name", unit_body()))


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("case", CASE_NAMES)
def test_bad_body(api, admin, unchanged, target, case):
    path, factory, field, needs_admin = TARGETS[target]
    body, ctype, status, slug, pointer = cases(field, factory())[case]
    headers = {}
    if ctype is not None:
        headers["Content-Type"] = ctype
    with unchanged():
        r = api.post(path, data=body, headers=headers, token=admin if needs_admin else None)
        doc = assert_problem(r, status, slug)
        assert doc["instance"] == path
        if pointer:
            assert pointer in error_pointers(doc), doc


@pytest.mark.parametrize("target", list(TARGETS))
def test_same_body_well_formed_is_accepted(api, admin, target):
    """The control: the base bodies used above are themselves acceptable."""
    path, factory, field, needs_admin = TARGETS[target]
    r = api.post(path, data=json.dumps(factory()).encode(), headers={"Content-Type": JSON},
                 token=admin if needs_admin else None)
    assert r.status_code == 201, r.content


def test_unit_bad_uuid_in_body_422(api, admin, unchanged):
    with unchanged():
        r = api.post("/v1/units", token=admin, json=dict(unit_body(), parent_id="not-a-uuid"))
        doc = assert_problem(r, 422, "validation")
        assert "/parent_id" in error_pointers(doc), doc


def test_errors_list_every_problem(api, admin, unchanged):
    with unchanged():
        r = api.post("/v1/units", token=admin,
                     json={"kind": "castle", "code": "bad code", "name": 7, "colour": "red"})
        doc = assert_problem(r, 422, "validation")
        ptrs = set(error_pointers(doc))
        assert {"/kind", "/code", "/name", "/colour"} <= ptrs, ptrs
        assert all(e["message"] for e in doc["errors"])


def test_bad_body_on_patch(api, admin, make_unit, unchanged):
    u = make_unit()
    etag = api.get("/v1/units/" + u["id"]).headers["ETag"]
    with unchanged():
        for body, ctype, status in [
            (b'{"name": "a", "name": "b"}', JSON, 400),
            (b'{"name": ', JSON, 400),
            (b'{"name": "\xff"}', JSON, 400),
            (b'{"name": "x"}', "text/plain", 415),
            (b'{"name": "' + b"z" * (2 * 1024 * 1024) + b'"}', JSON, 413),
        ]:
            r = api.patch("/v1/units/" + u["id"], token=admin, data=body,
                          headers={"Content-Type": ctype, "If-Match": etag})
            assert_problem(r, status)
    assert api.get("/v1/units/" + u["id"]).headers["ETag"] == etag


def test_bad_body_on_login(api, unchanged):
    with unchanged():
        r = api.post("/v1/auth/token", data=b'{"username": "demo-admin", "username": "x", '
                     b'"password": "demo-password"}', headers={"Content-Type": JSON})
        assert_problem(r, 400, "invalid-json")
        r = api.post("/v1/auth/token", data=b"username=demo-admin&password=demo-password",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert_problem(r, 415, "unsupported-media-type")
        r = api.post("/v1/auth/token", data=b'{"username": "demo-admin", "password": "'
                     + b"p" * (2 * 1024 * 1024) + b'"}', headers={"Content-Type": JSON})
        assert_problem(r, 413, "payload-too-large")
