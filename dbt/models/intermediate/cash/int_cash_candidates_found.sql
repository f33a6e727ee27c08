-- Every candidate each rule finds for each receipt line, one row per (line, rule, document,
-- credit note), before anything is decided:
--   1 structured_reference    the line's structured reference (bank) or invoice reference
--                             (PSP) equals a document's payment_reference
--   2 invoice_number_in_text  a document_number appears as a word in the remittance text
--                             (bank) or the invoice reference (PSP)
--   3 unique_open_amount      the customer found by the line's IBAN (or, without one that
--                             matches, its exact name) has an open invoice whose open amount
--                             equals the line's amount, or an open invoice and an open credit
--                             note that add up to it
-- Rules 1 and 2 list every invoice and debit note they name, open or not, in any currency
-- (is_open_candidate says which could take the money); rule 3 lists only open ones in the
-- line's currency. Lines whose reference fails its check digit are not searched.
with

receipts as (
    select * from {{ ref('int_cash_receipts_unioned') }}
),

items as (
    select * from {{ ref('int_receivable_items_aggregated') }}
),

customers as (
    select * from {{ ref('stg_erp__customers') }}
),

searchable as (
    select *
    from receipts
    where line_kind = 'receipt' and is_reference_valid
),

payable as (
    select
        entity_id,
        customer_id,
        document_id,
        upper(document_number) as document_number_key,
        {{ reference_key('payment_reference') }} as payment_reference_key,
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

reference_matches as (
    select
        searchable.source,
        searchable.line_id,
        1 as rule_order,
        'structured_reference' as match_rule,
        payable.entity_id,
        payable.customer_id,
        payable.document_id,
        cast(null as varchar) as credit_note_id,
        payable.currency = searchable.currency as is_same_currency,
        payable.currency = searchable.currency and payable.open_amount > 0 as is_open_candidate
    from searchable
    inner join payable
        on
            searchable.entity_id = payable.entity_id
            and searchable.reference_key = payable.payment_reference_key
),

-- Words of the text: runs of letters and digits, joined by - / _ or . inside a word, so that
-- "INV-231." and "INV-231/1" give INV-231 and INV-231/1, never 231 alone.
text_words as (
    select distinct
        source,
        line_id,
        entity_id,
        currency,
        word
    from (
        select
            source,
            line_id,
            entity_id,
            currency,
            unnest(
                regexp_extract_all(upper(search_text), '[A-Z0-9]+([-/_.][A-Z0-9]+)*')
            ) as word
        from searchable
    ) as words
),

number_matches as (
    select
        text_words.source,
        text_words.line_id,
        2 as rule_order,
        'invoice_number_in_text' as match_rule,
        payable.entity_id,
        payable.customer_id,
        payable.document_id,
        cast(null as varchar) as credit_note_id,
        payable.currency = text_words.currency as is_same_currency,
        payable.currency = text_words.currency and payable.open_amount > 0 as is_open_candidate
    from text_words
    inner join payable
        on
            text_words.entity_id = payable.entity_id
            and text_words.word = payable.document_number_key
),

iban_customers as (
    select distinct
        searchable.source,
        searchable.line_id,
        customers.customer_id
    from searchable
    inner join customers
        on
            searchable.entity_id = customers.entity_id
            and searchable.counterparty_iban_key = {{ iban_key('customers.iban') }}
),

name_customers as (
    select distinct
        searchable.source,
        searchable.line_id,
        customers.customer_id
    from searchable
    inner join customers
        on
            searchable.entity_id = customers.entity_id
            and searchable.counterparty_name_key = {{ name_key('customers.customer_name') }}
    left join iban_customers
        on
            searchable.source = iban_customers.source
            and searchable.line_id = iban_customers.line_id
    where iban_customers.line_id is null
),

payer_customers as (
    select * from iban_customers
    union all
    select * from name_customers
),

found_customers as (
    select
        searchable.*,
        payer_customers.customer_id
    from searchable
    inner join payer_customers
        on
            searchable.source = payer_customers.source
            and searchable.line_id = payer_customers.line_id
),

single_amounts as (
    select
        found_customers.source,
        found_customers.line_id,
        3 as rule_order,
        'unique_open_amount' as match_rule,
        payable.entity_id,
        payable.customer_id,
        payable.document_id,
        cast(null as varchar) as credit_note_id,
        true as is_same_currency,
        true as is_open_candidate
    from found_customers
    inner join payable
        on
            found_customers.entity_id = payable.entity_id
            and found_customers.customer_id = payable.customer_id
            and found_customers.currency = payable.currency
            and found_customers.amount = payable.open_amount
),

-- Invoice first, then the credit note that makes up the difference: an equi-join on the
-- amount still missing, so a large customer does not multiply its invoices by its credits.
invoice_shortfalls as (
    select
        found_customers.source,
        found_customers.line_id,
        payable.entity_id,
        payable.customer_id,
        payable.currency,
        payable.document_id,
        found_customers.amount - payable.open_amount as credit_needed
    from found_customers
    inner join payable
        on
            found_customers.entity_id = payable.entity_id
            and found_customers.customer_id = payable.customer_id
            and found_customers.currency = payable.currency
    where payable.open_amount > found_customers.amount
),

paired_amounts as (
    select
        invoice_shortfalls.source,
        invoice_shortfalls.line_id,
        3 as rule_order,
        'unique_open_amount' as match_rule,
        invoice_shortfalls.entity_id,
        invoice_shortfalls.customer_id,
        invoice_shortfalls.document_id,
        open_credit_notes.credit_note_id,
        true as is_same_currency,
        true as is_open_candidate
    from invoice_shortfalls
    inner join open_credit_notes
        on
            invoice_shortfalls.entity_id = open_credit_notes.entity_id
            and invoice_shortfalls.customer_id = open_credit_notes.customer_id
            and invoice_shortfalls.currency = open_credit_notes.currency
            and invoice_shortfalls.credit_needed = open_credit_notes.open_amount
),

final as (
    select * from reference_matches
    union all
    select * from number_matches
    union all
    select * from single_amounts
    union all
    select * from paired_amounts
)

select * from final
