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

from dagster_project.connectors.csv_reader import (
    UnreadableFile,
    count_data_lines,
    read_landing_file,
)
from dagster_project.connectors.dialects import CsvDialect, SourceDialects, read_dialects
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


LEDGER_COLUMNS = (
    "(source_file, table_name, content_sha256, load_id, rows_read, rows_loaded, "
    "rows_quarantined, loaded_at, dialect)"
)


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
            rows_read bigint, rows_loaded bigint, rows_quarantined bigint, loaded_at timestamp,
            dialect varchar
        )
        """
    )
    # Warehouses from before the dialect column (D45) gain it; their rows keep it null.
    con.execute("alter table raw._load_ledger add column if not exists dialect varchar")
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


def _problem_checks(column: Column, source_format: str | None = None) -> list[str]:
    """SQL expressions that give a reason when the text value of a column is invalid.

    With `source_format`, the column was normalised from a source's own format and its text
    as delivered is in `_raw_<name>`; a value that did not fit that format is null.
    """
    value = f"nullif(trim({_quote(column.name)}), '')"
    delivered = value
    if source_format:
        delivered = f"nullif(trim({_quote('_raw_' + column.name)}), '')"
    label = column.name
    checks = []
    if column.required:
        checks.append(f"case when {delivered} is null then '{label} is empty' end")
    if source_format:
        escaped_format = source_format.replace("'", "''")
        checks.append(
            f"case when {delivered} is not null and {value} is null "
            f"then '{label} ''' || {delivered} || ''' does not match the source format "
            f"({escaped_format})' end"
        )
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


def _stage_validated(
    con: duckdb.DuckDBPyConnection,
    table: TableSpec,
    missing: list[str],
    formats: dict[str, str] | None = None,
) -> None:
    """Attach a reason to each invalid record, in one statement.

    A record repeated with the same content (a PSP re-delivering an event, perhaps with a later
    received time) is kept: raw holds every delivery and staging keeps one. The same key with
    other content is a conflict and is quarantined. `formats` names the columns normalised from
    a source's own format; the record kept for the quarantine holds their text as delivered.
    """
    formats = formats or {}
    for name in missing:
        con.execute(f"alter table landing_text add column {_quote(name)} varchar")
    checks = [
        check
        for column in table.columns
        for check in _problem_checks(column, formats.get(column.name))
    ]
    checks += [f"'column {name} is missing from the file header'" for name in missing]
    key = ", ".join(_quote(k) for k in table.key)
    record = ", ".join(
        f"{_quote(c)} := {_quote('_raw_' + c if c in formats else c)}" for c in table.column_names
    )
    content = ", ".join(
        f"{_quote(c)} := {_quote(c)}" for c in table.column_names if c not in table.delivery_columns
    )
    key_match = " and ".join(
        f"keyed.{_quote(k)} is not distinct from repeated.{_quote(k)}" for k in table.key
    )
    con.execute("drop table if exists landing_checked")
    # Only a key that occurs more than once needs the content compared: grouping finds those
    # few, so the bulk of the records is neither sorted nor hashed twice.
    con.execute(
        f"""
        create temp table landing_checked as
        with repeated as (
            select {key} from landing_text group by all having count(*) > 1
        ),
        repeats as (
            select
                rowid as _row_id,
                source_row,
                {key},
                md5(to_json(struct_pack({content}))::varchar) as content_hash
            from landing_text as keyed
            semi join repeated on {key_match}
        ),
        firsts as (
            select
                _row_id,
                content_hash,
                first_value(source_row) over by_key as first_line,
                first_value(content_hash) over by_key as first_hash
            from repeats
            window by_key as (partition by {key} order by source_row, _row_id)
        ),
        conflicts as (
            select _row_id, first_line from firsts where content_hash <> first_hash
        ),
        recorded as (
            select rowid as _row_id, *, to_json(struct_pack({record})) as record
            from landing_text
        )
        select
            recorded.* exclude (_row_id),
            md5(record::varchar) as row_hash,
            nullif(concat_ws('; ', {", ".join(checks)},
                case when conflicts.first_line is not null
                    then 'key also at line ' || conflicts.first_line
                        || ' with different content' end),
                '') as reason
        from recorded
        left join conflicts using (_row_id)
        """
    )


def load_file(
    con: duckdb.DuckDBPyConnection,
    table: TableSpec,
    path: Path,
    landing_dir: Path,
    dialects: SourceDialects | None = None,
) -> FileLoad:
    """Load one landing file in one transaction, or skip it if its content was loaded before."""
    source_file = path.relative_to(landing_dir).as_posix()
    content_hash = _sha256(path)
    dialect = (dialects or SourceDialects({})).for_file(source_file)
    # Loaded before: skipped. A file of which no row loaded counts as loaded only under the
    # same dialect, so one rejected for a wrong delimiter loads once its source is set (D45).
    seen = con.execute(
        """
        select count(*) from raw._load_ledger
        where content_sha256 = ? and table_name = ?
            and (rows_loaded > 0 or dialect is not distinct from ?)
        """,
        [content_hash, table.name, repr(dialect)],
    ).fetchone()
    if seen and seen[0]:
        return FileLoad(source_file, table.name, 0, 0, 0, skipped=True)

    load_id = uuid.uuid4().hex
    content = path.read_bytes()
    try:
        return _load_new_file(
            con, table, path, content, dialect, source_file, load_id, content_hash
        )
    except (duckdb.ProgrammingError, UnreadableFile) as error:
        # The file's content cannot be read (encoding, not CSV, clashing header): quarantine it
        # and go on. Operational failures (out of memory, I/O) propagate and are not recorded in
        # the ledger, so the next run retries the file.
        reason = f"file could not be read: {str(error).splitlines()[0]}"
        log.warning("%s: %s quarantined: %s", table.name, source_file, reason)
        lines = count_data_lines(con, path, content, dialect)
        con.execute("begin transaction")
        con.execute(
            "insert into raw._quarantine values (?, ?, ?, null, ?, null, current_timestamp)",
            [load_id, source_file, table.name, reason],
        )
        con.execute(
            f"insert into raw._load_ledger {LEDGER_COLUMNS} "
            "values (?, ?, ?, ?, ?, 0, ?, current_timestamp, ?)",
            [source_file, table.name, content_hash, load_id, lines, lines, repr(dialect)],
        )
        con.execute("commit")
        return FileLoad(source_file, table.name, lines, 0, lines)


def append_staged(
    con: duckdb.DuckDBPyConnection,
    table: TableSpec,
    missing: list[str],
    formats: dict[str, str] | None,
    source_file: str,
    load_id: str,
) -> tuple[int, int]:
    """Validate the staged records (`landing_text`, `landing_rejected`), append the good ones
    to the raw table and quarantine the rest with their reasons; (rows read, rows loaded).

    Both loaders use it: the CSV/Parquet one here and the parsed-file one in `loader.py`.
    """
    _stage_validated(con, table, missing, formats)
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
    # Dropped before the commit, which would otherwise store the staged copies as well.
    for name in ("landing_checked", "landing_text", "landing_rejected"):
        con.execute(f"drop table {name}")
    return (int(counts[0]), int(counts[1])) if counts else (0, 0)


def _load_new_file(
    con: duckdb.DuckDBPyConnection,
    table: TableSpec,
    path: Path,
    content: bytes,
    dialect: CsvDialect,
    source_file: str,
    load_id: str,
    content_hash: str,
) -> FileLoad:
    """Read, validate and append one file in a single transaction."""
    con.execute("begin transaction")
    try:
        header, formats = read_landing_file(con, path, content, table, dialect)
        missing = [c.name for c in table.columns if c.name not in header and not c.may_be_absent]
        for column in table.columns:
            if column.may_be_absent and column.name not in header:
                con.execute(f"alter table landing_text add column {_quote(column.name)} varchar")
        rows_read, rows_loaded = append_staged(con, table, missing, formats, source_file, load_id)
        if missing and rows_read == 0:
            # No record to carry the reason: note the file itself (source_row null).
            con.execute(
                "insert into raw._quarantine values (?, ?, ?, null, ?, null, current_timestamp)",
                [load_id, source_file, table.name, f"no records, and the header lacks {missing}"],
            )
        con.execute(
            f"insert into raw._load_ledger {LEDGER_COLUMNS} "
            "values (?, ?, ?, ?, ?, ?, ?, current_timestamp, ?)",
            [
                source_file,
                table.name,
                content_hash,
                load_id,
                rows_read,
                rows_loaded,
                rows_read - rows_loaded,
                repr(dialect),
            ],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return FileLoad(source_file, table.name, rows_read, rows_loaded, rows_read - rows_loaded)


def landing_paths(table: TableSpec, landing_dir: Path) -> list[Path]:
    """The table's landing files: its CSV glob, and the same names as Parquet exports."""
    globs = {table.landing_glob, table.landing_glob.removesuffix(".csv") + ".parquet"}
    return sorted({path for pattern in globs for path in landing_dir.glob(pattern)})


