"""The `reminders` schema: the tables the policy writes, and the run id that keys them.

The run id is a function of the as-of date only, so deciding the same date again replaces that
run's rows instead of adding a second copy, until the run is handed over: from then on it is
kept as it was sent.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb

SCHEMA = "reminders"

# reminders.debtor_actions, in column order: one row per debtor with open invoices. `offer` is
# the lead offer (what the message puts first); `offers` all the message makes. amount_due is
# null when the listed invoices are in more than one currency (amount_due_base still adds up).
DEBTOR_ACTION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "VARCHAR NOT NULL"),
    ("as_of_date", "DATE NOT NULL"),
    ("entity_id", "VARCHAR NOT NULL"),
    ("customer_id", "VARCHAR NOT NULL"),
    ("segment", "VARCHAR NOT NULL"),
    ("score_band", "VARCHAR"),
    ("experiment_arm", "VARCHAR NOT NULL"),
    ("action", "VARCHAR NOT NULL"),
    ("step_level", "INTEGER"),
    ("escalation", "VARCHAR"),
    ("template", "VARCHAR"),
    ("channel", "VARCHAR"),
    ("tone", "VARCHAR"),
    ("language", "VARCHAR NOT NULL"),
    ("offer", "VARCHAR"),
    ("offers", "VARCHAR[] NOT NULL"),
    ("document_ids", "VARCHAR[] NOT NULL"),
    ("invoice_count", "INTEGER NOT NULL"),
    ("amount_due", "DECIMAL(18,2)"),
    ("currency", "VARCHAR"),
    ("amount_due_base", "DECIMAL(18,2)"),
    ("max_days_past_due", "INTEGER"),
    ("p_paid_within_horizon", "DOUBLE"),
    ("expected_uplift", "DOUBLE"),
    ("expected_value_base", "DECIMAL(18,2)"),
    ("contact_cost_base", "DECIMAL(18,2)"),
    ("reason_code", "VARCHAR NOT NULL"),
    ("reason_codes", "VARCHAR[] NOT NULL"),
)
# reminders.action_invoices: the invoices each debtor's row lists, for the message and for
# the re-check against payment signals at hand-over.
ACTION_INVOICE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "VARCHAR NOT NULL"),
    ("as_of_date", "DATE NOT NULL"),
    ("entity_id", "VARCHAR NOT NULL"),
    ("customer_id", "VARCHAR NOT NULL"),
    ("document_id", "VARCHAR NOT NULL"),
    ("document_number", "VARCHAR"),
    ("due_date", "DATE"),
    ("currency", "VARCHAR"),
    ("open_amount", "DECIMAL(18,2)"),
    ("open_amount_base", "DECIMAL(18,2)"),
    ("days_past_due", "INTEGER"),
    # what PSPs reported paid at the decision (same currency), and what the run asks for: the
    # open amount less the PSP payments the ERP had not booked yet
    ("psp_paid_amount", "DECIMAL(18,2)"),
    ("amount_due", "DECIMAL(18,2)"),
    ("amount_due_base", "DECIMAL(18,2)"),
)
# reminders.uplift_estimates: the effects each run used, and where they came from.
UPLIFT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "VARCHAR NOT NULL"),
    ("as_of_date", "DATE NOT NULL"),
    ("source", "VARCHAR NOT NULL"),
    ("kind", "VARCHAR NOT NULL"),
    ("value", "VARCHAR NOT NULL"),
    ("log_hazard_ratio", "DOUBLE NOT NULL"),
    ("contacts", "INTEGER"),
)
# reminders.reminder_runs: the rows handed to the sending system (action other than none),
# after the re-check at hand-over; suppressed debtors stay in debtor_actions only.
RUN_COLUMNS = (
    *DEBTOR_ACTION_COLUMNS,
    ("payment_link", "VARCHAR"),
    ("qr_file", "VARCHAR"),
    ("cutoff_at", "TIMESTAMP"),
    ("created_at", "TIMESTAMP NOT NULL"),
)
# reminders.handovers: one row per run handed to the sending system. From then on the run is
# what was sent: deciding or exporting its date again writes nothing (see export.py).
HANDOVER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "VARCHAR NOT NULL"),
    ("as_of_date", "DATE NOT NULL"),
    ("handed_over_at", "TIMESTAMP NOT NULL"),
    ("cutoff_at", "TIMESTAMP NOT NULL"),
    ("actions", "INTEGER NOT NULL"),
    ("suppressed", "INTEGER NOT NULL"),
    ("export_dir", "VARCHAR NOT NULL"),
)
TABLES = {
    "debtor_actions": DEBTOR_ACTION_COLUMNS,
    "action_invoices": ACTION_INVOICE_COLUMNS,
    "uplift_estimates": UPLIFT_COLUMNS,
    "reminder_runs": RUN_COLUMNS,
    "handovers": HANDOVER_COLUMNS,
}
# Tables that hold what was handed over: never dropped to follow a layout change.
KEPT_TABLES = ("reminder_runs", "handovers")


def run_id_for(as_of: date) -> str:
    """The run id of a decision date, e.g. `run-2026-11-30`."""
    return f"run-{as_of.isoformat()}"


def handed_over_at(con: duckdb.DuckDBPyConnection, run_id: str) -> datetime | None:
    """When the run was handed to the sending system, or None while it has not been."""
    row = con.execute(
        f"select max(handed_over_at) from {SCHEMA}.handovers where run_id = ?", [run_id]
    ).fetchone()
    return row[0]


def column_names(columns: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(name for name, _ in columns)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the schema and tables, and bring an older layout up to date.

    Columns added at the end of a table are added in place (older rows get nulls), so the
    runs already handed over and their hold-out records stay. Any other difference drops a
    derived table (a re-run rebuilds it) but stops on a table of handed-over runs.
    """
    con.execute(f"create schema if not exists {SCHEMA}")
    # Only the connection's own database counts: the simulation attaches the demo warehouse
    # beside its in-memory world, and that one's reminders tables are not the world's.
    for table, columns in TABLES.items():
        existing = [
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns "
                "where table_catalog = current_database() "
                "and table_schema = ? and table_name = ? order by ordinal_position",
                [SCHEMA, table],
            ).fetchall()
        ]
        wanted = [name for name, _ in columns]
        if existing and existing == wanted[: len(existing)]:
            for name, sql_type in columns[len(existing) :]:
                nullable = sql_type.replace(" NOT NULL", "")
                con.execute(f"alter table {SCHEMA}.{table} add column {name} {nullable}")
            continue
        if existing and table in KEPT_TABLES:
            raise RuntimeError(
                f"{SCHEMA}.{table} has columns {', '.join(existing)}; the code expects "
                f"{', '.join(wanted)}. It holds handed-over runs, so it is not dropped: "
                "migrate it by hand"
            )
        if existing:
            con.execute(f"drop table {SCHEMA}.{table}")
        definition = ", ".join(f"{name} {sql_type}" for name, sql_type in columns)
        con.execute(f"create table if not exists {SCHEMA}.{table} ({definition})")
