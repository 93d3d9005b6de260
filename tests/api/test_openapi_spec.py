"""openapi.yaml itself: loadable, complete for issue 2's routes, internally consistent.

These tests need no running stack.
"""

import re

import pytest
from jsonschema import Draft202012Validator

from conftest import CONTRACT, Contract

DOC = CONTRACT.doc

EXPECTED_OPERATIONS = {
    ("get", "/healthz"): "getHealth",
    ("get", "/readyz"): "getReadiness",
    ("get", "/metrics"): "getMetrics",
    ("get", "/v1/units"): "listUnits",
    ("post", "/v1/units"): "createUnit",
    ("get", "/v1/units/{id}"): "getUnit",
    ("patch", "/v1/units/{id}"): "updateUnit",
    ("post", "/v1/accounts"): "createAccount",
    ("get", "/v1/accounts/{id}"): "getAccount",
    ("post", "/v1/accounts/{id}/disable"): "disableAccount",
    ("post", "/v1/accounts/{id}/enable"): "enableAccount",
    ("post", "/v1/auth/token"): "createToken",
    ("post", "/v1/auth/refresh"): "refreshToken",
    ("post", "/v1/auth/logout"): "logout",
    ("get", "/v1/me"): "getMe",
    ("post", "/v1/me/password"): "changeMyPassword",
    ("get", "/v1/calendar"): "getCalendar",
    ("put", "/v1/calendar/{date}"): "setCalendarDay",
    # calendar coverage: the years whose official schedule is loaded
    ("get", "/v1/calendar/years"): "getCalendarYears",
    ("put", "/v1/calendar/years/{year}"): "setCalendarYear",
    ("delete", "/v1/calendar/years/{year}"): "deleteCalendarYear",
    ("get", "/v1/audit"): "listAudit",
    ("get", "/v1/audit/verify"): "verifyAudit",
    # issue 4: the catalogue
    ("get", "/v1/items"): "listItems",
    ("post", "/v1/items"): "createItem",
    ("get", "/v1/items/{id}"): "getItem",
    ("patch", "/v1/items/{id}"): "updateItem",
    ("post", "/v1/items/{id}/submit"): "submitItem",
    ("post", "/v1/items/{id}/review"): "reviewItem",
    ("post", "/v1/items/{id}/withdraw"): "withdrawItem",
    # issue 5: requests and approvals
    ("get", "/v1/requests"): "listRequests",
    ("post", "/v1/requests"): "createRequest",
    ("get", "/v1/requests/{id}"): "getRequest",
    ("post", "/v1/requests/{id}/withdraw"): "withdrawRequest",
    ("post", "/v1/requests/{id}/resubmission"): "resubmitRequest",
    ("post", "/v1/requests/{id}/approvals"): "createApproval",
    ("get", "/v1/requests/{id}/approvals"): "listRequestApprovals",
    ("get", "/v1/approvals"): "listApprovals",
    ("get", "/v1/requests/{id}/materials"): "listMaterials",
    ("post", "/v1/requests/{id}/materials"): "uploadMaterial",
    ("get", "/v1/requests/{id}/materials/{mid}"): "getMaterial",
    ("get", "/v1/requests/{id}/materials/{mid}/content"): "getMaterialContent",
    # issue 12: the disclosure log
    ("post", "/v1/requests/{id}/publication"): "publishDisclosure",
    ("get", "/v1/disclosure-log"): "listDisclosureLog",
    ("get", "/v1/disclosure-log/{id}"): "getDisclosureLogEntry",
    ("post", "/v1/disclosure-log/{id}/withdraw"): "withdrawDisclosureLogEntry",
    ("post", "/v1/disclosure-log/{id}/files"): "uploadDisclosureLogFile",
    ("get", "/v1/disclosure-log/{id}/files/{fid}/content"): "getDisclosureLogFileContent",
    ("post", "/v1/disclosure-log/{id}/item"): "createItemFromDisclosureLogEntry",
    ("post", "/v1/disclosure-log/{id}/requests"): "linkDisclosureLogRequests",
    # issue 6: findings and electronic monitoring
    ("get", "/v1/findings"): "listFindings",
    ("post", "/v1/findings"): "createFinding",
    ("get", "/v1/findings/{id}"): "getFinding",
    ("post", "/v1/findings/{id}/rectification"): "rectifyFinding",
    ("post", "/v1/findings/{id}/verification"): "verifyFinding",
    ("post", "/v1/findings/{id}/publish"): "publishFinding",
    ("post", "/v1/findings/{id}/evidence"): "uploadFindingEvidence",
    ("get", "/v1/findings/{id}/evidence/{eid}/content"): "getFindingEvidenceContent",
    ("post", "/v1/monitoring/runs"): "createMonitoringRun",
    ("get", "/v1/monitoring/runs"): "listMonitoringRuns",
    ("get", "/v1/monitoring/runs/{id}"): "getMonitoringRun",
    # issue 6: the annual report and the unit scoreboard
    ("get", "/v1/reports/annual"): "getAnnualReport",
    ("get", "/v1/stats/units"): "getUnitScoreboard",
    ("post", "/v1/items/{id}/abolish"): "abolishItem",
    ("post", "/v1/reports/annual/publications"): "publishAnnualReport",
    ("get", "/v1/reports/annual/publications"): "listReportPublications",
    ("get", "/v1/reports/annual/publications/{id}"): "getReportPublication",
    ("get", "/v1/units/{id}/report-figures/{year}"): "getReportFigures",
    ("put", "/v1/units/{id}/report-figures/{year}"): "putReportFigures",
    # issue 12: appeals (行政复议、行政诉讼) and ratings (好差评)
    ("get", "/v1/requests/{id}/appeals"): "listRequestAppeals",
    ("post", "/v1/requests/{id}/appeals"): "createAppeal",
    ("get", "/v1/requests/{id}/appeals/{aid}"): "getAppeal",
    ("post", "/v1/requests/{id}/appeals/{aid}/result"): "recordAppealResult",
    ("post", "/v1/requests/{id}/appeals/{aid}/documents"): "uploadAppealDocument",
    ("get", "/v1/requests/{id}/appeals/{aid}/documents/{did}/content"): "getAppealDocumentContent",
    ("get", "/v1/appeals"): "listAppeals",
    ("post", "/v1/requests/{id}/rating"): "rateRequest",
    ("get", "/v1/requests/{id}/rating"): "getRequestRating",
}
# POSTs that take no body (the transition is all the request says).
BODILESS_POSTS = {"submitItem", "publishFinding", "createMonitoringRun",
                  "disableAccount", "enableAccount", "logout"}
