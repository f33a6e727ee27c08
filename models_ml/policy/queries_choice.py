"""Steps 2 to 4 of the decision: candidate contacts, the expected-value choice, the result.

Candidates: for a debtor whose step is due and not blocked, every channel of the step (or its
first reachable fallback) times every tone times every offer the message makes (the lead
offer). A channel is reachable with the contact detail it needs, the debtor's consent where
the channel needs an opt-in (policy_consents), and for phone only on a working day of the
entity's country. A phone-task step falls back only when the debtor has no phone number;
on a weekend or holiday it waits for the next working day.

Expected value of a candidate, with p the debtor's chance to pay within the score's horizon
H without contact, taken as a constant daily hazard h = -ln(1 - p) / H, and the contact
multiplying it by exp(effect) for W = $window_days days:
    p_contact = 1 - exp(-h * (min(W, H) * exp(effect) + H - min(W, H)))
    expected_value_base = (p_contact - p) * amount_due_base - cost_base
"""

CANDIDATES_SQL = """
create or replace temp table policy_candidates as

with

totals as (
    select
        entity_id,
        customer_id,
        count(distinct currency) as currency_count,
        min(currency) as currency,
        sum(amount_due_base) as amount_due_base,
    from policy_listed
    group by entity_id, customer_id
),

holidays as (
    select country_code, true as is_holiday from policy_holidays where holiday_date = $as_of
),

due as (
    select
        debtors.*,
        totals.amount_due_base,
        case when experiment_arm = 'holdout_standard' then standard.channels
            else debtors.channels end as wanted_channels,
        case when experiment_arm = 'holdout_standard' then standard.tones
            else debtors.tones end as wanted_tones,
        isodow($as_of) < 6 and holidays.is_holiday is null as is_working_day,
        list_distinct(list_concat(
            ['payment_link'],
            case
                when list_contains($sepa_countries, debtors.country_code)
                    and totals.currency_count = 1
                    and list_contains($qr_currencies, totals.currency)
                    and debtors.entity_id in (select entity_id from policy_collection_accounts)
                    then ['epc_qr']
                else []
            end,
            list_filter(
                case when experiment_arm = 'holdout_standard' then []
                    else coalesce(debtors.step_offers, []) end,
                lambda offer: case offer
                    when 'pay_in_3' then list_contains($pay_in_3_types, debtors.customer_type)
                        and totals.amount_due_base >= $pay_in_3_min
                        and totals.amount_due_base < $pay_in_3_max
                        and coalesce(debtors.p_paid_within_horizon, 0.5) >= $pay_in_3_min_score
                    when 'payment_plan' then totals.amount_due_base >= $plan_min
                        and coalesce(debtors.p_paid_within_horizon, 0.5) < $plan_max_score
                    when 'direct_debit' then debtors.late_invoices >= $debit_min_late
                    else false
                end
            )
        )) as offers,
    from policy_debtors as debtors
    inner join totals
        on debtors.entity_id = totals.entity_id
        and debtors.customer_id = totals.customer_id
    cross join policy_standard as standard
    left join holidays on debtors.entity_country_code = holidays.country_code
    where debtors.blocked_reason is null
        and debtors.escalation <> 'collection_handover'
),

wanted as (
    select
        entity_id,
        customer_id,
        unnest(wanted_channels) as wanted_channel,
        generate_subscripts(wanted_channels, 1) as wanted_rank,
    from due
),

consents as (
    select entity_id, customer_id, channel, bool_and(has_consent) as has_consent,
    from policy_consents
    group by entity_id, customer_id, channel
),

reachable as (
    select
        wanted.entity_id,
        wanted.customer_id,
        wanted.wanted_rank,
        options.option_channel as channel,
        options.option_rank,
        row_number() over (
            partition by wanted.entity_id, wanted.customer_id, wanted.wanted_channel
            order by options.option_rank
        ) as pick,
    from wanted
    inner join due
        on wanted.entity_id = due.entity_id
        and wanted.customer_id = due.customer_id
    inner join policy_channel_options as options
        on wanted.wanted_channel = options.channel
    left join consents
        on wanted.entity_id = consents.entity_id
        and wanted.customer_id = consents.customer_id
        and options.option_channel = consents.channel
    where (options.needs is null
            or case options.needs
                when 'email' then due.has_email
                when 'phone' then due.has_phone
                when 'address' then due.has_address
                else false
            end)
        and coalesce(
            consents.has_consent, not list_contains($opt_in_channels, options.option_channel)
        )
        and (options.option_channel <> 'phone' or due.is_working_day)
        -- a phone task waits for a working day; only a debtor without a number falls back
        and (due.escalation <> 'phone_task' or options.option_rank = 0 or not due.has_phone)
),

channels as (
    select
        entity_id,
        customer_id,
        channel,
        min(wanted_rank) as wanted_rank,
        bool_and(option_rank > 0) as is_fallback,
    from reachable
    where pick = 1
    group by entity_id, customer_id, channel
),

tones as (
    select
        entity_id,
        customer_id,
        unnest(wanted_tones) as tone,
        generate_subscripts(wanted_tones, 1) as tone_rank,
    from due
),

lead_offers as (
    select
        entity_id,
        customer_id,
        unnest(offers) as lead_offer,
        generate_subscripts(offers, 1) as offer_rank,
    from due
),

combined as (
    select
        channels.entity_id,
        channels.customer_id,
        channels.channel,
        channels.is_fallback,
        channels.wanted_rank,
        tones.tone,
        tones.tone_rank,
        lead_offers.lead_offer,
        lead_offers.offer_rank,
        coalesce(channel_effect.log_hazard_ratio, 0)
            + coalesce(tone_effect.log_hazard_ratio, 0)
            + coalesce(offer_effect.log_hazard_ratio, 0) as log_hazard_ratio,
        coalesce(costs.cost_base, 0) as cost_base,
        least(greatest(coalesce(due.p_paid_within_horizon, 0.5), 0.01), 0.99) as p_no_contact,
        due.horizon_days,
        due.amount_due_base,
        due.offers as message_offers,
    from channels
    inner join tones
        on channels.entity_id = tones.entity_id and channels.customer_id = tones.customer_id
    inner join lead_offers
        on channels.entity_id = lead_offers.entity_id
        and channels.customer_id = lead_offers.customer_id
    inner join due
        on channels.entity_id = due.entity_id and channels.customer_id = due.customer_id
    left join policy_uplift as channel_effect
        on channel_effect.kind = 'channel' and channel_effect.value = channels.channel
    left join policy_uplift as tone_effect
        on tone_effect.kind = 'tone' and tone_effect.value = tones.tone
    left join policy_uplift as offer_effect
        on offer_effect.kind = 'offer' and offer_effect.value = lead_offers.lead_offer
    left join policy_channels as costs on channels.channel = costs.channel
    -- a QR code needs a screen or paper: not in an SMS or a phone call
    where not (lead_offers.lead_offer = 'epc_qr' and channels.channel in ('sms', 'phone'))
),

final as (
    select
        *,
        1 - exp(
            -(-ln(1 - p_no_contact) / horizon_days)
            * (least($window_days, horizon_days) * exp(log_hazard_ratio)
                + horizon_days - least($window_days, horizon_days))
        ) - p_no_contact as expected_uplift,
        false as is_removed,
    from combined
)

select
    *,
    (expected_uplift * amount_due_base::double - cost_base::double) as expected_value_base,
from final
"""

