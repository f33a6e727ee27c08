"""Hand the reminder run to the sending system: a table and a folder of files per run.

At hand-over the run's invoices are re-checked against payment signals up to the cut-off
(`handover.py`); then reminders.reminder_runs gets every row with an action (remind, phone
task, collection hand-over), stamped with created_at, and `<exports_dir>/reminder_runs/<run_id>/`
gets:
- reminder_run.csv and .jsonl: what to send, with ids, amounts, channel, tone, language,
  offers, payment link, QR image file and reason codes (no names or addresses);
- messages.jsonl: the rendered message per remind or phone-task row, with the recipient's
  address, for the sending system only;
- qr/*.png: the EPC QR codes;
- suppressed.csv: who was held back and why.
The folder is written aside and renamed into place, then the run is recorded in
reminders.handovers. From then on it is what the sending system got: exporting (or deciding)
the same date again writes nothing and says so in the log. Before that, a failed or repeated
export replaces the table rows and the folder as a whole.
"""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from models_ml.policy.handover import recheck_payment_signals
from models_ml.policy.messages import Outbound, build_messages, demo_provider
from models_ml.policy.providers import PaymentProvider
from models_ml.policy.render import Renderer
from models_ml.policy.tables import (
    DEBTOR_ACTION_COLUMNS,
    SCHEMA,
    column_names,
    ensure_tables,
    run_id_for,
)

log = logging.getLogger(__name__)

RUN_FIELDS = (
    "run_id, as_of_date, entity_id, customer_id, segment, score_band, experiment_arm, action, "
    "step_level, escalation, template, channel, tone, language, offer, offers, document_ids, "
    "invoice_count, amount_due, currency, amount_due_base, max_days_past_due, payment_link, "
    "qr_file, reason_code, reason_codes"
)
SUPPRESSED_FIELDS = (
    "run_id, as_of_date, entity_id, customer_id, segment, score_band, experiment_arm, "
    "reason_code, reason_codes, document_ids, invoice_count, amount_due, currency, "
    "amount_due_base"
)
LISTS = ("offers", "document_ids", "reason_codes")
CREATED_AT = "strftime(created_at, '%Y-%m-%dT%H:%M:%SZ') as created_at"


