"""Turn a run's rows into what the sending system sends: payment link, EPC QR code, message.

This is the one place that loops over debtors in Python, because each message is a template
rendering and each QR code an image. Names, e-mail addresses and phone numbers are read from
staging.stg_erp__customers here and go only into messages.jsonl for the sending system;
the warehouse tables and the log never hold them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from models_ml.policy.accounts import collection_accounts
from models_ml.policy.epc import (
    EpcError,
    creditor_reference_is_valid,
    epc_payload,
    write_qr_png,
)
from models_ml.policy.providers import (
    CreditorAccount,
    DemoPaymentProvider,
    PaymentProvider,
    PaymentRequest,
)
from models_ml.policy.render import (
    BankTransfer,
    InvoiceLine,
    MessageInput,
    Renderer,
    default_renderer,
)

log = logging.getLogger(__name__)

RUN_ROWS_SQL = """
select
    runs.entity_id, runs.customer_id, runs.action, runs.channel, runs.tone, runs.template,
    runs.language, runs.offers, runs.amount_due, runs.currency,
    coalesce(customers.country_code, '') as country_code,
    names.customer_name,
    names.email,
    names.phone,
    list(struct_pack(
        number := coalesce(invoices.document_number, invoices.document_id),
        reference := fct.payment_reference,
        due_date := invoices.due_date,
        amount := coalesce(invoices.amount_due, invoices.open_amount),
        currency := invoices.currency,
        days_past_due := invoices.days_past_due
    ) order by invoices.due_date, invoices.document_id) as invoices,
from reminders.reminder_runs as runs
inner join reminders.action_invoices as invoices
    on runs.run_id = invoices.run_id
    and runs.entity_id = invoices.entity_id
    and runs.customer_id = invoices.customer_id
left join marts.fct_invoices as fct
    on invoices.entity_id = fct.entity_id and invoices.document_id = fct.document_id
left join marts.dim_customers as customers
    on runs.entity_id = customers.entity_id and runs.customer_id = customers.customer_id
left join ({names}) as names
    on runs.entity_id = names.entity_id and runs.customer_id = names.customer_id
where runs.run_id = ? and runs.action in ('remind', 'phone_task')
group by all
order by runs.entity_id, runs.customer_id
"""


@dataclass(frozen=True)
class Outbound:
    """One row's link and QR file (relative to the run folder), for reminders.reminder_runs."""

    entity_id: str
    customer_id: str
    payment_link: str
    qr_file: str | None


def demo_provider(con: duckdb.DuckDBPyConnection) -> DemoPaymentProvider:
    """The demo provider, with each entity's name and checked collection account from
    marts.dim_entities."""
    names, accounts = collection_accounts(con)
    return DemoPaymentProvider(names, accounts)


