"""Contact rules: every rule that holds a reminder back, each with its reason code.

Paid, disputed, net credit and not yet overdue are also covered by the receivables cases in
test_policy.py; here are the quiet period, the monthly maximum, arrangements, consent,
phone tasks on weekends and holidays, and the re-check of payment signals at hand-over.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from policy_fixtures import (
    Arrangement,
    Consent,
    Contact,
    Customer,
    Item,
    PspEvent,
    Score,
    Signal,
    build_warehouse,
    days_before,
    decide,
    write_segments,
)

from models_ml.policy import export_reminder_run, load_segments
from models_ml.policy.checks import Checker
from models_ml.policy.holidays import easter_sunday, holiday_rows, parse_holidays

AS_OF = date(2024, 7, 2)  # a Tuesday
CUTOFF_AT = datetime(2024, 7, 3, 6, 0, 0)


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def segments(tmp_path):
    return write_segments(tmp_path)


def ago(days: int, as_of: date = AS_OF) -> date:
    return days_before(as_of, days)


# --- quiet period and monthly maximum -----------------------------------------------------


def test_quiet_period_after_the_last_contact(con, segments):
    build_warehouse(
        con,
        AS_OF,
        [Customer("recent"), Customer("week")],
        [Item("R-1", "recent", ago(20), "100.00"), Item("W-1", "week", ago(20), "100.00")],
        contacts=[
            Contact("recent", "R-1", ago(6), reminder_level=0),
            Contact("week", "W-1", ago(7), reminder_level=0),
        ],
    )

    actions = decide(con, segments, AS_OF)

    assert (actions["recent"]["action"], actions["recent"]["reason_code"]) == (
        "none",
        "quiet_period",
    )
    assert actions["week"]["action"] == "remind"  # 7 quiet days have passed


def test_contact_about_another_invoice_also_counts(con, segments):
    build_warehouse(
        con,
        AS_OF,
        [Customer("anna")],
        [Item("A-1", "anna", ago(20), "100.00")],
        contacts=[Contact("anna", "OLD-9", ago(2))],
    )

    assert decide(con, segments, AS_OF)["anna"]["reason_code"] == "quiet_period"


def test_monthly_maximum_counts_contact_days_in_the_last_30_days(con, segments):
    three_days = [Contact("busy", f"X-{n}", ago(days)) for n, days in enumerate((8, 15, 29))]
    same_day = [Contact("calm", f"Y-{n}", ago(8)) for n in range(3)]  # one contact moment
    old = [Contact("old", f"Z-{n}", ago(days)) for n, days in enumerate((8, 15, 30))]
    build_warehouse(
        con,
        AS_OF,
        [Customer("busy"), Customer("calm"), Customer("old")],
        [Item(f"{c}-1", c, ago(40), "100.00") for c in ("busy", "calm", "old")],
        contacts=three_days + same_day + old,
    )

    actions = decide(con, segments, AS_OF)

    assert actions["busy"]["reason_code"] == "monthly_limit"
    assert actions["calm"]["action"] == "remind"
    assert actions["old"]["action"] == "remind"  # 30 days ago is outside the window


def test_an_earlier_run_counts_as_a_contact(con, segments, tmp_path):
    customers, items = [Customer("anna")], [Item("A-1", "anna", ago(20), "100.00")]
    first = ago(3)
    build_warehouse(con, first, customers, items)
    decide(con, segments, first)
    export_reminder_run(con, tmp_path, first, created_at=datetime(2024, 6, 29, 5))
    build_warehouse(con, AS_OF, customers, items)

    anna = decide(con, segments, AS_OF)["anna"]

    assert anna["reason_code"] == "quiet_period"


def test_a_phone_task_without_a_number_is_a_written_reminder_that_renders(con, segments, tmp_path):
    # Found at 10M invoices in the benchmark: the phone step fell back to e-mail but kept the
    # phone_task template, which no written channel has, and the export stopped.
    monday = date(2024, 7, 8)
    build_warehouse(
        con,
        monday,
        [Customer("big", has_phone=False), Customer("callable")],
        [
            Item("B-1", "big", ago(10, monday), "20000.00"),
            Item("C-1", "callable", ago(10, monday), "20000.00"),
        ],
        scores=[Score("B-1", "big", 0.3), Score("C-1", "callable", 0.3)],
    )

    actions = decide(con, segments, monday)
    run_dir = export_reminder_run(con, tmp_path, monday)

    assert (actions["callable"]["action"], actions["callable"]["template"]) == (
        "phone_task",
        "phone_task",
    )
    big = actions["big"]
    assert (big["action"], big["channel"], big["escalation"], big["template"]) == (
        "remind",
        "email",
        "phone_task",
        "reminder",
    )
    lines = (run_dir / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    messages = {m["customer_id"]: m for m in map(json.loads, lines)}
    assert (messages["big"]["channel"], messages["callable"]["channel"]) == ("email", "phone")
    assert messages["big"]["subject"] and "B-1" in messages["big"]["body"]


# --- arrangements -------------------------------------------------------------------------


def test_payment_plan_or_promise_in_force_holds_reminders(con, segments):
    names = ("plan", "promise", "ended", "future", "open_ended")
    build_warehouse(
        con,
        AS_OF,
        [Customer(name) for name in names],
        [Item(f"{name}-1", name, ago(20), "100.00") for name in names],
        arrangements=[
            Arrangement("plan", "payment_plan", ago(30), ago(-30)),
            Arrangement("promise", "promise_to_pay", ago(1), AS_OF),
            Arrangement("ended", "promise_to_pay", ago(10), ago(1)),
            Arrangement("future", "payment_plan", ago(-1), ago(-60)),
            Arrangement("open_ended", "payment_plan", ago(90), None),
        ],
    )

    reasons = {c: row["reason_code"] for c, row in decide(con, segments, AS_OF).items()}

    assert reasons == {
        "plan": "payment_plan",
        "promise": "promise_to_pay",
        "ended": "remind_overdue",
        "future": "remind_overdue",
        "open_ended": "payment_plan",
    }


def _plans_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Debtors on an instalment plan of 600.00 in three parts, each with another invoice 20
    days overdue. fct_open_items dates a plan's invoice by its oldest open instalment (D38):
    `kept` has paid every instalment due so far (the next is due in 10 days), `grace` has left
    one unpaid for 14 days, `late` for 15; `paying` for 20 days, but a PSP payment the ERP has
    not booked yet is on it; `disputed` for 20 days on a disputed invoice; `promised` for 20
    days, and has since promised to pay."""
    names = ("kept", "grace", "late", "paying", "disputed", "promised")
    oldest_open = {"kept": -10, "grace": 14, "late": 15, "paying": 20, "disputed": 20}
    items = [Item(f"{name}-2", name, ago(20), "100.00") for name in names]
    items += [
        Item(
            f"{name}-plan",
            name,
            ago(oldest_open.get(name, 20)),
            "400.00" if name == "kept" else "600.00",
            amount="600.00",
            is_disputed=name == "disputed",
        )
        for name in names
    ]
    arrangements = [
        Arrangement(name, "payment_plan", ago(80), ago(-40), document_id=f"{name}-plan")
        for name in names
    ]
    arrangements.append(Arrangement("promised", "promise_to_pay", ago(2), ago(-12)))
    build_warehouse(
        con,
        AS_OF,
        [Customer(name) for name in names],
        items,
        [Signal("paying-plan", "paid", paid_amount="200.00")],
        arrangements=arrangements,
    )


