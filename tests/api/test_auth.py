"""POST /v1/auth/token, login throttling, GET /v1/me, and JWT verification."""

import calendar
import time
import uuid

import pytest

from conftest import DEMO_PASSWORD, ENV, assert_problem, b64url, b64url_json, sign_jwt


def test_login_success_and_me(api, db, demo_accounts, demo_units):
    before = int(db.scalar("SELECT count(*) FROM audit_log WHERE action='auth.login'"))
    r = api.post("/v1/auth/token", json={"username": "demo-clerk", "password": DEMO_PASSWORD})
    assert r.status_code == 200
    t = r.json()
    assert t["token_type"] == "Bearer"
    assert t["expires_in"] == int(ENV.get("OPENGOV_JWT_TTL") or 900)
    me = api.get("/v1/me", token=t["access_token"])
    assert me.status_code == 200
    m = me.json()
    assert m["sub"] == demo_accounts["demo-clerk"]
    assert m["username"] == "demo-clerk"
    assert m["role"] == "clerk"
    assert m["unit_id"] == demo_units["PSB"]
    assert m["applicant_type"] is None
    exp = calendar.timegm(time.strptime(m["expires_at"], "%Y-%m-%dT%H:%M:%SZ"))
    assert abs(exp - (time.time() + t["expires_in"])) < 120
    after = int(db.scalar("SELECT count(*) FROM audit_log WHERE action='auth.login'"))
    assert after == before + 1


@pytest.mark.parametrize("user,role,applicant_type,unit", [
    ("demo-public", "public", "natural_person", None),
    ("demo-public2", "public", "company", None),
    ("demo-approver", "approver", None, "PSB"),
    ("demo-clerk2", "clerk", None, "AIC"),
    ("demo-supervisor", "supervisor", None, None),
    ("demo-admin", "admin", None, None)])
def test_demo_accounts(api, login, demo_units, demo_accounts, user, role, applicant_type, unit):
    m = api.get("/v1/me", token=login(user)).json()
    assert m["role"] == role and m["username"] == user
    assert m["sub"] == demo_accounts[user]
    assert m["applicant_type"] == applicant_type
    assert m["unit_id"] == (demo_units[unit] if unit else None)


