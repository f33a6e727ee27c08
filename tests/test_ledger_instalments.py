"""Instalment plans: each open instalment aged by its own due date, worked by hand.

One warehouse built twice on the same file, as of FEB_15 (stored in the aging history) and then
as of MAR_15, so the snapshot check recomputes the earlier date; a copy is built as of MAR_15
with oldest-first netting. The bad plans make exactly one data test warn
(assert_instalment_plans_are_usable); everything else passes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt_helpers import CaseBook, failed_nodes, query, run_dbt_build

from dagster_project.checks import (
    BUCKETS_SUM_TO_BALANCE,
    INSTALMENT_PLANS_REJECTED,
    OPEN_ITEMS_EQUAL_LEDGER,
    disagreements,
)

FEB_15 = date(2026, 2, 15)
MAR_15 = date(2026, 3, 15)
EXPECTED_WARNINGS = {"test.credit_stack.assert_instalment_plans_are_usable"}


def add_plan(case: Any, document_id: str, amounts: list[str], currency: str | None = None) -> None:
    """Instalments due Jan 31, Feb 28 and Mar 31 2026 (as many as amounts)."""
    dues = ["2026-01-31", "2026-02-28", "2026-03-31"]
    for number, (due, amount) in enumerate(zip(dues, amounts, strict=False), start=1):
        case.instalment(document_id, number, due, amount, currency=currency)


def make_book() -> CaseBook:
    book = CaseBook(MAR_15)

    # The worked example: 300.00 in three parts of 100.00; 120.00 paid on Feb 10 covers the
    # first instalment and 20.00 of the second; the payment of Mar 20 is after the as-of date.
    worked = book.case("IP")
    worked.invoice("INV-IP", "2026-01-01", "2026-01-31", "300.00")
    add_plan(worked, "INV-IP", ["100.00", "100.00", "100.00"])
    worked.payment("PAY-IP1", "2026-02-10", "120.00", applies_to="INV-IP")
    worked.payment("PAY-IP2", "2026-03-20", "80.00", applies_to="INV-IP")

    # The same invoice without a plan ages as one item by its due date.
    plain = book.case("NP")
    plain.invoice("INV-NP", "2026-01-01", "2026-01-31", "300.00")
    plain.payment("PAY-NP", "2026-02-10", "120.00", applies_to="INV-NP")

    # USD in a EUR group at 0.915: 33.33 -> 30.50, 33.33 -> 30.50, 33.34 -> 30.51, but the
    # invoice is 91.50 EUR, so the last instalment takes the cent: 30.50.
    rounding = book.case("IRND", currency="USD")
    rounding.fx_rate("2026-01-01", "USD", "EUR", "0.915")
    rounding.invoice("INV-R", "2026-01-01", "2026-01-31", "100.00")
    add_plan(rounding, "INV-R", ["33.33", "33.33", "33.34"])

    # Plans that do not fit their document: ignored, listed, the invoice ages by its due date.
    bad = book.case("IBAD")
    for document_id in ("INV-SUM", "INV-CUR", "INV-NUM"):
        bad.invoice(document_id, "2026-01-01", "2026-01-31", "300.00")
    add_plan(bad, "INV-SUM", ["100.00", "100.00", "50.00"])
    add_plan(bad, "INV-CUR", ["100.00", "100.00", "100.00"], currency="USD")
    bad.instalment("INV-NUM", 1, "2026-01-31", "150.00")
    bad.instalment("INV-NUM", 3, "2026-02-28", "150.00")
    bad.instalment("INV-NONE", 1, "2026-01-31", "10.00")

    # Unapplied credit of 150.00 nets into the oldest instalments: all of the first, 50.00 of
    # the second.
    netting = book.case("INET")
    netting.invoice("INV-N", "2026-01-01", "2026-01-31", "300.00")
    add_plan(netting, "INV-N", ["100.00", "100.00", "100.00"])
    netting.credit_note("CN-N", "2026-03-01", "150.00")
    return book


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    tmp = tmp_path_factory.mktemp("ledger_instalments")
    main = make_book().write(tmp / "warehouse.duckdb")
    netted = tmp / "netted.duckdb"
    builds = [
        ("feb", main, {"as_of_date": FEB_15.isoformat()}),
        ("mar", main, {"as_of_date": MAR_15.isoformat()}),
        ("netted", netted, {"as_of_date": MAR_15.isoformat(), "net_unapplied_credit": True}),
    ]
    with pytest.MonkeyPatch.context() as env:
        for name, path, dbt_vars in builds:
            if not path.exists():
                shutil.copy(tmp / "warehouse.duckdb", path)
            env.setenv("CM_WAREHOUSE_PATH", str(path))
            result = run_dbt_build(tmp / name, dbt_vars)
            assert result.success, failed_nodes(result)
            warned = {node.split(":")[0] for node in failed_nodes(result)}
            assert warned == EXPECTED_WARNINGS, failed_nodes(result)
    yield {"main": main, "netted": netted}


@pytest.fixture(scope="module")
def main(warehouses: dict[str, Path]) -> Path:
    return warehouses["main"]


def rows(warehouse: Path, sql: str, case: str) -> list[dict[str, Any]]:
    return query(warehouse, sql, [f"E-{case}"])


def parts(warehouse: Path, case: str) -> list[tuple[Any, ...]]:
    """(item, instalment, open, base, days past due, bucket) of the aging's open items."""
    return [
        (
            row["item_id"],
            row["instalment_number"],
            row["open_amount"],
            row["open_amount_base"],
            row["days_past_due"],
            row["aging_bucket"],
        )
        for row in rows(
            warehouse,
            "select * from marts.fct_open_items_netted where entity_id = ? "
            "order by item_type, item_id, instalment_number",
            case,
        )
    ]