def quarantine_reasons(con: duckdb.DuckDBPyConnection, table_name: str, source_file: str) -> str:
    """The file's quarantine reasons with their counts, quoted values masked (personal data)."""
    rows = con.execute(
        """
        select regexp_replace(reason, $quoted, $mask, 'g') as masked, count(*) as n
        from raw._quarantine
        where table_name = $table and source_file = $file
        group by masked
        order by n desc, masked
        limit 5
        """,
        {"quoted": "'[^']*'", "mask": "'…'", "table": table_name, "file": source_file},
    ).fetchall()
    return "; ".join(f"{reason} ({count})" for reason, count in rows)


def load_table(
    con: duckdb.DuckDBPyConnection,
    table: TableSpec,
    landing_dir: Path,
    dialects: SourceDialects | None = None,
) -> list[FileLoad]:
    """Load every landing file of one table, in name order; log counts per file.

    `dialects` says how each landing folder writes its CSV files; by default they are read
    from the sources file (`CM_SOURCES_FILE`, data/config/sources.yml).
    """
    ensure_raw_tables(con)
    dialects = dialects or read_dialects()
    loads = []
    for path in landing_paths(table, landing_dir):
        result = load_file(con, table, path, landing_dir, dialects)
        loads.append(result)
        if result.skipped:
            log.debug("%s: %s already loaded, skipped", table.name, result.source_file)
            continue
        log.info(
            "%s: %s read %d, loaded %d, quarantined %d",
            table.name,
            result.source_file,
            result.rows_read,
            result.rows_loaded,
            result.rows_quarantined,
        )
        if result.rows_quarantined:
            log.warning(
                "%s: %s quarantined %d of %d rows: %s (rows and reasons in raw._quarantine)",
                table.name,
                result.source_file,
                result.rows_quarantined,
                result.rows_read,
                quarantine_reasons(con, table.name, result.source_file),
            )
    skipped = sum(load.skipped for load in loads)
    if skipped:
        log.info("%s: %d files already loaded, skipped", table.name, skipped)
    return loads


