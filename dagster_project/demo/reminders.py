"""The historical reminder policy: one size for all, with random variation in how it is sent.

Every overdue invoice of a debtor outside the hold-out (about 10% of debtors get nothing) and
not in dispute is planned for a first reminder about 7 days past due, a second about 14 days
later and, for some, a third (mostly a letter or a call) 14 days after that; each goes out on a
business day and only if the invoice is still unpaid. Channel, tone and offer are drawn at
random per reminder (within what the debtor's contact details allow), which is what makes their
effects learnable from the history.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dagster_project.contract import CHANNELS
from dagster_project.demo import dates, response
from dagster_project.demo.hazard import Window
from dagster_project.demo.response import OFFERS

LEVELS = 3
GAP_DAYS = (7, 14, 14)
THIRD_LEVEL_SHARE = {"b2b": 0.6, "b2c": 0.3}
# Per level, probabilities over CHANNELS (email, sms, whatsapp, letter, phone), TONES, OFFERS
# (as ordered in the contract and in response.py).
CHANNEL_MIX = (
    (0.62, 0.12, 0.08, 0.10, 0.08),
    (0.50, 0.12, 0.08, 0.15, 0.15),
    (0, 0, 0, 0.65, 0.35),
)
TONE_MIX = ((0.45, 0.35, 0.10, 0.10), (0.2, 0.4, 0.3, 0.1), (0.0, 0.1, 0.5, 0.4))
OFFER_MIX = (
    (0.45, 0.25, 0.12, 0.06, 0.04, 0.08),
    (0.40, 0.25, 0.10, 0.05, 0.12, 0.08),
    (0.50, 0.20, 0.0, 0.0, 0.30, 0.0),
)
# UTC hours in which each channel's batch goes out.
SEND_HOURS = {"email": (7, 9), "sms": (8, 10), "whatsapp": (8, 10), "letter": (5, 7)}
SEND_HOURS |= {"phone": (8, 16)}

EMAIL, SMS, WHATSAPP = CHANNELS.index("email"), CHANNELS.index("sms"), CHANNELS.index("whatsapp")
LETTER, PHONE = CHANNELS.index("letter"), CHANNELS.index("phone")


@dataclass(frozen=True)
class ContactPlan:
    """(invoices, LEVELS) arrays: day after due, whether planned, what, and the true effect."""

    day: np.ndarray
    planned: np.ndarray
    channel: np.ndarray
    tone: np.ndarray
    offer: np.ndarray
    log_ratio: np.ndarray
    second_of_day: np.ndarray

    def windows(self) -> list[Window]:
        """The hazard windows of the planned reminders (an unplanned one has no effect)."""
        return [
            Window(
                self.day[:, level] * 1.0,
                self.day[:, level] + response.CONTACT_WINDOW_DAYS,
                np.where(self.planned[:, level], self.log_ratio[:, level], 0.0),
            )
            for level in range(LEVELS)
        ]

    def sent(self, pay_day: np.ndarray, due: np.ndarray, end_day: int) -> np.ndarray:
        """Which planned reminders went out: invoice still unpaid and the date not after today."""
        return self.planned & (self.day < pay_day[:, None]) & (due[:, None] + self.day <= end_day)


def _draw(mix: tuple[float, ...], n: int, rng: np.random.Generator) -> np.ndarray:
    p = np.array(mix, dtype=float)
    return rng.choice(p.size, size=n, p=p / p.sum())


def _reachable(channel: np.ndarray, has_email: np.ndarray, has_phone: np.ndarray) -> np.ndarray:
    """Fall back to a channel the debtor can be reached on; letters always work."""
    by_phone = np.isin(channel, (SMS, WHATSAPP, PHONE))
    channel = np.where((channel == EMAIL) & ~has_email, np.where(has_phone, SMS, LETTER), channel)
    return np.where(by_phone & ~has_phone, np.where(has_email, EMAIL, LETTER), channel)


def plan_contacts(
    invoices: dict[str, np.ndarray], customers: pd.DataFrame, rng: np.random.Generator
) -> ContactPlan:
    """Plan the historical reminders of every invoice."""
    customer, due = invoices["customer"], invoices["due"]
    n = customer.size
    customer_type = customers["customer_type"].to_numpy()[customer]
    has_email = customers["email"].to_numpy()[customer] != ""
    has_phone = customers["phone"].to_numpy()[customer] != ""
    propensity = customers["propensity"].to_numpy()[customer]
    eligible = ~customers["is_holdout"].to_numpy()[customer] & ~invoices["is_disputed"]

    shape = (n, LEVELS)
    day, channel = np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64)
    tone, offer = np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64)
    planned = np.zeros(shape, dtype=bool)
    previous = np.zeros(n, dtype=np.int64)
    third_share = np.where(
        customer_type == "b2b", THIRD_LEVEL_SHARE["b2b"], THIRD_LEVEL_SHARE["b2c"]
    )
    for level in range(LEVELS):
        target = due + previous + GAP_DAYS[level] + rng.integers(0, 3, n)
        day[:, level] = dates.roll_to_weekday(target) - due
        previous = day[:, level]
        chosen = rng.random(n) < (third_share if level == 2 else 1.0)
        planned[:, level] = eligible & chosen
        drawn = _draw(CHANNEL_MIX[level], n, rng)
        channel[:, level] = _reachable(drawn, has_email, has_phone)
        tone[:, level] = _draw(TONE_MIX[level], n, rng)
        drawn_offer = _draw(OFFER_MIX[level], n, rng)
        pay_in_3_for_firm = (drawn_offer == OFFERS.index("pay_in_3")) & (customer_type == "b2b")
        offer[:, level] = np.where(pay_in_3_for_firm, OFFERS.index("payment_link"), drawn_offer)

    hours = np.array([SEND_HOURS[c] for c in CHANNELS])[channel]
    second = hours[..., 0] * 3600 + rng.integers(0, 3600 * (hours[..., 1] - hours[..., 0]))
    return ContactPlan(
        day=day,
        planned=planned,
        channel=channel,
        tone=tone,
        offer=offer,
        log_ratio=response.contact_log_ratio(channel, tone, offer, propensity[:, None]),
        second_of_day=second,
    )
