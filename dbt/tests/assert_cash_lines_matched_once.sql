-- A cash line is matched by one rule at most, and a line held for review because it is
-- ambiguous, has an invalid reference or is a return has no allocation.
with

allocations as (
    select * from {{ ref('fct_cash_allocations') }}
),

review_queue as (
    select * from {{ ref('cash_review_queue') }}
),

rules_per_line as (
    select
        source,
        line_id,
        count(distinct match_rule) as rule_count
    from allocations
    group by source, line_id
),

final as (
    select
        rules_per_line.source,
        rules_per_line.line_id,
        rules_per_line.rule_count,
        review_queue.review_reason
    from rules_per_line
    left join review_queue
        on
            rules_per_line.source = review_queue.source
            and rules_per_line.line_id = review_queue.line_id
            and review_queue.review_reason <> 'unallocated_remainder'
    where rules_per_line.rule_count > 1 or review_queue.line_id is not null
)

select * from final
