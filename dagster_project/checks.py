"""Tie-out checks on the ledger marts, as Dagster asset checks.

The dbt build runs the same invariants as dbt tests; these checks recompute them in the
warehouse after the build and show up on the mart assets, so a figure that does not tie out
blocks the reminder run and the dashboard copy downstream. Each check is a query that returns
the rows that disagree: no rows, check passed.
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from dagster_project.resources import WarehouseResource

# Per customer, aging = balance = open items; in total, entity and group aging agree too.
BUCKETS_SUM_TO_BALANCE = """
with amounts as (
    select entity_id, customer_id, open_amount_base as aging, 0 as balance, 0 as items
    from marts.customer_aging
    union all
    select entity_id, customer_id, 0, open_balance_base, 0 from marts.customer_balances
    union all
    select entity_id, customer_id, 0, 0, open_amount_base from marts.fct_open_items
),
per_customer as (
    select entity_id, customer_id, sum(aging) as aging, sum(balance) as balance,
        sum(items) as items, sum(items) as other
    from amounts group by entity_id, customer_id
),
totals as (
    select sum(aging) as aging, sum(balance) as balance, sum(items) as items from amounts
),
in_total as (
    select 'entity_aging' as entity_id, null as customer_id, aging, balance, items,
        (select coalesce(sum(open_amount_base), 0) from marts.entity_aging) as other
    from totals
    union all
    select 'group_aging', null, aging, balance, items,
        (select coalesce(sum(open_amount_base), 0) from marts.group_aging)
    from totals
)
select * from (select * from per_customer union all select * from in_total)
where coalesce(aging, 0) <> coalesce(balance, 0)
    or coalesce(balance, 0) <> coalesce(items, 0)
    or coalesce(items, 0) <> coalesce(other, 0)
"""

# Per entity and currency, the open items equal the ledger recomputed from staging.
OPEN_ITEMS_EQUAL_LEDGER = """
with lines as (
    select entity_id, currency,
        case when document_type in ('invoice', 'debit_note') then amount else -amount end
            as ledger, 0 as items
    from staging.stg_erp__documents where issue_date <= $as_of
    union all
    select entity_id, currency, -amount, 0
    from staging.stg_erp__allocations where booked_date <= $as_of
    union all
    select entity_id, currency, 0, open_amount from marts.fct_open_items
)
select entity_id, currency, sum(ledger) as ledger_total, sum(items) as open_items_total
from lines group by entity_id, currency
having sum(ledger) <> sum(items)
"""

# Only unapplied credit may be negative.
NO_NEGATIVE_OPEN_AMOUNT = """
select entity_id, item_type, item_id, open_amount from marts.fct_open_items
where not is_unapplied_credit and open_amount <= 0
union all
select entity_id, document_type, document_id, open_amount from marts.fct_invoices
where open_amount < 0
"""


# Items left out of the base-currency figures because their currency has no rate for their date.
ITEMS_WITHOUT_FX_RATE = """
select entity_id, coalesce(document_number, item_id) as document_number, currency, rate_date,
    source_file
from marts.fct_items_without_fx_rate
order by entity_id, rate_date, item_id
"""

# Instalment plans that do not fit their document and are ignored (the document ages by its
# own due date).
INSTALMENT_PLANS_REJECTED = """
select entity_id, document_id, problems, source_rows
from marts.fct_instalment_plans_rejected
order by entity_id, document_id
"""


def disagreements(
    con: duckdb.DuckDBPyConnection, sql: str, as_of: date | None = None
) -> list[dict[str, Any]]:
    """The rows a check query returns, as dicts (no rows: the figures tie out)."""
    cursor = con.execute(sql, {"as_of": as_of} if as_of else None)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _result(rows: Sequence[dict[str, Any]], what: str) -> AssetCheckResult:
    sample = [{k: str(v) for k, v in row.items()} for row in rows[:20]]
    return AssetCheckResult(
        passed=not rows,
        description=f"{len(rows)} {what}" if rows else None,
        metadata={"disagreements": len(rows), "sample": MetadataValue.json(sample)},
    )


def _warning(result: AssetCheckResult) -> AssetCheckResult:
    """The same result with warning severity: reported, but blocks nothing downstream."""
    return AssetCheckResult(
        passed=result.passed,
        severity=AssetCheckSeverity.WARN,
        description=result.description,
        metadata=result.metadata,
    )


@asset_check(
    asset=AssetKey(["marts", "customer_aging"]),
    blocking=True,
    pool="warehouse",
    description="Buckets add up to the open balance for every customer and in total.",
)
def buckets_sum_to_open_balance(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> AssetCheckResult:
    with warehouse.connect() as con:
        rows = disagreements(con, BUCKETS_SUM_TO_BALANCE)
    context.log.info(f"bucket tie-out: {len(rows)} disagreeing customers or totals")
    return _result(rows, "customers or totals whose buckets differ from the balance")


@asset_check(
    asset=AssetKey(["marts", "fct_open_items"]),
    blocking=True,
    pool="warehouse",
    description="Open items equal the ledger (documents - allocations) per entity and currency.",
)
def open_items_equal_ledger(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> AssetCheckResult:
    as_of = warehouse.settings().as_of_date
    with warehouse.connect() as con:
        rows = disagreements(con, OPEN_ITEMS_EQUAL_LEDGER, as_of)
    context.log.info(f"ledger tie-out as of {as_of}: {len(rows)} entity-currency differences")
    return _result(rows, "entity and currency totals that differ from the ledger")


@asset_check(
    asset=AssetKey(["marts", "fct_open_items"]),
    blocking=True,
    pool="warehouse",
    description="No document has a negative open amount unless it is unapplied credit.",
)
def no_negative_open_amount(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> AssetCheckResult:
    with warehouse.connect() as con:
        rows = disagreements(con, NO_NEGATIVE_OPEN_AMOUNT)
    context.log.info(f"negative open amounts outside unapplied credit: {len(rows)}")
    return _result(rows, "documents with a negative open amount")


@asset_check(
    asset=AssetKey(["marts", "fct_open_items"]),
    pool="warehouse",
    description="Every item has a rate into the group currency for its date; an item without "
    "one is left out of the base-currency figures and listed here (a warning, not a stop).",
)
def every_item_has_an_fx_rate(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> AssetCheckResult:
    with warehouse.connect() as con:
        rows = disagreements(con, ITEMS_WITHOUT_FX_RATE)
    if rows:
        context.log.warning(
            f"{len(rows)} items have no exchange rate and are left out of the base-currency "
            f"figures; first: {rows[0]}"
        )
    return _warning(
        _result(rows, "items without an exchange rate, left out of base-currency figures")
    )


@asset_check(
    asset=AssetKey(["marts", "fct_open_items"]),
    pool="warehouse",
    description="Every instalment plan fits its document; a plan that does not is ignored (its "
    "document ages by its own due date) and listed here (a warning, not a stop).",
)
def instalment_plans_are_usable(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> AssetCheckResult:
    with warehouse.connect() as con:
        rows = disagreements(con, INSTALMENT_PLANS_REJECTED)
    if rows:
        context.log.warning(
            f"{len(rows)} instalment plans do not fit their document and are ignored; "
            f"first: {rows[0]}"
        )
    return _warning(_result(rows, "instalment plans ignored because they do not fit"))


ledger_checks = [
    buckets_sum_to_open_balance,
    open_items_equal_ledger,
    no_negative_open_amount,
    every_item_has_an_fx_rate,
    instalment_plans_are_usable,
]