def test_instalment_plan_is_broken_by_an_instalment_unpaid_beyond_the_grace_days(con, segments):
    _plans_warehouse(con)

    actions = decide(con, segments, AS_OF)

    reasons = {name: row["reason_code"] for name, row in actions.items()}
    assert reasons == {
        "kept": "payment_plan",
        "grace": "payment_plan",
        "late": "remind_overdue",
        "paying": "payment_plan",
        "disputed": "payment_plan",
        "promised": "promise_to_pay",
    }
    broken = {name for name, row in actions.items() if "plan_broken" in row["reason_codes"]}
    assert broken == {"late", "promised"}
    late = actions["late"]
    assert late["action"] == "remind"
    # a broken plan asks for the whole open amount of its invoice, dated by the missed part
    assert sorted(late["document_ids"]) == ["late-2", "late-plan"]
    assert (late["amount_due"], late["max_days_past_due"]) == (Decimal("700.00"), 20)


def test_plan_grace_days_is_a_setting(con, tmp_path):
    text = write_segments(tmp_path).read_text(encoding="utf-8")
    relaxed = text.replace(
        "max_contacts_per_month: 3\n", "max_contacts_per_month: 3\n  plan_grace_days: 30\n"
    )
    strict = text.replace(
        "max_contacts_per_month: 3\n", "max_contacts_per_month: 3\n  plan_grace_days: 0\n"
    )
    assert relaxed != text and strict != text
    _plans_warehouse(con)

    relaxed_reasons = decide(con, write_segments(tmp_path, relaxed), AS_OF)
    assert {n for n, row in relaxed_reasons.items() if row["action"] == "remind"} == set()
    strict_reasons = decide(con, write_segments(tmp_path, strict), AS_OF)
    assert {n for n, row in strict_reasons.items() if row["action"] == "remind"} == {
        "grace",
        "late",
    }


