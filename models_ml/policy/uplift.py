"""How much a contact raises the chance of payment, learned from past contacts and hold-outs.

A contact multiplies the debtor's daily chance of paying during the `window_days` after it by
exp(channel + tone + offer); the three log hazard ratios are estimated with a Poisson rate
model over the contact history (SQL aggregates it into a few hundred cells, see
`uplift_history.py`). The reference is no contact at all, which only random hold-outs show:
a hold-out debtor's unpaid invoice gets a "phantom contact" on the days a reminder would have
gone out, so both groups are observed from the same point on. Tone is relative to neutral and
offer relative to none, as in the history.

With too little history (a new group, tests) the priors below are used, and the run says so.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np
from sklearn.linear_model import PoissonRegressor

from models_ml.policy.uplift_history import HISTORY_CELLS_SQL

log = logging.getLogger(__name__)

WINDOW_DAYS = 10
MIN_CONTACTS = 500
MIN_HOLDOUT_EXPOSURES = 50
PRIORS = {
    "channel": {"email": 0.2, "sms": 0.25, "whatsapp": 0.25, "letter": 0.1, "phone": 0.4},
    "tone": {"friendly": 0.0, "neutral": 0.0, "firm": 0.0, "formal": 0.0},
    "offer": {
        "payment_link": 0.2,
        "epc_qr": 0.1,
        "pay_in_3": 0.1,
        "payment_plan": 0.1,
        "direct_debit": 0.05,
    },
}
REFERENCE = {"tone": "neutral", "offer": "none"}


@dataclass(frozen=True)
class Uplift:
    """Log hazard ratios of a contact's channel, tone and offer, and where they come from."""

    effects: dict[str, dict[str, float]]
    source: str
    window_days: int = WINDOW_DAYS
    contacts: int = 0
    holdout_exposures: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, str, float]]:
        return [
            (kind, value, effect)
            for kind, values in self.effects.items()
            for value, effect in values.items()
        ]


def prior_uplift() -> Uplift:
    return Uplift(effects={kind: dict(values) for kind, values in PRIORS.items()}, source="prior")


def estimate_uplift(con: duckdb.DuckDBPyConnection, as_of: date) -> Uplift:
    """Fit the effects on the history before `as_of`; the priors when it is too thin."""
    _recorded_holdouts(con)
    _payment_signals(con)
    cells = con.execute(HISTORY_CELLS_SQL, {"as_of": as_of, "window_days": WINDOW_DAYS}).fetchall()
    contacts = sum(int(row[5]) for row in cells if row[1] != "none")
    holdouts = sum(int(row[5]) for row in cells if row[1] == "none")
    if contacts < MIN_CONTACTS or holdouts < MIN_HOLDOUT_EXPOSURES:
        log.info(
            "uplift: %d contacts and %d hold-out exposures before %s, too few; using priors",
            contacts,
            holdouts,
            as_of,
        )
        return prior_uplift()

    effects, counts = _fit(cells)
    log.info(
        "uplift: estimated from %d contacts and %d hold-out exposures before %s",
        contacts,
        holdouts,
        as_of,
    )
    return Uplift(effects, "estimated", WINDOW_DAYS, contacts, holdouts, counts)


def _recorded_holdouts(con: duckdb.DuckDBPyConnection) -> None:
    """Hold-outs recorded by earlier runs: a phantom contact on each listed invoice."""
    columns = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_catalog = current_database() "
            "and table_schema = 'reminders' and table_name = 'debtor_actions'"
        ).fetchall()
    }
    source = "select null::varchar as entity_id, null::varchar as document_id, "
    source += "null::date as sent_date where false"
    if "experiment_arm" in columns:
        source = (
            "select entity_id, unnest(document_ids) as document_id, as_of_date as sent_date "
            "from reminders.debtor_actions where reason_code = 'holdout_no_reminder'"
        )
    con.execute(f"create or replace temp table policy_recorded_holdouts as {source}")


def _payment_signals(con: duckdb.DuckDBPyConnection) -> None:
    """The PSP's paid time per invoice, when the warehouse has the mart."""
    exists = con.execute(
        "select count(*) from information_schema.columns "
        "where table_catalog = current_database() and table_schema = 'marts' "
        "and table_name = 'fct_payment_signals' and column_name = 'paid_at'"
    ).fetchone()[0]
    source = (
        "select entity_id, document_id, last_status, paid_at from marts.fct_payment_signals"
        if exists
        else "select null::varchar as entity_id, null::varchar as document_id, "
        "null::varchar as last_status, null::timestamp as paid_at where false"
    )
    con.execute(f"create or replace temp table policy_payment_signals as {source}")


def _fit(cells: list[tuple]) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, int]]]:
    """Poisson rate model: log rate = days-past-due band + channel + tone + offer.

    cells: (dpd_band, channel, tone, offer, events, exposures, exposure_days); a hold-out cell
    has channel, tone and offer 'none' and so only informs the intercepts.
    """
    bands = sorted({row[0] for row in cells})
    levels = {
        kind: sorted({row[index] for row in cells} - {"none", REFERENCE.get(kind)})
        for index, kind in ((1, "channel"), (2, "tone"), (3, "offer"))
    }
    columns = [("band", band) for band in bands[1:]]
    columns += [(kind, value) for kind, values in levels.items() for value in values]
    index = {column: position for position, column in enumerate(columns)}

    x = np.zeros((len(cells), len(columns)))
    for row_number, row in enumerate(cells):
        for key in (("band", row[0]), ("channel", row[1]), ("tone", row[2]), ("offer", row[3])):
            if key in index:
                x[row_number, index[key]] = 1.0
    events = np.array([float(row[4]) for row in cells])
    exposure = np.array([float(row[6]) for row in cells])
    keep = exposure > 0
    model = PoissonRegressor(alpha=1e-8, max_iter=1000, solver="newton-cholesky")
    model.fit(x[keep], events[keep] / exposure[keep], sample_weight=exposure[keep])

    effects: dict[str, dict[str, float]] = {kind: {} for kind in levels}
    counts: dict[str, dict[str, int]] = {kind: {} for kind in levels}
    for kind, position in (("channel", 1), ("tone", 2), ("offer", 3)):
        for row in cells:
            if row[position] != "none":
                value = row[position]
                counts[kind][value] = counts[kind].get(value, 0) + int(row[5])
        for value in counts[kind]:
            coefficient = model.coef_[index[(kind, value)]] if (kind, value) in index else 0.0
            effects[kind][value] = round(float(coefficient), 4)
    return effects, counts


def paid_within(p_no_contact: float, effect: float, horizon_days: int, window_days: int) -> float:
    """P(paid within the horizon) after a contact with this log hazard ratio, for a debtor
    whose chance without contact is p_no_contact (a constant daily hazard over the horizon).

    The same formula is in the candidates SQL; this one is for tests and the simulation.
    """
    p = min(max(p_no_contact, 0.01), 0.99)
    hazard = -math.log(1 - p) / horizon_days
    window = min(window_days, horizon_days)
    return 1 - math.exp(-hazard * (window * math.exp(effect) + horizon_days - window))
