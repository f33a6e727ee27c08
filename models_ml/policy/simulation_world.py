"""The simulation's world in an in-memory DuckDB: the demo warehouse attached read-only as
`wh`, the generator's truth, the static marts the policy reads, and empty result tables."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb

from models_ml.policy.model import SegmentsConfig

# Each customer's chance to settle within 14 days after due, from its invoices due before the
# simulation: the label of the payment model, smoothed towards the group's rate.
SCORES_SQL = """
create or replace table ml.invoice_scores as
with

history as (
    select
        entity_id,
        customer_id,
        count(*) as invoices,
        count(*) filter (where settled_date <= due_date + 14) as paid_in_time,
    from wh.marts.fct_invoices
    where due_date + 14 < $first_issue
    group by entity_id, customer_id
),

group_rate as (
    select sum(paid_in_time) / sum(invoices) as rate from history
)

select
    invoices.entity_id,
    invoices.customer_id,
    invoices.document_id,
    (coalesce(history.paid_in_time, 0) + 2 * group_rate.rate)
        / (coalesce(history.invoices, 0) + 2) as p_paid_within_horizon,
    $first_issue::date as as_of_date,
    14 as horizon_days,
    'history-proxy' as model_id,
    $first_issue::timestamp as scored_at,
from wh.marts.fct_invoices as invoices
cross join group_rate
left join history
    on invoices.entity_id = history.entity_id and invoices.customer_id = history.customer_id
where invoices.issue_date >= $first_issue
"""


def load_world(
    con: duckdb.DuckDBPyConnection,
    warehouse: Path,
    truth_dir: Path,
    config: SegmentsConfig,
    first_issue: date,
) -> dict:
    """Attach and load everything; return the response model (effects_truth.json)."""
    con.execute(f"attach '{_quoted(warehouse)}' as wh (read_only)")
    truth = json.loads((truth_dir / "effects_truth.json").read_text(encoding="utf-8"))
    for name in ("invoices", "customers"):
        path = _quoted(truth_dir / f"{name}_truth.parquet")
        con.execute(f"create table truth_{name} as select * from read_parquet('{path}')")
    con.execute("create table truth_effects (kind varchar, value varchar, effect double)")
    rows = [
        (kind, value, float(effect))
        for kind in ("channel", "tone", "tone_per_propensity", "offer")
        for value, effect in truth[kind].items()
    ]
    con.executemany("insert into truth_effects values (?, ?, ?)", rows)

    con.execute(
        "create table sim_contacts (arm varchar, entity_id varchar, customer_id varchar, "
        "document_id varchar, due_date date, contact_day integer, channel varchar, "
        "tone varchar, offer varchar, log_ratio double)"
    )
    con.execute(
        "create table sim_messages (arm varchar, day date, entity_id varchar, "
        "customer_id varchar, channel varchar, action varchar)"
    )
    con.execute("create table sim_costs (channel varchar, cost_base double)")
    con.executemany(
        "insert into sim_costs values (?, ?)",
        [(channel, float(cost.cost)) for channel, cost in config.channels.items()],
    )
    _static_marts(con, first_issue)
    return truth


def _static_marts(con: duckdb.DuckDBPyConnection, first_issue: date) -> None:
    """The marts that do not change during the simulation, and the payment history."""
    for schema in ("marts", "ml"):
        con.execute(f"create schema {schema}")
    con.execute("create table marts.dim_customers as select * from wh.marts.dim_customers")
    con.execute("create table marts.dim_entities as select * from wh.marts.dim_entities")
    con.execute(
        "create table marts.fct_payment_signals "
        "(entity_id varchar, document_id varchar, last_status varchar, "
        "paid_amount decimal(18,2), currency varchar)"
    )
    con.execute(
        "create table marts.fct_contacts (entity_id varchar, customer_id varchar, "
        "document_id varchar, sent_date date, reminder_level integer, channel varchar, "
        "tone varchar, offer varchar)"
    )
    con.execute(
        "create table history_invoices as select entity_id, customer_id, document_id, "
        "due_date, settled_date, days_late from wh.marts.fct_invoices "
        "where settled_date < ?",
        [first_issue],
    )
    con.execute(SCORES_SQL, {"first_issue": first_issue})


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
