with

source as (
    select * from {{ source('raw', 'instalments') }}
),

latest as (
    {{ keep_latest_version('source', ['entity_id', 'document_id', 'instalment_number']) }}
),

final as (
    select
        cast(entity_id as varchar) as entity_id,
        cast(document_id as varchar) as document_id,
        cast(instalment_number as integer) as instalment_number,
        cast(due_date as date) as due_date,
        cast(amount as decimal(18, 2)) as amount,
        upper(cast(currency as varchar)) as currency,
        cast(_source_file as varchar) as source_file,
        cast(_source_row as bigint) as source_row,
        cast(_loaded_at as timestamp) as loaded_at
    from latest
)

select * from final
