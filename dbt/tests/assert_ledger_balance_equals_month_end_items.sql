-- At every month end and for every scope, the ledger balance (running sum of the ledger's
-- monthly changes) equals the items open at that date (int_item_balances_ranged), and the
-- open items split without remainder into current, overdue and unapplied credit. Returns the
-- disagreeing scope months.
with

scope_months as (
    select * from {{ ref('int_scope_months_summarized') }}
),

final as (
    select
        scope_type,
        scope_id,
        month_end,
        ar_base,
        month_end_ar_base,
        current_ar_base,
        overdue_ar_base,
        unapplied_credit_base
    from scope_months
    where
        ar_base <> month_end_ar_base
        or current_ar_base < 0
        or overdue_ar_base < 0
)

select * from final
