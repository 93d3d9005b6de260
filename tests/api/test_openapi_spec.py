"""openapi.yaml itself: loadable, complete for issue 2's routes, internally consistent.

These tests need no running stack.
"""

import re

import pytest
from jsonschema import Draft202012Validator

from conftest import CONTRACT, Contract, binary_routes

DOC = CONTRACT.doc

# The operations are those of the route table (api/routes.def), read from
# the binary: tests/api/test_house.py holds the two together.
ROUTES = binary_routes()
# POSTs that take no body (the transition is all the request says), and
# those whose body is a file (its bytes as they are), not JSON: as the route
# table's flags say.
BODILESS_POSTS = {rt.operation_id for rt in ROUTES
                  if rt.method == "POST" and not rt.flags & {"json", "upload"}}
FILE_UPLOADS = {rt.operation_id for rt in ROUTES if "upload" in rt.flags}
ROLES = {"anonymous", "public", "clerk", "approver", "supervisor", "admin"}
SCHEMAS = {"Unit", "UnitCreate", "UnitPatch", "UnitList", "Account", "AccountCreate",
           "TokenRequest", "TokenResponse", "Me", "AuditEntry", "AuditList",
           "AuditVerify", "Health", "Readiness", "Problem"}


def operations():
    for path, item in DOC["paths"].items():
        for m in Contract.METHODS:
            if m in item:
                yield m, path, item, item[m]


def walk(node, where=""):
    yield where, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, f"{where}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{where}/{i}")


def validate(schema, instance):
    return CONTRACT.schema_errors(schema, instance)


