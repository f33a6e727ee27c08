-- The monthly KPI parts per reporting scope: the whole group, each division, entity, country
-- (of the entity) and customer segment. One row per scope and month, from the scope's first
-- month with a ledger entry or sale to the as-of month (which ends at the as-of date), zero
-- where nothing happened. ar_base is the running sum of the ledger changes; it equals the
-- month-end open items (month_end_ar_base), which assert_ledger_balance_equals_month_end_items
-- checks for every scope and month.
with

ledger_months as (
    select * from {{ ref('int_ledger_months_summarized') }}
),

months as (
    select * from {{ ref('int_calendar_months') }}
),

entities as (
    select * from {{ ref('stg_erp__entities') }}
),

attributed as (
    select
        ledger_months.*,
        coalesce(entities.division, 'unassigned') as division,
        coalesce(entities.country_code, 'unassigned') as country_code
    from ledger_months
    left join entities
        on ledger_months.entity_id = entities.entity_id
),

scoped as (
    select
        'group' as scope_type,
        'group' as scope_id,
        attributed.*
    from attributed
    union all
    select
        'division' as scope_type,
        division as scope_id,
        attributed.*
    from attributed
    union all
    select
        'entity' as scope_type,
        entity_id as scope_id,
        attributed.*
    from attributed
    union all
    select
        'country' as scope_type,
        country_code as scope_id,
        attributed.*
    from attributed
    union all
    select
        'segment' as scope_type,
        segment as scope_id,
        attributed.*
    from attributed
),

scope_sums as (
    select
        scope_type,
        scope_id,
        month_start,
        sum(net_sales_base) as net_sales_base,
        sum(ar_change_base) as ar_change_base,
        sum(write_off_base) as write_off_base,
        sum(month_end_ar_base) as month_end_ar_base,
        sum(current_ar_base) as current_ar_base,
        sum(overdue_ar_base) as overdue_ar_base,
        sum(settled_amount_base) as settled_amount_base,
        sum(days_to_pay_amount_base) as days_to_pay_amount_base,
        sum(days_late_amount_base) as days_late_amount_base,
        sum(paid_on_time_amount_base) as paid_on_time_amount_base,
        sum(settled_count) as settled_count,
        sum(invoiced_amount_base) as invoiced_amount_base,
        sum(at_risk_open_base) as at_risk_open_base
    from scoped
    group by scope_type, scope_id, month_start
),

scope_first_months as (
    select
        scope_type,
        scope_id,
        min(month_start) as first_month_start
    from scope_sums
    group by scope_type, scope_id
),

spine as (
    select
        scope_first_months.scope_type,
        scope_first_months.scope_id,
        months.month_start,
        months.month_end,
        months.month_last_day,
        months.days_in_month
    from scope_first_months
    inner join months
        on scope_first_months.first_month_start <= months.month_start
),

filled as (
    select
        spine.*,
        coalesce(scope_sums.net_sales_base, 0) as net_sales_base,
        coalesce(scope_sums.ar_change_base, 0) as ar_change_base,
        coalesce(scope_sums.write_off_base, 0) as write_off_base,
        coalesce(scope_sums.month_end_ar_base, 0) as month_end_ar_base,
        coalesce(scope_sums.current_ar_base, 0) as current_ar_base,
        coalesce(scope_sums.overdue_ar_base, 0) as overdue_ar_base,
        coalesce(scope_sums.settled_amount_base, 0) as settled_amount_base,
        coalesce(scope_sums.days_to_pay_amount_base, 0) as days_to_pay_amount_base,
        coalesce(scope_sums.days_late_amount_base, 0) as days_late_amount_base,
        coalesce(scope_sums.paid_on_time_amount_base, 0) as paid_on_time_amount_base,
        coalesce(scope_sums.settled_count, 0) as settled_count,
        coalesce(scope_sums.invoiced_amount_base, 0) as invoiced_amount_base,
        coalesce(scope_sums.at_risk_open_base, 0) as at_risk_open_base
    from spine
    left join scope_sums
        on
            spine.scope_type = scope_sums.scope_type
            and spine.scope_id = scope_sums.scope_id
            and spine.month_start = scope_sums.month_start
),

final as (
    select
        scope_type,
        scope_id,
        month_start,
        month_end,
        month_last_day,
        days_in_month,
        cast(net_sales_base as decimal(18, 2)) as net_sales_base,
        cast(ar_change_base as decimal(18, 2)) as ar_change_base,
        cast(
            sum(ar_change_base) over (
                partition by scope_type, scope_id
                order by month_start
                rows between unbounded preceding and current row
            ) as decimal(18, 2)
        ) as ar_base,
        cast(month_end_ar_base as decimal(18, 2)) as month_end_ar_base,
        cast(current_ar_base as decimal(18, 2)) as current_ar_base,
        cast(overdue_ar_base as decimal(18, 2)) as overdue_ar_base,
        cast(
            month_end_ar_base - current_ar_base - overdue_ar_base as decimal(18, 2)
        ) as unapplied_credit_base,
        cast(write_off_base as decimal(18, 2)) as write_off_base,
        cast(settled_amount_base as decimal(18, 2)) as settled_amount_base,
        cast(days_to_pay_amount_base as decimal(38, 2)) as days_to_pay_amount_base,
        cast(days_late_amount_base as decimal(38, 2)) as days_late_amount_base,
        cast(paid_on_time_amount_base as decimal(18, 2)) as paid_on_time_amount_base,
        cast(settled_count as bigint) as settled_count,
        cast(invoiced_amount_base as decimal(18, 2)) as invoiced_amount_base,
        cast(at_risk_open_base as decimal(18, 2)) as at_risk_open_base
    from filled
)

select * from final
