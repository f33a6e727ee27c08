"""The reference: the as-of aging as one hand-written DuckDB query over the raw tables.

It follows the ledger's rules (dbt/README.md, docs/decisions.md) without the ledger's
history: the latest delivered version of each key; documents issued and allocations booked
by the as-of date; a credit note or write-off naming an issued invoice or debit note settles
it, otherwise it is unapplied credit; an allocation settles the item its document belongs to,
or is an unapplied payment; each item is valued at its own rate (issue date, or booked date
for an unapplied payment) and rounded to cents once; receivables still open are aged by due
date into the seed's buckets, everything else negative or left over is 'Unapplied credit'.
An invoice or debit note on an instalment plan that fits it (docs/decisions.md D38) is split
into its open instalments, filled oldest first, each aged by its own due date at the item's
rate, the last one taking the rounding difference; the item itself is dated by its oldest
open instalment. The bucket totals count one row per open instalment, as the marts do.

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
create or replace temp table reference_open_parts as
with
documents as (
    select * exclude (due_date), coalesce(due_date, issue_date) as due_date
    from (
        select
            entity_id, document_id, document_type, customer_id, issue_date, due_date,
            upper(currency) as currency, amount, applies_to_document_id
        from raw.documents
        qualify {_LATEST.format(key="entity_id, document_id")}
    )
    where issue_date <= $as_of
),
allocations as (
    select * from (
        select entity_id, allocation_id, customer_id, document_id, amount,
            upper(currency) as currency, booked_date
        from raw.allocations
        qualify {_LATEST.format(key="entity_id, allocation_id")}
    )
    where booked_date <= $as_of
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
),
valued as (
    select *, cast(round(cast(open_amount as decimal(38, 2)) * fx_rate_to_base, 2)
        as decimal(18, 2)) as open_amount_base
    from items
),
-- Instalment plans, used only when they fit their document (latest delivered version, issued
-- or not): an invoice or debit note, every part complete and above zero, numbered 1..n, due
-- dates never going back, all in the document's currency, adding up to its amount.
instalments as (
    select *,
        lag(due_date) over (partition by entity_id, document_id order by instalment_number)
            as previous_due_date
    from (
        select entity_id, document_id, instalment_number, due_date, amount,
            upper(currency) as currency
        from raw.instalments
        qualify {_LATEST.format(key="entity_id, document_id, instalment_number")}
    )
),
plan_checks as (
    select plans.entity_id, plans.document_id,
        (case when plans.incomplete > 0 then 1 else 0 end)
        + (case when plans.non_positive > 0 then 1 else 0 end)
        + (case when plans.backwards > 0 then 1 else 0 end)
        + (case when plans.first_number <> 1 or plans.last_number <> plans.parts
            then 1 else 0 end)
        + (case when latest.document_id is null then 1 else 0 end)
        + (case when latest.document_type not in ('invoice', 'debit_note') then 1 else 0 end)
        + (case when plans.currencies > 1 or plans.plan_currency <> upper(latest.currency)
            then 1 else 0 end)
        + (case when plans.plan_amount <> latest.amount then 1 else 0 end) as problems
    from (
        select entity_id, document_id, count(*) as parts,
            min(instalment_number) as first_number, max(instalment_number) as last_number,
            sum(amount) as plan_amount, min(currency) as plan_currency,
            count(distinct currency) as currencies,
            count(*) filter (where due_date is null or amount is null or currency is null)
                as incomplete,
            count(*) filter (where amount <= 0) as non_positive,
            count(*) filter (where due_date < previous_due_date) as backwards
        from instalments group by all
    ) as plans
    left join (
        select entity_id, document_id, document_type, currency, amount
        from raw.documents
        qualify {_LATEST.format(key="entity_id, document_id")}
    ) as latest
        on latest.entity_id = plans.entity_id and latest.document_id = plans.document_id
),
planned as (
    select instalments.entity_id, instalments.document_id, instalments.instalment_number,
        instalments.due_date, instalments.amount,
        count(*) over plan as instalment_count,
        coalesce(sum(instalments.amount) over (plan order by instalments.instalment_number
            rows between 1 following and unbounded following), 0) as amount_after
    from instalments
    inner join plan_checks
        on plan_checks.entity_id = instalments.entity_id
        and plan_checks.document_id = instalments.document_id
    where plan_checks.problems = 0
    window plan as (partition by instalments.entity_id, instalments.document_id)
),
-- Settlements fill instalments oldest first: with the item's open amount O, instalment k is
-- open when O exceeds what the later ones add up to, for at most its own amount (the first
-- takes any excess). Each part at the item's rate; the last takes the rounding difference.
parts as (
    select valued.*, planned.instalment_number, planned.instalment_count,
        coalesce(planned.due_date, valued.due_date) as part_due_date,
        case
            when planned.instalment_number = 1 then valued.open_amount - planned.amount_after
            else least(planned.amount, valued.open_amount - planned.amount_after)
        end as part_open_amount
    from valued
    left join planned
        on planned.entity_id = valued.entity_id
        and planned.document_id = valued.item_id
        and valued.item_type in ('invoice', 'debit_note')
        and valued.open_amount > planned.amount_after
),
parts_valued as (
    select *, cast(round(cast(part_open_amount as decimal(38, 2)) * fx_rate_to_base, 2)
        as decimal(18, 2)) as part_base
    from parts
),
parts_settled as (
    select *,
        case
            when instalment_number is null then open_amount_base
            when instalment_number < instalment_count then part_base
            else open_amount_base - coalesce(sum(case when instalment_number < instalment_count
                then part_base end) over item, 0)
        end as part_open_amount_base,
        min(part_due_date) over item as item_due_date,
        coalesce(instalment_number, 0) = coalesce(instalment_count, 0) as is_last_part
    from parts_valued
    window item as (partition by entity_id, item_type, item_id)
)
select parts.entity_id, parts.item_type, parts.item_id, parts.open_amount,
    parts.open_amount_base, parts.instalment_number, parts.is_last_part,
    parts.part_open_amount_base,
    case when not parts.is_unapplied_credit then parts.item_due_date end as due_date,
    case when parts.is_unapplied_credit then 'Unapplied credit' else item_bucket.aging_bucket
        end as aging_bucket,
    case when parts.is_unapplied_credit then 'Unapplied credit' else part_bucket.aging_bucket
        end as part_aging_bucket
from parts_settled as parts
left join reference.aging_buckets as item_bucket
    on not parts.is_unapplied_credit
    and $as_of - parts.item_due_date between coalesce(item_bucket.min_days_past_due, -100000)
        and coalesce(item_bucket.max_days_past_due, 100000)
left join reference.aging_buckets as part_bucket
    on not parts.is_unapplied_credit
    and $as_of - parts.part_due_date between coalesce(part_bucket.min_days_past_due, -100000)
        and coalesce(part_bucket.max_days_past_due, 100000)
"""

