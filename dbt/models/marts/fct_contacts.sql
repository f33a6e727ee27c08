-- Contacts sent on or before the as-of date, in the business dates of the sending entity's
-- time zone (sent_at stays UTC).
with

contacts as (
    select * from {{ ref('stg_erp__contacts') }}
),

entities as (
    select * from {{ ref('stg_erp__entities') }}
),

dated as (
    select
        contacts.*,
        {{ local_date('contacts.sent_at', 'entities.time_zone') }} as sent_date
    from contacts
    left join entities
        on contacts.entity_id = entities.entity_id
),

final as (
    select
        entity_id,
        contact_id,
        customer_id,
        document_id,
        sent_at,
        sent_date,
        channel,
        tone,
        language,
        offer,
        reminder_level
    from dated
    where sent_date <= {{ as_of_date() }}
)

select * from final
