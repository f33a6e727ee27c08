-- The open items are the ledger: per entity and currency, the open amounts add up to the signed
-- documents issued minus the allocations booked by the as-of date, recomputed here straight
-- from staging; and per entity the base-currency open items equal the AR of the as-of month in
-- entity_dso_monthly. Returns the disagreeing rows.
with

documents as (
    select * from {{ ref('stg_erp__documents') }}
),

allocations as (
    select * from {{ ref('stg_erp__allocations') }}
),

open_items as (
    select * from {{ ref('fct_open_items') }}
),

entity_dso_monthly as (
    select * from {{ ref('entity_dso_monthly') }}
),

ledger_lines as (
    select
        entity_id,
        currency,
        case
            when document_type in ('invoice', 'debit_note') then amount else -amount
        end as ledger_amount,
        0 as open_amount
    from documents
    where issue_date <= {{ as_of_date() }}
    union all
    select
        entity_id,
        currency,
        -amount as ledger_amount,
        0 as open_amount
    from allocations
    where booked_date <= {{ as_of_date() }}
    union all
    select
        entity_id,
        currency,
        0 as ledger_amount,
        open_amount
    from open_items
),

per_currency as (
    select
        'currency' as check_level,
        entity_id,
        currency,
        sum(ledger_amount) as ledger_total,
        sum(open_amount) as open_items_total
    from ledger_lines
    group by entity_id, currency
),

base_lines as (
    select
        entity_id,
        ar_base as ledger_amount,
        0 as open_amount
    from entity_dso_monthly
    where month_end = {{ as_of_date() }}
    union all
    select
        entity_id,
        0 as ledger_amount,
        open_amount_base as open_amount
    from open_items
),

per_entity_base as (
    select
        'base' as check_level,
        entity_id,
        {{ group_currency() }} as currency,
        sum(ledger_amount) as ledger_total,
        sum(open_amount) as open_items_total
    from base_lines
    group by entity_id
),

final as (
    select * from per_currency
    where ledger_total <> open_items_total
    union all
    select * from per_entity_base
    where ledger_total <> open_items_total
)

select * from final