CHOICE_SQL = """
create or replace temp table policy_choice as
select * exclude (choice_rank)
from (
    select
        *,
        row_number() over (
            partition by entity_id, customer_id
            order by expected_value_base desc, cost_base, wanted_rank, tone_rank, offer_rank
        ) as choice_rank,
    from policy_candidates
    where not is_removed
)
where choice_rank = 1
"""

# One capacity-limited channel: the debtors whose best choice it is, per team, ranked by what
# they would lose without it (their best other candidate, or nothing); beyond the day's
# capacity their candidates on this channel are removed. $channel, $capacity, $team_key.
CAPACITY_SQL = """
create or replace temp table policy_over_capacity as
with

contenders as (
    select choice.entity_id, choice.customer_id, choice.expected_value_base, debtors.team_key,
    from policy_choice as choice
    inner join (
        select
            entity_id,
            customer_id,
            case $capacity_per
                when 'entity' then entity_id
                when 'country' then entity_country_code
                when 'division' then division
                else 'group'
            end as team_key,
        from policy_debtors
    ) as debtors
        on choice.entity_id = debtors.entity_id and choice.customer_id = debtors.customer_id
    where choice.channel = $channel
),

alternatives as (
    select entity_id, customer_id, max(expected_value_base) as alternative_value,
    from policy_candidates
    where not is_removed and channel <> $channel
    group by entity_id, customer_id
),

ranked as (
    select
        contenders.entity_id,
        contenders.customer_id,
        row_number() over (
            partition by contenders.team_key
            order by
                contenders.expected_value_base
                    - coalesce(alternatives.alternative_value, 0) desc,
                contenders.entity_id,
                contenders.customer_id
        ) as capacity_rank,
    from contenders
    left join alternatives
        on contenders.entity_id = alternatives.entity_id
        and contenders.customer_id = alternatives.customer_id
)

select entity_id, customer_id, $channel as channel, from ranked where capacity_rank > $capacity
"""

