-- Ledger items whose currency has no rate into the group currency for the item's date: an
-- invoice, debit note or unlinked credit at its issue date, an unapplied payment at its booked
-- date. Their document-currency figures are complete; every base-currency figure leaves them
-- out (open_amount_base and the sums built on it), so this list says what the group totals
-- lack. It should be empty: the warning test assert_every_item_has_an_fx_rate and the Dagster
-- check of the same name report each row with its source file.
with

items as (
    select * from {{ ref('int_receivable_items_aggregated') }}
),

documents as (
    select * from {{ ref('stg_erp__documents') }}
),

allocations as (
    select * from {{ ref('stg_erp__allocations') }}
),

unvalued as (
    select *
    from items
    where fx_rate_to_base is null
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        unvalued.entity_id,
        unvalued.customer_id,
        unvalued.item_type,
        unvalued.item_id,
        unvalued.document_number,
        unvalued.currency,
        {{ group_currency() }} as base_currency,
        unvalued.issue_date as rate_date,
        unvalued.amount,
        unvalued.open_amount,
        unvalued.open_amount <> 0 as is_open,
        coalesce(documents.source_file, allocations.source_file) as source_file
    from unvalued
    left join documents
        on
            unvalued.entity_id = documents.entity_id
            and unvalued.document_id = documents.document_id
    left join allocations
        on
            unvalued.entity_id = allocations.entity_id
            and unvalued.item_type = 'unapplied_payment'
            and unvalued.item_id = allocations.allocation_id
)

select * from final
