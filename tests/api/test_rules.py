"""The case engine's rules table (issue 11) is the one place its names live:
`opengov rules` prints it from the binary, and this suite checks that
openapi.yaml's enums and the database's constraints say the same names, so
neither can drift from the code by hand.
"""

import json
import os
import re
import subprocess

import pytest

from conftest import CONTRACT, REPO

BIN = os.environ.get("OPENGOV_BIN") or os.path.join(REPO, "bin", "opengov")
SCHEMAS = CONTRACT.doc["components"]["schemas"]


@pytest.fixture(scope="module")
def rules():
    if not os.path.exists(BIN):
        pytest.skip(f"no opengov binary at {BIN}")
    p = subprocess.run([BIN, "rules"], capture_output=True, text=True, timeout=30,
                       env={"PATH": os.environ.get("PATH", "")})
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def enum(name):
    return [v for v in SCHEMAS[name]["enum"] if v is not None]


def names(rows, **where):
    return [r["name"] for r in rows if all(r.get(k) == v for k, v in where.items())]


def test_statuses(rules):
    assert enum("RequestStatus") == names(rules["statuses"])


def test_steps_recorded(rules):
    assert enum("ApprovalActionName") == rules["steps"]
    assert set(rules["steps"]) == {a["step"] for a in rules["actions"] if a["step"]}


def test_actions_a_caller_may_be_offered(rules):
    offered = [a["name"] for a in rules["actions"]
               if a["by"] != ["system"] and a["name"] not in ("submit", "register")]
    assert sorted(enum("RequestAction")) == sorted(offered)
    # each kind's own list (DisclosureRequest and ApprovalRequest offer
    # from them): the actions the rules allow from some status of the kind
    for kind, schema in (("disclosure", "DisclosureRequestAction"),
                         ("approval", "ApprovalRequestAction")):
        mine = {a["name"] for a in rules["actions"] if a["from"][kind]}
        assert enum(schema) == [x for x in enum("RequestAction") if x in mine], kind


def test_staff_steps_are_the_bodies_of_create_approval(rules):
    staff = [a["name"] for a in rules["actions"] if a["staff_step"]]
    mapping = SCHEMAS["ApprovalAction"]["discriminator"]["mapping"]
    assert sorted(mapping) == sorted(staff)
    for name, ref in mapping.items():
        schema = SCHEMAS[ref.rsplit("/", 1)[1]]
        assert schema["properties"]["action"]["const"] == name


def test_outcomes_and_reasons(rules):
    assert enum("Outcome") == names(rules["outcomes"])
    # each kind's own list, in the same order (DisclosureRequest and
    # ApprovalRequest take their decision's outcome from them)
    assert enum("DisclosureOutcome") == names(rules["outcomes"], kind="disclosure")
    assert enum("ApprovalOutcome") == names(rules["outcomes"], kind="approval")
    assert enum("ReasonCode") == [r["name"] for r in rules["reason_codes"]]
    by_outcome = SCHEMAS["ReportOutcomes"]["properties"]["by_outcome"]
    assert by_outcome["items"]["properties"]["outcome"]["enum"] == \
        names(rules["outcomes"], kind="disclosure")
    assert by_outcome["minItems"] == by_outcome["maxItems"] == \
        len(names(rules["outcomes"], kind="disclosure"))
    reasons = SCHEMAS["ReportReasonCounts"]
    assert reasons["minItems"] == reasons["maxItems"] == len(rules["reason_codes"])


def test_every_disclosure_outcome_has_its_report_row(rules):
    """One code per row of table 三 of the 2021 annual report form (the
    withheld reasons carry the sub-rows of （三）)."""
    rows = {o["name"]: o["report_row"] for o in rules["outcomes"]}
    for o in rules["outcomes"]:
        if o["kind"] == "disclosure":
            assert re.fullmatch(r"3\.3\.[1-6](\.[1-8])?", o["report_row"]), o
            assert o["label"].startswith("（"), o
        else:
            assert o["report_row"] is None, o
    assert [r["report_row"] for r in rules["reason_codes"]] == \
        [f"3.3.3.{i}" for i in range(1, 9)]
    # the rows the form has, each reached by at least one code
    form_rows = {"3.3.1", "3.3.2", "3.3.3", "3.3.4.1", "3.3.4.2", "3.3.4.3", "3.3.5.1",
                 "3.3.5.2", "3.3.5.3", "3.3.5.4", "3.3.5.5", "3.3.6.1", "3.3.6.2", "3.3.6.3"}
    assert form_rows == {r for r in rows.values() if r}
    # the Outcome schema's table says the same rows
    text = SCHEMAS["Outcome"]["description"]
    for name, row in rows.items():
        if row:
            assert re.search(rf"`{name}` \| {re.escape(row)} ", text), (name, row)


