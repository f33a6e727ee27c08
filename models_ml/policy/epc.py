"""The EPC QR code (EPC069-12, "SEPA credit transfer" QR) that a banking app scans to pay.

The payload is twelve lines at most, joined by a line feed:

    BCD / 002 / 1 (UTF-8) / SCT / BIC (optional in version 002) / beneficiary name (<= 70) /
    IBAN / EUR amount (EUR0.01 .. EUR999999999.99) / purpose (4 letters, optional) /
    structured reference (ISO 11649 RF, <= 35) or unstructured text (<= 140), never both /
    information to the payer (<= 70, optional)

at most 331 bytes, encoded in a QR code with error correction level M. Trailing empty
elements are left out.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import segno

from models_ml.policy.accounts import bic_is_valid, iban_is_valid

MAX_PAYLOAD_BYTES = 331
MAX_AMOUNT = Decimal("999999999.99")


class EpcError(ValueError):
    """A field breaks EPC069-12; the message names the field."""


def creditor_reference_is_valid(reference: str) -> bool:
    """ISO 11649 creditor reference: RF, two check digits, up to 21 letters or digits."""
    if not re.fullmatch(r"RF\d{2}[A-Z0-9]{1,21}", reference):
        return False
    rearranged = reference[4:] + reference[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def creditor_reference(base: str) -> str:
    """Make an ISO 11649 reference from up to 21 letters and digits."""
    body = re.sub(r"[^A-Z0-9]", "", base.upper())[:21]
    if not body:
        raise EpcError("reference: needs at least one letter or digit")
    check = 98 - int("".join(str(int(char, 36)) for char in body + "RF00")) % 97
    return f"RF{check:02d}{body}"


def epc_payload(
    name: str,
    iban: str,
    amount: Decimal,
    *,
    bic: str | None = None,
    reference: str | None = None,
    text: str | None = None,
    purpose: str | None = None,
    information: str | None = None,
) -> str:
    """The payload text; raises EpcError naming the first field that breaks the standard."""
    iban = iban.replace(" ", "").upper()
    if not iban_is_valid(iban):
        raise EpcError("iban: not a valid IBAN")
    if bic is not None and not (
        re.fullmatch(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", bic) and bic_is_valid(bic)
    ):
        raise EpcError("bic: expected 8 or 11 letters and digits forming a valid BIC")
    name = name.strip()
    if not name or len(name) > 70:
        raise EpcError("name: needs 1 to 70 characters")
    if amount.as_tuple().exponent < -2 or not Decimal("0.01") <= amount <= MAX_AMOUNT:
        raise EpcError("amount: must be 0.01 to 999999999.99 EUR with at most two decimals")
    if purpose is not None and not re.fullmatch(r"[A-Z]{4}", purpose):
        raise EpcError("purpose: expected a four-letter code like GDDS")
    if reference and text:
        raise EpcError("reference and text: give one of them, not both")
    if reference is not None and not creditor_reference_is_valid(reference):
        raise EpcError("reference: not a valid ISO 11649 creditor reference (RF..)")
    if text is not None and len(text) > 140:
        raise EpcError("text: at most 140 characters")
    if information is not None and len(information) > 70:
        raise EpcError("information: at most 70 characters")

    lines = [
        "BCD",
        "002",
        "1",
        "SCT",
        bic or "",
        name,
        iban,
        f"EUR{amount:.2f}",
        purpose or "",
        reference or "",
        text or "",
        information or "",
    ]
    while not lines[-1]:
        lines.pop()
    payload = "\n".join(lines)
    if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise EpcError(f"payload: longer than {MAX_PAYLOAD_BYTES} bytes")
    return payload


def write_qr_png(payload: str, target: Path, scale: int = 4) -> Path:
    """Encode the payload at error correction level M (as EPC069-12 asks) into a PNG."""
    code = segno.make_qr(payload, error="m", boost_error=False, encoding="utf-8")
    if code.version > 13:
        raise EpcError(f"payload: needs QR version {code.version}, EPC069-12 allows 13")
    target.parent.mkdir(parents=True, exist_ok=True)
    code.save(str(target), kind="png", scale=scale, border=4)
    return target
