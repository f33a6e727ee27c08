-- The daily aging snapshot: each run appends the aging of its as-of date per entity, document
-- currency and bucket, and replaces the rows of that date when the date is run again
-- (delete+insert on as_of_date). Trend charts read history from here instead of recomputing
-- it; assert_aging_history_matches_recomputation checks every stored date against the item
-- balances of the current run. A `--full-refresh` drops the history: never pass it in
-- production. Only non-empty combinations are stored (missing = 0). An invoice on an
-- instalment plan counts once per open instalment, each in the bucket of its own due date,
-- as in entity_aging (without the optional netting, which the recomputation does not know).
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
    )
}}

with

open_items as (
    select * from {{ ref('fct_open_items') }}
),

instalments as (
    select * from {{ ref('int_instalments_planned') }}
),

aging_buckets as (
    select * from {{ ref('int_aging_buckets_extended') }}
),

entities as (
    select * from {{ ref('dim_entities') }}
),

parts as (
    {{ split_into_instalments('open_items', 'instalments', ['entity_id', 'item_type', 'item_id']) }}
),

part_dated as (
    select
        *,
        case
            when not is_unapplied_credit
                then {{ days_between('part_due_date', 'as_of_date') }}
        end as part_days_past_due
    from parts
),

part_bucketed as (
    select
        part_dated.as_of_date,
        part_dated.entity_id,
        part_dated.currency,
        part_dated.base_currency,
        part_dated.part_open_amount,
        part_dated.part_open_amount_base,
        aging_buckets.aging_bucket,
        aging_buckets.bucket_order
    from part_dated
    inner join aging_buckets
        on {{ in_aging_bucket('part_dated', 'aging_buckets', 'part_days_past_due') }}
),

bucket_totals as (
    select
        as_of_date,
        entity_id,
        currency,
        aging_bucket,
        bucket_order,
        base_currency,
        sum(part_open_amount) as open_amount,
        sum(part_open_amount_base) as open_amount_base,
        count(*) as item_count
    from part_bucketed
    group by
        as_of_date, entity_id, currency, aging_bucket, bucket_order, base_currency
),

final as (
    select
        bucket_totals.as_of_date,
        bucket_totals.entity_id,
        entities.division,
        entities.country_code,
        bucket_totals.currency,
        bucket_totals.aging_bucket,
        bucket_totals.bucket_order,
        bucket_totals.base_currency,
        cast(bucket_totals.open_amount as decimal(18, 2)) as open_amount,
        cast(bucket_totals.open_amount_base as decimal(18, 2)) as open_amount_base,
        bucket_totals.item_count
    from bucket_totals
    left join entities
        on bucket_totals.entity_id = entities.entity_id
)

select * from final
