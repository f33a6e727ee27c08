"""Load canonical landing CSV files into the raw schema: set-based, idempotent, lossless.

Each file is read by DuckDB's own CSV reader as text, validated in one SQL statement, and then
either appended to its raw table or written to `raw._quarantine` with the reason. A file whose
content hash is already in `raw._load_ledger` is skipped, so a re-run changes nothing, and each
file is loaded in one transaction, so a crash leaves no half-loaded file.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.contract import RAW_TABLES, Column, TableSpec

log = logging.getLogger(__name__)

METADATA_COLUMNS = (
    "_source_file VARCHAR",
    "_source_row BIGINT",
    "_load_id VARCHAR",
    "_row_hash VARCHAR",
    "_loaded_at TIMESTAMP",
)


@dataclass(frozen=True)
class FileLoad:
    """What happened to one landing file."""

    source_file: str
    table_name: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    skipped: bool = False


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, one table per contract table, and the bookkeeping tables."""
    con.execute("create schema if not exists raw")
    for table in RAW_TABLES:
        columns = [f"{c.name} {c.sql_type}" for c in table.columns] + list(METADATA_COLUMNS)
        con.execute(f"create table if not exists raw.{table.name} ({', '.join(columns)})")
        # A warehouse created before a column joined the contract gets it, empty.
        for column in table.columns:
            con.execute(
                f"alter table raw.{table.name} add column if not exists "
                f"{_quote(column.name)} {column.sql_type}"
            )
    con.execute(
        """
        create table if not exists raw._load_ledger (
            source_file varchar, table_name varchar, content_sha256 varchar, load_id varchar,
            rows_read bigint, rows_loaded bigint, rows_quarantined bigint, loaded_at timestamp
        )
        """
    )
    con.execute(
        """
        create table if not exists raw._quarantine (
            load_id varchar, source_file varchar, table_name varchar, source_row bigint,
            reason varchar, record json, quarantined_at timestamp
        )
        """
    )


def insert_columns(table: TableSpec) -> str:
    """The raw table's columns in contract order, named: a column added later sits last."""
    metadata = [column.split()[0] for column in METADATA_COLUMNS]
    return ", ".join(_quote(name) for name in [*table.column_names, *metadata])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _problem_checks(column: Column) -> list[str]:
    """SQL expressions that give a reason when the text value of a column is invalid."""
    value = f"nullif(trim({_quote(column.name)}), '')"
    label = column.name
    checks = []
    if column.required:
        checks.append(f"case when {value} is null then '{label} is empty' end")
    if column.sql_type != "VARCHAR":
        checks.append(
            f"case when {value} is not null and try_cast({value} as {column.sql_type}) is null "
            f"then '{label} ''' || {value} || ''' is not a valid {column.sql_type}' end"
        )
    if column.sql_type.startswith("DECIMAL"):
        checks.append(
            f"case when try_cast({value} as {column.sql_type}) "
            f"<> try_cast({value} as DECIMAL(38,10)) "
            f"then '{label} ''' || {value} || ''' has more decimals than {column.sql_type}' end"
        )
    if column.allowed:
        allowed = ", ".join(f"'{a}'" for a in column.allowed)
        checks.append(
            f"case when {value} is not null and lower({value}) not in ({allowed}) "
            f"then '{label} ''' || {value} || ''' is not one of {'/'.join(column.allowed)}' end"
        )
    return checks


def _cast(column: Column) -> str:
    value = f"nullif(trim({_quote(column.name)}), '')"
    if column.allowed:
        value = f"lower({value})"
    return f"cast({value} as {column.sql_type}) as {column.name}"


