-- Every delivered instalment plan fits its document (fct_instalment_plans_rejected is empty).
-- A plan that does not is ignored and its document ages by its own due date; this warns with
-- the entity, document, problems and landing file and line of each instalment, so the plan
-- can be corrected. A warning, not an error: one bad plan must not stop the group's figures.
{{ config(severity='warn') }}

with

rejected as (
    select * from {{ ref('fct_instalment_plans_rejected') }}
),

final as (
    select
        entity_id,
        document_id,
        problems,
        source_rows
    from rejected
)

select * from final
