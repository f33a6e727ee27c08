"""How a debtor pays: the payment method mix per country and customer type.

The last reminder's offer nudges the choice (a payment link gets used), and WERO takes over
part of iDEAL, Bancontact and card payments from its launch on.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from dagster_project.demo import dates
from dagster_project.demo.reminders import ContactPlan
from dagster_project.demo.response import OFFERS

METHODS = ("bank_transfer", "ideal", "bancontact", "card", "payment_link", "qr")
METHOD_MIX = {
    "NL/b2c": (0.15, 0.60, 0.0, 0.05, 0.20, 0.0),
    "NL/b2b": (0.65, 0.15, 0.0, 0.0, 0.20, 0.0),
    "BE/b2c": (0.25, 0.0, 0.45, 0.0, 0.20, 0.10),
    "BE/b2b": (0.75, 0.0, 0.0, 0.0, 0.15, 0.10),
    "DE/b2c": (0.35, 0.0, 0.0, 0.30, 0.25, 0.10),
    "DE/b2b": (0.80, 0.0, 0.0, 0.0, 0.15, 0.05),
    "AT/b2c": (0.35, 0.0, 0.0, 0.30, 0.25, 0.10),
    "AT/b2b": (0.80, 0.0, 0.0, 0.0, 0.15, 0.05),
    "CZ/b2c": (0.35, 0.0, 0.0, 0.25, 0.0, 0.40),
    "CZ/b2b": (0.80, 0.0, 0.0, 0.05, 0.0, 0.15),
}
WERO_LAUNCH = date(2025, 1, 1)
WERO_SHARE_AT_END = {"ideal": 0.5, "bancontact": 0.2, "card": 0.1}
# Offer in a reminder sent at most 10 days before payment: (method it leads to, probability).
OFFER_METHOD = {"payment_link": ("payment_link", 0.6), "epc_qr": ("qr", 0.5)}
OFFER_REACH_DAYS = 10


def last_sent_level(sent: np.ndarray) -> np.ndarray:
    """Index of the last reminder level sent per invoice, -1 when none was sent."""
    levels = np.arange(sent.shape[1])
    return np.where(sent, levels, -1).max(axis=1)


def choose_methods(
    invoices: dict[str, np.ndarray],
    customers: pd.DataFrame,
    plan: ContactPlan,
    sent: np.ndarray,
    pay_day: np.ndarray,
    end_day: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """The method of each invoice's (final) payment, direct debit aside."""
    customer = invoices["customer"]
    n = customer.size
    key = np.char.add(
        np.char.add(customers["country_code"].to_numpy()[customer].astype(str), "/"),
        customers["customer_type"].to_numpy()[customer].astype(str),
    )
    probability = np.zeros((n, len(METHODS)))
    for name in np.unique(key):
        probability[key == name] = METHOD_MIX[str(name)]
    cumulative = np.cumsum(probability, axis=1)
    index = np.minimum((rng.random(n)[:, None] >= cumulative).sum(axis=1), len(METHODS) - 1)
    method = np.array(METHODS)[index].astype("<U17")

    last = last_sent_level(sent)
    rows = np.arange(n)
    offer = np.where(last >= 0, plan.offer[rows, np.maximum(last, 0)], -1)
    reached = (last >= 0) & (pay_day - plan.day[rows, np.maximum(last, 0)] <= OFFER_REACH_DAYS)
    u = rng.random(n)
    for offer_name, (target, share) in OFFER_METHOD.items():
        nudged = reached & (offer == OFFERS.index(offer_name)) & (u < share)
        method = np.where(nudged, target, method)

    launch = dates.to_day(WERO_LAUNCH)
    pay_date = invoices["due"] + np.minimum(pay_day, end_day)
    ramp = np.clip((pay_date - launch) / max(end_day - launch, 1), 0.0, 1.0)
    u = rng.random(n)
    for old, share in WERO_SHARE_AT_END.items():
        method = np.where((method == old) & (u < share * ramp), "wero", method)
    return method
