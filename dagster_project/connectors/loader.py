"""Load parsed files (bank statements, PSP notifications, ERP XML) into the raw schema.

The same guarantees as the CSV loader in `landing.py`, whose helpers it reuses: a file whose
content hash is in `raw._load_ledger` is skipped; each file loads in one transaction; a file the
parser cannot read is quarantined whole (source_row null) with the parser's message; a record
the parser refused (a bad signature) or that fails the table's checks is quarantined with its
reason, everything else is appended. Records travel as one Arrow table per raw table, cast and
checked in SQL; nothing is inserted row by row.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from dagster_project.connectors.landing import (
    LEDGER_COLUMNS,
    METADATA_COLUMNS,
    FileLoad,
    _sha256,
    append_staged,
    ensure_raw_tables,
)
from dagster_project.connectors.parsed import ParseError, ParseResult
from dagster_project.contract import TableSpec

log = logging.getLogger(__name__)

Parser = Callable[[bytes, str], ParseResult]


def ensure_tables(con: duckdb.DuckDBPyConnection, tables: Sequence[TableSpec]) -> None:
    """Create raw tables not (yet) in the contract, with the loader's metadata columns."""
    ensure_raw_tables(con)
    for table in tables:
        columns = [f"{c.name} {c.sql_type}" for c in table.columns] + list(METADATA_COLUMNS)
        con.execute(f"create table if not exists raw.{table.name} ({', '.join(columns)})")


def as_text(value: object) -> str | None:
    """The landing-CSV text form of a value, so the CSV loader's checks and casts apply."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _json(record: dict[str, object] | None) -> str | None:
    return None if record is None else json.dumps({k: as_text(v) for k, v in record.items()})


def _stage_table(
    con: duckdb.DuckDBPyConnection,
    table: TableSpec,
    result: ParseResult,
    constants: dict[str, str],
) -> None:
    """Temp tables `landing_text` (records as text) and `landing_rejected` for one table."""
    rows = [row for row in result.rows if row.table == table.name]
    columns = {"source_row": pa.array([row.source_row for row in rows], type=pa.int64())}
    for name in table.column_names:
        values = [as_text(row.values.get(name, constants.get(name))) for row in rows]
        columns[name] = pa.array(values, type=pa.string())
    text = pa.table(columns)
    rejected = [item for item in result.rejected if item.table == table.name]
    refused = pa.table(
        {
            "source_row": pa.array([item.source_row for item in rejected], type=pa.int64()),
            "reason": pa.array([item.reason for item in rejected], type=pa.string()),
            "record": pa.array([_json(item.record) for item in rejected], type=pa.string()),
        }
    )
    for name in ("landing_text", "landing_rejected"):
        con.execute(f"drop table if exists {name}")
    con.register("parsed_text", text)
    con.register("parsed_refused", refused)
    con.execute("create temp table landing_text as select * from parsed_text")
    con.execute(
        "create temp table landing_rejected as "
        "select source_row, reason, record::json as record from parsed_refused"
    )
    con.unregister("parsed_text")
    con.unregister("parsed_refused")


def _append(
    con: duckdb.DuckDBPyConnection, table: TableSpec, source_file: str, load_id: str
) -> tuple[int, int]:
    """Validate the staged records, append the good ones, quarantine the rest."""
    return append_staged(con, table, [], None, source_file, load_id)


def _quarantine_file(
    con: duckdb.DuckDBPyConnection,
    tables: Sequence[TableSpec],
    source_file: str,
    content_hash: str,
    load_id: str,
    reason: str,
) -> list[FileLoad]:
    log.warning("%s quarantined: %s", source_file, reason)
    con.execute(
        "insert into raw._quarantine values (?, ?, ?, null, ?, null, current_timestamp)",
        [load_id, source_file, tables[0].name, reason],
    )
    for table in tables:
        con.execute(
            f"insert into raw._load_ledger {LEDGER_COLUMNS} "
            "values (?, ?, ?, ?, 0, 0, 0, current_timestamp, null)",
            [source_file, table.name, content_hash, load_id],
        )
    return [FileLoad(source_file, table.name, 0, 0, 0) for table in tables]


def load_parsed_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    landing_dir: Path,
    parse: Parser,
    tables: Sequence[TableSpec],
    constants: dict[str, str] | None = None,
) -> list[FileLoad]:
    """Parse one landing file and load it into its raw tables in one transaction.

    `constants` fills columns the file itself does not carry (the entity, from the folder).
    Returns one FileLoad per table; all skipped when the file's content was loaded before.
    """
    source_file = path.relative_to(landing_dir).as_posix()
    content_hash = _sha256(path)
    names = [table.name for table in tables]
    seen = con.execute(
        "select count(*) from raw._load_ledger where content_sha256 = ? "
        "and list_contains(?, table_name)",
        [content_hash, names],
    ).fetchone()
    if seen and seen[0]:
        return [FileLoad(source_file, name, 0, 0, 0, skipped=True) for name in names]

    load_id = uuid.uuid4().hex
    con.execute("begin transaction")
    try:
        try:
            result = parse(path.read_bytes(), source_file)
        except ParseError as error:
            loads = _quarantine_file(con, tables, source_file, content_hash, load_id, error.problem)
            con.execute("commit")
            return loads

        for warning in result.warnings:
            log.warning("%s", warning)
        loads = []
        for table in tables:
            _stage_table(con, table, result, constants or {})
            rows_read, rows_loaded = _append(con, table, source_file, load_id)
            con.execute(
                f"insert into raw._load_ledger {LEDGER_COLUMNS} "
                "values (?, ?, ?, ?, ?, ?, ?, current_timestamp, null)",
                [source_file, table.name, content_hash, load_id, rows_read, rows_loaded,
                 rows_read - rows_loaded],
            )  # fmt: skip
            loads.append(FileLoad(source_file, table.name, rows_read, rows_loaded,
                                  rows_read - rows_loaded))  # fmt: skip
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return loads
