"""Where a debtor pays: a payment link from the group's payment provider, and the account an
EPC QR code credits.

A real provider (Mollie, Adyen, Buckaroo, Stripe) creates the link through its API; that
needs credentials and the network, so it lives behind `PaymentProvider`. The demo provider
makes stable links on a reserved domain (.invalid never resolves) and a demo account per
entity with a valid IBAN check, so the bundled group renders end to end.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

# Length of the account part of the IBAN (BBAN), and a prefix standing in for a bank code.
DEMO_BANK = {
    "NL": ("DEMO", 14),
    "BE": ("", 12),
    "DE": ("", 18),
    "AT": ("", 16),
    "CZ": ("", 20),
    "FR": ("", 23),
}


@dataclass(frozen=True)
class PaymentRequest:
    """What the debtor is asked to pay in one message."""

    run_id: str
    entity_id: str
    customer_id: str
    document_ids: tuple[str, ...]
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class CreditorAccount:
    """The entity's collection account, as printed in an EPC QR code."""

    name: str
    iban: str
    bic: str | None = None


class PaymentProvider(Protocol):
    def payment_link(self, request: PaymentRequest) -> str: ...

    def creditor_account(self, entity_id: str) -> CreditorAccount | None: ...


def iban_with_check_digits(country: str, bban: str) -> str:
    """An IBAN for a country and account number (ISO 13616 check digits)."""
    digits = "".join(str(int(char, 36)) for char in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


class DemoPaymentProvider:
    """Stable links and demo accounts for the bundled group; never a real bank or PSP."""

    def __init__(self, entities: dict[str, tuple[str, str]], secret: str = "demo") -> None:
        """`entities`: entity_id -> (entity name, country code)."""
        self.entities = entities
        self.secret = secret

    def payment_link(self, request: PaymentRequest) -> str:
        key = "|".join(
            (
                self.secret,
                request.run_id,
                request.entity_id,
                request.customer_id,
                *request.document_ids,
                str(request.amount),
            )
        )
        token = hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
        return f"https://pay.demo.invalid/{request.entity_id}/{token}"

    def creditor_account(self, entity_id: str) -> CreditorAccount | None:
        if entity_id not in self.entities:
            return None
        name, country = self.entities[entity_id]
        prefix, length = DEMO_BANK.get(country, DEMO_BANK["NL"])
        number = int(hashlib.sha256(entity_id.encode("utf-8")).hexdigest(), 16)
        digits = str(number)[: length - len(prefix)].rjust(length - len(prefix), "0")
        iban_country = country if country in DEMO_BANK else "NL"
        return CreditorAccount(name[:70], iban_with_check_digits(iban_country, prefix + digits))
