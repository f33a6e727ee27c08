"""Reference exchange rates: CZK to EUR on business days, a gentle random walk around 0.040."""

from __future__ import annotations

import numpy as np

from dagster_project.demo import dates
from dagster_project.demo.codes import encode
from dagster_project.demo.writer import iso_dates

CZK_EUR = 0.040
DAILY_VOLATILITY = 0.002
PULL_TO_MEAN = 0.01
RATE_DECIMALS = 8


def fx_rates(first_day: int, end_day: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Rows of reference/fx_rates.csv: units of EUR for one CZK, valid from rate_date."""
    days = np.arange(first_day, end_day + 1)
    days = days[dates.weekday(days) < 5]
    steps = rng.normal(0.0, DAILY_VOLATILITY, days.size)
    walk = np.cumsum(steps)
    # A linear pull of the walk toward zero keeps the rate near 0.040 over any period.
    walk = walk - PULL_TO_MEAN * np.cumsum(walk) / np.arange(1, days.size + 1)
    units = np.round(CZK_EUR * np.exp(walk) * 10**RATE_DECIMALS).astype(np.int64)
    text = np.char.add(
        np.char.add((units // 10**RATE_DECIMALS).astype(str), "."),
        encode(units % 10**RATE_DECIMALS, RATE_DECIMALS),
    )
    return {
        "rate_date": iso_dates(days),
        "currency": np.full(days.size, "CZK"),
        "quote_currency": np.full(days.size, "EUR"),
        "rate": text,
    }
