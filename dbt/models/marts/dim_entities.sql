with

entities as (
    select * from {{ ref('stg_erp__entities') }}
),

final as (
    select
        entity_id,
        entity_name,
        division,
        country_code,
        base_currency,
        time_zone,
        collection_iban,
        collection_bic
    from entities
)

select * from final
