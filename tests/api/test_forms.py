"""Application forms (issue 15): a service item's form as a JSON Schema
(form_schema) set by its unit's staff, checked when set, shown in the item
and served on its own (getItemFormSchema); approval requests' forms held to
it; the demo's ten main services carry forms. And truthful next steps: an
approval request missing required materials says which, in Chinese by
default and in English on request, and its clerk is offered accept only once
they are all there.

The subset and its formats are docs/forms.md; every keyword is unit-tested
in tests/unit/test_formschema.c. These tests go through nginx.
"""

import copy
import json

import pytest

from conftest import assert_problem, error_pointers, uniq
from test_requests import (accept, act, applicant, create, get, make_service_item,  # noqa: F401
                           new_applicant, requests_unchanged, staff, upload)

DIALECT = "https://json-schema.org/draft/2020-12/schema"
USCC = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"

# A food business licence's form, as staff would write it: field names are
# keys, labels Chinese.
FOOD_FORM = {
    "type": "object",
    "title": "食品经营许可申请书",
    "additionalProperties": False,
    "required": ["company_name", "uscc", "contact_phone", "business_items"],
    "properties": {
        "company_name": {"type": "string", "title": "经营者名称", "minLength": 2, "maxLength": 20},
        "uscc": {"type": "string", "title": "统一社会信用代码", "pattern": USCC},
        "legal_representative": {"type": "string", "title": "法定代表人"},
        "contact_phone": {"type": "string", "title": "联系电话", "format": "phone"},
        "email": {"type": "string", "title": "电子邮箱", "format": "email"},
        "opening_date": {"type": "string", "title": "开业日期", "format": "date"},
        "main_format": {"type": "string", "title": "主体业态",
                        "enum": ["食品销售经营者", "餐饮服务经营者", "单位食堂"]},
        "floor_area": {"type": "number", "title": "经营面积（平方米）", "minimum": 1, "maximum": 10000},
        "staff": {"type": "integer", "title": "从业人员数", "minimum": 1},
        "chain": {"type": "boolean", "title": "是否连锁经营"},
        "business_items": {"type": "array", "title": "经营项目", "minItems": 1, "uniqueItems": True,
                           "items": {"type": "string", "enum": ["预包装食品销售", "热食类食品制售"]}},
        "premises": {"type": "object", "title": "经营场所", "additionalProperties": False,
                     "required": ["address"],
                     "properties": {"address": {"type": "string", "title": "详细地址"},
                                    "owned": {"type": "boolean", "title": "是否自有"}}},
    },
}

GOOD_FORM = {"company_name": "衡州市老街面馆", "uscc": "91330100MA2XXXXX0A",
             "contact_phone": "0571-87654321", "email": "laojie@example.com",
             "opening_date": "2026-03-01", "main_format": "餐饮服务经营者", "floor_area": 86.5,
             "staff": 6, "chain": False, "business_items": ["热食类食品制售"],
             "premises": {"address": "衡州市南城区老街18号", "owned": True}}


def service_body(**over):
    body = {"kind": "service", "category": "administrative_license", "code": uniq("FRM-"),
            "name": "食品经营许可（测试）" + uniq(), "legal_basis": "《中华人民共和国食品安全法》第三十五条",
            "statutory_days": 20, "committed_days": 10,
            "materials": [{"code": "ID", "name": "法定代表人身份证明", "required": True}],
            "fee": 0, "online": True}
    body.update(over)
    return body


def publish(api, staff, item):
    r = api.post(f"/v1/items/{item['id']}/submit", token=staff.clerk)
    assert r.status_code == 200, r.content
    r = api.post(f"/v1/items/{item['id']}/review", token=staff.approver,
                 json={"decision": "approve", "comment": "同意发布。"})
    assert r.status_code == 200, r.content
    return r.json()


@pytest.fixture(scope="module")
def form_item(api, staff):
    """A published online service item of our unit with FOOD_FORM."""
    r = api.post("/v1/items", token=staff.clerk, json=service_body(form_schema=FOOD_FORM))
    assert r.status_code == 201, r.content
    return publish(api, staff, r.json())


