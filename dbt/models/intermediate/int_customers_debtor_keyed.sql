-- Every customer with the key of the debtor it is across the group's entities:
-- 1. its group_debtor_id, when the ERP delivers one;
-- 2. else the group_debtor_id of another customer with the same VAT number, then of one with
--    the same IBAN (one step each, the lowest id);
-- 3. else its VAT number (spaces, dots and dashes removed, upper case), hashed: a sole
--    trader's VAT number can identify a person;
-- 4. else its IBAN (spaces removed, upper case), hashed so no bank account reaches a mart;
-- 5. else the customer itself (entity_id:customer_id).
with

customers as (
    select * from {{ ref('stg_erp__customers') }}
),

normalised as (
    select
        entity_id,
        customer_id,
        nullif(trim(group_debtor_id), '') as group_debtor_id,
        nullif(upper(replace(coalesce(iban, ''), ' ', '')), '') as iban_key,
        nullif(
            upper(replace(replace(replace(coalesce(vat_number, ''), ' ', ''), '.', ''), '-', '')),
            ''
        ) as vat_key
    from customers
),

vat_group_debtors as (
    select
        vat_key,
        min(group_debtor_id) as group_debtor_id
    from normalised
    where vat_key is not null and group_debtor_id is not null
    group by vat_key
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
            when vat_group_debtors.group_debtor_id is not null
                then vat_group_debtors.group_debtor_id
            when iban_group_debtors.group_debtor_id is not null
                then iban_group_debtors.group_debtor_id
            when normalised.vat_key is not null then 'VAT-' || md5(normalised.vat_key)
            when normalised.iban_key is not null then 'IBAN-' || md5(normalised.iban_key)
            else normalised.entity_id || ':' || normalised.customer_id
        end as group_debtor_key,
        case
            when normalised.group_debtor_id is not null then 'group_debtor_id'
            when vat_group_debtors.group_debtor_id is not null then 'vat_to_group_debtor_id'
            when iban_group_debtors.group_debtor_id is not null then 'iban_to_group_debtor_id'
            when normalised.vat_key is not null then 'vat_number'
            when normalised.iban_key is not null then 'iban'
            else 'customer'
        end as group_debtor_key_source
    from normalised
    left join vat_group_debtors
        on normalised.vat_key = vat_group_debtors.vat_key
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
