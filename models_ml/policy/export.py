"""Hand the reminder run to the sending system: a table and three files per run.

reminders.reminder_runs gets the 'remind' rows of the as-of date's decision, stamped with
created_at; `<exports_dir>/reminder_runs/<run_id>/` gets reminder_run.csv and .jsonl (what to
send) and suppressed.csv (who was held back and why). The files carry ids and figures only:
the sending system looks up names and addresses itself, so no personal data leaves here.
A re-run of the same date replaces the table rows and the folder as a whole.
"""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from models_ml.policy.tables import (
    DEBTOR_ACTION_COLUMNS,
    SCHEMA,
    column_names,
    ensure_tables,
    run_id_for,
)

log = logging.getLogger(__name__)

RUN_FIELDS = (
    "run_id, as_of_date, entity_id, customer_id, segment, score_band, channel, tone, language, "
    "offer, invoice_count, overdue_amount, currency, overdue_amount_base, max_days_past_due, "
    "reason_code"
)
SUPPRESSED_FIELDS = (
    "run_id, as_of_date, entity_id, customer_id, segment, score_band, reason_code, "
    "invoice_count, overdue_amount, currency, overdue_amount_base"
)
CREATED_AT = "strftime(created_at, '%Y-%m-%dT%H:%M:%SZ') as created_at"


def export_reminder_run(
    con: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    as_of: date,
    *,
    created_at: datetime | None = None,
) -> Path:
    """Publish the as-of date's reminders to reminders.reminder_runs and to files.

    `created_at` is a naive UTC timestamp (now by default). Returns the run's folder.
    """
    run_id = run_id_for(as_of)
    stamp = created_at or datetime.now(UTC).replace(tzinfo=None)
    ensure_tables(con)
    reminders = _store_run(con, run_id, stamp)

    run_dir = Path(exports_dir) / "reminder_runs" / run_id
    partial = run_dir.with_name(f".{run_id}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    _write_files(con, run_id, partial)
    if run_dir.exists():
        shutil.rmtree(run_dir)
    partial.rename(run_dir)

    suppressed = con.execute(
        f"select count(*) from {SCHEMA}.debtor_actions where run_id = ? and action = 'none'",
        [run_id],
    ).fetchone()[0]
    log.info(
        "%s: exported %d reminders and %d suppressed debtors to %s",
        run_id,
        reminders,
        suppressed,
        run_dir,
    )
    return run_dir


def _store_run(con: duckdb.DuckDBPyConnection, run_id: str, created_at: datetime) -> int:
    """Replace the run's rows in reminders.reminder_runs; return how many were written."""
    columns = column_names(DEBTOR_ACTION_COLUMNS)
    con.begin()
    try:
        con.execute(f"delete from {SCHEMA}.reminder_runs where run_id = ?", [run_id])
        con.execute(
            f"insert into {SCHEMA}.reminder_runs ({columns}, created_at) "
            f"select {columns}, ? from {SCHEMA}.debtor_actions "
            "where run_id = ? and action = 'remind'",
            [created_at, run_id],
        )
        con.commit()
    except Exception:
        con.rollback()
        raise
    return con.execute(
        f"select count(*) from {SCHEMA}.reminder_runs where run_id = ?", [run_id]
    ).fetchone()[0]


def _write_files(con: duckdb.DuckDBPyConnection, run_id: str, folder: Path) -> None:
    """Write the three files with DuckDB's COPY, so a large run never passes through Python."""
    # run_id comes from run_id_for (a date), so it is safe to put in the SQL text.
    runs = f"from {SCHEMA}.reminder_runs where run_id = '{run_id}' order by entity_id, customer_id"
    actions = (
        f"from {SCHEMA}.debtor_actions where run_id = '{run_id}' and action = 'none' "
        "order by entity_id, customer_id"
    )
    csv_ids = "array_to_string(document_ids, ';') as document_ids"
    _copy(con, f"select {RUN_FIELDS}, {csv_ids}, {CREATED_AT} {runs}", folder / "reminder_run.csv")
    _copy(
        con,
        f"select * replace (overdue_amount::varchar as overdue_amount, "
        f"overdue_amount_base::varchar as overdue_amount_base) from "
        f"(select {RUN_FIELDS}, document_ids, {CREATED_AT} {runs})",
        folder / "reminder_run.jsonl",
        "format json",
    )
    _copy(con, f"select {SUPPRESSED_FIELDS}, {csv_ids} {actions}", folder / "suppressed.csv")


def _copy(
    con: duckdb.DuckDBPyConnection, query: str, target: Path, options: str = "header true"
) -> None:
    path = str(target).replace("'", "''")
    con.execute(f"copy ({query}) to '{path}' ({options})")