def _read_text_file(con: duckdb.DuckDBPyConnection, path: Path) -> set[str]:
    """Read one CSV as text into temp table `landing_text`, each record with its line number.

    Records DuckDB cannot split into the header's columns land in `landing_rejected` with the
    reader's message. Line numbers assume one line per record (no quoted line breaks).
    """
    for name in ("landing_text", "landing_rejected", "reject_errors_scan", "reject_scans_scan"):
        con.execute(f"drop table if exists {name}")
    con.execute(
        """
        create temp table landing_read as
        select * from read_csv(?, all_varchar = true, header = true, delim = ',',
                               quote = '"', escape = '"', encoding = 'utf-8',
                               strict_mode = true, ignore_errors = true, store_rejects = true,
                               rejects_table = 'reject_errors_scan',
                               rejects_scan = 'reject_scans_scan')
        """,
        [str(path)],
    )
    con.execute(
        """
        create temp table landing_rejected as
        select
            line as source_row,
            'line could not be read: ' || arg_min(error_message, column_idx) as reason,
            to_json(any_value(csv_line)) as record
        from reject_errors_scan
        group by line
        """
    )
    con.execute(
        """
        create temp table landing_text as
        with good_lines as (
            select range as source_row
            from range(2, 2 + (select count(*) from landing_read)
                          + (select count(*) from landing_rejected))
            where range not in (select source_row from landing_rejected)
        ),
        numbered_lines as (
            select source_row, row_number() over (order by source_row) as record_index
            from good_lines
        ),
        numbered_records as (
            select row_number() over (order by rowid) as record_index, * from landing_read
        )
        select numbered_lines.source_row, numbered_records.* exclude (record_index)
        from numbered_records join numbered_lines using (record_index)
        """
    )
    con.execute("drop table landing_read")
    return {row[0] for row in con.execute("describe landing_text").fetchall()}


def _stage_validated(con: duckdb.DuckDBPyConnection, table: TableSpec, missing: list[str]) -> None:
    """Attach a reason to each invalid record, in one statement.

    A record repeated with the same content (a PSP re-delivering an event, perhaps with a later
    received time) is kept: raw holds every delivery and staging keeps one. The same key with
    other content is a conflict and is quarantined.
    """
    for name in missing:
        con.execute(f"alter table landing_text add column {_quote(name)} varchar")
    checks = [check for column in table.columns for check in _problem_checks(column)]
    checks += [f"'column {name} is missing from the file header'" for name in missing]
    key = ", ".join(_quote(k) for k in table.key)
    record = ", ".join(f"{_quote(c)} := {_quote(c)}" for c in table.column_names)
    content = ", ".join(
        f"{_quote(c)} := {_quote(c)}" for c in table.column_names if c not in table.delivery_columns
    )
    con.execute("drop table if exists landing_checked")
    con.execute(
        f"""
        create temp table landing_checked as
        with hashed as (
            select
                *,
                md5(to_json(struct_pack({record}))::varchar) as row_hash,
                md5(to_json(struct_pack({content}))::varchar) as content_hash,
                to_json(struct_pack({record})) as record
            from landing_text
        ),
        keyed as (
            select
                *,
                first_value(source_row) over by_key as first_line,
                first_value(content_hash) over by_key as first_hash
            from hashed
            window by_key as (partition by {key} order by source_row)
        )
        select
            * exclude (first_line, first_hash, content_hash),
            nullif(concat_ws('; ', {", ".join(checks)},
                case when content_hash <> first_hash
                    then 'key also at line ' || first_line || ' with different content' end),
                '') as reason
        from keyed
        """
    )


