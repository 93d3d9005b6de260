"""Language of the human text, and the machine codes (issue 15).

Simplified Chinese by default (no Accept-Language, zh-CN, "*", a language
the service does not write), English when Accept-Language prefers it;
Content-Language and Vary: Accept-Language on every JSON answer; a stable
`code` on every problem (nginx's own too) and on every errors[] entry; the
message catalogue (src/base/messages.def) complete for the sources,
consistent with openapi.yaml's enums and with `opengov messages`; and an
English and a Chinese answer never share an ETag when their bodies may
differ (a request's next_step), while a representation with no human text
(a unit) keeps one.
"""

import os
import re
import subprocess
import uuid

import pytest
import yaml

from conftest import BIN, REPO, SPEC_PATH, assert_problem, uniq
import msgscan

NONE = {"Accept-Language": None}
CHINESE = [None, "zh-CN", "zh", "*", "fr-FR, de;q=0.5", "zh-CN,zh;q=0.9,en;q=0.8"]
ENGLISH = ["en", "en-US", "EN-gb", "zh;q=0.5, en;q=0.8", "fr, en;q=0.3"]
HAN = re.compile(r"[\u4e00-\u9fff]")


def lang_headers(value):
    return {"Accept-Language": value}


def assert_language(resp, tag):
    assert resp.headers.get("Content-Language") == tag, resp.headers
    vary = [v.strip().lower() for v in resp.headers.get("Vary", "").split(",")]
    assert "accept-language" in vary, resp.headers.get("Vary")


@pytest.fixture(scope="module", autouse=True)
def identity_encoding(api):
    """Strong ETags (nginx weakens them when it gzips)."""
    old = api.s.headers.get("Accept-Encoding")
    api.s.headers["Accept-Encoding"] = "identity"
    yield
    if old is None:
        api.s.headers.pop("Accept-Encoding", None)
    else:
        api.s.headers["Accept-Encoding"] = old


