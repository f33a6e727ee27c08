-- Simple, countback and best-possible DSO per month end for every reporting scope (group,
-- division, entity, country, segment), each from the scope's summed ledger and sales, never an
-- average of other scopes' DSOs. Best-possible DSO is simple DSO with only the current (not
-- yet due) receivables in the numerator.
--
-- Countback, set-based: walking back from month m, month k is where the receivable is used up
-- when the positive sales of months k..m first reach AR(m). Each month is joined to its earlier
-- months with the positive sales and days from k up to m (differences of running sums); the
-- latest k that reaches AR(m) is the crossing month, and
--   countback = days of months after k up to m + (AR - positive sales after k) / S(k) * d(k).
-- Months with zero or negative sales add nothing to the sales, so they are stepped over and
-- their days counted in full. AR <= 0 gives 0; no crossing month (history too short) gives null.
with

scope_months as (
    select * from {{ ref('int_scope_months_summarized') }}
),

running as (
    select
        *,
        case when net_sales_base > 0 then net_sales_base else 0 end as positive_sales_base,
        sum(case when net_sales_base > 0 then net_sales_base else 0 end) over (
            partition by scope_type, scope_id
            order by month_start
            rows between unbounded preceding and current row
        ) as running_positive_sales_base,
        sum(days_in_month) over (
            partition by scope_type, scope_id
            order by month_start
            rows between unbounded preceding and current row
        ) as running_days,
        sum(net_sales_base) over (
            partition by scope_type, scope_id
            order by month_start
            rows between {{ dso_window_months() - 1 }} preceding and current row
        ) as sales_window_base,
        sum(days_in_month) over (
            partition by scope_type, scope_id
            order by month_start
            rows between {{ dso_window_months() - 1 }} preceding and current row
        ) as window_days
    from scope_months
),

walk_back as (
    select
        current_month.scope_type,
        current_month.scope_id,
        current_month.month_start,
        current_month.ar_base,
        earlier_month.month_start as crossing_month_start,
        earlier_month.net_sales_base as crossing_sales_base,
        earlier_month.days_in_month as crossing_days,
        current_month.running_positive_sales_base
        - earlier_month.running_positive_sales_base as sales_after_crossing_base,
        current_month.running_days - earlier_month.running_days as days_after_crossing
    from running as current_month
    inner join running as earlier_month
        on
            current_month.scope_type = earlier_month.scope_type
            and current_month.scope_id = earlier_month.scope_id
            and current_month.month_start >= earlier_month.month_start
    where
        current_month.ar_base > 0
        and earlier_month.net_sales_base > 0
        and current_month.running_positive_sales_base
        - earlier_month.running_positive_sales_base
        + earlier_month.positive_sales_base >= current_month.ar_base
),

crossings as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by scope_type, scope_id, month_start
                order by crossing_month_start desc
            ) as crossing_rank
        from walk_back
    ) as ranked
    where crossing_rank = 1
),

countback as (
    select
        scope_type,
        scope_id,
        month_start,
        crossing_month_start,
        days_after_crossing
        + (ar_base - sales_after_crossing_base) * crossing_days / crossing_sales_base
            as countback_dso_days
    from crossings
),

final as (
    select
        running.scope_type,
        running.scope_id,
        running.month_start,
        running.month_end,
        running.days_in_month,
        cast(running.ar_base as decimal(18, 2)) as ar_base,
        cast(running.current_ar_base as decimal(18, 2)) as current_ar_base,
        cast(running.net_sales_base as decimal(18, 2)) as net_sales_base,
        cast(running.sales_window_base as decimal(18, 2)) as sales_window_base,
        cast(running.window_days as integer) as window_days,
        cast(
            case
                when running.sales_window_base > 0
                    then running.ar_base * running.window_days / running.sales_window_base
            end as decimal(18, 2)
        ) as simple_dso_days,
        cast(
            case
                when running.sales_window_base > 0
                    then running.current_ar_base * running.window_days / running.sales_window_base
            end as decimal(18, 2)
        ) as best_possible_dso_days,
        cast(
            case
                when running.ar_base <= 0 then 0
                else countback.countback_dso_days
            end as decimal(18, 2)
        ) as countback_dso_days,
        countback.crossing_month_start as countback_month_start
    from running
    left join countback
        on
            running.scope_type = countback.scope_type
            and running.scope_id = countback.scope_id
            and running.month_start = countback.month_start
)

select * from final
