"""The dbt marts against the hand-worked receivables cases (shared/cases/ar_cases.md).

All cases go into one raw warehouse (one entity and customer per case, dates shifted so every
case's as-of date is AS_OF), which is built twice:
- `main`: as of AS_OF in EUR, every dbt data test included;
- `past`: the same raw rows as of PAST_AS_OF in USD, to show that a past as-of date ignores
  later documents, allocations, contacts and PSP events, and to check C12 in a USD group;
  oldest-first netting of unapplied credit (net_unapplied_credit) is on in this build.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster import AssetSelection, AssetSpec, Definitions, define_asset_job
from dbt_helpers import CaseBook, failed_nodes, query, run_dbt_build

from dagster_project.checks import (
    BUCKETS_SUM_TO_BALANCE,
    NO_NEGATIVE_OPEN_AMOUNT,
    OPEN_ITEMS_EQUAL_LEDGER,
    disagreements,
    ledger_checks,
)
from dagster_project.resources import WarehouseResource

AS_OF = date(2025, 6, 30)
PAST_AS_OF = AS_OF - timedelta(days=5)
BUCKETS = ["Unapplied credit", "Current", "1-30", "31-60", "61-90", "91+"]


def add_aging_cases(book: CaseBook) -> None:
    c01 = book.case("C01", "2024-04-15")
    # Delivered twice: staging must keep the later, corrected version (1000.00).
    c01.invoice("INV-11", "2024-02-01", "2024-03-01", "900.00")
    c01.invoice("INV-11", "2024-02-01", "2024-03-01", "1000.00", loaded_at=datetime(2025, 1, 2))
    c01.payment("PAY-11", "2024-03-15", "400.00", applies_to="INV-11")

    c02 = book.case("C02", "2024-07-01")
    c02.invoice("INV-21", "2024-02-27", "2024-03-28", "100.00")
    c02.invoice("INV-22", "2024-05-22", "2024-06-21", "50.00")
    c02.invoice("INV-23", "2024-04-01", "2024-05-01", "80.00")
    c02.payment("PAY-23", "2024-05-20", "80.00", applies_to="INV-23")

    c02b = book.case("C02B")
    for days_past_due in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 400):
        due = AS_OF - timedelta(days=days_past_due)
        c02b.invoice(f"DPD{days_past_due}", due - timedelta(days=30), due, "10.00")

    book.case("C03", "2024-05-20").invoice("INV-41", "2024-05-01", "2024-06-30", "800.00")

    c04 = book.case("C04", "2025-12-30")
    c04.invoice("INV-51", "2025-12-16", "2026-01-15", "300.00")
    c04.invoice("INV-52", "2025-11-20", "2025-12-20", "200.00")
    c04.invoice("INV-53", "2025-11-30", "2025-12-30", "150.00")

    c05 = book.case("C05", "2024-04-10")
    c05.invoice("INV-61", "2024-02-01", "2024-03-01", "1000.00")
    c05.credit_note("CN-61", "2024-03-31", "200.00")

    c06 = book.case("C06", "2024-02-10")
    c06.payment("PAY-71", "2024-01-05", "500.00")
    c06.invoice("INV-72", "2024-01-06", "2024-02-05", "100.00")

    c07 = book.case("C07", "2024-05-31")
    c07.invoice("INV-111", "2024-04-01", "2024-05-01", "1000.00")
    c07.payment("PAY-111", "2024-05-10", "300.00", applies_to="INV-111")

    for name, case_as_of in (("C08A", "2024-08-19"), ("C08B", "2024-08-20")):
        c08 = book.case(name, case_as_of)
        c08.invoice("INV-131", "2024-07-20", "2024-08-19", "100.00")
        c08.invoice("INV-132", "2024-08-01", "2024-08-31", "200.00")
        c08.invoice("INV-133", "2024-07-16", "2024-08-15", "300.00")
        c08.payment("PAY-133", "2024-08-15", "300.00", applies_to="INV-133")

    c10 = book.case("C10", "2024-03-15")
    c10.invoice("INV-171", "2024-01-01", "2024-01-31", "1000.00")
    c10.payment("PAY-171", "2024-02-10", "900.00", applies_to="INV-171")
    c10.write_off("WO-171", "2024-03-01", "100.00", applies_to="INV-171")

    # As of AS_OF this is 2024-01-25 (credit applied); as of PAST_AS_OF it is 2024-01-20.
    c11 = book.case("C11", "2024-01-25")
    c11.invoice("INV-181", "2023-12-02", "2024-01-01", "50.00")
    c11.credit_note("CN-181", "2024-01-25", "50.00", applies_to="INV-181")

    # The case's as-of date 2024-03-01 falls on PAST_AS_OF (the USD build).
    c12 = book.case("C12", "2024-03-06", currency="USD")
    c12.fx_rate("2024-01-01", "EUR", "USD", "1.10")
    c12.fx_rate("2024-02-01", "EUR", "USD", "1.20")
    c12.invoice("INV-201", "2024-01-10", "2024-02-09", "1000.00", currency="EUR")
    c12.invoice("INV-202", "2024-01-15", "2024-02-14", "500.00", currency="USD")

    overpaid = book.case("OVP")
    overpaid.invoice("INV-OP", "2025-06-10", "2025-07-10", "100.00")
    overpaid.payment("PAY-OP", "2025-06-20", "130.00", applies_to="INV-OP")

    no_due = book.case("NODUE")
    no_due.invoice("INV-ND", "2025-06-25", None, "200.00")
    no_due.document("debit_note", "DN-1", "2025-06-01", "50.00", due="2025-06-15")


def add_as_of_case(book: CaseBook) -> None:
    """Things that happen between PAST_AS_OF and AS_OF must not exist as of PAST_AS_OF."""
    asof = book.case("ASOF")
    asof.invoice("INV-P1", AS_OF - timedelta(days=40), AS_OF - timedelta(days=10), "1000.00")
    asof.payment("PAY-P1", AS_OF - timedelta(days=3), "400.00", applies_to="INV-P1")
    asof.invoice("INV-P2", AS_OF - timedelta(days=2), AS_OF + timedelta(days=28), "500.00")
    asof.payment("PAY-P3", AS_OF - timedelta(days=1), "50.00")
    asof.contact("CT-1", "2025-06-20T09:00:00", "INV-P1")
    asof.contact("CT-2", "2025-06-28T09:00:00", "INV-P1")
    asof.psp_event("EV-P1", "paid", "INV-P1", "2025-06-27T08:00:00", "2025-06-27T08:01:00")

    # Amsterdam is UTC+2 in summer: 21:30 UTC is still the as-of date, 22:30 UTC is not.
    zone = book.case("TZ")
    zone.invoice("INV-TZ", "2025-06-01", "2025-06-30", "100.00", payment_reference="RFTZ")
    zone.contact("CT-LATE", "2025-06-30T21:30:00", "INV-TZ")
    zone.contact("CT-NEXT", "2025-06-30T22:30:00", "INV-TZ")
    zone.psp_event("EV-NEXT", "paid", "RFTZ", "2025-06-30T22:30:00", "2025-06-30T22:31:00")


def add_dso_cases(book: CaseBook) -> None:
    """DSO1: sales by month Jan 3100, Feb 2800, Mar 0, Apr -500, May 3100, Jun 3000.

    AR at month end: Jan 3100, Feb 4300, Mar 4300, Apr 1180, May 4280, Jun 7280.
    June countback: 7280 - 3000 (30 d) - 3100 (31 d) = 1180 left; Apr (-500) and Mar (0) are
    stepped over (30 + 31 d); Feb: 1180 / 2800 * 28 = 11.8 -> 30 + 31 + 30 + 31 + 11.8 = 133.80.
    June simple: 7280 / (-500 + 3100 + 3000) * (30 + 31 + 30) = 118.30.
    """
    dso = book.case("DSO1")
    dso.invoice("INV-J", "2025-01-10", "2025-02-09", "3100.00")
    dso.payment("PAY-J", "2025-02-20", "1600.00", applies_to="INV-J")
    dso.invoice("INV-F", "2025-02-10", "2025-03-12", "2800.00")
    dso.invoice("INV-A", "2025-04-10", "2025-05-10", "1000.00")
    dso.credit_note("CN-A", "2025-04-20", "1500.00", applies_to="INV-J")
    dso.payment("PAY-F", "2025-04-15", "2620.00", applies_to="INV-F")
    dso.invoice("INV-M", "2025-05-10", "2025-06-09", "3100.00")
    dso.invoice("INV-U", "2025-06-10", "2025-07-10", "3000.00")

    # A returned direct debit raises the invoice above its amount: AR 150 > all sales (100),
    # so the countback runs out of history.
    short = book.case("DSO2")
    short.invoice("INV-S", "2025-06-20", "2025-07-20", "100.00")
    short.payment("PAY-S", "2025-06-25", "-50.00", applies_to="INV-S")


def add_payment_signal_cases(book: CaseBook) -> None:
    c15 = book.case("PSP15")
    c15.invoice("INV-261", "2025-06-01", "2025-06-30", "100.00", payment_reference="RF261")
    c15.psp_event("evt_1", "failed", "RF261", "2025-06-29T10:00:00", "2025-06-29T10:05:00")
    c15.psp_event("evt_2", "paid", "RF261", "2025-06-29T10:03:00", "2025-06-29T10:04:00")

    c16 = book.case("PSP16")
    c16.invoice("INV-271", "2025-06-01", "2025-06-30", "100.00", payment_reference="RF271")
    for loaded_at in (datetime(2025, 1, 1), datetime(2025, 1, 2)):
        c16.psp_event(
            "evt_A",
            "paid",
            "INV-271",
            "2025-06-20T10:00:00",
            "2025-06-20T10:00:01",
            transaction_id="pi_271",
            loaded_at=loaded_at,
        )
    c16.psp_event(
        "evt_B",
        "paid",
        "INV-271",
        "2025-06-20T10:00:02",
        "2025-06-20T10:00:03",
        transaction_id="pi_271",
    )

    refunded = book.case("PSPR")
    refunded.invoice("INV-281", "2025-06-01", "2025-06-30", "100.00", payment_reference="RF281")
    refunded.psp_event("r_1", "paid", "RF281", "2025-06-20T10:00:00", "2025-06-20T10:01:00")
    refunded.psp_event(
        "r_2",
        "failed",
        "RF281",
        "2025-06-21T10:00:00",
        "2025-06-21T10:01:00",
        transaction_id="tx-2",
    )
    refunded.psp_event("r_3", "refunded", "RF281", "2025-06-22T10:00:00", "2025-06-22T10:01:00")
    refunded.psp_event(
        "r_4", "paid", "RF281", "2025-07-01T10:00:00", "2025-07-01T10:01:00", transaction_id="tx-3"
    )


def add_reversal_cases(book: CaseBook) -> None:
    """Returned direct debits and reversals reopen an invoice (C13, C14); credits and advances
    dated before their invoice are unapplied credit until the invoice exists."""
    reversed_ = book.case("REV1")
    reversed_.invoice("INV-231", "2025-06-01", "2025-06-15", "204.88")
    reversed_.payment("PAY-231", "2025-06-15", "204.88", applies_to="INV-231")
    reversed_.payment("RC-231", "2025-06-16", "-204.88", applies_to="INV-231")

    paid_again = book.case("REV2")
    paid_again.invoice("INV-R2", "2025-05-01", "2025-05-31", "300.00")
    paid_again.payment("DD-R2", "2025-05-31", "300.00", applies_to="INV-R2")
    paid_again.payment("RET-R2", "2025-06-03", "-300.00", applies_to="INV-R2")
    paid_again.payment("PAY-R2", "2025-06-20", "300.00", applies_to="INV-R2")

    part_returned = book.case("REV3")
    part_returned.invoice("INV-R3", "2025-05-20", "2025-06-19", "500.00")
    part_returned.payment("PAY-R3", "2025-06-01", "500.00", applies_to="INV-R3")
    part_returned.payment("RET-R3", "2025-06-10", "-200.00", applies_to="INV-R3")

    # PAST_AS_OF (06-25) falls between the advance / credit note and the invoices they name.
    early = book.case("PRE")
    early.payment("ADV-1", "2025-06-01", "100.00", applies_to="INV-PRE1")
    early.invoice("INV-PRE1", "2025-06-27", "2025-07-27", "100.00")
    early.credit_note("CN-PRE2", "2025-06-20", "30.00", applies_to="INV-PRE2")
    early.invoice("INV-PRE2", "2025-06-28", "2025-07-28", "130.00")


def add_netting_cases(book: CaseBook) -> None:
    """Oldest-first netting of unapplied credit, on in the `past` build (USD group)."""
    fifo = book.case("NET1", currency="USD")
    fifo.invoice("INV-N1", "2025-03-01", "2025-03-31", "100.00")
    fifo.invoice("INV-N2", "2025-04-01", "2025-05-01", "200.00")
    fifo.invoice("INV-N3", "2025-05-20", "2025-06-19", "300.00")
    fifo.invoice("INV-N4", "2025-06-10", "2025-07-10", "400.00")
    fifo.credit_note("CN-N1", "2025-05-05", "150.00")
    fifo.payment("PAY-N1", "2025-06-01", "250.00")

    # EUR documents in the USD group: the invoice at 1.10, the credit note at 1.20.
    fx = book.case("NET2")
    fx.invoice("INV-X", "2025-05-01", "2025-05-31", "1000.00")
    fx.credit_note("CN-X", "2025-06-01", "300.00")

    left_over = book.case("NET3", currency="USD")
    left_over.invoice("INV-L", "2025-05-16", "2025-06-15", "100.00")
    left_over.credit_note("CN-L", "2025-06-01", "250.00")


def add_group_debtor_cases(book: CaseBook) -> None:
    """One company buying from three entities: by group_debtor_id, and by IBAN alone."""
    direct = book.case("GDA", group_debtor_id="GD-77", iban="NL91 ABNA 0417 1643 00")
    direct.invoice("INV-GA", "2025-06-01", "2025-07-01", "1000.00")
    by_iban = book.case("GDB", iban="nl91abna0417164300")
    by_iban.invoice("INV-GB", "2025-06-01", "2025-07-01", "500.00")
    by_iban.payment("PAY-GB", "2025-06-05", "200.00")
    other = book.case("GDC", group_debtor_id="GD-77")
    other.invoice("INV-GC", "2025-05-01", "2025-05-31", "300.00")
    book.case("GDD", iban="DE89370400440532013000").invoice(
        "INV-GD", "2025-06-01", "2025-07-01", "50.00"
    )

    # Aged by invoice date, the long-terms invoice is the old one; by due date it is current.
    by_issue = book.case("IDA")
    by_issue.invoice("INV-I1", "2025-06-10", "2025-06-20", "100.00")
    by_issue.invoice("INV-I2", "2025-03-01", "2025-07-15", "200.00")


def make_book() -> CaseBook:
    book = CaseBook(AS_OF)
    add_aging_cases(book)
    add_as_of_case(book)
    add_dso_cases(book)
    add_payment_signal_cases(book)
    add_reversal_cases(book)
    add_netting_cases(book)
    add_group_debtor_cases(book)
    return book


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    tmp = tmp_path_factory.mktemp("dbt_marts")
    main = make_book().write(tmp / "as_of.duckdb")
    past = Path(shutil.copy(main, tmp / "past_as_of.duckdb"))
    builds = {
        "main": (main, {"as_of_date": AS_OF.isoformat()}),
        "past": (
            past,
            {
                "as_of_date": PAST_AS_OF.isoformat(),
                "group_currency": "USD",
                "net_unapplied_credit": True,
            },
        ),
    }
    with pytest.MonkeyPatch.context() as env:
        for name, (path, dbt_vars) in builds.items():
            env.setenv("CM_WAREHOUSE_PATH", str(path))
            result = run_dbt_build(tmp / name, dbt_vars)
            assert result.success, failed_nodes(result)
            assert failed_nodes(result) == [], "every model and data test passes, no warnings"
        yield {"main": main, "past": past}


@pytest.fixture(scope="module")
def main(warehouses: dict[str, Path]) -> Path:
    return warehouses["main"]


@pytest.fixture(scope="module")
def past(warehouses: dict[str, Path]) -> Path:
    return warehouses["past"]


def open_items(warehouse: Path, case: str) -> dict[str, dict[str, Any]]:
    rows = query(warehouse, "select * from marts.fct_open_items where entity_id = ?", [f"E-{case}"])
    return {row["item_id"]: row for row in rows}


def aging(warehouse: Path, case: str) -> dict[str, Decimal]:
    rows = query(
        warehouse,
        "select aging_bucket, open_amount_base from marts.customer_aging where entity_id = ?",
        [f"E-{case}"],
    )
    return {row["aging_bucket"]: row["open_amount_base"] for row in rows}


def balance_rows(warehouse: Path, case: str) -> list[dict[str, Any]]:
    return query(
        warehouse, "select * from marts.customer_balances where entity_id = ?", [f"E-{case}"]
    )


def balance(warehouse: Path, case: str) -> dict[str, Any]:
    rows = balance_rows(warehouse, case)
    assert len(rows) == 1
    return rows[0]


def invoice(warehouse: Path, case: str, document_id: str) -> dict[str, Any]:
    rows = query(
        warehouse,
        "select * from marts.fct_invoices where entity_id = ? and document_id = ?",
        [f"E-{case}", document_id],
    )
    assert len(rows) == 1
    return rows[0]


def expected_aging(**amounts: str) -> dict[str, Decimal]:
    names = {
        "current": "Current",
        "d1_30": "1-30",
        "d31_60": "31-60",
        "d61_90": "61-90",
        "d91": "91+",
        "unapplied": "Unapplied credit",
    }
    aging_row = dict.fromkeys(BUCKETS, Decimal("0.00"))
    aging_row.update({names[key]: Decimal(value) for key, value in amounts.items()})
    return aging_row


def test_c01_partial_payment_is_netted_and_latest_version_kept(main: Path) -> None:
    items = open_items(main, "C01")
    assert list(items) == ["INV-11"]
    assert items["INV-11"]["open_amount"] == Decimal("600.00")
    assert items["INV-11"]["days_past_due"] == 45
    assert items["INV-11"]["aging_bucket"] == "31-60"
    assert aging(main, "C01") == expected_aging(d31_60="600.00")
    assert balance(main, "C01")["open_balance_base"] == Decimal("600.00")


def test_c02_buckets_are_disjoint_and_paid_items_absent(main: Path) -> None:
    items = open_items(main, "C02")
    assert set(items) == {"INV-21", "INV-22"}
    assert (items["INV-21"]["days_past_due"], items["INV-21"]["aging_bucket"]) == (95, "91+")
    assert (items["INV-22"]["days_past_due"], items["INV-22"]["aging_bucket"]) == (10, "1-30")
    assert aging(main, "C02") == expected_aging(d1_30="50.00", d91="100.00")
    assert balance(main, "C02")["open_balance_base"] == Decimal("150.00")


def test_c02_bucket_boundaries(main: Path) -> None:
    items = open_items(main, "C02B")
    buckets = {row["days_past_due"]: row["aging_bucket"] for row in items.values()}
    assert buckets == {
        -5: "Current",
        0: "Current",
        1: "1-30",
        30: "1-30",
        31: "31-60",
        60: "31-60",
        61: "61-90",
        90: "61-90",
        91: "91+",
        400: "91+",
    }
    assert {row["days_past_due"]: row["is_overdue"] for row in items.values()}[0] is False
    assert aging(main, "C02B") == expected_aging(
        current="20.00", d1_30="20.00", d31_60="20.00", d61_90="20.00", d91="20.00"
    )


def test_c03_aging_uses_due_date_not_issue_date(main: Path) -> None:
    item = open_items(main, "C03")["INV-41"]
    assert (item["days_past_due"], item["aging_bucket"], item["is_overdue"]) == (
        -41,
        "Current",
        False,
    )
    assert balance(main, "C03")["overdue_amount_base"] == Decimal("0.00")


def test_c04_not_yet_due_and_due_today_are_current(main: Path) -> None:
    items = open_items(main, "C04")
    assert {key: row["days_past_due"] for key, row in items.items()} == {
        "INV-51": -16,
        "INV-52": 10,
        "INV-53": 0,
    }
    assert aging(main, "C04") == expected_aging(current="450.00", d1_30="200.00")
    assert balance(main, "C04")["open_balance_base"] == Decimal("650.00")


def test_c05_unlinked_credit_note_is_unapplied_credit(main: Path) -> None:
    items = open_items(main, "C05")
    credit = items["CN-61"]
    assert credit["item_type"] == "credit_note"
    assert credit["open_amount"] == Decimal("-200.00")
    assert (credit["aging_bucket"], credit["bucket_order"]) == ("Unapplied credit", 0)
    assert credit["days_past_due"] is None
    assert credit["is_unapplied_credit"] is True
    assert items["INV-61"]["days_past_due"] == 40
    assert aging(main, "C05") == expected_aging(d31_60="1000.00", unapplied="-200.00")
    customer = balance(main, "C05")
    assert customer["open_balance_base"] == Decimal("800.00")
    assert customer["invoiced_open_base"] == Decimal("1000.00")
    assert customer["unapplied_credit_base"] == Decimal("-200.00")


def test_c06_unapplied_payment_makes_net_balance_negative(main: Path) -> None:
    items = open_items(main, "C06")
    assert items["PAY-71"]["item_type"] == "unapplied_payment"
    assert items["PAY-71"]["open_amount"] == Decimal("-500.00")
    assert items["INV-72"]["aging_bucket"] == "1-30"
    assert aging(main, "C06") == expected_aging(d1_30="100.00", unapplied="-500.00")
    assert balance(main, "C06")["open_balance_base"] == Decimal("-400.00")


def test_c07_partial_payment_subtracted_once(main: Path) -> None:
    item = open_items(main, "C07")["INV-111"]
    assert (item["open_amount"], item["days_past_due"], item["aging_bucket"]) == (
        Decimal("700.00"),
        30,
        "1-30",
    )


def test_c08_due_today_is_not_overdue_and_paid_on_due_date_is_on_time(main: Path) -> None:
    due_today = open_items(main, "C08A")
    assert due_today["INV-131"]["days_past_due"] == 0
    assert due_today["INV-131"]["aging_bucket"] == "Current"
    assert due_today["INV-131"]["is_overdue"] is False
    assert due_today["INV-132"]["days_past_due"] == -12
    assert "INV-133" not in due_today

    day_after = open_items(main, "C08B")["INV-131"]
    assert (day_after["days_past_due"], day_after["aging_bucket"], day_after["is_overdue"]) == (
        1,
        "1-30",
        True,
    )

    paid = invoice(main, "C08A", "INV-133")
    assert paid["settled_date"] == paid["due_date"]
    assert (paid["days_late"], paid["open_amount"], paid["is_open"]) == (0, Decimal("0.00"), False)


def test_c10_write_off_closes_the_invoice(main: Path) -> None:
    assert open_items(main, "C10") == {}
    written_off = invoice(main, "C10", "INV-171")
    assert written_off["open_amount"] == Decimal("0.00")
    assert written_off["settled_date"] == AS_OF - timedelta(days=14)
    # A customer without open items owes nothing: no balance row, no aging rows.
    assert balance_rows(main, "C10") == []
    assert aging(main, "C10") == {}


def test_c11_credit_note_clears_the_invoice_from_its_date(main: Path, past: Path) -> None:
    assert open_items(main, "C11") == {}
    assert balance_rows(main, "C11") == []

    before_credit = open_items(past, "C11")["INV-181"]
    assert (before_credit["open_amount"], before_credit["days_past_due"]) == (Decimal("50.00"), 19)
    assert before_credit["is_overdue"] is True


def test_c12_usd_group_converts_at_issue_date_rate(past: Path) -> None:
    items = open_items(past, "C12")
    assert {key: (row["currency"], row["open_amount"]) for key, row in items.items()} == {
        "INV-201": ("EUR", Decimal("1000.00")),
        "INV-202": ("USD", Decimal("500.00")),
    }
    assert items["INV-201"]["open_amount_base"] == Decimal("1100.00")
    assert items["INV-202"]["open_amount_base"] == Decimal("500.00")
    assert (items["INV-201"]["days_past_due"], items["INV-202"]["days_past_due"]) == (21, 16)
    assert aging(past, "C12") == expected_aging(d1_30="1600.00")
    assert balance(past, "C12")["base_currency"] == "USD"


def test_c12_eur_group_inverts_a_rate_quoted_from_the_group_currency(main: Path) -> None:
    items = open_items(main, "C12")
    assert items["INV-201"]["open_amount_base"] == Decimal("1000.00")
    assert items["INV-202"]["open_amount_base"] == Decimal("454.55")  # 500 / 1.10
    assert balance(main, "C12")["open_balance_base"] == Decimal("1454.55")


def test_overpayment_becomes_unapplied_credit(main: Path) -> None:
    items = open_items(main, "OVP")
    assert list(items) == ["INV-OP"]
    excess = items["INV-OP"]
    assert (excess["item_type"], excess["open_amount"], excess["aging_bucket"]) == (
        "overpayment",
        Decimal("-30.00"),
        "Unapplied credit",
    )
    paid = invoice(main, "OVP", "INV-OP")
    assert (paid["open_amount"], paid["days_to_pay"], paid["days_late"]) == (Decimal("0"), 10, -20)
    assert balance(main, "OVP")["unapplied_credit_base"] == Decimal("-30.00")


def test_missing_due_date_falls_back_to_issue_date_and_debit_notes_age(main: Path) -> None:
    items = open_items(main, "NODUE")
    assert (items["INV-ND"]["days_past_due"], items["INV-ND"]["due_date"]) == (5, date(2025, 6, 25))
    assert invoice(main, "NODUE", "INV-ND")["terms_days"] == 0
    assert (items["DN-1"]["item_type"], items["DN-1"]["days_past_due"]) == ("debit_note", 15)


def test_past_as_of_date_ignores_later_bookings(main: Path, past: Path) -> None:
    now = open_items(main, "ASOF")
    assert {key: row["open_amount"] for key, row in now.items()} == {
        "INV-P1": Decimal("600.00"),
        "INV-P2": Decimal("500.00"),
        "PAY-P3": Decimal("-50.00"),
    }
    then = open_items(past, "ASOF")
    assert {key: row["open_amount"] for key, row in then.items()} == {"INV-P1": Decimal("1000.00")}
    assert then["INV-P1"]["days_past_due"] == 5
    assert then["INV-P1"]["as_of_date"] == PAST_AS_OF

    invoices_then = query(
        past, "select document_id from marts.fct_invoices where entity_id = 'E-ASOF'"
    )
    assert [row["document_id"] for row in invoices_then] == ["INV-P1"]
    contacts = "select count(*) as n from marts.fct_contacts where entity_id = 'E-ASOF'"
    assert (query(main, contacts)[0]["n"], query(past, contacts)[0]["n"]) == (2, 1)
    signals = "select count(*) as n from marts.fct_payment_signals where entity_id = 'E-ASOF'"
    assert (query(main, signals)[0]["n"], query(past, signals)[0]["n"]) == (1, 0)


def dso_rows(warehouse: Path, case: str) -> dict[date, dict[str, Any]]:
    rows = query(
        warehouse, "select * from marts.entity_dso_monthly where entity_id = ?", [f"E-{case}"]
    )
    return {row["month_end"]: row for row in rows}


def test_dso_countback_and_simple_by_hand(main: Path) -> None:
    months = dso_rows(main, "DSO1")
    assert sorted(months) == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
        date(2025, 5, 31),
        date(2025, 6, 30),
    ]
    figures = {
        end.month: (row["ar_base"], row["net_sales_base"], row["countback_dso_days"])
        for end, row in months.items()
    }
    assert figures == {
        1: (Decimal("3100.00"), Decimal("3100.00"), Decimal("31.00")),
        2: (Decimal("4300.00"), Decimal("2800.00"), Decimal("43.00")),
        3: (Decimal("4300.00"), Decimal("0.00"), Decimal("74.00")),
        4: (Decimal("1180.00"), Decimal("-500.00"), Decimal("72.80")),
        5: (Decimal("4280.00"), Decimal("3100.00"), Decimal("103.80")),
        6: (Decimal("7280.00"), Decimal("3000.00"), Decimal("133.80")),
    }
    june = months[date(2025, 6, 30)]
    assert (june["sales_window_base"], june["window_days"]) == (Decimal("5600.00"), 91)
    assert june["simple_dso_days"] == Decimal("118.30")
    march = months[date(2025, 3, 31)]
    assert (march["window_days"], march["simple_dso_days"]) == (90, Decimal("65.59"))


def test_dso_edge_cases(main: Path, past: Path) -> None:
    short = dso_rows(main, "DSO2")[AS_OF]
    assert short["ar_base"] == Decimal("150.00")  # the returned direct debit raised it
    assert short["countback_dso_days"] is None  # history ran out
    assert short["simple_dso_days"] == Decimal("45.00")

    in_credit = dso_rows(main, "C06")[AS_OF]
    assert in_credit["ar_base"] == Decimal("-400.00")
    assert in_credit["countback_dso_days"] == Decimal("0.00")

    partial_month = dso_rows(past, "DSO1")[PAST_AS_OF]
    assert (partial_month["days_in_month"], partial_month["window_days"]) == (25, 86)


def test_group_dso_uses_group_sums(main: Path) -> None:
    group = query(main, "select * from marts.group_dso_monthly where month_end = ?", [AS_OF])[0]
    entities = query(
        main,
        """
        select sum(ar_base) as ar_base, sum(net_sales_base) as net_sales_base
        from marts.entity_dso_monthly where month_end = ?
        """,
        [AS_OF],
    )[0]
    open_total = query(main, "select sum(open_amount_base) as total from marts.fct_open_items")
    assert group["ar_base"] == entities["ar_base"] == open_total[0]["total"]
    assert group["net_sales_base"] == entities["net_sales_base"]
    assert group["base_currency"] == "EUR"


def test_every_aging_mart_lists_every_bucket(main: Path) -> None:
    group = query(main, "select aging_bucket, bucket_order from marts.group_aging")
    assert sorted((row["bucket_order"], row["aging_bucket"]) for row in group) == list(
        enumerate(BUCKETS)
    )
    per_entity = query(
        main, "select entity_id, count(*) as n from marts.entity_aging group by entity_id"
    )
    assert {row["n"] for row in per_entity} == {len(BUCKETS)}


def test_payment_signals_follow_the_status_rule(main: Path) -> None:
    rows = query(
        main,
        """
        select entity_id, document_id, last_status, paid_amount, paid_at, event_count
        from marts.fct_payment_signals
        """,
    )
    signals = {row["entity_id"]: row for row in rows}
    late_failure = signals["E-PSP15"]
    assert (late_failure["last_status"], late_failure["paid_amount"]) == ("paid", Decimal("100"))
    assert late_failure["paid_at"] == datetime(2025, 6, 29, 10, 3)
    duplicates = signals["E-PSP16"]
    assert (duplicates["document_id"], duplicates["paid_amount"], duplicates["event_count"]) == (
        "INV-271",
        Decimal("100.00"),
        2,
    )
    refunded = signals["E-PSPR"]
    assert (refunded["last_status"], refunded["paid_amount"], refunded["paid_at"]) == (
        "refunded",
        Decimal("0.00"),
        None,
    )
    assert refunded["event_count"] == 3  # the paid event after the as-of date is ignored


def test_dim_customers_carries_no_personal_data(main: Path) -> None:
    columns = {
        row["column_name"]
        for row in query(
            main,
            """
            select column_name from information_schema.columns
            where table_schema = 'marts' and table_name = 'dim_customers'
            """,
        )
    }
    assert not columns & {"customer_name", "email", "phone", "iban"}
    customer = query(main, "select * from marts.dim_customers where entity_id = 'E-C01'")[0]
    assert (customer["has_email"], customer["has_phone"], customer["division"]) == (
        True,
        False,
        "retail",
    )


def test_returned_debit_reopens_the_invoice(main: Path, past: Path) -> None:
    # C13/C14: settled on 06-15, reopened by the reversal on 06-16: open again, 15 days late.
    reopened = open_items(main, "REV1")["INV-231"]
    assert (reopened["open_amount"], reopened["days_past_due"], reopened["aging_bucket"]) == (
        Decimal("204.88"),
        15,
        "1-30",
    )
    assert invoice(main, "REV1", "INV-231")["settled_date"] is None
    assert invoice(main, "REV1", "INV-231")["is_open"] is True

    # Returned and paid again: settled on the second payment, 20 days late.
    paid_again = invoice(main, "REV2", "INV-R2")
    assert (paid_again["is_open"], paid_again["settled_date"], paid_again["days_late"]) == (
        False,
        date(2025, 6, 20),
        20,
    )
    assert open_items(main, "REV2") == {}

    assert open_items(main, "REV3")["INV-R3"]["open_amount"] == Decimal("200.00")
    assert open_items(past, "REV3")["INV-R3"]["days_past_due"] == 6


def test_credits_dated_before_their_invoice_wait_as_unapplied_credit(
    main: Path, past: Path
) -> None:
    before = open_items(past, "PRE")
    assert {key: (row["item_type"], row["open_amount"]) for key, row in before.items()} == {
        "ADV-1": ("unapplied_payment", Decimal("-100.00")),
        "CN-PRE2": ("credit_note", Decimal("-30.00")),
    }
    after = open_items(main, "PRE")
    assert {key: (row["item_type"], row["open_amount"]) for key, row in after.items()} == {
        "INV-PRE2": ("invoice", Decimal("100.00")),
    }
    assert invoice(main, "PRE", "INV-PRE1")["settled_date"] == date(2025, 6, 27)


def netted_items(warehouse: Path, case: str) -> dict[str, dict[str, Any]]:
    rows = query(
        warehouse, "select * from marts.fct_open_items_netted where entity_id = ?", [f"E-{case}"]
    )
    return {row["item_id"]: row for row in rows}


def test_oldest_first_netting_uses_credit_on_the_oldest_due_items(past: Path) -> None:
    # 400 of credit (CN-N1 150, then PAY-N1 250) clears N1 (61-90) and N2 (31-60) and takes
    # 100 of N3 (1-30); N4 is untouched. The ledger's own items stay as they are.
    assert aging(past, "NET1") == expected_aging(current="400.00", d1_30="200.00")
    assert balance(past, "NET1")["open_balance_base"] == Decimal("600.00")
    netted = netted_items(past, "NET1")
    assert set(netted) == {"INV-N3", "INV-N4"}
    assert (netted["INV-N3"]["netted_amount"], netted["INV-N3"]["gross_open_amount"]) == (
        Decimal("100.00"),
        Decimal("300.00"),
    )
    assert len(open_items(past, "NET1")) == 6

    # More credit than invoices: the rest stays unapplied.
    assert aging(past, "NET3") == expected_aging(unapplied="-150.00")


def test_netting_keeps_the_base_balance_through_an_fx_difference(past: Path) -> None:
    # Gross: 1000 EUR at 1.10 = 1100.00 USD, -300 EUR at 1.20 = -360.00 USD: 740.00.
    # Netted: 700 EUR at the invoice's 1.10 = 770.00, and -30.00 of exchange difference.
    assert aging(past, "NET2") == expected_aging(d1_30="770.00", unapplied="-30.00")
    assert balance(past, "NET2")["open_balance_base"] == Decimal("740.00")
    assert netted_items(past, "NET2")["C-NET2:EUR"]["item_type"] == "fx_difference"


def test_netting_is_off_by_default(main: Path) -> None:
    netted = query(main, "select count(*) as n from marts.fct_open_items_netted")[0]["n"]
    gross = query(main, "select count(*) as n from marts.fct_open_items")[0]["n"]
    assert netted == gross
    assert aging(main, "C05")["Unapplied credit"] == Decimal("-200.00")


def test_group_debtor_exposure_adds_up_across_entities(main: Path) -> None:
    rows = query(main, "select * from marts.group_debtor_exposure")
    exposure = {row["group_debtor_key"]: row for row in rows}
    company = exposure["GD-77"]
    # 1000 + (500 - 200 unapplied) + 300; the IBAN-only customer joins through its IBAN.
    assert (company["entity_count"], company["customer_count"]) == (3, 3)
    assert (company["open_balance_base"], company["unapplied_credit_base"]) == (
        Decimal("1600.00"),
        Decimal("-200.00"),
    )
    assert (company["overdue_amount_base"], company["credit_limit_base"]) == (
        Decimal("300.00"),
        Decimal("15000.00"),
    )
    keys = {
        row["customer_id"]: (row["group_debtor_key"], row["group_debtor_key_source"])
        for row in query(main, "select * from marts.dim_customers")
    }
    assert keys["C-GDB"] == ("GD-77", "iban_to_group_debtor_id")
    assert keys["C-GDD"][1] == "iban" and "DE89" not in keys["C-GDD"][0]
    assert keys["C-C01"] == ("E-C01:C-C01", "customer")
    total = query(main, "select sum(open_balance_base) as total from marts.customer_balances")
    assert sum(row["open_balance_base"] for row in rows) == total[0]["total"]


def test_aging_by_invoice_date_is_a_separate_labelled_view(main: Path) -> None:
    rows = query(
        main,
        "select * from marts.entity_aging_by_invoice_date where entity_id = 'E-IDA'",
    )
    by_issue = {row["age_bucket"]: row["open_amount_base"] for row in rows}
    assert by_issue == {
        "Unapplied credit": Decimal("0.00"),
        "0-30": Decimal("100.00"),
        "31-60": Decimal("0.00"),
        "61-90": Decimal("0.00"),
        "91+": Decimal("200.00"),
    }
    assert {row["aging_basis"] for row in rows} == {"invoice_date"}
    assert aging(main, "IDA") == expected_aging(current="200.00", d1_30="100.00")


def test_tie_out_checks_pass_on_the_marts_and_catch_each_fault(main: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(main), read_only=True) as con:
        assert disagreements(con, BUCKETS_SUM_TO_BALANCE) == []
        assert disagreements(con, OPEN_ITEMS_EQUAL_LEDGER, AS_OF) == []
        assert disagreements(con, NO_NEGATIVE_OPEN_AMOUNT) == []

    broken = Path(shutil.copy(main, tmp_path / "broken.duckdb"))
    with duckdb.connect(str(broken)) as con:
        con.execute(
            """
            update marts.customer_aging set open_amount_base = open_amount_base + 1
            where entity_id = 'E-C01' and aging_bucket = '31-60'
            """
        )
        con.execute(
            """
            update marts.fct_open_items set open_amount = -open_amount
            where entity_id = 'E-C07' and item_id = 'INV-111'
            """
        )
        faults = {
            "buckets": disagreements(con, BUCKETS_SUM_TO_BALANCE),
            "ledger": disagreements(con, OPEN_ITEMS_EQUAL_LEDGER, AS_OF),
            "negative": disagreements(con, NO_NEGATIVE_OPEN_AMOUNT),
        }
    assert [row["customer_id"] for row in faults["buckets"] if row["customer_id"]] == ["C-C01"]
    assert [(row["entity_id"], row["currency"]) for row in faults["ledger"]] == [("E-C07", "EUR")]
    assert [row["item_id"] for row in faults["negative"]] == ["INV-111"]


def test_tie_out_checks_run_as_dagster_asset_checks(
    main: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CM_WAREHOUSE_PATH", str(shutil.copy(main, tmp_path / "checked.duckdb")))
    monkeypatch.setenv("CM_AS_OF_DATE", AS_OF.isoformat())
    marts = [AssetSpec(["marts", name]) for name in ("customer_aging", "fct_open_items")]
    defs = Definitions(
        assets=marts,
        asset_checks=ledger_checks,
        jobs=[define_asset_job("tie_out", selection=AssetSelection.checks(*ledger_checks))],
        resources={"warehouse": WarehouseResource()},
    )
    result = defs.resolve_job_def("tie_out").execute_in_process()
    evaluations = result.get_asset_check_evaluations()
    assert sorted(e.check_name for e in evaluations) == sorted(
        c.check_key.name for c in ledger_checks
    )
    assert all(e.passed for e in evaluations)


def test_business_dates_follow_the_entity_time_zone(main: Path) -> None:
    contacts = query(main, "select * from marts.fct_contacts where entity_id = 'E-TZ'")
    assert [(row["contact_id"], row["sent_date"]) for row in contacts] == [("CT-LATE", AS_OF)]
    signals = query(main, "select * from marts.fct_payment_signals where entity_id = 'E-TZ'")
    assert signals == []
