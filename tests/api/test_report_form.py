"""The annual report in the national form (issue 12).

The form is the 2021 template of the State Council's open-government office
(《中华人民共和国政府信息公开工作年度报告格式》, 国办公开办函〔2021〕30号),
which every administrative body publishes under Art. 49-50 of the
Regulations on Open Government Information (政府信息公开条例). Its labels are
written out below from the template, not read back from the server, and
every cell of table 三 is recomputed here from the request rows.

Also here: the rules and normative documents of table 二 (document types and
their abolition), the units' own Art. 20(6)/(8) figures, the CSV and XLSX
exports, publication (who may, a year not over, the frozen snapshot and its
numbered revisions with what changed) and the Art. 49 monitoring finding.
"""

import csv
import datetime as dt
import io
import time
import uuid
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from conftest import assert_problem, error_pointers, uniq
from test_reports import insert_requests

TZ = ZoneInfo("Asia/Shanghai")
LONG = 7200
APPLICANT_TYPES = ["natural_person", "company", "research_body", "ngo", "legal_service", "other"]
COLUMNS = APPLICANT_TYPES + ["total"]

# --------------------------------------------------------------------------
# the form, as the template prints it

TEMPLATE = "国办公开办函〔2021〕30号"

# Table 二: Art. 20 items (1), (5), (6), (8).
TABLE2 = [
    ["第二十条第（一）项", "", "", ""],
    ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
    ["规章"], ["行政规范性文件"],
    ["第二十条第（五）项", "", "", ""],
    ["信息内容", "本年处理决定数量", "", ""],
    ["行政许可"],
    ["第二十条第（六）项", "", "", ""],
    ["信息内容", "本年处理决定数量", "", ""],
    ["行政处罚"], ["行政强制"],
    ["第二十条第（八）项", "", "", ""],
    ["信息内容", "本年收费金额（单位：万元）", "", ""],
    ["行政事业性收费"],
]

