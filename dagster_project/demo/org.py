"""The group's entities and each entity's customers (with their latent payment propensity).

Columns that do not belong to the canonical tables (propensity, volume weight, usual amount,
terms, direct-debit mandate, reminder hold-out, lease contract) drive the simulation and the
ground truth; they never reach the landing files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.demo import names
from dagster_project.demo.codes import VAT_BLOCK, encode, ibans, vat_numbers
from dagster_project.demo.config import GeneratorConfig
from dagster_project.demo.profiles import (
    COUNTRIES,
    CURRENCY_SCALE,
    DIVISIONS,
    ENTITY_CYCLE,
    LEGAL_SUFFIX,
)


def build_entities(config: GeneratorConfig, rng: np.random.Generator) -> pd.DataFrame:
    """One row per entity, with its share of the group's invoice volume."""
    rows = []
    seen: dict[tuple[str, str], int] = {}
    per_country: dict[str, int] = {}
    brand = names.brands(config.n_entities, rng)
    for number in range(config.n_entities):
        country, division = ENTITY_CYCLE[number % len(ENTITY_CYCLE)]
        seen[(country, division)] = seen.get((country, division), 0) + 1
        ordinal = per_country.get(country, 0)
        per_country[country] = ordinal + 1
        profile, place = DIVISIONS[division], COUNTRIES[country]
        city = place.cities[ordinal % len(place.cities)]
        rows.append(
            {
                "entity_id": f"{country}-{profile.code}-{seen[(country, division)]:02d}",
                "entity_name": f"{brand[number]} {profile.label} {city} {LEGAL_SUFFIX[country]}",
                "division": division,
                "country_code": country,
                "base_currency": place.currency,
                "time_zone": place.time_zone,
                "provider": place.providers[ordinal % len(place.providers)],
                "entity_no": number + 1,
                "volume_weight": profile.volume_weight * rng.lognormal(0.0, 0.35),
            }
        )
    return pd.DataFrame(rows)


