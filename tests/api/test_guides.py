"""Each unit's disclosure guide (政府信息公开指南): OGI Regulations (2019,
State Council Decree 711) Art. 12 — a body compiles, publishes and keeps
current its guide, which gives the categories of its information, how to
obtain it, and its disclosure office's name, address, office hours,
telephone, fax and internet contact. Versioned, reviewed by a second
person like information items (api/guides.c, sql/030_unit_guides.sql)."""
import time
import uuid

import pytest

from conftest import assert_problem, error_pointers, uniq

LONG = 7200


def mint(tokens, role, **claims):
    return tokens.mint(role, exp=int(time.time()) + LONG, **claims)


def guide_body(**over):
    body = {
        "categories": ["general", "regulation", "annual_report"],
        "how_to_apply": "填写申请表，网上或者当面提交。",
        "office_name": "测试局政府信息公开工作机构",
        "address": "幸福路1号",
        "office_hours": "工作日 8:30-17:30",
        "telephone": "0734-8000000",
        "fax": None,
        "email": "gk@example.gov.cn",
        "postal_address": "幸福路1号 421000",
        "complaint_route": "向市人民政府办公室投诉。",
        "channels": ["online", "counter"],
    }
    body.update(over)
    return body


@pytest.fixture(scope="module")
def unit(make_unit, tokens):
    from types import SimpleNamespace
    u = make_unit(kind="municipal_agency", code=uniq("GD-"), name="测试指南局" + uniq())
    other = make_unit(kind="township", code=uniq("GO-"), name="测试他乡" + uniq())
    subs = {k: str(uuid.uuid4()) for k in ("clerk", "approver", "approver2")}
    return SimpleNamespace(
        id=u["id"], other=other["id"], subs=subs,
        clerk=mint(tokens, "clerk", unit=u["id"], sub=subs["clerk"]),
        approver=mint(tokens, "approver", unit=u["id"], sub=subs["approver"]),
        approver2=mint(tokens, "approver", unit=u["id"], sub=subs["approver2"]),
        other_clerk=mint(tokens, "clerk", unit=other["id"]),
        other_approver=mint(tokens, "approver", unit=other["id"]))


def publish(api, unit, body):
    r = api.post(f"/v1/units/{unit.id}/guides", token=unit.clerk, json=body)
    assert r.status_code == 201, r.content
    v = r.json()["version"]
    assert r.headers["Location"] == f"/v1/units/{unit.id}/guides/{v}"
    r = api.post(f"/v1/units/{unit.id}/guides/{v}/submit", token=unit.clerk)
    assert r.status_code == 200 and r.json()["status"] == "pending_review", r.content
    r = api.post(f"/v1/units/{unit.id}/guides/{v}/review", token=unit.approver,
                 json={"decision": "approve", "comment": "同意发布。"})
    assert r.status_code == 200 and r.json()["status"] == "published", r.content
    return r.json()


def test_demo_units_each_have_a_current_guide(api, db, demo_units):
    missing = db("SELECT u.code FROM units u WHERE u.code IN ('PSB', 'AIC', 'GOV-OFFICE',"
                 " 'TS-SJ', 'SD-DF') AND NOT EXISTS (SELECT 1 FROM unit_guides g"
                 " WHERE g.unit_id = u.id AND g.status = 'published')")
    assert missing == []
    g = api.get(f"/v1/units/{demo_units['PSB']}/guide").json()
    assert g["status"] == "published" and "fax" in g["channels"] and g["fax"]
    assert "workflow" not in g
    for key in ("office_name", "address", "office_hours", "telephone", "email",
                "postal_address", "complaint_route", "how_to_apply"):
        assert g[key], key
    # Townships keep no fax line: their guide takes no applications by fax.
    t = api.get(f"/v1/units/{demo_units['TS-SJ']}/guide").json()
    assert "fax" not in t["channels"] and t["fax"] is None


