"""Races the database must settle: one winner, clean answers for the others,
and an audit chain that still verifies. Bounded: 8 requests at a time."""

import concurrent.futures as cf
import uuid

from conftest import BASE_URL, CONTRACT, Api, uniq

N = 8


def race(fn):
    """Runs fn(i, api) for i in 0..N-1 on N threads, each with its own session."""
    def run(i):
        return fn(i, Api(BASE_URL, CONTRACT))
    with cf.ThreadPoolExecutor(N) as ex:
        return list(ex.map(run, range(N)))


def test_concurrent_patch_same_etag_one_wins(api, admin, make_unit, db):
    u = make_unit()
    etag = api.get("/v1/units/" + u["id"]).headers["ETag"]
    audit_before = int(db.scalar("SELECT count(*) FROM audit_log"))
    statuses = race(lambda i, a: a.patch("/v1/units/" + u["id"], token=admin,
                                         json={"name": f"race-{i}"},
                                         headers={"If-Match": etag}).status_code)
    assert sorted(statuses) == [200] + [412] * (N - 1), statuses
    assert int(db.scalar("SELECT count(*) FROM audit_log")) == audit_before + 1


def test_concurrent_create_same_code_one_wins(api, admin, db):
    code = uniq("RACE-")
    statuses = race(lambda i, a: a.post("/v1/units", token=admin, json={
        "kind": "township", "code": code, "name": f"race {i}"}).status_code)
    assert sorted(statuses) == [201] + [409] * (N - 1), statuses
    assert db(f"SELECT count(*) FROM units WHERE code = '{code}'") == [["1"]]


def test_concurrent_idempotent_registration_creates_one(api, db):
    key = uuid.uuid4().hex
    body = {"username": uniq("race."), "password": "pw-" + uuid.uuid4().hex,
            "applicant_type": "ngo"}

    def go(i, a):
        r = a.post("/v1/accounts", json=body, headers={"Idempotency-Key": key})
        return r.status_code, r.json().get("id")

    answers = race(go)
    ids = {i for s, i in answers if s == 201}
    assert len(ids) == 1, answers
    # replays answer the first 201; a request that overlaps the first may be told 409
    assert all(s in (201, 409) for s, _ in answers), answers
    assert db(f"SELECT count(*) FROM accounts WHERE username = '{body['username']}'") == [["1"]]


def test_audit_chain_verifies_after_concurrent_writes(api, admin, supervisor):
    statuses = race(lambda i, a: a.post("/v1/units", token=admin, json={
        "kind": "sub_district", "code": uniq("CW-"), "name": "并发"}).status_code)
    assert statuses == [201] * N
    v = api.get("/v1/audit/verify", token=supervisor).json()
    assert v["ok"] is True and v["first_bad"] is None


def test_client_cannot_choose_request_id(api):
    r = api.get("/healthz", headers={"X-Request-Id": "0" * 32})
    assert r.headers["X-Request-Id"] != "0" * 32
