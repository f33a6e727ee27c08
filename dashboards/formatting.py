"""How the dashboards print figures: money with its currency, shares and days.

Amounts arrive as `Decimal` from the warehouse and are formatted from that exact value; Babel
picks the currency's own number of decimals (none for JPY, two for EUR) and the separators of
the display locale.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, format_decimal, format_percent

DISPLAY_LOCALE = "en_GB"
MISSING = "–"

Number = Decimal | float | int


def _is_missing(value: Number | None) -> bool:
    # pandas hands back NaN (a float that is not equal to itself) for missing numbers
    return value is None or value != value


def money(amount: Number | None, currency: str) -> str:
    """`€1,262,750.75`; a missing amount prints as a dash."""
    if _is_missing(amount):
        return MISSING
    return format_currency(amount, currency, locale=DISPLAY_LOCALE)


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
    pattern = "#,##0." + "0" * decimals + "%" if decimals else "#,##0%"
    return format_percent(share, format=pattern, locale=DISPLAY_LOCALE)


def days(value: Number | None) -> str:
    """A duration in days with one decimal, `42.3 days`."""
    if _is_missing(value):
        return MISSING
    return format_decimal(value, format="#,##0.0", locale=DISPLAY_LOCALE) + " days"


def signed_days(value: Number | None) -> str:
    """A change in days with its sign, `+1.5 days`, for metric deltas."""
    if _is_missing(value):
        return MISSING
    sign = "+" if value > 0 else ""
    return sign + days(value)


def count(value: int | None) -> str:
    """A whole number with thousand separators."""
    if _is_missing(value):
        return MISSING
    return format_decimal(value, format="#,##0", locale=DISPLAY_LOCALE)