# Table 三: the heading rows, then (code, three stub labels) per row.
TABLE3_HEAD = [
    ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "", "",
     "申请人情况", "", "", "", "", "", ""],
    ["", "", "", "自然人", "法人或其他组织", "", "", "", "", "总计"],
    ["", "", "", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", ""],
]
R3 = "三、本年度办理结果"
TABLE3_ROWS = [
    ("3.1", "一、本年新收政府信息公开申请数量", "", ""),
    ("3.2", "二、上年结转政府信息公开申请数量", "", ""),
    ("3.3.1", R3, "（一）予以公开", ""),
    ("3.3.2", R3, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", ""),
    ("3.3.3.1", R3, "（三）不予公开", "1.属于国家秘密"),
    ("3.3.3.2", R3, "（三）不予公开", "2.其他法律行政法规禁止公开"),
    ("3.3.3.3", R3, "（三）不予公开", "3.危及“三安全一稳定”"),
    ("3.3.3.4", R3, "（三）不予公开", "4.保护第三方合法权益"),
    ("3.3.3.5", R3, "（三）不予公开", "5.属于三类内部事务信息"),
    ("3.3.3.6", R3, "（三）不予公开", "6.属于四类过程性信息"),
    ("3.3.3.7", R3, "（三）不予公开", "7.属于行政执法案卷"),
    ("3.3.3.8", R3, "（三）不予公开", "8.属于行政查询事项"),
    ("3.3.4.1", R3, "（四）无法提供", "1.本机关不掌握相关政府信息"),
    ("3.3.4.2", R3, "（四）无法提供", "2.没有现成信息需要另行制作"),
    ("3.3.4.3", R3, "（四）无法提供", "3.补正后申请内容仍不明确"),
    ("3.3.5.1", R3, "（五）不予处理", "1.信访举报投诉类申请"),
    ("3.3.5.2", R3, "（五）不予处理", "2.重复申请"),
    ("3.3.5.3", R3, "（五）不予处理", "3.要求提供公开出版物"),
    ("3.3.5.4", R3, "（五）不予处理", "4.无正当理由大量反复申请"),
    ("3.3.5.5", R3, "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
    ("3.3.6.1", R3, "（六）其他处理",
     "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("3.3.6.2", R3, "（六）其他处理",
     "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("3.3.6.3", R3, "（六）其他处理", "3.其他"),
    ("3.3.7", R3, "（七）总计", ""),
    ("3.4", "四、结转下年度继续办理", "", ""),
]
CODES = [r[0] for r in TABLE3_ROWS]
RESULT_CODES = [c for c in CODES if c.startswith("3.3.") and c != "3.3.7"]

# Table 四: reconsideration, then litigation directly and after it.
RESULTS4 = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
TABLE4_HEAD = [
    ["行政复议", "", "", "", "", "行政诉讼"] + [""] * 9,
    [""] * 5 + ["未经复议直接起诉", "", "", "", "", "复议后起诉", "", "", "", ""],
    RESULTS4 * 3,
]
GROUPS4 = ["reconsideration", "litigation_direct", "litigation_after_reconsideration"]
KEYS4 = ["upheld", "corrected", "other", "pending", "total"]

# Which row of table 三 each closed request counts in (the form's own
# categories; OGI Regulations Art. 36-39, 30, 42).
OUTCOME_ROW = {
    "disclosed": "3.3.1", "already_public": "3.3.1",           # Art. 36(1), (2)
    "partially_disclosed": "3.3.2",                              # Art. 37
    "not_held": "3.3.4.1", "not_within_scope": "3.3.4.1",       # Art. 36(4), (5)
    "needs_new_work": "3.3.4.2",                                 # Art. 38
    "unclear_after_correction": "3.3.4.3",                       # Art. 30
    "complaint_petition": "3.3.5.1", "duplicate": "3.3.5.2",    # Art. 39(1), 36(6)
    "public_publication": "3.3.5.3", "excessive_requests": "3.3.5.4",  # Art. 39(2), 35
    "reconfirmation": "3.3.5.5",
    "abandoned_correction": "3.3.6.1",                           # Art. 30
    "abandoned_fee": "3.3.6.2",                                  # fee measures (2020)
    "other": "3.3.6.3",
}
REASON_ROW = {"state_secret": "3.3.3.1", "law_prohibited": "3.3.3.2",
              "security_stability": "3.3.3.3", "third_party_rights": "3.3.3.4",
              "internal_affairs": "3.3.3.5", "process_information": "3.3.3.6",
              "enforcement_file": "3.3.3.7", "administrative_query": "3.3.3.8"}
CLOSED_ROW = {"not_accepted": "3.3.6.3", "withdrawn": "3.3.6.3", "abandoned": "3.3.6.1"}


def row_of(status, outcome, reason):
    if status == "decided":
        return REASON_ROW[reason] if outcome == "withheld" else OUTCOME_ROW[outcome]
    if outcome:  # an abandoned request says which way it lapsed
        return OUTCOME_ROW[outcome]
    return CLOSED_ROW[status]


# --------------------------------------------------------------------------
# helpers


def shanghai_today():
    return dt.datetime.now(TZ).date()


def mint(tokens, role, **claims):
    return tokens.mint(role, exp=int(time.time()) + LONG, **claims)


def report(api, year, unit=None, token=None):
    params = {"year": year}
    if unit:
        params["unit"] = unit
    r = api.get("/v1/reports/annual", params=params, token=token)
    assert r.status_code == 200, r.content
    return r.json()


def form_cells(doc):
    """{code: {column: n}} of table 三."""
    return {row["row"]: row["values"] for row in doc["form"]["applications"]["rows"]}


def bounds(year):
    return (f"timestamptz '{year}-01-01 00:00:00+08'",
            f"timestamptz '{year + 1}-01-01 00:00:00+08'")


def recompute(db, year, unit=None):
    """Table 三 of the year from nothing but the request rows."""
    y1, y2 = bounds(year)
    where = f" AND unit_id = '{unit}'" if unit else ""
    rows = db("SELECT applicant_type, status, coalesce(outcome, ''), coalesce(reason_code, ''),"
              f" received_at >= {y1}, received_at < {y1},"
              f" coalesce(decided_at, closed_at) >= {y1} AND coalesce(decided_at, closed_at) < {y2},"
              f" coalesce(decided_at, closed_at, 'infinity') >= {y2}"
              " FROM requests WHERE kind = 'disclosure'"
              f" AND received_at < {y2} AND coalesce(decided_at, closed_at, 'infinity') >= {y1}"
              + where)
    cells = {c: dict.fromkeys(COLUMNS, 0) for c in CODES}
    for col, status, outcome, reason, new, before, closed_in, open_at_end in rows:
        if new == "t":
            cells["3.1"][col] += 1
        if before == "t":
            cells["3.2"][col] += 1
        if closed_in == "t":
            cells[row_of(status, outcome or None, reason or None)][col] += 1
        if open_at_end == "t":
            cells["3.4"][col] += 1
    for code in CODES:
        if code != "3.3.7":
            cells[code]["total"] = sum(cells[code][c] for c in APPLICANT_TYPES)
    for c in COLUMNS:
        cells["3.3.7"][c] = sum(cells[code][c] for code in RESULT_CODES)
    return cells


def balanced(cells, col):
    return cells["3.1"][col] + cells["3.2"][col] == cells["3.3.7"][col] + cells["3.4"][col]


def get_csv(api, path, **params):
    r = api.get(path, params=params)
    assert r.status_code == 200, r.content
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    raw = r.content
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:10]  # a BOM, for spreadsheet programs
    text = raw.decode("utf-8")[1:]
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    return r, list(csv.reader(io.StringIO(text, newline="")))


def sections(rows):
    """The CSV's blocks between blank lines: [title], 二, 三, 四, 六."""
    out, cur = [], []
    for row in rows:
        if not any(row):
            if cur:
                out.append(cur)
            cur = []
        else:
            cur.append(row)
    if cur:
        out.append(cur)
    return out


def n(s):
    return int(s) if s != "" else None


def staff_of(make_unit, tokens, prefix, created_at=None):
    u = make_unit(kind="municipal_agency", code=uniq(prefix), name="测试年报局" + uniq())
    return SimpleNamespace(
        unit=u["id"], name=u["name"],
        clerk=mint(tokens, "clerk", unit=u["id"], sub=str(uuid.uuid4())),
        approver=mint(tokens, "approver", unit=u["id"], sub=str(uuid.uuid4())))


# --------------------------------------------------------------------------
# the demo's 2019 report in the form


def test_demo_2019_in_the_form(api, db):
    doc = report(api, 2019)
    form = doc["form"]
    assert form["template"] == TEMPLATE
    assert form["title"] == "全市2019年政府信息公开工作年度报告"
    cells = form_cells(doc)
    assert list(cells) == CODES
    assert [c["key"] for c in form["applications"]["columns"]] == COLUMNS
    assert [c["label"] for c in form["applications"]["columns"]] == \
        ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    for row, (code, l1, l2, l3) in zip(form["applications"]["rows"], TABLE3_ROWS):
        assert row["labels"] == [l1, l2, l3], code
    # every cell is what the rows say, and the form's rule holds column by column
    assert cells == recompute(db, 2019)
    assert form["applications"]["balanced"] == dict.fromkeys(COLUMNS, True)
    for col in COLUMNS:
        assert balanced(cells, col), col
    # the work summary's figures: the seed's one application, answered (予以公开)
    # on time; 4,526 proactive disclosures. Other suites may add 2019 rows of
    # their own units; the seed's are GK-2019-000001 and the seed's items.
    seed = db("SELECT applicant_type, status, outcome, on_time FROM requests"
              " WHERE number = 'GK-2019-000001'")
    assert seed == [["natural_person", "decided", "disclosed", "t"]]
    others = int(db.scalar("SELECT count(*) FROM requests WHERE kind = 'disclosure'"
                           " AND number <> 'GK-2019-000001' AND received_at >= "
                           + bounds(2019)[0] + " AND received_at < " + bounds(2019)[1]))
    if others == 0:
        assert cells["3.1"] == dict(dict.fromkeys(COLUMNS, 0), natural_person=1, total=1)
        assert cells["3.3.1"]["total"] == 1 and cells["3.3.7"]["total"] == 1
        assert cells["3.2"]["total"] == 0 and cells["3.4"]["total"] == 0
        assert doc["processing"]["on_time"] == doc["processing"]["decided"] == 1
    seeded = int(db.scalar("SELECT count(*) FROM items WHERE kind = 'information'"
                           " AND created_by = 'seed:demo' AND published_at >= "
                           + bounds(2019)[0] + " AND published_at < " + bounds(2019)[1]))
    assert seeded == 4526
    assert doc["proactive_disclosure"]["total"] >= 4526
    # table 四: each group's 总计 is the sum of its four results
    for g in GROUPS4:
        ap = form["appeals"][g]
        assert ap["total"] == ap["upheld"] + ap["corrected"] + ap["other"] + ap["pending"]


def test_csv_is_the_form_label_by_label(api):
    r, rows = get_csv(api, "/v1/reports/annual", year=2019, format="csv")
    assert r.headers["Content-Disposition"] == 'attachment; filename="annual-report-2019.csv"'
    doc = report(api, 2019)
    title, t2, t3, t4, t6 = sections(rows)
    assert title == [["全市2019年政府信息公开工作年度报告"]]

    # 二、主动公开政府信息情况
    assert t2[0] == ["二、主动公开政府信息情况"]
    body = t2[1:]
    assert len(body) == len(TABLE2)
    for got, want in zip(body, TABLE2):
        assert len(got) == 4, got
        if len(want) == 4:
            assert got == want
        else:
            assert got[0] == want[0]
    pro = doc["form"]["proactive"]
    by_label = {row[0]: row[1:] for row in body}
    for label, key in (("规章", "rules"), ("行政规范性文件", "normative_documents")):
        assert [n(x) for x in by_label[label]] == \
            [pro[key]["issued"], pro[key]["abolished"], pro[key]["in_force"]]
    assert by_label["行政许可"] == [str(pro["licensing_decisions"]), "", ""]
    # no unit entered 2019 figures: the cells stay empty, as the form is
    # left blank when a body holds no such power
    assert pro["penalty_decisions"] is None
    assert by_label["行政处罚"] == ["", "", ""] and by_label["行政强制"] == ["", "", ""]
    assert by_label["行政事业性收费"] == ["", "", ""]

    # 三、收到和处理政府信息公开申请情况
    assert t3[0] == ["三、收到和处理政府信息公开申请情况"]
    assert t3[1:4] == TABLE3_HEAD
    body = t3[4:]
    assert len(body) == len(TABLE3_ROWS)
    cells = form_cells(doc)
    for got, (code, l1, l2, l3) in zip(body, TABLE3_ROWS):
        assert len(got) == 10, got
        assert got[:3] == [l1, l2, l3]
        assert [int(x) for x in got[3:]] == [cells[code][c] for c in COLUMNS], code

    # 四、政府信息公开行政复议、行政诉讼情况
    assert t4[0] == ["四、政府信息公开行政复议、行政诉讼情况"]
    assert t4[1:4] == TABLE4_HEAD
    assert len(t4) == 5
    ap = doc["form"]["appeals"]
    assert [int(x) for x in t4[4]] == [ap[g][k] for g in GROUPS4 for k in KEYS4]

    # 六、其他需要报告的事项: the information-processing fees (Art. 42)
    assert t6[0] == ["六、其他需要报告的事项"]
    assert t6[1] == ["信息处理费", "收费通知（件）", "收费金额（元）", "已缴纳（件）",
                     "已缴纳金额（元）"]
    fees = doc["form"]["other"]["fees"]
    assert t6[2] == ["本年", str(fees["notices"]), str(fees["amount_yuan"]), str(fees["paid"]),
                     str(fees["paid_amount_yuan"])]
    assert len(t6) == 3


def test_xlsx_one_sheet_per_table(api, tmp_path):
    r = api.get("/v1/reports/annual", params={"year": 2019, "format": "xlsx"})
    assert r.status_code == 200, r.content
    assert r.headers["Content-Type"] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert r.headers["Content-Disposition"] == 'attachment; filename="annual-report-2019.xlsx"'
    assert r.content[:2] == b"PK"
    path = tmp_path / "r.xlsx"
    path.write_bytes(r.content)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["二 主动公开", "三 依申请公开", "四 复议诉讼", "六 其他事项"]
    doc = report(api, 2019)
    cells = form_cells(doc)

    def values(ws):
        return [[c if c is not None else "" for c in row]
                for row in ws.iter_rows(values_only=True)]

    # 三: find each row by its labels; the numbers are numbers
    t3 = values(wb["三 依申请公开"])
    flat = [str(x) for row in t3 for x in row]
    assert TABLE3_HEAD[0][0] in flat and "申请人情况" in flat
    for code, l1, l2, l3 in TABLE3_ROWS:
        label = l3 or l2 or l1
        hits = [row for row in t3 if label in row]
        assert hits, label
        row = hits[0]
        nums = [x for x in row if isinstance(x, (int, float)) and not isinstance(x, bool)]
        assert nums == [cells[code][c] for c in COLUMNS], code
    # 三's stub labels are merged cells, as on the printed form
    assert wb["三 依申请公开"].merged_cells.ranges
    # 二 and 四
    t2 = values(wb["二 主动公开"])
    assert any("规章" in row for row in t2) and any("行政许可" in row for row in t2)
    t4 = values(wb["四 复议诉讼"])
    ap = doc["form"]["appeals"]
    numbers = [row for row in t4 if row and all(isinstance(x, (int, float)) for x in row[:15])]
    assert numbers and list(numbers[-1][:15]) == [ap[g][k] for g in GROUPS4 for k in KEYS4]
    assert any("尚未审结" in row for row in t4)


# --------------------------------------------------------------------------
# every cell from the rows: a unit whose year has every kind of closure


@pytest.fixture(scope="module")
def crafted(make_unit, tokens, db):
    """A unit with 2022 cases: one per outcome and per withheld reason over
    all applicant types, the other closures, cases carried in from 2021 and
    out to 2023."""
    st = staff_of(make_unit, tokens, "RF-")
    rows = []
    types = iter(APPLICANT_TYPES * 20)

    def add(**r):
        r.setdefault("applicant_type", next(types))
        rows.append(r)

    dec = dict(status="decided", received="2022-03-01 10:00", decided="2022-03-20 10:00",
               days_used=12, on_time=True)
    for outcome in OUTCOME_ROW:
        if outcome.startswith("abandoned"):
            continue
        add(**dec, outcome=outcome, reason_code="third_party_rights"
            if outcome == "partially_disclosed" else None)
    for reason in REASON_ROW:
        add(**dec, outcome="withheld", reason_code=reason)
    for t in APPLICANT_TYPES:
        add(**dec, outcome="disclosed", applicant_type=t)
    closed = dict(received="2022-05-05 10:00", closed="2022-05-20 10:00")
    add(status="not_accepted", **closed)
    add(status="withdrawn", **closed)
    add(status="abandoned", **closed)
    add(status="abandoned", outcome="abandoned_correction", **closed)
    add(status="abandoned", outcome="abandoned_fee", **closed)
    # carried over from 2021, decided in 2022
    add(status="decided", received="2021-12-20 10:00", decided="2022-01-10 10:00",
        outcome="disclosed", days_used=8, on_time=True, applicant_type="company")
    # carried over from 2021 and on into 2023
    add(status="decided", received="2021-12-25 10:00", decided="2023-02-01 10:00",
        outcome="not_held", days_used=30, on_time=False, applicant_type="ngo")
    # received late in 2022, answered in 2023
    add(status="decided", received="2022-12-28 10:00", decided="2023-01-05 10:00",
        outcome="disclosed", days_used=5, on_time=True, applicant_type="research_body")
    # a 2022 closure at 23:30 on 31 December in Shanghai is 2022's
    add(status="withdrawn", received="2022-12-30 10:00", closed="2022-12-31 23:30",
        applicant_type="legal_service")
    insert_requests(db, st.unit, rows)
    return st


@pytest.mark.parametrize("year", [2021, 2022, 2023])
def test_every_cell_recomputed_from_the_rows(api, db, crafted, year):
    doc = report(api, year, crafted.unit)
    cells = form_cells(doc)
    assert cells == recompute(db, year, crafted.unit)
    assert doc["form"]["applications"]["balanced"] == dict.fromkeys(COLUMNS, True)
    assert doc["form"]["title"].endswith(f"{year}年政府信息公开工作年度报告")


def test_every_row_counted_where_the_form_says(api, crafted):
    cells = form_cells(report(api, 2022, crafted.unit))
    # one of each withheld reason, and 部分公开 only as itself
    for code in ("3.3.3.1", "3.3.3.2", "3.3.3.3", "3.3.3.4", "3.3.3.5", "3.3.3.6",
                 "3.3.3.7", "3.3.3.8", "3.3.2", "3.3.4.2", "3.3.4.3", "3.3.5.1", "3.3.5.2",
                 "3.3.5.3", "3.3.5.4", "3.3.5.5", "3.3.6.2"):
        assert cells[code]["total"] == 1, code
    assert cells["3.3.1"]["total"] == 2 + 6 + 1      # disclosed, already public; six; from 2021
    assert cells["3.3.4.1"]["total"] == 2            # not held, not within scope
    assert cells["3.3.6.1"]["total"] == 2            # abandoned (correction), either way
    assert cells["3.3.6.3"]["total"] == 1 + 2 + 1    # other; not accepted, withdrawn; 31 Dec
    assert cells["3.2"] == dict(dict.fromkeys(COLUMNS, 0), company=1, ngo=1, total=2)
    assert cells["3.4"] == dict(dict.fromkeys(COLUMNS, 0), research_body=1, ngo=1, total=2)
    # received in 2022: the closures of 2022 but the one from 2021, and the
    # one answered in 2023
    assert cells["3.1"]["total"] == cells["3.3.7"]["total"] - 1 + 1 == 34
    for col in COLUMNS:
        assert cells["3.1"][col] + cells["3.2"][col] == cells["3.3.7"][col] + cells["3.4"][col]
    for code in CODES:
        assert cells[code]["total"] == sum(cells[code][c] for c in APPLICANT_TYPES), code


def test_carried_forward_is_next_years_carried_over(api, crafted):
    for year in (2021, 2022):
        a = form_cells(report(api, year, crafted.unit))["3.4"]
        b = form_cells(report(api, year + 1, crafted.unit))["3.2"]
        assert a == b, year


def test_city_form_is_the_sum_of_the_units(api, db, crafted):
    city = form_cells(report(api, 2022))
    assert city == recompute(db, 2022)
    mine = form_cells(report(api, 2022, crafted.unit))
    for code in CODES:
        for col in COLUMNS:
            assert city[code][col] >= mine[code][col]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "figures_csv", None])
