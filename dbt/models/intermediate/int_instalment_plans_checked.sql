-- One row per delivered instalment plan (entity_id, document_id), checked against its
-- document: the document exists and is an invoice or debit note, every instalment is in the
-- document's currency with a due date and an amount above zero, the instalments are numbered
-- 1..n with due dates that never go back, and they add up to the document's amount. A plan
-- that fails any check is not used (the document ages by its own due date) and is listed in
-- fct_instalment_plans_rejected with every problem found. Plans are checked against the
-- latest delivered documents, so a plan for a document issued after the as-of date is
-- checked too; it is used once the document is issued.
with

instalments as (
    select * from {{ ref('stg_erp__instalments') }}
),

documents as (
    select * from {{ ref('stg_erp__documents') }}
),

sequenced as (
    select
        *,
        lag(due_date) over (
            partition by entity_id, document_id order by instalment_number
        ) as previous_due_date
    from instalments
),

plans as (
    select
        entity_id,
        document_id,
        count(*) as instalment_count,
        min(instalment_number) as first_instalment_number,
        max(instalment_number) as last_instalment_number,
        sum(amount) as plan_amount,
        min(currency) as plan_currency,
        sum(
            case when due_date is null or amount is null or currency is null then 1 else 0 end
        ) as incomplete_count,
        sum(case when amount <= 0 then 1 else 0 end) as non_positive_count,
        sum(case when due_date < previous_due_date then 1 else 0 end) as backwards_count,
        count(distinct currency) as currency_count,
        {{ dbt.listagg(
            "source_file || ':' || cast(source_row as varchar)",
            "', '",
            "order by instalment_number",
        ) }} as source_rows
    from sequenced
    group by entity_id, document_id
),

compared as (
    select
        plans.*,
        documents.document_number,
        documents.customer_id,
        documents.document_type,
        documents.currency as document_currency,
        documents.amount as document_amount,
        documents.document_id is not null as has_document
    from plans
    left join documents
        on
            plans.entity_id = documents.entity_id
            and plans.document_id = documents.document_id
),

checked as (
    select
        *,
        concat_ws(
            '; ',
            case when not has_document then 'no such document' end,
            case
                when has_document and document_type not in ('invoice', 'debit_note')
                    then 'the document is a ' || document_type || ', not an invoice or debit note'
            end,
            case
                when incomplete_count > 0
                    then cast(incomplete_count as varchar)
                        || ' instalments lack a due date, amount or currency'
            end,
            case
                when non_positive_count > 0
                    then cast(non_positive_count as varchar) || ' instalments are zero or less'
            end,
            case
                when
                    first_instalment_number <> 1
                    or last_instalment_number <> instalment_count
                    then 'instalments are numbered ' || cast(first_instalment_number as varchar)
                        || '..' || cast(last_instalment_number as varchar) || ' instead of 1..'
                        || cast(instalment_count as varchar)
            end,
            case
                when backwards_count > 0
                    then 'a due date is earlier than the one of the instalment before'
            end,
            case
                when has_document and (currency_count > 1 or plan_currency <> document_currency)
                    then 'instalments are not all in the document currency '
                        || document_currency
            end,
            case
                when has_document and plan_amount <> document_amount
                    then 'instalments add up to ' || cast(plan_amount as varchar)
                        || ', the document is ' || cast(document_amount as varchar)
            end
        ) as problems
    from compared
),

final as (
    select
        entity_id,
        document_id,
        document_number,
        customer_id,
        document_type,
        document_currency,
        cast(document_amount as decimal(18, 2)) as document_amount,
        instalment_count,
        cast(plan_amount as decimal(18, 2)) as plan_amount,
        source_rows,
        nullif(problems, '') as problems,
        coalesce(problems, '') = '' as is_usable
    from checked
)

select * from final
