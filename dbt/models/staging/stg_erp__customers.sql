with

source as (
    select * from {{ source('raw', 'customers') }}
),

latest as (
    {{ keep_latest_version('source', ['entity_id', 'customer_id']) }}
),

final as (
    select
        cast(entity_id as varchar) as entity_id,
        cast(customer_id as varchar) as customer_id,
        cast(customer_name as varchar) as customer_name,
        cast(customer_type as varchar) as customer_type,
        cast(country_code as varchar) as country_code,
        cast(language as varchar) as language,
        cast(segment as varchar) as segment,
        cast(email as varchar) as email,
        cast(phone as varchar) as phone,
        cast(iban as varchar) as iban,
        cast(group_debtor_id as varchar) as group_debtor_id,
        cast(credit_limit as decimal(18, 2)) as credit_limit,
        cast(vat_number as varchar) as vat_number,
        cast(_source_file as varchar) as source_file,
        cast(_loaded_at as timestamp) as loaded_at
    from latest
)

select * from final
