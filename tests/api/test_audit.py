"""The audit log: every write appends an entry; reading and verifying it."""

import re
import time
from urllib.parse import quote

import pytest

from conftest import assert_problem, uniq

LINK_RE = re.compile(r'^<([^>]+)>; *rel="next"$')


def entries_for(api, token, entity_id):
    r = api.get("/v1/audit?limit=100&entity_id=" + quote(entity_id), token=token)
    assert r.status_code == 200
    return r.json()["data"]


def test_unit_create_and_update_are_audited(api, admin, supervisor, tokens, db):
    actor = "auditor-test-" + uniq()
    adm = tokens.mint("admin", sub=actor)
    r = api.post("/v1/units", token=adm, json={"kind": "township", "code": uniq("AU-"),
                                               "name": "审计测试"})
    assert r.status_code == 201
    unit = r.json()
    rid_create = r.headers["X-Request-Id"]
    etag = r.headers["ETag"]
    r = api.patch("/v1/units/" + unit["id"], token=adm, json={"name": "审计测试二"},
                  headers={"If-Match": etag})
    assert r.status_code == 200
    rid_update = r.headers["X-Request-Id"]

    data = entries_for(api, supervisor, unit["id"])
    assert [e["action"] for e in data] == ["unit.update", "unit.create"]  # newest first
    upd, cre = data
    assert upd["seq"] > cre["seq"]
    assert cre["request_id"] == rid_create and upd["request_id"] == rid_update
    assert cre["actor"] == actor and upd["actor"] == actor  # the token's sub
    assert cre["role"] == "admin"
    assert cre["entity_id"] == unit["id"]
    assert cre["at"] <= upd["at"]
    # the entity filter with the entity's own name finds them too
    r = api.get(f"/v1/audit?entity={cre['entity']}&entity_id={unit['id']}", token=supervisor)
    assert [e["seq"] for e in r.json()["data"]] == [upd["seq"], cre["seq"]]
    # and they are rows of audit_log
    row = db(f"SELECT action FROM audit_log WHERE seq={cre['seq']}")
    assert row == [["unit.create"]]


def test_account_create_is_audited(api, supervisor, make_account):
    acct, _ = make_account("aud")
    data = entries_for(api, supervisor, acct["id"])
    assert [e["action"] for e in data] == ["account.create"]


def test_failed_login_is_audited(api, supervisor, make_account, db):
    acct, _ = make_account("audf")
    r = api.post("/v1/auth/token", json={"username": acct["username"], "password": "wrong-pass"})
    assert_problem(r, 401)
    e = api.get("/v1/audit?action=auth.login_failed&limit=1", token=supervisor).json()["data"][0]
    assert e["request_id"] == r.headers["X-Request-Id"]


def test_rejected_write_is_not_audited(api, admin, db):
    before = int(db.scalar("SELECT max(seq) FROM audit_log") or 0)
    r = api.post("/v1/units", token=admin, json={"kind": "castle", "code": "X", "name": "x"})
    assert_problem(r, 422)
    r = api.post("/v1/units", token=admin, json={"kind": "township", "code": "PSB", "name": "x"})
    assert_problem(r, 409)
    assert int(db.scalar("SELECT max(seq) FROM audit_log") or 0) == before


def test_reads_are_not_audited(api, db, demo_units, supervisor):
    before = int(db.scalar("SELECT count(*) FROM audit_log"))
    api.get("/v1/units")
    api.get("/v1/units/" + demo_units["PSB"])
    api.get("/v1/audit", token=supervisor)
    api.get("/v1/audit/verify", token=supervisor)
    assert int(db.scalar("SELECT count(*) FROM audit_log")) == before


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_list_audit_allowed(api, tokens, role, db):
    r = api.get("/v1/audit", token=tokens.mint(role))
    assert r.status_code == 200
    data = r.json()["data"]
    total = int(db.scalar("SELECT count(*) FROM audit_log"))
    assert len(data) == min(20, total)
    seqs = [e["seq"] for e in data]
    assert seqs == sorted(seqs, reverse=True)
    assert seqs[0] == int(db.scalar("SELECT max(seq) FROM audit_log"))


