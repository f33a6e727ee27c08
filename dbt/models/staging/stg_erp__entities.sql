with

source as (
    select * from {{ source('raw', 'entities') }}
),

latest as (
    {{ keep_latest_version('source', ['entity_id']) }}
),

final as (
    select
        cast(entity_id as varchar) as entity_id,
        cast(entity_name as varchar) as entity_name,
        cast(division as varchar) as division,
        cast(country_code as varchar) as country_code,
        upper(cast(base_currency as varchar)) as base_currency,
        cast(time_zone as varchar) as time_zone,
        upper(replace(cast(collection_iban as varchar), ' ', '')) as collection_iban,
        upper(replace(cast(collection_bic as varchar), ' ', '')) as collection_bic,
        cast(_source_file as varchar) as source_file,
        cast(_loaded_at as timestamp) as loaded_at
    from latest
)

select * from final
