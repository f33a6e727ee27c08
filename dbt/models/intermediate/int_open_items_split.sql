-- The items open at the as-of date, with overpayments split off. An invoice or debit note
-- whose settlements exceed it is floored at zero (so it is not open) and the excess becomes a
-- separate negative item of type 'overpayment' (item_id = the overpaid document), shown as
-- unapplied credit: the customer's money, not a negative invoice. Unlinked credit notes,
-- write-offs and unapplied payments are unapplied credit as they are.
with

items as (
    select * from {{ ref('int_receivable_items_aggregated') }}
),

open_receivables as (
    select
        entity_id,
        customer_id,
        item_type,
        item_id,
        document_id,
        document_number,
        issue_date,
        due_date,
        currency,
        amount,
        open_amount,
        open_amount_base,
        fx_rate_to_base,
        is_disputed,
        false as is_unapplied_credit
    from items
    where is_receivable and open_amount > 0
),

overpayments as (
    select
        entity_id,
        customer_id,
        'overpayment' as item_type,
        item_id,
        document_id,
        document_number,
        issue_date,
        cast(null as date) as due_date,
        currency,
        open_amount as amount,
        open_amount,
        open_amount_base,
        fx_rate_to_base,
        false as is_disputed,
        true as is_unapplied_credit
    from items
    where is_receivable and open_amount < 0
),

credits as (
    select
        entity_id,
        customer_id,
        item_type,
        item_id,
        document_id,
        document_number,
        issue_date,
        cast(null as date) as due_date,
        currency,
        ar_effect as amount,
        open_amount,
        open_amount_base,
        fx_rate_to_base,
        is_disputed,
        true as is_unapplied_credit
    from items
    where not is_receivable and open_amount <> 0
),

final as (
    select * from open_receivables
    union all
    select * from overpayments
    union all
    select * from credits
)

select * from final
