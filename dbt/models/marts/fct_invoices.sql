-- Every invoice and debit note issued on or before the as-of date, open or settled. The open
-- amount is floored at zero: an overpayment shows in fct_open_items as unapplied credit.
with

items as (
    select * from {{ ref('int_receivable_items_aggregated') }}
),

receivables as (
    select *
    from items
    where is_receivable
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        entity_id,
        customer_id,
        document_id,
        item_type as document_type,
        document_number,
        payment_reference,
        issue_date,
        due_date,
        has_due_date,
        terms_days,
        currency,
        amount,
        amount_base,
        case when open_amount > 0 then open_amount else 0 end as open_amount,
        case when open_amount > 0 then open_amount_base else 0 end as open_amount_base,
        open_amount > 0 as is_open,
        settled_date,
        {{ days_between('issue_date', 'settled_date') }} as days_to_pay,
        {{ days_between('due_date', 'settled_date') }} as days_late,
        is_disputed
    from receivables
)

select * from final
