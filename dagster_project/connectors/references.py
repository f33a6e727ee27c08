"""Payment references: Dutch betalingskenmerk, ISO 11649 RF creditor references and IBANs.

A reference that fails its check digit is still returned (flagged invalid): banks and test
fixtures carry anonymised references, and a warning is more useful than a lost payment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KENMERK_LENGTHS = frozenset({7, 9, 10, 11, 12, 13, 14, 16})
KENMERK_WEIGHTS = (2, 4, 8, 5, 10, 9, 7, 3, 6, 1)

_RF = re.compile(r"\bRF\d{2}(?:[A-Z0-9]{1,21}\b|(?: [A-Z0-9]{1,4}\b){1,6})", re.IGNORECASE)
_KENMERK_LABEL = re.compile(
    r"(?:BETALINGSKENM(?:ERK)?\.?|KENMERK|CDTRREF|/CUR/|REF)\s*[:.]?\s*((?:\d[ .]?){7,16})",
    re.IGNORECASE,
)
_BARE_KENMERK = re.compile(r"(?<![\dA-Z])\d{16}(?![\dA-Z])", re.IGNORECASE)
_IBAN = re.compile(r"(?=([A-Z]{2}\d{2}[A-Z0-9]{11,30}))")


@dataclass(frozen=True)
class Reference:
    """A structured payment reference as found, normalised (no spaces), and its check result."""

    value: str
    kind: str  # "betalingskenmerk", "rf" or "other"
    is_valid: bool


def kenmerk_check_digit(body: str) -> int:
    """The mod-11 check digit for the digits after the first, weights cycling from the right."""
    total = sum(
        int(digit) * KENMERK_WEIGHTS[position % len(KENMERK_WEIGHTS)]
        for position, digit in enumerate(reversed(body))
    )
    check = 11 - total % 11
    return {10: 1, 11: 0}.get(check, check)


def is_valid_kenmerk(value: str) -> bool:
    """True for 7, 9-14 or 16 digits whose first digit is the mod-11 check of the rest."""
    if not value.isdigit() or len(value) not in KENMERK_LENGTHS or not int(value):
        return False
    return kenmerk_check_digit(value[1:]) == int(value[0])


def _mod97(text: str) -> int:
    digits = "".join(str(int(char, 36)) for char in text.upper())
    return int(digits) % 97


def is_valid_rf(value: str) -> bool:
    """ISO 11649: RF, two check digits, 1-21 letters or digits; mod 97 of the rotated text is 1."""
    value = value.replace(" ", "").upper()
    if not re.fullmatch(r"RF\d{2}[A-Z0-9]{1,21}", value):
        return False
    return _mod97(value[4:] + value[:4]) == 1


def is_valid_iban(value: str) -> bool:
    """ISO 13616 IBAN check: country, two check digits, mod 97 of the rotated text is 1."""
    value = value.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", value):
        return False
    return _mod97(value[4:] + value[:4]) == 1


def classify(value: str, issuer: str | None = None) -> Reference:
    """Classify a reference taken from a structured field (CdtrRefInf, /CDTRREF/, STRD).

    Digits are a betalingskenmerk unless an issuer other than Currence (CUR) is named.
    """
    compact = re.sub(r"[ .]", "", value.strip())
    if compact.upper().startswith("RF") and compact[2:4].isdigit():
        return Reference(compact.upper(), "rf", is_valid_rf(compact))
    dutch = issuer is None or issuer.strip().upper() in ("CUR", "CURRENCE")
    if dutch and compact.isdigit() and len(compact) in KENMERK_LENGTHS:
        return Reference(compact, "betalingskenmerk", is_valid_kenmerk(compact))
    return Reference(value.strip(), "other", True)


def _rf_reference(found: str) -> Reference:
    """An RF reference printed in groups of four may run into the next word: keep the longest
    run of groups that checks, or all of it (flagged invalid) when none does."""
    groups = found.upper().split(" ")
    for end in range(len(groups), 0, -1):
        value = "".join(groups[:end])
        if is_valid_rf(value):
            return Reference(value, "rf", True)
    return Reference("".join(groups)[:25], "rf", False)


def find_in_text(text: str | None) -> Reference | None:
    """The first structured reference in free text.

    An RF reference is recognised anywhere. A betalingskenmerk is taken when a label announces
    it (BETALINGSKENM., KENMERK, ...), valid or not, or when a bare 16-digit number passes the
    check digit: an unlabelled number that fails it is more likely an order or transaction id.
    """
    if not text:
        return None
    for match in _RF.finditer(text):
        return _rf_reference(match.group(0))
    for match in _KENMERK_LABEL.finditer(text):
        digits = re.sub(r"\D", "", match.group(1))[:16]
        if len(digits) in KENMERK_LENGTHS:
            return Reference(digits, "betalingskenmerk", is_valid_kenmerk(digits))
    for match in _BARE_KENMERK.finditer(text):
        if is_valid_kenmerk(match.group(0)):
            return Reference(match.group(0), "betalingskenmerk", True)
    return None


def find_iban(text: str | None, exclude: str | None = None) -> str | None:
    """The first IBAN in text that passes its check digits, other than `exclude`."""
    if not text:
        return None
    for match in _IBAN.finditer(text.upper()):
        run = match.group(1)
        if run.startswith("RF"):
            continue
        # The run may continue into the next word; take the longest prefix that checks.
        for end in range(len(run), 14, -1):
            if run[:end] != exclude and is_valid_iban(run[:end]):
                return run[:end]
    return None
