"""Counterparty, remittance text and references from an MT940 `:86:` field.

Banks fill `:86:` in three ways: SEPA sub-fields (`/EREF/.../REMI/...`, ING, ABN AMRO,
Rabobank, Knab, Van Lanschot), German `?20`-style sub-fields (read by the mt-940 library), and
free text. Lines are wrapped at 65 characters; a full line continues the same word.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from dagster_project.connectors import references

LINE_WIDTH = 65
SEPA_TAGS = (
    "EREF", "CNTP", "REMI", "RTRN", "BENM", "ORDP", "MARF", "CSID", "PREF", "TRTP", "IBAN",
    "BIC", "NAME", "ADDR", "ISDT", "BUSP", "CDTRREFTP", "CDTRREF", "ISSR", "ULTC", "ULTD",
    "ULTB", "PURP", "SVCL", "CD",
)  # fmt: skip
_SEPA_TAG = re.compile(r"/(" + "|".join(SEPA_TAGS) + r")/")
_PARTY_TAGS = ("CNTP", "BENM", "ORDP")


@dataclass
class Details:
    remittance_text: str | None = None
    counterparty_name: str | None = None
    counterparty_iban: str | None = None
    structured_reference: str | None = None
    reference_issuer: str | None = None
    end_to_end_id: str | None = None
    return_reason: str | None = None


def unwrap(text: str) -> str:
    """Join wrapped lines: a line of full width continues the word, a shorter one ends it.

    The first line shares its 65 characters with the `:86:` tag.
    """
    lines = text.split("\n")
    joined = lines[0].rstrip() if lines else ""
    for number, (previous, line) in enumerate(itertools.pairwise(lines)):
        width = LINE_WIDTH - len(":86:") if number == 0 else LINE_WIDTH
        separator = "" if len(previous) >= width else " "
        joined += separator + line.rstrip()
    return " ".join(joined.split()) if "  " in joined else joined


def _sepa_fields(text: str) -> dict[str, str]:
    parts = _SEPA_TAG.split(text)
    fields: dict[str, str] = {}
    for tag, value in zip(parts[1::2], parts[2::2], strict=False):
        fields.setdefault(tag, value)
    return fields


def _clean(value: str | None) -> str | None:
    value = (value or "").strip().strip("/").strip()
    return value or None


def _remittance(fields: dict[str, str], details: Details) -> None:
    remi = fields.get("REMI", "")
    if remi.startswith("USTD"):
        details.remittance_text = _clean(remi[4:])
    elif remi.startswith("STRD"):
        parts = [part for part in remi.split("/") if part]
        details.reference_issuer = parts[1] if len(parts) > 2 else None
        details.structured_reference = parts[-1] if len(parts) > 1 else None
    else:
        details.remittance_text = _clean(remi)
    if fields.get("CDTRREF"):
        details.structured_reference = _clean(fields["CDTRREF"])
        details.reference_issuer = _clean(fields.get("ISSR"))


def parse_sepa(text: str) -> Details:
    fields = _sepa_fields(text)
    details = Details(
        counterparty_name=_clean(fields.get("NAME")),
        counterparty_iban=_clean(fields.get("IBAN")),
        end_to_end_id=_clean(fields.get("EREF")),
        return_reason=_clean(fields.get("RTRN")),
    )
    for tag in _PARTY_TAGS:
        parts = fields.get(tag, "").split("/")
        if len(parts) >= 3 and parts[0]:
            details.counterparty_iban = details.counterparty_iban or _clean(parts[0])
            details.counterparty_name = details.counterparty_name or _clean(parts[2])
    if details.end_to_end_id == "NOTPROVIDED":
        details.end_to_end_id = None
    _remittance(fields, details)
    if not details.remittance_text and not details.structured_reference:
        details.remittance_text = text
    return details


def parse_details(data: dict[str, object], account: str | None) -> Details:
    """Details of one `:61:`/`:86:` pair as the mt-940 library returned them."""
    raw = str(data.get("transaction_details") or "")
    text = unwrap(raw)
    if _SEPA_TAG.search(text) and text.lstrip().startswith("/"):
        details = parse_sepa(text)
    elif data.get("purpose") or data.get("applicant_name"):
        details = Details(
            remittance_text=_clean(str(data.get("purpose") or "")) or text or None,
            counterparty_name=_clean(str(data.get("applicant_name") or "")),
            counterparty_iban=_clean(str(data.get("applicant_iban") or "")),
            end_to_end_id=_clean(str(data.get("end_to_end_reference") or "")),
        )
    else:
        details = Details(remittance_text=text or None)

    raw_extra = str(data.get("extra_details") or "")
    extra = None if raw_extra.startswith("/") else _clean(raw_extra)
    customer_reference = _clean(str(data.get("customer_reference") or ""))
    if not details.counterparty_iban:
        details.counterparty_iban = references.find_iban(
            " ".join(filter(None, (extra, customer_reference, text))), exclude=account
        )
    if not details.counterparty_name and extra and not references.find_iban(extra):
        details.counterparty_name = extra
    if details.counterparty_iban and not references.is_valid_iban(details.counterparty_iban):
        details.counterparty_iban = None
    return details
