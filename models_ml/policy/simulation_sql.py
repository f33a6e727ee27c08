"""SQL of the simulation: the world, one day of payments under the true hazard, the marts the
policy reads, and the figures.

Time t counts days relative to the due date. On calendar day X an unpaid invoice adds
h(X - due) to its cumulative hazard H, with
    h(d) = base(d) * exp(eta + month_end(d) + sum of active contact effects)
(base and month-end as in effects_truth.json; a contact on day c is active for
c <= d < c + window), and is paid on day X + 1 once H reaches its Exp(1) draw: the generator's
"settled on day ceil(t)". The policy run on day X sees payments dated before X.
"""

WORLD_SQL = """
create or replace table sim_invoices as
select
    invoices.entity_id,
    invoices.customer_id,
    invoices.document_id,
    invoices.issue_date,
    invoices.due_date,
    invoices.terms_days,
    invoices.currency,
    invoices.amount,
    invoices.amount_base,
    coalesce(invoices.is_disputed, false) as is_disputed,
    truth.log_hazard_ratio as eta,
    truth.is_bad_debt,
    truth.is_direct_debit and not truth.direct_debit_returned as is_collected,
    truth.is_direct_debit and truth.direct_debit_returned as is_returned,
    people.propensity,
    lower(customers.customer_type) as customer_type,
    -ln(1 - (md5_number($seed || invoices.entity_id || invoices.document_id) % 1000000007)
        ::double / 1000000007) as exp_draw,
from wh.marts.fct_invoices as invoices
inner join truth_invoices as truth
    on invoices.entity_id = truth.entity_id and invoices.document_id = truth.document_id
inner join truth_customers as people
    on invoices.entity_id = people.entity_id and invoices.customer_id = people.customer_id
inner join wh.marts.dim_customers as customers
    on invoices.entity_id = customers.entity_id and invoices.customer_id = customers.customer_id
where invoices.issue_date between $first_issue and $last_issue
    and invoices.amount > 0
"""

STATE_SQL = """
create or replace table sim_state as
select
    $arm as arm,
    entity_id,
    document_id,
    0.0::double as cumulative_hazard,
    case when is_collected then due_date end as paid_date,
from sim_invoices
"""

DAY_SQL = """
update sim_state as state
set
    cumulative_hazard = state.cumulative_hazard + day.hazard,
    paid_date = case
        when state.cumulative_hazard + day.hazard >= day.exp_draw then $day + 1
    end,
from (
    select
        active.entity_id,
        active.document_id,
        active.exp_draw,
        list_extract(
            $base_rates,
            1 + (active.d >= 3 - active.terms_days)::int + (active.d >= -5)::int
            + (active.d >= 1)::int + (active.d >= 10)::int + (active.d >= 30)::int
            + (active.d >= 90)::int
        ) * exp(
            active.eta
            + case
                when active.d >= active.month_end_d - 4 and active.d < active.month_end_d + 1
                    then case active.customer_type when 'b2c' then $month_end_b2c
                        else $month_end_b2b end
                else 0
            end
            + coalesce(effects.log_ratio, 0)
        ) as hazard,
    from (
        select
            invoices.*,
            ($day - invoices.due_date)::int as d,
            (last_day(invoices.due_date) - invoices.due_date)::int as month_end_d,
        from sim_invoices as invoices
        inner join sim_state as state
            on invoices.entity_id = state.entity_id
            and invoices.document_id = state.document_id
        where state.arm = $arm
            and state.paid_date is null
            and not invoices.is_bad_debt
            and invoices.issue_date <= $day
            and $day - invoices.due_date
                >= case when invoices.is_returned then 5 else -invoices.terms_days end
    ) as active
    left join (
        select contacts.entity_id, contacts.document_id, sum(contacts.log_ratio) as log_ratio,
        from sim_contacts as contacts
        where contacts.arm = $arm
            and $day - contacts.due_date >= contacts.contact_day
            and $day - contacts.due_date < contacts.contact_day + $window
        group by contacts.entity_id, contacts.document_id
    ) as effects
        on active.entity_id = effects.entity_id
        and active.document_id = effects.document_id
) as day
where state.arm = $arm
    and state.entity_id = day.entity_id
    and state.document_id = day.document_id
"""

# What is open on the morning of $day: issued, not disputed-away, and not paid before $day.
OPEN_SQL = """
select invoices.*, state.paid_date,
from sim_invoices as invoices
inner join sim_state as state
    on invoices.entity_id = state.entity_id and invoices.document_id = state.document_id
where state.arm = $arm
    and invoices.issue_date <= $day
    and coalesce(state.paid_date >= $day, true)
"""