def test_unknown_unit_404(api, fmt):
    params = {"year": 2022, "unit": str(uuid.uuid4())}
    if fmt:
        params["format"] = fmt
    assert_problem(api.get("/v1/reports/annual", params=params), 404, "not-found")


# --------------------------------------------------------------------------
# table 二: rules and normative documents, licensing decisions, the units'
# own figures


def make_document(api, st, document_type, title="关于规范行政执法公示工作的通知"):
    body = {"kind": "information", "category": "regulation", "title": title + uniq(),
            "body": "各有关单位：现就有关事项通知如下……", "document_number": "测发〔2026〕" + uniq(),
            "document_type": document_type}
    r = api.post("/v1/items", token=st.clerk, json=body)
    assert r.status_code == 201, r.content
    item = r.json()
    assert item["document_type"] == document_type and item["abolished_on"] is None
    return item


def publish(api, st, iid):
    r = api.post(f"/v1/items/{iid}/submit", token=st.clerk)
    assert r.status_code == 200, r.content
    r = api.post(f"/v1/items/{iid}/review", token=st.approver,
                 json={"decision": "approve", "comment": "同意公开。"})
    assert r.status_code == 200, r.content
    return r.json()


@pytest.fixture(scope="module")
def docs_unit(make_unit, tokens):
    return staff_of(make_unit, tokens, "RD-")


