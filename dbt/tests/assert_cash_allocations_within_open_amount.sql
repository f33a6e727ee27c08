-- No document receives more from cash application than its open amount at the as-of date
-- (in absolute terms: a credit note's open amount and allocations are negative), and the
-- allocations of a document have the sign of its open amount.
with

allocations as (
    select * from {{ ref('fct_cash_allocations') }}
),

items as (
    select * from {{ ref('int_receivable_items_aggregated') }}
),

totals as (
    select
        entity_id,
        document_id,
        sum(amount) as allocated_amount
    from allocations
    group by entity_id, document_id
),

final as (
    select
        totals.*,
        items.open_amount
    from totals
    left join items
        on
            totals.entity_id = items.entity_id
            and totals.document_id = items.item_id
            and items.item_type in ('invoice', 'debit_note', 'credit_note')
    where
        items.open_amount is null
        or abs(totals.allocated_amount) > abs(items.open_amount)
        or sign(totals.allocated_amount) <> sign(items.open_amount)
)

select * from final
