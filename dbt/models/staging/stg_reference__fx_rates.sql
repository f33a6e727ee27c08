with

source as (
    select * from {{ source('raw', 'fx_rates') }}
),

latest as (
    {{ keep_latest_version('source', ['rate_date', 'currency', 'quote_currency']) }}
),

final as (
    select
        cast(rate_date as date) as rate_date,
        upper(cast(currency as varchar)) as currency,
        upper(cast(quote_currency as varchar)) as quote_currency,
        cast(rate as decimal(18, 8)) as rate,
        cast(_source_file as varchar) as source_file,
        cast(_loaded_at as timestamp) as loaded_at
    from latest
)

select * from final
