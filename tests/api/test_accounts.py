"""Accounts: self-registration, staff creation, Idempotency-Key, reading accounts."""

import uuid

import pytest

from conftest import assert_problem, error_pointers, uniq


def reg_body(**over):
    b = {"username": uniq("u."), "password": "pw-" + uuid.uuid4().hex,
         "applicant_type": "natural_person"}
    b.update(over)
    return {k: v for k, v in b.items() if v is not None}


def test_self_registration(api, db, login):
    body = reg_body(display_name="张伟", applicant_type="company")
    before = db.counts()
    r = api.post("/v1/accounts", json=body)
    assert r.status_code == 201, r.content
    a = r.json()
    assert a["username"] == body["username"]
    assert a["role"] == "public"
    assert a["applicant_type"] == "company"
    assert a["display_name"] == "张伟"
    assert a["unit_id"] is None
    assert r.headers["Location"] == "/v1/accounts/" + a["id"]
    after = db.counts()
    assert after["accounts"] == before["accounts"] + 1
    assert after["audit_log"] == before["audit_log"] + 1
    # the password is stored as an argon2id hash, never in clear
    stored = db(f"SELECT * FROM accounts WHERE id='{a['id']}'")[0]
    assert body["password"] not in "|".join(stored)
    assert any(v.startswith("$argon2id$") for v in stored), stored
    # the new account can log in and read itself
    tok = login(body["username"], body["password"])
    me = api.get("/v1/me", token=tok).json()
    assert me["sub"] == a["id"] and me["username"] == body["username"]
    assert me["role"] == "public" and me["applicant_type"] == "company"
    assert me["display_name"] == "张伟"
    g = api.get("/v1/accounts/" + a["id"], token=tok)
    assert g.status_code == 200
    assert g.json() == a
    assert g.headers["ETag"] == r.headers["ETag"]
    assert api.get("/v1/accounts/" + a["id"], token=tok,
                   headers={"If-None-Match": g.headers["ETag"]}).status_code == 304


def test_self_registration_with_public_token_is_public(api, public):
    r = api.post("/v1/accounts", json=reg_body(), token=public)
    assert r.status_code == 201
    assert r.json()["role"] == "public"


def test_self_registration_explicit_public_role(api):
    r = api.post("/v1/accounts", json=reg_body(role="public"))
    assert r.status_code == 201
    assert r.json()["role"] == "public"


def test_public_needs_applicant_type_422(api, unchanged):
    with unchanged():
        r = api.post("/v1/accounts", json=reg_body(applicant_type=None))
        doc = assert_problem(r, 422, "validation")
        assert "/applicant_type" in error_pointers(doc), doc


@pytest.mark.parametrize("over,pointer", [
    ({"username": "ab"}, "/username"),
    ({"username": "Upper"}, "/username"),
    ({"username": "a" * 65}, "/username"),
    ({"username": "-dash"}, "/username"),
    ({"password": "1234567"}, "/password"),
    ({"password": "12345678"}, "/password"),
    ({"password": "k3#vQ9!mZ"}, "/password"),
    ({"password": "1234567890"}, "/password"),
    ({"password": "x" * 257}, "/password"),
    ({"display_name": "名" * 101}, "/display_name"),
    ({"applicant_type": "alien"}, "/applicant_type"),
    ({"role": "emperor"}, "/role"),
    ({"unit_id": "0b6f3a52-8d3e-4c59-9f8e-3f1a2b7c9d10"}, "/unit_id"),  # refused for public
    ({"password": 12345678}, "/password"),
    ({"is_admin": True}, "/is_admin"),
])
def test_registration_validation_422(api, unchanged, over, pointer):
    with unchanged():
        r = api.post("/v1/accounts", json=reg_body(**over))
        doc = assert_problem(r, 422, "validation")
        assert pointer in error_pointers(doc), doc


def test_registration_boundaries_accepted(api):
    r = api.post("/v1/accounts", json=reg_body(username=uniq("abc")[:64].ljust(64, "z"),
                                               password="x" * 256, display_name="名" * 100))
    assert r.status_code == 201, r.content
    # The shortest password accepted: 10 characters, not a common one.
    r = api.post("/v1/accounts", json=reg_body(password="k3#vQ9!mZp"))
    assert r.status_code == 201, r.content


