with

dso_months as (
    select * from {{ ref('int_dso_months_computed') }}
),

final as (
    select
        scope_id as entity_id,
        month_start,
        month_end,
        days_in_month,
        ar_base,
        net_sales_base,
        sales_window_base,
        window_days,
        simple_dso_days,
        countback_dso_days
    from dso_months
    where scope_type = 'entity'
)

select * from final
