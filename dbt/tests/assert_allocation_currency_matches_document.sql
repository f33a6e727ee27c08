-- An allocation to a document is taken in the document's currency (no cross-currency
-- settlement in the contract). Warns about allocations that break this, since their open
-- amounts would be wrong.
{{ config(severity='warn') }}

with

allocations as (
    select * from {{ ref('int_allocations_linked') }}
),

final as (
    select
        entity_id,
        allocation_id,
        document_id,
        currency,
        document_currency
    from allocations
    where not is_unapplied and currency <> document_currency
)

select * from final