# POSTs whose body is a file (its bytes as they are), not JSON.
FILE_UPLOADS = {"uploadMaterial", "uploadFindingEvidence", "uploadAppealDocument"}
ROLES = {"anonymous", "public", "clerk", "approver", "supervisor", "admin"}
SCHEMAS = {"Unit", "UnitCreate", "UnitPatch", "UnitList", "Account", "AccountCreate",
           "TokenRequest", "TokenResponse", "Me", "AuditEntry", "AuditList",
           "AuditVerify", "Health", "Readiness", "Problem"}

# issue 12: the disclosure log's documents are files too.
FILE_UPLOADS |= {"uploadDisclosureLogFile"}


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
    got = {(m, p): op["operationId"] for m, p, _, op in operations()}
    assert got == EXPECTED_OPERATIONS


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
                # Ids are UUIDs; a calendar day is addressed by its date,
                # a calendar year by its number.
                if x["name"] == "year":
                    assert x["schema"] == {"type": "integer", "minimum": 1900,
                                           "maximum": 9999}, f"{m} {p} {x}"
                    continue
                want = "date" if x["name"] == "date" else "uuid"
                assert x["schema"].get("format") == want or (
                    want == "date" and x["schema"].get("pattern")), f"{m} {p} {x}"
            if x["name"] == "limit":
                assert x["schema"] == {"type": "integer", "minimum": 1, "maximum": 100,
                                       "default": 20}
            if x["name"] == "cursor":
                assert x["schema"]["maxLength"] == 512


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
            if status == "304":
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
    assert set(problem["required"]) == {"type", "title", "status", "detail",
                                         "instance", "request_id"}
    item = problem["properties"]["errors"]["items"]
    assert set(item["required"]) == {"pointer", "message"}


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
