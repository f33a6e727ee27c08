-- Rates into the group currency, one row per currency and validity range
-- [valid_from, valid_to). A rate quoted the other way round (group currency -> X) is inverted
-- when no direct rate exists for that day. The first known rate of a currency also covers the
-- days before it, so an early document is not silently left without a base amount (decision
-- logged in dbt/README.md). The group currency itself needs no row: it converts at 1.
with

fx_rates as (
    select * from {{ ref('stg_reference__fx_rates') }}
),

direct_rates as (
    select
        rate_date,
        currency,
        cast(rate as decimal(38, 18)) as rate_to_base,
        1 as preference
    from fx_rates
    where
        quote_currency = {{ group_currency() }}
        and currency <> quote_currency
        and rate > 0
),

inverse_rates as (
    select
        rate_date,
        quote_currency as currency,
        cast(1 / rate as decimal(38, 18)) as rate_to_base,
        2 as preference
    from fx_rates
    where
        currency = {{ group_currency() }}
        and quote_currency <> currency
        and rate > 0
),

unioned as (
    select * from direct_rates
    union all
    select * from inverse_rates
),

preferred as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by currency, rate_date
                order by preference
            ) as preference_rank
        from unioned
    ) as ranked
    where preference_rank = 1
),

ranged as (
    select
        currency,
        rate_date,
        rate_to_base,
        preference = 2 as is_inverted,
        lead(rate_date) over (partition by currency order by rate_date) as valid_to,
        row_number() over (partition by currency order by rate_date) as rate_number
    from preferred
),

final as (
    select
        currency,
        {{ group_currency() }} as base_currency,
        rate_date,
        case
            when rate_number = 1 then cast('1900-01-01' as date) else rate_date
        end as valid_from,
        coalesce(valid_to, cast('9999-12-31' as date)) as valid_to,
        rate_to_base,
        is_inverted
    from ranged
)

select * from final
