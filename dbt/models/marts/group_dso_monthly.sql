-- Group DSO from the group's summed ledger and sales, not an average of entity DSOs.
with

dso_months as (
    select * from {{ ref('int_dso_months_computed') }}
),

final as (
    select
        month_start,
        month_end,
        days_in_month,
        {{ group_currency() }} as base_currency,
        ar_base,
        net_sales_base,
        sales_window_base,
        window_days,
        simple_dso_days,
        countback_dso_days
    from dso_months
    where scope_type = 'group'
)

select * from final
