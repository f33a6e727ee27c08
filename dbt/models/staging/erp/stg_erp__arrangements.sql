with

source as (
    select * from {{ source('raw', 'arrangements') }}
),

latest as (
    {{ keep_latest_version('source', ['entity_id', 'arrangement_id']) }}
),

final as (
    select
        cast(entity_id as varchar) as entity_id,
        cast(arrangement_id as varchar) as arrangement_id,
        cast(customer_id as varchar) as customer_id,
        cast(arrangement_type as varchar) as arrangement_type,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,
        cast(promised_amount as decimal(18, 2)) as promised_amount,
        upper(cast(currency as varchar)) as currency,
        cast(recorded_at as timestamp) as recorded_at,
        cast(_source_file as varchar) as source_file,
        cast(_source_row as bigint) as source_row,
        cast(_loaded_at as timestamp) as loaded_at
    from latest
)

select * from final