def test_documents_issued_abolished_in_force(api, db, tokens, docs_unit, unchanged):
    st, year = docs_unit, shanghai_today().year
    before = report(api, year, st.unit)["form"]["proactive"]
    assert before["rules"] == {"issued": 0, "abolished": 0, "in_force": 0}
    rule = make_document(api, st, "rule")
    normative = [make_document(api, st, "normative_document") for _ in range(2)]
    plain = make_document(api, st, None)  # a notice that is neither
    assert plain["document_type"] is None
    # drafts are not issued
    assert report(api, year, st.unit)["form"]["proactive"] == before
    for it in [rule, plain] + normative:
        publish(api, st, it["id"])
    pro = report(api, year, st.unit)["form"]["proactive"]
    assert pro["rules"] == {"issued": 1, "abolished": 0, "in_force": 1}
    assert pro["normative_documents"] == {"issued": 2, "abolished": 0, "in_force": 2}

    # abolished today: abolished this year, no longer in force at its end
    today = shanghai_today().isoformat()
    r = api.post(f"/v1/items/{normative[0]['id']}/abolish", token=st.approver,
                 json={"abolished_on": today, "note": "被新文件废止。"})
    assert r.status_code == 200, r.content
    assert r.json()["abolished_on"] == today
    assert r.json()["status"] == "published"  # it stays readable
    pro = report(api, year, st.unit)["form"]["proactive"]
    assert pro["normative_documents"] == {"issued": 2, "abolished": 1, "in_force": 1}
    audit = db("SELECT action, role FROM audit_log WHERE entity = 'item'"
               f" AND entity_id = '{normative[0]['id']}' ORDER BY seq DESC LIMIT 1")
    assert audit == [["item.abolish", "approver"]]
    # the public reads it on the item
    r = api.get(f"/v1/items/{normative[0]['id']}")
    assert r.status_code == 200 and r.json()["abolished_on"] == today

    with unchanged():
        # twice: 409; a plain notice or a draft: 409; another unit's approver: 403
        assert_problem(api.post(f"/v1/items/{normative[0]['id']}/abolish", token=st.approver,
                                json={"abolished_on": today}), 409, "conflict")
        assert_problem(api.post(f"/v1/items/{plain['id']}/abolish", token=st.approver,
                                json={"abolished_on": today}), 409, "conflict")
    draft = make_document(api, st, "rule")
    with unchanged():
        assert_problem(api.post(f"/v1/items/{draft['id']}/abolish", token=st.approver,
                                json={"abolished_on": today}), 409, "conflict")
        assert_problem(api.post(f"/v1/items/{rule['id']}/abolish", token=st.clerk,
                                json={"abolished_on": today}), 403, "forbidden")
        other = mint(tokens, "approver", unit=str(uuid.uuid4()))
        assert_problem(api.post(f"/v1/items/{rule['id']}/abolish", token=other,
                                json={"abolished_on": today}), 403, "forbidden")
        # before it was published: 422
        r = api.post(f"/v1/items/{rule['id']}/abolish", token=st.approver,
                     json={"abolished_on": "2001-01-01"})
        assert error_pointers(assert_problem(r, 422, "validation")) == ["/abolished_on"]
        for bad in ({}, {"abolished_on": "2026-13-01"}, {"abolished_on": 20260101},
                    {"abolished_on": today, "extra": 1}, {"abolished_on": today, "note": ""}):
            r = api.post(f"/v1/items/{rule['id']}/abolish", token=st.approver, json=bad)
            assert_problem(r, 422, "validation")
        assert_problem(api.post(f"/v1/items/{uuid.uuid4()}/abolish", token=st.approver,
                                json={"abolished_on": today}), 404, "not-found")
        assert_problem(api.post(f"/v1/items/{rule['id']}/abolish",
                                json={"abolished_on": today}), 401, "unauthorized")


