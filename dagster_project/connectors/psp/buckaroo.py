"""Buckaroo push notifications: form posts (brq_* fields, SHA-1 signature) and JSON pushes.

Form-post signature: SHA-1 over the brq_/add_/cust_ key=value pairs (values URL-decoded),
sorted case-insensitively by key, brq_signature left out, concatenated without separator, with
the secret key appended. A push whose signature does not verify is refused, never loaded.
Buckaroo timestamps are Dutch local time.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl

from dagster_project.connectors.parsed import (
    ParseError,
    ParseResult,
    decimal_amount,
    utc_timestamp,
)
from dagster_project.connectors.psp.common import event_row, method_code, read_json, refused

PROVIDER = "buckaroo"
LOCAL_ZONE = "Europe/Amsterdam"
SIGNED_PREFIXES = ("brq_", "add_", "cust_")
SUCCESS = 190
PENDING_CODES = {790, 791, 792, 793}
FAILED_CODES = {490, 491, 492, 690, 890, 891}


def form_signature(fields: list[tuple[str, str]], secret: str) -> str:
    signed = sorted(
        (
            (key, value)
            for key, value in fields
            if key.lower().startswith(SIGNED_PREFIXES) and key.lower() != "brq_signature"
        ),
        key=lambda pair: pair[0].lower(),
    )
    text = "".join(f"{key}={value}" for key, value in signed) + secret
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _status(code: int, is_refund: bool, is_reversal: bool, method: str | None) -> str:
    if code == SUCCESS and is_reversal:
        return "reversed" if method == "sepa_direct_debit" else "charged_back"
    if code == SUCCESS:
        return "refunded" if is_refund else "paid"
    if code in PENDING_CODES:
        return "pending"
    if code in FAILED_CODES:
        return "failed"
    raise ValueError(f"unknown Buckaroo status code {code}")


def parse_form(data: bytes, source: str, secret: str) -> ParseResult:
    """One form-post push (a file holds the raw request body)."""
    try:
        body = data.decode("utf-8-sig").strip()
        fields = parse_qsl(body, keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise ParseError(source, "not a URL-encoded Buckaroo form post") from None
    values = {key.lower(): value for key, value in fields}
    result = ParseResult()
    given = values.get("brq_signature", "")
    if not hmac.compare_digest(given.lower(), form_signature(fields, secret)):
        reason = "Buckaroo signature does not verify" if given else "Buckaroo signature missing"
        result.rejected.append(
            refused(1, reason, {"brq_transactions": values.get("brq_transactions")})
        )
        return result

    try:
        code = int(values["brq_statuscode"])
        method = method_code(
            values.get("brq_transaction_method") or values.get("brq_payment_method")
        )
        is_refund = "brq_amount_credit" in values and "brq_relatedtransaction_refund" in values
        is_reversal = "brq_relatedtransaction_reversal" in values
        amount_text = values.get("brq_amount") or values["brq_amount_credit"]
        transaction = (
            values.get("brq_relatedtransaction_refund")
            or values.get("brq_relatedtransaction_reversal")
            or values["brq_transactions"]
        )
        status = _status(code, is_refund, is_reversal, method)
    except (KeyError, ValueError) as error:
        raise ParseError(source, f"Buckaroo push lacks a usable field: {error}") from None
    result.rows.append(
        event_row(
            PROVIDER,
            1,
            event_id=f"{values['brq_transactions']}:{code}",
            transaction_id=transaction,
            invoice_reference=values.get("brq_invoicenumber"),
            amount=decimal_amount(amount_text, source, "amount"),
            currency=values.get("brq_currency", ""),
            status=status,
            method=method,
            event_at=utc_timestamp(values.get("brq_timestamp", ""), source, LOCAL_ZONE),
        )
    )
    return result


def parse_json_push(data: bytes, source: str) -> ParseResult:
    """One JSON push. Its HMAC sits in the request's Authorization header, which the file does
    not keep: the webhook receiver verifies it before writing the body to the landing folder."""
    document = read_json(data, source)
    transaction = document.get("Transaction") if isinstance(document, dict) else None
    if not isinstance(transaction, dict):
        raise ParseError(source, "not a Buckaroo JSON push (no Transaction object)")
    try:
        code = int(transaction["Status"]["Code"]["Code"])
        method = method_code(transaction.get("ServiceCode"))
        related = transaction.get("RelatedTransactions") or []
        kinds = {str(item.get("RelationType", "")).lower(): item for item in related}
        is_refund = "refund" in kinds or bool(transaction.get("AmountCredit"))
        is_reversal = "reversal" in kinds
        amount = transaction.get("AmountDebit") or transaction.get("AmountCredit")
        original = (kinds.get("refund") or kinds.get("reversal") or {}).get("RelatedTransactionKey")
        status = _status(code, is_refund, is_reversal, method)
        key = transaction["Key"]
    except (KeyError, TypeError, ValueError) as error:
        raise ParseError(source, f"Buckaroo push lacks a usable field: {error}") from None
    return ParseResult(
        rows=[
            event_row(
                PROVIDER,
                1,
                event_id=f"{key}:{code}",
                transaction_id=original or key,
                invoice_reference=transaction.get("Invoice"),
                amount=decimal_amount(amount, source, "amount"),
                currency=transaction.get("Currency") or "",
                status=status,
                method=method,
                event_at=utc_timestamp(transaction["Status"]["DateTime"], source, LOCAL_ZONE),
            )
        ]
    )
