-- The daily aging snapshot: each run appends the aging of its as-of date per entity, document
-- currency and bucket, and replaces the rows of that date when the date is run again
-- (delete+insert on as_of_date). Trend charts read history from here instead of recomputing
-- it; assert_aging_history_matches_recomputation checks every stored date against the item
-- balances of the current run. A `--full-refresh` drops the history: never pass it in
-- production. Only non-empty combinations are stored (missing = 0).
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

entities as (
    select * from {{ ref('dim_entities') }}
),

bucket_totals as (
    select
        as_of_date,
        entity_id,
        currency,
        aging_bucket,
        bucket_order,
        base_currency,
        sum(open_amount) as open_amount,
        sum(open_amount_base) as open_amount_base,
        count(*) as item_count
    from open_items
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
