"""Mollie API objects: payments (single or a list), refunds, chargebacks and payment links.

Mollie's webhook carries only an id; the receiver fetches the object from the API (which is
its authentication) and lands it here. Mollie has no event id, so one is made from the object
id and its state: a re-delivery of the same state is the same event. Mandates, settlements,
balance transactions and Mollie's own invoices carry no payment of an invoice and give no row.
"""

from __future__ import annotations

from decimal import Decimal

from dagster_project.connectors.parsed import ParseError, ParseResult, decimal_amount, utc_timestamp
from dagster_project.connectors.psp.common import event_row, method_code, read_json

PROVIDER = "mollie"
PAYMENT_STATUS = {
    "open": "pending",
    "pending": "pending",
    "authorized": "pending",
    "paid": "paid",
    "canceled": "failed",
    "expired": "failed",
    "failed": "failed",
}
# The moment each payment status was reached, best first.
STATUS_AT = {
    "paid": ("paidAt",),
    "canceled": ("canceledAt",),
    "expired": ("expiredAt",),
    "failed": ("failedAt",),
    "authorized": ("authorizedAt",),
}
REFUND_STATUS = {
    "queued": "refunded",
    "pending": "refunded",
    "processing": "refunded",
    "refunded": "refunded",
    "failed": "failed",
    "canceled": "failed",
}
IGNORED = {"mandate", "settlement", "balance_transaction", "invoice", "customer", "balance"}


def _money(value: object, source: str) -> tuple[Decimal, str]:
    if not isinstance(value, dict):
        raise ParseError(source, f"amount {value!r} is not a Mollie amount object")
    return decimal_amount(value.get("value"), source, "amount"), str(value.get("currency", ""))


def _reference(item: dict) -> str | None:
    metadata = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
    for key in ("invoice_reference", "invoice_number", "invoice", "order_id"):
        if metadata.get(key):
            return str(metadata[key])
    return None


def _payment(item: dict, position: int, source: str):
    status = str(item.get("status", ""))
    if status not in PAYMENT_STATUS:
        raise ParseError(source, f"payment {item.get('id')}: unknown status {status!r}")
    amount, currency = _money(item.get("amount"), source)
    moment = next((item[key] for key in STATUS_AT.get(status, ()) if item.get(key)), None)
    return event_row(
        PROVIDER,
        position,
        event_id=f"{item['id']}:{status}",
        transaction_id=item["id"],
        invoice_reference=_reference(item),
        amount=amount,
        currency=currency,
        status=PAYMENT_STATUS[status],
        method=method_code(item.get("method")),
        event_at=utc_timestamp(moment or item["createdAt"], source),
    )


def _refund(item: dict, position: int, source: str):
    status = str(item.get("status", ""))
    if status not in REFUND_STATUS:
        raise ParseError(source, f"refund {item.get('id')}: unknown status {status!r}")
    amount, currency = _money(item.get("amount"), source)
    return event_row(
        PROVIDER,
        position,
        event_id=f"{item['id']}:{status}",
        transaction_id=item.get("paymentId") or item["id"],
        invoice_reference=_reference(item),
        amount=amount,
        currency=currency,
        status=REFUND_STATUS[status],
        method=None,
        event_at=utc_timestamp(item["createdAt"], source),
    )


def _chargeback(item: dict, position: int, source: str):
    amount, currency = _money(item.get("amount"), source)
    return event_row(
        PROVIDER,
        position,
        event_id=f"{item['id']}:chargeback",
        transaction_id=item.get("paymentId") or item["id"],
        invoice_reference=_reference(item),
        amount=amount,
        currency=currency,
        status="charged_back",
        method=None,
        event_at=utc_timestamp(item["createdAt"], source),
    )


def _payment_link(item: dict, position: int, source: str):
    amount, currency = _money(item.get("amount"), source)
    paid = bool(item.get("paidAt"))
    return event_row(
        PROVIDER,
        position,
        event_id=f"{item['id']}:{'paid' if paid else 'open'}",
        transaction_id=item["id"],
        invoice_reference=_reference(item),
        amount=amount,
        currency=currency,
        status="paid" if paid else "pending",
        method="payment_link",
        event_at=utc_timestamp(item.get("paidAt") or item["createdAt"], source),
    )


BUILDERS = {
    "payment": _payment,
    "refund": _refund,
    "chargeback": _chargeback,
    "payment-link": _payment_link,
}


def _objects(document: object, source: str) -> list[dict]:
    if not isinstance(document, dict):
        raise ParseError(source, "not a Mollie API object")
    embedded = document.get("_embedded")
    if isinstance(embedded, dict):
        return [item for items in embedded.values() if isinstance(items, list) for item in items]
    return [document]


def parse_mollie(data: bytes, source: str) -> ParseResult:
    """Every payment-related object in one Mollie API response."""
    result = ParseResult()
    for position, item in enumerate(_objects(read_json(data, source), source), start=1):
        resource = str(item.get("resource", "")) if isinstance(item, dict) else ""
        if resource in IGNORED:
            result.warnings.append(f"{source}: {resource} {item.get('id')} is not a payment event")
            continue
        if resource not in BUILDERS:
            raise ParseError(source, f"object {position}: unknown Mollie resource {resource!r}")
        try:
            result.rows.append(BUILDERS[resource](item, position, source))
        except (KeyError, TypeError) as error:
            raise ParseError(source, f"{resource} {position} lacks field {error}") from None
    return result
