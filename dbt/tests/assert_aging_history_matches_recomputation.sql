-- Every date stored in entity_aging_history (up to this run's as-of date) equals the aging
-- recomputed for that date from this run's item balances: per entity, currency and bucket, the
-- open amount in document and base currency and the item count. The as-of date itself ties the
-- snapshot to fct_open_items; older dates prove that history was not recomputed differently.
-- An invoice on an instalment plan is split by its open amount at each date, as the snapshot
-- does (macro split_into_instalments).
-- A warning, not an error: a document booked later with an earlier date (or an allocation
-- dated before the document it names, see dbt/README.md) legitimately changes a past date, and
-- the stored snapshot keeps what was reported on the day.
{{ config(severity='warn') }}

with

history as (
    select * from {{ ref('entity_aging_history') }}
),

balances as (
    select * from {{ ref('int_item_balances_ranged') }}
),

instalments as (
    select * from {{ ref('int_instalments_planned') }}
),

aging_buckets as (
    select * from {{ ref('int_aging_buckets_extended') }}
),

stored_dates as (
    select distinct as_of_date
    from history
    where as_of_date <= {{ as_of_date() }}
),

open_then as (
    select
        stored_dates.as_of_date,
        balances.entity_id,
        balances.item_type,
        balances.item_id,
        balances.currency,
        balances.due_date,
        balances.fx_rate_to_base,
        balances.open_amount,
        balances.open_amount_base,
        coalesce(balances.open_amount < 0 or not balances.is_receivable, false)
            as is_unapplied_credit
    from stored_dates
    inner join balances
        on
            stored_dates.as_of_date >= balances.valid_from
            and stored_dates.as_of_date < balances.valid_to
    where balances.open_amount <> 0
),

parts as (
    {{ split_into_instalments(
        'open_then', 'instalments', ['as_of_date', 'entity_id', 'item_type', 'item_id']
    ) }}
),

part_dated as (
    select
        *,
        {{ days_between('part_due_date', 'as_of_date') }} as part_days_past_due
    from parts
),

bucketed as (
    select
        part_dated.as_of_date,
        part_dated.entity_id,
        part_dated.currency,
        aging_buckets.aging_bucket,
        part_dated.part_open_amount as open_amount,
        part_dated.part_open_amount_base as open_amount_base
    from part_dated
    inner join aging_buckets
        on {{ in_aging_bucket('part_dated', 'aging_buckets', 'part_days_past_due') }}
),

recomputed as (
    select
        as_of_date,
        entity_id,
        currency,
        aging_bucket,
        sum(open_amount) as open_amount,
        sum(open_amount_base) as open_amount_base,
        count(*) as item_count
    from bucketed
    group by as_of_date, entity_id, currency, aging_bucket
),

stored as (
    select
        as_of_date,
        entity_id,
        currency,
        aging_bucket,
        open_amount,
        open_amount_base,
        item_count
    from history
    where as_of_date <= {{ as_of_date() }}
),

final as (
    select
        coalesce(stored.as_of_date, recomputed.as_of_date) as as_of_date,
        coalesce(stored.entity_id, recomputed.entity_id) as entity_id,
        coalesce(stored.currency, recomputed.currency) as currency,
        coalesce(stored.aging_bucket, recomputed.aging_bucket) as aging_bucket,
        stored.open_amount as stored_open_amount,
        recomputed.open_amount as recomputed_open_amount,
        stored.open_amount_base as stored_open_amount_base,
        recomputed.open_amount_base as recomputed_open_amount_base,
        stored.item_count as stored_item_count,
        recomputed.item_count as recomputed_item_count
    from stored
    full outer join recomputed
        on
            stored.as_of_date = recomputed.as_of_date
            and stored.entity_id = recomputed.entity_id
            and stored.currency = recomputed.currency
            and stored.aging_bucket = recomputed.aging_bucket
    where
        stored.open_amount is distinct from recomputed.open_amount
        or stored.open_amount_base is distinct from recomputed.open_amount_base
        or stored.item_count is distinct from recomputed.item_count
)

select * from final