# Per load of one table: the ledger's counts against the rows the raw and quarantine tables
# hold. A file quarantined whole has one quarantine row without a line, standing for all its
# lines.
_UNRECONCILED_SQL = """
    with ledger as (
        select load_id, source_file, rows_read, rows_loaded, rows_quarantined
        from raw._load_ledger where table_name = $table
    ),
    loaded as (
        select _load_id as load_id, count(*) as n from raw.{table} group by all
    ),
    quarantined as (
        select
            load_id,
            count(*) filter (where source_row is not null) as n,
            bool_or(source_row is null) as is_whole_file
        from raw._quarantine
        where table_name = $table
        group by all
    )
    select ledger.source_file
    from ledger
    left join loaded using (load_id)
    left join quarantined using (load_id)
    where ledger.rows_read <> ledger.rows_loaded + ledger.rows_quarantined
       or coalesce(loaded.n, 0) <> ledger.rows_loaded
       or (coalesce(quarantined.n, 0) <> ledger.rows_quarantined
           and not coalesce(quarantined.is_whole_file and quarantined.n = 0, false))
    order by 1
"""


def unreconciled_files(con: duckdb.DuckDBPyConnection, table_name: str) -> list[str]:
    """The table's loaded files whose rows read are not loaded + quarantined, or whose raw and
    quarantine rows differ from the ledger's counts; empty when every load adds up."""
    query = _UNRECONCILED_SQL.format(table=table_name)
    return [row[0] for row in con.execute(query, {"table": table_name}).fetchall()]