def item_counts(db):
    return db("SELECT (SELECT count(*) FROM items), (SELECT coalesce(sum(version), 0) FROM items),"
              " (SELECT count(*) FROM audit_log)")


# --------------------------------------------------------------------------
# the schema on the item


def test_create_read_update_form_schema(api, staff, db):
    r = api.post("/v1/items", token=staff.clerk, json=service_body(form_schema=FOOD_FORM))
    assert r.status_code == 201, r.content
    item = r.json()
    assert item["form_schema"] == FOOD_FORM
    # stored as written: the fields keep their order (json, not jsonb)
    assert list(item["form_schema"]["properties"]) == list(FOOD_FORM["properties"])
    got = api.get(f"/v1/items/{item['id']}", token=staff.clerk).json()
    assert got["form_schema"] == FOOD_FORM
    assert list(got["form_schema"]["properties"]) == list(FOOD_FORM["properties"])
    # lists leave the form out, as they leave out an information item's body
    page = api.get(f"/v1/items?unit={staff.unit}&kind=service&status=draft&limit=100",
                   token=staff.clerk).json()
    listed = [i for i in page["data"] if i["id"] == item["id"]]
    assert listed and "form_schema" not in listed[0]

    smaller = copy.deepcopy(FOOD_FORM)
    del smaller["properties"]["premises"]
    r = api.patch(f"/v1/items/{item['id']}", token=staff.clerk, json={"form_schema": smaller},
                  headers={"If-Match": r.headers["ETag"]})
    assert r.status_code == 200, r.content
    assert r.json()["form_schema"] == smaller
    audit = db("SELECT detail FROM audit_log WHERE action = 'item.update'"
               f" AND entity_id = '{item['id']}' ORDER BY seq DESC LIMIT 1")
    assert "form_schema" in json.loads(audit[0][0])["fields"]
    r = api.patch(f"/v1/items/{item['id']}", token=staff.clerk, json={"form_schema": None},
                  headers={"If-Match": r.headers["ETag"]})
    assert r.status_code == 200, r.content
    assert r.json()["form_schema"] is None

    # an item created without a form shows null
    r = api.post("/v1/items", token=staff.clerk, json=service_body())
    assert r.status_code == 201 and r.json()["form_schema"] is None


BAD_SCHEMAS = [
    ({"type": "string"}, ["/form_schema/type"]),
    ({"properties": {}}, ["/form_schema/type"]),
    ({"type": "object", "$schema": "http://json-schema.org/draft-07/schema#"}, ["/form_schema/$schema"]),
    ({"type": "object", "$ref": "#/$defs/x"}, ["/form_schema/$ref"]),
    ({"type": "object", "properties": {"company_name": {"type": "string", "format": "uri"}}},
     ["/form_schema/properties/company_name/format"]),
    ({"type": "object", "properties": {"n": {"type": "integer", "minLength": 1}}},
     ["/form_schema/properties/n/minLength"]),
    ({"type": "object", "properties": {"a": {"type": "string", "pattern": "^\\d+$"}}},
     ["/form_schema/properties/a/pattern"]),
    ({"type": "object", "properties": {"a": {"type": "string", "pattern": "(["}}},
     ["/form_schema/properties/a/pattern"]),
    ({"type": "object", "properties": {"a": {"type": "string", "minLength": 5, "maxLength": 2}}},
     ["/form_schema/properties/a/minLength"]),
    ({"type": "object", "properties": {"a": {"type": "string", "enum": ["x", 1]}}},
     ["/form_schema/properties/a/enum/1"]),
    ({"type": "object", "properties": {"l": {"type": "array"}}}, ["/form_schema/properties/l/items"]),
    ({"type": "object", "properties": {"a/b": {"type": "object", "properties": {
        "c": {"type": "array", "items": {"type": "date"}}}}}},
     ["/form_schema/properties/a~1b/properties/c/items/type"]),
    ({"type": "object", "required": ["missing"], "properties": {"a": {"type": "string"}}},
     ["/form_schema/required/0"]),
    ({"type": "object", "additionalProperties": {"type": "string"}}, ["/form_schema/additionalProperties"]),
    ({"type": "object", "properties": {"a": {"type": "string", "title": 1},
                                       "b": {"type": "number", "minimum": "0"}}},
     ["/form_schema/properties/a/title", "/form_schema/properties/b/minimum"]),
]


