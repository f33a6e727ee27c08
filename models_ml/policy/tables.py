"""The `reminders` schema: the tables the policy writes, and the run id that keys them.

The run id is a function of the as-of date only, so deciding or exporting the same date again
replaces that run's rows instead of adding a second copy.
"""

from __future__ import annotations

from datetime import date

import duckdb

SCHEMA = "reminders"

# reminders.debtor_actions, in column order. The last three go beyond docs/data_model.md:
# the group-currency total and oldest days past due let a later capacity step rank debtors,
# and the weighted score shows credit managers why a debtor landed in its band.
DEBTOR_ACTION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "VARCHAR NOT NULL"),
    ("as_of_date", "DATE NOT NULL"),
    ("entity_id", "VARCHAR NOT NULL"),
    ("customer_id", "VARCHAR NOT NULL"),
    ("segment", "VARCHAR NOT NULL"),
    ("score_band", "VARCHAR"),
    ("action", "VARCHAR NOT NULL"),
    ("channel", "VARCHAR"),
    ("tone", "VARCHAR"),
    ("language", "VARCHAR NOT NULL"),
    ("offer", "VARCHAR"),
    ("document_ids", "VARCHAR[] NOT NULL"),
    ("invoice_count", "INTEGER NOT NULL"),
    ("overdue_amount", "DECIMAL(18,2)"),
    ("currency", "VARCHAR"),
    ("reason_code", "VARCHAR NOT NULL"),
    ("overdue_amount_base", "DECIMAL(18,2)"),
    ("max_days_past_due", "INTEGER"),
    ("p_paid_within_horizon", "DOUBLE"),
)
RUN_COLUMNS = (*DEBTOR_ACTION_COLUMNS, ("created_at", "TIMESTAMP NOT NULL"))


def run_id_for(as_of: date) -> str:
    """The run id of a decision date, e.g. `run-2026-11-30`."""
    return f"run-{as_of.isoformat()}"


def column_names(columns: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(name for name, _ in columns)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the schema and both tables when they are not there yet."""
    con.execute(f"create schema if not exists {SCHEMA}")
    for table, columns in (
        ("debtor_actions", DEBTOR_ACTION_COLUMNS),
        ("reminder_runs", RUN_COLUMNS),
    ):
        definition = ", ".join(f"{name} {sql_type}" for name, sql_type in columns)
        con.execute(f"create table if not exists {SCHEMA}.{table} ({definition})")
