"""The simulation's mechanics on a tiny world with a known answer.

When no contact has any effect, both arms must pay exactly the same invoices on the same days
(they share every random draw), whatever they send; when contacts help, sending them can only
make invoices pay earlier.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from models_ml.policy import load_segments
from models_ml.policy.simulation import report, simulate
from models_ml.policy.tables import ensure_tables

REPO_ROOT = Path(__file__).resolve().parent.parent
END = date(2025, 2, 14)
EFFECTS = {
    "contact_window_days": 10,
    "baseline": {"daily_rates": [0.06, 0.025, 0.11, 0.08, 0.07, 0.07, 0.045]},
    "month_end": {"log_ratio": {"b2b": 0.59, "b2c": 0.18}},
    "channel": {"email": 0.3, "sms": 0.4, "whatsapp": 0.45, "letter": 0.12, "phone": 0.75},
    "tone": {"friendly": 0.05, "neutral": 0.0, "firm": 0.12, "formal": 0.02},
    "tone_per_propensity": {"friendly": 0.06, "neutral": 0.0, "firm": -0.25, "formal": -0.05},
    "offer": {
        "none": 0.0,
        "payment_link": 0.4,
        "epc_qr": 0.2,
        "pay_in_3": 0.25,
        "payment_plan": 0.22,
        "direct_debit": 0.12,
    },
}


def _world(folder: Path, effects: dict) -> tuple[Path, Path]:
    """A warehouse and truth folder: 30 customers with 3 invoices each; 60 fall due on 1 to 3
    February, 30 are issued between 5 and 14 February. Two weeks keep the test fast; the
    30-day collection figure needs a longer window, so it is n/a here."""
    warehouse, truth = folder / "warehouse.duckdb", folder / "truth"
    truth.mkdir()
    con = duckdb.connect(str(warehouse))
    con.execute("create schema marts")
    con.execute(
        "create table marts.dim_customers as select 'E1' as entity_id, 'C' || i as customer_id, "
        "case when i % 3 = 0 then 'b2c' else 'b2b' end as customer_type, 'NL' as country_code, "
        "null::varchar as language, null::varchar as segment, true as has_email, "
        "i % 2 = 0 as has_phone, false as has_address, 'wholesale' as division "
        "from range(30) as t(i)"
    )
    con.execute(
        "create table marts.dim_entities as select 'E1' as entity_id, 'Acme B.V.' as "
        "entity_name, 'wholesale' as division, 'NL' as country_code"
    )
    con.execute(
        "create table marts.fct_invoices as select 'E1' as entity_id, 'C' || (i % 30) as "
        "customer_id, 'D' || i as document_id, issue_date, issue_date + 3 as due_date, "
        "3 as terms_days, 'EUR' as currency, "
        "(100 + i * 10)::decimal(18,2) as amount, (100 + i * 10)::decimal(18,2) as amount_base, "
        "i % 17 = 0 as is_disputed, null::date as settled_date, null::int as days_late "
        "from (select i, case when i < 60 then date '2025-01-29' + (i % 3)::int "
        "else date '2025-02-05' + (i % 10)::int end as issue_date from range(90) as t(i))"
    )
    con.execute(f"create table marts.fct_open_items as select date '{END}' as as_of_date")
    # What a main-job run leaves in the warehouse and the simulated world must not read: its
    # own reminders tables, and arrangements as of the end date (here one in force for all).
    ensure_tables(con)
    con.execute(
        "create table marts.fct_arrangements as select entity_id, customer_id, "
        "'promise_to_pay' as arrangement_type, date '2025-01-01' as valid_from, "
        "null::date as valid_to, null::varchar as document_id from marts.dim_customers"
    )
    con.execute(
        "create table marts.fct_contacts (entity_id varchar, customer_id varchar, "
        "document_id varchar, sent_date date, channel varchar, tone varchar, offer varchar)"
    )
    number = "cast(substr(document_id, 2) as integer)"
    con.execute(
        f"copy (select entity_id, document_id, customer_id, ({number} % 5 - 2) * 0.3 "
        f"as log_hazard_ratio, {number} % 29 = 0 as is_bad_debt, false as is_direct_debit, "
        f"false as direct_debit_returned from marts.fct_invoices) "
        f"to '{truth / 'invoices_truth.parquet'}'"
    )
    con.execute(
        f"copy (select entity_id, customer_id, 0.0 as propensity from marts.dim_customers) "
        f"to '{truth / 'customers_truth.parquet'}'"
    )
    con.close()
    (truth / "effects_truth.json").write_text(json.dumps(effects), encoding="utf-8")
    return warehouse, truth


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    config = load_segments(REPO_ROOT / "data" / "config" / "segments.yml")
    without = {
        **EFFECTS,
        **{key: dict.fromkeys(EFFECTS[key], 0.0) for key in ("channel", "tone", "offer")},
        "tone_per_propensity": dict.fromkeys(EFFECTS["tone"], 0.0),
    }
    runs = {}
    for name, effects, arms in (
        ("no_effect", without, ("one_size", "policy")),
        ("effect", EFFECTS, ("one_size",)),  # the policy arm is the slow one
    ):
        warehouse, truth = _world(tmp_path_factory.mktemp(name), effects)
        runs[name] = simulate(warehouse, truth, config, months=1, warm_up_days=3, arms=arms)
    return runs


def test_contacts_without_effect_change_no_payment(results):
    one_size, policy = results["no_effect"].arms

    assert one_size.messages > 0 and policy.messages > 0
    assert policy.dso_days == one_size.dso_days
    assert policy.paid_by_end_base == one_size.paid_by_end_base
    assert one_size.collected_30d_share is None  # no invoice has had 30 days after due yet


def test_contacts_with_effect_only_bring_payments_forward(results):
    before, after = results["no_effect"].arms[0], results["effect"].arms[0]

    assert after.messages <= before.messages  # paid after the first e-mail: no second one
    assert after.dso_days < before.dso_days
    assert after.paid_by_end_base > before.paid_by_end_base


def test_report_shows_both_arms_and_the_effects(results):
    text = report(results["no_effect"])

    assert "| DSO (days) |" in text and "| messages sent |" in text
    assert "| collected within 30 days after due | n/a | n/a |" in text
    assert "| channel phone |" in text
    assert results["effect"].first_issue == date(2025, 2, 1) - timedelta(3)
    assert results["effect"].invoices == 90
