"""A run's message rendered on the spot, for a run whose export folder has no `messages.jsonl`
(a run exported before messages were rendered, or an export folder that was not copied over).

The message is rendered by the policy's own code from what the warehouse holds: the run's row
and listed invoices (`reminders.reminder_runs`, `reminders.action_invoices`), the query the
export uses (`models_ml.policy.messages.RUN_ROWS_SQL`), its templates (`Renderer`), payment link
and EPC QR payload. Only the one message chosen is rendered, and the QR image is made in
memory; nothing is written. The recipient's e-mail address and phone number are never read.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd
import segno
import streamlit as st

from dashboards.data import Scope, Warehouse, cursor, has_table, query, scoped
from models_ml.policy.epc import EpcError, creditor_reference_is_valid, epc_payload
from models_ml.policy.messages import (
    RUN_ROWS_SQL,
    bank_transfer_details,
    demo_provider,
    provider_name,
)
from models_ml.policy.providers import PaymentProvider, PaymentRequest
from models_ml.policy.render import InvoiceLine, MessageInput, default_renderer

NEEDED = ("reminders.reminder_runs", "reminders.action_invoices", "marts.fct_invoices")
# The names the message greets; never the e-mail address or phone number.
_NAMES = (
    "select entity_id, customer_id, customer_name, null::varchar as email, "
    "null::varchar as phone from staging.stg_erp__customers"
)
_NO_NAMES = (
    "select null::varchar as entity_id, null::varchar as customer_id, "
    "null::varchar as customer_name, null::varchar as email, null::varchar as phone"
)


@dataclass(frozen=True)
class Preview:
    subject: str | None
    body: str
    payment_link: str
    qr_png: bytes | None


def can_render(warehouse: Warehouse) -> bool:
    return all(has_table(warehouse, name) for name in NEEDED)


@st.cache_data(show_spinner=False)
def candidates(warehouse: Warehouse, scope: Scope, run_id: str, limit: int) -> pd.DataFrame:
    """The run's reminders and phone tasks in scope: entity_id, customer_id, channel."""
    sql = scoped("""
        select r.entity_id, r.customer_id, r.channel
        from reminders.reminder_runs as r
        inner join scoped_customers as c
            on c.entity_id = r.entity_id and c.customer_id = r.customer_id
        where r.run_id = $run_id and r.action in ('remind', 'phone_task')
        order by r.entity_id, r.customer_id
        limit $limit
    """)
    return query(warehouse, sql, {**scope.params(), "run_id": run_id, "limit": limit})


@st.cache_data(show_spinner=False)
def render(
    warehouse: Warehouse, run_id: str, as_of: date, entity_id: str, customer_id: str
) -> Preview | None:
    """One message as the export would render it; None when the run has no such row.
    `entity_id` and `customer_id` come from `candidates`, which applies the viewer's scope."""
    names = _NAMES if has_table(warehouse, "staging.stg_erp__customers") else _NO_NAMES
    sql = (
        f"select * from ({RUN_ROWS_SQL.format(names=names).replace('?', '$run_id')}) "
        "where entity_id = $entity_id and customer_id = $customer_id"
    )
    rows = query(
        warehouse, sql, {"run_id": run_id, "entity_id": entity_id, "customer_id": customer_id}
    )
    if rows.empty:
        return None
    row = rows.iloc[0]

    provider = _provider(warehouse)
    invoices = list(row["invoices"])
    amount = row["amount_due"] if row["amount_due"] is not None else Decimal(0)
    currency = row["currency"] or ""
    numbers = tuple(invoice["number"] for invoice in invoices)
    link = provider.payment_link(
        PaymentRequest(run_id, entity_id, customer_id, numbers, amount, currency)
    )
    offers = tuple(row["offers"])
    qr_png = _qr_png(provider, entity_id, amount, invoices) if _wants_qr(offers, row) else None
    account = provider.creditor_account(entity_id)
    message = default_renderer().render(
        MessageInput(
            channel=row["channel"],
            tone=row["tone"],
            template=row["template"],
            language=row["language"],
            country_code=row["country_code"],
            debtor_name=row["customer_name"] or customer_id,
            creditor_name=provider_name(provider, entity_id),
            invoices=tuple(_line(invoice) for invoice in invoices),
            offers=tuple(o for o in offers if o != "epc_qr" or qr_png is not None),
            payment_link=link,
            as_of=as_of,
            bank_transfer=bank_transfer_details(account, invoices) if account else None,
        )
    )
    return Preview(message.subject, message.body, link, qr_png)


def _provider(warehouse: Warehouse) -> PaymentProvider:
    with cursor(warehouse) as con:
        return demo_provider(con)


def _wants_qr(offers: tuple[str, ...], row: pd.Series) -> bool:
    return "epc_qr" in offers and row["currency"] == "EUR" and bool(row["amount_due"])


def _qr_png(
    provider: PaymentProvider, entity_id: str, amount: Decimal, invoices: list
) -> bytes | None:
    """The EPC QR image as the export makes it: the structured reference of a single invoice
    when it is a valid RF reference, else the invoice numbers as text."""
    account = provider.creditor_account(entity_id)
    if account is None:
        return None
    reference = invoices[0]["reference"] if len(invoices) == 1 else None
    text = None
    if not reference or not creditor_reference_is_valid(reference):
        reference = None
        text = " ".join(invoice["number"] for invoice in invoices)[:140]
    try:
        payload = epc_payload(
            account.name, account.iban, amount, bic=account.bic, reference=reference, text=text
        )
    except EpcError:
        return None
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=4)
    return buffer.getvalue()


def _line(invoice: dict) -> InvoiceLine:
    return InvoiceLine(
        invoice["number"],
        invoice["due_date"],
        invoice["amount"],
        invoice["currency"],
        invoice["days_past_due"],
    )
