"""How the dashboards print figures: money with its currency, shares and days.

Amounts arrive as `Decimal` from the warehouse and are formatted from that exact value, rounded
half to even; the currency's own number of decimals (none for JPY, two for EUR), its symbol and
the separators come from Babel for the display locale. Babel is slow per call (a table of a
thousand rows took most of a page's render time), so each currency's affixes are asked once and
the digits are laid out by Python's own formatting; a test holds the result to Babel's.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_decimal_symbol,
    get_group_symbol,
)

DISPLAY_LOCALE = "en_GB"
MISSING = "–"

Number = Decimal | float | int


def _is_missing(value: Number | None) -> bool:
    # pandas hands back NaN (a float that is not equal to itself) for missing numbers
    return value is None or value != value


def _exact(value: Number) -> Decimal:
    # A float goes through its shortest repr, as Babel does, so 2.675 rounds like "2.675".
    return value if isinstance(value, Decimal) else Decimal(str(value))


@functools.cache
def _separators() -> dict[int, str]:
    """Python's `,` and `.` translated to the display locale's group and decimal symbols."""
    return str.maketrans(
        {",": get_group_symbol(DISPLAY_LOCALE), ".": get_decimal_symbol(DISPLAY_LOCALE)}
    )


def _digits(value: Decimal, decimals: int) -> str:
    """`1,234.50` for a non-negative value, in the locale's separators."""
    return f"{value:,.{decimals}f}".translate(_separators())


@functools.cache
def _currency_affixes(currency: str) -> tuple[int, tuple[str, str], tuple[str, str]]:
    """(decimals, (prefix, suffix) when positive, (prefix, suffix) when negative), read off
    Babel's own rendering of 1 and -1 in the currency."""
    decimals = get_currency_precision(currency)
    one = _digits(Decimal(1), decimals)
    affixes = []
    for sample in (Decimal(1), Decimal(-1)):
        text = format_currency(sample, currency, locale=DISPLAY_LOCALE)
        prefix, _, suffix = text.partition(one)
        affixes.append((prefix, suffix))
    return decimals, affixes[0], affixes[1]


def money(amount: Number | None, currency: str | None) -> str:
    """`€1,262,750.75`; a missing amount prints as a dash, one without currency as a number."""
    if _is_missing(amount):
        return MISSING
    value = _exact(amount)
    if not isinstance(currency, str) or not currency:
        return ("-" if value < 0 else "") + _digits(abs(value), 2)
    decimals, positive, negative = _currency_affixes(currency)
    prefix, suffix = negative if value < 0 else positive
    return prefix + _digits(abs(value), decimals) + suffix


def signed_money(amount: Number | None, currency: str) -> str:
    """A change in money with its sign, `+€1,200.00` or `-€250.00`, for metric deltas."""
    if _is_missing(amount):
        return MISSING
    sign = "+" if amount > 0 else ""
    return sign + money(amount, currency)


def percent(share: Number | None, decimals: int = 1) -> str:
    """A share given as a fraction (0.125) printed as `12.5%`."""
    if _is_missing(share):
        return MISSING
    value = _exact(share) * 100
    return ("-" if value < 0 else "") + _digits(abs(value), decimals) + "%"


def days(value: Number | None) -> str:
    """A duration in days with one decimal, `42.3 days`."""
    if _is_missing(value):
        return MISSING
    exact = _exact(value)
    return ("-" if exact < 0 else "") + _digits(abs(exact), 1) + " days"


def signed_days(value: Number | None) -> str:
    """A change in days with its sign, `+1.5 days`, for metric deltas; `0.0 days` when the
    change rounds to nothing."""
    if _is_missing(value):
        return MISSING
    if round(value, 1) == 0:
        return days(0)
    sign = "+" if value > 0 else ""
    return sign + days(value)


def count(value: Number | None) -> str:
    """A whole number with thousand separators."""
    if _is_missing(value):
        return MISSING
    if isinstance(value, int):
        return ("-" if value < 0 else "") + _digits(Decimal(abs(value)), 0)
    exact = _exact(value)
    return ("-" if exact < 0 else "") + _digits(abs(exact), 0)
