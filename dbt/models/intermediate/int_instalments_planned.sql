-- The instalments of every usable plan (int_instalment_plans_checked), with what the later
-- instalments of the plan add up to. Settlements fill a plan's instalments oldest first, so
-- with the document's open amount O an instalment is open when O exceeds amount_after, and
-- its open part is O - amount_after, capped at its amount (macro split_into_instalments).
with

instalments as (
    select * from {{ ref('stg_erp__instalments') }}
),

plans as (
    select * from {{ ref('int_instalment_plans_checked') }}
),

usable as (
    select instalments.*
    from instalments
    inner join plans
        on
            instalments.entity_id = plans.entity_id
            and instalments.document_id = plans.document_id
    where plans.is_usable
),

final as (
    select
        entity_id,
        document_id,
        instalment_number,
        count(*) over plan_rows as instalment_count,
        due_date,
        currency,
        amount,
        cast(
            coalesce(
                sum(amount) over (
                    partition by entity_id, document_id
                    order by instalment_number
                    rows between 1 following and unbounded following
                ),
                0
            ) as decimal(18, 2)
        ) as amount_after,
        source_file,
        source_row
    from usable
    window plan_rows as (partition by entity_id, document_id)
)

select * from final
