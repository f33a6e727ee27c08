"""Step 1 of the decision: every debtor with open items, its situation and its next step.

policy_invoices holds every open invoice with what a PSP says was paid on it: `amount_due` is
the open amount less the PSP payments the ERP has not booked yet (same currency only), and
`payment_state` says whether that is a part payment, a full one or one in another currency.

One row per (entity_id, customer_id) into the temp table policy_debtors: the undisputed,
unpaid invoices a reminder would list (overdue ones, else those coming due), the weighted
score and band, the segment, the contact history, arrangements in force, the hold-out arm,
the next step of the strategy, the offers the message may make, and `blocked_reason`: the
first contact rule that stops a reminder (null when a step is due).

Parameters: $as_of, $unscored_band, $quiet_days, $max_per_month, $plan_grace_days, $seed,
$max_pre_due_days, offer rule thresholds ($qr_currencies ...). Policy tables come from
`rules.load_rules`, and policy_arrangements and policy_psp_allocations from
`inputs.load_optional_inputs`.
"""

INVOICES_SQL = """
create or replace temp table policy_invoices as

with

open_items as (
    select * from marts.fct_open_items where as_of_date = $as_of
),

payment_signals as (
    select entity_id, document_id, paid_amount, upper(currency) as paid_currency,
    from marts.fct_payment_signals
),

-- PSP payments the ERP has already booked are in the open amount; only the rest is deducted.
psp_booked as (
    select entity_id, document_id, upper(currency) as currency, sum(amount) as booked_amount,
    from policy_psp_allocations
    where booked_date <= $as_of
    group by entity_id, document_id, upper(currency)
),

latest_scores as (
    select
        entity_id,
        document_id,
        p_paid_within_horizon,
        horizon_days,
        row_number() over (
            partition by entity_id, document_id order by as_of_date desc, scored_at desc
        ) as score_rank,
    from ml.invoice_scores
    where as_of_date <= $as_of
),

invoices as (
    select
        open_items.entity_id,
        open_items.customer_id,
        open_items.item_id as document_id,
        open_items.document_number,
        open_items.due_date,
        open_items.currency,
        open_items.open_amount,
        open_items.open_amount_base,
        open_items.days_past_due,
        latest_scores.p_paid_within_horizon,
        latest_scores.horizon_days,
        coalesce(open_items.is_disputed, false) as is_disputed,
        open_items.days_past_due >= 1 as is_overdue,
        coalesce(payment_signals.paid_amount, 0) as psp_paid_amount,
        coalesce(payment_signals.paid_amount, 0) > 0
            and payment_signals.paid_currency <> upper(open_items.currency)
            as is_paid_other_currency,
        case
            when payment_signals.paid_currency = upper(open_items.currency)
                then greatest(
                    payment_signals.paid_amount - coalesce(psp_booked.booked_amount, 0), 0
                )
            else 0
        end as psp_unbooked_amount,
    from open_items
    left join payment_signals
        on open_items.entity_id = payment_signals.entity_id
        and open_items.item_id = payment_signals.document_id
    left join psp_booked
        on open_items.entity_id = psp_booked.entity_id
        and open_items.item_id = psp_booked.document_id
        and upper(open_items.currency) = psp_booked.currency
    left join latest_scores
        on open_items.entity_id = latest_scores.entity_id
        and open_items.item_id = latest_scores.document_id
        and latest_scores.score_rank = 1
    where open_items.item_type in ('invoice', 'debit_note')
        and open_items.open_amount > 0
),

-- Only a payment of the whole open amount, in the invoice's currency, keeps an invoice out of
-- a reminder; a part payment lowers the amount asked for. A payment in another currency
-- cannot be compared: the invoice is left out for a person to look at.
paid as (
    select
        *,
        case
            when is_paid_other_currency then 'paid_other_currency'
            when psp_unbooked_amount >= open_amount then 'paid_in_full'
            when psp_unbooked_amount > 0 then 'paid_in_part'
        end as payment_state,
        greatest(open_amount - psp_unbooked_amount, 0) as amount_due,
    from invoices
),

final as (
    select
        *,
        case
            when amount_due = open_amount then open_amount_base
            else (open_amount_base * amount_due / open_amount)::decimal(18, 2)
        end as amount_due_base,
        not is_disputed and coalesce(payment_state = 'paid_in_part', true) as is_clean,
    from paid
)

select * from final
"""