@pytest.mark.parametrize("schema,pointers", BAD_SCHEMAS)
def test_invalid_form_schema_on_create(api, staff, db, schema, pointers):
    before = item_counts(db)
    doc = assert_problem(api.post("/v1/items", token=staff.clerk, json=service_body(form_schema=schema)),
                         422, "validation")
    assert error_pointers(doc) == pointers, doc
    assert all(e["message"] for e in doc["errors"])
    assert item_counts(db) == before


def test_invalid_form_schema_on_update(api, staff, db):
    r = api.post("/v1/items", token=staff.clerk, json=service_body(form_schema=FOOD_FORM))
    assert r.status_code == 201
    item, etag = r.json(), r.headers["ETag"]
    before = item_counts(db)
    bad = copy.deepcopy(FOOD_FORM)
    bad["properties"]["email"]["format"] = "e-mail"
    doc = assert_problem(api.patch(f"/v1/items/{item['id']}", token=staff.clerk,
                                   json={"form_schema": bad}, headers={"If-Match": etag}),
                         422, "validation")
    assert error_pointers(doc) == ["/form_schema/properties/email/format"]
    assert item_counts(db) == before
    assert api.get(f"/v1/items/{item['id']}", token=staff.clerk).json()["form_schema"] == FOOD_FORM
    # not an object at all
    doc = assert_problem(api.patch(f"/v1/items/{item['id']}", token=staff.clerk,
                                   json={"form_schema": [1]}, headers={"If-Match": etag}),
                         422, "validation")
    assert error_pointers(doc) == ["/form_schema"]
    # an information item has no form
    doc = assert_problem(api.post("/v1/items", token=staff.clerk,
                                  json={"kind": "information", "category": "general",
                                        "title": "通知" + uniq(), "body": "正文。",
                                        "form_schema": FOOD_FORM}), 422, "validation")
    assert error_pointers(doc) == ["/form_schema"]
    assert item_counts(db) == before


# --------------------------------------------------------------------------
# the schema on its own


def test_form_schema_endpoint(api, staff, form_item):
    path = f"/v1/items/{form_item['id']}/form-schema"
    r = api.get(path)
    assert r.status_code == 200, r.content
    assert r.headers["Content-Type"].split(";")[0] == "application/schema+json"
    assert r.headers["Cache-Control"] == "public, max-age=60"
    doc = r.json()
    assert list(doc)[0] == "$schema" and doc["$schema"] == DIALECT
    assert {k: v for k, v in doc.items() if k != "$schema"} == FOOD_FORM
    assert list(doc["properties"]) == list(FOOD_FORM["properties"])
    # the same for every reader; the ETag answers 304
    assert api.get(path, token=staff.clerk).json() == doc
    r2 = api.get(path, headers={"If-None-Match": r.headers["ETag"]})
    assert r2.status_code == 304

    # no form, not a service item, not an item: 404
    plain = make_service_item(api, staff)
    assert_problem(api.get(f"/v1/items/{plain['id']}/form-schema"), 404, "not-found")
    r = api.post("/v1/items", token=staff.clerk,
                 json={"kind": "information", "category": "general", "title": "通知" + uniq(),
                       "body": "正文。"})
    assert_problem(api.get(f"/v1/items/{r.json()['id']}/form-schema", token=staff.clerk), 404, "not-found")
    assert_problem(api.get("/v1/items/00000000-0000-4000-8000-000000000000/form-schema"), 404, "not-found")
    assert_problem(api.get("/v1/items/nope/form-schema"), 404, "not-found")

    # a draft's form: its unit's staff only
    r = api.post("/v1/items", token=staff.clerk, json=service_body(form_schema=FOOD_FORM))
    draft = r.json()["id"]
    assert api.get(f"/v1/items/{draft}/form-schema", token=staff.clerk).status_code == 200
    r = api.get(f"/v1/items/{draft}/form-schema", token=staff.clerk)
    assert r.headers["Cache-Control"] == "private, no-cache"
    assert_problem(api.get(f"/v1/items/{draft}/form-schema"), 404, "not-found")
    assert_problem(api.get(f"/v1/items/{draft}/form-schema", token=staff.other_clerk), 404, "not-found")


