"""The uplift estimate: contacts against hold-outs, on a history drawn from known effects.

Each invoice is settled by a constant daily hazard that a reminder 7 days after due
multiplies by exp(effect of its channel) for 10 days; 30 % of the debtors are a hold-out and
never get one. The estimate must find the effects back.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from models_ml.policy.uplift import PRIORS, estimate_uplift, paid_within

TRUE_EFFECTS = {"email": 0.3, "sms": 0.45, "phone": 0.8, "letter": 0.1}
BASE_RATE = 0.06
AS_OF = date(2025, 6, 30)


def _history(con: duckdb.DuckDBPyConnection, n_customers: int = 900, per_customer: int = 8):
    rng = np.random.default_rng(7)
    channels = list(TRUE_EFFECTS)
    invoices, contacts = [], []
    for customer in range(n_customers):
        is_holdout = rng.random() < 0.3
        for number in range(per_customer):
            due = date(2024, 1, 1) + timedelta(days=int(rng.integers(0, 420)))
            draw = rng.exponential()
            channel = channels[rng.integers(len(channels))]
            boost = 1.0 if is_holdout else float(np.exp(TRUE_EFFECTS[channel]))
            if draw < BASE_RATE * 7:
                day = draw / BASE_RATE
            elif draw < BASE_RATE * (7 + 10 * boost):
                day = 7 + (draw - BASE_RATE * 7) / (BASE_RATE * boost)
            else:
                day = 17 + (draw - BASE_RATE * (7 + 10 * boost)) / BASE_RATE
            settled = due + timedelta(days=int(np.ceil(day)))
            document = f"D{customer}-{number}"
            invoices.append(("E1", f"C{customer}", document, due, settled, False))
            if not is_holdout and day > 7:
                contacts.append(("E1", f"C{customer}", document, due + timedelta(7), channel))
    # executemany costs a round trip per row: hand DuckDB whole frames instead
    invoice_frame = pd.DataFrame(
        invoices,
        columns=["entity_id", "customer_id", "document_id", "due_date", "settled_date", "dis"],
    ).rename(columns={"dis": "is_disputed"})
    contact_frame = pd.DataFrame(
        contacts, columns=["entity_id", "customer_id", "document_id", "sent_date", "channel"]
    )
    con.execute("create schema marts")
    con.register("invoice_frame", invoice_frame)
    con.register("contact_frame", contact_frame)
    con.execute(
        "create table marts.fct_invoices as select entity_id, customer_id, document_id, "
        "due_date::date as due_date, settled_date::date as settled_date, is_disputed "
        "from invoice_frame"
    )
    con.execute(
        "create table marts.fct_contacts as select entity_id, customer_id, document_id, "
        "sent_date::date as sent_date, channel, 'neutral' as tone, 'none' as offer "
        "from contact_frame"
    )


def test_estimate_finds_the_true_channel_effects():
    con = duckdb.connect()
    _history(con)

    uplift = estimate_uplift(con, AS_OF)

    assert uplift.source == "estimated"
    assert uplift.holdout_exposures > 500
    for channel, effect in TRUE_EFFECTS.items():
        assert uplift.effects["channel"][channel] == pytest.approx(effect, abs=0.12), channel
    ranked = sorted(TRUE_EFFECTS, key=uplift.effects["channel"].get)
    assert ranked == ["letter", "email", "sms", "phone"]


def test_thin_history_falls_back_to_the_priors():
    con = duckdb.connect()
    _history(con, n_customers=20, per_customer=2)

    uplift = estimate_uplift(con, AS_OF)

    assert uplift.source == "prior"
    assert uplift.effects == PRIORS


def test_paid_within_grows_with_the_effect_and_stays_a_probability():
    assert paid_within(0.3, 0.0, 14, 10) == pytest.approx(0.3)
    assert paid_within(0.3, 0.5, 14, 10) > paid_within(0.3, 0.2, 14, 10) > 0.3
    assert paid_within(0.999, 2.0, 14, 10) <= 1.0