def test_unknown_arrangement_type_is_refused(con, segments):
    build_warehouse(
        con,
        AS_OF,
        [Customer("a")],
        [Item("A-1", "a", ago(5), "10.00")],
        arrangements=[Arrangement("a", "holiday", ago(1))],
    )

    with pytest.raises(ValueError, match="arrangement_type is not one of payment_plan"):
        decide(con, segments, AS_OF)


# --- channels: consent, weekends and holidays ---------------------------------------------


def _whatsapp_policy(tmp_path):
    text = write_segments(tmp_path).read_text(encoding="utf-8")
    text = text.replace(
        "        channel: email\n        tone: neutral\n        by_band:",
        "        channel: whatsapp\n        tone: neutral\n        by_band:",
    )
    return write_segments(tmp_path, text)


def test_whatsapp_needs_an_opt_in_and_a_refusal_is_respected(con, tmp_path):
    segments = _whatsapp_policy(tmp_path)
    names = ("opted_in", "nothing", "refused_sms")
    build_warehouse(
        con,
        AS_OF,
        [Customer(name) for name in names],
        [Item(f"{name}-1", name, ago(5), "100.00") for name in names],
        consents=[
            Consent("opted_in", "whatsapp", True),
            Consent("refused_sms", "sms", False),
        ],
    )

    channels = {c: row["channel"] for c, row in decide(con, segments, AS_OF).items()}

    assert channels == {"opted_in": "whatsapp", "nothing": "sms", "refused_sms": "email"}


@pytest.mark.parametrize(
    ("day", "entity", "expected"),
    [
        (date(2024, 7, 6), "E1", "phone_not_working_day"),  # Saturday
        (date(2024, 7, 7), "E1", "phone_not_working_day"),  # Sunday
        (date(2024, 7, 8), "E1", "phone_task"),  # Monday
        (date(2024, 4, 1), "E1", "phone_not_working_day"),  # Easter Monday in NL
        (date(2024, 4, 1), "DE-1", "phone_task"),  # not in the test's DE list
        (date(2024, 3, 29), "DE-1", "phone_not_working_day"),  # Good Friday in DE
        (date(2024, 12, 25), "DE-1", "phone_not_working_day"),
    ],
)
def test_no_phone_tasks_on_weekends_or_public_holidays(con, segments, day, entity, expected):
    build_warehouse(
        con,
        day,
        [Customer("big", entity_id=entity)],
        [Item("B-1", "big", ago(10, day), "20000.00", entity_id=entity)],
        scores=[Score("B-1", "big", 0.3, entity_id=entity)],
    )

    big = decide(con, segments, day)["big"]

    assert big["reason_code"] == expected
    assert big["action"] == ("phone_task" if expected == "phone_task" else "none")


