"""Dates as integer day numbers (days since 1970-01-01), so date arithmetic is array arithmetic."""

from __future__ import annotations

from datetime import date

import numpy as np

EPOCH = np.datetime64("1970-01-01", "D")
SECONDS_PER_DAY = 86_400


def to_day(value: date) -> int:
    """The day number of a date."""
    return int((np.datetime64(value, "D") - EPOCH).astype(np.int64))


def as_datetime64(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]")


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday 0 ... Sunday 6 (1970-01-01 was a Thursday)."""
    return (np.asarray(days, dtype=np.int64) + 3) % 7


def roll_to_weekday(days: np.ndarray) -> np.ndarray:
    """Move Saturdays and Sundays to the next Monday."""
    day_of_week = weekday(days)
    return days + np.where(day_of_week == 5, 2, np.where(day_of_week == 6, 1, 0))


def month_end(days: np.ndarray) -> np.ndarray:
    """The last day of each day's month."""
    months = as_datetime64(days).astype("datetime64[M]")
    return ((months + 1).astype("datetime64[D]") - EPOCH).astype(np.int64) - 1


def month_index(days: np.ndarray) -> np.ndarray:
    """Months since January 1970."""
    return as_datetime64(days).astype("datetime64[M]").astype(np.int64)


def month_first_day(months: np.ndarray) -> np.ndarray:
    """The first day of each month index."""
    first = np.asarray(months, dtype=np.int64).astype("datetime64[M]").astype("datetime64[D]")
    return (first - EPOCH).astype(np.int64)


def year(days: np.ndarray) -> np.ndarray:
    return as_datetime64(days).astype("datetime64[Y]").astype(np.int64) + 1970


def day_of_year(days: np.ndarray) -> np.ndarray:
    first = as_datetime64(days).astype("datetime64[Y]").astype("datetime64[D]")
    return (as_datetime64(days) - first).astype(np.int64)