def test_abolished_in_a_later_year_counts_in_force_before(api, db, docs_unit):
    st = docs_unit
    it = make_document(api, st, "rule", title="旧规章")
    publish(api, st, it["id"])
    # a rule of 2020 abolished in 2023 (dates the API cannot set, written here)
    db(f"UPDATE items SET published_at = timestamptz '2020-06-01 10:00+08',"
       f" abolished_on = date '2023-03-01'"
       f" WHERE id = '{it['id']}'")
    want = {2020: (1, 0, 1), 2021: (0, 0, 1), 2022: (0, 0, 1), 2023: (0, 1, 0)}
    for year, (issued, abolished, in_force) in want.items():
        assert report(api, year, st.unit)["form"]["proactive"]["rules"] == \
            {"issued": issued, "abolished": abolished, "in_force": in_force}, year


def test_licensing_decisions_are_the_years_licence_decisions(api, db):
    year = 2022
    y1, y2 = bounds(year)
    want = int(db.scalar("SELECT count(*) FROM requests q JOIN items i ON i.id = q.item_id"
                         " WHERE q.kind = 'approval' AND i.category = 'administrative_license'"
                         f" AND q.decided_at >= {y1} AND q.decided_at < {y2}"))
    assert report(api, year)["form"]["proactive"]["licensing_decisions"] == want