# --------------------------------------------------------------------------
# forms held to the schema


def test_valid_form_is_taken(api, applicant, form_item):
    req = create(api, applicant.token, {"kind": "approval", "item_id": form_item["id"], "form": GOOD_FORM})
    assert req["form"] == GOOD_FORM
    minimal = {k: GOOD_FORM[k] for k in FOOD_FORM["required"]}
    assert create(api, applicant.token, {"kind": "approval", "item_id": form_item["id"],
                                         "form": minimal})["form"] == minimal


BAD_FORMS = [
    ({}, ["/form/company_name", "/form/uscc", "/form/contact_phone", "/form/business_items"]),
    (dict(GOOD_FORM, company_name="面"), ["/form/company_name"]),
    (dict(GOOD_FORM, company_name="衡州市老街面馆有限公司南城区分公司第一门店连锁"), ["/form/company_name"]),
    (dict(GOOD_FORM, uscc="91330100MA2XXXXXIO"), ["/form/uscc"]),
    (dict(GOOD_FORM, contact_phone="12345"), ["/form/contact_phone"]),
    (dict(GOOD_FORM, email="laojie@"), ["/form/email"]),
    (dict(GOOD_FORM, opening_date="2026-02-30"), ["/form/opening_date"]),
    (dict(GOOD_FORM, main_format="网店"), ["/form/main_format"]),
    (dict(GOOD_FORM, floor_area=0.5, staff=2.5), ["/form/floor_area", "/form/staff"]),
    (dict(GOOD_FORM, chain="否"), ["/form/chain"]),
    (dict(GOOD_FORM, business_items=[]), ["/form/business_items"]),
    (dict(GOOD_FORM, business_items=["热食类食品制售", "网络销售", "热食类食品制售"]),
     ["/form/business_items/1", "/form/business_items/2"]),
    (dict(GOOD_FORM, premises={"owned": "是"}), ["/form/premises/address", "/form/premises/owned"]),
    (dict(GOOD_FORM, 备注="无"), ["/form/备注"]),
]


@pytest.mark.parametrize("form,pointers", BAD_FORMS)
def test_invalid_form_is_refused(api, applicant, form_item, requests_unchanged, form, pointers):
    with requests_unchanged():
        doc = assert_problem(api.post("/v1/requests", token=applicant.token,
                                      json={"kind": "approval", "item_id": form_item["id"], "form": form}),
                             422, "validation")
    assert error_pointers(doc) == pointers, doc
    assert all(isinstance(e["message"], str) and e["message"] for e in doc["errors"])


def test_clerk_registration_is_held_to_the_form(api, staff, form_item, requests_unchanged):
    body = {"kind": "approval", "item_id": form_item["id"], "form": dict(GOOD_FORM, staff=0),
            "channel": "counter", "received_at": "2026-12-01T02:00:00Z",
            "applicant": {"type": "company", "name": "衡州市老街面馆"}}
    with requests_unchanged():
        doc = assert_problem(api.post("/v1/requests", token=staff.clerk, json=body), 422, "validation")
    assert error_pointers(doc) == ["/form/staff"]


def test_item_without_schema_takes_any_form(api, staff, applicant):
    plain = make_service_item(api, staff)
    for form in ({}, {"迁入地址": "幸福路1号", "人数": 2}, {"nested": {"x": [1, "二"]}}):
        assert create(api, applicant.token, {"kind": "approval", "item_id": plain["id"],
                                             "form": form})["form"] == form


