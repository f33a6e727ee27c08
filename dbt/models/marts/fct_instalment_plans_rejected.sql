-- Instalment plans that are not used: the document does not exist or is not an invoice or
-- debit note, or the instalments do not add up to it, are in another currency, are not
-- numbered 1..n, lack a value, are zero or less, or have due dates going back. Such a
-- document ages by its own due date as if it had no plan. It should be empty: the warning
-- test assert_instalment_plans_are_usable and the Dagster check of the same name report each
-- plan with every problem and the landing file and line of each instalment.
with

plans as (
    select * from {{ ref('int_instalment_plans_checked') }}
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        entity_id,
        document_id,
        document_number,
        customer_id,
        document_type,
        document_currency,
        document_amount,
        instalment_count,
        plan_amount,
        problems,
        source_rows
    from plans
    where not is_usable
)

select * from final