def test_duplicate_username_409(api, unchanged):
    with unchanged():
        r = api.post("/v1/accounts", json=reg_body(username="demo-public"))
        assert_problem(r, 409, "conflict")


def test_staff_creation_by_admin(api, admin, demo_units, login):
    body = {"username": uniq("clerk."), "password": "pw-" + uuid.uuid4().hex,
            "role": "clerk", "unit_id": demo_units["PSB"], "display_name": "新窗口"}
    r = api.post("/v1/accounts", json=body, token=admin)
    assert r.status_code == 201, r.content
    a = r.json()
    assert a["role"] == "clerk" and a["unit_id"] == demo_units["PSB"]
    assert a["applicant_type"] is None
    me = api.get("/v1/me", token=login(body["username"], body["password"])).json()
    assert me["role"] == "clerk" and me["unit_id"] == demo_units["PSB"]


def test_supervisor_creation_by_admin(api, admin):
    r = api.post("/v1/accounts", token=admin, json={
        "username": uniq("sup."), "password": "pw-" + uuid.uuid4().hex, "role": "supervisor"})
    assert r.status_code == 201, r.content
    assert r.json()["role"] == "supervisor" and r.json()["unit_id"] is None


def test_staff_rules_422(api, admin, demo_units, unchanged):
    pw = "pw-" + uuid.uuid4().hex
    with unchanged():
        # clerk/approver need a unit
        r = api.post("/v1/accounts", token=admin,
                     json={"username": uniq("c."), "password": pw, "role": "approver"})
        assert "/unit_id" in error_pointers(assert_problem(r, 422, "validation"))
        # other roles may not have one
        r = api.post("/v1/accounts", token=admin,
                     json={"username": uniq("c."), "password": pw, "role": "admin",
                           "unit_id": demo_units["PSB"]})
        assert "/unit_id" in error_pointers(assert_problem(r, 422, "validation"))
        # the unit must be a UUID
        r = api.post("/v1/accounts", token=admin,
                     json={"username": uniq("c."), "password": pw, "role": "clerk",
                           "unit_id": "not-a-uuid"})
        assert "/unit_id" in error_pointers(assert_problem(r, 422, "validation"))
        # and an existing unit
        r = api.post("/v1/accounts", token=admin,
                     json={"username": uniq("c."), "password": pw, "role": "clerk",
                           "unit_id": str(uuid.uuid4())})
        assert "/unit_id" in error_pointers(assert_problem(r, 422, "validation"))


@pytest.mark.parametrize("role", ["clerk", "approver", "supervisor", "admin"])
def test_anonymous_staff_role_403(api, demo_units, role, unchanged):
    body = reg_body(role=role, applicant_type=None)
    if role in ("clerk", "approver"):
        body["unit_id"] = demo_units["PSB"]
    with unchanged():
        assert_problem(api.post("/v1/accounts", json=body), 403, "forbidden")


@pytest.mark.parametrize("caller", ["public", "clerk", "supervisor"])
def test_non_admin_staff_role_403(api, tokens, caller, unchanged):
    with unchanged():
        r = api.post("/v1/accounts", token=tokens.mint(caller),
                     json=reg_body(role="admin", applicant_type=None))
        assert_problem(r, 403, "forbidden")


# ---- Idempotency-Key -------------------------------------------------------------


def test_idempotency_replay_returns_first_answer(api, db):
    key = "idem-" + uuid.uuid4().hex
    body = reg_body()
    before = db.counts()
    r1 = api.post("/v1/accounts", json=body, headers={"Idempotency-Key": key})
    assert r1.status_code == 201
    mid = db.counts()
    r2 = api.post("/v1/accounts", json=body, headers={"Idempotency-Key": key})
    assert r2.status_code == 201
    assert r2.json() == r1.json()
    assert r2.headers["Location"] == r1.headers["Location"]
    # the replay says so; the first answer does not
    assert r2.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in r1.headers
    after = db.counts()
    assert mid["accounts"] == before["accounts"] + 1
    assert after["accounts"] == mid["accounts"], "the replay created a second account"
    assert after["audit_log"] == mid["audit_log"], "the replay wrote to the audit log"
    assert after["idempotency_keys"] == mid["idempotency_keys"]