def test_life_cycle_versions_and_second_person(api, db, unit, tokens):
    assert_problem(api.get(f"/v1/units/{unit.id}/guide"), 404, "not-found")
    r = api.post(f"/v1/units/{unit.id}/guides", token=unit.clerk, json=guide_body())
    assert r.status_code == 201, r.content
    g1 = r.json()
    assert g1["version"] == 1 and g1["status"] == "draft"
    assert g1["workflow"]["created_by"] == unit.subs["clerk"]
    # A draft is not public, nor another unit's staff's.
    assert_problem(api.get(f"/v1/units/{unit.id}/guides/1"), 404, "not-found")
    assert_problem(api.get(f"/v1/units/{unit.id}/guides/1", token=unit.other_clerk), 404)
    assert api.get(f"/v1/units/{unit.id}/guides/1", token=unit.clerk).status_code == 200
    assert api.get(f"/v1/units/{unit.id}/guides").json()["data"] == []
    # One version in the making at a time.
    assert_problem(api.post(f"/v1/units/{unit.id}/guides", token=unit.approver,
                            json=guide_body()), 409, "conflict")
    # Review before submission: 409 naming what is allowed.
    r = api.post(f"/v1/units/{unit.id}/guides/1/review", token=unit.approver,
                 json={"decision": "approve"})
    assert_problem(r, 409, "conflict")
    assert r.json()["current_status"] == "draft" and r.json()["allowed_actions"] == ["submit"]
    # The submitter may not review (a second person); nor another unit's approver.
    r = api.post(f"/v1/units/{unit.id}/guides/1/submit", token=unit.approver)
    assert r.status_code == 200 and r.json()["workflow"]["submitted_by"] == unit.subs["approver"]
    assert_problem(api.post(f"/v1/units/{unit.id}/guides/1/review", token=unit.approver,
                            json={"decision": "approve"}), 403, "forbidden")
    assert_problem(api.post(f"/v1/units/{unit.id}/guides/1/review", token=unit.other_approver,
                            json={"decision": "approve"}), 404, "not-found")
    assert_problem(api.post(f"/v1/units/{unit.id}/guides/1/review", token=unit.approver2,
                            json={"decision": "reject"}), 422, "validation")
    r = api.post(f"/v1/units/{unit.id}/guides/1/review", token=unit.approver2,
                 json={"decision": "approve", "comment": "同意。"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "published" and r.json()["published_at"]
    cur = api.get(f"/v1/units/{unit.id}/guide")
    assert cur.status_code == 200 and cur.json()["version"] == 1
    assert "workflow" not in cur.json()
    assert api.get(f"/v1/units/{unit.id}/guide",
                   headers={"If-None-Match": cur.headers["ETag"]}).status_code == 304
    # Version 2 supersedes 1; 1 stays readable.
    g2 = publish(api, unit, guide_body(channels=["online", "paper", "post"]))
    assert g2["version"] == 2
    assert api.get(f"/v1/units/{unit.id}/guide").json()["channels"] == ["online", "paper", "post"]
    old = api.get(f"/v1/units/{unit.id}/guides/1").json()
    assert old["status"] == "superseded" and old["superseded_at"]
    listed = api.get(f"/v1/units/{unit.id}/guides").json()["data"]
    assert [g["version"] for g in listed] == [2, 1]
    # A rejected version is closed, visible to staff only.
    r = api.post(f"/v1/units/{unit.id}/guides", token=unit.clerk, json=guide_body())
    assert r.json()["version"] == 3
    api.post(f"/v1/units/{unit.id}/guides/3/submit", token=unit.clerk)
    r = api.post(f"/v1/units/{unit.id}/guides/3/review", token=unit.approver,
                 json={"decision": "reject", "comment": "地址有误。"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert [g["version"] for g in api.get(f"/v1/units/{unit.id}/guides").json()["data"]] == [2, 1]
    staff_view = api.get(f"/v1/units/{unit.id}/guides", token=supervisor_token(tokens)).json()
    assert [g["version"] for g in staff_view["data"]] == [3, 2, 1]
    assert_problem(api.post(f"/v1/units/{unit.id}/guides/3/submit", token=unit.clerk),
                   409, "conflict")
    # Every write audited.
    actions = db(f"SELECT action FROM audit_log WHERE entity = 'unit_guide' AND entity_id IN"
                 f" (SELECT id::text FROM unit_guides WHERE unit_id = '{unit.id}') ORDER BY at, seq")
    assert [a for (a,) in actions] == [
        "guide.create", "guide.submit", "guide.publish", "guide.create", "guide.submit",
        "guide.publish", "guide.create", "guide.submit", "guide.reject"]


def supervisor_token(tokens):
    return mint(tokens, "supervisor")


def test_refusals(api, db, unit, tokens, public, admin, unchanged):
    guides_before = db.read("SELECT count(*), max(updated_at) FROM unit_guides")
    with unchanged():
        assert_problem(api.post(f"/v1/units/{unit.id}/guides", token=unit.other_clerk,
                                json=guide_body()), 403, "forbidden")
        for tok in (public, admin, supervisor_token(tokens)):
            assert_problem(api.post(f"/v1/units/{unit.id}/guides", token=tok,
                                    json=guide_body()), 403, "forbidden")
        assert_problem(api.post(f"/v1/units/{unit.id}/guides", json=guide_body()), 401)
        assert_problem(api.post(f"/v1/units/{uuid.uuid4()}/guides", token=unit.clerk,
                                json=guide_body()), 404, "not-found")
        assert_problem(api.get(f"/v1/units/{uuid.uuid4()}/guide"), 404, "not-found")
        assert_problem(api.get(f"/v1/units/not-a-uuid/guides"), 404, "not-found")
        for bad in ("0", "01", "x", "1234567890"):
            assert_problem(api.get(f"/v1/units/{unit.id}/guides/{bad}"), 404, "not-found")
        cases = {
            "/categories": guide_body(categories=["general", "nonsense"]),
            "/channels": guide_body(channels=["online", "online"]),
            "/email": guide_body(email="no-at-sign"),
            "/telephone": guide_body(telephone=""),
        }
        for ptr, body in cases.items():
            r = api.post(f"/v1/units/{unit.id}/guides", token=unit.clerk, json=body)
            assert_problem(r, 422, "validation")
            assert ptr in error_pointers(r.json()), (ptr, r.json())
        body = guide_body()
        del body["office_name"]
        r = api.post(f"/v1/units/{unit.id}/guides", token=unit.clerk, json=body)
        assert "/office_name" in error_pointers(r.json())
        r = api.post(f"/v1/units/{unit.id}/guides", token=unit.clerk,
                     json=guide_body(extra=1))
        assert_problem(r, 422, "validation")
    assert db.read("SELECT count(*), max(updated_at) FROM unit_guides") == guides_before


def test_channel_not_in_guide_is_refused(api, make_unit, tokens, make_account, login):
    u = make_unit(kind="township", code=uniq("GC-"), name="测试渠道乡" + uniq())
    from types import SimpleNamespace
    s = SimpleNamespace(id=u["id"], clerk=mint(tokens, "clerk", unit=u["id"]),
                        approver=mint(tokens, "approver", unit=u["id"]))
    acct, pw = make_account()
    applicant = login(acct["username"], pw)
    body = {"kind": "disclosure", "unit_id": u["id"], "description": "申请公开某文件。" + uniq(),
            "purpose": "学习", "delivery": "electronic"}
    # No guide yet: every channel is taken.
    assert api.post("/v1/requests", token=applicant, json=body).status_code == 201
    publish(api, s, guide_body(channels=["counter", "post"]))
    r = api.post("/v1/requests", token=applicant, json=dict(body, description="再次申请。" + uniq()))
    assert_problem(r, 422, "validation")
    assert "/channel" in error_pointers(r.json())
    paper = dict(body, channel="fax", received_at=time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                               time.gmtime(time.time() - 60)),
                 applicant={"type": "natural_person", "name": "王芳"})
    r = api.post("/v1/requests", token=s.clerk, json=paper)
    assert_problem(r, 422, "validation")
    assert "/channel" in error_pointers(r.json())
    r = api.post("/v1/requests", token=s.clerk, json=dict(paper, channel="counter"))
    assert r.status_code == 201, r.content


def test_draft_is_edited_with_if_match_and_the_editor_may_not_review(api, db, make_unit, tokens):
    from types import SimpleNamespace
    u = make_unit(kind="township", code=uniq("GE-"), name="测试编辑乡" + uniq())
    subs = {k: str(uuid.uuid4()) for k in ("clerk", "approver", "approver2")}
    s = SimpleNamespace(id=u["id"], **{k: mint(tokens, k.rstrip("2"), unit=u["id"], sub=v)
                                        for k, v in subs.items()})
    r = api.post(f"/v1/units/{s.id}/guides", token=s.clerk, json=guide_body())
    tag = r.headers["ETag"]
    path = f"/v1/units/{s.id}/guides/1"
    assert_problem(api.patch(path, token=s.approver, json={"fax": "0734-1"}), 428)
    assert_problem(api.patch(path, token=s.approver, json={"fax": "0734-1"},
                             headers={"If-Match": '"999"'}), 412)
    r = api.patch(path, token=s.approver, json={"fax": "0734-1", "channels": ["online"]},
                  headers={"If-Match": tag})
    assert r.status_code == 200, r.content
    assert r.json()["fax"] == "0734-1" and r.json()["channels"] == ["online"]
    assert r.headers["ETag"] != tag
    assert r.json()["workflow"]["edited_by"] == [subs["approver"]]
    r2 = api.patch(path, token=s.clerk, json={"fax": None, "channels": ["online", "online"]},
                   headers={"If-Match": r.headers["ETag"]})
    assert_problem(r2, 422, "validation")
    assert_problem(api.patch(path, token=s.clerk, json={}, headers={"If-Match": r.headers["ETag"]}),
                   422, "validation")
    assert api.post(f"{path}/submit", token=s.clerk).status_code == 200
    # The approver edited it: a second person reviews.
    assert_problem(api.post(f"{path}/review", token=s.approver, json={"decision": "approve"}),
                   403, "forbidden")
    cur = api.get(path, token=s.clerk)
    assert_problem(api.patch(path, token=s.clerk, json={"fax": None},
                             headers={"If-Match": cur.headers["ETag"]}), 409, "conflict")
    r = api.post(f"{path}/review", token=s.approver2, json={"decision": "approve"})
    assert r.status_code == 200 and r.json()["status"] == "published"
    assert "guide.update" in [a for (a,) in db(
        f"SELECT action FROM audit_log WHERE entity = 'unit_guide' AND entity_id = '{r.json()['id']}'")]
