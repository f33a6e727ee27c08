"""The dashboard's fast number formatting prints exactly what Babel prints."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal, format_percent

from dashboards.formatting import DISPLAY_LOCALE, count, days, money, percent, signed_days

AMOUNTS = [
    Decimal("0"), Decimal("0.005"), Decimal("0.015"), Decimal("-0.001"), Decimal("-250.00"),
    Decimal("1262750.75"), Decimal("-1234567.125"), Decimal("999.995"), Decimal("12"),
]  # fmt: skip


@pytest.mark.parametrize("currency", ["EUR", "USD", "CZK", "JPY", "GBP", "CHF", "BHD"])
def test_money_matches_babel(currency):
    generator = random.Random(7)
    amounts = AMOUNTS + [
        Decimal(generator.randint(-10**9, 10**9)) / 100 for _ in range(200)
    ]  # fmt: skip

    for amount in amounts:
        assert money(amount, currency) == format_currency(amount, currency, locale=DISPLAY_LOCALE)


def test_shares_days_and_counts_match_babel():
    generator = random.Random(11)
    values = [0.0, 0.125, 2.675, -0.04, 0.0005, 1.0, 123456.789] + [
        generator.uniform(-1000, 1000) for _ in range(200)
    ]

    for value in values:
        expected = format_percent(value, format="#,##0.0%", locale=DISPLAY_LOCALE)
        assert percent(value) == expected
        expected = format_decimal(value, format="#,##0.0", locale=DISPLAY_LOCALE) + " days"
        assert days(value) == expected
        assert count(value) == format_decimal(value, format="#,##0", locale=DISPLAY_LOCALE)
    assert count(-1234567) == "-1,234,567"


def test_missing_values_and_signs():
    assert money(None, "EUR") == "–"
    assert money(float("nan"), "EUR") == "–"
    assert money(Decimal("1234.5"), None) == "1,234.50"
    assert signed_days(0.04) == "0.0 days"
    assert signed_days(-1.25) == "-1.2 days"
    assert percent(None) == "–"