@pytest.fixture(scope="module")
def spec():
    with open(SPEC_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


# --------------------------------------------------------------------------
# negotiation


@pytest.mark.parametrize("value", CHINESE)
def test_chinese_is_the_default(api, value):
    r = api.get(f"/v1/units/{uuid.uuid4()}", headers=lang_headers(value))
    doc = assert_problem(r, 404, "not-found")
    assert doc["code"] == "unit_not_found"
    assert doc["title"] == "未找到"
    assert doc["detail"] == "没有这个单位。"
    assert_language(r, "zh-CN")


@pytest.mark.parametrize("value", ENGLISH)
def test_english_when_preferred(api, value):
    r = api.get(f"/v1/units/{uuid.uuid4()}", headers=lang_headers(value))
    doc = assert_problem(r, 404, "not-found")
    assert doc["code"] == "unit_not_found"
    assert doc["title"] == "Not Found"
    assert doc["detail"] == "There is no such unit."
    assert_language(r, "en")


def test_success_answers_carry_the_language_too(api):
    for value, tag in ((None, "zh-CN"), ("en", "en")):
        r = api.get("/v1/units?limit=1", headers=lang_headers(value))
        assert r.status_code == 200
        assert_language(r, tag)


def test_one_vary_header_merged_with_origin(api, env):
    origins = [o for o in env.get("OPENGOV_CORS_ORIGINS", "").split(",") if o]
    headers = dict(NONE)
    if origins:
        headers["Origin"] = origins[0]
    r = api.get("/v1/units?limit=1", headers=headers)
    vary = r.raw.headers.getlist("Vary")
    assert len(vary) == 1, vary
    names = [v.strip() for v in vary[0].split(",")]
    assert "Accept-Language" in names
    assert len(names) == len({n.lower() for n in names}), names
    if origins:
        assert "Origin" in names


# --------------------------------------------------------------------------
# codes on problems across statuses, and on errors[]


def cases(admin, clerk):
    """(name, method, path, kwargs, status, code) for answers in each class."""
    return [
        ("400-query", "GET", "/v1/units?limit=0", {}, 400, "query_invalid"),
        ("400-json", "POST", "/v1/units", {"token": admin, "data": b"{",
                                            "headers": {"Content-Type": "application/json"}},
         400, "body_not_json"),
        ("401", "POST", "/v1/units", {"json": {}}, 401, "token_needed"),
        ("403", "POST", "/v1/units", {"token": clerk, "json": {}}, 403, "role_forbidden"),
        ("404", "GET", f"/v1/units/{uuid.uuid4()}", {}, 404, "unit_not_found"),
        ("405", "DELETE", "/v1/units", {"contract": False}, 405, "method_not_allowed"),
        ("415", "POST", "/v1/units", {"token": admin, "data": b"x",
                                      "headers": {"Content-Type": "text/plain"}},
         415, "unsupported_media_type"),
        ("422", "POST", "/v1/units", {"token": admin, "json": {"colour": "red"}},
         422, "unit_invalid"),
    ]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_codes_across_statuses(api, admin, clerk, lang):
    for name, method, path, kw, status, code in cases(admin, clerk):
        kw = dict(kw)
        kw["headers"] = dict(kw.get("headers") or {}, **{"Accept-Language": lang})
        r = api.request(method, path, **kw)
        doc = assert_problem(r, status)
        assert doc["code"] == code, (name, doc)
        assert_language(r, lang)
        assert bool(HAN.search(doc["detail"] + doc["title"])) == (lang == "zh-CN"), (name, doc)


def test_conflict_and_preconditions(api, admin, make_unit):
    u = make_unit(kind="township")
    r = api.post("/v1/units", token=admin, headers=NONE,
                 json={"kind": "township", "code": u["code"], "name": "重复代码" + uniq()})
    doc = assert_problem(r, 409, "conflict")
    assert doc["code"] == "unit_code_taken" and doc["detail"] == "已有其他单位使用该代码。"
    r = api.patch(f"/v1/units/{u['id']}", token=admin, headers=NONE, json={"name": "新名称"})
    doc = assert_problem(r, 428, "precondition-required")
    assert doc["code"] == "precondition_required" and HAN.search(doc["detail"])
    r = api.patch(f"/v1/units/{u['id']}", token=admin, json={"name": "新名称"},
                  headers={"If-Match": '"stale"'})
    doc = assert_problem(r, 412, "precondition-failed")
    assert doc["code"] == "version_mismatch"
    assert doc["detail"] == "The resource changed since you read it: fetch it again and retry."


def test_error_entries_have_codes_in_both_languages(api, admin):
    body = {"colour": "red", "kind": "township", "code": "x" * 300}
    zh = api.post("/v1/units", token=admin, headers=NONE, json=body)
    en = api.post("/v1/units", token=admin, json=body)
    dz, de = assert_problem(zh, 422, "validation"), assert_problem(en, 422, "validation")
    by = lambda doc: {e["pointer"]: e for e in doc["errors"]}
    ez, ee = by(dz), by(de)
    assert ez.keys() == ee.keys()
    assert ez["/colour"]["code"] == ee["/colour"]["code"] == "unknown_field"
    assert ez["/colour"]["message"] == "不是可接受的字段"
    assert ee["/colour"]["message"] == "unknown field"
    assert ez["/name"]["code"] == "required" and ez["/name"]["message"] == "为必填项"
    assert ez["/code"]["code"] == "length_out_of_range"
    assert HAN.search(ez["/code"]["message"]) and not HAN.search(ee["/code"]["message"])
    for p in ez:
        assert ez[p]["code"] == ee[p]["code"]


def test_query_errors_have_codes(api):
    r = api.get("/v1/units?limit=500", headers=NONE)
    doc = assert_problem(r, 400, "bad-request")
    assert doc["errors"] == [{"pointer": "/query/limit", "code": "limit_out_of_range",
                              "message": "须为 1 至 100 的整数"}]


def test_role_and_action_words_are_translated(api, clerk):
    r = api.post("/v1/units", token=clerk, headers=NONE, json={})
    doc = assert_problem(r, 403, "forbidden")
    assert doc["code"] == "role_forbidden"
    assert "clerk" not in doc["detail"] and "经办人员" in doc["detail"], doc


# --------------------------------------------------------------------------
# nginx's own problems


def test_nginx_problems_are_localized_and_coded(api):
    zh = api.get("/no/such/path", headers=NONE, contract=False)
    en = api.get("/no/such/path", headers=lang_headers("en-US"), contract=False)
    dz, de = assert_problem(zh, 404, "not-found"), assert_problem(en, 404, "not-found")
    assert dz["code"] == de["code"] == "no_such_path"
    assert (dz["title"], dz["detail"]) == ("未找到", "此路径下没有资源。")
    assert (de["title"], de["detail"]) == ("Not Found", "No resource at this path.")
    assert zh.headers["Content-Language"] == "zh-CN" and en.headers["Content-Language"] == "en"
    assert "Accept-Language" in zh.headers["Vary"]


def nginx_problem_maps(path, prefix):
    """{status: {lang: (title, code, detail)}} from a configuration's maps."""
    text = open(path, encoding="utf-8").read()
    out = {}
    for m in re.finditer(r"map \$%slang \$%sproblem_(\d+) \{(.*?)\n\s*\}" % (prefix, prefix), text, re.S):
        langs = {}
        for lm in re.finditer(r"(default|en) '\"title\":\"([^\"]*)\",\"status\":(\d+),"
                              r"\"code\":\"([^\"]*)\",\"detail\":\"([^\"]*)\"';", m.group(2)):
            assert int(lm.group(3)) == int(m.group(1))
            langs[lm.group(1)] = (lm.group(2), lm.group(4), lm.group(5))
        out[int(m.group(1))] = langs
    return out


@pytest.mark.parametrize("conf,prefix", [("nginx/opengov.conf", "opengov_"),
                                         ("nginx/opengov-dev.conf.in", "og_")])
def test_nginx_texts_are_the_catalogue(conf, prefix):
    maps = nginx_problem_maps(os.path.join(REPO, conf), prefix)
    assert sorted(maps) == [400, 403, 404, 405, 408, 413, 414, 429, 500, 502, 503, 504]
    entries = {code: (en, zh) for _, k, code, en, zh in msgscan.catalogue() if k == "P"}
    for status, langs in maps.items():
        assert set(langs) == {"default", "en"}, (conf, status)
        code = langs["en"][1]
        assert langs["default"][1] == code and code in entries, (conf, status, code)
        en, zh = entries[code]
        var = "$%sbody_limit" % prefix
        assert langs["en"][2] == en.replace("%s", var), (conf, status)
        assert langs["default"][2] == zh.replace("%s", var), (conf, status)
        assert HAN.search(langs["default"][0]) and not HAN.search(langs["en"][0])


# --------------------------------------------------------------------------
# the catalogue


def test_every_message_of_the_sources_is_catalogued():
    missing = msgscan.missing()
    assert not missing, (
        "messages without a line in src/base/messages.def (add PMSG/EMSG lines, then run "
        "python3 tests/api/msgscan.py --write-spec):\n  " + "\n  ".join(missing))


def test_the_scan_finds_the_messages():
    """The scan itself reads what it must (so that the test above can fail)."""
    found = {en for _, _, en in msgscan.source_messages()}
    for en in ("There is no such request.", "is required", "unknown field",
               "The %s role may not do this.", "must start with a letter or digit",
               "There is no such item.", "The request is %s: %s is not possible now."):
        assert en in found, en


def test_codes_are_the_specs_enums(spec):
    schemas = spec["components"]["schemas"]
    for name, kind in (("ProblemCode", "P"), ("ErrorCode", "E")):
        want = msgscan.codes(kind)
        s = schemas[name]
        assert s["enum"] == list(want), (
            f"{name} differs from the catalogue: run python3 tests/api/msgscan.py --write-spec; "
            f"missing {sorted(set(want) - set(s['enum']))}, extra {sorted(set(s['enum']) - set(want))}")
        assert s["x-enum-descriptions"] == list(want.values()), name
        assert s.get("description")
    props = schemas["Problem"]["properties"]
    assert props["code"] == {"$ref": "#/components/schemas/ProblemCode"}
    assert props["errors"]["items"]["properties"]["code"] == {"$ref": "#/components/schemas/ErrorCode"}
    assert "code" in schemas["Problem"]["required"]


def test_a_code_has_one_meaning():
    """Entries that share a code say the same thing (one Chinese text); no
    English text is catalogued twice; codes are snake_case."""
    zh_of, seen = {}, set()
    for line, kind, code, en, zh in msgscan.catalogue():
        assert en not in seen, f"messages.def:{line}: {en!r} is catalogued twice"
        seen.add(en)
        if kind == "W":
            continue
        assert re.fullmatch(r"[a-z][a-z0-9_]*", code), (line, code)
        assert HAN.search(zh), f"messages.def:{line}: no Chinese text for {en!r}"
        key = (kind, code)
        assert zh_of.setdefault(key, zh) == zh, (
            f"messages.def:{line}: code {code} already means {zh_of[key]!r}")
        conv = lambda t: sorted(re.sub(r"\d+\$", "", c) for c in msgscan.CONV.findall(t))
        # The Chinese takes the English's arguments (it may leave one out).
        assert set(conv(zh)) <= set(conv(en)), (line, en, zh)


def test_messages_subcommand_prints_the_catalogue():
    out = subprocess.run([BIN, "messages"], capture_output=True, text=True, check=True).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    assert all(len(r) == 4 for r in rows)
    unesc = lambda t: t.replace("\\t", "\t").replace("\\n", "\n").replace("\\\\", "\\")
    kinds = {"problem": "P", "error": "E", "word": "W"}
    got = [(kinds[k], c or None, unesc(en), unesc(zh)) for c, en, zh, k in rows]
    want = [(k, c, en, zh) for _, k, c, en, zh in sorted(msgscan.catalogue())]
    assert got == want


# --------------------------------------------------------------------------
# ETags and the workers' cache


@pytest.fixture(scope="module")
def a_request(api, make_account, tokens, demo_units):
    acc, _ = make_account("lang")
    tok = tokens.mint("public", sub=acc["id"], applicant_type="natural_person")
    body = {"kind": "disclosure", "unit_id": demo_units["PSB"],
            "description": "申请公开本单位年度政府信息公开工作情况。" + uniq(),
            "purpose": "学术研究", "delivery": "electronic"}
    r = api.post("/v1/requests", token=tok, json=body)
    assert r.status_code == 201, r.content
    return tok, r.json()["id"]


def test_request_etag_depends_on_the_language(api, a_request):
    tok, rid = a_request
    zh = api.get(f"/v1/requests/{rid}", token=tok, headers=NONE)
    en = api.get(f"/v1/requests/{rid}", token=tok)
    assert zh.status_code == en.status_code == 200
    assert_language(zh, "zh-CN")
    assert_language(en, "en")
    assert zh.headers["ETag"] != en.headers["ETag"]
    assert zh.headers["ETag"].endswith('.zh"') and en.headers["ETag"].endswith('.en"')
    # The English tag does not revalidate the Chinese answer, nor the reverse.
    r = api.get(f"/v1/requests/{rid}", token=tok,
                headers={"Accept-Language": None, "If-None-Match": en.headers["ETag"]})
    assert r.status_code == 200 and r.headers["ETag"] == zh.headers["ETag"]
    r = api.get(f"/v1/requests/{rid}", token=tok, headers={"If-None-Match": zh.headers["ETag"]})
    assert r.status_code == 200 and r.headers["ETag"] == en.headers["ETag"]
    # Each revalidates its own.
    r = api.get(f"/v1/requests/{rid}", token=tok,
                headers={"Accept-Language": "zh-CN", "If-None-Match": zh.headers["ETag"]})
    assert r.status_code == 304
    r = api.get(f"/v1/requests/{rid}", token=tok, headers={"If-None-Match": en.headers["ETag"]})
    assert r.status_code == 304


def test_idempotent_replay_keeps_its_language(api, make_account, tokens, demo_units):
    """A replay (Idempotency-Key) is the stored answer, byte for byte: it
    says the language of the request that made it, not the replaying
    request's (migration 026 keeps it beside the answer)."""
    acc, _ = make_account("langidem")
    tok = tokens.mint("public", sub=acc["id"], applicant_type="natural_person")
    body = {"kind": "disclosure", "unit_id": demo_units["PSB"],
            "description": "申请公开本单位年度政府信息公开工作情况。" + uniq(),
            "purpose": "学术研究", "delivery": "electronic"}
    key = "lang-" + uuid.uuid4().hex
    first = api.post("/v1/requests", token=tok, json=body,
                     headers={"Accept-Language": None, "Idempotency-Key": key})
    assert first.status_code == 201, first.content
    assert_language(first, "zh-CN")
    assert HAN.search(first.json()["next_step"])
    again = api.post("/v1/requests", token=tok, json=body,
                     headers={"Accept-Language": "en", "Idempotency-Key": key})
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.content == first.content
    assert again.headers["ETag"] == first.headers["ETag"]
    assert_language(again, "zh-CN")


def test_cached_representation_without_text_is_shared(api, make_unit):
    u = make_unit(kind="township")
    path = f"/v1/units/{u['id']}"
    first = api.get(path, headers=NONE)
    zh = api.get(path, headers=NONE)  # from the workers' cache by now
    en = api.get(path)
    assert first.status_code == zh.status_code == en.status_code == 200
    assert zh.headers["ETag"] == en.headers["ETag"] == first.headers["ETag"]
    assert zh.content == en.content
    assert_language(zh, "zh-CN")
    assert_language(en, "en")
    r = api.get(path, headers={"If-None-Match": zh.headers["ETag"]})
    assert r.status_code == 304


def test_case_conflict_is_coded_with_its_words_translated(api, a_request):
    """A 409 of the case rules: its code, and the status and the action named
    in Chinese inside the Chinese sentence."""
    tok, rid = a_request
    zh = api.post(f"/v1/requests/{rid}/resubmission", token=tok, headers=NONE, json={})
    en = api.post(f"/v1/requests/{rid}/resubmission", token=tok, json={})
    dz, de = assert_problem(zh, 409, "conflict"), assert_problem(en, 409, "conflict")
    assert dz["code"] == de["code"] == "case_wrong_status"
    assert de["detail"] == "The request is submitted: resubmission is not possible now."
    assert dz["detail"] == "该申请当前为“已提交”状态，现在不能进行“重新提交”。"
    assert dz["allowed_actions"] == de["allowed_actions"]
