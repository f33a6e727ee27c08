"""The reminder policy's vocabulary and object model, as read from `segments.yml`.

Plain frozen dataclasses, so the decision code, the simulation and tests can build or inspect
a policy without touching YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

CHANNELS = ("email", "sms", "whatsapp", "letter", "phone")
TONES = ("friendly", "neutral", "firm", "formal")
# Offers a message can make. A payment link is always in it; the others when the offer rules
# and the step allow them. The first offer in the message leads (it is what the debtor sees
# first); `none` is only used for historical contacts without an offer.
OFFERS = ("payment_link", "epc_qr", "pay_in_3", "payment_plan", "direct_debit")
OPTIONAL_OFFERS = ("pay_in_3", "payment_plan", "direct_debit")
ESCALATIONS = ("none", "phone_task", "final_notice", "collection_handover")
TEMPLATES = ("pre_due", "reminder", "final_notice", "phone_task")
HOLDOUT_ARMS = ("no_reminder", "standard")

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

# SEPA countries (EEA, Switzerland, the UK and a few microstates): an EPC QR code works there.
SEPA_COUNTRIES = frozenset(
    {"AD", "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR"}
    | {"HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MC", "MT", "NL", "NO", "PL", "PT"}
    | {"RO", "SE", "SI", "SK", "SM", "VA"}
)


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
    exclusive, so adjacent segments do not overlap. Scores compare the debtor's weighted
    p_paid_within_horizon (min inclusive, max exclusive); an unscored debtor meets no score
    condition. `min_late_invoices` counts invoices settled at least 7 days late in the last
    365 days (payment history).
    """

    customer_types: tuple[str, ...] = ()
    divisions: tuple[str, ...] = ()
    customer_segments: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    score_bands: tuple[str, ...] = ()
    min_overdue_amount_base: Decimal | None = None
    max_overdue_amount_base: Decimal | None = None
    min_days_past_due: int | None = None
    max_days_past_due: int | None = None
    min_late_invoices: int | None = None


@dataclass(frozen=True)
class Contact:
    """How one step reaches a debtor: candidate channels and tones (the expected-value choice
    picks among them), the optional offers it may make and the template it uses."""

    channels: tuple[str, ...]
    tones: tuple[str, ...]
    offers: tuple[str, ...] = ()
    template: str = "reminder"


@dataclass(frozen=True)
class Step:
    """A reminder step, due once the oldest eligible invoice is `days_past_due` days late.

    `contact` is the default; `by_band` replaces it for some score bands (None there means
    "this band skips the step"). A collection hand-over has no contact at all.
    """

    level: int
    days_past_due: int
    escalation: str
    contact: Contact | None
    by_band: dict[str, Contact | None] = field(default_factory=dict)

    def for_band(self, band: str) -> Contact | None:
        return self.by_band.get(band, self.contact)


@dataclass(frozen=True)
class PreDue:
    """A nudge `days_before_due` days (or fewer) before the due date, for the listed bands."""

    days_before_due: int
    bands: tuple[str, ...]
    contact: Contact


@dataclass(frozen=True)
class Holdout:
    """A random share of the segment's debtors that gets no reminder, or the standard one."""

    share: float
    arm: str


@dataclass(frozen=True)
class Segment:
    """One segment: who is in it, its hold-out, and its strategy."""

    name: str
    match: SegmentMatch
    steps: tuple[Step, ...]
    pre_due: PreDue | None = None
    holdout: Holdout | None = None

    @property
    def is_default(self) -> bool:
        return self.match == SegmentMatch()

    @property
    def min_days_past_due(self) -> int:
        return self.steps[0].days_past_due


@dataclass(frozen=True)
class ContactRules:
    """Limits on how often a debtor is contacted, whatever the strategy says."""

    quiet_days: int = 7
    max_contacts_per_month: int = 3
    # An instalment plan is broken, and stops holding reminders back, once an instalment is
    # unpaid more than this many days after its due date.
    plan_grace_days: int = 14
    # Country -> public-holiday rules ("12-25", "easter+1", "2027-04-26"); see holidays.py.
    holidays: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class OfferRules:
    """When each optional offer may be made; amounts in the group currency."""

    epc_qr_currencies: tuple[str, ...] = ("EUR",)
    pay_in_3_customer_types: tuple[str, ...] = ("b2c",)
    pay_in_3_min_amount_base: Decimal = Decimal("50")
    pay_in_3_max_amount_base: Decimal = Decimal("2000")
    pay_in_3_min_score: float = 0.2
    payment_plan_min_amount_base: Decimal = Decimal("500")
    payment_plan_max_score: float = 0.5
    direct_debit_min_late_invoices: int = 3


@dataclass(frozen=True)
class ChannelCost:
    """What one contact costs (group currency) and how many a team can make per day."""

    cost: Decimal
    capacity_per_day: int | None = None
    capacity_per: str = "entity"


@dataclass(frozen=True)
class SegmentsConfig:
    """The whole policy file; segments are tried in order and the last one is the default."""

    score_bands: tuple[ScoreBand, ...]
    unscored_band: str
    default_language: str
    language_by_country: dict[str, str]
    channel_fallback: dict[str, tuple[str, ...]]
    segments: tuple[Segment, ...]
    contact_rules: ContactRules = ContactRules()
    offer_rules: OfferRules = OfferRules()
    channels: dict[str, ChannelCost] = field(default_factory=dict)
    standard: Contact = Contact(("email",), ("neutral",))
    experiment_seed: str = "1"
