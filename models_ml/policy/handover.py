"""The last check before a run is handed over: has anything been paid since the decision?

Payment signals keep arriving after the marts were built. At hand-over the run's invoices are
matched again against every PSP event up to the cut-off (staging.stg_psp__events is a view on
raw, so it holds what the ingest loaded since): an invoice whose last paid event is not undone
by a later refund, charge-back or reversal leaves the run. A debtor left with no invoice is
suppressed with `paid_at_handover`; one left with fewer keeps its row with new totals.
"""

from __future__ import annotations

import logging
from datetime import datetime

import duckdb

from models_ml.policy.tables import SCHEMA

log = logging.getLogger(__name__)

PAID_SINCE_SQL = """
create or replace temp table handover_paid as
with

listed as (
    select action_invoices.entity_id, action_invoices.document_id,
        invoices.payment_reference, invoices.document_number,
    from reminders.action_invoices
    inner join reminders.debtor_actions as actions
        on action_invoices.run_id = actions.run_id
        and action_invoices.entity_id = actions.entity_id
        and action_invoices.customer_id = actions.customer_id
    left join marts.fct_invoices as invoices
        on action_invoices.entity_id = invoices.entity_id
        and action_invoices.document_id = invoices.document_id
    where action_invoices.run_id = $run_id and actions.action <> 'none'
),

events as (
    select entity_id, invoice_reference, status, event_at,
    from staging.stg_psp__events
    where event_at <= $cutoff_at
),

matched as (
    select listed.entity_id, listed.document_id, events.status, events.event_at,
    from listed
    inner join events
        on listed.entity_id = events.entity_id
        and (events.invoice_reference = listed.payment_reference
            or events.invoice_reference = listed.document_number
            or events.invoice_reference = listed.document_id)
),

states as (
    select
        entity_id,
        document_id,
        max(event_at) filter (where status = 'paid') as paid_at,
        max(event_at) filter (where status in ('refunded', 'charged_back', 'reversed'))
            as undone_at,
    from matched
    group by entity_id, document_id
)

select entity_id, document_id from states
where paid_at is not null and coalesce(undone_at < paid_at, true)
"""

RETOTAL_SQL = """
update reminders.debtor_actions as actions
set
    document_ids = coalesce(totals.document_ids, []::varchar[]),
    invoice_count = coalesce(totals.invoice_count, 0),
    amount_due = case
        when totals.invoice_count is null then 0
        when totals.currency_count = 1 then totals.amount_due
    end,
    currency = case when totals.currency_count = 1 then totals.currency end,
    amount_due_base = coalesce(totals.amount_due_base, 0),
    max_days_past_due = totals.max_days_past_due,
    action = case when totals.invoice_count is null then 'none' else actions.action end,
    reason_code = case
        when totals.invoice_count is null then 'paid_at_handover' else actions.reason_code
    end,
    reason_codes = list_append(actions.reason_codes, 'invoices_paid_at_handover'),
from (
    select touched.entity_id, touched.customer_id, totals.* exclude (entity_id, customer_id),
    from (
        select distinct action_invoices.entity_id, action_invoices.customer_id,
        from reminders.action_invoices
        inner join handover_paid
            on action_invoices.entity_id = handover_paid.entity_id
            and action_invoices.document_id = handover_paid.document_id
        where action_invoices.run_id = $run_id
    ) as touched
    left join (
        select
            entity_id,
            customer_id,
            list(document_id order by due_date, document_id) as document_ids,
            count(*) as invoice_count,
            count(distinct currency) as currency_count,
            min(currency) as currency,
            sum(open_amount) as amount_due,
            sum(open_amount_base) as amount_due_base,
            max(days_past_due) as max_days_past_due,
        from reminders.action_invoices
        anti join handover_paid
            on action_invoices.entity_id = handover_paid.entity_id
            and action_invoices.document_id = handover_paid.document_id
        where run_id = $run_id
        group by entity_id, customer_id
    ) as totals
        on touched.entity_id = totals.entity_id and touched.customer_id = totals.customer_id
) as totals
where actions.run_id = $run_id
    and actions.action <> 'none'
    and actions.entity_id = totals.entity_id
    and actions.customer_id = totals.customer_id
"""


def recheck_payment_signals(
    con: duckdb.DuckDBPyConnection, run_id: str, cutoff_at: datetime
) -> int:
    """Drop the run's invoices paid by the cut-off; return how many invoices left the run."""
    has_events = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'staging' and table_name = 'stg_psp__events'"
    ).fetchone()[0]
    if not has_events:
        log.warning("%s: staging.stg_psp__events is missing; no re-check at hand-over", run_id)
        return 0

    con.execute(PAID_SINCE_SQL, {"run_id": run_id, "cutoff_at": cutoff_at})
    paid = con.execute("select count(*) from handover_paid").fetchone()[0]
    if paid:
        con.execute(RETOTAL_SQL, {"run_id": run_id})
        con.execute(
            f"delete from {SCHEMA}.action_invoices as invoices using handover_paid "
            "where invoices.run_id = ? and invoices.entity_id = handover_paid.entity_id "
            "and invoices.document_id = handover_paid.document_id",
            [run_id],
        )
    log.info("%s: %d invoices paid by the cut-off %s left the run", run_id, paid, cutoff_at)
    return int(paid)