def lease_contracts(
    n_invoices: int, n_months: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(first month, number of months) inside the period for enough contracts to bill n_invoices.

    Contracts run 24, 36 or 48 months and may have started before the period; only contracts
    with at least one billed month in the period are kept.
    """
    n_draw = n_invoices // 8 + 10
    duration = rng.choice(np.array([24, 36, 48]), size=n_draw)
    start = rng.integers(-duration + 1, n_months)
    first = np.maximum(start, 0)
    months = np.minimum(start + duration, n_months) - first
    keep = int(np.searchsorted(np.cumsum(months), n_invoices)) + 1
    return first[:keep], months[:keep]


def _customer_count(division: str, n_invoices: int) -> int:
    profile = DIVISIONS[division]
    per_customer = profile.b2c_share * profile.invoices_b2c
    per_customer += (1 - profile.b2c_share) * profile.invoices_b2b
    return max(3, round(n_invoices / per_customer))


def _segments(division: str, is_b2c: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    mix = DIVISIONS[division].segments_b2b
    b2b = rng.choice(np.array(list(mix)), size=is_b2c.size, p=np.array(list(mix.values())))
    return np.where(is_b2c, "consumer", b2b)


def _terms(segment: np.ndarray, division: str, rng: np.random.Generator) -> np.ndarray:
    """Payment terms in days: consumers and lease instalments 14, organisations mostly 30."""
    u = rng.random(segment.size)
    sme = np.where(u < 0.3, 14, np.where(u < 0.95, 30, 60))
    large = np.where(u < 0.75, 30, 60)
    terms = np.where(segment == "sme", sme, large)
    terms = np.where(segment == "consumer", 14, terms)
    return terms if division != "leasing" else np.full(segment.size, 14)


def _countries(home: str, is_b2c: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    abroad = rng.random(is_b2c.size) < np.where(is_b2c, 0.02, 0.06)
    neighbours = np.array(COUNTRIES[home].neighbours)
    return np.where(abroad, neighbours[rng.integers(0, neighbours.size, is_b2c.size)], home)


def _languages(country: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    language = np.full(country.size, "", dtype="<U2")
    for code in np.unique(country):
        mix = COUNTRIES[str(code)].languages
        rows = country == code
        picked = rng.choice(np.array(list(mix)), size=rows.sum(), p=np.array(list(mix.values())))
        language[rows] = picked
    return language


def contact_details(
    country: np.ndarray, segment: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Names, e-mail, phone and IBAN per customer, generated per country."""
    n = country.size
    out = {key: np.full(n, "", dtype=object) for key in ("name", "email", "phone", "iban")}
    for code in np.unique(country):
        rows = np.flatnonzero(country == code)
        code = str(code)
        person_name, person_mail = names.people(code, rows.size, rng)
        firm_name, firm_mail = names.companies(code, segment[rows], rng)
        is_person = segment[rows] == "consumer"
        out["name"][rows] = np.where(is_person, person_name, firm_name)
        out["email"][rows] = np.where(is_person, person_mail, firm_mail)
        out["phone"][rows] = names.phones(code, rows.size, rng)
        out["iban"][rows] = ibans(code, rows.size, rng)
    return out


def build_customers(
    entity: pd.Series,
    n_invoices: int,
    n_months: int,
    config: GeneratorConfig,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The customers of one entity; for leasing one customer per lease contract."""
    division = str(entity["division"])
    profile = DIVISIONS[division]
    if division == "leasing":
        lease_first, lease_months = lease_contracts(n_invoices, n_months, rng)
        n = lease_first.size
    else:
        n = _customer_count(division, n_invoices)
        lease_first, lease_months = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)

    is_b2c = rng.random(n) < profile.b2c_share
    segment = _segments(division, is_b2c, rng)
    weight = np.where(
        is_b2c,
        rng.gamma(2.0, 0.5, n) * profile.invoices_b2c,
        rng.lognormal(-0.5, 1.0, n) * profile.invoices_b2b,
    )
    weight = np.where(segment == "healthcare_insurer", weight * 6, weight)
    b2b_weight = weight[~is_b2c]
    threshold = np.quantile(b2b_weight, 0.92) if b2b_weight.size else np.inf
    segment = np.where((segment == "sme") & (weight >= threshold), "key_account", segment)

    currency = str(entity["base_currency"])
    scale = CURRENCY_SCALE[currency]
    median = np.where(is_b2c, profile.amount_b2c, profile.amount_b2b) * scale
    median = np.where(segment == "key_account", median * 2.0, median)
    usual = np.round(median * rng.lognormal(0.0, 0.6, n) * 100).astype(np.int64)
    usual = np.maximum(usual, int(1000 * scale))

    country = _countries(str(entity["country_code"]), is_b2c, rng)
    details = contact_details(country, segment, rng)
    has_email = rng.random(n) < np.where(is_b2c, 0.85, 0.95)
    has_phone = rng.random(n) < np.where(is_b2c, 0.75, 0.8)
    has_dd = rng.random(n) < np.where(is_b2c, profile.direct_debit_b2c, profile.direct_debit_b2b)
    has_dd &= currency == "EUR"
    has_iban = has_dd | (rng.random(n) < np.where(is_b2c, 0.5, 0.9))

    monthly = usual * np.maximum(weight, 1.0) / max(n_months, 1)
    limit = np.ceil(np.maximum(3 * usual, 2 * monthly) / (100_000 * scale)) * 100_000 * scale
    customer = pd.DataFrame(
        {
            "customer_id": np.char.add("C", encode(np.arange(1, n + 1), max(6, len(str(n))))),
            "customer_name": details["name"],
            "customer_type": np.where(is_b2c, "b2c", "b2b"),
            "country_code": country,
            "language": _languages(country, rng),
            "segment": segment,
            "email": np.where(has_email, details["email"], ""),
            "phone": np.where(has_phone, details["phone"], ""),
            "iban": np.where(has_iban, details["iban"], ""),
            "group_debtor_id": "",
            "credit_limit": np.where(is_b2c, -1, limit.astype(np.int64)),
        }
    )
    # Organisations have a VAT number; it is derived, not drawn, to keep the random streams.
    counter = int(entity["entity_no"]) * VAT_BLOCK + np.arange(n)
    customer["vat_number"] = np.where(is_b2c, "", vat_numbers(country, counter))
    customer["propensity"] = rng.standard_normal(n)
    customer["weight"] = weight
    customer["usual_amount"] = usual
    customer["terms"] = _terms(segment, division, rng)
    customer["has_direct_debit"] = has_dd
    customer["is_holdout"] = rng.random(n) < config.holdout_share
    customer["lease_first_month"] = lease_first
    customer["lease_months"] = lease_months
    return customer
