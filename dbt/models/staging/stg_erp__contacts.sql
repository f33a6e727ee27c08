with

source as (
    select * from {{ source('raw', 'contacts') }}
),

latest as (
    {{ keep_latest_version('source', ['entity_id', 'contact_id']) }}
),

final as (
    select
        cast(entity_id as varchar) as entity_id,
        cast(contact_id as varchar) as contact_id,
        cast(customer_id as varchar) as customer_id,
        cast(document_id as varchar) as document_id,
        cast(sent_at as timestamp) as sent_at,
        cast(channel as varchar) as channel,
        cast(tone as varchar) as tone,
        cast(language as varchar) as language,
        cast(offer as varchar) as offer,
        cast(reminder_level as integer) as reminder_level,
        cast(_source_file as varchar) as source_file,
        cast(_loaded_at as timestamp) as loaded_at
    from latest
)

select * from final
