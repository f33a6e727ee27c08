with

source as (
    select * from {{ source('raw', 'documents') }}
),

latest as (
    {{ keep_latest_version('source', ['entity_id', 'document_id']) }}
),

final as (
    select
        cast(entity_id as varchar) as entity_id,
        cast(document_id as varchar) as document_id,
        cast(document_type as varchar) as document_type,
        cast(document_number as varchar) as document_number,
        cast(customer_id as varchar) as customer_id,
        cast(issue_date as date) as issue_date,
        cast(due_date as date) as due_date,
        upper(cast(currency as varchar)) as currency,
        cast(amount as decimal(18, 2)) as amount,
        cast(payment_reference as varchar) as payment_reference,
        cast(applies_to_document_id as varchar) as applies_to_document_id,
        -- An empty flag means nobody disputed the document.
        coalesce(cast(is_disputed as boolean), false) as is_disputed,
        cast(_source_file as varchar) as source_file,
        cast(_loaded_at as timestamp) as loaded_at
    from latest
)

select * from final