def test_corrected_form_is_held_to_the_schema(api, db, staff, applicant, form_item, requests_unchanged):
    req = create(api, applicant.token, {"kind": "approval", "item_id": form_item["id"], "form": GOOD_FORM})
    upload(api, db, applicant.token, req["id"], "ID")
    act(api, staff.clerk, req["id"], {"action": "request_correction", "respond_within_days": 5,
                                      "items": [{"field": "form", "reason": "请填写经营场所是否自有。"}]})
    with requests_unchanged():
        doc = assert_problem(api.post(f"/v1/requests/{req['id']}/resubmission", token=applicant.token,
                                      json={"fields": {"form": dict(GOOD_FORM, contact_phone="110")}}),
                             422, "validation")
    assert error_pointers(doc) == ["/fields/form/contact_phone"]
    fixed = dict(GOOD_FORM, premises={"address": "衡州市南城区老街18号", "owned": False})
    r = api.post(f"/v1/requests/{req['id']}/resubmission", token=applicant.token,
                 json={"fields": {"form": fixed}, "note": "已补正。"})
    assert r.status_code == 200, r.content
    assert r.json()["form"] == fixed and r.json()["status"] == "submitted"


# --------------------------------------------------------------------------
# the demo's forms

# The ten services whose items carry a form in the demo catalogue
# (sql/seed/demo_catalogue.sql), with a form each that fills it in.
PERSON = {"applicant_name": "王芳", "id_number": "33010219900101123X", "phone": "13812345678"}
COMPANY = {"company_name": "衡州市示范企业有限公司", "uscc": "91330100MA2XXXXX0A",
           "legal_representative": "李明", "contact_phone": "0571-87654321"}
SEEDED = {
    "建筑工程施工许可": dict(COMPANY, project_name="衡州市第一中学教学楼", project_address="衡州市北城区学府路1号",
                       contract_price=3200, start_date="2019-10-08"),
    "食品经营许可": dict(COMPANY, business_address="衡州市南城区老街18号", main_format="餐饮服务经营者",
                     business_items=["热食类食品制售"]),
    "户口迁移审批": dict(PERSON, move_from="杭州市上城区幸福路1号", move_to="衡州市南城区和平街8号",
                     reason="投靠亲属", persons=2),
    "普通护照签发": dict(PERSON, gender="女", birth_date="1990-01-01", application_type="首次申请",
                     purpose="旅游"),
    "娱乐场所经营许可": dict(COMPANY, business_address="衡州市南城区人民路66号", venue_type="歌舞娱乐场所",
                       floor_area=320),
    "排污许可": dict(COMPANY, production_address="衡州市工业园区纬三路9号", industry="食品制造业",
                 pollutants=["化学需氧量", "氨氮"]),
    "民办学校设立审批": {"school_name": "衡州市启明培训学校", "sponsor": "衡州市启明教育咨询有限公司",
                   "principal": "张华", "level": "非学历教育", "school_address": "衡州市南城区文化路3号",
                   "planned_enrolment": 300, "contact_phone": "13912345678"},
    "医疗机构执业登记": {"institution_name": "衡州市南城仁和诊所", "principal": "陈静", "institution_type": "诊所",
                   "address": "衡州市南城区仁和路12号", "departments": ["内科", "外科"],
                   "contact_phone": "13712345678"},
    "道路运输经营许可": dict(COMPANY, business_address="衡州市物流园区1号", business_scope=["道路普通货物运输"],
                       vehicles=12),
    "企业设立登记": {"company_name": "衡州市新创科技有限公司", "company_type": "有限责任公司",
                 "legal_representative": "赵磊", "registered_capital": 100,
                 "business_address": "衡州市高新区创业大道8号", "business_scope": "软件开发；信息技术咨询服务。",
                 "shareholders": [{"name": "赵磊", "contribution": 60}, {"name": "钱敏", "contribution": 40}],
                 "contact_phone": "13612345678"},
}


