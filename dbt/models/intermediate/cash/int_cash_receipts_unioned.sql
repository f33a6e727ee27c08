{{ config(materialized='view') }}
-- Every cash line cash application looks at, PSP and bank in one shape, up to the as-of date:
-- - receipts: PSP transactions whose final state is paid (one line per provider
--   transaction, so a duplicate webhook or a second event of the same payment counts once, a
--   refunded or charged-back one not at all) and bank credits that are not reversals;
-- - returns: bank debits that reverse a credit or return a payment (they reopen an invoice
--   the ERP closed; a person decides which, so they go to the review queue).
-- A view, not a table: it carries remittance text, counterparty names and IBANs (personal
-- data) from staging, and no table outside staging may hold them.
with

psp_events as (
    select * from {{ ref('int_psp_events_matched') }}
),

bank_transactions as (
    select * from {{ ref('stg_bank__transactions') }}
),

entities as (
    select * from {{ ref('stg_erp__entities') }}
),

psp_final_states as (
    select
        psp_events.*,
        row_number() over (
            partition by psp_events.entity_id, psp_events.provider, psp_events.transaction_id
            order by psp_events.event_at, psp_events.event_id
        ) as line_rank
    from psp_events
    where psp_events.transaction_status_rank = 1 and psp_events.status = 'paid'
),

psp_receipts as (
    select
        'psp' as source,
        concat_ws(
            '|',
            psp_final_states.entity_id,
            psp_final_states.provider,
            psp_final_states.transaction_id
        ) as line_id,
        'receipt' as line_kind,
        psp_final_states.entity_id,
        {{ local_date('psp_final_states.event_at', 'entities.time_zone') }} as receipt_date,
        cast(psp_final_states.amount as decimal(18, 5)) as amount,
        psp_final_states.currency,
        {{ reference_key('psp_final_states.invoice_reference') }} as reference_key,
        true as is_reference_valid,
        psp_final_states.invoice_reference as search_text,
        cast(null as varchar) as counterparty_iban_key,
        cast(null as varchar) as counterparty_name_key,
        cast(null as varchar) as return_reason
    from psp_final_states
    left join entities
        on psp_final_states.entity_id = entities.entity_id
    where psp_final_states.line_rank = 1
),

bank_lines as (
    select
        'bank' as source,
        bank_line_id as line_id,
        case
            when credit_debit = 'credit' and amount > 0 and not is_reversal then 'receipt'
            when
                credit_debit = 'debit' and (is_reversal or return_reason is not null)
                then 'return'
        end as line_kind,
        entity_id,
        entry_date as receipt_date,
        amount,
        currency,
        {{ reference_key('structured_reference') }} as reference_key,
        coalesce(is_reference_valid, true) as is_reference_valid,
        concat_ws(' ', remittance_text, structured_reference) as search_text,
        {{ iban_key('counterparty_iban') }} as counterparty_iban_key,
        {{ name_key('counterparty_name') }} as counterparty_name_key,
        return_reason
    from bank_transactions
    -- An entry without any date is kept: it goes to the review queue, not out of sight.
    where entry_date <= {{ as_of_date() }} or entry_date is null
),

final as (
    select * from psp_receipts
    union all
    select * from bank_lines
    where line_kind is not null
)

select * from final
