-- Every customer with the key of the debtor it is across the group's entities:
-- 1. its group_debtor_id, when the ERP delivers one;
-- 2. else the group_debtor_id of another customer with the same IBAN (one step, the lowest);
-- 3. else its IBAN (spaces removed, upper case), hashed so no bank account reaches a mart;
-- 4. else the customer itself (entity_id:customer_id).
-- The contract has no VAT number; once it has, it belongs between 1 and 3.
with

customers as (
    select * from {{ ref('stg_erp__customers') }}
),

normalised as (
    select
        entity_id,
        customer_id,
        nullif(trim(group_debtor_id), '') as group_debtor_id,
        nullif(upper(replace(coalesce(iban, ''), ' ', '')), '') as iban_key
    from customers
),

iban_group_debtors as (
    select
        iban_key,
        min(group_debtor_id) as group_debtor_id
    from normalised
    where iban_key is not null and group_debtor_id is not null
    group by iban_key
),

keyed as (
    select
        normalised.entity_id,
        normalised.customer_id,
        normalised.group_debtor_id,
        case
            when normalised.group_debtor_id is not null then normalised.group_debtor_id
            when iban_group_debtors.group_debtor_id is not null
                then iban_group_debtors.group_debtor_id
            when normalised.iban_key is not null then 'IBAN-' || md5(normalised.iban_key)
            else normalised.entity_id || ':' || normalised.customer_id
        end as group_debtor_key,
        case
            when normalised.group_debtor_id is not null then 'group_debtor_id'
            when iban_group_debtors.group_debtor_id is not null then 'iban_to_group_debtor_id'
            when normalised.iban_key is not null then 'iban'
            else 'customer'
        end as group_debtor_key_source
    from normalised
    left join iban_group_debtors
        on normalised.iban_key = iban_group_debtors.iban_key
),

final as (
    select
        entity_id,
        customer_id,
        group_debtor_key,
        group_debtor_key_source
    from keyed
)

select * from final