def test_easter_and_holiday_rules():
    assert [easter_sunday(year) for year in (2000, 2024, 2025, 2026, 2038)] == [
        date(2000, 4, 23),
        date(2024, 3, 31),
        date(2025, 4, 20),
        date(2026, 4, 5),
        date(2038, 4, 25),
    ]
    rows = holiday_rows(
        {"NL": ("12-25", "easter+1", "2026-04-26")}, date(2025, 12, 1), date(2026, 12, 31)
    )
    assert rows == [
        ("NL", date(2025, 12, 25)),
        ("NL", date(2026, 4, 6)),
        ("NL", date(2026, 4, 26)),
        ("NL", date(2026, 12, 25)),
    ]


def test_holidays_file_errors_name_the_rule(tmp_path):
    path = tmp_path / "holidays.yml"
    path.write_text('NL: ["12-25", "02-30", "pentecost"]\nnl: ["01-01"]\n', encoding="utf-8")
    checker = Checker()

    parse_holidays(path, "contact_rules.holidays_file", checker)

    assert checker.problems == [
        "holidays.yml.NL[1]: expected a rule like 12-25, easter+1 or 2027-04-26, got '02-30'",
        "holidays.yml.NL[2]: expected a rule like 12-25, easter+1 or 2027-04-26, got 'pentecost'",
        "holidays.yml.nl: expected an upper-case country code like NL",
    ]


def test_shipped_holidays_cover_the_demo_countries():
    config = load_segments(Path(__file__).resolve().parent.parent / "data/config/segments.yml")

    assert set(config.contact_rules.holidays) >= {"NL", "BE", "DE", "AT", "CZ"}


# --- re-check at hand-over ----------------------------------------------------------------


def _read_csv(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_payment_signals_are_rechecked_up_to_the_cutoff(con, segments, tmp_path):
    build_warehouse(
        con,
        AS_OF,
        [Customer(name) for name in ("paid", "partly", "late", "refunded")],
        [
            Item("P-1", "paid", ago(10), "100.00"),
            Item("Q-1", "partly", ago(10), "100.00"),
            Item("Q-2", "partly", ago(12), "40.00"),
            Item("L-1", "late", ago(10), "100.00"),
            Item("R-1", "refunded", ago(10), "100.00"),
        ],
        events=[
            PspEvent("P-1", "paid", datetime(2024, 7, 2, 18, 0)),
            PspEvent("Q-2", "paid", datetime(2024, 7, 3, 5, 59)),
            PspEvent("L-1", "paid", datetime(2024, 7, 3, 6, 1)),  # after the cut-off
            PspEvent("R-1", "paid", datetime(2024, 7, 2, 9, 0)),
            PspEvent("R-1", "refunded", datetime(2024, 7, 2, 20, 0)),
        ],
    )
    decide(con, segments, AS_OF)

    run_dir = export_reminder_run(con, tmp_path, AS_OF, cutoff_at=CUTOFF_AT)

    run = {row["customer_id"]: row for row in _read_csv(run_dir / "reminder_run.csv")}
    assert sorted(run) == ["late", "partly", "refunded"]
    assert (run["partly"]["document_ids"], run["partly"]["amount_due"]) == ("Q-1", "100.00")
    assert "invoices_paid_at_handover" in run["partly"]["reason_codes"]
    suppressed = {row["customer_id"]: row for row in _read_csv(run_dir / "suppressed.csv")}
    assert suppressed["paid"]["reason_code"] == "paid_at_handover"
    stored = con.execute(
        "select amount_due, cutoff_at from reminders.reminder_runs where customer_id = 'partly'"
    ).fetchone()
    assert stored == (Decimal("100.00"), CUTOFF_AT)
