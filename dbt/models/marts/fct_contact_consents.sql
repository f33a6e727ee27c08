-- Each debtor's consent per channel as of the as-of date: the latest record on or before it
-- (in the business dates of the entity's time zone). A later withdrawal replaces an opt-in;
-- a record after the as-of date does not count yet.
with

consents as (
    select * from {{ ref('stg_erp__contact_consents') }}
),

entities as (
    select * from {{ ref('stg_erp__entities') }}
),

dated as (
    select
        consents.entity_id,
        consents.customer_id,
        consents.channel,
        consents.has_consent,
        consents.recorded_at,
        {{ local_date('consents.recorded_at', 'entities.time_zone') }} as recorded_date
    from consents
    left join entities
        on consents.entity_id = entities.entity_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by entity_id, customer_id, channel
            order by recorded_at desc
        ) as recency_rank
    from dated
    where recorded_date <= {{ as_of_date() }}
),

final as (
    select
        entity_id,
        customer_id,
        channel,
        has_consent,
        recorded_at,
        recorded_date,
        {{ as_of_date() }} as as_of_date
    from ranked
    where recency_rank = 1
)

select * from final
