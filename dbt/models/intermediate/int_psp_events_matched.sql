-- PSP events that happened by the end of the as-of date in the entity's time zone, matched to
-- the document they pay: invoice_reference = the document's payment_reference, else its
-- document_number, within the same entity (only invoices and debit notes issued by the as-of
-- date; on a tie the lowest document_id). Unmatched events stay, with a null document_id.
--
-- Each event is also ranked for the status rule, per document and per transaction: when a
-- paid event exists, only paid events and refunded / charged_back / reversed events after the
-- last paid one can set the status (a failed or pending never supersedes a paid); otherwise
-- the latest event does. Events are ordered by event_at (when they happened at the provider),
-- never by received_at, which only breaks ties.
with

events as (
    select * from {{ ref('stg_psp__events') }}
),

documents as (
    select * from {{ ref('int_documents_signed') }}
),

entities as (
    select * from {{ ref('stg_erp__entities') }}
),

happened as (
    select events.*
    from events
    left join entities
        on events.entity_id = entities.entity_id
    where {{ local_date('events.event_at', 'entities.time_zone') }} <= {{ as_of_date() }}
),

payable as (
    select
        entity_id,
        document_id,
        document_number,
        payment_reference
    from documents
    where document_type in ('invoice', 'debit_note')
),

-- One document per reference and entity, the lowest id on a tie: grouped once here rather than
-- ranking every (event, candidate) pair, which at 10M events was a window over 12M rows.
by_payment_reference as (
    select
        entity_id,
        payment_reference,
        min(document_id) as document_id
    from payable
    where payment_reference is not null
    group by entity_id, payment_reference
),

by_document_number as (
    select
        entity_id,
        document_number,
        min(document_id) as document_id
    from payable
    where document_number is not null
    group by entity_id, document_number
),

matched as (
    select
        happened.*,
        coalesce(by_payment_reference.document_id, by_document_number.document_id)
            as document_id,
        case
            when by_payment_reference.document_id is not null then 'payment_reference'
            when by_document_number.document_id is not null then 'document_number'
        end as matched_on
    from happened
    left join by_payment_reference
        on
            happened.entity_id = by_payment_reference.entity_id
            and happened.invoice_reference = by_payment_reference.payment_reference
    left join by_document_number
        on
            happened.entity_id = by_document_number.entity_id
            and happened.invoice_reference = by_document_number.document_number
),

-- The last paid event per document and per transaction, as aggregates joined back (two window
-- passes over every event before). Unmatched events (no document) form one group per entity,
-- as a window's partition would.
document_paid as (
    select
        entity_id,
        document_id,
        max(event_at) as document_last_paid_at
    from matched
    where status = 'paid'
    group by entity_id, document_id
),

transaction_paid as (
    select
        entity_id,
        document_id,
        provider,
        transaction_id,
        max(event_at) as transaction_last_paid_at
    from matched
    where status = 'paid'
    group by entity_id, document_id, provider, transaction_id
),

with_last_paid as (
    select
        matched.*,
        matched.status in ('refunded', 'charged_back', 'reversed') as is_undo,
        document_paid.document_last_paid_at,
        transaction_paid.transaction_last_paid_at
    from matched
    left join document_paid
        on
            matched.entity_id is not distinct from document_paid.entity_id
            and matched.document_id is not distinct from document_paid.document_id
    left join transaction_paid
        on
            matched.entity_id is not distinct from transaction_paid.entity_id
            and matched.document_id is not distinct from transaction_paid.document_id
            and matched.provider = transaction_paid.provider
            and matched.transaction_id is not distinct from transaction_paid.transaction_id
),

candidacy as (
    select
        *,
        document_last_paid_at is null
        or status = 'paid'
        or (is_undo and event_at > document_last_paid_at) as can_set_document_status,
        transaction_last_paid_at is null
        or status = 'paid'
        or (is_undo and event_at > transaction_last_paid_at) as can_set_transaction_status
    from with_last_paid
),

final as (
    select
        provider,
        event_id,
        transaction_id,
        entity_id,
        invoice_reference,
        document_id,
        matched_on,
        amount,
        currency,
        status,
        method,
        event_at,
        received_at,
        document_last_paid_at,
        transaction_last_paid_at,
        row_number() over (
            partition by entity_id, document_id
            order by
                case when can_set_document_status then 0 else 1 end,
                event_at desc,
                received_at desc,
                event_id desc
        ) as document_status_rank,
        row_number() over (
            partition by entity_id, document_id, provider, transaction_id
            order by
                case when can_set_transaction_status then 0 else 1 end,
                event_at desc,
                received_at desc,
                event_id desc
        ) as transaction_status_rank
    from candidacy
)

select * from final
