-- The aging_buckets seed is a partition of the days-past-due axis: ordered by bucket_order,
-- the first bucket has no lower edge, the last no upper edge, and each bucket starts the day
-- after the previous one ends. Orders start at 1 (0 is the unapplied-credit pseudo-bucket).
with

aging_buckets as (
    select * from {{ ref('aging_buckets') }}
),

neighbours as (
    select
        bucket_order,
        aging_bucket,
        min_days_past_due,
        max_days_past_due,
        lag(max_days_past_due) over (order by bucket_order) as previous_max_days_past_due,
        row_number() over (order by bucket_order) as bucket_number,
        count(*) over () as bucket_count
    from aging_buckets
),

final as (
    select
        bucket_order,
        aging_bucket,
        min_days_past_due,
        max_days_past_due
    from neighbours
    where
        bucket_order < 1
        or aging_bucket = 'Unapplied credit'
        or (bucket_number = 1 and min_days_past_due is not null)
        or (bucket_number = bucket_count and max_days_past_due is not null)
        or (bucket_number > 1 and min_days_past_due is null)
        or (bucket_number < bucket_count and max_days_past_due is null)
        or min_days_past_due > max_days_past_due
        or (bucket_number > 1 and min_days_past_due <> previous_max_days_past_due + 1)
)

select * from final
