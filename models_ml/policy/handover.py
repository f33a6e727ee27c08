"""The last check before a run is handed over: has anything been paid since the decision?

Payment signals keep arriving after the marts were built. At hand-over the run's invoices are
matched again against every PSP event up to the cut-off (staging.stg_psp__events is a view on
raw, so it holds what the ingest loaded since). Per provider transaction, the last paid event
counts unless a later refund, charge-back or reversal undoes it; what those transactions paid
in the invoice's currency, beyond what the decision already knew (`psp_paid_amount`), comes
off the amount the run asks for. An invoice paid in full, or paid in another currency (which
cannot be compared), leaves the run; a part payment lowers its amount. A debtor left with no
invoice is suppressed with `paid_at_handover`; one left with less keeps its row with new totals.
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
    select
        action_invoices.entity_id,
        action_invoices.customer_id,
        action_invoices.document_id,
        upper(action_invoices.currency) as invoice_currency,
        coalesce(action_invoices.amount_due, action_invoices.open_amount) as amount_due,
        coalesce(action_invoices.psp_paid_amount, 0) as psp_paid_amount,
        invoices.payment_reference,
        invoices.document_number,
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
    select
        entity_id,
        invoice_reference,
        -- events without a transaction id are taken as one transaction per reference
        coalesce(provider, '') as provider,
        coalesce(transaction_id, invoice_reference) as transaction_key,
        status,
        event_at,
        amount,
        upper(currency) as currency,
    from staging.stg_psp__events
    where event_at <= $cutoff_at
),

matched as (
    select listed.entity_id, listed.document_id, listed.invoice_currency, events.*
        exclude (entity_id, invoice_reference),
    from listed
    inner join events
        on listed.entity_id = events.entity_id
        and (events.invoice_reference = listed.payment_reference
            or events.invoice_reference = listed.document_number
            or events.invoice_reference = listed.document_id)
),

transactions as (
    select
        entity_id,
        document_id,
        invoice_currency,
        provider,
        transaction_key,
        max(event_at) filter (where status = 'paid') as paid_at,
        max(event_at) filter (where status in ('refunded', 'charged_back', 'reversed'))
            as undone_at,
        arg_max(amount, event_at) filter (where status = 'paid') as paid_amount,
        arg_max(currency, event_at) filter (where status = 'paid') as paid_currency,
    from matched
    group by entity_id, document_id, invoice_currency, provider, transaction_key
),

paid_totals as (
    select
        entity_id,
        document_id,
        coalesce(sum(paid_amount) filter (where paid_currency = invoice_currency), 0)
            as paid_amount,
        coalesce(bool_or(paid_currency <> invoice_currency), false) as is_paid_other_currency,
    from transactions
    where paid_at is not null and coalesce(undone_at < paid_at, true)
    group by entity_id, document_id
),

final as (
    select
        listed.entity_id,
        listed.customer_id,
        listed.document_id,
        greatest(paid_totals.paid_amount - listed.psp_paid_amount, 0) as paid_since_amount,
        paid_totals.is_paid_other_currency,
        greatest(listed.amount_due - paid_since_amount, 0) as amount_left,
        paid_totals.is_paid_other_currency or amount_left = 0 as leaves_run,
    from listed
    inner join paid_totals
        on listed.entity_id = paid_totals.entity_id
        and listed.document_id = paid_totals.document_id
)

select * from final where paid_since_amount > 0 or is_paid_other_currency
"""

# A part payment lowers the invoice's amount (and its base amount at the invoice's own rate).
REDUCE_SQL = """
update reminders.action_invoices as invoices
set
    amount_due = paid.amount_left,
    amount_due_base = (
        coalesce(invoices.amount_due_base, invoices.open_amount_base)
        * paid.amount_left
        / coalesce(invoices.amount_due, invoices.open_amount)
    )::decimal(18, 2),
from handover_paid as paid
where invoices.run_id = $run_id
    and invoices.entity_id = paid.entity_id
    and invoices.document_id = paid.document_id
    and not paid.leaves_run
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
    reason_codes = list_concat(
        actions.reason_codes,
        list_filter(
            [
                case when totals.any_left then 'invoices_paid_at_handover' end,
                case when totals.any_reduced then 'partial_payment_at_handover' end
            ],
            lambda code: code is not null
        )
    ),
from (
    select touched.*, totals.* exclude (entity_id, customer_id),
    from (
        select
            entity_id,
            customer_id,
            bool_or(leaves_run) as any_left,
            bool_or(not leaves_run) as any_reduced,
        from handover_paid
        group by entity_id, customer_id
    ) as touched
    left join (
        select
            entity_id,
            customer_id,
            list(document_id order by due_date, document_id) as document_ids,
            count(*) as invoice_count,
            count(distinct currency) as currency_count,
            min(currency) as currency,
            sum(coalesce(amount_due, open_amount)) as amount_due,
            sum(coalesce(amount_due_base, open_amount_base)) as amount_due_base,
            max(days_past_due) as max_days_past_due,
        from reminders.action_invoices
        anti join (select * from handover_paid where leaves_run) as gone
            on action_invoices.entity_id = gone.entity_id
            and action_invoices.document_id = gone.document_id
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
    """Take out or lower the run's invoices paid by the cut-off; return how many left it."""
    has_events = con.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = current_database() "
        "and table_schema = 'staging' and table_name = 'stg_psp__events'"
    ).fetchone()[0]
    if not has_events:
        log.warning("%s: staging.stg_psp__events is missing; no re-check at hand-over", run_id)
        return 0

    con.execute(PAID_SINCE_SQL, {"run_id": run_id, "cutoff_at": cutoff_at})
    left, reduced = con.execute(
        "select count(*) filter (where leaves_run), count(*) filter (where not leaves_run) "
        "from handover_paid"
    ).fetchone()
    if left or reduced:
        con.execute(REDUCE_SQL, {"run_id": run_id})
        con.execute(RETOTAL_SQL, {"run_id": run_id})
        con.execute(
            f"delete from {SCHEMA}.action_invoices as invoices using handover_paid "
            "where invoices.run_id = ? and invoices.entity_id = handover_paid.entity_id "
            "and invoices.document_id = handover_paid.document_id and handover_paid.leaves_run",
            [run_id],
        )
    log.info(
        "%s: by the cut-off %s, %d invoices were paid and left the run, %d were paid in part",
        run_id,
        cutoff_at,
        left,
        reduced,
    )
    return int(left)
