"""Sessions and what a token still means: refresh tokens (rotating, one use,
theft detection), logout, disabled accounts, token versions (password and
role changes), capped token lifetimes, the password rules, login throttling
by address and by (address, username), and anonymous Idempotency-Keys.

Logins through nginx come from 127.0.0.1 unless a test binds its client to
another loopback address (Linux routes all of 127/8 to lo), which is how the
tests play an attacker and a victim on different addresses honestly."""

import concurrent.futures
import json
import random
import threading
import time
import uuid

import pytest
from requests.adapters import HTTPAdapter

from conftest import (BASE_URL, CONTRACT, DEMO_PASSWORD, Api, assert_problem, b64url,
                      uniq)


class SourceAddress(HTTPAdapter):
    def __init__(self, addr, **kw):
        self.addr = addr
        super().__init__(**kw)

    def init_poolmanager(self, *a, **kw):
        kw["source_address"] = (self.addr, 0)
        return super().init_poolmanager(*a, **kw)


def client_from(addr, user_agent=None):
    """An Api whose connections come from addr (e.g. 127.0.3.7)."""
    a = Api(BASE_URL, CONTRACT)
    a.s.mount("http://", SourceAddress(addr))
    if user_agent:
        a.s.headers["User-Agent"] = user_agent
    return a


def fresh_address():
    return "127.%d.%d.%d" % (random.randint(10, 250), random.randint(0, 255),
                             random.randint(1, 254))