DEBTORS_SQL = """
create or replace temp table policy_debtors as

with

listable as (
    select * from policy_invoices
),

customers as (
    select * from marts.dim_customers
),

entities as (
    select entity_id, upper(country_code) as entity_country_code from marts.dim_entities
),

balances as (
    select * from marts.customer_balances
),

-- Contacts the ERP reports and the actions of earlier runs (the ERP may report those late);
-- a hand-over to collection counts as a step taken but not as a contact with the debtor.
contacts as (
    select entity_id, customer_id, document_id, sent_date,
        coalesce(reminder_level, 1) as reminder_level, true as is_contact,
    from marts.fct_contacts
    where sent_date <= $as_of
    union all
    select entity_id, customer_id, unnest(document_ids), as_of_date, step_level,
        action <> 'collection_handover',
    from reminders.reminder_runs
    where as_of_date < $as_of
),

-- An instalment plan is broken once its invoice's oldest open instalment (the due date of
-- fct_open_items) is more than $plan_grace_days days late: it then holds nothing back. A
-- disputed invoice does not break it, nor does one with a PSP payment the ERP has not booked
-- yet (which instalments that pays is known once it is booked).
arrangements_in_force as (
    select
        arrangements.entity_id,
        arrangements.customer_id,
        arrangements.arrangement_type,
        coalesce(
            invoices.days_past_due > $plan_grace_days
            and not invoices.is_disputed
            and invoices.payment_state is null,
            false
        ) as is_broken,
    from policy_arrangements as arrangements
    left join policy_invoices as invoices
        on arrangements.entity_id = invoices.entity_id
        and arrangements.document_id = invoices.document_id
    where arrangements.valid_from <= $as_of and coalesce(arrangements.valid_to >= $as_of, true)
),

arrangements as (
    select
        entity_id,
        customer_id,
        min(arrangement_type) filter (where not is_broken) as arrangement_type,
        bool_or(is_broken) as has_broken_plan,
    from arrangements_in_force
    group by entity_id, customer_id
),

late_history as (
    select entity_id, customer_id, count(*) as late_invoices,
    from marts.fct_invoices
    where days_late >= 7 and settled_date > $as_of - 365 and settled_date <= $as_of
    group by entity_id, customer_id
),

invoice_stats as (
    select
        entity_id,
        customer_id,
        count(*) filter (where is_overdue) as overdue_count,
        count(*) filter (where is_overdue and not is_disputed) as undisputed_count,
        count(*) filter (where is_overdue and is_clean) as invoice_count,
        count(*) filter (
            where is_overdue and not is_disputed and payment_state = 'paid_other_currency'
        ) as paid_other_currency_count,
        max(days_past_due) filter (where is_overdue and is_clean) as max_days_past_due,
        count(*) filter (where not is_overdue and is_clean and days_past_due >= -$max_pre_due_days)
            as upcoming_count,
        max(days_past_due) filter (where not is_overdue and is_clean) as upcoming_days_past_due,
        sum(p_paid_within_horizon * amount_due_base::double)
            filter (where is_clean and p_paid_within_horizon is not null)
        / nullif(
            sum(amount_due_base::double)
                filter (where is_clean and p_paid_within_horizon is not null),
            0
        ) as p_paid_within_horizon,
        coalesce(max(horizon_days), 14) as horizon_days,
    from listable
    group by entity_id, customer_id
),

open_debtors as (
    select distinct entity_id, customer_id from marts.fct_open_items where as_of_date = $as_of
),

debtor_invoices as (
    select
        open_debtors.entity_id,
        open_debtors.customer_id,
        coalesce(stats.overdue_count, 0) as overdue_count,
        coalesce(stats.undisputed_count, 0) as undisputed_count,
        coalesce(stats.invoice_count, 0) as invoice_count,
        coalesce(stats.paid_other_currency_count, 0) as paid_other_currency_count,
        stats.max_days_past_due,
        coalesce(stats.upcoming_count, 0) as upcoming_count,
        stats.upcoming_days_past_due,
        stats.p_paid_within_horizon,
        coalesce(stats.horizon_days, 14) as horizon_days,
    from open_debtors
    left join invoice_stats as stats
        on open_debtors.entity_id = stats.entity_id
        and open_debtors.customer_id = stats.customer_id
),

contact_history as (
    select
        entity_id,
        customer_id,
        max(sent_date) as last_contact_date,
        count(distinct sent_date) filter (where sent_date > $as_of - 30) as contacts_30_days,
    from contacts
    where is_contact
    group by entity_id, customer_id
),

levels_sent as (
    select
        contacts.entity_id,
        contacts.customer_id,
        max(contacts.reminder_level) filter (where listable.is_overdue) as max_level_sent,
        coalesce(bool_or(contacts.reminder_level = 0) filter (where not listable.is_overdue),
            false) as pre_due_sent,
    from contacts
    inner join listable
        on contacts.entity_id = listable.entity_id
        and contacts.document_id = listable.document_id
    where listable.is_clean
    group by contacts.entity_id, contacts.customer_id
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

profiles as (
    select
        debtor_invoices.*,
        customers.customer_id is not null as is_known_customer,
        lower(customers.customer_type) as customer_type,
        lower(customers.division) as division,
        lower(customers.segment) as customer_segment,
        upper(customers.country_code) as country_code,
        coalesce(entities.entity_country_code, upper(customers.country_code))
            as entity_country_code,
        nullif(lower(trim(customers.language)), '') as customer_language,
        coalesce(customers.has_email, false) as has_email,
        coalesce(customers.has_phone, false) as has_phone,
        coalesce(customers.has_address, false) as has_address,
        coalesce(balances.open_balance_base, 0) as open_balance_base,
        coalesce(balances.overdue_amount_base, 0) as overdue_amount_base,
        coalesce(bands.score_band, $unscored_band) as score_band,
        bands.score_band is not null as is_scored,
        coalesce(late_history.late_invoices, 0) as late_invoices,
        contact_history.last_contact_date,
        coalesce(contact_history.contacts_30_days, 0) as contacts_30_days,
        coalesce(levels_sent.max_level_sent, 0) as max_level_sent,
        coalesce(levels_sent.pre_due_sent, false) as pre_due_sent,
        arrangements.arrangement_type,
        coalesce(arrangements.has_broken_plan, false) as has_broken_plan,
        (md5_number($seed || '|' || debtor_invoices.entity_id || '|' || debtor_invoices.customer_id)
            % 1000000)::double / 1000000 as holdout_draw,
    from debtor_invoices
    left join customers
        on debtor_invoices.entity_id = customers.entity_id
        and debtor_invoices.customer_id = customers.customer_id
    left join entities on debtor_invoices.entity_id = entities.entity_id
    left join balances
        on debtor_invoices.entity_id = balances.entity_id
        and debtor_invoices.customer_id = balances.customer_id
    left join band_candidates as bands
        on debtor_invoices.entity_id = bands.entity_id
        and debtor_invoices.customer_id = bands.customer_id
        and bands.band_rank = 1
    left join late_history
        on debtor_invoices.entity_id = late_history.entity_id
        and debtor_invoices.customer_id = late_history.customer_id
    left join contact_history
        on debtor_invoices.entity_id = contact_history.entity_id
        and debtor_invoices.customer_id = contact_history.customer_id
    left join levels_sent
        on debtor_invoices.entity_id = levels_sent.entity_id
        and debtor_invoices.customer_id = levels_sent.customer_id
    left join arrangements
        on debtor_invoices.entity_id = arrangements.entity_id
        and debtor_invoices.customer_id = arrangements.customer_id
),

segment_candidates as (
    select
        profiles.entity_id,
        profiles.customer_id,
        rules.segment,
        case
            when profiles.holdout_draw < rules.holdout_share
                then 'holdout_' || rules.holdout_arm
            else 'strategy'
        end as experiment_arm,
        row_number() over (
            partition by profiles.entity_id, profiles.customer_id order by rules.segment_order
        ) as segment_rank,
    from profiles
    inner join policy_segments as rules
        on (rules.customer_types is null
            or list_contains(rules.customer_types, profiles.customer_type))
        and (rules.divisions is null or list_contains(rules.divisions, profiles.division))
        and (rules.customer_segments is null
            or list_contains(rules.customer_segments, profiles.customer_segment))
        and (rules.entities is null or list_contains(rules.entities, lower(profiles.entity_id)))
        and (rules.countries is null
            or list_contains(rules.countries, lower(profiles.country_code)))
        and (rules.score_bands is null
            or (profiles.is_scored and list_contains(rules.score_bands, profiles.score_band)))
        and (rules.min_overdue_amount_base is null
            or profiles.overdue_amount_base >= rules.min_overdue_amount_base)
        and (rules.max_overdue_amount_base is null
            or profiles.overdue_amount_base < rules.max_overdue_amount_base)
        and (rules.min_days_past_due is null
            or coalesce(profiles.max_days_past_due, 0) >= rules.min_days_past_due)
        and (rules.max_days_past_due is null
            or coalesce(profiles.max_days_past_due, 0) < rules.max_days_past_due)
        and (rules.min_late_invoices is null
            or profiles.late_invoices >= rules.min_late_invoices)
),

segmented as (
    select profiles.*, segments.segment, segments.experiment_arm,
    from profiles
    inner join segment_candidates as segments
        on profiles.entity_id = segments.entity_id
        and profiles.customer_id = segments.customer_id
        and segments.segment_rank = 1
),

due_steps as (
    select
        segmented.entity_id,
        segmented.customer_id,
        steps.*,
        row_number() over (
            partition by segmented.entity_id, segmented.customer_id order by steps.level
        ) as step_rank,
    from segmented
    inner join policy_steps as steps
        on segmented.segment = steps.segment
        and segmented.score_band = steps.score_band
    where (steps.has_contact or steps.escalation = 'collection_handover')
        and (
            (steps.level >= 1
                and segmented.invoice_count > 0
                and steps.days_past_due <= segmented.max_days_past_due
                and steps.level > segmented.max_level_sent
                and (segmented.experiment_arm <> 'holdout_no_reminder'
                    or steps.escalation = 'collection_handover'))
            or (steps.level = 0
                and segmented.experiment_arm <> 'holdout_no_reminder'
                and segmented.invoice_count = 0
                and segmented.upcoming_count > 0
                and not segmented.pre_due_sent
                and segmented.upcoming_days_past_due >= steps.days_past_due)
        )
),

last_steps as (
    select
        segment,
        score_band,
        max(level) as last_level,
        min(days_past_due) filter (where level >= 1) as first_step_days,
    from policy_steps
    group by segment, score_band
),

stepped as (
    select
        segmented.*,
        due_steps.level as step_level,
        due_steps.days_past_due as step_days_past_due,
        due_steps.escalation,
        due_steps.channels,
        due_steps.tones,
        due_steps.offers as step_offers,
        due_steps.template,
        last_steps.last_level,
        last_steps.first_step_days,
    from segmented
    left join due_steps
        on segmented.entity_id = due_steps.entity_id
        and segmented.customer_id = due_steps.customer_id
        and due_steps.step_rank = 1
    left join last_steps
        on segmented.segment = last_steps.segment
        and segmented.score_band = last_steps.score_band
),

final as (
    select
        *,
        case
            -- no master data: nobody to address a message to, whatever the balance
            when not is_known_customer then 'unknown_customer'
            when open_balance_base <= 0 then 'net_credit'
            when arrangement_type is not null then arrangement_type
            when overdue_count > 0 and undisputed_count = 0 then 'all_disputed'
            when undisputed_count > 0 and invoice_count = 0 and paid_other_currency_count > 0
                then 'paid_signal_other_currency'
            when undisputed_count > 0 and invoice_count = 0 then 'paid_signal'
            when invoice_count = 0 and step_level is null then 'not_overdue'
            when step_level is null and max_days_past_due < first_step_days
                then 'before_first_step'
            when step_level is null and max_level_sent >= last_level then 'strategy_complete'
            when step_level is null and experiment_arm = 'holdout_no_reminder'
                then 'holdout_no_reminder'
            when step_level is null then 'awaiting_next_step'
            -- a step is due but the customer record has no e-mail, phone or address
            when not (has_email or has_phone or has_address) then 'no_contact_data'
            when escalation = 'collection_handover' then null
            when last_contact_date > $as_of - $quiet_days then 'quiet_period'
            when contacts_30_days >= $max_per_month then 'monthly_limit'
        end as blocked_reason,
    from stepped
)

select * from final
"""

LISTED_SQL = """
create or replace temp table policy_listed as
select
    debtors.entity_id,
    debtors.customer_id,
    invoices.document_id,
    invoices.document_number,
    invoices.due_date,
    invoices.currency,
    invoices.open_amount,
    invoices.open_amount_base,
    invoices.days_past_due,
    invoices.psp_paid_amount,
    invoices.amount_due,
    invoices.amount_due_base,
    invoices.payment_state,
from policy_debtors as debtors
inner join policy_invoices as invoices
    on debtors.entity_id = invoices.entity_id
    and debtors.customer_id = invoices.customer_id
where invoices.is_clean
    and case
        when debtors.step_level = 0
            then not invoices.is_overdue
            and invoices.days_past_due >= debtors.step_days_past_due
        else invoices.is_overdue
    end
"""
