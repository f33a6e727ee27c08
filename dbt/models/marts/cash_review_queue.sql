-- Cash lines a person must look at, one row per line and reason, never auto-matched: the
-- reasons of int_cash_receipts_resolved (invalid_reference, ambiguous_reference,
-- ambiguous_invoice_number, ambiguous_amount, ambiguous_credit_note, currency_differs,
-- no_match, returned_payment, missing_date), plus 'document_already_allocated' (a matched
-- line left without an allocation because earlier lines took the document's open amount) and
-- 'unallocated_remainder' (a line allocated in part: it paid more than the document's open
-- amount). No names, IBANs or remittance text: the line is found in staging by its key.
with

resolved as (
    select * from {{ ref('int_cash_receipts_resolved') }}
),

capped as (
    select * from {{ ref('int_cash_allocations_capped') }}
),

line_allocations as (
    select
        source,
        line_id,
        {{ dbt.bool_or('is_allocated') }} as is_allocated,
        sum(case when is_allocated then granted_amount else 0 end) as allocated_amount
    from capped
    group by source, line_id
),

reviewed as (
    select
        resolved.*,
        case
            when resolved.review_reason is not null then resolved.review_reason
            when resolved.match_status <> 'matched' then null
            when not line_allocations.is_allocated then 'document_already_allocated'
            when line_allocations.allocated_amount < resolved.amount
                then 'unallocated_remainder'
        end as queue_reason,
        case
            when resolved.line_kind = 'return' then resolved.amount
            else resolved.amount - coalesce(line_allocations.allocated_amount, 0)
        end as unallocated_amount
    from resolved
    left join line_allocations
        on
            resolved.source = line_allocations.source
            and resolved.line_id = line_allocations.line_id
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        source,
        line_id,
        entity_id,
        receipt_date,
        amount,
        currency,
        queue_reason as review_reason,
        match_rule,
        candidate_count,
        candidate_document_ids,
        cast(unallocated_amount as decimal(18, 5)) as unallocated_amount
    from reviewed
    where queue_reason is not null
)

select * from final
