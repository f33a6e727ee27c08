"""The monthly KPI set (marts.kpi_monthly) against hand-computed worked examples.

Two entities form the division 'kpi' in country 'KP', each with its own customer segment, so
every scope type has a figure that can be worked out by hand (the group scope also holds the
other entity, DSO1, and is checked by adding up). One dbt build as of 2025-06-30.

KPI1 (segment 'kpi_a'), amounts in EUR:
  Apr: INV-A 1000 (due 04-30) paid 04-30; INV-B 2000 (due 05-10); INV-G 600 (due 05-20).
  May: INV-B paid 05-20; INV-G paid 05-18; INV-C 500 (due 05-31); INV-D 300 (due 06-14).
  Jun: INV-G's payment returned 06-02 and paid again 06-12; INV-C part-paid 250 on 06-05;
       INV-F 400 (due 06-15) paid 06-10, direct debit returned 06-25; INV-E 1500 (due
       07-10); credit note CN-1 100 (unlinked) 06-15; INV-D written off 06-20.
KPI2 (segment 'kpi_b'):
  Jan: R1 1000 (01-10, due 02-09) paid 03-01; R2 500 (01-20, due 02-19) part-paid 200 on
       03-15, rest 05-01; R3 260 (01-31) never paid.
  Feb: credit note CN-R 100 (unlinked): net sales -100.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from dbt_helpers import CaseBook, failed_nodes, query, run_dbt_build

AS_OF = date(2025, 6, 30)
APR, MAY, JUN = date(2025, 4, 30), date(2025, 5, 31), date(2025, 6, 30)
JAN, FEB, MAR = date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31)


def add_kpi1(book: CaseBook) -> None:
    case = book.case("KPI1", division="kpi", country_code="KP", segment="kpi_a")
    case.invoice("INV-A", "2025-04-01", "2025-04-30", "1000.00")
    case.payment("PAY-A", "2025-04-30", "1000.00", applies_to="INV-A")
    case.invoice("INV-B", "2025-04-10", "2025-05-10", "2000.00")
    case.payment("PAY-B", "2025-05-20", "2000.00", applies_to="INV-B")
    case.invoice("INV-G", "2025-04-20", "2025-05-20", "600.00")
    case.payment("PAY-G1", "2025-05-18", "600.00", applies_to="INV-G")
    case.payment("RET-G1", "2025-06-02", "-600.00", applies_to="INV-G")
    case.payment("PAY-G2", "2025-06-12", "600.00", applies_to="INV-G")
    case.invoice("INV-C", "2025-05-01", "2025-05-31", "500.00")
    case.payment("PAY-C", "2025-06-05", "250.00", applies_to="INV-C")
    case.invoice("INV-D", "2025-05-15", "2025-06-14", "300.00")
    case.write_off("WO-D", "2025-06-20", "300.00", applies_to="INV-D")
    case.invoice("INV-F", "2025-06-01", "2025-06-15", "400.00")
    case.payment("PAY-F", "2025-06-10", "400.00", applies_to="INV-F")
    case.payment("RET-F", "2025-06-25", "-400.00", applies_to="INV-F")
    case.invoice("INV-E", "2025-06-10", "2025-07-10", "1500.00")
    case.credit_note("CN-1", "2025-06-15", "100.00")


def add_kpi2(book: CaseBook) -> None:
    case = book.case("KPI2", division="kpi", country_code="KP", segment="kpi_b")
    case.invoice("R1", "2025-01-10", "2025-02-09", "1000.00")
    case.payment("PAY-R1", "2025-03-01", "1000.00", applies_to="R1")
    case.invoice("R2", "2025-01-20", "2025-02-19", "500.00")
    case.payment("PAY-R2A", "2025-03-15", "200.00", applies_to="R2")
    case.payment("PAY-R2B", "2025-05-01", "300.00", applies_to="R2")
    case.invoice("R3", "2025-01-31", "2025-03-02", "260.00")
    case.credit_note("CN-R", "2025-02-10", "100.00")


def add_other_entity(book: CaseBook) -> None:
    """A third entity in another division, so that group figures are sums, not copies."""
    other = book.case("OTHER", division="other", country_code="OT", segment="other")
    other.invoice("O1", "2025-03-05", "2025-04-04", "700.00")
    other.payment("PAY-O1", "2025-04-14", "700.00", applies_to="O1")
    other.invoice("O2", "2025-06-01", "2025-07-01", "900.00")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("dbt_kpis")
    book = CaseBook(AS_OF)
    add_kpi1(book)
    add_kpi2(book)
    add_other_entity(book)
    path = book.write(tmp / "kpis.duckdb")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CM_WAREHOUSE_PATH", str(path))
        result = run_dbt_build(tmp, {"as_of_date": AS_OF.isoformat()})
    assert result.success, failed_nodes(result)
    assert failed_nodes(result) == [], "every model and data test passes, no warnings"
    yield path


def kpis(warehouse: Path, scope_type: str, scope_id: str) -> dict[date, dict[str, Any]]:
    rows = query(
        warehouse,
        "select * from marts.kpi_monthly where scope_type = ? and scope_id = ?",
        [scope_type, scope_id],
    )
    return {row["month_end"]: row for row in rows}


def figures(row: dict[str, Any], *names: str) -> tuple[Any, ...]:
    return tuple(row[name] for name in names)


def d(value: str) -> Decimal:
    return Decimal(value)


BALANCES = ("ar_base", "current_ar_base", "overdue_ar_base", "unapplied_credit_base")
DSO = ("simple_dso_days", "best_possible_dso_days", "average_days_delinquent")
PAYING = ("settled_amount_base", "weighted_days_to_pay", "weighted_days_late", "paid_on_time_pct")


def test_kpi1_balances_and_dso_by_hand(warehouse: Path) -> None:
    months = kpis(warehouse, "entity", "E-KPI1")
    assert sorted(months) == [APR, MAY, JUN]

    # April: sales 3600, AR 2600 all current, history of 30 days.
    assert figures(months[APR], *BALANCES) == (d("2600"), d("2600"), d("0"), d("0"))
    assert figures(months[APR], *DSO) == (d("21.67"), d("21.67"), d("0.00"))
    assert months[APR]["countback_dso_days"] == d("21.67")  # 2600 / 3600 * 30

    # June: AR 2050 = INV-C 250 + INV-F 400 (overdue) + INV-E 1500 (current) - CN-1 100.
    june = months[JUN]
    assert figures(june, *BALANCES) == (d("2050"), d("1500"), d("650"), d("-100"))
    assert (june["net_sales_base"], june["sales_window_base"], june["window_days"]) == (
        d("1800"),
        d("6200"),
        91,
    )
    # 2050 / 6200 * 91 = 30.09; 1500 / 6200 * 91 = 22.02; ADD = 30.09 - 22.02.
    assert figures(june, *DSO) == (d("30.09"), d("22.02"), d("8.07"))
    # June's 1800 leaves 250, found in May: 30 + 250 / 800 * 31 = 39.69.
    assert june["countback_dso_days"] == d("39.69")


def test_kpi1_collection_effectiveness_by_hand(warehouse: Path) -> None:
    months = kpis(warehouse, "entity", "E-KPI1")
    # April: nothing before, (0 + 3600 - 2600) / (0 + 3600 - 2600).
    assert months[APR]["collection_effectiveness_pct"] == d("100.00")
    # June: (800 + 1800 - 2050) / (800 + 1800 - 1500) = 550 / 1100.
    june = months[JUN]
    assert (june["cei_ar_start_base"], june["cei_sales_base"]) == (d("800"), d("1800"))
    assert june["collection_effectiveness_pct"] == d("50.00")


def test_kpi1_days_to_pay_as_known_at_each_month_end(warehouse: Path) -> None:
    months = kpis(warehouse, "entity", "E-KPI1")
    # April: INV-A paid on its due date, 29 days after issue: on time.
    assert figures(months[APR], *PAYING) == (d("1000"), d("29.00"), d("0.00"), d("100.00"))
    # May: INV-B (2000: 40 days, 10 late) and INV-G (600: 28 days, 2 early), as known on
    # 31 May although INV-G's payment came back in June.
    # (2000*40 + 600*28) / 2600 = 37.23; (2000*10 - 600*2) / 2600 = 7.23; 600 / 2600.
    assert figures(months[MAY], *PAYING) == (d("2600"), d("37.23"), d("7.23"), d("23.08"))
    # June: INV-G settled again on 06-12 (53 days, 23 late). INV-F was paid but reopened by
    # the returned debit before the month end; INV-D was closed by a write-off, not paid.
    assert figures(months[JUN], *PAYING) == (d("600"), d("53.00"), d("23.00"), d("0.00"))
    assert months[JUN]["settled_count"] == 1


def test_kpi1_bad_debt_ratio(warehouse: Path) -> None:
    months = kpis(warehouse, "entity", "E-KPI1")
    assert (months[MAY]["write_off_base"], months[MAY]["bad_debt_ratio_pct"]) == (
        d("0"),
        d("0.00"),
    )
    # 300 written off / 1800 net sales (1500 + 400 - 100).
    assert (months[JUN]["write_off_base"], months[JUN]["bad_debt_ratio_pct"]) == (
        d("300"),
        d("16.67"),
    )


def test_kpi2_countback_steps_over_negative_sales_and_at_risk_rate(warehouse: Path) -> None:
    months = kpis(warehouse, "entity", "E-KPI2")
    feb, mar = months[FEB], months[MAR]
    # February: sales -100 (stepped over, 28 days), AR 1660 found in January (1760):
    # 28 + 1660 / 1760 * 31 = 57.24. Simple: 1660 / (1760 - 100) * 59 = 59.00.
    assert (feb["net_sales_base"], feb["ar_base"]) == (d("-100"), d("1660"))
    assert (feb["countback_dso_days"], feb["simple_dso_days"]) == (d("57.24"), d("59.00"))
    assert feb["bad_debt_ratio_pct"] is None  # no positive sales to relate write-offs to
    # March: zero sales; 31 + 28 + 460 / 1760 * 31 = 67.10.
    assert (mar["net_sales_base"], mar["countback_dso_days"]) == (d("0"), d("67.10"))
    # R1 settled 03-01: 50 days after issue, 20 late.
    assert figures(mar, *PAYING) == (d("1000"), d("50.00"), d("20.00"), d("0.00"))

    # January's invoices 90 days on: R1 paid, R2 300 open (04-20), R3 260 open (05-01).
    jan = months[JAN]
    assert (jan["invoiced_amount_base"], jan["at_risk_open_base"]) == (d("1760"), d("560"))
    assert (jan["is_at_risk_final"], jan["at_risk_rate_pct"]) == (True, d("31.82"))
    # March's 90 days have passed but it invoiced nothing; April's have not passed yet.
    assert (mar["is_at_risk_final"], mar["at_risk_rate_pct"]) == (True, None)
    assert (months[APR]["is_at_risk_final"], months[APR]["at_risk_rate_pct"]) == (False, None)


def test_division_and_country_are_computed_from_sums(warehouse: Path) -> None:
    for scope_type, scope_id in (("division", "kpi"), ("country", "KP")):
        months = kpis(warehouse, scope_type, scope_id)
        assert min(months) == JAN
        june = months[JUN]
        # AR 2050 + 160; window sales 6200 + 0: 2210 / 6200 * 91 = 32.44 (KPI2's own simple
        # DSO is null: it sold nothing in the window, so an average would be meaningless).
        assert figures(june, "ar_base", "sales_window_base", "simple_dso_days") == (
            d("2210"),
            d("6200"),
            d("32.44"),
        )
        # 2210 - 1800 = 410 left for May: 30 + 410 / 800 * 31 = 45.89.
        assert june["countback_dso_days"] == d("45.89")
        # May: INV-B, INV-G and R2 (500: 101 days, 71 late) together.
        # (80000 + 16800 + 50500) / 3100 = 47.52; (20000 - 1200 + 35500) / 3100 = 17.52.
        assert figures(months[MAY], *PAYING) == (d("3100"), d("47.52"), d("17.52"), d("19.35"))
    assert kpis(warehouse, "entity", "E-KPI2")[JUN]["simple_dso_days"] is None


def test_segment_scope_follows_the_customer(warehouse: Path) -> None:
    entity = kpis(warehouse, "entity", "E-KPI1")
    segment = kpis(warehouse, "segment", "kpi_a")
    skip = {"scope_type", "scope_id"}
    for month_end, row in entity.items():
        assert {k: v for k, v in row.items() if k not in skip} == {
            k: v for k, v in segment[month_end].items() if k not in skip
        }


def test_group_adds_up_its_entities(warehouse: Path) -> None:
    sums = query(
        warehouse,
        """
        select
            month_end,
            sum(ar_base) as ar_base,
            sum(current_ar_base) as current_ar_base,
            sum(net_sales_base) as net_sales_base,
            sum(settled_amount_base) as settled_amount_base,
            sum(write_off_base) as write_off_base,
            sum(invoiced_amount_base) as invoiced_amount_base
        from marts.kpi_monthly
        where scope_type = ?
        group by month_end
        order by month_end
        """,
        ["entity"],
    )
    group = kpis(warehouse, "group", "group")
    assert sorted(group) == [row["month_end"] for row in sums]
    for row in sums:
        assert {k: group[row["month_end"]][k] for k in row} == row
    assert group[JUN]["base_currency"] == "EUR"


def test_kpi_dso_agrees_with_the_dso_marts(warehouse: Path) -> None:
    mismatches = query(
        warehouse,
        """
        select k.scope_id, k.month_end
        from marts.kpi_monthly as k
        left join marts.entity_dso_monthly as e
            on k.scope_id = e.entity_id and k.month_end = e.month_end
        where
            k.scope_type = 'entity'
            and (
                e.entity_id is null
                or k.ar_base <> e.ar_base
                or k.simple_dso_days is distinct from e.simple_dso_days
                or k.countback_dso_days is distinct from e.countback_dso_days
            )
        """,
    )
    assert mismatches == []


def test_dbt_docs_generate_works_and_every_model_and_column_is_documented(
    warehouse: Path, tmp_path: Path
) -> None:
    """`dbt docs generate` on a built warehouse; the catalog's columns against the YAML docs."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CM_WAREHOUSE_PATH", str(warehouse))
        result = run_dbt_build(tmp_path, {"as_of_date": AS_OF.isoformat()}, command="docs generate")
    assert result.success, result.exception

    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    models = {
        uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"
    }
    assert len(models) > 40
    assert [n["name"] for n in models.values() if not n["description"].strip()] == []
    undocumented = [
        f"{node['name']}.{column}"
        for uid, node in models.items()
        for column in catalog["nodes"][uid]["columns"]
        if not node["columns"].get(column.lower(), {}).get("description", "").strip()
    ]
    assert undocumented == []
