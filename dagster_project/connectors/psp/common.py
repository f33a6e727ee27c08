"""What all PSP parsers share: the event shape, methods, JSON reading, signature refusals.

Each parser returns psp_events rows without `entity_id` and `received_at`: the loader fills
them from the landing folder (`psp/<provider>/<entity_id>/`) and the file's arrival time.
Amounts are the provider's amount, positive; the status says what happened to it.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from dagster_project.connectors.parsed import ParseError, Rejected, Row
from dagster_project.contract import PSP_EVENTS

# Provider method names -> the stack's method codes (as in the demo generator).
METHODS = {
    "ideal": "ideal",
    "wero": "wero",
    "bancontact": "bancontact",
    "mistercash": "bancontact",
    "bcmc": "bancontact",
    "sepadirectdebit": "sepa_direct_debit",
    "directdebit": "sepa_direct_debit",
    "sepa_debit": "sepa_direct_debit",
    "card": "card",
    "creditcard": "card",
    "visa": "card",
    "mc": "card",
    "mastercard": "card",
    "amex": "card",
    "maestro": "card",
    "banktransfer": "bank_transfer",
    "transfer": "bank_transfer",
    "paymentlink": "payment_link",
    "payment_link": "payment_link",
    "qr": "qr",
}


def method_code(name: object) -> str | None:
    """The stack's method code; an unknown method is kept as the provider names it."""
    if not name:
        return None
    key = str(name).strip().lower().replace("-", "").replace(" ", "")
    return METHODS.get(key, key)


def read_json(data: bytes, source: str) -> object:
    """JSON with numbers as Decimal, so no amount passes through a float."""
    try:
        return json.loads(data.decode("utf-8-sig"), parse_float=Decimal)
    except UnicodeDecodeError:
        raise ParseError(source, "not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise ParseError(source, f"not valid JSON: {error}") from None


def event_row(
    provider: str,
    source_row: int,
    *,
    event_id: str,
    transaction_id: str,
    invoice_reference: str | None,
    amount: Decimal,
    currency: str,
    status: str,
    method: str | None,
    event_at: datetime,
) -> Row:
    return Row(
        PSP_EVENTS.name,
        source_row,
        {
            "provider": provider,
            "event_id": event_id,
            "transaction_id": transaction_id,
            "invoice_reference": invoice_reference or None,
            "amount": amount,
            "currency": currency.upper(),
            "status": status,
            "method": method,
            "event_at": event_at,
        },
    )


def refused(source_row: int | None, reason: str, record: dict | None = None) -> Rejected:
    """A notification that must not be loaded (bad or missing signature)."""
    return Rejected(PSP_EVENTS.name, source_row, reason, record)
