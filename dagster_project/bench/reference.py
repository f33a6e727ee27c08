"""The reference: the as-of aging as one hand-written DuckDB query over the raw tables.

It follows the ledger's rules (dbt/README.md, docs/decisions.md) without the ledger's
history: the latest delivered version of each key; documents issued and allocations booked
by the as-of date; a credit note or write-off naming an issued invoice or debit note settles
it, otherwise it is unapplied credit; an allocation settles the item its document belongs to,
or is an unapplied payment; each item is valued at its own rate (issue date, or booked date
for an unapplied payment) and rounded to cents once; receivables still open are aged by due
date into the seed's buckets, everything else negative or left over is 'Unapplied credit'.

`compare` checks the query's open items and bucket totals against the product's marts, and
`time_product_aging` rebuilds the dbt models on the path to marts.entity_aging and sums their
execution times, so the report can put the two side by side.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.settings import DBT_PROJECT_DIR, Settings

_LATEST = "row_number() over (partition by {key} order by _loaded_at desc, _source_file desc, \
_source_row desc) = 1"

REFERENCE_SQL = f"""
create or replace temp table reference_open_items as
with
documents as (
    select
        entity_id, document_id, document_type, customer_id, issue_date,
        coalesce(due_date, issue_date) as due_date, upper(currency) as currency, amount,
        applies_to_document_id
    from raw.documents
    where issue_date <= $as_of
    qualify {_LATEST.format(key="entity_id, document_id")}
),
allocations as (
    select entity_id, allocation_id, customer_id, document_id, amount,
        upper(currency) as currency, booked_date
    from raw.allocations
    where booked_date <= $as_of
    qualify {_LATEST.format(key="entity_id, allocation_id")}
),
quotes as (
    select cast(rate_date as date) as rate_date, upper(currency) as currency,
        upper(quote_currency) as quote_currency, cast(rate as decimal(18, 8)) as rate
    from raw.fx_rates
    qualify {_LATEST.format(key="rate_date, currency, quote_currency")}
),
rates as (
    select currency, rate_date, rate_to_base,
        row_number() over (partition by currency order by rate_date) = 1 as is_first
    from (
        select currency, rate_date, cast(rate as decimal(38, 18)) as rate_to_base, 1 as pref
        from quotes where quote_currency = $base and currency <> $base and rate > 0
        union all
        select quote_currency, rate_date, cast(1 / rate as decimal(38, 18)), 2
        from quotes where currency = $base and quote_currency <> $base and rate > 0
    )
    qualify row_number() over (partition by currency, rate_date order by pref) = 1
),
-- Each document belongs to an item: itself, or the invoice a credit note or write-off settles.
owned as (
    select documents.*,
        case when documents.document_type in ('credit_note', 'write_off')
            then target.document_id end is not null as is_settlement,
        coalesce(
            case when documents.document_type in ('credit_note', 'write_off')
                then target.document_id end,
            documents.document_id
        ) as item_id
    from documents
    left join documents as target
        on target.entity_id = documents.entity_id
        and target.document_id = documents.applies_to_document_id
        and target.document_type in ('invoice', 'debit_note')
),
movements as (
    select entity_id, item_id,
        case when document_type in ('invoice', 'debit_note') then amount else -amount end
            as ar_effect
    from owned
    union all
    select allocations.entity_id, owned.item_id, -allocations.amount
    from allocations
    inner join owned
        on owned.entity_id = allocations.entity_id
        and owned.document_id = allocations.document_id
),
item_rates as (
    select owned.*, coalesce(
        case when owned.currency = $base then cast(1 as decimal(38, 18)) end,
        dated.rate_to_base, first_rate.rate_to_base
    ) as fx_rate_to_base
    from owned
    asof left join rates as dated
        on dated.currency = owned.currency and owned.issue_date >= dated.rate_date
    left join rates as first_rate
        on first_rate.currency = owned.currency and first_rate.is_first
    where not owned.is_settlement
),
document_items as (
    select item_rates.entity_id, item_rates.document_type, item_rates.document_id,
        item_rates.due_date, item_rates.fx_rate_to_base, totals.open_amount
    from item_rates
    inner join (
        select entity_id, item_id, sum(ar_effect) as open_amount
        from movements group by all
    ) as totals
        on totals.entity_id = item_rates.entity_id and totals.item_id = item_rates.document_id
),
unapplied_payments as (
    select allocations.*, coalesce(
        case when allocations.currency = $base then cast(1 as decimal(38, 18)) end,
        dated.rate_to_base, first_rate.rate_to_base
    ) as fx_rate_to_base
    from allocations
    asof left join rates as dated
        on dated.currency = allocations.currency and allocations.booked_date >= dated.rate_date
    left join rates as first_rate
        on first_rate.currency = allocations.currency and first_rate.is_first
    where not exists (
        select 1 from owned
        where owned.entity_id = allocations.entity_id
        and owned.document_id = allocations.document_id
    )
),
items as (
    select entity_id,
        case when document_type in ('invoice', 'debit_note') and open_amount < 0
            then 'overpayment' else document_type end as item_type,
        document_id as item_id, due_date, open_amount, fx_rate_to_base,
        not (document_type in ('invoice', 'debit_note') and open_amount > 0)
            as is_unapplied_credit
    from document_items
    where open_amount <> 0
    union all
    select entity_id, 'unapplied_payment', allocation_id, null, -amount, fx_rate_to_base, true
    from unapplied_payments
    where amount <> 0
)
select items.entity_id, items.item_type, items.item_id, items.open_amount,
    cast(round(cast(items.open_amount as decimal(38, 2)) * items.fx_rate_to_base, 2)
        as decimal(18, 2)) as open_amount_base,
    case when items.is_unapplied_credit then 'Unapplied credit' else buckets.aging_bucket end
        as aging_bucket
