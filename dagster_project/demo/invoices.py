"""Invoices of one entity: who is billed, when, how much and when it is due.

Sales divisions bill on business days with a seasonal pattern and some growth; the leasing
division bills each running contract on the first of every month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.demo import dates
from dagster_project.demo.config import GeneratorConfig
from dagster_project.demo.profiles import CURRENCY_SCALE

# Division: (seasonal amplitude, peak day of year, December factor, Saturday factor).
SEASON = {
    "retail": (0.35, 135, 1.3, 0.5),
    "wholesale": (0.2, 90, 0.8, 0.0),
    "healthcare_mobility": (0.1, 60, 0.85, 0.0),
}
GROWTH_PER_YEAR = 0.07
AMOUNT_SPREAD = 0.45
LEASE_EXTRA_SHARE = 0.05


def issue_day_weights(
    first_day: int, last_day: int, division: str
) -> tuple[np.ndarray, np.ndarray]:
    """(days, probability of each day) for one sales division."""
    days = np.arange(first_day, last_day + 1)
    amplitude, peak, december, saturday = SEASON[division]
    weight = 1 + amplitude * np.cos(2 * np.pi * (dates.day_of_year(days) - peak) / 365.25)
    is_december = dates.as_datetime64(days).astype("datetime64[M]").astype(np.int64) % 12 == 11
    weight *= np.where(is_december, december, 1.0)
    day_of_week = dates.weekday(days)
    weight *= np.where(day_of_week < 5, 1.0, np.where(day_of_week == 5, saturday, 0.0))
    weight *= np.exp(GROWTH_PER_YEAR * (days - first_day) / 365.25)
    return days, weight / weight.sum()


def _sales_invoices(
    customers: pd.DataFrame,
    n_invoices: int,
    first_day: int,
    last_day: int,
    division: str,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    weight = customers["weight"].to_numpy()
    customer = rng.choice(len(customers), size=n_invoices, p=weight / weight.sum())
    days, probability = issue_day_weights(first_day, last_day, division)
    issue = rng.choice(days, size=n_invoices, p=probability)
    ratio = rng.lognormal(0.0, AMOUNT_SPREAD, n_invoices)
    return customer, issue, ratio


def _lease_invoices(
    customers: pd.DataFrame, first_month: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    months = customers["lease_months"].to_numpy()
    customer = np.repeat(np.arange(len(customers)), months)
    offset = np.arange(customer.size) - np.repeat(np.cumsum(months) - months, months)
    month = first_month + customers["lease_first_month"].to_numpy()[customer] + offset
    issue = dates.month_first_day(month)
    extra = rng.random(customer.size) < LEASE_EXTRA_SHARE
    ratio = np.where(extra, rng.uniform(1.1, 1.8, customer.size), 1.0)
    return customer, issue, ratio


def issue_invoices(
    entity: pd.Series,
    customers: pd.DataFrame,
    n_invoices: int,
    period: tuple[int, int, int],
    config: GeneratorConfig,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Invoice arrays sorted by issue day: customer (row in customers), issue, terms, due,
    amount (cents), log_amount_ratio (log of amount over the customer's usual) and is_disputed.

    `period` is (first day, last day, first billing month) as day and month numbers.
    """
    first_day, last_day, first_month = period
    division = str(entity["division"])
    if division == "leasing":
        customer, issue, ratio = _lease_invoices(customers, first_month, rng)
    else:
        customer, issue, ratio = _sales_invoices(
            customers, n_invoices, first_day, last_day, division, rng
        )
    order = np.lexsort((customer, issue))
    customer, issue, ratio = customer[order], issue[order], ratio[order]

    usual = customers["usual_amount"].to_numpy()[customer]
    scale = CURRENCY_SCALE[str(entity["base_currency"])]
    unit = 100 if scale > 1 else 1  # CZK invoices are in whole crowns
    amount = np.maximum(np.round(usual * ratio / unit).astype(np.int64) * unit, int(500 * scale))
    terms = customers["terms"].to_numpy()[customer]

    is_b2b = customers["customer_type"].to_numpy()[customer] == "b2b"
    dispute_weight = np.where(is_b2b, 2.0, 1.0)
    dispute_weight = dispute_weight / dispute_weight.mean() if amount.size else dispute_weight
    is_disputed = rng.random(amount.size) < config.dispute_share * dispute_weight
    return {
        "customer": customer,
        "issue": issue,
        "terms": terms,
        "due": issue + terms,
        "amount": amount,
        "log_amount_ratio": np.log(amount / usual),
        "is_disputed": is_disputed,
    }
