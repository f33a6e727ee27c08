-- Every bank statement with both balances ties out: opening + booked entries = closing. A real
-- bank file that does not tie is reported here (a warning, one row per statement with its
-- difference) and still used: blocking the whole build would hide every other figure.
{{ config(severity='warn') }}

with

statements as (
    select * from {{ ref('stg_bank__statements') }}
),

final as (
    select
        entity_id,
        account_id,
        statement_id,
        source_file,
        opening_balance,
        booked_entries_total,
        closing_balance,
        tie_out_difference
    from statements
    where not is_tied_out
)

select * from final
