-- Items open at the as-of date, aged by due date into the buckets of the aging_buckets seed
-- (a range join on its edges, so a group changes buckets by editing the seed only).
-- Unapplied credit (unlinked credit notes and write-offs, unapplied payments, overpayments)
-- carries the pseudo-bucket 'Unapplied credit' with bucket_order 0 and no days past due.
with

open_items as (
    select * from {{ ref('int_open_items_split') }}
),

aging_buckets as (
    select * from {{ ref('int_aging_buckets_extended') }}
),

dated as (
    select
        *,
        case
            when not is_unapplied_credit
                then {{ days_between('due_date', as_of_date()) }}
        end as days_past_due
    from open_items
),

bucketed as (
    select
        dated.*,
        aging_buckets.aging_bucket,
        aging_buckets.bucket_order
    from dated
    left join aging_buckets
        on
            dated.is_unapplied_credit = aging_buckets.is_unapplied_credit
            and (
                dated.is_unapplied_credit
                or (
                    (
                        aging_buckets.min_days_past_due is null
                        or dated.days_past_due >= aging_buckets.min_days_past_due
                    )
                    and (
                        aging_buckets.max_days_past_due is null
                        or dated.days_past_due <= aging_buckets.max_days_past_due
                    )
                )
            )
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        entity_id,
        customer_id,
        item_id,
        item_type,
        document_id,
        document_number,
        issue_date,
        due_date,
        currency,
        amount,
        open_amount,
        {{ group_currency() }} as base_currency,
        fx_rate_to_base,
        open_amount_base,
        days_past_due,
        aging_bucket,
        bucket_order,
        coalesce(days_past_due > 0, false) as is_overdue,
        is_disputed,
        is_unapplied_credit
    from bucketed
)

select * from final
