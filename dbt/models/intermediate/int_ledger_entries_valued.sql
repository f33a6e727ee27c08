-- Every entry of the receivable ledger up to the as-of date, tied to the open item it moves:
-- the item's own document, the credit notes and write-offs that settle it, the allocations to
-- it, and unapplied payments (items of their own).
--
-- Base currency: an item and everything that settles it are valued at the item's own rate
-- (the document's issue-date rate; an unapplied payment's booked-date rate), so a settled
-- item is zero in base currency too. Each entry's base effect is the change it makes to the
-- item's rounded base balance: round(open after * rate) - round(open before * rate). The
-- base effects of any prefix of the entries in date order therefore add up exactly to the
-- rounded base open amount of every item at that date, which is what lets the monthly ledger
-- (DSO) and the open items reconcile to the cent.
--
-- History is never rewritten: a credit note or an allocation dated before the document it
-- settles is unapplied credit (an item of its own, at its own rate) until that document's
-- issue date, when a 'transfer' entry moves it into the document. Any past date therefore
-- reads the same in this run as in a run as of that date.
with

documents as (
    select * from {{ ref('int_documents_signed') }}
),

allocations as (
    select * from {{ ref('int_allocations_linked') }}
),

items as (
    select
        entity_id,
        document_id as item_id,
        document_type as item_type,
        customer_id,
        currency,
        fx_rate_to_base
    from documents
    where not is_linked_settlement
),

document_entries as (
    select
        entity_id,
        document_id as item_id,
        document_type as item_type,
        'document' as entry_kind,
        1 as entry_kind_order,
        document_id as entry_id,
        issue_date as entry_date,
        ar_effect
    from documents
    where not is_linked_settlement
),

settlement_entries as (
    select
        documents.entity_id,
        documents.settles_document_id as item_id,
        items.item_type,
        documents.document_type as entry_kind,
        2 as entry_kind_order,
        documents.document_id as entry_id,
        documents.item_effective_date as entry_date,
        documents.ar_effect
    from documents
    inner join items
        on
            documents.entity_id = items.entity_id
            and documents.settles_document_id = items.item_id
    where documents.is_linked_settlement
),

allocation_entries as (
    select
        allocations.entity_id,
        allocations.item_document_id as item_id,
        items.item_type,
        'allocation' as entry_kind,
        3 as entry_kind_order,
        allocations.allocation_id as entry_id,
        allocations.applies_from_date as entry_date,
        allocations.ar_effect
    from allocations
    inner join items
        on
            allocations.entity_id = items.entity_id
            and allocations.item_document_id = items.item_id
    where not allocations.is_unapplied
),

document_item_entries as (
    select * from document_entries
    union all
    select * from settlement_entries
    union all
    select * from allocation_entries
),

item_entries as (
    select
        document_item_entries.*,
        items.customer_id,
        items.currency,
        items.fx_rate_to_base
    from document_item_entries
    inner join items
        on
            document_item_entries.entity_id = items.entity_id
            and document_item_entries.item_id = items.item_id
),

predated_credit_entries as (
    -- A credit note or write-off dated before the document it settles: unapplied credit of
    -- its own from its issue date, moved into that document on the document's issue date.
    select
        entity_id,
        document_id as item_id,
        document_type as item_type,
        'document' as entry_kind,
        1 as entry_kind_order,
        document_id as entry_id,
        issue_date as entry_date,
        ar_effect,
        customer_id,
        currency,
        fx_rate_to_base
    from documents
    where is_linked_settlement and item_effective_date > issue_date
    union all
    select
        entity_id,
        document_id as item_id,
        document_type as item_type,
        'transfer' as entry_kind,
        4 as entry_kind_order,
        document_id as entry_id,
        item_effective_date as entry_date,
        -ar_effect as ar_effect,
        customer_id,
        currency,
        fx_rate_to_base
    from documents
    where is_linked_settlement and item_effective_date > issue_date
),

unapplied_payment_entries as (
    select
        entity_id,
        allocation_id as item_id,
        'unapplied_payment' as item_type,
        'allocation' as entry_kind,
        1 as entry_kind_order,
        allocation_id as entry_id,
        booked_date as entry_date,
        ar_effect,
        customer_id,
        currency,
        booked_fx_rate_to_base as fx_rate_to_base
    from allocations
    where is_unapplied
),

pending_allocations as (
    -- Allocations booked before their item exists: in a pending item until then (an
    -- unapplied payment of their own, or the credit note they name while it waits for its
    -- invoice), valued at that pending item's rate.
    select
        allocations.*,
        case
            when allocations.pending_item_type = 'unapplied_payment'
                then allocations.booked_fx_rate_to_base
            else pending_documents.fx_rate_to_base
        end as pending_fx_rate_to_base
    from allocations
    left join documents as pending_documents
        on
            allocations.entity_id = pending_documents.entity_id
            and allocations.pending_item_id = pending_documents.document_id
            and allocations.pending_item_type <> 'unapplied_payment'
    where allocations.is_predated
),

pending_allocation_entries as (
    select
        entity_id,
        pending_item_id as item_id,
        pending_item_type as item_type,
        'allocation' as entry_kind,
        3 as entry_kind_order,
        allocation_id as entry_id,
        booked_date as entry_date,
        ar_effect,
        customer_id,
        currency,
        pending_fx_rate_to_base as fx_rate_to_base
    from pending_allocations
    union all
    select
        entity_id,
        pending_item_id as item_id,
        pending_item_type as item_type,
        'allocation_transfer' as entry_kind,
        5 as entry_kind_order,
        allocation_id as entry_id,
        applies_from_date as entry_date,
        -ar_effect as ar_effect,
        customer_id,
        currency,
        pending_fx_rate_to_base as fx_rate_to_base
    from pending_allocations
),

entries as (
    select * from item_entries
    union all
    select * from predated_credit_entries
    union all
    select * from unapplied_payment_entries
    union all
    select * from pending_allocation_entries
),

running as (
    select
        *,
        sum(ar_effect) over (
            partition by entity_id, item_type, item_id
            order by entry_date, entry_kind_order, entry_id
            rows between unbounded preceding and current row
        ) as open_after,
        row_number() over (
            partition by entity_id, item_type, item_id
            order by entry_date, entry_kind_order, entry_id
        ) as entry_number
    from entries
),

valued as (
    select
        *,
        open_after - ar_effect as open_before,
        {{ to_base_currency('open_after', 'fx_rate_to_base') }}
        - {{ to_base_currency('open_after - ar_effect', 'fx_rate_to_base') }}
            as ar_effect_base
    from running
),

final as (
    select
        entity_id,
        customer_id,
        item_type,
        item_id,
        entry_number,
        entry_kind,
        entry_id,
        entry_date,
        cast({{ dbt.date_trunc('month', 'entry_date') }} as date) as entry_month,
        currency,
        cast(ar_effect as decimal(18, 2)) as ar_effect,
        cast(open_before as decimal(18, 2)) as open_before,
        cast(open_after as decimal(18, 2)) as open_after,
        fx_rate_to_base,
        cast(ar_effect_base as decimal(18, 2)) as ar_effect_base
    from valued
)

select * from final
