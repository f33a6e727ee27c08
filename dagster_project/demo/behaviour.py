"""The true payment behaviour of the demo group: a piecewise-constant hazard model.

Time t counts days relative to the due date (the issue date is t = -terms). An invoice is
settled at the first t where its cumulative hazard H(t) exceeds an Exp(1) draw, on day ceil(t)
after due. The daily hazard is

    h(t) = base(t) * exp(eta) * month_end(t) * prod_k contact_k(t)

- base(t): one shape for everybody: 0.06/day in the 3 days after issue (people who pay on
  receipt), 0.025 until 5 days before due, 0.11 from then to 1 day after due, then 0.08, 0.07
  (from day 10) and 0.07 (from day 30), and a 0.045 tail after 90 days.
- eta: 0.7 * propensity (a standard normal latent per customer, shared by a group debtor)
  + effects of customer type, division, segment and country, -0.3 per unit of
  log(amount / the customer's usual amount), and -1.2 for a disputed invoice.
- month_end(t): x1.8 for b2b (payment runs) and x1.2 for b2c (salaries) from 3 days before to
  1 day after the last day of the due date's month.
- contact_k(t): exp(channel + tone + tone_slope * propensity + offer) during the 10 days after
  each reminder actually sent; phone and payment links help most, letters least, and a firm
  tone helps late payers (low propensity) while it slightly hurts good ones.

A reminder is planned at about 7, 21 and 35 days past due and sent only if the invoice is still
unpaid then; because its effect starts only after it is sent, drawing t once from the curve that
includes all planned reminders is an exact simulation of the policy.

Besides the hazard, an invoice never pays with P = logistic(-6.5 - 1.1 propensity + 0.4 b2c
+ 1.5 disputed) (bad debt; most are written off 3-10 months after due), and a direct-debit
invoice is collected on its due date unless the collection bounces (P = logistic(-3.6 - 0.8
propensity)); then the hazard restarts five days after due. The numbers live in response.py;
`effects_truth.json` holds them and the formula.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.demo import dates, response
from dagster_project.demo.hazard import HazardCurves, Window

NEVER = 1_000_000


def _lookup(effects: dict[str, float], keys: np.ndarray) -> np.ndarray:
    names, codes = np.unique(keys, return_inverse=True)
    return np.array([effects[str(name)] for name in names], dtype=float)[codes]


def drivers(
    invoices: dict[str, np.ndarray], customers: pd.DataFrame, division: str
) -> dict[str, np.ndarray]:
    """Per invoice: eta, P(never pays), direct debit flag, P(collection bounces), month end."""
    customer = invoices["customer"]
    propensity = customers["propensity"].to_numpy()[customer]
    customer_type = customers["customer_type"].to_numpy()[customer]
    disputed = invoices["is_disputed"]
    eta = (
        response.PROPENSITY * propensity
        + _lookup(response.CUSTOMER_TYPE, customer_type)
        + response.DIVISION[division]
        + _lookup(response.SEGMENT, customers["segment"].to_numpy()[customer])
        + _lookup(response.COUNTRY, customers["country_code"].to_numpy()[customer])
        + response.AMOUNT_RATIO * invoices["log_amount_ratio"]
        + response.DISPUTE * disputed
    )
    bad = response.BAD_DEBT
    p_never = response.logistic(
        bad["intercept"]
        + bad["propensity"] * propensity
        + bad["b2c"] * (customer_type == "b2c")
        + bad["disputed"] * disputed
    )
    bounce = response.DIRECT_DEBIT_RETURN
    month_end = dates.month_end(invoices["due"]) - invoices["due"]
    return {
        "propensity": propensity,
        "eta": eta,
        "p_never": p_never,
        "is_direct_debit": customers["has_direct_debit"].to_numpy()[customer] & ~disputed,
        "p_return": response.logistic(bounce["intercept"] + bounce["propensity"] * propensity),
        "month_end_start": month_end - response.MONTH_END_DAYS_BEFORE - 1.0,
        "month_end_end": month_end + response.MONTH_END_DAYS_AFTER * 1.0,
        "month_end_log_ratio": _lookup(response.MONTH_END, customer_type),
    }


def _month_end_window(driver: dict[str, np.ndarray]) -> Window:
    return Window(driver["month_end_start"], driver["month_end_end"], driver["month_end_log_ratio"])


def draw_settlement(
    invoices: dict[str, np.ndarray],
    driver: dict[str, np.ndarray],
    contact_windows: list[Window],
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Draw each invoice's settlement day (days after due, NEVER if it never pays)."""
    n = invoices["terms"].size
    curves = HazardCurves.build(
        invoices["terms"], driver["eta"], [_month_end_window(driver), *contact_windows]
    )
    never = rng.random(n) < driver["p_never"]
    returned = driver["is_direct_debit"] & (rng.random(n) < driver["p_return"])
    start = np.where(returned, response.DIRECT_DEBIT_RESTART_DAY, -invoices["terms"]) * 1.0
    t = curves.invert(curves.at(start) + rng.exponential(1.0, n))

    day = np.where(np.isfinite(t), np.ceil(np.minimum(t, NEVER)), NEVER).astype(np.int64)
    collected = driver["is_direct_debit"] & ~returned
    day = np.where(never, NEVER, day)
    day = np.where(collected, 0, day)
    return {"pay_day": day, "direct_debit_returned": returned}


def p_settled_within(days: int, terms: np.ndarray, driver: dict[str, np.ndarray]) -> np.ndarray:
    """True P(settled within `days` days after due) with no reminders at all."""
    curves = HazardCurves.build(terms, driver["eta"], [_month_end_window(driver)])
    horizon = np.full(terms.size, float(days))
    paying = 1.0 - driver["p_never"]
    by_cash = paying * (1.0 - np.exp(-curves.at(horizon)))
    restart = np.full(terms.size, float(response.DIRECT_DEBIT_RESTART_DAY))
    after_bounce = np.maximum(curves.at(horizon) - curves.at(restart), 0.0)
    p_return = driver["p_return"]
    by_debit = (1.0 - p_return) + p_return * paying * (1.0 - np.exp(-after_bounce))
    return np.where(driver["is_direct_debit"], by_debit, by_cash)


def customer_truth(customers: pd.DataFrame, division: str) -> pd.DataFrame:
    """True P(settled within 0, 14, 30 days after due) for a typical invoice of each customer:
    its usual amount and terms, not disputed, due mid-month, no reminder."""
    n = len(customers)
    typical_due = dates.to_day(pd.Timestamp("2025-06-15").date())
    invoices = {
        "customer": np.arange(n),
        "terms": customers["terms"].to_numpy(),
        "due": np.full(n, typical_due),
        "log_amount_ratio": np.zeros(n),
        "is_disputed": np.zeros(n, dtype=bool),
    }
    driver = drivers(invoices, customers, division)
    out = pd.DataFrame({"propensity": customers["propensity"].to_numpy()})
    for days in (0, 14, 30):
        out[f"true_p_paid_within_{days}d_after_due"] = p_settled_within(
            days, invoices["terms"], driver
        )
    return out