def test_list_audit_login_supervisor(api, login):
    assert api.get("/v1/audit?limit=1", token=login("demo-supervisor")).status_code == 200


@pytest.mark.parametrize("role", ["public", "clerk", "approver"])
def test_list_audit_forbidden(api, tokens, role):
    assert_problem(api.get("/v1/audit", token=tokens.mint(role)), 403, "forbidden")
    assert_problem(api.get("/v1/audit/verify", token=tokens.mint(role)), 403, "forbidden")


def test_list_audit_demo_clerk_403(api, login):
    assert_problem(api.get("/v1/audit", token=login("demo-clerk")), 403, "forbidden")


def test_audit_anonymous_401(api):
    assert_problem(api.get("/v1/audit"), 401, "unauthorized")
    assert_problem(api.get("/v1/audit/verify"), 401, "unauthorized")


def test_audit_pagination(api, supervisor, make_unit, db):
    for _ in range(3):
        make_unit()
    seen, path = [], "/v1/audit?limit=2"
    for _ in range(3):
        r = api.get(path, token=supervisor)
        body = r.json()
        assert len(body["data"]) == 2
        seen += [e["seq"] for e in body["data"]]
        m = LINK_RE.match(r.headers["Link"])
        assert m and body["next_cursor"]
        path = m.group(1)
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 6
    # seq orders the entries (positions in each chain are what is gapless):
    # no entry between the first and the last seen was skipped.
    assert int(db.scalar(f"SELECT count(*) FROM audit_log WHERE seq BETWEEN {seen[-1]} "
                         f"AND {seen[0]}")) == 6, "an entry skipped between pages"


def test_audit_filters(api, supervisor, db):
    data = api.get("/v1/audit?action=unit.create&limit=100", token=supervisor).json()["data"]
    assert data and all(e["action"] == "unit.create" for e in data)
    actor = data[0]["actor"]
    data = api.get("/v1/audit?limit=100&actor=" + quote(actor), token=supervisor).json()["data"]
    assert data and all(e["actor"] == actor for e in data)
    # time window: everything from the newest entry's time on includes it
    newest = api.get("/v1/audit?limit=1", token=supervisor).json()["data"][0]
    data = api.get("/v1/audit?limit=100&from=" + quote(newest["at"]), token=supervisor).json()["data"]
    assert newest["seq"] in [e["seq"] for e in data]
    assert all(e["at"] >= newest["at"] for e in data)
    data = api.get("/v1/audit?limit=100&to=2000-01-01T00:00:00Z", token=supervisor).json()["data"]
    assert data == []
    future = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400))
    data = api.get("/v1/audit?from=" + quote(future), token=supervisor).json()["data"]
    assert data == []


@pytest.mark.parametrize("query", ["from=yesterday", "to=2026-13-01T00:00:00Z", "limit=0",
                                   "limit=101", "limit=x", "cursor=zzz"])
def test_audit_bad_query_400(api, supervisor, query):
    assert_problem(api.get("/v1/audit?" + query, token=supervisor), 400, "bad-request")


def test_verify_ok(api, supervisor, db):
    r = api.get("/v1/audit/verify", token=supervisor)
    assert r.status_code == 200
    v = r.json()
    assert v == {"ok": True, "entries": int(db.scalar("SELECT count(*) FROM audit_log")),
                 "first_bad": None}


def test_verify_admin(api, admin):
    r = api.get("/v1/audit/verify", token=admin)
    assert r.status_code == 200 and r.json()["ok"] is True


def test_audit_log_not_writable_by_the_service_role(db, env):
    """The chain is only as good as the service role's inability to rewrite it."""
    url = env.get("OPENGOV_DATABASE_URL")
    if not url:
        pytest.skip("no OPENGOV_DATABASE_URL")
    from conftest import Db
    app = Db(url)
    seq = db.scalar("SELECT min(seq) FROM audit_log")
    for sql in (f"BEGIN; UPDATE audit_log SET actor='x' WHERE seq={seq}; ROLLBACK",
                f"BEGIN; DELETE FROM audit_log WHERE seq={seq}; ROLLBACK"):
        with pytest.raises(RuntimeError):
            app(sql)
    assert db.scalar(f"SELECT count(*) FROM audit_log WHERE seq={seq}") == "1"
