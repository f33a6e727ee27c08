-- Long format: every entity (known, or with open items) times every bucket, zero where empty.
with

entities as (
    select * from {{ ref('dim_entities') }}
),

open_items as (
    select * from {{ ref('fct_open_items_netted') }}
),

aging_buckets as (
    select * from {{ ref('int_aging_buckets_extended') }}
),

entity_keys as (
    select entity_id from entities
    union
    select entity_id from open_items
),

grid as (
    select
        entity_keys.entity_id,
        aging_buckets.aging_bucket,
        aging_buckets.bucket_order
    from entity_keys
    cross join aging_buckets
),

bucket_totals as (
    select
        entity_id,
        aging_bucket,
        sum(open_amount_base) as open_amount_base,
        count(*) as item_count,
        sum(case when open_amount_base is null then 1 else 0 end) as unvalued_item_count
    from open_items
    group by entity_id, aging_bucket
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        grid.entity_id,
        entities.division,
        entities.country_code,
        grid.aging_bucket,
        grid.bucket_order,
        {{ group_currency() }} as base_currency,
        cast(coalesce(bucket_totals.open_amount_base, 0) as decimal(18, 2)) as open_amount_base,
        coalesce(bucket_totals.item_count, 0) as item_count,
        coalesce(bucket_totals.unvalued_item_count, 0) as unvalued_item_count
    from grid
    left join entities
        on grid.entity_id = entities.entity_id
    left join bucket_totals
        on
            grid.entity_id = bucket_totals.entity_id
            and grid.aging_bucket = bucket_totals.aging_bucket
)

select * from final