# Bucket totals count one row per open instalment, as marts.entity_aging does.
REFERENCE_TOTALS_SQL = """
create or replace temp table reference_entity_aging as
select entity_id, part_aging_bucket as aging_bucket,
    sum(part_open_amount_base) as open_amount_base, count(*) as item_count
from reference_open_parts
group by all
"""

# One row per item, as marts.fct_open_items: dated by the oldest open instalment.
REFERENCE_ITEMS_SQL = """
create or replace temp view reference_open_items as
select entity_id, item_type, item_id, open_amount, open_amount_base, due_date, aging_bucket
from reference_open_parts
where is_last_part
"""

# Rows where the reference and the product disagree (missing on one side or another amount).
ITEM_DIFFERENCES = """
select count(*) from reference_open_items as ref
full outer join marts.fct_open_items as mart
    on ref.entity_id = mart.entity_id and ref.item_type = mart.item_type
    and ref.item_id = mart.item_id
where ref.item_id is null or mart.item_id is null
    or ref.open_amount <> mart.open_amount or ref.open_amount_base <> mart.open_amount_base
    or ref.due_date is distinct from mart.due_date
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
    seconds = time.perf_counter() - started
    con.execute(REFERENCE_ITEMS_SQL)
    return seconds


def compare(settings: Settings) -> dict[str, Any]:
    """Time the reference on the warehouse and count where it differs from the marts."""
    with duckdb.connect(str(settings.warehouse_path), config=settings.duckdb_config()) as con:
        seconds = run_reference(con, settings.as_of_date, settings.group_currency)
        item_diff = con.execute(ITEM_DIFFERENCES).fetchone()[0]
        bucket_diff = con.execute(BUCKET_DIFFERENCES).fetchone()[0]
        items, total = con.execute(
            "select count(*), sum(open_amount_base) from reference_open_items"
        ).fetchone()
        parts = con.execute("select count(*) from reference_open_parts").fetchone()[0]
    return {
        "reference_s": seconds,
        "open_items": items,
        "open_parts": parts,
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