def test_figures_entered_by_the_unit(api, db, tokens, docs_unit, unchanged):
    st, year = docs_unit, 2025
    path = f"/v1/units/{st.unit}/report-figures/{year}"
    assert_problem(api.get(path), 404, "not-found")
    pro = report(api, year, st.unit)["form"]["proactive"]
    assert pro["penalty_decisions"] is None and pro["administrative_fees_10k_yuan"] is None

    body = {"penalty_decisions": 132, "coercion_decisions": 4, "fees_10k_yuan": 18.5,
            "note": "据本局执法信息系统统计。"}
    r = api.put(path, token=st.clerk, json=body)
    assert r.status_code == 200, r.content
    got = r.json()
    assert got["penalty_decisions"] == 132 and got["coercion_decisions"] == 4
    assert got["fees_10k_yuan"] == 18.5 and got["year"] == year and got["unit_id"] == st.unit
    etag = r.headers["ETag"]
    r = api.get(path)
    assert r.status_code == 200 and r.json() == got and r.headers["ETag"] == etag
    assert api.get(path, headers={"If-None-Match": etag}).status_code == 304
    pro = report(api, year, st.unit)["form"]["proactive"]
    assert pro["penalty_decisions"] == 132 and pro["coercion_decisions"] == 4
    assert pro["administrative_fees_10k_yuan"] == 18.5
    _, rows = get_csv(api, "/v1/reports/annual", year=year, unit=st.unit, format="csv")
    t2 = {row[0]: row[1:] for row in sections(rows)[1][1:]}
    assert t2["行政处罚"][0] == "132" and t2["行政强制"][0] == "4"
    assert float(t2["行政事业性收费"][0]) == 18.5
    # the city adds them up
    assert report(api, year)["form"]["proactive"]["penalty_decisions"] >= 132
    # audited
    a = db("SELECT action, role, detail->>'penalty_decisions' FROM audit_log"
           f" WHERE entity = 'report_figures' AND entity_id = '{st.unit}/{year}'"
           " ORDER BY seq DESC LIMIT 1")
    assert a == [["report.figures", "clerk", "132"]]
    # the approver corrects them: a new version
    r = api.put(path, token=st.approver, json=dict(body, penalty_decisions=133))
    assert r.status_code == 200 and r.json()["penalty_decisions"] == 133
    assert r.headers["ETag"] != etag

    with unchanged():
        for tok, status in ((mint(tokens, "clerk", unit=str(uuid.uuid4())), 403),
                            (mint(tokens, "supervisor"), 403),
                            (mint(tokens, "public"), 403), (None, 401)):
            r = api.put(path, token=tok, json=body)
            assert_problem(r, status)
        for bad, ptr in (({"penalty_decisions": -1}, "/penalty_decisions"),
                         ({"penalty_decisions": 1.5}, "/penalty_decisions"),
                         ({"penalty_decisions": "3"}, "/penalty_decisions"),
                         ({"fees_10k_yuan": -0.5}, "/fees_10k_yuan"),
                         ({"fees_10k_yuan": "1"}, "/fees_10k_yuan"),
                         ({"coercion_decisions": 100000001}, "/coercion_decisions"),
                         ({"note": "x" * 2001}, "/note"),
                         ({"extra": 1}, "/extra")):
            r = api.put(path, token=st.clerk, json=bad)
            assert error_pointers(assert_problem(r, 422, "validation")) == [ptr], bad
        assert_problem(api.put(f"/v1/units/{uuid.uuid4()}/report-figures/{year}",
                               token=mint(tokens, "admin"), json=body), 404, "not-found")
        assert_problem(api.put(f"/v1/units/{st.unit}/report-figures/1999", token=st.clerk,
                               json=body), 404, "not-found")
        assert_problem(api.get(f"/v1/units/{st.unit}/report-figures/20x5"), 404, "not-found")


