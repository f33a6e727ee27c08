-- One row per customer with at least one item open at the as-of date (a customer without
-- open items owes nothing and has no row), with the net of its open items in base currency.
-- An item whose currency has no rate for its date has no base amount: it is left out of the
-- base sums and counted in unvalued_item_count (listed in fct_items_without_fx_rate).
-- Counts are of items: an invoice on an instalment plan (one row per open instalment in
-- fct_open_items_netted) counts once, and as overdue when any open instalment is.
with

open_items as (
    select * from {{ ref('fct_open_items_netted') }}
),

item_totals as (
    select
        entity_id,
        customer_id,
        sum(open_amount_base) as open_balance_base,
        sum(
            case when not is_unapplied_credit then open_amount_base else 0 end
        ) as invoiced_open_base,
        sum(
            case when is_unapplied_credit then open_amount_base else 0 end
        ) as unapplied_credit_base,
        sum(case when is_overdue then open_amount_base else 0 end) as overdue_amount_base,
        max(days_past_due) as max_days_past_due,
        count(distinct item_type || ':' || item_id) as open_item_count,
        count(
            distinct case when open_amount_base is null then item_type || ':' || item_id end
        ) as unvalued_item_count,
        count(
            distinct case when is_overdue then item_type || ':' || item_id end
        ) as overdue_item_count,
        {{ dbt.bool_or('is_disputed') }} as has_disputed_item
    from open_items
    group by entity_id, customer_id
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        entity_id,
        customer_id,
        {{ group_currency() }} as base_currency,
        cast(coalesce(open_balance_base, 0) as decimal(18, 2)) as open_balance_base,
        cast(coalesce(invoiced_open_base, 0) as decimal(18, 2)) as invoiced_open_base,
        cast(coalesce(unapplied_credit_base, 0) as decimal(18, 2)) as unapplied_credit_base,
        cast(coalesce(overdue_amount_base, 0) as decimal(18, 2)) as overdue_amount_base,
        max_days_past_due,
        open_item_count,
        overdue_item_count,
        unvalued_item_count,
        coalesce(has_disputed_item, false) as has_disputed_item
    from item_totals
)

select * from final