def export_reminder_run(
    con: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    as_of: date,
    *,
    created_at: datetime | None = None,
    cutoff_at: datetime | None = None,
    provider: PaymentProvider | None = None,
    renderer: Renderer | None = None,
) -> Path:
    """Re-check, publish and render the as-of date's run; return the run's folder.

    `created_at` and `cutoff_at` are naive UTC timestamps; both default to now (payment
    signals are re-checked up to the moment of hand-over).
    """
    run_id = run_id_for(as_of)
    run_dir = Path(exports_dir) / "reminder_runs" / run_id
    ensure_tables(con)
    sent = con.execute(
        f"select handed_over_at, export_dir from {SCHEMA}.handovers where run_id = ?", [run_id]
    ).fetchone()
    if sent is not None:
        log.info("%s was handed over at %s to %s; nothing written again", run_id, *sent)
        return Path(sent[1])

    stamp = created_at or datetime.now(UTC).replace(tzinfo=None)
    recheck_payment_signals(con, run_id, cutoff_at or stamp)
    handed_over = _store_run(con, run_id, stamp, cutoff_at or stamp)

    partial = run_dir.with_name(f".{run_id}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    outbound = build_messages(con, run_id, as_of, partial, provider or demo_provider(con), renderer)
    _attach(con, run_id, outbound)
    _write_files(con, run_id, partial)
    if run_dir.exists():
        shutil.rmtree(run_dir)
    partial.rename(run_dir)

    held = con.execute(
        f"select reason_code, count(*) from {SCHEMA}.debtor_actions "
        "where run_id = ? and action = 'none' group by reason_code order by reason_code",
        [run_id],
    ).fetchall()
    suppressed = sum(count for _, count in held)
    con.execute(
        f"insert into {SCHEMA}.handovers values (?, ?, ?, ?, ?, ?, ?)",
        [run_id, as_of, stamp, cutoff_at or stamp, handed_over, suppressed, str(run_dir)],
    )
    log.info(
        "%s: handed over %d actions (%d messages) and %d suppressed debtors (%s) to %s",
        run_id,
        handed_over,
        len(outbound),
        suppressed,
        ", ".join(f"{reason} {count}" for reason, count in held) or "none",
        run_dir,
    )
    return run_dir


def _store_run(
    con: duckdb.DuckDBPyConnection, run_id: str, created_at: datetime, cutoff_at: datetime
) -> int:
    """Replace the run's rows in reminders.reminder_runs; return how many were written."""
    columns = column_names(DEBTOR_ACTION_COLUMNS)
    con.begin()
    try:
        con.execute(f"delete from {SCHEMA}.reminder_runs where run_id = ?", [run_id])
        con.execute(
            f"insert into {SCHEMA}.reminder_runs ({columns}, cutoff_at, created_at) "
            f"select {columns}, ?, ? from {SCHEMA}.debtor_actions "
            "where run_id = ? and action <> 'none'",
            [cutoff_at, created_at, run_id],
        )
        con.commit()
    except Exception:
        con.rollback()
        raise
    return con.execute(
        f"select count(*) from {SCHEMA}.reminder_runs where run_id = ?", [run_id]
    ).fetchone()[0]


def _attach(con: duckdb.DuckDBPyConnection, run_id: str, outbound: list[Outbound]) -> None:
    """Store each row's payment link and QR file in reminders.reminder_runs."""
    con.execute(
        "create or replace temp table run_outbound "
        "(entity_id varchar, customer_id varchar, payment_link varchar, qr_file varchar)"
    )
    for start in range(0, len(outbound), 1000):
        chunk = outbound[start : start + 1000]
        marks = ", ".join("(?, ?, ?, ?)" for _ in chunk)
        values = [
            v
            for row in chunk
            for v in (row.entity_id, row.customer_id, row.payment_link, row.qr_file)
        ]
        con.execute(f"insert into run_outbound values {marks}", values)
    con.execute(
        f"update {SCHEMA}.reminder_runs as runs set payment_link = outbound.payment_link, "
        "qr_file = outbound.qr_file from run_outbound as outbound "
        "where runs.run_id = ? and runs.entity_id = outbound.entity_id "
        "and runs.customer_id = outbound.customer_id",
        [run_id],
    )


def _write_files(con: duckdb.DuckDBPyConnection, run_id: str, folder: Path) -> None:
    """Write the run and the suppressed with DuckDB's COPY, so rows never pass through Python."""
    # run_id comes from run_id_for (a date), so it is safe to put in the SQL text.
    runs = f"from {SCHEMA}.reminder_runs where run_id = '{run_id}' order by entity_id, customer_id"
    held = (
        f"from {SCHEMA}.debtor_actions where run_id = '{run_id}' and action = 'none' "
        "order by entity_id, customer_id"
    )
    joined = ", ".join(f"array_to_string({name}, ';') as {name}" for name in LISTS)
    held_joined = ", ".join(
        f"array_to_string({name}, ';') as {name}" for name in LISTS if name != "offers"
    )
    as_text = "amount_due::varchar as amount_due, amount_due_base::varchar as amount_due_base"
    _copy(
        con,
        f"select * replace ({joined}) from (select {RUN_FIELDS}, {CREATED_AT} {runs})",
        folder / "reminder_run.csv",
    )
    _copy(
        con,
        f"select * replace ({as_text}) from (select {RUN_FIELDS}, {CREATED_AT} {runs})",
        folder / "reminder_run.jsonl",
        "format json",
    )
    _copy(
        con,
        f"select * replace ({held_joined}) from (select {SUPPRESSED_FIELDS} {held})",
        folder / "suppressed.csv",
    )


def _copy(
    con: duckdb.DuckDBPyConnection, query: str, target: Path, options: str = "header true"
) -> None:
    path = str(target).replace("'", "''")
    con.execute(f"copy ({query}) to '{path}' ({options})")
