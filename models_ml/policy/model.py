"""The reminder policy's vocabulary and object model, as read from `segments.yml`.

Plain frozen dataclasses, so the decision code, tests and later the capacity planner can
build or inspect a policy without touching YAML.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

CHANNELS = ("email", "sms", "whatsapp", "letter", "phone")
TONES = ("friendly", "neutral", "firm", "formal")
OFFERS = ("payment_link", "epc_qr", "pay_in_3", "payment_plan", "direct_debit", "none")

# Which contact detail a channel needs (dim_customers.has_email / has_phone). A letter goes
# to the billing address the ERP already sends invoices to; the input contract carries no
# postal address yet (dim_customers.has_address is always false), so a letter needs nothing.
# Once it does, set "letter" to "address" and the decision checks has_address.
CHANNEL_NEEDS: dict[str, str | None] = {
    "email": "email",
    "sms": "phone",
    "whatsapp": "phone",
    "phone": "phone",
    "letter": None,
}


@dataclass(frozen=True)
class ScoreBand:
    """Debtors whose amount-weighted p_paid_within_horizon is >= min_score, and below the
    band listed before this one, fall in this band."""

    name: str
    min_score: float


@dataclass(frozen=True)
class SegmentMatch:
    """Conditions a debtor must meet to fall in a segment; an empty tuple or None means any.

    Text conditions compare case-insensitively. Overdue amounts are in the group currency
    (customer_balances.overdue_amount_base); the minimum is inclusive and the maximum
    exclusive, so adjacent segments do not overlap.
    """

    customer_types: tuple[str, ...] = ()
    divisions: tuple[str, ...] = ()
    customer_segments: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    min_overdue_amount_base: Decimal | None = None
    max_overdue_amount_base: Decimal | None = None


@dataclass(frozen=True)
class BandStrategy:
    """What a reminder to a debtor in one segment and score band looks like."""

    channel: str
    tone: str
    offer: str


@dataclass(frozen=True)
class Segment:
    """One segment: who is in it, how long to wait after the due date, and how to remind."""

    name: str
    match: SegmentMatch
    min_days_past_due: int
    strategy: dict[str, BandStrategy]

    @property
    def is_default(self) -> bool:
        return self.match == SegmentMatch()


@dataclass(frozen=True)
class SegmentsConfig:
    """The whole policy file; segments are tried in order and the last one is the default."""

    score_bands: tuple[ScoreBand, ...]
    unscored_band: str
    default_language: str
    language_by_country: dict[str, str]
    channel_fallback: dict[str, tuple[str, ...]]
    segments: tuple[Segment, ...]
