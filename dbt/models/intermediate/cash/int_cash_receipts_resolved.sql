-- One row per cash line with what cash application decided. The first rule (in rule_order)
-- that names any document decides, and the line stops there:
-- - one open candidate in the line's currency: matched (status 'matched');
-- - several: review ('ambiguous_reference', 'ambiguous_invoice_number', 'ambiguous_amount');
-- - none open, but named documents in the line's currency: 'already_settled' (the ERP booked
--   the payment; nothing to do, not reviewed);
-- - named documents in other currencies only: review 'currency_differs'.
-- No rule names anything: review 'no_match'. A reference that fails its check digit: review
-- 'invalid_reference', never searched. A returned payment: review 'returned_payment'. A bank
-- entry without any date: review 'missing_date'.
-- A line matched by reference or number that pays less than the invoice's open amount is
-- checked for the invoice-minus-credit-note case: one open credit note of the same customer
-- and currency that makes up the difference is matched too; several are
-- 'ambiguous_credit_note'.
with

receipts as (
    select * from {{ ref('int_cash_receipts_unioned') }}
),

candidates as (
    select * from {{ ref('int_cash_candidates_found') }}
),

items as (
    select * from {{ ref('int_receivable_items_aggregated') }}
),

rule_summaries as (
    select
        source,
        line_id,
        rule_order,
        match_rule,
        count(
            distinct case
                when is_open_candidate then concat_ws('|', document_id, credit_note_id)
            end
        ) as open_candidate_count,
        count(distinct case when is_same_currency then document_id end) as same_currency_count,
        count(distinct document_id) as named_document_count,
        max(case when is_open_candidate then customer_id end) as customer_id,
        max(case when is_open_candidate then document_id end) as document_id,
        max(case when is_open_candidate then credit_note_id end) as credit_note_id
    from candidates
    group by source, line_id, rule_order, match_rule
),

deciding_rules as (
    select *
    from (
        select
            *,
            row_number() over (partition by source, line_id order by rule_order) as rule_rank
        from rule_summaries
    ) as ranked
    where rule_rank = 1
),

named_documents as (
    select distinct
        candidates.source,
        candidates.line_id,
        candidates.document_id
    from candidates
    inner join deciding_rules
        on
            candidates.source = deciding_rules.source
            and candidates.line_id = deciding_rules.line_id
            and candidates.rule_order = deciding_rules.rule_order
),

named_lists as (
    select
        source,
        line_id,
        {{ dbt.listagg('document_id', "', '", 'order by document_id') }} as candidate_document_ids
    from named_documents
    group by source, line_id
),

decided as (
    select
        receipts.source,
        receipts.line_id,
        receipts.line_kind,
        receipts.entity_id,
        receipts.receipt_date,
        receipts.amount,
        receipts.currency,
        deciding_rules.match_rule,
        deciding_rules.rule_order,
        coalesce(deciding_rules.open_candidate_count, 0) as candidate_count,
        named_lists.candidate_document_ids,
        case
            when receipts.receipt_date is null then 'missing_date'
            when receipts.line_kind = 'return' then 'returned_payment'
            when not receipts.is_reference_valid then 'invalid_reference'
            when deciding_rules.line_id is null then 'no_match'
            when
                deciding_rules.open_candidate_count > 1
                and deciding_rules.match_rule = 'structured_reference'
                then 'ambiguous_reference'
            when
                deciding_rules.open_candidate_count > 1
                and deciding_rules.match_rule = 'invoice_number_in_text'
                then 'ambiguous_invoice_number'
            when deciding_rules.open_candidate_count > 1 then 'ambiguous_amount'
            when deciding_rules.open_candidate_count = 1 then null
            when deciding_rules.same_currency_count > 0 then null
            else 'currency_differs'
        end as review_reason,
        coalesce(
            receipts.line_kind = 'receipt'
            and receipts.is_reference_valid
            and deciding_rules.open_candidate_count = 0
            and deciding_rules.same_currency_count > 0,
            false
        ) as is_already_settled,
        case
            when
                receipts.line_kind = 'receipt'
                and receipts.is_reference_valid
                and deciding_rules.open_candidate_count = 1
                then deciding_rules.customer_id
        end as customer_id,
        case
            when
                receipts.line_kind = 'receipt'
                and receipts.is_reference_valid
                and deciding_rules.open_candidate_count = 1
                then deciding_rules.document_id
        end as document_id,
        case
            when
                receipts.line_kind = 'receipt'
                and receipts.is_reference_valid
                and deciding_rules.open_candidate_count = 1
                then deciding_rules.credit_note_id
        end as credit_note_id
    from receipts
    left join deciding_rules
        on
            receipts.source = deciding_rules.source
            and receipts.line_id = deciding_rules.line_id
    left join named_lists
        on
            receipts.source = named_lists.source
            and receipts.line_id = named_lists.line_id
),

document_open_amounts as (
    select
        entity_id,
        item_id as document_id,
        customer_id,
        currency,
        open_amount
    from items
    where is_receivable
),

open_credit_notes as (
    select
        entity_id,
        customer_id,
        item_id as credit_note_id,
        currency,
        open_amount
    from items
    where item_type = 'credit_note' and open_amount < 0
),

-- Rules 1 and 2 name the invoice; a payment short of its open amount by exactly an open
-- credit note of the same customer pays the invoice minus that credit note.
credit_note_completions as (
    select
        decided.source,
        decided.line_id,
        count(*) as completion_count,
        max(open_credit_notes.credit_note_id) as credit_note_id
    from decided
    inner join document_open_amounts
        on
            decided.entity_id = document_open_amounts.entity_id
            and decided.document_id = document_open_amounts.document_id
    inner join open_credit_notes
        on
            document_open_amounts.entity_id = open_credit_notes.entity_id
            and document_open_amounts.customer_id = open_credit_notes.customer_id
            and document_open_amounts.currency = open_credit_notes.currency
            and decided.amount - document_open_amounts.open_amount
            = open_credit_notes.open_amount
    where decided.rule_order in (1, 2)
    group by decided.source, decided.line_id
),

final as (
    select
        decided.source,
        decided.line_id,
        decided.line_kind,
        decided.entity_id,
        decided.receipt_date,
        decided.amount,
        decided.currency,
        decided.match_rule,
        decided.rule_order,
        decided.candidate_count,
        decided.candidate_document_ids,
        case
            when decided.review_reason is not null then 'review'
            when credit_note_completions.completion_count > 1 then 'review'
            when decided.is_already_settled then 'already_settled'
            else 'matched'
        end as match_status,
        case
            when decided.review_reason is not null then decided.review_reason
            when credit_note_completions.completion_count > 1 then 'ambiguous_credit_note'
        end as review_reason,
        decided.customer_id,
        decided.document_id,
        case
            when credit_note_completions.completion_count = 1
                then credit_note_completions.credit_note_id
            else decided.credit_note_id
        end as credit_note_id
    from decided
    left join credit_note_completions
        on
            decided.source = credit_note_completions.source
            and decided.line_id = credit_note_completions.line_id
)

select * from final
