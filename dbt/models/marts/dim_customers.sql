-- Customers without personal data: names, e-mail addresses, phone numbers and IBANs stay in
-- staging (the reminder renderer reads them there); the marts only say whether they exist.
with

customers as (
    select * from {{ ref('stg_erp__customers') }}
),

entities as (
    select * from {{ ref('stg_erp__entities') }}
),

debtor_keys as (
    select * from {{ ref('int_customers_debtor_keyed') }}
),

final as (
    select
        customers.entity_id,
        customers.customer_id,
        customers.customer_type,
        customers.country_code,
        customers.language,
        customers.segment,
        coalesce(trim(customers.email) <> '', false) as has_email,
        coalesce(trim(customers.phone) <> '', false) as has_phone,
        -- The input contract carries no postal address yet, so no customer has one here.
        false as has_address,
        coalesce(trim(customers.iban) <> '', false) as has_iban,
        customers.group_debtor_id,
        customers.credit_limit,
        entities.division,
        debtor_keys.group_debtor_key,
        debtor_keys.group_debtor_key_source
    from customers
    left join entities
        on customers.entity_id = entities.entity_id
    left join debtor_keys
        on
            customers.entity_id = debtor_keys.entity_id
            and customers.customer_id = debtor_keys.customer_id
)

select * from final