from items
left join reference.aging_buckets as buckets
    on not items.is_unapplied_credit
    and $as_of - items.due_date between coalesce(buckets.min_days_past_due, -100000)
        and coalesce(buckets.max_days_past_due, 100000)
"""

REFERENCE_TOTALS_SQL = """
create or replace temp table reference_entity_aging as
select entity_id, aging_bucket, sum(open_amount_base) as open_amount_base,
    count(*) as item_count
from reference_open_items
group by all
"""

# Rows where the reference and the product disagree (missing on one side or another amount).
ITEM_DIFFERENCES = """
select count(*) from reference_open_items as ref
full outer join marts.fct_open_items as mart
    on ref.entity_id = mart.entity_id and ref.item_type = mart.item_type
    and ref.item_id = mart.item_id
where ref.item_id is null or mart.item_id is null
    or ref.open_amount <> mart.open_amount or ref.open_amount_base <> mart.open_amount_base
    or ref.aging_bucket is distinct from mart.aging_bucket
"""
BUCKET_DIFFERENCES = """
select count(*) from reference_entity_aging as ref
full outer join (select * from marts.entity_aging where item_count > 0) as mart
    on ref.entity_id = mart.entity_id and ref.aging_bucket = mart.aging_bucket
where ref.entity_id is null or mart.entity_id is null
    or ref.open_amount_base <> mart.open_amount_base or ref.item_count <> mart.item_count
"""


def run_reference(con: duckdb.DuckDBPyConnection, as_of: date, base: str) -> float:
    """Build the reference tables in `con` (temporary); return the seconds it took."""
    started = time.perf_counter()
    con.execute(REFERENCE_SQL, {"as_of": as_of, "base": base})
    con.execute(REFERENCE_TOTALS_SQL)
    return time.perf_counter() - started


def compare(settings: Settings) -> dict[str, Any]:
    """Time the reference on the warehouse and count where it differs from the marts."""
    with duckdb.connect(str(settings.warehouse_path), config=settings.duckdb_config()) as con:
        seconds = run_reference(con, settings.as_of_date, settings.group_currency)
        item_diff = con.execute(ITEM_DIFFERENCES).fetchone()[0]
        bucket_diff = con.execute(BUCKET_DIFFERENCES).fetchone()[0]
        items, total = con.execute(
            "select count(*), sum(open_amount_base) from reference_open_items"
        ).fetchone()
    return {
        "reference_s": seconds,
        "open_items": items,
        "open_amount_base": str(total),
        "base_currency": settings.group_currency,
        "item_differences": item_diff,
        "bucket_differences": bucket_diff,
        "equal": item_diff == 0 and bucket_diff == 0,
    }


def time_product_aging(settings: Settings, env: dict[str, str]) -> dict[str, Any]:
    """Rebuild the dbt models on the path to marts.entity_aging (same vars, same warehouse)."""
    with tempfile.TemporaryDirectory() as target:
        command = [
            str(Path(sys.executable).parent / "dbt"),
            "run",
            "--select",
            "+entity_aging",
            "--vars",
            json.dumps(settings.dbt_vars()),
            "--target-path",
            target,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ]
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"dbt run for the aging path failed:\n{done.stdout[-3000:]}")
        results = json.loads((Path(target) / "run_results.json").read_text())["results"]
    models = {row["unique_id"].split(".")[-1]: row["execution_time"] for row in results}
    return {"models_s": sum(models.values()), "dbt_wall_s": wall, "models": models}
