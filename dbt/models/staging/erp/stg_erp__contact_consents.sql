with

source as (
    select * from {{ source('raw', 'contact_consents') }}
),

latest as (
    {{ keep_latest_version('source', ['entity_id', 'customer_id', 'channel', 'recorded_at']) }}
),

final as (
    select
        cast(entity_id as varchar) as entity_id,
        cast(customer_id as varchar) as customer_id,
        cast(channel as varchar) as channel,
        cast(has_consent as boolean) as has_consent,
        cast(recorded_at as timestamp) as recorded_at,
        cast(_source_file as varchar) as source_file,
        cast(_source_row as bigint) as source_row,
        cast(_loaded_at as timestamp) as loaded_at
    from latest
)

select * from final
