-- One row per entity and month, from the entity's first ledger month to the as-of month (which
-- ends at the as-of date): days in the month, net credit sales and the ledger balance in base
-- currency. The balance is set-based: the running sum of each month's ledger effects, so at
-- the as-of month it equals the entity's open items to the cent.
with

documents as (
    select * from {{ ref('int_documents_signed') }}
),

entries as (
    select * from {{ ref('int_ledger_entries_valued') }}
),

month_offsets as (
    -- 1200 months = 100 years of history, far more than any entity keeps.
    {{ dbt.generate_series(1200) }}
),

first_months as (
    select
        entity_id,
        min(entry_month) as first_month_start
    from entries
    group by entity_id
),

spine as (
    select
        first_months.entity_id,
        cast(
            {{ dbt.dateadd('month', 'month_offsets.generated_number - 1',
                'first_months.first_month_start') }}
            as date
        ) as month_start
    from first_months
    cross join month_offsets
    where
        {{ dbt.dateadd('month', 'month_offsets.generated_number - 1',
            'first_months.first_month_start') }}
        <= {{ dbt.date_trunc('month', as_of_date()) }}
),

months as (
    select
        entity_id,
        month_start,
        case
            when {{ dbt.last_day('month_start', 'month') }} > {{ as_of_date() }}
                then {{ as_of_date() }}
            else cast({{ dbt.last_day('month_start', 'month') }} as date)
        end as month_end
    from spine
),

monthly_sales as (
    select
        entity_id,
        cast({{ dbt.date_trunc('month', 'issue_date') }} as date) as month_start,
        sum(
            case
                when document_type in ('invoice', 'debit_note') then amount_base
                when document_type = 'credit_note' then -amount_base
                else 0
            end
        ) as net_sales_base
    from documents
    group by entity_id, cast({{ dbt.date_trunc('month', 'issue_date') }} as date)
),

monthly_ledger as (
    select
        entity_id,
        entry_month as month_start,
        sum(ar_effect_base) as ar_change_base
    from entries
    group by entity_id, entry_month
),

joined as (
    select
        months.entity_id,
        months.month_start,
        months.month_end,
        {{ days_between('months.month_start', 'months.month_end') }} + 1 as days_in_month,
        coalesce(monthly_sales.net_sales_base, 0) as net_sales_base,
        coalesce(monthly_ledger.ar_change_base, 0) as ar_change_base
    from months
    left join monthly_sales
        on
            months.entity_id = monthly_sales.entity_id
            and months.month_start = monthly_sales.month_start
    left join monthly_ledger
        on
            months.entity_id = monthly_ledger.entity_id
            and months.month_start = monthly_ledger.month_start
),

final as (
    select
        entity_id,
        month_start,
        month_end,
        days_in_month,
        cast(net_sales_base as decimal(18, 2)) as net_sales_base,
        cast(ar_change_base as decimal(18, 2)) as ar_change_base,
        cast(
            sum(ar_change_base) over (
                partition by entity_id
                order by month_start
                rows between unbounded preceding and current row
            ) as decimal(18, 2)
        ) as ar_base
    from joined
)

select * from final
