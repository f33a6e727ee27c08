"""Stripe events (an envelope with `data.object`) and bare objects: invoices, payment intents,
charges, refunds and disputes. Amounts are in minor units.

The transaction id is the payment intent wherever there is one, so an intent, its charge and
its invoice are one transaction and a payment reported by two of them is counted once. Stripe
signs the request (`Stripe-Signature` header), which the receiver verifies before landing it.
"""

from __future__ import annotations

from dagster_project.connectors.parsed import (
    ParseError,
    ParseResult,
    epoch_timestamp,
    minor_units,
)
from dagster_project.connectors.psp.common import event_row, method_code, read_json

PROVIDER = "stripe"
EVENT_STATUS = {
    "invoice.paid": "paid",
    "invoice.payment_succeeded": "paid",
    "invoice.payment_failed": "failed",
    "payment_intent.succeeded": "paid",
    "payment_intent.processing": "pending",
    "payment_intent.payment_failed": "failed",
    "payment_intent.canceled": "failed",
    "charge.succeeded": "paid",
    "charge.pending": "pending",
    "charge.failed": "failed",
    "charge.refunded": "refunded",
    "charge.dispute.created": "charged_back",
    "charge.dispute.funds_withdrawn": "charged_back",
    "refund.created": "refunded",
}
OBJECT_STATUS = {
    "invoice": {"paid": "paid", "open": "pending", "uncollectible": "failed", "void": "failed"},
    "payment_intent": {
        "succeeded": "paid",
        "processing": "pending",
        "requires_payment_method": "failed",
        "canceled": "failed",
    },
    "charge": {"succeeded": "paid", "pending": "pending", "failed": "failed"},
    "refund": {"succeeded": "refunded", "pending": "refunded", "failed": "failed"},
    "dispute": {"lost": "charged_back", "needs_response": "charged_back"},
}


def _reference(item: dict) -> str | None:
    metadata = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
    for key in ("invoice_reference", "invoice_number", "invoice"):
        if metadata.get(key):
            return str(metadata[key])
    return str(item["number"]) if item.get("object") == "invoice" and item.get("number") else None


def _amount_field(item: dict) -> object:
    if item.get("object") == "invoice":
        return item.get("amount_paid") if item.get("status") == "paid" else item.get("amount_due")
    return item.get("amount")


def _status(kind: str, item: dict, event_type: str | None) -> str | None:
    if event_type:
        return EVENT_STATUS.get(event_type)
    if kind == "charge" and item.get("refunded"):
        return "refunded"
    return OBJECT_STATUS.get(kind, {}).get(str(item.get("status")))


def _method(item: dict) -> str | None:
    details = item.get("payment_method_details")
    if isinstance(details, dict) and details.get("type"):
        return method_code(details["type"])
    types = item.get("payment_method_types")
    return method_code(types[0]) if isinstance(types, list) and len(types) == 1 else None


def parse_stripe(data: bytes, source: str) -> ParseResult:
    """One Stripe event or object."""
    document = read_json(data, source)
    if not isinstance(document, dict) or "object" not in document:
        raise ParseError(source, "not a Stripe object (no 'object' field)")
    event = document if document["object"] == "event" else None
    item = event["data"]["object"] if event else document
    if not isinstance(item, dict):
        raise ParseError(source, "event data.object is not an object")
    kind = str(item.get("object"))
    event_type = str(event["type"]) if event else None
    status = _status(kind, item, event_type)
    result = ParseResult()
    if status is None:
        what = event_type or f"{kind} in status {item.get('status')}"
        result.warnings.append(f"{source}: {what} is not a payment event")
        return result

    try:
        currency = str(item["currency"]).upper()
        object_id = str(item["id"])
        transaction = item.get("payment_intent") or (
            object_id if kind == "payment_intent" else None
        )
        result.rows.append(
            event_row(
                PROVIDER,
                1,
                event_id=str(event["id"]) if event else f"{object_id}:{status}",
                transaction_id=str(transaction or item.get("charge") or object_id),
                invoice_reference=_reference(item),
                amount=minor_units(_amount_field(item), currency, source),
                currency=currency,
                status=status,
                method=_method(item),
                event_at=epoch_timestamp(event["created"] if event else item["created"], source),
            )
        )
    except (KeyError, TypeError) as error:
        raise ParseError(source, f"{kind} lacks field {error}") from None
    return result
