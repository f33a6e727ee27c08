-- Aging by invoice date, a separately labelled view (aging_basis = 'invoice_date'): open
-- receivables by days since issue into the invoice_age_buckets seed, per entity, long format,
-- every bucket present. Overdue figures always use the due date (entity_aging); this view
-- answers "how old is what we are owed". Unapplied credit keeps its own row (bucket_order 0),
-- so the view adds up to the same open balance as entity_aging.
with

entities as (
    select * from {{ ref('dim_entities') }}
),

open_items as (
    select * from {{ ref('fct_open_items_netted') }}
),

age_buckets as (
    select * from {{ ref('invoice_age_buckets') }}
),

all_buckets as (
    select
        bucket_order,
        age_bucket,
        min_days_since_issue,
        max_days_since_issue,
        false as is_unapplied_credit
    from age_buckets
    union all
    select
        0 as bucket_order,
        'Unapplied credit' as age_bucket,
        cast(null as integer) as min_days_since_issue,
        cast(null as integer) as max_days_since_issue,
        true as is_unapplied_credit
),

aged as (
    select
        open_items.entity_id,
        open_items.open_amount_base,
        all_buckets.age_bucket
    from open_items
    inner join all_buckets
        on
            open_items.is_unapplied_credit = all_buckets.is_unapplied_credit
            and (
                open_items.is_unapplied_credit
                or (
                    coalesce(
                        {{ days_between('open_items.issue_date', as_of_date()) }}
                        >= all_buckets.min_days_since_issue,
                        true
                    )
                    and coalesce(
                        {{ days_between('open_items.issue_date', as_of_date()) }}
                        <= all_buckets.max_days_since_issue,
                        true
                    )
                )
            )
),

bucket_totals as (
    select
        entity_id,
        age_bucket,
        sum(open_amount_base) as open_amount_base,
        count(*) as item_count
    from aged
    group by entity_id, age_bucket
),

entity_keys as (
    select entity_id from entities
    union
    select entity_id from open_items
),

grid as (
    select
        entity_keys.entity_id,
        all_buckets.age_bucket,
        all_buckets.bucket_order
    from entity_keys
    cross join all_buckets
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        'invoice_date' as aging_basis,
        grid.entity_id,
        entities.division,
        entities.country_code,
        grid.age_bucket,
        grid.bucket_order,
        {{ group_currency() }} as base_currency,
        cast(coalesce(bucket_totals.open_amount_base, 0) as decimal(18, 2)) as open_amount_base,
        coalesce(bucket_totals.item_count, 0) as item_count
    from grid
    left join entities
        on grid.entity_id = entities.entity_id
    left join bucket_totals
        on
            grid.entity_id = bucket_totals.entity_id
            and grid.age_bucket = bucket_totals.age_bucket
)

select * from final