def test_seeded_services_have_forms(api, db, staff, new_applicant):
    who = new_applicant("company")
    for name, form in SEEDED.items():
        rows = db("SELECT id, online FROM items WHERE created_by = 'seed:demo' AND kind = 'service'"
                  " AND status = 'published' AND category = 'administrative_license'"
                  f" AND title LIKE '{name}%' ORDER BY online DESC, id LIMIT 1")
        assert rows, name
        item_id, online = rows[0][0], rows[0][1] == "t"
        item = api.get(f"/v1/items/{item_id}").json()
        schema = item["form_schema"]
        assert schema and schema["type"] == "object" and schema["additionalProperties"] is False, name
        # every field labelled in Chinese
        assert all(f.get("title") for f in schema["properties"].values()), name
        served = api.get(f"/v1/items/{item_id}/form-schema").json()
        assert {k: v for k, v in served.items() if k != "$schema"} == schema
        # the seeded form passes the checks staff's forms pass
        r = api.post("/v1/items", token=staff.clerk, json=service_body(form_schema=schema))
        assert r.status_code == 201, (name, r.content)
        # and a form filled in as the service asks is taken, an empty one is not
        if online:
            req = create(api, who.token, {"kind": "approval", "item_id": item_id, "form": form})
            assert req["form"] == form
            doc = assert_problem(api.post("/v1/requests", token=who.token,
                                          json={"kind": "approval", "item_id": item_id, "form": {}}),
                                 422, "validation")
            assert sorted(error_pointers(doc)) == sorted("/form/" + k for k in schema["required"])
    # at least ten services carry forms across the demo catalogue
    n = db("SELECT count(DISTINCT regexp_replace(title, '(备案|初审转报)?(（.*）)?$', ''))"
           " FROM items WHERE created_by = 'seed:demo' AND form_schema IS NOT NULL")[0][0]
    assert int(n) >= 10


# --------------------------------------------------------------------------
# truthful next steps


def test_missing_materials_next_step_and_actions(api, db, staff, applicant):
    item = make_service_item(api, staff)  # ID (居民身份证) required, PHOTO optional
    req = create(api, applicant.token, {"kind": "approval", "item_id": item["id"], "form": {}})
    rid = req["id"]
    assert "accept" not in req["allowed_actions"]  # the applicant's own view
    mine = get(api, applicant.token, rid)
    assert mine["next_step"].startswith("Required materials are missing: 居民身份证.")
    assert "近期免冠照片" not in mine["next_step"]
    assert "The applicant may upload them now" in mine["next_step"]

    seen = get(api, staff.clerk, rid)
    assert "accept" not in seen["allowed_actions"]
    assert {"request_correction", "refuse_acceptance"} <= set(seen["allowed_actions"])
    # what it leaves out would indeed fail
    doc = assert_problem(api.post(f"/v1/requests/{rid}/approvals", token=staff.clerk,
                                  json={"action": "accept"}), 422, "missing-materials")
    assert error_pointers(doc) == ["/materials/ID"]
    # a refused step's 409 lists only what would succeed, too
    doc = assert_problem(api.post(f"/v1/requests/{rid}/approvals", token=staff.approver,
                                  json={"action": "decide", "outcome": "approved",
                                        "legal_basis": "《中华人民共和国行政许可法》第三十八条第一款"}),
                         409, "conflict")
    assert "accept" not in doc["allowed_actions"] and "request_correction" in doc["allowed_actions"]

    # in Chinese by default
    r = api.get(f"/v1/requests/{rid}", token=applicant.token, headers={"Accept-Language": None})
    zh = r.json()["next_step"]
    assert zh.startswith("申请材料不齐全，尚缺：居民身份证。"), zh
    assert "一次告知" in zh and req["deadline"] is not None

    upload(api, db, applicant.token, rid, "ID")
    seen = get(api, staff.clerk, rid)
    assert "accept" in seen["allowed_actions"]
    doc = assert_problem(api.post(f"/v1/requests/{rid}/approvals", token=staff.approver,
                                  json={"action": "decide", "outcome": "approved",
                                        "legal_basis": "《中华人民共和国行政许可法》第三十八条第一款"}),
                         409, "conflict")
    assert "accept" in doc["allowed_actions"]
    assert seen["next_step"].startswith("Nothing to do now unless the unit asks")
    r = api.get(f"/v1/requests/{rid}", token=applicant.token, headers={"Accept-Language": None})
    assert r.json()["next_step"].startswith("目前无需操作：行政机关应当在")
    done = accept(api, staff, rid)
    assert done["status"] == "accepted"