REMOVE_OVER_CAPACITY_SQL = """
update policy_candidates as candidates
set is_removed = true
from policy_over_capacity as over
where candidates.entity_id = over.entity_id
    and candidates.customer_id = over.customer_id
    and candidates.channel = over.channel
"""

ACTIONS_SQL = """
with

totals as (
    select
        entity_id,
        customer_id,
        list(document_id order by due_date, document_id) as document_ids,
        count(*) as invoice_count,
        count(distinct currency) as currency_count,
        min(currency) as any_currency,
        sum(amount_due) as amount_due,
        sum(amount_due_base) as amount_due_base,
        max(days_past_due) as max_days_past_due,
        bool_or(payment_state = 'paid_in_part') as has_part_payment,
    from policy_listed
    group by entity_id, customer_id
),

-- invoices a PSP payment keeps out of the message while others of the debtor stay in it
left_out as (
    select
        entity_id,
        customer_id,
        bool_or(payment_state = 'paid_in_full') as has_paid_in_full,
        bool_or(payment_state = 'paid_other_currency') as has_paid_other_currency,
    from policy_invoices
    where is_overdue and not is_disputed
        and payment_state in ('paid_in_full', 'paid_other_currency')
    group by entity_id, customer_id
),

moved as (
    select entity_id, customer_id, list(distinct channel order by channel) as channels,
    from policy_capacity_moved
    group by entity_id, customer_id
),

candidate_counts as (
    select entity_id, customer_id, count(*) as candidates,
    from policy_candidates
    group by entity_id, customer_id
),

decided as (
    select
        debtors.*,
        choice.channel,
        choice.tone,
        choice.lead_offer,
        choice.message_offers,
        choice.is_fallback,
        choice.expected_uplift,
        choice.expected_value_base,
        choice.cost_base,
        moved.channels as moved_from,
        coalesce(candidate_counts.candidates, 0) as candidates,
        case
            when debtors.blocked_reason is not null then debtors.blocked_reason
            when debtors.escalation = 'collection_handover' then 'collection_handover'
            when choice.channel is null and moved.channels is not null then 'capacity_full'
            when choice.channel is null and debtors.escalation = 'phone_task'
                and debtors.has_phone then 'phone_not_working_day'
            when choice.channel is null then 'no_contact'
            when debtors.step_level = 0 then 'remind_pre_due'
            when debtors.experiment_arm = 'holdout_standard' then 'holdout_standard'
            when debtors.escalation = 'final_notice' then 'final_notice'
            when choice.channel = 'phone' then 'phone_task'
            else 'remind_overdue'
        end as reason_code,
    from policy_debtors as debtors
    left join policy_choice as choice
        on debtors.entity_id = choice.entity_id and debtors.customer_id = choice.customer_id
    left join moved
        on debtors.entity_id = moved.entity_id and debtors.customer_id = moved.customer_id
    left join candidate_counts
        on debtors.entity_id = candidate_counts.entity_id
        and debtors.customer_id = candidate_counts.customer_id
),

final as (
    select
        $run_id as run_id,
        $as_of::date as as_of_date,
        decided.entity_id,
        decided.customer_id,
        decided.segment,
        decided.score_band,
        decided.experiment_arm,
        case
            when decided.reason_code = 'collection_handover' then 'collection_handover'
            when decided.channel = 'phone' then 'phone_task'
            when decided.channel is not null then 'remind'
            else 'none'
        end as action,
        decided.step_level,
        decided.escalation,
        -- a phone task that fell back to a written channel (no phone number) is a reminder
        case
            when decided.channel is null then null
            when decided.template = 'phone_task' and decided.channel <> 'phone' then 'reminder'
            else decided.template
        end as template,
        decided.channel,
        decided.tone,
        -- the customer's language, else the country's, else the default: the first one the
        -- templates are written in
        case
            when list_contains($languages, decided.customer_language)
                then decided.customer_language
            when list_contains($languages, languages.language) then languages.language
            else $default_language
        end as language,
        decided.lead_offer as offer,
        case
            when decided.lead_offer is not null then list_concat(
                [decided.lead_offer],
                list_filter(
                    decided.message_offers,
                    lambda offer: offer <> decided.lead_offer
                    and not (offer = 'epc_qr' and decided.channel in ('sms', 'phone'))
                )
            )
            else []::varchar[]
        end as offers,
        coalesce(totals.document_ids, []::varchar[]) as document_ids,
        coalesce(totals.invoice_count, 0) as invoice_count,
        case
            when totals.invoice_count is null then 0
            when totals.currency_count = 1 then totals.amount_due
        end::decimal(18, 2) as amount_due,
        case when totals.currency_count = 1 then totals.any_currency end as currency,
        coalesce(totals.amount_due_base, 0)::decimal(18, 2) as amount_due_base,
        totals.max_days_past_due,
        decided.p_paid_within_horizon,
        decided.expected_uplift,
        decided.expected_value_base::decimal(18, 2) as expected_value_base,
        decided.cost_base::decimal(18, 2) as contact_cost_base,
        decided.reason_code,
        list_filter(
            [
                'segment:' || decided.segment,
                'band:' || decided.score_band,
                'arm:' || decided.experiment_arm,
                case when decided.step_level is not null then 'step:' || decided.step_level end,
                case when decided.escalation <> 'none' then 'escalation:' || decided.escalation end,
                case when decided.has_broken_plan then 'plan_broken' end,
                case when decided.is_fallback then 'channel_fallback' end,
                case when decided.moved_from is not null
                    then 'capacity_moved:' || array_to_string(decided.moved_from, ',') end,
                case when decided.candidates > 1 then 'best_expected_value' end,
                case when decided.channel is not null then 'uplift:' || $uplift_source end,
                case when totals.has_part_payment then 'partial_payment_deducted' end,
                case when left_out.has_paid_in_full and totals.invoice_count > 0
                    then 'paid_invoices_left_out' end,
                case when left_out.has_paid_other_currency and totals.invoice_count > 0
                    then 'paid_other_currency_left_out' end,
                -- the QR code would be offered, but the entity has no collection account
                case when decided.channel in ('email', 'letter', 'whatsapp')
                    and list_contains($sepa_countries, decided.country_code)
                    and totals.currency_count = 1
                    and list_contains($qr_currencies, totals.any_currency)
                    and decided.entity_id not in (
                        select entity_id from policy_collection_accounts
                    )
                    then 'no_collection_account' end
            ],
            lambda code: code is not null
        ) as reason_codes,
    from decided
    left join totals
        on decided.entity_id = totals.entity_id and decided.customer_id = totals.customer_id
    left join left_out
        on decided.entity_id = left_out.entity_id and decided.customer_id = left_out.customer_id
    left join policy_languages as languages
        on decided.country_code = languages.country_code
)

select * from final
"""
