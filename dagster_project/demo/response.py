"""The true effects of the demo group's payment model, the numbers models are scored against.

Every effect is a log hazard ratio: exp(effect) multiplies the daily chance that an invoice is
settled. behaviour.py explains how they combine.
"""

from __future__ import annotations

import math

import numpy as np

from dagster_project.contract import CHANNELS

TONES = ("friendly", "neutral", "firm", "formal")
OFFERS = ("none", "payment_link", "epc_qr", "pay_in_3", "payment_plan", "direct_debit")

# Baseline daily hazard at eta = 0, by stretch of days relative to the due date (t = 0):
# [issue, issue + 3), [issue + 3, -5), [-5, 1), [1, 10), [10, 30), [30, 90), [90, inf).
RECEIPT_DAYS = 3.0
BASE_EDGES = (-5.0, 1.0, 10.0, 30.0, 90.0)
BASE_RATES = (0.06, 0.025, 0.11, 0.08, 0.07, 0.07, 0.045)

PROPENSITY = 0.7
CUSTOMER_TYPE = {"b2b": 0.0, "b2c": 0.1}
DIVISION = {"retail": 0.2, "wholesale": -0.1, "healthcare_mobility": -0.15, "leasing": 0.1}
SEGMENT = {
    "consumer": 0.0,
    "sme": 0.0,
    "key_account": 0.2,
    "public_sector": -0.4,
    "healthcare_insurer": -0.2,
}
COUNTRY = {"NL": 0.1, "BE": -0.05, "DE": 0.15, "AT": 0.1, "CZ": -0.1}
AMOUNT_RATIO = -0.3
DISPUTE = -1.2
MONTH_END = {"b2b": math.log(1.8), "b2c": math.log(1.2)}
MONTH_END_DAYS_BEFORE = 3
MONTH_END_DAYS_AFTER = 1

CONTACT_WINDOW_DAYS = 10.0
CHANNEL = {"email": 0.30, "sms": 0.40, "whatsapp": 0.45, "letter": 0.12, "phone": 0.75}
TONE = {"friendly": 0.05, "neutral": 0.0, "firm": 0.12, "formal": 0.02}
TONE_PER_PROPENSITY = {"friendly": 0.06, "neutral": 0.0, "firm": -0.25, "formal": -0.05}
OFFER = {
    "none": 0.0,
    "payment_link": 0.40,
    "epc_qr": 0.20,
    "pay_in_3": 0.25,
    "payment_plan": 0.22,
    "direct_debit": 0.12,
}

# Logistic models: P(never pays) and P(a direct debit collection bounces).
BAD_DEBT = {"intercept": -6.5, "propensity": -1.1, "b2c": 0.4, "disputed": 1.5}
DIRECT_DEBIT_RETURN = {"intercept": -3.6, "propensity": -0.8}
DIRECT_DEBIT_RESTART_DAY = 5

_CHANNEL = np.array([CHANNEL[c] for c in CHANNELS])
_TONE = np.array([TONE[t] for t in TONES])
_TONE_SLOPE = np.array([TONE_PER_PROPENSITY[t] for t in TONES])
_OFFER = np.array([OFFER[o] for o in OFFERS])


def contact_log_ratio(
    channel: np.ndarray, tone: np.ndarray, offer: np.ndarray, propensity: np.ndarray
) -> np.ndarray:
    """Log hazard ratio during the window after a contact (indices into CHANNELS/TONES/OFFERS)."""
    return _CHANNEL[channel] + _TONE[tone] + _TONE_SLOPE[tone] * propensity + _OFFER[offer]


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


FORMULA = (
    "Time t in days relative to the due date; the invoice is settled at the first t where the "
    "cumulative hazard H(t) exceeds an Exp(1) draw, on day ceil(t) after due. "
    "h(t) = base(t) * exp(eta) * month_end(t) * prod_k contact_k(t). "
    f"eta = {PROPENSITY} * propensity + customer_type + division + segment + country "
    f"+ {AMOUNT_RATIO} * log(amount / customer's usual amount) + {DISPUTE} * is_disputed. "
    "month_end(t) = exp(month_end[customer_type]) from 3 days before to 1 day after the last day "
    "of the due date's month. contact_k(t) = exp(channel + tone + tone_per_propensity * "
    "propensity + offer) for contact_window_days after each reminder actually sent (a reminder "
    "is only sent while the invoice is unpaid, at about 7, 21 and 35 days past due). "
    "Independently, P(never pays) = logistic(bad_debt terms); direct-debit invoices are "
    "collected on the due date unless the collection bounces with P = logistic("
    "direct_debit_return terms), after which the hazard restarts at day "
    f"{DIRECT_DEBIT_RESTART_DAY} after due. "
    "No-contact truth: P(settled within d days after due) = (1 - p_never) * "
    "(1 - exp(-H_no_contact(d))); for direct debits (1 - p_bounce) + p_bounce * (1 - p_never) "
    "* (1 - exp(-(H(d) - H(restart day)))). 'Settled' means paid in full or closed by a full "
    "credit note; the ERP books a PSP payment 1-3 days after this day."
)


def describe() -> dict[str, object]:
    """The whole response model as JSON-ready values."""
    return {
        "formula": FORMULA,
        "effects_are": "log hazard ratios (multiply the daily payment hazard by exp(effect))",
        "contact_window_days": CONTACT_WINDOW_DAYS,
        "channel": CHANNEL,
        "tone": TONE,
        "tone_per_propensity": TONE_PER_PROPENSITY,
        "offer": OFFER,
        "baseline": {
            "receipt_days": RECEIPT_DAYS,
            "edges_days_after_due": BASE_EDGES,
            "daily_rates": BASE_RATES,
        },
        "eta": {
            "propensity": PROPENSITY,
            "customer_type": CUSTOMER_TYPE,
            "division": DIVISION,
            "segment": SEGMENT,
            "country": COUNTRY,
            "amount_ratio": AMOUNT_RATIO,
            "dispute": DISPUTE,
        },
        "month_end": {
            "log_ratio": MONTH_END,
            "days_before": MONTH_END_DAYS_BEFORE,
            "days_after": MONTH_END_DAYS_AFTER,
        },
        "bad_debt_logistic": BAD_DEBT,
        "direct_debit_return_logistic": DIRECT_DEBIT_RETURN,
        "direct_debit_restart_day": DIRECT_DEBIT_RESTART_DAY,
    }
