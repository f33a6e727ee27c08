-- The open amount of every item over time: one row per item and day with ledger entries, valid
-- from that day until the item's next entry day ([valid_from, valid_to), 9999-12-31 for the
-- latest). Any past date's open items are the rows whose range holds it, so month-end aging,
-- the amount open 90 days after issue and the daily snapshot all read one table instead of
-- recomputing the ledger. The base amount is the running sum of the entries' base effects, so
-- it equals the item's rounded base open amount at every date (see int_ledger_entries_valued).
--
-- A receivable is settled on a day when its open amount drops from above zero to zero or less
-- that day, or when it is issued already covered (an advance allocated to it). Settlement by a
-- write-off is flagged: it closes the item without a payment.
with

entries as (
    select * from {{ ref('int_ledger_entries_valued') }}
),

items as (
    select * from {{ ref('int_receivable_items_aggregated') }}
),

daily as (
    select
        entity_id,
        item_type,
        item_id,
        entry_date,
        sum(ar_effect) as ar_effect,
        sum(ar_effect_base) as ar_effect_base,
        {{ dbt.bool_or("entry_kind = 'document'") }} as has_document_entry,
        {{ dbt.bool_or("entry_kind = 'write_off'") }} as has_write_off_entry
    from entries
    group by entity_id, item_type, item_id, entry_date
),

running as (
    select
        *,
        sum(ar_effect) over item_days as open_amount,
        sum(ar_effect_base) over item_days as open_amount_base,
        lead(entry_date) over (
            partition by entity_id, item_type, item_id order by entry_date
        ) as next_entry_date
    from daily
    window item_days as (
        partition by entity_id, item_type, item_id
        order by entry_date
        rows between unbounded preceding and current row
    )
),

ranged as (
    select
        running.entity_id,
        items.customer_id,
        running.item_type,
        running.item_id,
        items.is_receivable,
        items.issue_date,
        items.due_date,
        items.currency,
        items.fx_rate_to_base,
        items.amount,
        items.amount_base,
        running.entry_date as valid_from,
        coalesce(running.next_entry_date, cast('9999-12-31' as date)) as valid_to,
        running.open_amount - running.ar_effect as open_amount_before,
        running.open_amount,
        running.open_amount_base,
        running.has_document_entry,
        running.has_write_off_entry
    from running
    inner join items
        on
            running.entity_id = items.entity_id
            and running.item_type = items.item_type
            and running.item_id = items.item_id
),

final as (
    select
        entity_id,
        customer_id,
        item_type,
        item_id,
        is_receivable,
        issue_date,
        due_date,
        currency,
        fx_rate_to_base,
        amount,
        amount_base,
        valid_from,
        valid_to,
        cast(open_amount as decimal(18, 2)) as open_amount,
        cast(open_amount_base as decimal(18, 2)) as open_amount_base,
        is_receivable
        and open_amount <= 0
        and (open_amount_before > 0 or (has_document_entry and amount > 0))
            as is_settlement,
        has_write_off_entry as is_write_off_day
    from ranged
)

select * from final
