-- Booked bank entries (one row per entry, or per detail of a split batch entry) of the latest
-- delivery of each statement. An entry of an intraday report (camt.052, MT942) or a
-- notification (camt.054) is left out when an end-of-day statement (camt.053, MT940) of the
-- same account covers its booking date: the end-of-day statement is the bank's final word and
-- holds the same entry. amount is signed (+ money in), in the entry's currency.
with

source as (
    select * from {{ source('bank', 'bank_transactions') }}
),

statements as (
    select * from {{ ref('stg_bank__statements') }}
),

delivered as (
    select
        source.*,
        statements.statement_kind,
        coalesce(
            source.booking_date, source.value_date, statements.statement_date
        ) as entry_date
    from source
    inner join statements
        on
            source.entity_id = statements.entity_id
            and source.account_id = statements.account_id
            and source.statement_id = statements.statement_id
            and source._load_id = statements.load_id
    where upper(coalesce(source.entry_status, 'BOOK')) = 'BOOK'
),

end_of_day_dates as (
    select distinct
        entity_id,
        account_id,
        entry_date as covered_date
    from delivered
    where statement_kind = 'end_of_day'
    union
    select
        entity_id,
        account_id,
        statement_date as covered_date
    from statements
    where statement_kind = 'end_of_day'
),

kept as (
    select delivered.*
    from delivered
    left join end_of_day_dates
        on
            delivered.entity_id = end_of_day_dates.entity_id
            and delivered.account_id = end_of_day_dates.account_id
            and delivered.entry_date = end_of_day_dates.covered_date
    where delivered.statement_kind = 'end_of_day' or end_of_day_dates.covered_date is null
),

final as (
    select
        cast(entity_id as varchar) as entity_id,
        cast(account_id as varchar) as account_id,
        cast(account_iban as varchar) as account_iban,
        cast(statement_id as varchar) as statement_id,
        cast(entry_index as integer) as entry_index,
        cast(detail_index as integer) as detail_index,
        -- One key for a cash line, as allocations and the review queue cite it.
        concat_ws(
            '|', entity_id, account_id, statement_id,
            cast(entry_index as varchar), cast(detail_index as varchar)
        ) as bank_line_id,
        cast(statement_format as varchar) as statement_format,
        statement_kind,
        cast(booking_date as date) as booking_date,
        cast(value_date as date) as value_date,
        cast(entry_date as date) as entry_date,
        cast(amount as decimal(18, 5)) as amount,
        upper(cast(currency as varchar)) as currency,
        cast(credit_debit as varchar) as credit_debit,
        cast(is_reversal as boolean) as is_reversal,
        cast(entry_amount as decimal(18, 5)) as entry_amount,
        cast(transaction_code as varchar) as transaction_code,
        cast(counterparty_name as varchar) as counterparty_name,
        cast(counterparty_iban as varchar) as counterparty_iban,
        cast(remittance_text as varchar) as remittance_text,
        cast(structured_reference as varchar) as structured_reference,
        cast(reference_type as varchar) as reference_type,
        cast(is_reference_valid as boolean) as is_reference_valid,
        cast(end_to_end_id as varchar) as end_to_end_id,
        cast(bank_reference as varchar) as bank_reference,
        cast(return_reason as varchar) as return_reason,
        cast(_source_file as varchar) as source_file,
        cast(_source_row as bigint) as source_row,
        cast(_loaded_at as timestamp) as loaded_at
    from kept
)

select * from final
