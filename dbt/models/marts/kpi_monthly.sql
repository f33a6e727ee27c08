-- The receivables KPI set of shared/design/KPIS.md per reporting scope and month, long
-- format: scope_type in (group, division, entity, country, segment), scope_id the group
-- ('group'), division, entity_id, country code of the entity, or customer segment. Every figure
-- comes from the scope's summed parts (int_scope_months_summarized), so a division's DSO is not
-- an average of its entities' DSOs. A ratio whose denominator is zero or less is null.
--
-- Periods: DSO figures use the dso_window_months window; the collection effectiveness index
-- the cei_window_months window (N); days to pay, days late, paid on time and the bad-debt
-- ratio the month itself. The at-risk rate of a month's invoices is only known once
-- at_risk_days have passed after the month's last day; until then it is null.
with

scope_months as (
    select * from {{ ref('int_scope_months_summarized') }}
),

dso_months as (
    select * from {{ ref('int_dso_months_computed') }}
),

cei_windows as (
    select
        scope_type,
        scope_id,
        month_start,
        coalesce(
            lag(ar_base, {{ cei_window_months() }}) over scope_order, 0
        ) as cei_ar_start_base,
        sum(net_sales_base) over (
            scope_order rows between {{ cei_window_months() - 1 }} preceding and current row
        ) as cei_sales_base
    from scope_months
    window scope_order as (partition by scope_type, scope_id order by month_start)
),

joined as (
    select
        scope_months.*,
        dso_months.sales_window_base,
        dso_months.window_days,
        dso_months.simple_dso_days,
        dso_months.countback_dso_days,
        dso_months.best_possible_dso_days,
        cei_windows.cei_ar_start_base,
        cei_windows.cei_sales_base,
        cei_windows.cei_ar_start_base
        + cei_windows.cei_sales_base / {{ cei_window_months() }} as cei_collectible_base
    from scope_months
    inner join dso_months
        on
            scope_months.scope_type = dso_months.scope_type
            and scope_months.scope_id = dso_months.scope_id
            and scope_months.month_start = dso_months.month_start
    inner join cei_windows
        on
            scope_months.scope_type = cei_windows.scope_type
            and scope_months.scope_id = cei_windows.scope_id
            and scope_months.month_start = cei_windows.month_start
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        scope_type,
        scope_id,
        month_start,
        month_end,
        days_in_month,
        {{ group_currency() }} as base_currency,
        ar_base,
        current_ar_base,
        overdue_ar_base,
        unapplied_credit_base,
        net_sales_base,
        sales_window_base,
        window_days,
        simple_dso_days,
        countback_dso_days,
        best_possible_dso_days,
        simple_dso_days - best_possible_dso_days as average_days_delinquent,
        cast(cei_ar_start_base as decimal(18, 2)) as cei_ar_start_base,
        cast(cei_sales_base as decimal(18, 2)) as cei_sales_base,
        cast(
            case
                when cei_collectible_base - current_ar_base > 0
                    then
                        (cei_collectible_base - ar_base)
                        / (cei_collectible_base - current_ar_base) * 100
            end as decimal(18, 2)
        ) as collection_effectiveness_pct,
        settled_count,
        settled_amount_base,
        cast(
            case
                when settled_amount_base > 0
                    then days_to_pay_amount_base / settled_amount_base
            end as decimal(18, 2)
        ) as weighted_days_to_pay,
        cast(
            case
                when settled_amount_base > 0
                    then days_late_amount_base / settled_amount_base
            end as decimal(18, 2)
        ) as weighted_days_late,
        cast(
            case
                when settled_amount_base > 0
                    then paid_on_time_amount_base / settled_amount_base * 100
            end as decimal(18, 2)
        ) as paid_on_time_pct,
        write_off_base,
        cast(
            case
                when net_sales_base > 0 then write_off_base / net_sales_base * 100
            end as decimal(18, 2)
        ) as bad_debt_ratio_pct,
        invoiced_amount_base,
        at_risk_open_base,
        {{ dbt.dateadd('day', at_risk_days(), 'month_last_day') }}
        <= {{ as_of_date() }} as is_at_risk_final,
        cast(
            case
                when
                    invoiced_amount_base > 0
                    and {{ dbt.dateadd('day', at_risk_days(), 'month_last_day') }}
                    <= {{ as_of_date() }}
                    then at_risk_open_base / invoiced_amount_base * 100
            end as decimal(18, 2)
        ) as at_risk_rate_pct
    from joined
)

select * from final
