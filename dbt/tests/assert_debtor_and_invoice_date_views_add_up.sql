-- The group-debtor exposures add up to the customers' open balances (each customer counted
-- once), and the aging by invoice date adds up to the aging by due date for every entity.
-- Returns the disagreeing totals.
with

customer_balances as (
    select * from {{ ref('customer_balances') }}
),

group_debtor_exposure as (
    select * from {{ ref('group_debtor_exposure') }}
),

entity_aging as (
    select * from {{ ref('entity_aging') }}
),

invoice_date_aging as (
    select * from {{ ref('entity_aging_by_invoice_date') }}
),

debtor_totals as (
    select
        'group_debtor_exposure' as check_name,
        cast(null as varchar) as entity_id,
        coalesce(sum(open_balance_base), 0) as expected_total,
        0 as actual_total,
        count(*) as expected_count,
        0 as actual_count
    from customer_balances
    union all
    select
        'group_debtor_exposure' as check_name,
        cast(null as varchar) as entity_id,
        0 as expected_total,
        coalesce(sum(open_balance_base), 0) as actual_total,
        0 as expected_count,
        coalesce(sum(customer_count), 0) as actual_count
    from group_debtor_exposure
),

aging_totals as (
    select
        'entity_aging_by_invoice_date' as check_name,
        entity_id,
        open_amount_base as expected_total,
        0 as actual_total,
        0 as expected_count,
        0 as actual_count
    from entity_aging
    union all
    select
        'entity_aging_by_invoice_date' as check_name,
        entity_id,
        0 as expected_total,
        open_amount_base as actual_total,
        0 as expected_count,
        0 as actual_count
    from invoice_date_aging
),

checks as (
    select
        check_name,
        entity_id,
        sum(expected_total) as expected_total,
        sum(actual_total) as actual_total,
        sum(expected_count) as expected_count,
        sum(actual_count) as actual_count
    from (
        select * from debtor_totals
        union all
        select * from aging_totals
    ) as totals
    group by check_name, entity_id
),

final as (
    select *
    from checks
    where expected_total <> actual_total or expected_count <> actual_count
)

select * from final
