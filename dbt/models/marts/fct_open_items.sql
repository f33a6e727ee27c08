-- Items open at the as-of date, aged by due date into the buckets of the aging_buckets seed
-- (a range join on its edges, so a group changes buckets by editing the seed only).
-- Unapplied credit (unlinked credit notes and write-offs, unapplied payments, overpayments)
-- carries the pseudo-bucket 'Unapplied credit' with bucket_order 0 and no days past due.
-- One row per item, also for an invoice on an instalment plan: it is dated by its oldest open
-- instalment (settlements fill instalments oldest first), and fct_open_items_netted splits it
-- into one row per open instalment for the aging marts.
with

open_items as (
    select * from {{ ref('int_open_items_split') }}
),

instalments as (
    select * from {{ ref('int_instalments_planned') }}
),

aging_buckets as (
    select * from {{ ref('int_aging_buckets_extended') }}
),

parts as (
    {{ split_into_instalments('open_items', 'instalments', ['entity_id', 'item_type', 'item_id']) }}
),

plan_dates as (
    select
        entity_id,
        item_type,
        item_id,
        max(instalment_count) as instalment_count,
        count(*) as open_instalment_count,
        min(part_due_date) as oldest_open_due_date,
        min(
            case when part_due_date > {{ as_of_date() }} then part_due_date end
        ) as next_instalment_due_date
    from parts
    where instalment_number is not null
    group by entity_id, item_type, item_id
),

dated as (
    select
        open_items.*,
        open_items.due_date as document_due_date,
        plan_dates.instalment_count,
        plan_dates.open_instalment_count,
        plan_dates.next_instalment_due_date,
        plan_dates.item_id is not null as has_instalment_plan,
        coalesce(plan_dates.oldest_open_due_date, open_items.due_date) as aging_due_date
    from open_items
    left join plan_dates
        on
            open_items.entity_id = plan_dates.entity_id
            and open_items.item_type = plan_dates.item_type
            and open_items.item_id = plan_dates.item_id
),

aged as (
    select
        *,
        case
            when not is_unapplied_credit
                then {{ days_between('aging_due_date', as_of_date()) }}
        end as days_past_due
    from dated
),

bucketed as (
    select
        aged.*,
        aging_buckets.aging_bucket,
        aging_buckets.bucket_order
    from aged
    left join aging_buckets
        on {{ in_aging_bucket('aged', 'aging_buckets') }}
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
        aging_due_date as due_date,
        document_due_date,
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
        is_unapplied_credit,
        has_instalment_plan,
        instalment_count,
        open_instalment_count,
        next_instalment_due_date
    from bucketed
)

select * from final
