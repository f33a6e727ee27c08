"""Adyen standard notifications (a JSON envelope of NotificationRequestItems, or one item).

Each item carries `additionalData.hmacSignature`: base64 HMAC-SHA256 with the merchant's hex
key over eight fields joined by ':' (pspReference, originalReference, merchantAccountCode,
merchantReference, value, currency, eventCode, success), unescaped. An item that does not
verify, or has no signature, is refused and never loaded. Amounts are in minor units.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from dagster_project.connectors.parsed import ParseError, ParseResult, minor_units, utc_timestamp
from dagster_project.connectors.psp.common import event_row, method_code, read_json, refused

PROVIDER = "adyen"
# (eventCode, success) -> status; a failed AUTHORISATION is a failed payment, a failed REFUND
# or CAPTURE changes nothing that was paid, so it is a failed event.
STATUS = {
    "AUTHORISATION": ("paid", "failed"),
    "CAPTURE": ("paid", "failed"),
    "CANCELLATION": ("failed", "failed"),
    "CANCEL_OR_REFUND": ("refunded", "failed"),
    "REFUND": ("refunded", "failed"),
    "REFUND_FAILED": ("failed", "failed"),
    "REFUNDED_REVERSED": ("paid", "failed"),
    "CHARGEBACK": ("charged_back", "failed"),
    "CHARGEBACK_REVERSED": ("paid", "failed"),
    "PENDING": ("pending", "failed"),
}


def signing_text(item: dict) -> str:
    amount = item.get("amount") or {}
    fields = (
        item.get("pspReference", ""),
        item.get("originalReference", ""),
        item.get("merchantAccountCode", ""),
        item.get("merchantReference", ""),
        amount.get("value", ""),
        amount.get("currency", ""),
        item.get("eventCode", ""),
        item.get("success", ""),
    )
    return ":".join(str(field) for field in fields)


def signature(item: dict, hex_key: str) -> str:
    key = binascii.unhexlify(hex_key)
    digest = hmac.new(key, signing_text(item).encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _items(document: object, source: str) -> list[dict]:
    if isinstance(document, dict) and "notificationItems" in document:
        items = document["notificationItems"]
        if not isinstance(items, list):
            raise ParseError(source, "notificationItems is not a list")
        return [item.get("NotificationRequestItem") if isinstance(item, dict) else None
                for item in items]  # fmt: skip
    if isinstance(document, dict) and "eventCode" in document:
        return [document]
    raise ParseError(source, "not an Adyen notification (no notificationItems or eventCode)")


def parse_adyen(data: bytes, source: str, hmac_key: str) -> ParseResult:
    """Every verified item of one notification; the others refused with the reason."""
    result = ParseResult()
    for position, item in enumerate(_items(read_json(data, source), source), start=1):
        if not isinstance(item, dict):
            raise ParseError(source, f"item {position} is not a NotificationRequestItem")
        try:
            _read_item(item, position, hmac_key, source, result)
        except (KeyError, TypeError, AttributeError) as error:
            raise ParseError(source, f"item {position} lacks a usable field: {error}") from None
    return result


def _read_item(item: dict, position: int, hmac_key: str, source: str, result: ParseResult) -> None:
    """Refuse the item, skip it with a warning, or add its event to `result`."""
    given = str((item.get("additionalData") or {}).get("hmacSignature", ""))
    if not given or not hmac.compare_digest(given, signature(item, hmac_key)):
        reason = "Adyen HMAC signature does not verify" if given else "Adyen HMAC missing"
        result.rejected.append(
            refused(position, reason, {"pspReference": item.get("pspReference")})
        )
        return

    code = str(item.get("eventCode", ""))
    if code not in STATUS:
        result.warnings.append(f"{source}: item {position}: {code} is not a payment event")
        return
    success = str(item.get("success", "")).lower() == "true"
    amount = item.get("amount") or {}
    currency = str(amount.get("currency", ""))
    result.rows.append(
        event_row(
            PROVIDER,
            position,
            event_id=f"{item['pspReference']}:{code}:{str(success).lower()}",
            transaction_id=item.get("originalReference") or item["pspReference"],
            invoice_reference=item.get("merchantReference"),
            amount=minor_units(amount.get("value"), currency, source),
            currency=currency,
            status=STATUS[code][0 if success else 1],
            method=method_code(item.get("paymentMethod")),
            event_at=utc_timestamp(str(item.get("eventDate", "")), source),
        )
    )
