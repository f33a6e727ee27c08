-- The group's ledger balance at the as-of date (the DSO numerator) equals its open items.
with

group_dso_monthly as (
    select * from {{ ref('group_dso_monthly') }}
),

open_items as (
    select * from {{ ref('fct_open_items') }}
),

as_of_month as (
    select coalesce(sum(ar_base), 0) as ar_base
    from group_dso_monthly
    where month_end = {{ as_of_date() }}
),

open_total as (
    select coalesce(sum(open_amount_base), 0) as open_amount_base
    from open_items
),

final as (
    select
        as_of_month.ar_base,
        open_total.open_amount_base
    from as_of_month
    cross join open_total
    where as_of_month.ar_base <> open_total.open_amount_base
)

select * from final
