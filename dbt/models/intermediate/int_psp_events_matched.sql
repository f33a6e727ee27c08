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

candidates as (
    select
        happened.provider,
        happened.event_id,
        payable.document_id,
        1 as match_priority,
        'payment_reference' as matched_on
    from happened
    inner join payable
        on
            happened.entity_id = payable.entity_id
            and happened.invoice_reference = payable.payment_reference
    union all
    select
        happened.provider,
        happened.event_id,
        payable.document_id,
        2 as match_priority,
        'document_number' as matched_on
    from happened
    inner join payable
        on
            happened.entity_id = payable.entity_id
            and happened.invoice_reference = payable.document_number
),

best_matches as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by provider, event_id
                order by match_priority, document_id
            ) as match_rank
        from candidates
    ) as ranked
    where match_rank = 1
),

matched as (
    select
        happened.*,
        best_matches.document_id,
        best_matches.matched_on
    from happened
    left join best_matches
        on
            happened.provider = best_matches.provider
            and happened.event_id = best_matches.event_id
),

with_last_paid as (
    select
        *,
        status in ('refunded', 'charged_back', 'reversed') as is_undo,
        max(case when status = 'paid' then event_at end) over (
            partition by entity_id, document_id
        ) as document_last_paid_at,
        max(case when status = 'paid' then event_at end) over (
            partition by entity_id, document_id, provider, transaction_id
        ) as transaction_last_paid_at
    from matched
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
