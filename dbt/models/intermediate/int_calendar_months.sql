-- One row per calendar month from the first month of any ledger entry to the as-of month.
-- month_end is the month's last day, except in the as-of month, which ends at the as-of date;
-- month_last_day is always the calendar's last day (used where a figure is only final once a
-- fixed number of days after the month has passed).
with

entries as (
    select * from {{ ref('int_ledger_entries_valued') }}
),

month_offsets as (
    -- 1200 months = 100 years of history, far more than any ledger keeps.
    {{ dbt.generate_series(1200) }}
),

first_month as (
    select min(entry_month) as first_month_start
    from entries
),

spine as (
    select
        cast(
            {{ dbt.dateadd('month', 'month_offsets.generated_number - 1',
                'first_month.first_month_start') }}
            as date
        ) as month_start
    from first_month
    cross join month_offsets
    where
        {{ dbt.dateadd('month', 'month_offsets.generated_number - 1',
            'first_month.first_month_start') }}
        <= {{ dbt.date_trunc('month', as_of_date()) }}
),

months as (
    select
        month_start,
        case
            when {{ dbt.last_day('month_start', 'month') }} > {{ as_of_date() }}
                then {{ as_of_date() }}
            else cast({{ dbt.last_day('month_start', 'month') }} as date)
        end as month_end,
        cast({{ dbt.last_day('month_start', 'month') }} as date) as month_last_day
    from spine
),

final as (
    select
        month_start,
        month_end,
        month_last_day,
        {{ days_between('month_start', 'month_end') }} + 1 as days_in_month
    from months
)

select * from final
