-- A provider may deliver the same event twice (retries) and in another file: one row per
-- (provider, event_id), the latest delivery.
with

source as (
    select * from {{ source('raw', 'psp_events') }}
),

latest as (
    {{ keep_latest_version('source', ['provider', 'event_id']) }}
),

final as (
    select
        cast(provider as varchar) as provider,
        cast(event_id as varchar) as event_id,
        cast(transaction_id as varchar) as transaction_id,
        cast(entity_id as varchar) as entity_id,
        cast(invoice_reference as varchar) as invoice_reference,
        cast(amount as decimal(18, 2)) as amount,
        upper(cast(currency as varchar)) as currency,
        cast(status as varchar) as status,
        cast(method as varchar) as method,
        cast(event_at as timestamp) as event_at,
        cast(received_at as timestamp) as received_at,
        cast(_source_file as varchar) as source_file,
        cast(_loaded_at as timestamp) as loaded_at
    from latest
)

select * from final
