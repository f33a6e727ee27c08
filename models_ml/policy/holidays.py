"""Public holidays per country from short rules, so no phone task lands on a day off.

A rule is "MM-DD" (every year), "easter+N" (days after Easter Sunday, N may be negative) or
"YYYY-MM-DD" (one date). A handful of rules covers every year, so the list in
`data/config/holidays.yml` never runs out, and a credit manager can add a bridge day.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import yaml

from models_ml.policy.checks import Checker, UniqueKeyLoader, show

RULE = r"(\d{2}-\d{2})|(easter[+-]\d{1,3})|(\d{4}-\d{2}-\d{2})"
RULE_HINT = "a rule like 12-25, easter+1 or 2027-04-26"


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * weekday_shift) // 433
    month = (h + weekday_shift - 7 * m + 90) // 25
    day = (h + weekday_shift - 7 * m + 33 * month + 19) % 32
    return date(year, month, day)


def rule_dates(rule: str, years: range) -> list[date]:
    """The dates a rule gives in the given years."""
    if rule.startswith("easter"):
        offset = int(rule[len("easter") :])
        return [easter_sunday(year) + timedelta(days=offset) for year in years]
    if len(rule) == len("YYYY-MM-DD"):
        day = date.fromisoformat(rule)
        return [day] if day.year in years else []
    month, day = (int(part) for part in rule.split("-"))
    return [date(year, month, day) for year in years]


def holiday_rows(holidays: dict[str, tuple[str, ...]], start: date, end: date) -> list[tuple]:
    """(country_code, holiday_date) for every holiday between start and end, inclusive."""
    years = range(start.year, end.year + 1)
    return sorted(
        {
            (country, day)
            for country, rules in holidays.items()
            for rule in rules
            for day in rule_dates(rule, years)
            if start <= day <= end
        }
    )


def parse_holidays(path: Path, where: str, checker: Checker) -> dict[str, tuple[str, ...]]:
    """Read a holidays file; problems go to the checker under `where`."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=UniqueKeyLoader)
    except OSError as error:
        checker.fail(where, f"cannot read {path.name} ({error.strerror})")
        return {}
    except yaml.YAMLError as error:
        checker.fail(where, f"{path.name} is not valid YAML: {error}")
        return {}
    if not isinstance(document, dict):
        checker.fail(where, f"{path.name}: expected a mapping of countries, got {show(document)}")
        return {}

    holidays: dict[str, tuple[str, ...]] = {}
    for country, rules in document.items():
        key = f"{path.name}.{country}"
        if not isinstance(country, str) or not re.fullmatch(r"[A-Z]{2}", country):
            checker.fail(key, "expected an upper-case country code like NL")
            continue
        if not isinstance(rules, list):
            checker.fail(key, f"expected a list of rules, got {show(rules)}")
            continue
        for index, rule in enumerate(rules):
            if not isinstance(rule, str) or not re.fullmatch(RULE, rule) or not _valid(rule):
                checker.fail(f"{key}[{index}]", f"expected {RULE_HINT}, got {show(rule)}")
        holidays[country] = tuple(str(rule) for rule in rules)
    return holidays


def _valid(rule: str) -> bool:
    """A rule's date exists (02-30 does not; 02-29 does in leap years, so it is allowed)."""
    try:
        rule_dates(rule, range(2024, 2025))
    except ValueError:
        return False
    return True
