"""Reference data of the demo group: countries, divisions and which entities exist.

Amounts are medians in EUR; entities in CZK multiply them by CURRENCY_SCALE.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    currency: str
    time_zone: str
    languages: dict[str, float]
    cities: tuple[str, ...]
    providers: tuple[str, ...]
    neighbours: tuple[str, ...]


@dataclass(frozen=True)
class Division:
    code: str
    label: str
    b2c_share: float
    invoices_b2c: float
    invoices_b2b: float
    amount_b2c: float
    amount_b2b: float
    direct_debit_b2c: float
    direct_debit_b2b: float
    volume_weight: float
    segments_b2b: dict[str, float]


COUNTRIES = {
    "NL": Country(
        "EUR",
        "Europe/Amsterdam",
        {"nl": 0.93, "en": 0.05, "de": 0.01, "fr": 0.01},
        ("Amsterdam", "Utrecht", "Rotterdam", "Eindhoven", "Zwolle", "Groningen"),
        ("mollie", "buckaroo"),
        ("BE", "DE"),
    ),
    "BE": Country(
        "EUR",
        "Europe/Brussels",
        {"nl": 0.57, "fr": 0.39, "en": 0.03, "de": 0.01},
        ("Antwerpen", "Gent", "Bruxelles", "Liège", "Hasselt"),
        ("adyen", "mollie"),
        ("NL", "DE"),
    ),
    "DE": Country(
        "EUR",
        "Europe/Berlin",
        {"de": 0.94, "en": 0.05, "nl": 0.01},
        ("Berlin", "Köln", "Hamburg", "München", "Leipzig"),
        ("adyen", "stripe"),
        ("NL", "AT"),
    ),
    "AT": Country(
        "EUR",
        "Europe/Vienna",
        {"de": 0.95, "en": 0.05},
        ("Wien", "Graz", "Linz"),
        ("stripe", "adyen"),
        ("DE",),
    ),
    "CZ": Country(
        "CZK",
        "Europe/Prague",
        {"cs": 0.92, "en": 0.05, "de": 0.03},
        ("Praha", "Brno", "Ostrava", "Plzeň"),
        ("stripe", "adyen"),
        ("DE", "AT"),
    ),
}
CURRENCY_SCALE = {"EUR": 1.0, "CZK": 25.0}
PROVIDERS = ("mollie", "buckaroo", "adyen", "stripe")

DIVISIONS = {
    "retail": Division(
        "RET", "Retail", 0.93, 1.8, 14.0, 320.0, 1100.0, 0.02, 0.05, 1.3, {"sme": 1.0}
    ),
    "wholesale": Division(
        "WHS",
        "Wholesale",
        0.03,
        2.0,
        30.0,
        250.0,
        3800.0,
        0.0,
        0.12,
        0.7,
        {"sme": 0.94, "public_sector": 0.06},
    ),
    "healthcare_mobility": Division(
        "HCM",
        "Care Mobility",
        0.75,
        3.0,
        25.0,
        140.0,
        1900.0,
        0.12,
        0.05,
        1.0,
        {"sme": 0.6, "public_sector": 0.25, "healthcare_insurer": 0.15},
    ),
    "leasing": Division(
        "LEA",
        "Lease",
        0.55,
        0.0,
        0.0,
        95.0,
        1400.0,
        0.75,
        0.55,
        0.8,
        {"sme": 0.88, "public_sector": 0.12},
    ),
}

# The order in which entities are created: a small group (tests) still covers every division
# and a CZK entity; the default forty cover each pair twice.
ENTITY_CYCLE = (
    ("NL", "retail"),
    ("BE", "wholesale"),
    ("DE", "healthcare_mobility"),
    ("CZ", "retail"),
    ("NL", "leasing"),
    ("DE", "wholesale"),
    ("NL", "healthcare_mobility"),
    ("BE", "retail"),
    ("DE", "retail"),
    ("NL", "wholesale"),
    ("AT", "retail"),
    ("BE", "healthcare_mobility"),
    ("CZ", "wholesale"),
    ("DE", "leasing"),
    ("NL", "retail"),
    ("BE", "leasing"),
    ("DE", "healthcare_mobility"),
    ("NL", "healthcare_mobility"),
    ("AT", "wholesale"),
    ("CZ", "healthcare_mobility"),
)
LEGAL_SUFFIX = {"NL": "B.V.", "BE": "BV", "DE": "GmbH", "AT": "GmbH", "CZ": "s.r.o."}
