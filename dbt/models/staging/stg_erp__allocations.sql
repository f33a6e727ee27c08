with

source as (
    select * from {{ source('raw', 'allocations') }}
),

latest as (
    {{ keep_latest_version('source', ['entity_id', 'allocation_id']) }}
),

final as (
    select
        cast(entity_id as varchar) as entity_id,
        cast(allocation_id as varchar) as allocation_id,
        cast(customer_id as varchar) as customer_id,
        cast(document_id as varchar) as document_id,
        cast(amount as decimal(18, 2)) as amount,
        upper(cast(currency as varchar)) as currency,
        cast(booked_date as date) as booked_date,
        cast(method as varchar) as method,
        cast(source as varchar) as source,
        cast(_source_file as varchar) as source_file,
        cast(_loaded_at as timestamp) as loaded_at
    from latest
)

select * from final
