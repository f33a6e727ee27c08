-- The open items the aging marts and balances use. With the net_unapplied_credit var false
-- (default) nothing is netted: they are fct_open_items as they are. With it true, each
-- customer's unapplied credit is netted into its oldest open receivables, per currency:
-- receivables in order of due date (then issue date, id) take the credit, credits are used
-- oldest first, and what is left of either stays open. Amounts net in the document
-- currency; each changed item is valued again at its own rate, and the difference that
-- leaves in base currency (credit and invoice at different rates, or cents of rounding) is
-- one 'fx_difference' row per customer and currency in the unapplied-credit bucket, so the
-- balance still equals the ledger.
--
-- Last, an invoice on an instalment plan becomes one row per open instalment (its net open
-- amount filling the instalments oldest first, see macro split_into_instalments), each aged
-- by its own due date; the last instalment takes the rounding difference in base currency.
-- The item's gross and netted amounts are on its last instalment's row, 0 on the others.
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

ordered as (
    select
        *,
        not is_unapplied_credit as is_netted_receivable,
        is_unapplied_credit and open_amount < 0 as is_netted_credit,
        coalesce(
            sum(case when not is_unapplied_credit then open_amount end) over (
                partition by entity_id, customer_id, currency, is_unapplied_credit
                order by due_date, issue_date, item_type, item_id
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as receivable_before,
        coalesce(
            sum(case when is_unapplied_credit and open_amount < 0 then -open_amount end) over (
                partition by
                    entity_id, customer_id, currency, is_unapplied_credit, open_amount < 0
                order by issue_date, item_type, item_id
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as credit_before
    from open_items
),

customer_totals as (
    select
        entity_id,
        customer_id,
        currency,
        sum(case when is_netted_receivable then open_amount else 0 end) as receivable_total,
        sum(case when is_netted_credit then -open_amount else 0 end) as credit_total
    from ordered
    group by entity_id, customer_id, currency
),

applied as (
    select
        ordered.*,
        case
            when not {{ 'true' if net_unapplied_credit() else 'false' }} then 0
            when customer_totals.receivable_total < customer_totals.credit_total
                then customer_totals.receivable_total
            else customer_totals.credit_total
        end as netted_total
    from ordered
    inner join customer_totals
        on
            ordered.entity_id = customer_totals.entity_id
            and ordered.customer_id = customer_totals.customer_id
            and ordered.currency = customer_totals.currency
),

netted as (
    select
        *,
        case
            when is_netted_receivable
                then greatest(0, least(open_amount, netted_total - receivable_before))
            when is_netted_credit
                then greatest(0, least(-open_amount, netted_total - credit_before))
            else 0
        end as netted_amount
    from applied
),

revalued as (
    select
        *,
        open_amount as gross_open_amount,
        open_amount_base as gross_open_amount_base,
        case
            when is_netted_receivable then open_amount - netted_amount
            else open_amount + netted_amount
        end as net_open_amount
    from netted
),

items as (
    select
        as_of_date,
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
        cast(net_open_amount as decimal(18, 2)) as open_amount,
        base_currency,
        fx_rate_to_base,
        case
            when netted_amount = 0 then open_amount_base
            else {{ to_base_currency('net_open_amount', 'fx_rate_to_base') }}
        end as open_amount_base,
        days_past_due,
        aging_bucket,
        bucket_order,
        is_overdue,
        is_disputed,
        is_unapplied_credit,
        gross_open_amount,
        gross_open_amount_base,
        cast(netted_amount as decimal(18, 2)) as netted_amount
    from revalued
),

differences as (
    select
        max(as_of_date) as as_of_date,
        entity_id,
        customer_id,
        customer_id || ':' || currency as item_id,
        'fx_difference' as item_type,
        cast(null as varchar) as document_id,
        cast(null as varchar) as document_number,
        cast(null as date) as issue_date,
        cast(null as date) as due_date,
        currency,
        cast(0 as decimal(18, 2)) as amount,
        cast(0 as decimal(18, 2)) as open_amount,
        max(base_currency) as base_currency,
        cast(null as decimal(38, 18)) as fx_rate_to_base,
        sum(gross_open_amount_base) - sum(open_amount_base) as open_amount_base,
        cast(null as integer) as days_past_due,
        'Unapplied credit' as aging_bucket,
        0 as bucket_order,
        false as is_overdue,
        false as is_disputed,
        true as is_unapplied_credit,
        cast(0 as decimal(18, 2)) as gross_open_amount,
        cast(0 as decimal(18, 2)) as gross_open_amount_base,
        cast(0 as decimal(18, 2)) as netted_amount
    from items
    group by entity_id, customer_id, currency
    having sum(gross_open_amount_base) <> sum(open_amount_base)
),

open_netted_items as (
    select * from items
    where open_amount <> 0
),

parts as (
    {{ split_into_instalments(
        'open_netted_items', 'instalments', ['entity_id', 'item_type', 'item_id']
    ) }}
),

part_dated as (
    select
        *,
        case
            when not is_unapplied_credit
                then {{ days_between('part_due_date', as_of_date()) }}
        end as part_days_past_due,
        coalesce(instalment_number, 0) = coalesce(instalment_count, 0) as is_last_part
    from parts
),

part_bucketed as (
    select
        part_dated.*,
        aging_buckets.aging_bucket as part_aging_bucket,
        aging_buckets.bucket_order as part_bucket_order
    from part_dated
    left join aging_buckets
        on {{ in_aging_bucket('part_dated', 'aging_buckets', 'part_days_past_due') }}
),

split_items as (
    select
        as_of_date,
        entity_id,
        customer_id,
        item_id,
        item_type,
        instalment_number,
        instalment_count,
        document_id,
        document_number,
        issue_date,
        part_due_date as due_date,
        currency,
        coalesce(instalment_amount, amount) as amount,
        part_open_amount as open_amount,
        base_currency,
        fx_rate_to_base,
        part_open_amount_base as open_amount_base,
        part_days_past_due as days_past_due,
        part_aging_bucket as aging_bucket,
        part_bucket_order as bucket_order,
        coalesce(part_days_past_due > 0, false) as is_overdue,
        is_disputed,
        is_unapplied_credit,
        case when is_last_part then gross_open_amount else 0 end as gross_open_amount,
        case
            when is_last_part then gross_open_amount_base else 0
        end as gross_open_amount_base,
        case when is_last_part then netted_amount else 0 end as netted_amount
    from part_bucketed
),

fx_differences as (
    select
        as_of_date,
        entity_id,
        customer_id,
        item_id,
        item_type,
        cast(null as integer) as instalment_number,
        cast(null as integer) as instalment_count,
        document_id,
        document_number,
        issue_date,
        due_date,
        currency,
        amount,
        open_amount,
        base_currency,
        fx_rate_to_base,
        open_amount_base,
        days_past_due,
        aging_bucket,
        bucket_order,
        is_overdue,
        is_disputed,
        is_unapplied_credit,
        gross_open_amount,
        gross_open_amount_base,
        netted_amount
    from differences
),

final as (
    select * from split_items
    union all
    select * from fx_differences
)

select * from final
