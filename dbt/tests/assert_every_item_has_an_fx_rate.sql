-- Every ledger item has a rate into the group currency for its date. An item without one is
-- left out of every base-currency figure (its document-currency figures stay right); this
-- warns with the entity, document number, currency, date and source file of each, so the
-- missing rate can be loaded. A warning, not an error: one missing rate must not stop the
-- whole group's figures (decision D18 in docs/decisions.md).
{{ config(severity='warn') }}

with

unvalued as (
    select * from {{ ref('fct_items_without_fx_rate') }}
),

final as (
    select
        entity_id,
        coalesce(document_number, item_id) as document_number,
        currency,
        rate_date,
        source_file
    from unvalued
)

select * from final
