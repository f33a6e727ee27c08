-- Documents issued on or before the as-of date, with their effect on the receivable and the
-- item they belong to. A credit note or write-off that applies to an invoice or debit note
-- (issued by the as-of date) settles that document; otherwise it is unapplied credit of the
-- customer and an item of its own. item_effective_date is the day the document's effect
-- reaches its item: the issue date, or for a credit note dated before the invoice it settles,
-- the invoice's issue date (until then it is unapplied credit, see int_ledger_entries_valued).
with

documents as (
    select * from {{ ref('stg_erp__documents') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

issued as (
    select *
    from documents
    where issue_date <= {{ as_of_date() }}
),

settleable as (
    select
        entity_id,
        document_id,
        issue_date
    from issued
    where document_type in ('invoice', 'debit_note')
),

linked as (
    select
        issued.*,
        case
            when issued.document_type in ('credit_note', 'write_off')
                then settleable.document_id
        end as settles_document_id,
        case
            when issued.document_type in ('credit_note', 'write_off')
                then settleable.issue_date
        end as settled_document_issue_date
    from issued
    left join settleable
        on
            issued.entity_id = settleable.entity_id
            and issued.applies_to_document_id = settleable.document_id
),

signed as (
    select
        *,
        case
            when document_type in ('invoice', 'debit_note') then amount else -amount
        end as ar_effect,
        coalesce(due_date, issue_date) as effective_due_date
    from linked
),

converted as (
    select
        signed.*,
        case
            when signed.currency = {{ group_currency() }} then cast(1 as decimal(38, 18))
            else fx_rates.rate_to_base
        end as fx_rate_to_base
    from signed
    left join fx_rates
        on
            signed.currency = fx_rates.currency
            and signed.issue_date >= fx_rates.valid_from
            and signed.issue_date < fx_rates.valid_to
),

final as (
    select
        entity_id,
        document_id,
        document_type,
        document_number,
        customer_id,
        issue_date,
        effective_due_date as due_date,
        due_date is not null as has_due_date,
        {{ days_between('issue_date', 'effective_due_date') }} as terms_days,
        currency,
        amount,
        ar_effect,
        fx_rate_to_base,
        {{ to_base_currency('amount', 'fx_rate_to_base') }} as amount_base,
        {{ to_base_currency('ar_effect', 'fx_rate_to_base') }} as ar_effect_base,
        payment_reference,
        applies_to_document_id,
        settles_document_id,
        settles_document_id is not null as is_linked_settlement,
        coalesce(settles_document_id, document_id) as item_document_id,
        case
            when settled_document_issue_date > issue_date then settled_document_issue_date
            else issue_date
        end as item_effective_date,
        is_disputed
    from converted
)

select * from final
