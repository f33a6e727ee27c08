"""PSP payments against open amounts, and debtors the policy cannot address.

A PSP signal suppresses a reminder only when it pays the whole open amount in the invoice's
currency; a part payment lowers the amount asked for, at the decision and again at hand-over.
A debtor without master data or without any contact detail gets no reminder, with a reason.
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
    Allocation,
    Customer,
    Item,
    PspEvent,
    Signal,
    build_warehouse,
    days_before,
    decide,
    write_segments,
)

from models_ml.policy import export_reminder_run

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


def ago(days: int) -> date:
    return days_before(AS_OF, days)


def _listed(con, customer: str) -> dict[str, tuple]:
    rows = con.execute(
        "select document_id, open_amount, psp_paid_amount, amount_due, amount_due_base "
        "from reminders.action_invoices where customer_id = ?",
        [customer],
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


# --- at the decision ----------------------------------------------------------------------


def test_only_a_full_payment_suppresses_a_part_payment_lowers_the_amount(con, segments):
    build_warehouse(
        con,
        AS_OF,
        [Customer(name) for name in ("full", "part", "over", "mixed")],
        [
            Item("F-1", "full", ago(10), "100.00"),
            Item("P-1", "part", ago(10), "100.00"),
            Item("O-1", "over", ago(10), "100.00"),
            Item("M-1", "mixed", ago(10), "100.00"),
            Item("M-2", "mixed", ago(20), "50.00"),
        ],
        signals=[
            Signal("F-1", "paid", paid_amount="100.00"),
            Signal("P-1", "paid", paid_amount="40.00"),
            Signal("O-1", "paid", paid_amount="120.00"),
            Signal("M-1", "paid", paid_amount="100.00"),
            Signal("M-2", "paid", paid_amount="20.50"),
        ],
    )

    actions = decide(con, segments, AS_OF)

    assert {c: (row["action"], row["reason_code"]) for c, row in actions.items()} == {
        "full": ("none", "paid_signal"),
        "part": ("remind", "remind_overdue"),
        "over": ("none", "paid_signal"),
        "mixed": ("remind", "remind_overdue"),
    }
    part = actions["part"]
    assert (part["amount_due"], part["currency"], part["amount_due_base"]) == (
        Decimal("60.00"),
        "EUR",
        Decimal("60.00"),
    )
    assert "partial_payment_deducted" in part["reason_codes"]
    assert _listed(con, "part") == {
        "P-1": (Decimal("100.00"), Decimal("40.00"), Decimal("60.00"), Decimal("60.00"))
    }
    mixed = actions["mixed"]
    assert (mixed["document_ids"], mixed["amount_due"]) == (["M-2"], Decimal("29.50"))
    assert {"partial_payment_deducted", "paid_invoices_left_out"} <= set(mixed["reason_codes"])


def test_a_psp_payment_the_erp_booked_already_is_not_deducted_twice(con, segments):
    # 100.00 invoiced, PSP paid 40.00 of which the ERP booked 30.00 (open 70.00): 60.00 is due
    build_warehouse(
        con,
        AS_OF,
        [Customer("anna"), Customer("bram")],
        [
            Item("A-1", "anna", ago(10), "70.00", amount="100.00"),
            Item("B-1", "bram", ago(10), "60.00", amount="100.00"),
        ],
        signals=[
            Signal("A-1", "paid", paid_amount="40.00"),
            Signal("B-1", "paid", paid_amount="40.00"),
        ],
        allocations=[
            Allocation("A-1", "30.00", ago(1)),
            Allocation("B-1", "40.00", ago(2)),  # all of it booked: the open 60.00 is due
            Allocation("B-1", "5.00", ago(-1)),  # booked after the as-of date: not counted
        ],
    )

    actions = decide(con, segments, AS_OF)

    assert actions["anna"]["amount_due"] == Decimal("60.00")
    assert actions["bram"]["amount_due"] == Decimal("60.00")
    assert "partial_payment_deducted" not in actions["bram"]["reason_codes"]


def test_a_payment_in_another_currency_is_not_compared_but_held_back(con, segments):
    build_warehouse(
        con,
        AS_OF,
        [Customer("usd"), Customer("two")],
        [
            Item("U-1", "usd", ago(10), "100.00"),
            Item("T-1", "two", ago(10), "100.00"),
            Item("T-2", "two", ago(12), "80.00"),
        ],
        signals=[
            Signal("U-1", "paid", paid_amount="10.00", currency="USD"),
            Signal("T-1", "paid", paid_amount="100.00", currency="USD"),
        ],
    )

    actions = decide(con, segments, AS_OF)

    assert (actions["usd"]["action"], actions["usd"]["reason_code"]) == (
        "none",
        "paid_signal_other_currency",
    )
    assert actions["two"]["document_ids"] == ["T-2"]
    assert "paid_other_currency_left_out" in actions["two"]["reason_codes"]


def test_failed_or_refunded_signals_change_nothing(con, segments):
    build_warehouse(
        con,
        AS_OF,
        [Customer("failed"), Customer("refunded")],
        [Item("X-1", "failed", ago(10), "100.00"), Item("R-1", "refunded", ago(10), "100.00")],
        signals=[Signal("X-1", "failed"), Signal("R-1", "refunded")],
    )

    actions = decide(con, segments, AS_OF)

    for customer in ("failed", "refunded"):
        assert actions[customer]["amount_due"] == Decimal("100.00")
        assert "partial_payment_deducted" not in actions[customer]["reason_codes"]


# --- at hand-over -------------------------------------------------------------------------


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_hand_over_lowers_part_paid_invoices_and_drops_fully_paid_ones(con, segments, tmp_path):
    late = datetime(2024, 7, 3, 1, 0, 0)  # after the decision, before the cut-off
    build_warehouse(
        con,
        AS_OF,
        [Customer("part"), Customer("full"), Customer("both"), Customer("refund")],
        [
            Item("P-1", "part", ago(10), "100.00"),
            Item("F-1", "full", ago(10), "100.00"),
            Item("B-1", "both", ago(10), "100.00"),
            Item("B-2", "both", ago(15), "50.00"),
            Item("R-1", "refund", ago(10), "100.00"),
        ],
        signals=[Signal("P-1", "paid", paid_amount="10.00")],
        events=[
            # the 10.00 the decision knew, and 25.00 more after it
            PspEvent("P-1", "paid", datetime(2024, 7, 1, 9), amount="10.00", transaction_id="t1"),
            PspEvent("P-1", "paid", late, amount="25.00", transaction_id="t2"),
            PspEvent("P-1", "paid", late, amount="25.00", transaction_id="t2"),  # re-delivery
            PspEvent("F-1", "paid", late, amount="100.00", transaction_id="t3"),
            PspEvent("B-1", "paid", late, amount="100.00", transaction_id="t4"),
            PspEvent("B-2", "paid", late, amount="20.00", transaction_id="t5"),
            PspEvent("R-1", "paid", late, amount="100.00", transaction_id="t6"),
            PspEvent("R-1", "refunded", CUTOFF_AT, amount="100.00", transaction_id="t6"),
            PspEvent("F-1", "paid", datetime(2024, 7, 3, 7), amount="1.00"),  # after the cut-off
        ],
    )
    decide(con, segments, AS_OF)

    run_dir = export_reminder_run(con, tmp_path, AS_OF, cutoff_at=CUTOFF_AT)

    rows = {r["customer_id"]: r for r in _read_csv(run_dir / "reminder_run.csv")}
    assert {c: (r["document_ids"], r["amount_due"]) for c, r in rows.items()} == {
        "part": ("P-1", "65.00"),
        "both": ("B-2", "30.00"),
        "refund": ("R-1", "100.00"),
    }
    assert "partial_payment_at_handover" in rows["part"]["reason_codes"].split(";")
    assert {"invoices_paid_at_handover", "partial_payment_at_handover"} <= set(
        rows["both"]["reason_codes"].split(";")
    )
    suppressed = {r["customer_id"]: r["reason_code"] for r in _read_csv(run_dir / "suppressed.csv")}
    assert suppressed == {"full": "paid_at_handover"}
    assert _listed(con, "part")["P-1"][2:] == (Decimal("65.00"), Decimal("65.00"))

    messages = {m["customer_id"]: m for m in map(json.loads, (run_dir / "messages.jsonl").open())}
    body = messages["part"]["body"]
    assert "65" in body and "100" not in body  # the remaining amount is what is asked for


# --- debtors the policy cannot address ----------------------------------------------------


def test_unknown_customer_and_missing_contact_data_get_no_reminder(con, segments, tmp_path):
    build_warehouse(
        con,
        AS_OF,
        [
            Customer("known"),
            Customer("bare", has_email=False, has_phone=False, has_address=False),
            Customer("letter_only", has_email=False, has_phone=True, has_address=False),
        ],
        [
            Item("K-1", "known", ago(10), "100.00"),
            Item("G-1", "ghost", ago(10), "100.00"),  # no row in dim_customers
            Item("G-2", "ghost", ago(30), "40.00"),
            Item("B-1", "bare", ago(10), "100.00"),
            Item("L-1", "letter_only", ago(10), "100.00"),
        ],
    )

    actions = decide(con, segments, AS_OF)

    assert {c: (row["action"], row["reason_code"]) for c, row in actions.items()} == {
        "known": ("remind", "remind_overdue"),
        "ghost": ("none", "unknown_customer"),
        "bare": ("none", "no_contact_data"),
        "letter_only": ("remind", "remind_overdue"),
    }
    assert actions["ghost"]["channel"] is None
    assert actions["ghost"]["amount_due"] == Decimal("140.00")
    assert actions["letter_only"]["channel"] == "letter"

    run_dir = export_reminder_run(con, tmp_path, AS_OF, cutoff_at=CUTOFF_AT)

    suppressed = {r["customer_id"]: r for r in _read_csv(run_dir / "suppressed.csv")}
    assert {c: r["reason_code"] for c, r in suppressed.items()} == {
        "ghost": "unknown_customer",
        "bare": "no_contact_data",
    }
    assert suppressed["ghost"]["document_ids"] == "G-2;G-1"
    messages = [json.loads(line) for line in (run_dir / "messages.jsonl").open()]
    assert sorted(m["customer_id"] for m in messages) == ["known", "letter_only"]


# --- the tables keep handed-over runs through a layout change -----------------------------


def test_new_columns_are_added_in_place_and_kept_tables_are_never_dropped(con):
    from models_ml.policy.tables import ACTION_INVOICE_COLUMNS, ensure_tables

    old = ", ".join(f"{name} {sql_type}" for name, sql_type in ACTION_INVOICE_COLUMNS[:-3])
    con.execute("create schema reminders")
    con.execute(f"create table reminders.action_invoices ({old})")
    con.execute(
        "insert into reminders.action_invoices values "
        "('run-2024-07-01', '2024-07-01', 'E1', 'a', 'A-1', 'A-1', '2024-06-01', 'EUR', "
        "10.00, 10.00, 30)"
    )
    con.execute("create table reminders.reminder_runs (run_id varchar, other varchar)")

    with pytest.raises(RuntimeError, match=r"reminders\.reminder_runs .* migrate it by hand"):
        ensure_tables(con)

    row = con.execute("select * from reminders.action_invoices").fetchall()
    assert row[0][-3:] == (None, None, None) and row[0][0] == "run-2024-07-01"
    assert con.execute("select count(*) from reminders.reminder_runs").fetchone()[0] == 0