def test_header_fields():
    assert DOC["openapi"] == "3.1.0"
    info = DOC["info"]
    assert info["title"] and info["version"] == "0.1.0"
    assert info["contact"].get("email") or info["contact"].get("url")
    assert "Roles" in info["description"]
    assert any(s["url"] == "http://127.0.0.1:8080" for s in DOC["servers"])
    scheme = DOC["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    assert scheme["bearerFormat"] == "JWT"
    assert SCHEMAS <= set(DOC["components"]["schemas"])


def test_exactly_the_routes_of_the_spec():
    got = {(m, p): op["operationId"] for m, p, _, op in operations() if m != "head"}
    assert got == {(rt.method.lower(), rt.path): rt.operation_id for rt in ROUTES}


def test_head_is_declared_for_every_get():
    """The router answers HEAD on every GET route (src/server/router.c):
    the same handler, status and headers, no body. Each GET has its HEAD
    operation: same parameters, roles and security, the same statuses, and a
    success answer that declares headers but no content. scripts/openapi-head.py
    writes them from the GETs."""
    for m, p, item, op in operations():
        if m == "get":
            head = item.get("head")
            assert head, f"GET {p} has no HEAD operation (scripts/openapi-head.py writes them)"
            oid = op["operationId"]
            assert head["operationId"] == "head" + oid[0].upper() + oid[1:]
            for k in ("parameters", "security", "x-roles", "tags"):
                assert head.get(k) == op.get(k), f"HEAD {p}: {k}"
            assert set(head["responses"]) == set(op["responses"]), p
            for status, r in head["responses"].items():
                if status.startswith("2"):
                    assert "content" not in r, f"HEAD {p} {status} declares a body"
                    assert r["headers"] == CONTRACT.resolve(op["responses"][status])["headers"]
        if m == "head":
            assert "get" in item, f"HEAD {p} without GET"


def test_operation_ids_unique_and_camel_case():
    ids = [op["operationId"] for _, _, _, op in operations()]
    assert len(ids) == len(set(ids))
    for i in ids:
        assert re.fullmatch(r"[a-z][a-zA-Z0-9]*", i), i


def test_every_ref_resolves():
    refs = [(w, n["$ref"]) for w, n in walk(DOC) if isinstance(n, dict) and "$ref" in n]
    assert refs
    for where, ref in refs:
        assert ref.startswith("#/"), f"{where}: external ref {ref}"
        try:
            CONTRACT.resolve({"$ref": ref})
        except KeyError as e:
            pytest.fail(f"{where}: $ref {ref} does not resolve ({e})")


def test_component_schemas_are_valid_2020_12():
    for name, schema in DOC["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
        for i, ex in enumerate(schema.get("examples", [])):
            assert not validate({"$ref": f"#/components/schemas/{name}"}, ex), \
                f"schema {name} example {i}"


def test_no_openapi_30_leftovers():
    for where, node in walk(DOC):
        if isinstance(node, dict):
            assert "nullable" not in node, f"{where}: use type [.., 'null'] in 3.1"
            if "schema" in where.split("/")[-1:]:
                assert "example" not in node, f"{where}: use examples in schemas"


def test_tags_roles_and_security():
    tag_names = {t["name"] for t in DOC["tags"]}
    for m, p, _, op in operations():
        where = f"{m.upper()} {p}"
        assert op.get("tags") and set(op["tags"]) <= tag_names, where
        assert op.get("summary"), where
        roles = op.get("x-roles")
        assert roles and set(roles) <= ROLES, where
        sec = op.get("security")
        assert sec is not None, f"{where}: say security explicitly"
        anonymous_ok = sec == [] or {} in sec
        assert anonymous_ok == ("anonymous" in roles), where
        if any("bearerAuth" in s for s in sec):
            assert set(roles) - {"anonymous"}, where


def test_path_parameters_declared_and_bounded():
    for m, p, item, op in operations():
        params = [CONTRACT.resolve(x) for x in item.get("parameters", []) + op.get("parameters", [])]
        names_in_path = set(re.findall(r"\{([^}]+)\}", p))
        in_path = {x["name"] for x in params if x["in"] == "path"}
        assert names_in_path == in_path, f"{m} {p}"
        for x in params:
            if x["in"] == "path":
                assert x["required"] is True
                # An example, so that example-driven tools (Dredd, Portman)
                # can call the operation without configuration.
                assert "example" in x, f"{m} {p} {x['name']}: no example"
                assert not validate(x["schema"], x["example"]), f"{m} {p} {x}"
                # Ids are UUIDs; a calendar day is addressed by its date,
                # a calendar year by its number.
                if x["name"] == "year":
                    assert x["schema"] == {"type": "integer", "minimum": 1900,
                                           "maximum": 9999}, f"{m} {p} {x}"
                    continue
                # A unit's disclosure guide is addressed by its version.
                if x["name"] == "version":
                    assert x["schema"] == {"type": "integer", "minimum": 1,
                                           "maximum": 999999999}, f"{m} {p} {x}"
                    continue
                want = "date" if x["name"] == "date" else "uuid"
                assert x["schema"].get("format") == want or (
                    want == "date" and x["schema"].get("pattern")), f"{m} {p} {x}"
            if x["name"] == "limit":
                assert x["schema"] == {"type": "integer", "minimum": 1, "maximum": 100,
                                       "default": 20}
            if x["name"] == "cursor":
                assert x["schema"]["maxLength"] == 512


def test_required_parameters_have_examples():
    """Example-driven tools (Dredd, Portman) fill every required parameter
    from its example: each has one, valid for its schema."""
    for m, p, item, op in operations():
        for x in item.get("parameters", []) + op.get("parameters", []):
            x = CONTRACT.resolve(x)
            if x.get("required"):
                assert "example" in x, f"{m} {p} {x['name']}: no example"
                assert not validate(x["schema"], x["example"]), f"{m} {p} {x['name']}"


def test_lists_take_limit_and_cursor():
    for m, p, item, op in operations():
        if op["operationId"].startswith("list"):
            names = {CONTRACT.resolve(x)["name"] for x in op.get("parameters", [])}
            assert {"limit", "cursor"} <= names, p
            assert "400" in op["responses"]


def test_request_bodies_closed_and_with_valid_examples():
    for m, p, _, op in operations():
        rb = op.get("requestBody")
        if m in ("post", "patch") and op["operationId"] not in BODILESS_POSTS:
            assert rb, f"{m} {p} has no request body"
        if not rb:
            continue
        assert rb.get("required") is True
        assert ("application/json" in rb["content"]) != (op["operationId"] in FILE_UPLOADS)
        for mt, media in rb["content"].items():
            schema = CONTRACT.resolve(media["schema"])
            if op["operationId"] in FILE_UPLOADS:
                assert schema.get("format") == "binary", f"{p} {mt}"
                assert "example" in media, f"{m} {p} {mt}: no example"
                continue
            # a closed object, or a choice (oneOf/anyOf) of closed objects
            branches = [CONTRACT.resolve(b) for b in
                        schema.get("oneOf") or schema.get("anyOf") or [schema]]
            for b in branches:
                assert b.get("additionalProperties") is False, f"{p} {mt}"
            examples = media.get("examples") or {}
            assert examples, f"{m} {p} {mt}: no examples"
            for name, ex in examples.items():
                errs = validate(media["schema"], ex["value"])
                assert not errs, f"{m} {p} {mt} example {name}: {errs}"
        for status in ("400", "413", "415", "422"):
            assert status in op["responses"], f"{m} {p} lacks {status}"


def test_responses_complete():
    for m, p, _, op in operations():
        where = f"{m.upper()} {p}"
        responses = op["responses"]
        assert "500" in responses, where
        assert "401" in responses, f"{where}: invalid tokens answer 401 everywhere"
        if p.startswith("/v1/"):
            assert "503" in responses, f"{where}: database down answers 503"
        if "bearerAuth" in str(op.get("security")) and "anonymous" not in op["x-roles"] \
                and set(op["x-roles"]) != {"public", "clerk", "approver", "supervisor", "admin"}:
            assert "403" in responses, where
        for status, r in responses.items():
            r = CONTRACT.resolve(r)
            assert r.get("description"), f"{where} {status}"
            headers = r.get("headers", {})
            assert "X-Request-Id" in headers, f"{where} {status}: no X-Request-Id"
            if status == "401":
                assert "WWW-Authenticate" in headers
            if status in ("429", "503"):
                assert "Retry-After" in headers
            if status == "201":
                assert {"Location", "ETag"} <= set(headers)
            if status == "304" or (m == "head" and status.startswith("2")):
                assert "content" not in r
                continue
            assert r.get("content"), f"{where} {status}: no content"
            for mt, media in r["content"].items():
                if int(status) >= 400:
                    assert mt == "application/problem+json", f"{where} {status}"
                assert "schema" in media
                exs = list((media.get("examples") or {}).values())
                exs = [e["value"] for e in exs]
                if "example" in media:
                    exs.append(media["example"])
                if mt != "text/plain":
                    assert exs, f"{where} {status} {mt}: no example"
                for ex in exs:
                    errs = validate(media["schema"], ex)
                    assert not errs, f"{where} {status} example: {errs}"


def test_object_gets_carry_etag_and_304():
    for m, p, _, op in operations():
        if m == "get" and p.endswith("{id}"):
            assert "304" in op["responses"]
            r200 = CONTRACT.resolve(op["responses"]["200"])
            assert "ETag" in r200["headers"]
            assert "IfNoneMatch" in str(op.get("parameters"))
        if m == "patch":
            assert {"412", "428"} <= set(op["responses"])
            assert "IfMatch" in str(op.get("parameters"))


def test_timestamps_are_date_time():
    for name, schema in DOC["components"]["schemas"].items():
        for prop, s in (schema.get("properties") or {}).items():
            if prop == "at" or prop.endswith("_at"):
                s = CONTRACT.resolve(s)
                assert s.get("format") == "date-time", f"{name}.{prop}"


def test_problem_schema():
    problem = DOC["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "code", "detail",
                                         "instance", "request_id"}
    item = problem["properties"]["errors"]["items"]
    assert set(item["required"]) == {"pointer", "code", "message"}


@pytest.mark.parametrize("body,ok", [
    ({"username": "abc", "password": "k3#vQ9!mZp", "applicant_type": "company"}, True),
    ({"username": "abc", "password": "k3#vQ9!mZp"}, False),  # public needs applicant_type
    ({"username": "abc", "password": "k3#vQ9!mZp", "role": "clerk"}, False),  # needs unit
    ({"username": "abc", "password": "k3#vQ9!mZp", "role": "clerk",
      "unit_id": "0b6f3a52-8d3e-4c59-9f8e-3f1a2b7c9d10"}, True),
    ({"username": "abc", "password": "k3#vQ9!mZp", "role": "admin",
      "unit_id": "0b6f3a52-8d3e-4c59-9f8e-3f1a2b7c9d10"}, False),  # unit refused
    ({"username": "Abc", "password": "k3#vQ9!mZp", "applicant_type": "ngo"}, False),
    ({"username": "abc", "password": "k3#vQ9!mZ", "applicant_type": "ngo"}, False),
    ({"username": "abc", "password": "k3#vQ9!mZp", "applicant_type": "ngo", "x": 1}, False),
])
def test_account_create_schema_rules(body, ok):
    errs = validate({"$ref": "#/components/schemas/AccountCreate"}, body)
    assert (not errs) == ok, errs


CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_enum_has_meaning_and_chinese_label():
    """Every enum says what each value means (in its description, each value
    named in backticks) and carries `x-enum-descriptions`: a Chinese label for
    each value, in the enum's order, as openapi-typescript (7.x, its enum
    output) and openapi-generator read it. An `if` condition restates values
    of an enum labelled where it is declared, and is not itself one."""
    seen = 0
    for where, node in walk(DOC):
        if (not isinstance(node, dict) or not isinstance(node.get("enum"), list)
                or "/if/" in where + "/"):
            continue
        # An example's value is data, not a schema of the contract (an
        # item's form_schema example holds the form's own enums).
        if "/examples/" in where + "/" or "/example/" in where + "/":
            continue
        seen += 1
        values = node["enum"]
        desc = node.get("description") or ""
        for v in values:
            if v is not None:
                assert f"`{v}`" in desc, f"{where}: the description does not say what `{v}` means"
        labels = node.get("x-enum-descriptions")
        assert isinstance(labels, list) and len(labels) == len(values), \
            f"{where}: x-enum-descriptions must be a list with one label per value"
        for v, label in zip(values, labels):
            assert isinstance(label, str) and CJK.search(label), f"{where}: {v!r} has no Chinese label"
    assert seen > 50


def _c_strings(src, array):
    body = re.search(rf"{array}\[\] = \{{(.*?)NULL", src, re.S).group(1)
    return re.findall(r'"([a-z_]+)"', body)


def test_public_and_internal_findings_are_what_the_server_writes():
    """PublicFinding has exactly the members api/findings.c writes for every
    reader, InternalFinding those and the internal ones; Finding is one or
    the other, told apart by `version`."""
    import os
    from conftest import REPO
    with open(os.path.join(REPO, "api", "findings.c"), encoding="utf-8") as f:
        src = f.read()
    public = set(_c_strings(src, "public_cols")) | {"published"}
    internal = public | set(_c_strings(src, "internal_cols")) | {"allowed_actions"}
    schemas = DOC["components"]["schemas"]
    pub, full = schemas["PublicFinding"], schemas["InternalFinding"]
    # The internal members are declared on PublicFinding too, deprecated and
    # never valid there (test_oneof_variants_keep_the_flat_members).
    live = {k for k, v in pub["properties"].items() if not v.get("deprecated")}
    assert live == set(pub["required"]) == public
    assert set(pub["properties"]) - live == internal - public
    for name in internal - public:
        assert pub["properties"][name].get("not") == {}, name
    assert set(full["properties"]) == set(full["required"]) == internal
    assert pub["additionalProperties"] is False and full["additionalProperties"] is False
    assert "version" not in public
    refs = [b["$ref"].rsplit("/", 1)[1] for b in schemas["Finding"]["oneOf"]]
    assert sorted(refs) == ["InternalFinding", "PublicFinding"]


# The members of Account, Finding and Request when each was one flat object
# (1.x, before 9890951 split them into oneOf variants). Frozen: a client
# generated from 1.x reads any of them on any variant, so every variant
# declares every one of them for ever (deprecated where it never has it).
FLAT_MEMBERS = {
    "Account": [
        "id", "username", "role", "status", "unit_id", "applicant_type", "display_name",
        "created_at"],
    "Finding": [
        "id", "source", "unit_id", "request_id", "item_id", "report_year", "category",
        "severity", "title", "description", "rectify_by", "status", "rectification",
        "rectified_at", "closed_at", "escalated_at", "published_at", "created_at",
        "updated_at", "published", "rule", "rectifications", "verification_comment",
        "verified_at", "created_by", "created_role", "version", "evidence", "allowed_actions"],
    "Request": [
        "id", "kind", "number", "status", "unit_id", "item_id", "channel", "applicant",
        "registered_by", "description", "purpose", "delivery", "form", "received_at",
        "accepted_at", "decided_at", "closed_at", "decision", "deadline", "correction",
        "pause", "fee", "licence_delivery", "closing_outcome", "appeals", "rating",
        "next_step", "allowed_actions", "created_at", "updated_at", "version"],
}


def declared_members(schema):
    """The property names a schema declares, through $ref and allOf."""
    schema = CONTRACT.resolve(schema)
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        names |= declared_members(part)
    return names


@pytest.mark.parametrize("name", sorted(FLAT_MEMBERS))
def test_oneof_variants_keep_the_flat_members(name):
    """Never remove a field: every variant of a schema that was one flat
    object declares each of its former members (openapi-typescript then
    types `x.member` on the union, as clients of the flat schema wrote it)."""
    schema = DOC["components"]["schemas"][name]
    variants = [b["$ref"] for b in schema["oneOf"]]
    assert len(variants) >= 2
    flat = set(FLAT_MEMBERS[name])
    for ref in variants:
        missing = flat - declared_members({"$ref": ref})
        assert not missing, f"{ref} no longer declares {sorted(missing)} of the flat {name}"