def load_file(
    con: duckdb.DuckDBPyConnection, table: TableSpec, path: Path, landing_dir: Path
) -> FileLoad:
    """Load one landing file in one transaction, or skip it if its content was loaded before."""
    source_file = path.relative_to(landing_dir).as_posix()
    content_hash = _sha256(path)
    seen = con.execute(
        "select count(*) from raw._load_ledger where content_sha256 = ? and table_name = ?",
        [content_hash, table.name],
    ).fetchone()
    if seen and seen[0]:
        return FileLoad(source_file, table.name, 0, 0, 0, skipped=True)

    load_id = uuid.uuid4().hex
    try:
        return _load_new_file(con, table, path, source_file, content_hash, load_id)
    except duckdb.ProgrammingError as error:
        # The file's content cannot be read (encoding, not CSV, clashing header): quarantine it
        # and go on. Operational failures (out of memory, I/O) propagate and are not recorded in
        # the ledger, so the next run retries the file.
        reason = f"file could not be read: {str(error).splitlines()[0]}"
        log.warning("%s: %s quarantined: %s", table.name, source_file, reason)
        con.execute(
            "insert into raw._quarantine values (?, ?, ?, null, ?, null, current_timestamp)",
            [load_id, source_file, table.name, reason],
        )
        con.execute(
            "insert into raw._load_ledger values (?, ?, ?, ?, 0, 0, 0, current_timestamp)",
            [source_file, table.name, content_hash, load_id],
        )
        return FileLoad(source_file, table.name, 0, 0, 0)


def _load_new_file(
    con: duckdb.DuckDBPyConnection,
    table: TableSpec,
    path: Path,
    source_file: str,
    content_hash: str,
    load_id: str,
) -> FileLoad:
    """Read, validate and append one file in a single transaction."""
    con.execute("begin transaction")
    try:
        header = _read_text_file(con, path)
        missing = [c.name for c in table.columns if c.name not in header and not c.may_be_absent]
        for column in table.columns:
            if column.may_be_absent and column.name not in header:
                con.execute(f"alter table landing_text add column {_quote(column.name)} varchar")
        _stage_validated(con, table, missing)

        columns = ", ".join(_cast(c) for c in table.columns)
        con.execute(
            f"""
            insert into raw.{table.name} ({insert_columns(table)})
            select {columns}, ?, source_row, ?, row_hash, current_timestamp
            from landing_checked where reason is null order by source_row
            """,
            [source_file, load_id],
        )
        con.execute(
            """
            insert into raw._quarantine
            select ?, ?, ?, source_row, reason, record, current_timestamp
            from (
                select source_row, reason, record from landing_checked where reason is not null
                union all
                select source_row, reason, record from landing_rejected
            )
            order by source_row
            """,
            [load_id, source_file, table.name],
        )
        counts = con.execute(
            """
            select
                (select count(*) from landing_checked) + (select count(*) from landing_rejected),
                (select count(*) from landing_checked where reason is null)
            """
        ).fetchone()
        rows_read, rows_loaded = (int(counts[0]), int(counts[1])) if counts else (0, 0)
        if missing and rows_read == 0:
            # No record to carry the reason: note the file itself (source_row null).
            con.execute(
                "insert into raw._quarantine values (?, ?, ?, null, ?, null, current_timestamp)",
                [load_id, source_file, table.name, f"no records, and the header lacks {missing}"],
            )
        con.execute(
            "insert into raw._load_ledger values (?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            [
                source_file,
                table.name,
                content_hash,
                load_id,
                rows_read,
                rows_loaded,
                rows_read - rows_loaded,
            ],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return FileLoad(source_file, table.name, rows_read, rows_loaded, rows_read - rows_loaded)


def load_table(
    con: duckdb.DuckDBPyConnection, table: TableSpec, landing_dir: Path
) -> list[FileLoad]:
    """Load every landing file of one table, in name order; log counts per file."""
    ensure_raw_tables(con)
    loads = []
    for path in sorted(landing_dir.glob(table.landing_glob)):
        result = load_file(con, table, path, landing_dir)
        loads.append(result)
        if result.skipped:
            log.info("%s: %s already loaded, skipped", table.name, result.source_file)
        else:
            log.info(
                "%s: %s read %d, loaded %d, quarantined %d",
                table.name,
                result.source_file,
                result.rows_read,
                result.rows_loaded,
                result.rows_quarantined,
            )
    return loads
