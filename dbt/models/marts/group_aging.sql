-- Long format: every bucket once for the whole group, zero where empty.
with

open_items as (
    select * from {{ ref('fct_open_items_netted') }}
),

aging_buckets as (
    select * from {{ ref('int_aging_buckets_extended') }}
),

bucket_totals as (
    select
        aging_bucket,
        sum(open_amount_base) as open_amount_base,
        count(*) as item_count,
        sum(case when open_amount_base is null then 1 else 0 end) as unvalued_item_count
    from open_items
    group by aging_bucket
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        aging_buckets.aging_bucket,
        aging_buckets.bucket_order,
        {{ group_currency() }} as base_currency,
        cast(coalesce(bucket_totals.open_amount_base, 0) as decimal(18, 2)) as open_amount_base,
        coalesce(bucket_totals.item_count, 0) as item_count,
        coalesce(bucket_totals.unvalued_item_count, 0) as unvalued_item_count
    from aging_buckets
    left join bucket_totals
        on aging_buckets.aging_bucket = bucket_totals.aging_bucket
)

select * from final