def test_pause_reasons_and_channels(rules):
    assert enum("PauseReason") == names(rules["pause_reasons"])
    assert SCHEMAS["PauseReason"]["x-deprecated-enum"] == \
        names(rules["pause_reasons"], deprecated=True)
    assert enum("RequestChannel") == names(rules["channels"])
    clerk = names([c for c in rules["channels"] if c["by"] == ["clerk"]])
    for create in ("DisclosureRequestCreate", "ApprovalRequestCreate"):
        assert SCHEMAS[create]["properties"]["channel"]["enum"] == clerk
    assert SCHEMAS["RequestFee"]["properties"]["method"]["enum"] == \
        names(rules["fee_methods"])
    assert SCHEMAS["FeeNoticeAction"]["properties"]["method"]["enum"] == \
        names(rules["fee_methods"])


def constraint_values(db, table, column):
    """The values a CHECK (column IN (...)) constraint of table allows."""
    rows = db(f"SELECT pg_get_constraintdef(oid) FROM pg_constraint"
              f" WHERE conrelid = '{table}'::regclass AND contype = 'c'"
              f" AND conname = '{table}_{column}_check'")
    assert rows, (table, column)
    return re.findall(r"'([a-z_]+)'::text", rows[0][0])


def test_database_constraints_say_the_same_names(rules, db):
    assert sorted(constraint_values(db, "requests", "status")) == \
        sorted(names(rules["statuses"]))
    assert sorted(constraint_values(db, "requests", "channel")) == \
        sorted(names(rules["channels"]))
    assert sorted(constraint_values(db, "requests", "outcome")) == \
        sorted(names(rules["outcomes"]))
    assert sorted(constraint_values(db, "requests", "reason_code")) == \
        sorted(r["name"] for r in rules["reason_codes"])
    assert sorted(constraint_values(db, "approvals", "action")) == sorted(rules["steps"])


def test_partial_indexes_name_the_open_statuses(rules, db):
    """The indexes the monitor and the lists read name exactly the open
    statuses, as the statements the workers build from the table do."""
    open_ = sorted(names(rules["statuses"], open=True))
    for ix in ("requests_open_red", "requests_open_yellow", "requests_open_calendar",
               "requests_report_open"):
        d = db(f"SELECT pg_get_indexdef('{ix}'::regclass)")[0][0]
        assert sorted(re.findall(r"'([a-z_]+)'::text", d)) == open_, (ix, d)


def test_the_table_reads_as_the_statutes(rules):
    """Spot checks of rows against the articles they cite."""
    acts = {a["name"]: a for a in rules["actions"]}
    # OGI Regulations Art. 33: one extension, before the due date
    assert {"once", "before_due_date"} <= set(acts["extend"]["conditions"])
    # OGI Art. 30 and Licensing Law Art. 32: one correction notice, in its window
    assert {"once", "within_window"} <= set(acts["request_correction"]["conditions"])
    # Licensing Law Art. 32(4): deemed acceptance is the system's
    assert acts["deemed_accept"]["by"] == ["system"]
    assert acts["deemed_accept"]["from"] == {"disclosure": [], "approval": ["submitted"]}
    # a disclosure request is never deemed accepted, an approval never charged
    assert acts["fee_notice"]["from"]["approval"] == []
    assert acts["deliver"]["from"]["disclosure"] == []
    pauses = {p["name"]: p for p in rules["pause_reasons"]}
    assert pauses["third_party_consultation"]["statutory_days"] == 15
    assert [p for p, r in pauses.items() if r["kind"] == "disclosure"] == \
        ["third_party_consultation"]
    statuses = {s["name"]: s for s in rules["statuses"]}
    assert [s for s, r in statuses.items() if r["open"]] == \
        ["submitted", "accepted", "correction_required", "paused", "awaiting_payment"]
