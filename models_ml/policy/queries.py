"""The decision as one SQL statement over the marts, the scores and the policy temp tables.

Steps, one CTE each: the debtors with open items and their profile; the first segment whose
rules they meet; their invoices past the segment's grace, flagged disputed or paid by a PSP;
the amount-weighted score and its band; the strategy and the first channel the customer can be
reached on; and the suppression reason, in a fixed precedence. Parameters: $as_of, $run_id,
$unscored_band, $default_language. Policy tables come from `rules.load_rules`.
"""

DEBTOR_ACTIONS_SQL = """
with

open_items as (
    select * from marts.fct_open_items where as_of_date = $as_of
),

customers as (
    select * from marts.dim_customers
),

balances as (
    select * from marts.customer_balances
),

payment_signals as (
    select entity_id, document_id, last_status from marts.fct_payment_signals
),

latest_scores as (
    select
        entity_id,
        document_id,
        p_paid_within_horizon,
        row_number() over (
            partition by entity_id, document_id order by as_of_date desc, scored_at desc
        ) as score_rank,
    from ml.invoice_scores
    where as_of_date <= $as_of
),

debtors as (
    select entity_id, customer_id, sum(open_amount_base) as open_items_base,
    from open_items
    group by entity_id, customer_id
),

debtor_profiles as (
    select
        debtors.entity_id,
        debtors.customer_id,
        lower(customers.customer_type) as customer_type,
        lower(customers.division) as division,
        lower(customers.segment) as customer_segment,
        upper(customers.country_code) as country_code,
        nullif(lower(trim(customers.language)), '') as customer_language,
        coalesce(customers.has_email, false) as has_email,
        coalesce(customers.has_phone, false) as has_phone,
        coalesce(customers.has_address, false) as has_address,
        coalesce(balances.open_balance_base, debtors.open_items_base) as open_balance_base,
        coalesce(balances.overdue_amount_base, 0) as overdue_amount_base,
    from debtors
    left join customers
        on debtors.entity_id = customers.entity_id
        and debtors.customer_id = customers.customer_id
    left join balances
        on debtors.entity_id = balances.entity_id
        and debtors.customer_id = balances.customer_id
),

segment_candidates as (
    select
        profiles.entity_id,
        profiles.customer_id,
        rules.segment,
        greatest(rules.min_days_past_due, 1) as min_days_past_due,
        row_number() over (
            partition by profiles.entity_id, profiles.customer_id order by rules.segment_order
        ) as segment_rank,
    from debtor_profiles as profiles
    inner join policy_segments as rules
        on (rules.customer_types is null
            or list_contains(rules.customer_types, profiles.customer_type))
        and (rules.divisions is null or list_contains(rules.divisions, profiles.division))
        and (rules.customer_segments is null
            or list_contains(rules.customer_segments, profiles.customer_segment))
        and (rules.entities is null or list_contains(rules.entities, lower(profiles.entity_id)))
        and (rules.countries is null
            or list_contains(rules.countries, lower(profiles.country_code)))
        and (rules.min_overdue_amount_base is null
            or profiles.overdue_amount_base >= rules.min_overdue_amount_base)
        and (rules.max_overdue_amount_base is null
            or profiles.overdue_amount_base < rules.max_overdue_amount_base)
),

debtor_segments as (
    select * from segment_candidates where segment_rank = 1
),

overdue_invoices as (
    select
        open_items.entity_id,
        open_items.customer_id,
        open_items.item_id as document_id,
        open_items.due_date,
        open_items.currency,
        open_items.open_amount,
        open_items.open_amount_base,
        open_items.days_past_due,
        latest_scores.p_paid_within_horizon,
        coalesce(open_items.is_disputed, false) as is_disputed,
        coalesce(payment_signals.last_status = 'paid', false) as has_paid_signal,
    from open_items
    inner join debtor_segments
        on open_items.entity_id = debtor_segments.entity_id
        and open_items.customer_id = debtor_segments.customer_id
    left join payment_signals
        on open_items.entity_id = payment_signals.entity_id
        and open_items.item_id = payment_signals.document_id
    left join latest_scores
        on open_items.entity_id = latest_scores.entity_id
        and open_items.item_id = latest_scores.document_id
        and latest_scores.score_rank = 1
    where open_items.item_type in ('invoice', 'debit_note')
        and open_items.open_amount > 0
        and open_items.days_past_due >= 1
        and open_items.days_past_due >= debtor_segments.min_days_past_due
),

flagged_invoices as (
    select *, not is_disputed and not has_paid_signal as is_eligible,
    from overdue_invoices
),

debtor_invoices as (
    select
        entity_id,
        customer_id,
        count(*) as overdue_count,
        count(*) filter (where not is_disputed) as undisputed_count,
        count(*) filter (where is_eligible) as invoice_count,
        list(document_id order by due_date, document_id)
            filter (where is_eligible) as document_ids,
        count(distinct currency) filter (where is_eligible) as currency_count,
        min(currency) filter (where is_eligible) as any_currency,
        sum(open_amount) filter (where is_eligible) as eligible_amount,
        sum(open_amount_base) filter (where is_eligible) as eligible_amount_base,
        max(days_past_due) filter (where is_eligible) as max_days_past_due,
        sum(p_paid_within_horizon * open_amount_base::double)
            filter (where is_eligible and p_paid_within_horizon is not null)
        / nullif(
            sum(open_amount_base::double)
                filter (where is_eligible and p_paid_within_horizon is not null),
            0
        ) as p_paid_within_horizon,
    from flagged_invoices
    group by entity_id, customer_id
),

band_candidates as (
    select
        debtor_invoices.entity_id,
        debtor_invoices.customer_id,
        bands.score_band,
        row_number() over (
            partition by debtor_invoices.entity_id, debtor_invoices.customer_id
            order by bands.min_score desc
        ) as band_rank,
    from debtor_invoices
    inner join policy_bands as bands
        on round(debtor_invoices.p_paid_within_horizon, 6) >= bands.min_score
),

planned as (
    select
        profiles.*,
        segments.segment,
        coalesce(invoices.overdue_count, 0) as overdue_count,
        coalesce(invoices.undisputed_count, 0) as undisputed_count,
        coalesce(invoices.invoice_count, 0) as invoice_count,
        invoices.document_ids,
        invoices.currency_count,
        invoices.any_currency,
        invoices.eligible_amount,
        invoices.eligible_amount_base,
        invoices.max_days_past_due,
        invoices.p_paid_within_horizon,
        case
            when invoices.invoice_count > 0 then coalesce(bands.score_band, $unscored_band)
        end as score_band,
    from debtor_profiles as profiles
    inner join debtor_segments as segments
        on profiles.entity_id = segments.entity_id
        and profiles.customer_id = segments.customer_id
    left join debtor_invoices as invoices
        on profiles.entity_id = invoices.entity_id
        and profiles.customer_id = invoices.customer_id
    left join band_candidates as bands
        on profiles.entity_id = bands.entity_id
        and profiles.customer_id = bands.customer_id
        and bands.band_rank = 1
),

reachable_channels as (
    select
        planned.entity_id,
        planned.customer_id,
        options.option_channel as channel,
        row_number() over (
            partition by planned.entity_id, planned.customer_id order by options.option_rank
        ) as channel_rank,
    from planned
    inner join policy_strategies as strategies
        on planned.segment = strategies.segment
        and planned.score_band = strategies.score_band
    inner join policy_channel_options as options
        on strategies.channel = options.channel
    where options.needs is null
        or case options.needs
            when 'email' then planned.has_email
            when 'phone' then planned.has_phone
            when 'address' then planned.has_address
            else false
        end
),

decided as (
    select
        planned.*,
        strategies.tone,
        strategies.offer,
        reachable.channel,
        case
            when planned.open_balance_base <= 0 then 'net_credit'
            when planned.overdue_count > 0 and planned.undisputed_count = 0 then 'all_disputed'
            when planned.undisputed_count > 0 and planned.invoice_count = 0 then 'paid_signal'
            when planned.invoice_count = 0 then 'not_overdue'
            when reachable.channel is null then 'no_contact'
            when reachable.channel <> strategies.channel then 'remind_channel_fallback'
            else 'remind_overdue'
        end as reason_code,
    from planned
    left join policy_strategies as strategies
        on planned.segment = strategies.segment
        and planned.score_band = strategies.score_band
    left join reachable_channels as reachable
        on planned.entity_id = reachable.entity_id
        and planned.customer_id = reachable.customer_id
        and reachable.channel_rank = 1
),

final as (
    select
        $run_id as run_id,
        $as_of::date as as_of_date,
        decided.entity_id,
        decided.customer_id,
        decided.segment,
        decided.score_band,
        case when decided.reason_code like 'remind%' then 'remind' else 'none' end as action,
        case when decided.reason_code like 'remind%' then decided.channel end as channel,
        case when decided.reason_code like 'remind%' then decided.tone end as tone,
        coalesce(decided.customer_language, languages.language, $default_language) as language,
        case when decided.reason_code like 'remind%' then decided.offer end as offer,
        coalesce(decided.document_ids, []::varchar[]) as document_ids,
        decided.invoice_count,
        case
            when decided.invoice_count = 0 then 0
            when decided.currency_count = 1 then decided.eligible_amount
        end::decimal(18, 2) as overdue_amount,
        case when decided.currency_count = 1 then decided.any_currency end as currency,
        decided.reason_code,
        coalesce(decided.eligible_amount_base, 0)::decimal(18, 2) as overdue_amount_base,
        decided.max_days_past_due,
        decided.p_paid_within_horizon,
    from decided
    left join policy_languages as languages
        on decided.country_code = languages.country_code
)

select * from final
"""
