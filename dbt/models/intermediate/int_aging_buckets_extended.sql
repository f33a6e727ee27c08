-- The seed's overdue buckets plus the pseudo-bucket for unapplied credit, defined here once:
-- every aging mart lists all of these rows, zero where empty.
with

aging_buckets as (
    select * from {{ ref('aging_buckets') }}
),

final as (
    select
        bucket_order,
        aging_bucket,
        min_days_past_due,
        max_days_past_due,
        false as is_unapplied_credit
    from aging_buckets
    union all
    select
        0 as bucket_order,
        'Unapplied credit' as aging_bucket,
        cast(null as integer) as min_days_past_due,
        cast(null as integer) as max_days_past_due,
        true as is_unapplied_credit
)

select * from final
