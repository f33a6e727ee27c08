-- One row per receivable item at the as-of date, open or not: invoices, debit notes,
-- unlinked credit notes and write-offs, and unapplied payments (also credit notes and
-- advances dated before the document they settle, zero once it is issued). open_amount is
-- the signed sum of the item's ledger entries (it may be negative: an overpaid invoice);
-- settled_date is the date the open amount reached zero (or less) and stayed there.
with

entries as (
    select * from {{ ref('int_ledger_entries_valued') }}
),

documents as (
    select * from {{ ref('int_documents_signed') }}
),

allocations as (
    select * from {{ ref('int_allocations_linked') }}
),

item_totals as (
    select
        entity_id,
        item_type,
        item_id,
        max(customer_id) as customer_id,
        max(currency) as currency,
        max(fx_rate_to_base) as fx_rate_to_base,
        sum(ar_effect) as open_amount,
        sum(ar_effect_base) as open_amount_base,
        count(*) as entry_count,
        max(entry_date) as last_entry_date,
        max(case when open_after > 0 then entry_number end) as last_open_entry_number
    from entries
    group by entity_id, item_type, item_id
),

settling_entries as (
    select
        item_totals.entity_id,
        item_totals.item_type,
        item_totals.item_id,
        min(entries.entry_date) as settling_entry_date
    from item_totals
    inner join entries
        on
            item_totals.entity_id = entries.entity_id
            and item_totals.item_type = entries.item_type
            and item_totals.item_id = entries.item_id
            and entries.entry_number > coalesce(item_totals.last_open_entry_number, 0)
    where item_totals.open_amount <= 0
    group by item_totals.entity_id, item_totals.item_type, item_totals.item_id
),

item_attributes as (
    select
        entity_id,
        document_type as item_type,
        document_id as item_id,
        document_id,
        document_number,
        payment_reference,
        issue_date,
        due_date,
        has_due_date,
        terms_days,
        amount,
        ar_effect,
        amount_base,
        is_disputed
    from documents
    where not is_linked_settlement or item_effective_date > issue_date
    union all
    select
        entity_id,
        'unapplied_payment' as item_type,
        allocation_id as item_id,
        cast(null as varchar) as document_id,
        cast(null as varchar) as document_number,
        cast(null as varchar) as payment_reference,
        booked_date as issue_date,
        cast(null as date) as due_date,
        false as has_due_date,
        cast(null as integer) as terms_days,
        amount,
        ar_effect,
        {{ to_base_currency('amount', 'booked_fx_rate_to_base') }} as amount_base,
        false as is_disputed
    from allocations
    where is_unapplied or pending_item_type = 'unapplied_payment'
),

final as (
    select
        item_totals.entity_id,
        item_totals.customer_id,
        item_totals.item_type,
        item_totals.item_id,
        item_attributes.document_id,
        item_attributes.document_number,
        item_attributes.payment_reference,
        item_attributes.issue_date,
        item_attributes.due_date,
        item_attributes.has_due_date,
        item_attributes.terms_days,
        item_totals.currency,
        item_attributes.amount,
        item_attributes.ar_effect,
        item_attributes.amount_base,
        item_totals.fx_rate_to_base,
        cast(item_totals.open_amount as decimal(18, 2)) as open_amount,
        cast(item_totals.open_amount_base as decimal(18, 2)) as open_amount_base,
        item_totals.item_type in ('invoice', 'debit_note') as is_receivable,
        item_attributes.is_disputed,
        item_totals.entry_count,
        item_totals.last_entry_date,
        case
            when item_totals.open_amount <= 0
                then
                    case
                        when settling_entries.settling_entry_date > item_attributes.issue_date
                            then settling_entries.settling_entry_date
                        else item_attributes.issue_date
                    end
        end as settled_date
    from item_totals
    inner join item_attributes
        on
            item_totals.entity_id = item_attributes.entity_id
            and item_totals.item_type = item_attributes.item_type
            and item_totals.item_id = item_attributes.item_id
    left join settling_entries
        on
            item_totals.entity_id = settling_entries.entity_id
            and item_totals.item_type = settling_entries.item_type
            and item_totals.item_id = settling_entries.item_id
)

select * from final