def claims_of(token):
    part = token.split(".")[1]
    return json.loads(__import__("base64").urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def login_pair(api, username, password):
    r = api.post("/v1/auth/token", json={"username": username, "password": password})
    assert r.status_code == 200, r.content
    return r.json()


@pytest.fixture
def account(make_account):
    acct, pw = make_account("ses")
    return acct, pw


@pytest.fixture
def client():
    """A client on an address of its own, so its logins count against nobody else."""
    return client_from(fresh_address())


# ---- the token pair -------------------------------------------------------------------

def test_login_answers_a_session_pair(client, account):
    acct, pw = account
    t = login_pair(client, acct["username"], pw)
    assert t["token_type"] == "Bearer" and t["expires_in"] >= 60
    assert len(t["refresh_token"]) == 43 and t["refresh_expires_in"] > t["expires_in"]
    c = claims_of(t["access_token"])
    assert c["sub"] == acct["id"] and c["ver"] == 1
    assert uuid.UUID(c["sid"]) and c["exp"] - c["iat"] == t["expires_in"]


def test_refresh_rotates_and_a_reused_one_ends_the_session(client, account, db):
    acct, pw = account
    t1 = login_pair(client, acct["username"], pw)
    r = client.post("/v1/auth/refresh", json={"refresh_token": t1["refresh_token"]})
    assert r.status_code == 200, r.content
    t2 = r.json()
    assert t2["refresh_token"] != t1["refresh_token"]
    assert claims_of(t2["access_token"])["sid"] == claims_of(t1["access_token"])["sid"]
    assert client.get("/v1/me", token=t2["access_token"]).status_code == 200
    # Only hashes are kept.
    assert db.scalar("SELECT count(*) FROM refresh_tokens WHERE token_hash = "
                     f"convert_to('{t2['refresh_token']}', 'UTF8')") == "0"
    # The spent token again: the whole session ends.
    r = client.post("/v1/auth/refresh", json={"refresh_token": t1["refresh_token"]})
    assert_problem(r, 401, "unauthorized")
    for tok in (t1["access_token"], t2["access_token"]):
        assert_problem(client.get("/v1/me", token=tok), 401, "unauthorized")
    r = client.post("/v1/auth/refresh", json={"refresh_token": t2["refresh_token"]})
    assert_problem(r, 401, "unauthorized")
    sid = claims_of(t1["access_token"])["sid"]
    assert db.scalar(f"SELECT revoked_reason FROM account_sessions WHERE id = '{sid}'") \
        == "refresh_reuse"


def test_refresh_with_garbage_401(api, unchanged):
    with unchanged():
        r = api.post("/v1/auth/refresh", json={"refresh_token": b64url(b"x" * 32)})
        assert_problem(r, 401, "unauthorized")
    assert_problem(api.post("/v1/auth/refresh", json={}), 422, "validation")


def test_logout_ends_only_this_session(client, account):
    acct, pw = account
    a = login_pair(client, acct["username"], pw)
    b = login_pair(client, acct["username"], pw)
    r = client.post("/v1/auth/logout", token=a["access_token"])
    assert r.status_code == 200, r.content
    assert r.json() == {"session_id": claims_of(a["access_token"])["sid"], "status": "ended"}
    assert_problem(client.get("/v1/me", token=a["access_token"]), 401, "unauthorized")
    assert_problem(client.post("/v1/auth/refresh", json={"refresh_token": a["refresh_token"]}),
                   401, "unauthorized")
    assert client.get("/v1/me", token=b["access_token"]).status_code == 200


def test_logout_of_a_token_without_session_409(api, admin):
    assert_problem(api.post("/v1/auth/logout", token=admin), 409, "conflict")


# ---- disabled accounts, token versions ------------------------------------------------

def test_disabled_account_loses_its_tokens(client, api, admin, public, account, db):
    acct, pw = account
    t = login_pair(client, acct["username"], pw)
    assert client.get("/v1/me", token=t["access_token"]).status_code == 200
    assert_problem(api.post(f"/v1/accounts/{acct['id']}/disable", token=public), 403)
    r = api.post(f"/v1/accounts/{acct['id']}/disable", token=admin)
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "disabled"
    doc = assert_problem(client.get("/v1/me", token=t["access_token"]), 401, "unauthorized")
    assert "disabled" in doc["detail"]
    assert_problem(client.post("/v1/auth/refresh", json={"refresh_token": t["refresh_token"]}),
                   401, "unauthorized")
    r = client.post("/v1/auth/token", json={"username": acct["username"], "password": pw})
    assert "disabled" in assert_problem(r, 401, "unauthorized")["detail"]
    # Enabled again: a new login works, the old token stays dead.
    r = api.post(f"/v1/accounts/{acct['id']}/enable", token=admin)
    assert r.status_code == 200 and r.json()["status"] == "active"
    assert_problem(client.get("/v1/me", token=t["access_token"]), 401, "unauthorized")
    t2 = login_pair(client, acct["username"], pw)
    assert client.get("/v1/me", token=t2["access_token"]).status_code == 200
    actions = [a for (a,) in db("SELECT action FROM audit_log WHERE entity = 'account' AND "
                                f"entity_id = '{acct['id']}' ORDER BY seq")]
    assert "account.disable" in actions and "account.enable" in actions


def test_disable_unknown_and_self(api, admin, login):
    assert_problem(api.post(f"/v1/accounts/{uuid.uuid4()}/disable", token=admin), 404)
    tok = login("demo-admin")
    me = claims_of(tok)["sub"]
    assert_problem(api.post(f"/v1/accounts/{me}/disable", token=tok), 409, "conflict")


def test_role_change_revokes_tokens_in_every_worker(client, make_account, db):
    acct, pw = make_account("role")
    t = login_pair(client, acct["username"], pw)
    # Warm every worker's cache with the token.
    for _ in range(8):
        assert client.get("/v1/me", token=t["access_token"]).status_code == 200
    db(f"UPDATE accounts SET role = 'supervisor', applicant_type = NULL WHERE id = '{acct['id']}'")
    for _ in range(8):
        doc = assert_problem(client.get("/v1/me", token=t["access_token"]), 401, "unauthorized")
        assert "revoked" in doc["detail"]
    assert db.scalar(f"SELECT token_version FROM accounts WHERE id = '{acct['id']}'") == "2"


def test_old_token_version_refused(api, tokens, make_account, db):
    acct, _ = make_account("ver")
    tok = tokens.mint("public", sub=acct["id"], ver=1)
    assert api.get("/v1/me", token=tok).status_code == 200
    db(f"UPDATE accounts SET token_version = 3 WHERE id = '{acct['id']}'")
    assert_problem(api.get("/v1/me", token=tok), 401, "unauthorized")
    assert_problem(api.get("/v1/me", token=tokens.mint("public", sub=acct["id"])), 401)
    assert api.get("/v1/me", token=tokens.mint("public", sub=acct["id"], ver=3)).status_code == 200


def test_password_change_ends_the_other_sessions(client, make_account):
    acct, pw = make_account("pwc")
    a = login_pair(client, acct["username"], pw)
    b = login_pair(client, acct["username"], pw)
    r = client.post("/v1/me/password", token=a["access_token"],
                    json={"current_password": "not-" + pw, "new_password": "a brand new passphrase"})
    assert_problem(r, 403, "forbidden")
    r = client.post("/v1/me/password", token=a["access_token"],
                    json={"current_password": pw, "new_password": "password1234"})
    assert_problem(r, 422, "validation")
    new = "another long passphrase " + uniq()
    r = client.post("/v1/me/password", token=a["access_token"],
                    json={"current_password": pw, "new_password": new})
    assert r.status_code == 200, r.content
    n = r.json()
    assert client.get("/v1/me", token=n["access_token"]).status_code == 200
    for t in (a, b):
        assert_problem(client.get("/v1/me", token=t["access_token"]), 401, "unauthorized")
        assert_problem(client.post("/v1/auth/refresh", json={"refresh_token": t["refresh_token"]}),
                       401, "unauthorized")
    assert_problem(client.post("/v1/auth/token", json={"username": acct["username"],
                                                       "password": pw}), 401)
    login_pair(client, acct["username"], new)


# ---- token lifetimes, passwords ------------------------------------------------------

def test_token_lifetime_is_capped(api, tokens):
    now = int(time.time())
    assert_problem(api.get("/v1/me", token=tokens.mint("admin", iat=now, exp=now + 86400 * 365)),
                   401, "unauthorized")
    assert_problem(api.get("/v1/me", token=tokens.mint("admin", iat=now - 86400 * 2,
                                                       exp=now + 600)), 401)
    assert_problem(api.get("/v1/me", token=tokens.mint("admin", iat=None)), 401)
    assert api.get("/v1/me", token=tokens.mint("admin", iat=now, exp=now + 3600)).status_code == 200


@pytest.mark.parametrize("pw", ["password", "password1234", "1234567890", "Password1234",
                                "qwertyuiop", "short-pw1"])
def test_weak_passwords_refused(api, pw, unchanged):
    with unchanged():
        r = api.post("/v1/accounts", json={"username": uniq("weak."), "password": pw,
                                           "applicant_type": "natural_person"})
        doc = assert_problem(r, 422, "validation")
    errs = [e for e in doc["errors"] if e["pointer"] == "/password"]
    assert errs and any("10 to 256 characters" in e["message"] or "common" in e["message"]
                        for e in errs), doc


# ---- login throttling ------------------------------------------------------------------

def test_parallel_bad_logins_do_not_overtake_the_count(make_account, db):
    acct, pw = make_account("race")
    addr = fresh_address()
    attacker = client_from(addr)
    body = {"username": acct["username"], "password": "wrong-password-x"}
    barrier = threading.Barrier(16)

    def attempt(_):
        barrier.wait()
        return attacker.post("/v1/auth/token", json=body)

    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        answers = list(ex.map(attempt, range(16)))
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(401) <= 5, statuses
    assert statuses.count(429) >= 11, statuses
    for r in answers:
        if r.status_code == 429:
            doc = assert_problem(r, 429, "too-many-requests")
            assert 1 <= int(r.headers["Retry-After"]) <= 900
            assert acct["username"] not in doc["detail"]
    # From that address even the right password waits ...
    assert_problem(attacker.post("/v1/auth/token", json={"username": acct["username"],
                                                         "password": pw}), 429)
    # ... but the real user, elsewhere, is not locked out.
    login_pair(client_from(fresh_address()), acct["username"], pw)
    keys = [k for (k,) in db(f"SELECT key FROM login_throttle WHERE key LIKE '%{addr}%'")]
    assert sorted(keys) == sorted([f"addr {addr}", f"addr+user {addr} {acct['username']}"])
    assert db.scalar("SELECT count(*) FROM login_throttle WHERE key NOT LIKE 'addr %' "
                     "AND key NOT LIKE 'addr+user %'") == "0"


def test_one_throttled_account_leaves_the_others(make_account):
    """The (address, account) limit is below the address's: after one account
    is throttled for an address, another still logs in from it."""
    a, _ = make_account("tha")
    b, b_pw = make_account("thb")
    c = client_from(fresh_address())
    for _ in range(5):
        assert_problem(c.post("/v1/auth/token", json={"username": a["username"],
                                                      "password": "bad-password-1"}), 401)
    assert_problem(c.post("/v1/auth/token", json={"username": a["username"],
                                                  "password": "bad-password-1"}), 429)
    login_pair(c, b["username"], b_pw)


def test_address_limit(make_account, db):
    acct, pw = make_account("tadr")
    addr = fresh_address()
    db(f"INSERT INTO login_throttle VALUES ('addr {addr}', now(), 200)")
    r = client_from(addr).post("/v1/auth/token", json={"username": acct["username"],
                                                       "password": pw})
    assert_problem(r, 429, "too-many-requests")
    assert int(r.headers["Retry-After"]) >= 1
    login_pair(client_from(fresh_address()), acct["username"], pw)


def test_unknown_and_known_usernames_answer_alike(make_account):
    acct, _ = make_account("enum2")
    unknown = "nobody-" + uuid.uuid4().hex[:10]
    answers = {}
    for name in (acct["username"], unknown):
        c = client_from(fresh_address())
        seq = []
        for _ in range(6):
            t0 = time.monotonic()
            r = c.post("/v1/auth/token", json={"username": name, "password": "bad-password-2"})
            seq.append((r.status_code, r.json()["type"], r.json()["title"], r.json()["detail"],
                        "Retry-After" in r.headers, time.monotonic() - t0))
        answers[name] = seq
    known, unk = answers[acct["username"]], answers[unknown]
    assert [s[:5] for s in known] == [s[:5] for s in unk]
    assert [s[0] for s in known] == [401] * 5 + [429]
    # The same timing class: both pay for an argon2id verification.
    k = sorted(s[5] for s in known[:5])[2]
    u = sorted(s[5] for s in unk[:5])[2]
    assert u > k / 4 and k > u / 4, (k, u)


# ---- Idempotency-Key from anonymous callers -------------------------------------------

def test_anonymous_idempotency_keys_are_per_client(unchanged):
    key = "shared-" + uuid.uuid4().hex
    one = client_from("127.0.0.1", "client-one/1.0")
    two = client_from("127.0.0.1", "client-two/1.0")
    b1 = {"username": uniq("idem1."), "password": "pw-" + uuid.uuid4().hex,
          "applicant_type": "natural_person"}
    b2 = dict(b1, username=uniq("idem2."))
    r1 = one.post("/v1/accounts", json=b1, headers={"Idempotency-Key": key})
    assert r1.status_code == 201, r1.content
    r2 = two.post("/v1/accounts", json=b2, headers={"Idempotency-Key": key})
    assert r2.status_code == 201, r2.content
    assert r2.json()["username"] == b2["username"] and "Idempotent-Replayed" not in r2.headers
    # Each replays its own answer.
    r1b = one.post("/v1/accounts", json=b1, headers={"Idempotency-Key": key})
    assert r1b.headers.get("Idempotent-Replayed") == "true"
    assert r1b.json() == r1.json()
    # Another address with the first client's User-Agent is another client too.
    three = client_from(fresh_address(), "client-one/1.0")
    with unchanged():
        r3 = three.post("/v1/accounts", json=b1, headers={"Idempotency-Key": key})
    assert_problem(r3, 409, "conflict")
