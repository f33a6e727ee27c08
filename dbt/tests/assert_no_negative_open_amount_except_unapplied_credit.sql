-- Only unapplied credit may be negative: an invoice or debit note is open for a positive
-- amount or not at all (an overpayment becomes a separate unapplied-credit item).
with

open_items as (
    select * from {{ ref('fct_open_items') }}
),

invoices as (
    select * from {{ ref('fct_invoices') }}
),

final as (
    select
        entity_id,
        item_type,
        item_id,
        open_amount
    from open_items
    where not is_unapplied_credit and open_amount <= 0
    union all
    select
        entity_id,
        document_type as item_type,
        document_id as item_id,
        open_amount
    from invoices
    where open_amount < 0
)

select * from final
