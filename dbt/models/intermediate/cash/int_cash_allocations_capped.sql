-- The allocations each matched line asks for, capped so that no document ever receives more
-- than its open amount. Per line: the invoice part (its whole open amount when a credit note
-- is matched too, else the line's amount in whole cents up to the open amount) and the
-- credit-note part (the credit note's open amount, negative: applying it raises the
-- receivable by what the credit note took off). Lines asking for the same document are
-- served in order of receipt date, then source and line id; each part gets what is left
-- after everything asked for before it (asked, not granted: conservative, so the cap holds
-- without iterating). A line is allocated only if every part gets all it asked for, except a
-- single-invoice line, which takes what is left.
with

resolved as (
    select * from {{ ref('int_cash_receipts_resolved') }}
),

items as (
    select * from {{ ref('int_receivable_items_aggregated') }}
),

open_amounts as (
    select
        entity_id,
        item_id,
        item_type,
        open_amount
    from items
    where is_receivable or item_type = 'credit_note'
),

matched as (
    select
        resolved.*,
        cast(floor(resolved.amount * 100) / 100 as decimal(18, 2)) as amount_in_cents
    from resolved
    where resolved.match_status = 'matched'
),

parts as (
    select
        matched.source,
        matched.line_id,
        matched.match_rule,
        matched.entity_id,
        matched.customer_id,
        matched.receipt_date,
        matched.currency,
        matched.amount as line_amount,
        matched.document_id,
        open_amounts.item_type as document_type,
        open_amounts.open_amount,
        case
            when matched.credit_note_id is not null then open_amounts.open_amount
            else least(matched.amount_in_cents, open_amounts.open_amount)
        end as requested_amount
    from matched
    inner join open_amounts
        on
            matched.entity_id = open_amounts.entity_id
            and matched.document_id = open_amounts.item_id
    union all
    select
        matched.source,
        matched.line_id,
        matched.match_rule,
        matched.entity_id,
        matched.customer_id,
        matched.receipt_date,
        matched.currency,
        matched.amount as line_amount,
        matched.credit_note_id as document_id,
        open_amounts.item_type as document_type,
        open_amounts.open_amount,
        open_amounts.open_amount as requested_amount
    from matched
    inner join open_amounts
        on
            matched.entity_id = open_amounts.entity_id
            and matched.credit_note_id = open_amounts.item_id
),

queued as (
    select
        *,
        coalesce(
            sum(requested_amount) over (
                partition by entity_id, document_id
                order by receipt_date, source, line_id
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as requested_before
    from parts
),

granted as (
    select
        *,
        cast(
            case
                when open_amount > 0
                    then least(requested_amount, greatest(open_amount - requested_before, 0))
                else greatest(requested_amount, least(open_amount - requested_before, 0))
            end as decimal(18, 2)
        ) as granted_amount
    from queued
),

line_outcomes as (
    select
        source,
        line_id,
        count(*) as part_count,
        {{ dbt.bool_or('granted_amount <> requested_amount') }} as is_short,
        {{ dbt.bool_or('granted_amount = 0') }} as has_nothing_left
    from granted
    group by source, line_id
),

final as (
    select
        granted.source,
        granted.line_id,
        granted.match_rule,
        granted.entity_id,
        granted.customer_id,
        granted.document_id,
        granted.document_type,
        granted.receipt_date,
        granted.currency,
        granted.line_amount,
        granted.open_amount,
        cast(granted.requested_amount as decimal(18, 2)) as requested_amount,
        granted.granted_amount,
        case
            when line_outcomes.part_count > 1 then not line_outcomes.is_short
            else not line_outcomes.has_nothing_left
        end as is_allocated
    from granted
    inner join line_outcomes
        on
            granted.source = line_outcomes.source
            and granted.line_id = line_outcomes.line_id
)

select * from final
