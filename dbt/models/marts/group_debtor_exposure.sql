-- Total exposure per debtor across the group's entities (int_customers_debtor_keyed decides
-- who is the same debtor). Every customer with open items belongs to exactly one debtor, so
-- the exposures add up to the group's open balance without double counting (tested).
-- Credit limits are in each entity's base currency and converted at the as-of date's rate.
with

customer_balances as (
    select * from {{ ref('customer_balances') }}
),

customers as (
    select * from {{ ref('stg_erp__customers') }}
),

entities as (
    select * from {{ ref('stg_erp__entities') }}
),

debtor_keys as (
    select * from {{ ref('int_customers_debtor_keyed') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

limits as (
    select
        customers.entity_id,
        customers.customer_id,
        case
            when entities.base_currency = {{ group_currency() }}
                then customers.credit_limit
            else {{ to_base_currency('customers.credit_limit', 'fx_rates.rate_to_base') }}
        end as credit_limit_base
    from customers
    left join entities
        on customers.entity_id = entities.entity_id
    left join fx_rates
        on
            entities.base_currency = fx_rates.currency
            and {{ as_of_date() }} >= fx_rates.valid_from
            and {{ as_of_date() }} < fx_rates.valid_to
),

keyed_balances as (
    select
        customer_balances.*,
        coalesce(
            debtor_keys.group_debtor_key,
            customer_balances.entity_id || ':' || customer_balances.customer_id
        ) as group_debtor_key,
        coalesce(debtor_keys.group_debtor_key_source, 'customer') as group_debtor_key_source,
        limits.credit_limit_base
    from customer_balances
    left join debtor_keys
        on
            customer_balances.entity_id = debtor_keys.entity_id
            and customer_balances.customer_id = debtor_keys.customer_id
    left join limits
        on
            customer_balances.entity_id = limits.entity_id
            and customer_balances.customer_id = limits.customer_id
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        group_debtor_key,
        min(group_debtor_key_source) as group_debtor_key_source,
        {{ group_currency() }} as base_currency,
        count(distinct entity_id) as entity_count,
        count(*) as customer_count,
        cast(sum(open_balance_base) as decimal(18, 2)) as open_balance_base,
        cast(sum(invoiced_open_base) as decimal(18, 2)) as invoiced_open_base,
        cast(sum(unapplied_credit_base) as decimal(18, 2)) as unapplied_credit_base,
        cast(sum(overdue_amount_base) as decimal(18, 2)) as overdue_amount_base,
        max(max_days_past_due) as max_days_past_due,
        cast(sum(credit_limit_base) as decimal(18, 2)) as credit_limit_base,
        {{ dbt.bool_or('has_disputed_item') }} as has_disputed_item
    from keyed_balances
    group by group_debtor_key
)

select * from final
