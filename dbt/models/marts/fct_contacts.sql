with

contacts as (
    select * from {{ ref('stg_erp__contacts') }}
),

final as (
    select
        entity_id,
        contact_id,
        customer_id,
        document_id,
        sent_at,
        cast(sent_at as date) as sent_date,
        channel,
        tone,
        language,
        offer,
        reminder_level
    from contacts
    where sent_at < {{ as_of_end_at() }}
)

select * from final