def aging(warehouse: Path, case: str) -> dict[str, tuple[Decimal, int]]:
    return {
        row["aging_bucket"]: (row["open_amount_base"], row["item_count"])
        for row in rows(
            warehouse,
            "select * from marts.entity_aging where entity_id = ? and item_count > 0",
            case,
        )
    }


def test_worked_example_one_row_per_invoice_dated_by_oldest_open_instalment(main: Path) -> None:
    (item,) = rows(main, "select * from marts.fct_open_items where entity_id = ?", "IP")
    assert item["open_amount"] == Decimal("180.00")
    assert item["has_instalment_plan"] is True
    assert (item["instalment_count"], item["open_instalment_count"]) == (3, 2)
    assert item["document_due_date"] == date(2026, 1, 31)
    assert item["due_date"] == date(2026, 2, 28)
    assert (item["days_past_due"], item["aging_bucket"]) == (15, "1-30")
    assert item["next_instalment_due_date"] == date(2026, 3, 31)


def test_worked_example_each_open_instalment_aged_by_its_own_due_date(main: Path) -> None:
    assert parts(main, "IP") == [
        ("INV-IP", 2, Decimal("80.00"), Decimal("80.00"), 15, "1-30"),
        ("INV-IP", 3, Decimal("100.00"), Decimal("100.00"), -16, "Current"),
    ]
    assert aging(main, "IP") == {
        "Current": (Decimal("100.00"), 1),
        "1-30": (Decimal("80.00"), 1),
    }
    (balance,) = rows(main, "select * from marts.customer_balances where entity_id = ?", "IP")
    assert balance["open_balance_base"] == Decimal("180.00")
    assert balance["overdue_amount_base"] == Decimal("80.00")
    assert (balance["open_item_count"], balance["overdue_item_count"]) == (1, 1)
    assert balance["max_days_past_due"] == 15


def test_without_a_plan_the_invoice_ages_by_its_own_due_date(main: Path) -> None:
    assert parts(main, "NP") == [
        ("INV-NP", None, Decimal("180.00"), Decimal("180.00"), 43, "31-60"),
    ]
    (item,) = rows(main, "select * from marts.fct_open_items where entity_id = ?", "NP")
    assert item["has_instalment_plan"] is False
    assert item["due_date"] == item["document_due_date"] == date(2026, 1, 31)
    assert item["next_instalment_due_date"] is None


