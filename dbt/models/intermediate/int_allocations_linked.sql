-- Allocations booked on or before the as-of date, each tied to the item it settles: the
-- document it names (or, for an allocation to a linked credit note, the document that credit
-- note settles). An allocation without a document, or whose document is not issued by the
-- as-of date, is an unapplied payment: customer credit, valued at its booked date's rate.
-- An allocation booked before its item exists applies to it from that day (applies_from_date)
-- and until then sits in a pending item: an unapplied payment of its own (an advance), or the
-- credit note it names while that credit note waits for the invoice it settles.
with

allocations as (
    select * from {{ ref('stg_erp__allocations') }}
),

documents as (
    select * from {{ ref('int_documents_signed') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

booked as (
    select *
    from allocations
    where booked_date <= {{ as_of_date() }}
),

linked as (
    select
        booked.*,
        documents.item_document_id,
        documents.item_effective_date,
        documents.is_linked_settlement as names_linked_settlement,
        documents.document_type,
        documents.issue_date as document_issue_date,
        documents.currency as document_currency
    from booked
    left join documents
        on
            booked.entity_id = documents.entity_id
            and booked.document_id = documents.document_id
),

converted as (
    select
        linked.*,
        case
            when linked.currency = {{ group_currency() }} then cast(1 as decimal(38, 18))
            else fx_rates.rate_to_base
        end as booked_fx_rate_to_base
    from linked
    left join fx_rates
        on
            linked.currency = fx_rates.currency
            and linked.booked_date >= fx_rates.valid_from
            and linked.booked_date < fx_rates.valid_to
),

final as (
    select
        entity_id,
        allocation_id,
        customer_id,
        document_id,
        item_document_id,
        item_document_id is null as is_unapplied,
        case
            when item_effective_date > booked_date then item_effective_date else booked_date
        end as applies_from_date,
        coalesce(item_effective_date > booked_date, false) as is_predated,
        case
            when
                names_linked_settlement
                and item_effective_date > booked_date
                and booked_date >= document_issue_date
                then document_type
            when item_effective_date > booked_date then 'unapplied_payment'
        end as pending_item_type,
        case
            when
                names_linked_settlement
                and item_effective_date > booked_date
                and booked_date >= document_issue_date
                then document_id
            when item_effective_date > booked_date then allocation_id
        end as pending_item_id,
        amount,
        -amount as ar_effect,
        currency,
        document_currency,
        booked_date,
        method,
        source,
        booked_fx_rate_to_base
    from converted
)

select * from final