def test_lists_tell_the_same(api, staff, applicant):
    item = make_service_item(api, staff)
    rid = create(api, applicant.token, {"kind": "approval", "item_id": item["id"], "form": {}})["id"]
    page = api.get(f"/v1/requests?unit={staff.unit}&limit=100", token=staff.clerk).json()
    row = next(x for x in page["data"] if x["id"] == rid)
    assert "accept" not in row["allowed_actions"]
    assert "居民身份证" in row["next_step"]


def test_next_step_in_both_languages(api, db, staff, applicant):
    item = make_service_item(api, staff)
    rid = create(api, applicant.token, {"kind": "approval", "item_id": item["id"], "form": {}})["id"]
    upload(api, db, applicant.token, rid, "ID")
    accepted = accept(api, staff, rid)
    assert accepted["next_step"].startswith("Nothing to do now: the application is accepted")
    zh = api.get(f"/v1/requests/{rid}", token=staff.clerk, headers={"Accept-Language": None}).json()
    assert zh["next_step"].startswith("目前无需操作：申请已受理，行政机关应当在")
    assert zh["deadline"]["due_date"] in zh["next_step"]
    r = api.get(f"/v1/requests/{rid}", token=staff.clerk, headers={"Accept-Language": "zh-CN"})
    assert r.json()["next_step"] == zh["next_step"]
    r = api.get(f"/v1/requests/{rid}", token=staff.clerk, headers={"Accept-Language": "en-US"})
    assert r.json()["next_step"] == accepted["next_step"]

    rid2 = create(api, applicant.token, {"kind": "approval", "item_id": item["id"], "form": {}})["id"]
    r = api.post(f"/v1/requests/{rid2}/withdraw", token=applicant.token, json={"reason": "不再需要。"},
                 headers={"Accept-Language": None})
    assert r.status_code == 200, r.content
    assert r.json()["next_step"] == "无需操作：申请已撤回。"
    assert get(api, applicant.token, rid2)["next_step"] == "Nothing to do: the application was withdrawn."


def zh_step(api, tok, rid):
    r = api.get(f"/v1/requests/{rid}", token=tok, headers={"Accept-Language": None})
    assert r.status_code == 200, r.content
    return r.json()["next_step"]


def test_next_step_in_chinese_through_the_case(api, db, staff, applicant):
    """Each status's sentence in Chinese, in the words of the Licensing Law
    (Arts. 32, 44, 45), with the dates the request itself shows."""
    item = make_service_item(api, staff)
    rid = create(api, applicant.token, {"kind": "approval", "item_id": item["id"], "form": {}})["id"]
    upload(api, db, applicant.token, rid, "ID")
    req = act(api, staff.clerk, rid, {"action": "request_correction", "respond_within_days": 5,
                                      "items": [{"field": "form", "reason": "请补充申请表内容。"}]})
    step = zh_step(api, applicant.token, rid)
    assert step.startswith("请按补正通知逐项补正"), step
    assert req["correction"]["respond_by"] in step and "视为放弃申请" in step

    r = api.post(f"/v1/requests/{rid}/resubmission", token=applicant.token,
                 json={"fields": {"form": {"说明": "已补充"}}, "note": "已补正。"})
    assert r.status_code == 200, r.content
    accept(api, staff, rid)
    req = act(api, staff.approver, rid, {"action": "pause", "reason": "expert_review",
                                         "expected_days": 8, "comment": "组织专家评审。"})
    step = zh_step(api, applicant.token, rid)
    assert step.startswith("目前无需操作：因专家评审，办理期限中止计算，最迟至" + req["pause"]["limit"]), step
    assert "expert_review" in req["next_step"]  # the English one names the reason's code
    act(api, staff.approver, rid, {"action": "resume"})
    req = act(api, staff.approver, rid, {"action": "decide", "outcome": "approved",
                                         "legal_basis": "《中华人民共和国行政许可法》第三十八条第一款"})
    step = zh_step(api, applicant.token, rid)
    assert step == ("无需操作：已作出准予行政许可的决定，行政许可证件应当在"
                    + req["licence_delivery"]["due_date"] + "前颁发、送达。"), step
    assert req["next_step"] == ("Nothing to do: the licence is granted and must be delivered by "
                                + req["licence_delivery"]["due_date"] + ".")