def build_messages(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    as_of: date,
    folder: Path,
    provider: PaymentProvider,
    renderer: Renderer | None = None,
) -> list[Outbound]:
    """Write the QR images and messages.jsonl into `folder`; return each row's link and QR."""
    rows = con.execute(RUN_ROWS_SQL.format(names=_names_source(con)), [run_id]).fetchall()
    renderer = renderer or default_renderer()
    outbound: list[Outbound] = []
    qr_errors = 0
    with (folder / "messages.jsonl").open("w", encoding="utf-8") as messages:
        for row in rows:
            entity, customer, _, channel, tone, template, language, offers, amount, currency = row[
                :10
            ]
            country, name, email, phone, invoices = row[10:15]
            document_ids = tuple(invoice["number"] for invoice in invoices)
            link = provider.payment_link(
                PaymentRequest(
                    run_id, entity, customer, document_ids, amount or Decimal(0), currency or ""
                )
            )
            qr_file = None
            if "epc_qr" in offers and currency == "EUR" and amount:
                try:
                    qr_file = _qr(provider, entity, customer, amount, invoices, folder)
                except EpcError:
                    qr_errors += 1
            shown_offers = tuple(o for o in offers if o != "epc_qr" or qr_file is not None)
            account = provider.creditor_account(entity)
            message = renderer.render(
                MessageInput(
                    channel=channel,
                    tone=tone,
                    template=template,
                    language=language,
                    country_code=country,
                    debtor_name=name or customer,
                    creditor_name=provider_name(provider, entity),
                    invoices=tuple(_line(invoice) for invoice in invoices),
                    offers=shown_offers,
                    payment_link=link,
                    as_of=as_of,
                    bank_transfer=bank_transfer_details(account, invoices) if account else None,
                )
            )
            recipient = {"email": email, "letter": None}.get(channel, phone)
            record = {
                "run_id": run_id,
                "entity_id": entity,
                "customer_id": customer,
                "channel": channel,
                "language": language,
                "recipient": recipient,
                "subject": message.subject,
                "body": message.body,
                "payment_link": link,
                "qr_file": qr_file,
            }
            messages.write(json.dumps(record, ensure_ascii=False) + "\n")
            outbound.append(Outbound(entity, customer, link, qr_file))
    if qr_errors:
        log.warning("%s: %d EPC QR codes could not be made (see epc.py rules)", run_id, qr_errors)
    log.info("%s: rendered %d messages into %s", run_id, len(outbound), folder / "messages.jsonl")
    return outbound


def provider_name(provider: PaymentProvider, entity_id: str) -> str:
    return provider.creditor_name(entity_id)


def _line(invoice: dict) -> InvoiceLine:
    return InvoiceLine(
        invoice["number"],
        invoice["due_date"],
        invoice["amount"],
        invoice["currency"],
        invoice["days_past_due"],
    )


def bank_transfer_details(account: CreditorAccount, invoices: list[dict]) -> BankTransfer:
    """What a transfer should quote: the invoice's own payment reference (RF, a Dutch
    betalingskenmerk or whatever the ERP matches on) when the message lists one invoice
    that has one, else the invoice numbers, as the QR code's text does."""
    reference = (invoices[0]["reference"] or "").strip() if len(invoices) == 1 else ""
    numbers = " ".join(invoice["number"] for invoice in invoices)[:140]  # SEPA remittance text
    return BankTransfer(
        account.name, account.iban, account.bic, reference or None, None if reference else numbers
    )


def _qr(
    provider: PaymentProvider,
    entity: str,
    customer: str,
    amount: Decimal,
    invoices: list[dict],
    folder: Path,
) -> str | None:
    """The EPC QR image for one row: structured reference for one invoice with an RF
    reference, else the invoice numbers as text."""
    account = provider.creditor_account(entity)
    if account is None:
        return None
    reference = invoices[0]["reference"] if len(invoices) == 1 else None
    text = None
    if not reference or not creditor_reference_is_valid(reference):
        reference = None
        text = " ".join(invoice["number"] for invoice in invoices)[:140]
    payload = epc_payload(
        account.name, account.iban, amount, bic=account.bic, reference=reference, text=text
    )
    relative = f"qr/{entity}_{customer}.png"
    write_qr_png(payload, folder / relative)
    return relative


def _names_source(con: duckdb.DuckDBPyConnection) -> str:
    """Names and addresses from staging (never copied into marts); nulls when missing."""
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = current_database() "
        "and table_schema = 'staging' and table_name = 'stg_erp__customers'"
    ).fetchone()[0]
    if not exists:
        log.warning("staging.stg_erp__customers is missing; messages use customer ids as names")
        return (
            "select null::varchar as entity_id, null::varchar as customer_id, "
            "null::varchar as customer_name, null::varchar as email, null::varchar as phone"
        )
    return (
        "select entity_id, customer_id, customer_name, nullif(trim(email), '') as email, "
        "nullif(trim(phone), '') as phone from staging.stg_erp__customers"
    )
