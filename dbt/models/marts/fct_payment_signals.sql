-- The PSP view of each document with a signal by the end of the as-of date. last_status
-- follows the rule in int_psp_events_matched (a failed or pending never supersedes a paid;
-- refunded, charged_back or reversed after the last paid does). paid_amount counts each
-- provider transaction once, in its own final state, so duplicate webhooks and a second event
-- for the same payment (e.g. intent and charge) do not double it.
with

events as (
    select * from {{ ref('int_psp_events_matched') }}
),

documents as (
    select * from {{ ref('int_documents_signed') }}
),

matched as (
    select *
    from events
    where document_id is not null
),

transaction_states as (
    select
        entity_id,
        document_id,
        status as transaction_status,
        amount as transaction_amount
    from matched
    where transaction_status_rank = 1
),

paid_amounts as (
    select
        entity_id,
        document_id,
        sum(
            case when transaction_status = 'paid' then transaction_amount else 0 end
        ) as paid_amount
    from transaction_states
    group by entity_id, document_id
),

deciding_events as (
    select
        entity_id,
        document_id,
        status as last_status,
        event_at as last_status_at,
        provider,
        method,
        currency,
        document_last_paid_at
    from matched
    where document_status_rank = 1
),

event_counts as (
    select
        entity_id,
        document_id,
        count(*) as event_count,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at
    from matched
    group by entity_id, document_id
),

final as (
    select
        deciding_events.entity_id,
        deciding_events.document_id,
        documents.customer_id,
        deciding_events.last_status,
        deciding_events.last_status_at,
        cast(paid_amounts.paid_amount as decimal(18, 2)) as paid_amount,
        deciding_events.currency,
        case
            when deciding_events.last_status = 'paid'
                then deciding_events.document_last_paid_at
        end as paid_at,
        deciding_events.provider,
        deciding_events.method,
        event_counts.event_count,
        event_counts.first_event_at,
        event_counts.last_event_at
    from deciding_events
    inner join paid_amounts
        on
            deciding_events.entity_id = paid_amounts.entity_id
            and deciding_events.document_id = paid_amounts.document_id
    inner join event_counts
        on
            deciding_events.entity_id = event_counts.entity_id
            and deciding_events.document_id = event_counts.document_id
    left join documents
        on
            deciding_events.entity_id = documents.entity_id
            and deciding_events.document_id = documents.document_id
)

select * from final
