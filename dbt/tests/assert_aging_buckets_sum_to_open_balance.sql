-- Buckets add up to the open balance, for every customer and in total: customer_aging,
-- customer_balances and fct_open_items agree per customer; entity_aging and group_aging agree
-- with them in total. Returns the disagreeing rows.
with

customer_aging as (
    select * from {{ ref('customer_aging') }}
),

customer_balances as (
    select * from {{ ref('customer_balances') }}
),

open_items as (
    select * from {{ ref('fct_open_items') }}
),

entity_aging as (
    select * from {{ ref('entity_aging') }}
),

group_aging as (
    select * from {{ ref('group_aging') }}
),

customer_amounts as (
    select
        entity_id,
        customer_id,
        open_amount_base as aging_amount,
        0 as balance_amount,
        0 as item_amount
    from customer_aging
    union all
    select
        entity_id,
        customer_id,
        0 as aging_amount,
        open_balance_base as balance_amount,
        0 as item_amount
    from customer_balances
    union all
    select
        entity_id,
        customer_id,
        0 as aging_amount,
        0 as balance_amount,
        open_amount_base as item_amount
    from open_items
),

per_customer as (
    select
        'customer' as check_level,
        entity_id,
        customer_id,
        sum(aging_amount) as aging_total,
        sum(balance_amount) as balance_total,
        sum(item_amount) as item_total,
        sum(aging_amount) as other_total
    from customer_amounts
    group by entity_id, customer_id
),

grand_totals as (
    select
        sum(aging_amount) as aging_total,
        sum(balance_amount) as balance_total,
        sum(item_amount) as item_total
    from customer_amounts
),

entity_aging_total as (
    select sum(open_amount_base) as other_total
    from entity_aging
),

group_aging_total as (
    select sum(open_amount_base) as other_total
    from group_aging
),

in_total as (
    select
        'entity_aging' as check_level,
        cast(null as varchar) as entity_id,
        cast(null as varchar) as customer_id,
        grand_totals.aging_total,
        grand_totals.balance_total,
        grand_totals.item_total,
        entity_aging_total.other_total
    from grand_totals
    cross join entity_aging_total
    union all
    select
        'group_aging' as check_level,
        cast(null as varchar) as entity_id,
        cast(null as varchar) as customer_id,
        grand_totals.aging_total,
        grand_totals.balance_total,
        grand_totals.item_total,
        group_aging_total.other_total
    from grand_totals
    cross join group_aging_total
),

checks as (
    select * from per_customer
    union all
    select * from in_total
),

final as (
    select *
    from checks
    where
        coalesce(aging_total, 0) <> coalesce(balance_total, 0)
        or coalesce(balance_total, 0) <> coalesce(item_total, 0)
        or coalesce(item_total, 0) <> coalesce(other_total, 0)
)

select * from final