def test_history_keeps_the_earlier_date_and_equals_its_recomputation(main: Path) -> None:
    # As of Feb 15: 180.00 open, instalment 2 (80.00, due Feb 28) and 3 (100.00) both current.
    # The Mar 15 build passed assert_aging_history_matches_recomputation for this date.
    history = {
        (row["as_of_date"], row["aging_bucket"]): (row["open_amount"], row["item_count"])
        for row in rows(main, "select * from marts.entity_aging_history where entity_id = ?", "IP")
    }
    assert history == {
        (FEB_15, "Current"): (Decimal("180.00"), 2),
        (MAR_15, "Current"): (Decimal("100.00"), 1),
        (MAR_15, "1-30"): (Decimal("80.00"), 1),
    }


def test_last_instalment_takes_the_rounding_difference_in_base_currency(main: Path) -> None:
    assert parts(main, "IRND") == [
        ("INV-R", 1, Decimal("33.33"), Decimal("30.50"), 43, "31-60"),
        ("INV-R", 2, Decimal("33.33"), Decimal("30.50"), 15, "1-30"),
        ("INV-R", 3, Decimal("33.34"), Decimal("30.50"), -16, "Current"),
    ]
    (item,) = rows(main, "select * from marts.fct_open_items where entity_id = ?", "IRND")
    assert item["open_amount_base"] == Decimal("91.50")


def test_bad_plans_are_ignored_and_listed_with_their_file_and_rows(main: Path) -> None:
    assert {row[0]: row[1:] for row in parts(main, "IBAD")} == {
        document_id: (None, Decimal("300.00"), Decimal("300.00"), 43, "31-60")
        for document_id in ("INV-CUR", "INV-NUM", "INV-SUM")
    }
    listed = {
        row["document_id"]: row
        for row in rows(
            main, "select * from marts.fct_instalment_plans_rejected where entity_id = ?", "IBAD"
        )
    }
    assert set(listed) == {"INV-SUM", "INV-CUR", "INV-NUM", "INV-NONE"}
    assert listed["INV-SUM"]["problems"] == "instalments add up to 250.00, the document is 300.00"
    assert listed["INV-CUR"]["problems"] == "instalments are not all in the document currency EUR"
    assert listed["INV-NUM"]["problems"] == "instalments are numbered 1..3 instead of 1..2"
    assert listed["INV-NONE"]["problems"] == "no such document"
    # Lines in the order of the book: IP 1-3, IRND 4-6, INV-SUM 7-9, INV-CUR 10-12, INV-NUM.
    assert listed["INV-NUM"]["source_rows"] == "test/instalments.csv:13, test/instalments.csv:14"

    con = duckdb.connect(str(main), read_only=True)
    try:
        found = disagreements(con, INSTALMENT_PLANS_REJECTED)
    finally:
        con.close()
    assert sorted(row["document_id"] for row in found) == [
        "INV-CUR",
        "INV-NONE",
        "INV-NUM",
        "INV-SUM",
    ]


def test_netting_fills_the_oldest_instalments_first(warehouses: dict[str, Path]) -> None:
    main, netted = warehouses["main"], warehouses["netted"]
    assert aging(main, "INET") == {
        "Unapplied credit": (Decimal("-150.00"), 1),
        "Current": (Decimal("100.00"), 1),
        "1-30": (Decimal("100.00"), 1),
        "31-60": (Decimal("100.00"), 1),
    }
    assert [part[:3] for part in parts(netted, "INET")] == [
        ("INV-N", 2, Decimal("50.00")),
        ("INV-N", 3, Decimal("100.00")),
    ]
    assert aging(netted, "INET") == {
        "Current": (Decimal("100.00"), 1),
        "1-30": (Decimal("50.00"), 1),
    }


@pytest.mark.parametrize("build", ["main", "netted"])
def test_tie_outs_hold_with_instalments(warehouses: dict[str, Path], build: str) -> None:
    con = duckdb.connect(str(warehouses[build]), read_only=True)
    try:
        assert disagreements(con, BUCKETS_SUM_TO_BALANCE) == []
        assert disagreements(con, OPEN_ITEMS_EQUAL_LEDGER, MAR_15) == []
    finally:
        con.close()
