"""The contact history as cells for the uplift model: events and exposure days per kind.

Each past contact opens a window of $window_days on its invoice, cut short by the next contact
on that invoice; the event is the invoice's settlement inside the window. Hold-out debtors
(in a run's record, or inferred: an undisputed invoice unpaid 12 days after due and never a
contact) get phantom contacts 7, 21 and 35 days past due while the invoice is unpaid, which
is when the history's reminders go out. Only windows that closed before $as_of count.
"""

HISTORY_CELLS_SQL = """
with

-- The ERP books a PSP payment a few days after the debtor paid; the PSP's own time is
-- closer to the moment the reminder worked, so it wins when it is earlier.
invoices as (
    select
        invoices.entity_id,
        invoices.customer_id,
        invoices.document_id,
        invoices.due_date,
        case
            when invoices.settled_date is not null and signals.last_status = 'paid'
                then least(invoices.settled_date, signals.paid_at::date)
            else invoices.settled_date
        end as settled_date,
        coalesce(invoices.is_disputed, false) as is_disputed,
    from marts.fct_invoices as invoices
    left join policy_payment_signals as signals
        on invoices.entity_id = signals.entity_id
        and invoices.document_id = signals.document_id
    where invoices.due_date < $as_of
),

contacts as (
    select entity_id, customer_id, document_id, sent_date, channel,
        coalesce(nullif(tone, ''), 'neutral') as tone,
        coalesce(nullif(offer, ''), 'none') as offer,
    from marts.fct_contacts
    where document_id is not null
),

contacted_customers as (
    select distinct entity_id, customer_id from contacts
),

inferred_holdouts as (
    select distinct invoices.entity_id, invoices.customer_id
    from invoices
    anti join contacted_customers
        on invoices.entity_id = contacted_customers.entity_id
        and invoices.customer_id = contacted_customers.customer_id
    where not invoices.is_disputed
        and invoices.due_date + 12 < $as_of
        and coalesce(invoices.settled_date > invoices.due_date + 12, true)
),

phantom_days as (
    select * from (values (7), (21), (35)) as days (days_past_due)
),

phantoms as (
    select invoices.entity_id, invoices.document_id,
        invoices.due_date + phantom_days.days_past_due as sent_date,
        'none' as channel, 'none' as tone, 'none' as offer,
    from invoices
    inner join inferred_holdouts
        on invoices.entity_id = inferred_holdouts.entity_id
        and invoices.customer_id = inferred_holdouts.customer_id
    cross join phantom_days
    where not invoices.is_disputed
        and coalesce(invoices.settled_date > invoices.due_date + phantom_days.days_past_due, true)
    union all
    select entity_id, document_id, sent_date, 'none', 'none', 'none'
    from policy_recorded_holdouts
),

exposures as (
    select entity_id, document_id, sent_date, channel, tone, offer from contacts
    union all
    select * from phantoms
),

windows as (
    select
        exposures.*,
        invoices.due_date,
        invoices.settled_date,
        least(
            exposures.sent_date + $window_days,
            coalesce(
                lead(exposures.sent_date) over (
                    partition by exposures.entity_id, exposures.document_id
                    order by exposures.sent_date
                ),
                exposures.sent_date + $window_days
            )
        ) as window_end,
    from exposures
    inner join invoices
        on exposures.entity_id = invoices.entity_id
        and exposures.document_id = invoices.document_id
    where coalesce(invoices.settled_date > exposures.sent_date, true)
        and exposures.sent_date + $window_days < $as_of
),

outcomes as (
    select
        case
            when sent_date - due_date < 14 then 'a_00_13'
            when sent_date - due_date < 28 then 'b_14_27'
            when sent_date - due_date < 42 then 'c_28_41'
            else 'd_42_up'
        end as dpd_band,
        channel,
        tone,
        offer,
        coalesce(settled_date <= window_end, false) as is_paid,
        (case when settled_date <= window_end then settled_date else window_end end)
            - sent_date as exposure_days,
    from windows
    where window_end > sent_date
)

select
    dpd_band,
    channel,
    tone,
    offer,
    count(*) filter (where is_paid) as events,
    count(*) as exposures,
    sum(exposure_days) as exposure_days,
from outcomes
group by all
order by all
"""