# --------------------------------------------------------------------------
# publication: who, when, frozen, revisions


@pytest.fixture(scope="module")
def pub_unit(make_unit, tokens):
    return staff_of(make_unit, tokens, "RP-")


def register(api, st, received_at):
    body = {"kind": "disclosure", "unit_id": st.unit,
            "description": "申请公开本单位上年度行政许可统计。" + uniq(),
            "purpose": "监督", "delivery": "paper", "channel": "paper",
            "received_at": received_at,
            "applicant": {"type": "company", "name": "某某有限公司" + uniq()}}
    r = api.post("/v1/requests", token=st.clerk, json=body)
    assert r.status_code == 201, r.content
    return r.json()


def publish_report(api, tok, year, unit=None, note=None):
    body = {"year": year}
    if unit:
        body["unit_id"] = unit
    if note:
        body["note"] = note
    return api.post("/v1/reports/annual/publications", token=tok, json=body)


def test_publish_freeze_and_revise(api, db, pub_unit, tokens):
    st = pub_unit
    last = shanghai_today().year - 1
    register(api, st, f"{last}-12-15T02:00:00Z")
    live = report(api, last, st.unit)
    assert live["publication"] is None
    assert form_cells(live)["3.1"]["company"] == 1

    r = publish_report(api, st.approver, last, st.unit, note="经单位主要负责人审定。")
    assert r.status_code == 201, r.content
    p1 = r.json()
    assert r.headers["Location"] == f"/v1/reports/annual/publications/{p1['id']}"
    assert r.headers["ETag"] == f'"{p1["id"]}.json"'
    assert p1["revision"] == 1 and p1["year"] == last and p1["unit_id"] == st.unit
    assert p1["changes"] == [] and p1["note"] == "经单位主要负责人审定。"
    frozen = p1["report"]
    assert frozen["form"] == live["form"]
    assert "publication" not in frozen
    a = db("SELECT action FROM audit_log WHERE entity = 'report_publication'"
           f" AND entity_id = '{p1['id']}'")
    assert a == [["report.publish"]]

    # a late case of that year: the live report changes, the published one not
    register(api, st, f"{last}-12-20T02:00:00Z")
    live = report(api, last, st.unit)
    assert form_cells(live)["3.1"]["company"] == 2
    assert live["publication"]["id"] == p1["id"] and live["publication"]["revision"] == 1
    r = api.get(f"/v1/reports/annual/publications/{p1['id']}")
    assert r.status_code == 200
    assert r.json() == p1
    assert r.headers["Cache-Control"] == "public, max-age=86400"
    assert api.get(f"/v1/reports/annual/publications/{p1['id']}",
                   headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    # its CSV is the frozen form, not today's
    _, frozen_csv = get_csv(api, f"/v1/reports/annual/publications/{p1['id']}", format="csv")
    _, live_csv = get_csv(api, "/v1/reports/annual", year=last, unit=st.unit, format="csv")
    row = lambda rows: next(x for x in rows if x and x[0] == TABLE3_ROWS[0][1])
    assert row(frozen_csv)[3:] == ["0", "1", "0", "0", "0", "0", "1"]
    assert row(live_csv)[3:] == ["0", "2", "0", "0", "0", "0", "2"]
    assert frozen_csv[0] == live_csv[0]
    r = api.get(f"/v1/reports/annual/publications/{p1['id']}", params={"format": "xlsx"})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert r.headers["Content-Disposition"] == \
        f'attachment; filename="annual-report-{last}-r1.xlsx"'

    # republished: revision 2, with what changed; revision 1 still readable
    r = publish_report(api, st.approver, last, st.unit)
    assert r.status_code == 201, r.content
    p2 = r.json()
    assert p2["revision"] == 2 and p2["id"] != p1["id"]
    changed = {c["path"]: (c["before"], c["after"]) for c in p2["changes"]}
    assert changed["/form/applications/rows/3.1/values/company"] == (1, 2)
    assert changed["/form/applications/rows/3.1/values/total"] == (1, 2)
    assert changed["/form/applications/rows/3.4/values/company"] == (1, 2)
    assert "/generated_at" not in changed
    assert all(not p.startswith("/form/applications/rows/3.3") for p in changed)
    assert api.get(f"/v1/reports/annual/publications/{p1['id']}").json() == p1
    assert report(api, last, st.unit)["publication"]["revision"] == 2
    # the list: newest first, without the figures
    r = api.get("/v1/reports/annual/publications", params={"unit": st.unit})
    assert r.status_code == 200
    listed = r.json()["data"]
    assert [p["revision"] for p in listed] == [2, 1]
    assert all("report" not in p for p in listed)
    r = api.get("/v1/reports/annual/publications", params={"unit": st.unit, "year": last - 1})
    assert r.json()["data"] == []
    # the published rows cannot be changed, even by the service's own role
    out = db("SET ROLE opengov_app; SELECT count(*) FROM report_publications"
             f" WHERE id = '{p1['id']}'")
    assert out == [["1"]]
    for sql in (f"UPDATE report_publications SET note = 'x' WHERE id = '{p1['id']}'",
                f"DELETE FROM report_publications WHERE id = '{p1['id']}'"):
        with pytest.raises(RuntimeError, match="published reports are immutable"):
            db(sql)
    assert api.get(f"/v1/reports/annual/publications/{p1['id']}").json() == p1


def test_who_may_publish(api, pub_unit, tokens, db, unchanged):
    st = pub_unit
    last = shanghai_today().year - 1
    other = mint(tokens, "approver", unit=str(uuid.uuid4()))
    with unchanged():
        for tok, unit, status in ((st.clerk, st.unit, 403), (other, st.unit, 403),
                                  (mint(tokens, "supervisor"), st.unit, 403),
                                  (mint(tokens, "public"), st.unit, 403),
                                  (mint(tokens, "admin"), st.unit, 403),
                                  (st.approver, None, 403),  # the city's is the admin's
                                  (None, st.unit, 401)):
            assert_problem(publish_report(api, tok, last, unit), status)
    n = int(db.scalar("SELECT count(*) FROM report_publications WHERE unit_id IS NULL"
                      f" AND year = {last}"))
    r = publish_report(api, mint(tokens, "admin"), last)
    assert r.status_code == 201, r.content
    assert r.json()["unit_id"] is None and r.json()["revision"] == n + 1
    assert r.json()["report"]["form"]["title"] == f"全市{last}年政府信息公开工作年度报告"
    r = api.get("/v1/reports/annual/publications", params={"city": "true", "year": last})
    assert r.status_code == 200
    assert {p["unit_id"] for p in r.json()["data"]} == {None}


def test_a_year_not_over_is_not_published(api, pub_unit, tokens, unchanged):
    st = pub_unit
    this = shanghai_today().year
    with unchanged():
        for year in (this, this + 1):
            r = publish_report(api, st.approver, year, st.unit)
            doc = assert_problem(r, 409, "conflict")
            assert "Art. 49" in doc["detail"]


@pytest.mark.parametrize("body, ptr", [
    ({}, "/year"), ({"year": "2025"}, "/year"), ({"year": 1999}, "/year"),
    ({"year": 2025.5}, "/year"), ({"year": 2025, "unit_id": "abc"}, "/unit_id"),
    ({"year": 2025, "note": ""}, "/note"), ({"year": 2025, "note": "x" * 2001}, "/note"),
    ({"year": 2025, "extra": True}, "/extra"),
])
def test_publish_bad_input_422(api, tokens, unchanged, body, ptr):
    with unchanged():
        r = api.post("/v1/reports/annual/publications", token=mint(tokens, "admin"), json=body)
        assert error_pointers(assert_problem(r, 422, "validation")) == [ptr]


def test_publish_unknown_unit_404(api, tokens, unchanged):
    unit = str(uuid.uuid4())
    with unchanged():
        r = publish_report(api, mint(tokens, "approver", unit=unit), 2025, unit)
        assert_problem(r, 404, "not-found")
    assert_problem(api.get(f"/v1/reports/annual/publications/{uuid.uuid4()}"), 404)
    assert_problem(api.get("/v1/reports/annual/publications/not-a-uuid"), 404)
    r = api.get(f"/v1/reports/annual/publications/{uuid.uuid4()}", params={"format": "pdf"})
    assert error_pointers(assert_problem(r, 400, "bad-request")) == ["/query/format"]


# --------------------------------------------------------------------------
# Art. 49: a unit that has not published by 31 January


def monitor(api, tokens):
    r = api.post("/v1/monitoring/runs", token=mint(tokens, "supervisor"))
    assert r.status_code == 201, r.content
    return r.json()


def report_findings(db, unit):
    return db("SELECT rule, report_year, category, severity, source FROM findings"
              f" WHERE unit_id = '{unit}' AND rule = 'report_unpublished'")


def test_unpublished_report_opens_one_finding(api, db, make_unit, tokens):
    today = shanghai_today()
    if today <= dt.date(today.year, 1, 31):
        pytest.skip("the reports of last year are due by 31 January")  # Art. 49
    last = today.year - 1
    late = staff_of(make_unit, tokens, "RL-")
    done = staff_of(make_unit, tokens, "RL-")
    young = staff_of(make_unit, tokens, "RL-")
    # late and done existed last year; young was created this year
    db(f"UPDATE units SET created_at = timestamptz '{last}-03-01 10:00+08'"
       f" WHERE id IN ('{late.unit}', '{done.unit}')")
    r = publish_report(api, done.approver, last, done.unit)
    assert r.status_code == 201, r.content
    monitor(api, tokens)
    assert report_findings(db, late.unit) == [
        ["report_unpublished", str(last), "disclosure_gap", "red", "e_monitoring"]]
    assert report_findings(db, done.unit) == []
    assert report_findings(db, young.unit) == []
    # the finding says which year, through the API
    r = api.get("/v1/findings", token=mint(tokens, "supervisor"),
                params={"unit": late.unit, "limit": 100})
    f = [x for x in r.json()["data"] if x.get("report_year") == last]
    assert len(f) == 1 and "Art. 49" in f[0]["description"]
    # once: another pass adds nothing, and publishing late does not remove it
    monitor(api, tokens)
    assert len(report_findings(db, late.unit)) == 1
    assert publish_report(api, late.approver, last, late.unit).status_code == 201
    monitor(api, tokens)
    assert len(report_findings(db, late.unit)) == 1
