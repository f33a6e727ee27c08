-- Long format: every customer of customer_balances times every bucket, zero where empty.
with

customer_balances as (
    select * from {{ ref('customer_balances') }}
),

open_items as (
    select * from {{ ref('fct_open_items_netted') }}
),

aging_buckets as (
    select * from {{ ref('int_aging_buckets_extended') }}
),

grid as (
    select
        customer_balances.entity_id,
        customer_balances.customer_id,
        aging_buckets.aging_bucket,
        aging_buckets.bucket_order
    from customer_balances
    cross join aging_buckets
),

bucket_totals as (
    select
        entity_id,
        customer_id,
        aging_bucket,
        sum(open_amount_base) as open_amount_base,
        count(*) as item_count
    from open_items
    group by entity_id, customer_id, aging_bucket
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        grid.entity_id,
        grid.customer_id,
        grid.aging_bucket,
        grid.bucket_order,
        {{ group_currency() }} as base_currency,
        cast(coalesce(bucket_totals.open_amount_base, 0) as decimal(18, 2)) as open_amount_base,
        coalesce(bucket_totals.item_count, 0) as item_count
    from grid
    left join bucket_totals
        on
            grid.entity_id = bucket_totals.entity_id
            and grid.customer_id = bucket_totals.customer_id
            and grid.aging_bucket = bucket_totals.aging_bucket
)

select * from final
