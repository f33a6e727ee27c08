-- Cash application's allocations at the as-of date: one row per (cash line, document) that
-- cash application matched, from PSP payments and bank credits not yet booked against the
-- document in the ERP (a document the ERP settled is no longer open, so nothing is proposed
-- for it). amount follows the allocations contract: positive lowers the receivable; the
-- credit-note part of an invoice-minus-credit-note payment is negative, so a line's rows add
-- up to the cash it allocated. No names, IBANs or remittance text.
with

capped as (
    select * from {{ ref('int_cash_allocations_capped') }}
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        source,
        line_id,
        match_rule,
        entity_id,
        customer_id,
        document_id,
        document_type,
        receipt_date,
        granted_amount as amount,
        currency
    from capped
    where is_allocated
)

select * from final
