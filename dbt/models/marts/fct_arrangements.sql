-- What each debtor agreed to, as known on the as-of date: the arrangements the ERP records
-- (promises to pay, payment plans) and every invoice or debit note with a usable instalment
-- plan (int_instalments_planned: plans that fail the checks of int_instalment_plans_checked
-- are left out, D38), as a payment plan from its issue date to its last instalment's due
-- date. An arrangement recorded after the as-of date, or a plan of a document issued after
-- it, is left out. Whether a plan is still kept is the reminder policy's call (D40).
with

arrangements as (
    select * from {{ ref('stg_erp__arrangements') }}
),

instalments as (
    select * from {{ ref('int_instalments_planned') }}
),

documents as (
    select * from {{ ref('stg_erp__documents') }}
),

entities as (
    select * from {{ ref('stg_erp__entities') }}
),

recorded as (
    select
        arrangements.entity_id,
        arrangements.arrangement_id,
        arrangements.customer_id,
        arrangements.arrangement_type,
        arrangements.valid_from,
        arrangements.valid_to,
        arrangements.promised_amount,
        arrangements.currency,
        cast(null as varchar) as document_id,
        'arrangements' as arrangement_source,
        {{ local_date('arrangements.recorded_at', 'entities.time_zone') }} as recorded_date
    from arrangements
    left join entities
        on arrangements.entity_id = entities.entity_id
),

plans as (
    select
        instalments.entity_id,
        instalments.document_id,
        max(instalments.due_date) as last_due_date,
        sum(instalments.amount) as planned_amount,
        min(instalments.currency) as currency
    from instalments
    group by instalments.entity_id, instalments.document_id
),

planned as (
    select
        plans.entity_id,
        'instalments:' || plans.document_id as arrangement_id,
        documents.customer_id,
        'payment_plan' as arrangement_type,
        documents.issue_date as valid_from,
        plans.last_due_date as valid_to,
        plans.planned_amount as promised_amount,
        plans.currency,
        plans.document_id,
        'instalments' as arrangement_source,
        documents.issue_date as recorded_date
    from plans
    inner join documents
        on
            plans.entity_id = documents.entity_id
            and plans.document_id = documents.document_id
),

unioned as (
    select * from recorded
    union all
    select * from planned
),

final as (
    select
        entity_id,
        arrangement_id,
        customer_id,
        arrangement_type,
        valid_from,
        valid_to,
        promised_amount,
        currency,
        document_id,
        arrangement_source,
        recorded_date,
        {{ as_of_date() }} as as_of_date,
        valid_from <= {{ as_of_date() }}
        and coalesce(valid_to >= {{ as_of_date() }}, true) as is_in_force
    from unioned
    where recorded_date <= {{ as_of_date() }}
)

select * from final