def test_me_minted_token(api, tokens, demo_units):
    exp = int(time.time()) + 777
    r = api.get("/v1/me", token=tokens.mint("approver", sub="ext-approver-1", exp=exp))
    assert r.status_code == 200
    m = r.json()
    assert m == {"sub": "ext-approver-1", "role": "approver", "unit_id": demo_units["PSB"],
                 "applicant_type": None, "username": None, "display_name": None,
                 "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(exp))}
    m = api.get("/v1/me", token=tokens.mint("public", applicant_type="ngo")).json()
    assert m["role"] == "public" and m["applicant_type"] == "ngo" and m["unit_id"] is None


def test_me_without_token_401(api):
    assert_problem(api.get("/v1/me"), 401, "unauthorized")


@pytest.mark.parametrize("header", ["Basic ZGVtbzpkZW1v", "Bearer", "Bearer ", "bearer x.y.z",
                                    "Token abc"])
def test_me_bad_authorization_header_401(api, header):
    r = api.get("/v1/me", headers={"Authorization": header})
    assert_problem(r, 401, "unauthorized")


def test_login_wrong_password_401(api, make_account, db):
    acct, _ = make_account("wp")
    before = int(db.scalar("SELECT count(*) FROM audit_log WHERE action='auth.login_failed'"))
    r = api.post("/v1/auth/token", json={"username": acct["username"], "password": "wrong-password"})
    assert_problem(r, 401, "unauthorized")
    after = int(db.scalar("SELECT count(*) FROM audit_log WHERE action='auth.login_failed'"))
    assert after == before + 1


def test_login_unknown_user_401(api, make_account):
    r = api.post("/v1/auth/token", json={"username": "nobody-" + uuid.uuid4().hex[:8],
                                         "password": "whatever-password"})
    doc = assert_problem(r, 401, "unauthorized")
    # the same answer as a wrong password: no user enumeration
    acct, _ = make_account("enum")
    r2 = api.post("/v1/auth/token", json={"username": acct["username"],
                                          "password": "whatever-password"})
    doc2 = assert_problem(r2, 401, "unauthorized")
    assert (doc["title"], doc["detail"]) == (doc2["title"], doc2["detail"])


@pytest.mark.parametrize("body", [
    {"username": "demo-admin"},
    {"password": DEMO_PASSWORD},
    {"username": "demo-admin", "password": DEMO_PASSWORD, "role": "admin"},
    {"username": 5, "password": DEMO_PASSWORD},
])
def test_login_bad_body_422(api, body, unchanged):
    with unchanged():
        assert_problem(api.post("/v1/auth/token", json=body), 422, "validation")


def test_login_throttled_after_five_failures(api, make_account):
    """Five attempts per (address, username) per 15 minutes; from that address
    even the right password waits (test_sessions.py: not from another one)."""
    acct, password = make_account("thr")
    body = {"username": acct["username"], "password": "not-the-password"}
    for i in range(5):
        r = api.post("/v1/auth/token", json=body)
        assert_problem(r, 401, "unauthorized")
    r = api.post("/v1/auth/token", json=body)
    doc = assert_problem(r, 429, "too-many-requests")
    retry = int(r.headers["Retry-After"])
    assert 1 <= retry <= 900, retry
    r = api.post("/v1/auth/token", json={"username": acct["username"], "password": password})
    assert_problem(r, 429, "too-many-requests")
    assert 1 <= int(r.headers["Retry-After"]) <= 900
    assert doc["instance"] == "/v1/auth/token"


def test_success_resets_failure_count(api, make_account):
    acct, password = make_account("rst")
    bad = {"username": acct["username"], "password": "nope-nope"}
    for _ in range(4):
        assert_problem(api.post("/v1/auth/token", json=bad), 401)
    r = api.post("/v1/auth/token", json={"username": acct["username"], "password": password})
    assert r.status_code == 200
    for _ in range(4):
        assert_problem(api.post("/v1/auth/token", json=bad), 401)


def test_throttle_is_per_account(api, make_account):
    a, _ = make_account("th1")
    b, b_pw = make_account("th2")
    for _ in range(6):
        api.post("/v1/auth/token", json={"username": a["username"], "password": "bad-password"})
    r = api.post("/v1/auth/token", json={"username": b["username"], "password": b_pw})
    assert r.status_code == 200


# ---- JWT verification --------------------------------------------------------------

NOW = lambda: int(time.time())  # noqa: E731


def bad_tokens(tokens):
    """name -> a token the server must refuse."""
    secret = tokens.secret
    hs = {"alg": "HS256", "typ": "JWT"}
    good = tokens.claims("admin")
    good_tok = tokens.mint("admin")
    h, p, s = good_tok.split(".")
    out = {
        "none_alg": b64url_json({"alg": "none", "typ": "JWT"}) + "." + b64url_json(good) + ".",
        "none_alg_with_sig": sign_jwt({"alg": "none"}, good, secret, "HS256"),
        "None_alg_case": b64url_json({"alg": "None"}) + "." + b64url_json(good) + ".",
        "wrong_alg_hs512": sign_jwt({"alg": "HS512", "typ": "JWT"}, good, secret),
        "wrong_alg_hs384": sign_jwt({"alg": "HS384", "typ": "JWT"}, good, secret),
        "rs256_header_hmac_sig": sign_jwt({"alg": "RS256", "typ": "JWT"}, good, secret, "HS256"),
        "wrong_secret": sign_jwt(hs, good, secret + "x"),
        "tampered_payload": h + "." + b64url_json(dict(good, role="admin", sub="mallory")) + "." + s,
        "tampered_signature": h + "." + p + "." + (("A" if s[0] != "A" else "B") + s[1:]),
        "no_signature": h + "." + p + ".",
        "two_parts": h + "." + p,
        "garbage": "not-a-jwt",
        "bad_base64": h + "." + "!!!!" + "." + s,
        "payload_not_json": sign_jwt(hs, good, secret).split(".")[0] + "." + b64url("not json")
        + "." + s,
        "expired": tokens.mint("admin", exp=NOW() - 3600, iat=NOW() - 7200, nbf=NOW() - 7200),
        "expired_beyond_leeway": tokens.mint("admin", exp=NOW() - 120),
        "missing_exp": tokens.mint("admin", exp=None),
        "exp_string": tokens.mint("admin", exp=str(NOW() + 600)),
        "nbf_future": tokens.mint("admin", nbf=NOW() + 3600),
        "iat_future": tokens.mint("admin", iat=NOW() + 3600),
        "missing_role": tokens.mint("admin", role=None),
        "unknown_role": tokens.mint("admin", role="root"),
        "role_wrong_type": tokens.mint("admin", role=["admin"]),
        "clerk_without_unit": tokens.mint("clerk", unit=None),
        "approver_without_unit": tokens.mint("approver", unit=None),
        "clerk_bad_unit": tokens.mint("clerk", unit="not-a-uuid"),
        "missing_sub": tokens.mint("admin", sub=None),
    }
    if tokens.issuer:
        out["wrong_iss"] = tokens.mint("admin", iss=tokens.issuer + "-evil")
        out["missing_iss"] = tokens.mint("admin", iss=None)
    if tokens.audience:
        out["wrong_aud"] = tokens.mint("admin", aud=tokens.audience + "-evil")
        out["missing_aud"] = tokens.mint("admin", aud=None)
    return out


BAD_NAMES = [
    "none_alg", "none_alg_with_sig", "None_alg_case", "wrong_alg_hs512", "wrong_alg_hs384",
    "rs256_header_hmac_sig", "wrong_secret", "tampered_payload", "tampered_signature",
    "no_signature", "two_parts", "garbage", "bad_base64", "payload_not_json", "expired",
    "expired_beyond_leeway", "missing_exp", "exp_string", "nbf_future", "iat_future",
    "missing_role", "unknown_role", "role_wrong_type", "clerk_without_unit",
    "approver_without_unit", "clerk_bad_unit", "missing_sub",
    "wrong_iss", "missing_iss", "wrong_aud", "missing_aud",
]


# Why each is refused, as a word the problem's detail should contain: a token
# refused for the wrong reason (say, every one for its signature because the
# test minted it wrongly) would otherwise pass unnoticed.
REASON = {
    "none_alg": "algorithm", "none_alg_with_sig": "algorithm", "None_alg_case": "algorithm",
    "wrong_alg_hs512": "algorithm", "wrong_alg_hs384": "algorithm",
    "rs256_header_hmac_sig": "algorithm", "wrong_secret": "signature",
    "tampered_payload": "signature", "tampered_signature": "signature",
    "no_signature": ("signature", "malformed"), "two_parts": "malformed",
    "garbage": "malformed", "bad_base64": "malformed", "payload_not_json": "malformed",
    "expired": "expired", "expired_beyond_leeway": "expired", "missing_exp": "claim",
    "exp_string": "claim", "nbf_future": "not yet valid", "iat_future": "not yet valid",
    "missing_role": "role", "unknown_role": "role", "role_wrong_type": "role",
    "clerk_without_unit": "unit", "approver_without_unit": "unit", "clerk_bad_unit": "unit",
    "missing_sub": "claim", "wrong_iss": "issuer", "missing_iss": "issuer",
    "wrong_aud": "audience", "missing_aud": "audience",
}


@pytest.fixture(scope="module")
def bad(tokens):
    return bad_tokens(tokens)


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_token_on_me_401(api, bad, name):
    if name not in bad:
        pytest.skip("the stack sets no " + ("issuer" if "iss" in name else "audience"))
    r = api.get("/v1/me", token=bad[name])
    doc = assert_problem(r, 401, "unauthorized")
    words = REASON[name] if isinstance(REASON[name], tuple) else (REASON[name],)
    assert any(w in doc["detail"].lower() for w in words), (name, doc["detail"])


@pytest.mark.parametrize("name", ["none_alg", "wrong_alg_hs512", "tampered_payload", "expired",
                                  "nbf_future", "clerk_without_unit"])
def test_bad_token_on_public_route_401(api, bad, name):
    """No silent downgrade to anonymous on routes anonymous callers may use."""
    r = api.get("/v1/units?limit=1", token=bad[name])
    assert_problem(r, 401, "unauthorized")
    r = api.post("/v1/accounts", token=bad[name], json={
        "username": "x" + uuid.uuid4().hex[:8], "password": "12345678",
        "applicant_type": "ngo"})
    assert_problem(r, 401, "unauthorized")


def test_bad_token_on_admin_route_changes_nothing(api, bad, unchanged):
    with unchanged():
        for name in ("none_alg", "tampered_payload", "wrong_alg_hs512"):
            r = api.post("/v1/units", token=bad[name],
                         json={"kind": "township", "code": "EVIL-" + name[:8], "name": "x"})
            assert_problem(r, 401, "unauthorized")


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_leeway_is_about_60_seconds(api, tokens, claim):
    r = api.get("/v1/me", token=tokens.mint("supervisor", **{claim: NOW() + 150}))
    assert_problem(r, 401, "unauthorized")


@pytest.mark.parametrize("over", [
    {"nbf": "+30"}, {"iat": "+30"}, {"exp": "+5"}, {"aud_list": True},
])
def test_valid_edge_tokens_accepted(api, tokens, over):
    """Within the 60 s leeway on nbf/iat; exp just ahead; aud as an array."""
    o = {}
    for k, v in over.items():
        if k == "aud_list":
            if not tokens.audience:
                pytest.skip("no audience configured")
            o["aud"] = [tokens.audience, "someone-else"]
        else:
            o[k] = NOW() + int(v)
    r = api.get("/v1/me", token=tokens.mint("supervisor", **o))
    assert r.status_code == 200, r.content
    assert r.json()["role"] == "supervisor"


def test_header_typ_and_kid_ignored(api, tokens):
    tok = tokens.mint("admin", header={"alg": "HS256", "typ": "JWT", "kid": "whatever"})
    assert api.get("/v1/me", token=tok).status_code == 200
    tok = tokens.mint("admin", header={"alg": "HS256"})
    assert api.get("/v1/me", token=tok).status_code == 200


def test_www_authenticate_on_token_errors(api, bad):
    r = api.get("/v1/me", token=bad["expired"])
    assert_problem(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
