"""Where a debtor pays: a payment link from the group's payment provider, and the account an
EPC QR code credits.

A real provider (Mollie, Adyen, Buckaroo, Stripe) creates the link through its API; that
needs credentials and the network, so it lives behind `PaymentProvider`. The demo provider
makes stable links on a reserved domain (.invalid never resolves). The account is the
entity's own collection account from the input contract (`accounts.collection_accounts`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


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

    def creditor_name(self, entity_id: str) -> str: ...

    def creditor_account(self, entity_id: str) -> CreditorAccount | None: ...


class DemoPaymentProvider:
    """Stable links for the bundled group, never a real PSP; the QR code credits the
    entity's own collection account (None when it has no valid one)."""

    def __init__(
        self,
        names: dict[str, str],
        accounts: dict[str, CreditorAccount],
        secret: str = "demo",
    ) -> None:
        """`names`: entity_id -> entity name; `accounts`: entity_id -> checked account."""
        self.names = names
        self.accounts = accounts
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

    def creditor_name(self, entity_id: str) -> str:
        return self.names.get(entity_id, entity_id)[:70]

    def creditor_account(self, entity_id: str) -> CreditorAccount | None:
        return self.accounts.get(entity_id)
