"""Ledger cases beyond shared/cases/ar_cases.md: the VAT number in group-debtor matching, and a
document in a currency without an exchange rate.

One warehouse, one dbt build as of AS_OF (EUR group). The missing rate makes exactly one data
test warn (assert_every_item_has_an_fx_rate); everything else passes.
"""

from __future__ import annotations

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
    ITEMS_WITHOUT_FX_RATE,
    OPEN_ITEMS_EQUAL_LEDGER,
    disagreements,
)

AS_OF = date(2025, 6, 30)
EXPECTED_WARNINGS = {"test.credit_stack.assert_every_item_has_an_fx_rate"}


def add_fx_cases(book: CaseBook) -> None:
    """GBP has no rate at all: its items stay in GBP and are left out of the EUR totals."""
    fx = book.case("FXM")
    fx.invoice("INV-EUR", "2025-06-01", "2025-07-01", "200.00")
    fx.invoice("INV-GBP", "2025-06-02", "2025-07-02", "100.00", currency="GBP")
    fx.payment("PAY-GBP", "2025-06-10", "30.00", currency="GBP")


def add_vat_cases(book: CaseBook) -> None:
    """One company buying from two entities, written differently; another known only by VAT."""
    book.case("VA", group_debtor_id="GD-9", vat_number="NL 123.456.789 B01").invoice(
        "INV-VA", "2025-06-01", "2025-07-01", "100.00"
    )
    book.case("VB", vat_number="nl123456789b01").invoice(
        "INV-VB", "2025-06-01", "2025-07-01", "40.00"
    )
    book.case("VC", vat_number="DE-999999999").invoice(
        "INV-VC", "2025-06-01", "2025-07-01", "70.00"
    )
    book.case("VD", vat_number="DE 999 999 999").invoice(
        "INV-VD", "2025-05-01", "2025-05-31", "30.00"
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("ledger_cases")
    book = CaseBook(AS_OF)
    add_fx_cases(book)
    add_vat_cases(book)
    path = book.write(tmp / "warehouse.duckdb")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CM_WAREHOUSE_PATH", str(path))
        result = run_dbt_build(tmp, {"as_of_date": AS_OF.isoformat()})
    assert result.success, failed_nodes(result)
    assert {node.split(":")[0] for node in failed_nodes(result)} == EXPECTED_WARNINGS
    yield path


def rows(warehouse: Path, sql: str, case: str) -> list[dict[str, Any]]:
    return query(warehouse, sql, [f"E-{case}"])


def test_a_currency_without_rate_stays_in_its_currency_and_out_of_base_totals(
    warehouse: Path,
) -> None:
    items = {
        row["item_id"]: row
        for row in rows(warehouse, "select * from marts.fct_open_items where entity_id = ?", "FXM")
    }
    assert items["INV-GBP"]["open_amount"] == Decimal("100.00")
    assert items["INV-GBP"]["open_amount_base"] is None
    assert items["PAY-GBP"]["open_amount"] == Decimal("-30.00")
    assert items["PAY-GBP"]["open_amount_base"] is None
    assert items["INV-EUR"]["open_amount_base"] == Decimal("200.00")

    (balance,) = rows(warehouse, "select * from marts.customer_balances where entity_id = ?", "FXM")
    assert balance["open_balance_base"] == Decimal("200.00")
    assert balance["unvalued_item_count"] == 2
    aging = rows(
        warehouse,
        "select sum(open_amount_base) as base, sum(unvalued_item_count) as unvalued "
        "from marts.entity_aging where entity_id = ?",
        "FXM",
    )
    assert aging == [{"base": Decimal("200.00"), "unvalued": 2}]


def test_items_without_rate_are_listed_with_their_source_file(warehouse: Path) -> None:
    listed = rows(
        warehouse,
        "select item_id, document_number, currency, rate_date, amount, source_file "
        "from marts.fct_items_without_fx_rate where entity_id = ? order by item_id",
        "FXM",
    )
    assert listed == [
        {
            "item_id": "INV-GBP",
            "document_number": "INV-GBP",
            "currency": "GBP",
            "rate_date": date(2025, 6, 2),
            "amount": Decimal("100.00"),
            "source_file": "test/documents.csv",
        },
        {
            "item_id": "PAY-GBP",
            "document_number": None,
            "currency": "GBP",
            "rate_date": date(2025, 6, 10),
            "amount": Decimal("30.00"),
            "source_file": "test/allocations.csv",
        },
    ]

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        found = disagreements(con, ITEMS_WITHOUT_FX_RATE)
        assert [(row["entity_id"], row["document_number"]) for row in found] == [
            ("E-FXM", "INV-GBP"),
            ("E-FXM", "PAY-GBP"),
        ]
        # The tie-outs still hold: base figures leave the same items out everywhere.
        assert disagreements(con, BUCKETS_SUM_TO_BALANCE) == []
        assert disagreements(con, OPEN_ITEMS_EQUAL_LEDGER, AS_OF) == []
    finally:
        con.close()


def test_the_same_debtor_is_found_by_vat_number_and_counted_once(warehouse: Path) -> None:
    keys = {
        row["customer_id"]: (row["group_debtor_key"], row["group_debtor_key_source"])
        for row in query(
            warehouse,
            "select customer_id, group_debtor_key, group_debtor_key_source "
            "from marts.dim_customers where entity_id in ('E-VA', 'E-VB', 'E-VC', 'E-VD')",
        )
    }
    assert keys["C-VA"] == ("GD-9", "group_debtor_id")
    assert keys["C-VB"] == ("GD-9", "vat_to_group_debtor_id")
    assert keys["C-VC"][0] == keys["C-VD"][0]
    assert keys["C-VC"][0].startswith("VAT-") and "999" not in keys["C-VC"][0]
    assert keys["C-VC"][1] == "vat_number"

    exposure = {
        row["group_debtor_key"]: row
        for row in query(warehouse, "select * from marts.group_debtor_exposure")
    }
    assert exposure["GD-9"]["entity_count"] == 2
    assert exposure["GD-9"]["open_balance_base"] == Decimal("140.00")
    by_vat = exposure[keys["C-VC"][0]]
    assert (by_vat["entity_count"], by_vat["customer_count"]) == (2, 2)
    assert by_vat["open_balance_base"] == Decimal("100.00")
    assert by_vat["overdue_amount_base"] == Decimal("30.00")