MARTS_SQL = """
create or replace table marts.fct_open_items as
select
    $day::date as as_of_date,
    entity_id,
    customer_id,
    document_id as item_id,
    'invoice' as item_type,
    document_id as document_number,
    issue_date,
    due_date,
    currency,
    amount,
    amount as open_amount,
    amount_base as open_amount_base,
    ($day - due_date)::int as days_past_due,
    is_disputed,
from ({open_items})
"""

BALANCES_SQL = """
create or replace table marts.customer_balances as
select
    entity_id,
    customer_id,
    sum(open_amount_base) as open_balance_base,
    sum(open_amount_base) filter (where days_past_due >= 1) as overdue_amount_base,
from marts.fct_open_items
group by entity_id, customer_id
"""

BASELINE_CONTACTS_SQL = """
insert into sim_contacts
select
    $arm,
    open_items.entity_id,
    open_items.customer_id,
    open_items.document_id,
    open_items.due_date,
    ($day - open_items.due_date)::int,
    truth_channel.value,
    'neutral',
    'payment_link',
    truth_channel.effect + truth_tone.effect + truth_offer.effect,
from ({open_items}) as open_items
inner join wh.marts.dim_customers as customers
    on open_items.entity_id = customers.entity_id
    and open_items.customer_id = customers.customer_id
inner join truth_effects as truth_channel
    on truth_channel.kind = 'channel'
    and truth_channel.value = case when customers.has_email then 'email' else 'letter' end
inner join truth_effects as truth_tone
    on truth_tone.kind = 'tone' and truth_tone.value = 'neutral'
inner join truth_effects as truth_offer
    on truth_offer.kind = 'offer' and truth_offer.value = 'payment_link'
where not open_items.is_disputed
    and ($day - open_items.due_date) in (7, 21)
"""

POLICY_CONTACTS_SQL = """
insert into sim_contacts
select
    $arm,
    actions.entity_id,
    actions.customer_id,
    invoices.document_id,
    invoices.due_date,
    ($day - invoices.due_date)::int,
    actions.channel,
    actions.tone,
    actions.offer,
    truth_channel.effect + truth_tone.effect + truth_slope.effect * invoices.propensity
        + truth_offer.effect,
from (
    select *, unnest(document_ids) as document_id,
    from reminders.debtor_actions
    where run_id = $run_id and action in ('remind', 'phone_task')
) as actions
inner join sim_invoices as invoices
    on actions.entity_id = invoices.entity_id and actions.document_id = invoices.document_id
inner join truth_effects as truth_channel
    on truth_channel.kind = 'channel' and truth_channel.value = actions.channel
inner join truth_effects as truth_tone
    on truth_tone.kind = 'tone' and truth_tone.value = actions.tone
inner join truth_effects as truth_slope
    on truth_slope.kind = 'tone_per_propensity' and truth_slope.value = actions.tone
inner join truth_effects as truth_offer
    on truth_offer.kind = 'offer' and truth_offer.value = coalesce(actions.offer, 'none')
"""

FIGURES_SQL = """
with

daily_ar as (
    select days.day, sum(invoices.amount_base) as ar_base,
    from (select unnest(range($first_eval, $last_eval + 1, interval 1 day))::date as day) as days
    inner join sim_invoices as invoices on invoices.issue_date <= days.day
    inner join sim_state as state
        on invoices.entity_id = state.entity_id and invoices.document_id = state.document_id
    where state.arm = $arm and coalesce(state.paid_date > days.day, true)
    group by days.day
),

sales as (
    select sum(amount_base) as sales_base,
    from sim_invoices
    where issue_date between $first_eval and $last_eval
),

cohort as (
    select
        sum(invoices.amount_base) as due_base,
        sum(invoices.amount_base) filter (where state.paid_date <= invoices.due_date + 30)
            as collected_base,
    from sim_invoices as invoices
    inner join sim_state as state
        on invoices.entity_id = state.entity_id and invoices.document_id = state.document_id
    where state.arm = $arm and invoices.due_date between $first_eval and $last_due
),

paid_by_end as (
    select sum(invoices.amount_base) filter (where state.paid_date <= $last_eval) as paid_base,
    from sim_invoices as invoices
    inner join sim_state as state
        on invoices.entity_id = state.entity_id and invoices.document_id = state.document_id
    where state.arm = $arm
)

select
    (select avg(ar_base) from daily_ar)
        / (select sales_base from sales) * ($last_eval - $first_eval + 1) as dso_days,
    (select collected_base / due_base from cohort) as collected_30d_share,
    (select collected_base from cohort) as collected_30d_base,
    (select due_base from cohort) as due_base,
    (select paid_base from paid_by_end) as paid_by_end_base,
"""
