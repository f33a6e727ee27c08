-- One row per bank statement (key entity_id, account_id, statement_id): the latest delivered
-- version, its kind, its date, its own tie-out recomputed from the booked entries of that
-- delivery, and whether an end-of-day statement of the same account and date supersedes it.
-- Booked = entry status BOOK, or no status at all (MT940 has none).
with

source as (
    select * from {{ source('bank', 'bank_statements') }}
),

transactions as (
    select * from {{ source('bank', 'bank_transactions') }}
),

latest as (
    {{ keep_latest_version('source', ['entity_id', 'account_id', 'statement_id']) }}
),

-- A batch entry split into details repeats its entry_amount on every detail row: one row per
-- entry of each delivery.
booked_entries as (
    select distinct
        entity_id,
        account_id,
        statement_id,
        _load_id,
        entry_index,
        entry_amount,
        booking_date
    from transactions
    where upper(coalesce(entry_status, 'BOOK')) = 'BOOK'
),

entry_totals as (
    select
        entity_id,
        account_id,
        statement_id,
        _load_id,
        count(*) as booked_entry_count,
        sum(entry_amount) as booked_entries_total,
        max(booking_date) as last_booking_date
    from booked_entries
    group by entity_id, account_id, statement_id, _load_id
),

typed as (
    select
        latest.*,
        case
            when latest.statement_format like 'camt.053.%' then 'end_of_day'
            when latest.statement_format = 'mt940' then 'end_of_day'
            when latest.statement_format like 'camt.052.%' then 'intraday'
            when latest.statement_format = 'mt942' then 'intraday'
            when latest.statement_format like 'camt.054.%' then 'notification'
        end as statement_kind,
        coalesce(entry_totals.booked_entry_count, 0) as booked_entry_count,
        coalesce(entry_totals.booked_entries_total, 0) as booked_entries_total,
        coalesce(
            latest.closing_date, entry_totals.last_booking_date, latest.opening_date
        ) as statement_date
    from latest
    left join entry_totals
        on
            latest.entity_id = entry_totals.entity_id
            and latest.account_id = entry_totals.account_id
            and latest.statement_id = entry_totals.statement_id
            and latest._load_id = entry_totals._load_id
),

-- The dates an end-of-day statement covers: its own date and the booking date of each of its
-- booked entries. An intraday report or notification of such a date is superseded.
end_of_day_dates as (
    select
        entity_id,
        account_id,
        statement_date as covered_date
    from typed
    where statement_kind = 'end_of_day'
    union
    select
        booked_entries.entity_id,
        booked_entries.account_id,
        booked_entries.booking_date as covered_date
    from booked_entries
    inner join typed
        on
            booked_entries.entity_id = typed.entity_id
            and booked_entries.account_id = typed.account_id
            and booked_entries.statement_id = typed.statement_id
            and booked_entries._load_id = typed._load_id
    where typed.statement_kind = 'end_of_day'
),

final as (
    select
        cast(typed.entity_id as varchar) as entity_id,
        cast(typed.account_id as varchar) as account_id,
        cast(typed.account_iban as varchar) as account_iban,
        cast(typed.statement_id as varchar) as statement_id,
        cast(typed.statement_format as varchar) as statement_format,
        typed.statement_kind,
        typed.statement_date,
        upper(cast(typed.currency as varchar)) as currency,
        cast(typed.opening_date as date) as opening_date,
        cast(typed.opening_balance as decimal(18, 5)) as opening_balance,
        cast(typed.closing_date as date) as closing_date,
        cast(typed.closing_balance as decimal(18, 5)) as closing_balance,
        cast(typed.booked_entry_count as integer) as booked_entry_count,
        cast(typed.booked_entries_total as decimal(18, 5)) as booked_entries_total,
        -- Opening + booked entries - closing: zero when the statement ties out, null without
        -- both balances (camt.052/054, MT942).
        cast(
            typed.opening_balance + typed.booked_entries_total - typed.closing_balance
            as decimal(18, 5)
        ) as tie_out_difference,
        typed.opening_balance + typed.booked_entries_total
        = typed.closing_balance as is_tied_out,
        coalesce(
            typed.statement_kind <> 'end_of_day' and end_of_day_dates.covered_date is not null,
            false
        ) as is_superseded,
        cast(typed._load_id as varchar) as load_id,
        cast(typed._source_file as varchar) as source_file,
        cast(typed._loaded_at as timestamp) as loaded_at
    from typed
    left join end_of_day_dates
        on
            typed.entity_id = end_of_day_dates.entity_id
            and typed.account_id = end_of_day_dates.account_id
            and typed.statement_date = end_of_day_dates.covered_date
)

select * from final
