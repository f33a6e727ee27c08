"""Group debtors: one company that buys from several entities, with one customer row in each.

The rows share the group_debtor_id, the name, the country and (nearly) the propensity, so the
warehouse can add up the exposure of the company across the group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.demo import names
from dagster_project.demo.codes import GROUP_VAT_BLOCK, ibans, vat_numbers
from dagster_project.demo.profiles import COUNTRIES

GROUPS_PER_ENTITY = 0.5
COMPANY_SEGMENTS = ("sme", "key_account")


def attach_group_debtors(
    entities: pd.DataFrame, customers: list[pd.DataFrame], rng: np.random.Generator
) -> int:
    """Turn company customers of 2-5 entities into one group debtor each; return the count."""
    free = [frame["segment"].isin(COMPANY_SEGMENTS).to_numpy(copy=True) for frame in customers]
    n_groups = max(1, round(len(entities) * GROUPS_PER_ENTITY))
    made = 0
    for group in range(n_groups):
        candidates = np.array([i for i, rows in enumerate(free) if rows.any()])
        if candidates.size < 2:
            break
        size = min(candidates.size, int(rng.integers(2, 6)))
        chosen = rng.choice(candidates, size=size, replace=False)
        company = _company(str(entities.loc[chosen[0], "country_code"]), rng)
        for index in chosen:
            rows = np.flatnonzero(free[index])
            row = rows[rng.integers(0, rows.size)]
            free[index][row] = False
            _join(customers[index], row, company, f"GD-{group + 1:04d}", rng)
        made += 1
    return made


def _company(home: str, rng: np.random.Generator) -> dict[str, object]:
    """The shared identity of one group debtor."""
    name, mail = names.companies(home, np.array(["key_account"]), rng)
    languages = COUNTRIES[home].languages
    language = rng.choice(np.array(list(languages)), p=np.array(list(languages.values())))
    return {
        "customer_name": name[0],
        "email": mail[0],
        "country_code": home,
        "language": str(language),
        "phone": names.phones(home, 1, rng)[0],
        "iban": ibans(home, 1, rng)[0],
        "segment": "key_account",
        "propensity": rng.standard_normal(),
    }


def _join(
    frame: pd.DataFrame,
    row: int,
    company: dict[str, object],
    group_id: str,
    rng: np.random.Generator,
) -> None:
    """Make one customer row of an entity the local account of the group debtor."""
    label = frame.index[row]
    for column, value in company.items():
        frame.loc[label, column] = value
    frame.loc[label, "propensity"] = float(company["propensity"]) + rng.normal(0.0, 0.25)
    frame.loc[label, "group_debtor_id"] = group_id
    # One company, one VAT number, derived from the group number (no random draw).
    counter = GROUP_VAT_BLOCK + int(group_id.removeprefix("GD-"))
    frame.loc[label, "vat_number"] = vat_numbers(
        np.array([company["country_code"]]), np.array([counter])
    )[0]
    frame.loc[label, "weight"] = frame.loc[label, "weight"] * 2.0