def test_idempotency_same_key_other_body_422(api, db, unchanged):
    key = "idem-" + uuid.uuid4().hex
    body = reg_body()
    r1 = api.post("/v1/accounts", json=body, headers={"Idempotency-Key": key})
    assert r1.status_code == 201
    other = dict(body, username=uniq("u."))
    with unchanged():
        r2 = api.post("/v1/accounts", json=other, headers={"Idempotency-Key": key})
        assert_problem(r2, 422, "validation")
    assert db(f"SELECT count(*) FROM accounts WHERE username='{other['username']}'") == [["0"]]


@pytest.mark.parametrize("key", ["k" * 201, "has space", "ключ"])
def test_idempotency_key_invalid_422(api, unchanged, key):
    with unchanged():
        r = api.post("/v1/accounts", json=reg_body(),
                     headers={"Idempotency-Key": key.encode("utf-8")})
        doc = assert_problem(r, 422, "validation")
        assert "/headers/Idempotency-Key" in error_pointers(doc), doc


def test_idempotency_key_200_chars_ok(api):
    key = (uuid.uuid4().hex * 7)[:200]
    body = reg_body()
    r1 = api.post("/v1/accounts", json=body, headers={"Idempotency-Key": key})
    assert r1.status_code == 201
    r2 = api.post("/v1/accounts", json=body, headers={"Idempotency-Key": key})
    assert r2.status_code == 201 and r2.json()["id"] == r1.json()["id"]


def test_idempotency_key_different_keys_are_different_requests(api):
    body = reg_body()
    r1 = api.post("/v1/accounts", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r1.status_code == 201
    r2 = api.post("/v1/accounts", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert_problem(r2, 409, "conflict")


def test_idempotency_replay_of_an_error(api):
    """A replayed key whose first answer was an error is not a way around it."""
    key = uuid.uuid4().hex
    body = reg_body(username="demo-public")
    r1 = api.post("/v1/accounts", json=body, headers={"Idempotency-Key": key})
    assert_problem(r1, 409, "conflict")
    r2 = api.post("/v1/accounts", json=body, headers={"Idempotency-Key": key})
    assert_problem(r2, 409, "conflict")


# ---- reading accounts -----------------------------------------------------------------


@pytest.mark.parametrize("reader", ["admin", "supervisor"])
def test_get_account_staff(api, tokens, demo_accounts, reader):
    aid = demo_accounts["demo-clerk"]
    r = api.get("/v1/accounts/" + aid, token=tokens.mint(reader))
    assert r.status_code == 200
    a = r.json()
    assert a["id"] == aid and a["username"] == "demo-clerk" and a["role"] == "clerk"


def test_get_account_self_via_login(api, login, demo_accounts):
    aid = demo_accounts["demo-public"]
    r = api.get("/v1/accounts/" + aid, token=login("demo-public"))
    assert r.status_code == 200
    assert r.json()["username"] == "demo-public"
    assert r.json()["applicant_type"] == "natural_person"


def test_get_other_account_404(api, login, demo_accounts):
    r = api.get("/v1/accounts/" + demo_accounts["demo-public2"], token=login("demo-public"))
    assert_problem(r, 404, "not-found")
    r = api.get("/v1/accounts/" + demo_accounts["demo-admin"], token=login("demo-clerk"))
    assert_problem(r, 404, "not-found")


def test_get_account_anonymous_401(api, demo_accounts):
    assert_problem(api.get("/v1/accounts/" + demo_accounts["demo-public"]), 401, "unauthorized")


def test_get_account_unknown_404(api, admin):
    assert_problem(api.get(f"/v1/accounts/{uuid.uuid4()}", token=admin), 404, "not-found")
    assert_problem(api.get("/v1/accounts/not-a-uuid", token=admin), 404, "not-found")
