"""Read one landing CSV or Parquet file as text records, each with its physical line number.

The result is two temp tables for the loader's checks: `landing_text` (source_row plus the
contract's columns found in the header, as text, normalised to the canonical format) and
`landing_rejected` (records DuckDB's reader could not split, with its message). A file that
cannot be read at all raises `UnreadableFile`, and the loader quarantines it whole.

Line numbers are physical (header = line 1): blank lines and line breaks inside quoted fields
are counted, because DuckDB's reader numbers records, not lines, and skips blank lines.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import duckdb

from dagster_project.connectors.dialects import CsvDialect
from dagster_project.contract import Column, TableSpec

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
UTF16_ADVICE = "encoding UTF-16 not supported; save as UTF-8 or set encoding in the source config"
# DuckDB renames a repeated header name `x` to `x_1`, `x_2`, ...
REPEATED_NAME = re.compile(r"^(?P<name>.+)_(?P<n>\d+)$")

# Physical lines of the decoded text; a line starts a record unless an odd number of quotes
# came before it (it continues a quoted field). DuckDB numbers the record starts, blank ones
# included, which is `logical_line`; data records are the non-blank starts after the header.
LINES_SQL = """
    create or replace temp table landing_lines as
    with split as (
        select string_split($text, chr(10)) as lines
    ),
    physical as (
        select
            unnest(range(1, len(lines) + 1)) as line_number,
            unnest(lines) as line
        from split
    ),
    quoted as (
        select
            line_number,
            rtrim(line, chr(13)) = '' as is_blank,
            coalesce(sum(length(line) - length(replace(line, '"', ''))) over (
                order by line_number rows between unbounded preceding and 1 preceding
            ), 0) % 2 = 1 as is_continuation
        from physical
    ),
    logical as (
        select line_number, is_blank, row_number() over (order by line_number) as logical_line
        from quoted
        where not is_continuation
    ),
    header as (
        select min(line_number) as header_line from logical where not is_blank
    )
    select logical.line_number, logical.logical_line
    from logical, header
    where not logical.is_blank and logical.line_number > header.header_line
"""


class UnreadableFile(ValueError):
    """A file whose content cannot be read as records; the reason is for the quarantine."""


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def looks_like_utf16(content: bytes) -> bool:
    """A UTF-16 BOM, or the NUL bytes that UTF-16 puts between ASCII letters."""
    head = content[:4096]
    return head.startswith(UTF16_BOMS) or (len(head) >= 4 and head.count(b"\x00") * 4 >= len(head))


def decode(content: bytes, dialect: CsvDialect) -> str:
    """The file's text under its source's encoding, or the reason it cannot be decoded."""
    if dialect.codec != "utf-16" and looks_like_utf16(content):
        raise UnreadableFile(UTF16_ADVICE)
    try:
        return content.decode(dialect.codec)
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            f"not valid {dialect.encoding} at byte {error.start}: set encoding in the source "
            "config (utf-8, windows-1252 or utf-16)"
        ) from None


def count_data_lines(
    con: duckdb.DuckDBPyConnection, path: Path, content: bytes, dialect: CsvDialect
) -> int:
    """Data lines of a file that could not be read, for the ledger: non-blank, after the header.

    For a Parquet file, its row count when its metadata can be read (else 0).
    """
    if path.suffix.lower() == ".parquet":
        try:
            rows = con.execute("select count(*) from read_parquet($path)", {"path": str(path)})
            return int(rows.fetchone()[0])
        except duckdb.Error:
            return 0
    codec = "utf-16" if looks_like_utf16(content) else dialect.codec
    text = content.decode(codec, errors="replace")
    con.execute(LINES_SQL, {"text": text})
    counted = con.execute("select count(*) from landing_lines").fetchone()
    con.execute("drop table landing_lines")
    return int(counted[0]) if counted else 0


def single_line_layout(text: str) -> int | None:
    """The number of lines when each record can only sit on its own line, else None.

    That holds without blank lines (DuckDB skips them) and without a carriage return outside a
    CRLF; whether a quoted field spans lines is told by the record count (see `_read_csv`).
    """
    if not text or text[0] in "\r\n" or "\n\n" in text or "\n\r\n" in text:
        return None
    if text.count("\r") != text.count("\r\n"):
        return None
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def _number_lines(con: duckdb.DuckDBPyConnection, text: str, lines: int | None) -> None:
    """`landing_lines`: each data record's physical line and DuckDB's number for it."""
    if lines is None:
        con.execute(LINES_SQL, {"text": text})
        return
    con.execute(
        """
        create or replace temp table landing_lines as
        select range as line_number, range as logical_line from range(2, $end)
        """,
        {"end": lines + 1},
    )


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, text: str, dialect: CsvDialect) -> int:
    """`landing_read` (records with source_row) and `landing_rejected` from a CSV file.

    Returns the number of records that could not be matched to a line (0 when all could).
    When every record read or rejected sits on a line of its own (the usual export), line n
    holds record n - 1 and the lines need not be split out of the text.
    """
    drop_read(con)
    for name in ("landing_rejected", "reject_errors_scan", "reject_scans_scan"):
        con.execute(f"drop table if exists {name}")
    with tempfile.TemporaryDirectory(prefix="landing-") as folder:
        readable = path
        if not dialect.is_utf8:
            # DuckDB reads UTF-8 only (without extensions): hand it the decoded text.
            readable = Path(folder) / "utf8.csv"
            readable.write_text(text, encoding="utf-8", newline="")
        con.execute(
            """
            create temp table landing_records as
            select * from read_csv($path, all_varchar = true, header = true, delim = $delim,
                                   quote = '"', escape = '"', encoding = 'utf-8',
                                   strict_mode = true, ignore_errors = true, store_rejects = true,
                                   rejects_table = 'reject_errors_scan',
                                   rejects_scan = 'reject_scans_scan')
            """,
            {"path": str(readable), "delim": dialect.delimiter},
        )
    counted = con.execute(
        """
        select
            (select count(*) from landing_records),
            (select coalesce(max(rowid) - min(rowid) + 1, 0) from landing_records),
            (select count(distinct line) from reject_errors_scan),
            (select coalesce(max(line), 0) from reject_errors_scan)
        """
    ).fetchone()
    records, rowid_span, rejected_lines, last_rejected = counted or (0, 0, 0, 0)
    lines = single_line_layout(text)
    # Each record takes at least one line: as many records as data lines means one each.
    if lines is not None and (records + rejected_lines != lines - 1 or last_rejected > lines):
        lines = None
    _number_lines(con, text, lines)
    con.execute(
        """
        create temp table landing_rejected as
        select
            landing_lines.line_number as source_row,
            'line could not be read: ' || arg_min(error_message, column_idx) as reason,
            to_json(any_value(csv_line)) as record
        from reject_errors_scan
        left join landing_lines on reject_errors_scan.line = landing_lines.logical_line
        group by landing_lines.line_number
        """
    )
    if lines is not None and not rejected_lines and rowid_span == records:
        # Row ids run on in file order (from an offset inside a transaction): line = n + 1.
        con.execute(
            """
            create temp view landing_read as
            select rowid - (select min(rowid) from landing_records) + 2 as source_row, *
            from landing_records
            """
        )
    else:
        con.execute(
            """
            create temp table landing_read_rows as
            with good_lines as (
                select line_number, row_number() over (order by line_number) as record_index
                from landing_lines
                where line_number not in (select source_row from landing_rejected)
            ),
            numbered_records as (
                select row_number() over (order by rowid) as record_index, * from landing_records
            )
            select good_lines.line_number as source_row, numbered_records.* exclude (record_index)
            from numbered_records left join good_lines using (record_index)
            """
        )
        con.execute("create temp view landing_read as select * from landing_read_rows")
    unmatched = con.execute(
        """
        select
            (select count(*) from landing_read where source_row is null)
            + (select count(*) from landing_rejected where source_row is null)
        """
    ).fetchone()
    con.execute("drop table landing_lines")
    return int(unmatched[0]) if unmatched else 0


def drop_read(con: duckdb.DuckDBPyConnection) -> None:
    """Drop `landing_read`, a view over the records as read, and the tables behind it."""
    con.execute("drop view if exists landing_read")
    for name in ("landing_records", "landing_read_rows"):
        con.execute(f"drop table if exists {name}")


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path, table: TableSpec) -> None:
    """`landing_read` from a Parquet export; source_row is the 1-based row in the file."""
    types = {
        row[0].lower(): row[1]
        for row in con.execute(
            "describe select * from read_parquet($path)", {"path": str(path)}
        ).fetchall()
    }
    for column in table.columns:
        kind = types.get(column.name, "")
        if column.sql_type.startswith("DECIMAL") and kind in ("FLOAT", "DOUBLE", "REAL"):
            raise UnreadableFile(
                f"column {column.name} is {kind}: money must be DECIMAL or text, a float "
                "has already lost exactness"
            )
    drop_read(con)
    con.execute("drop table if exists landing_rejected")
    con.execute(
        """
        create temp table landing_read_rows as
        select file_row_number + 1 as source_row, columns(* exclude (file_row_number))::varchar
        from read_parquet($path, file_row_number = true)
        """,
        {"path": str(path)},
    )
    con.execute("create temp view landing_read as select * from landing_read_rows")
    con.execute(
        "create temp table landing_rejected (source_row bigint, reason varchar, record json)"
    )


def _header(con: duckdb.DuckDBPyConnection, table: TableSpec) -> dict[str, str]:
    """Contract column -> the file's header name, matched without regard to case."""
    names = [row[0] for row in con.execute("describe landing_read").fetchall()][1:]
    lowered = {name.strip().lower() for name in names}
    found: dict[str, str] = {}
    for name in names:
        key = name.strip().lower()
        repeated = REPEATED_NAME.match(key)
        if repeated and key not in table.column_names and repeated["name"] in lowered:
            key = repeated["name"]
        if key in found:
            raise UnreadableFile(f"the header has column {key} more than once")
        if key in table.column_names:
            found[key] = name
    return found


def _normalised(column: Column, source: str, dialect: CsvDialect) -> str | None:
    """SQL turning the source's text into the canonical format; null when it does not fit."""
    value = f"nullif(trim({quote(source)}), '')"
    if column.sql_type.startswith("DECIMAL") and dialect.has_number_format:
        thousands = re.escape(dialect.thousands_separator or "")
        decimal = re.escape(dialect.decimal_separator)
        grouped = rf"\d{{1,3}}({thousands}\d{{3}})+|" if thousands else ""
        pattern = rf"^[+-]?({grouped}\d+)({decimal}\d+)?$"
        plain = f"replace({value}, '{dialect.thousands_separator or ''}', '')"
        if dialect.thousands_separator == "'":
            plain = f"replace({value}, '''', '')"
        return (
            f"case when regexp_full_match({value}, '{pattern.replace(chr(39), chr(39) * 2)}') "
            f"then replace({plain}, '{dialect.decimal_separator}', '.') end"
        )
    if column.sql_type == "DATE" and dialect.date_format:
        return f"strftime(try_strptime({value}, '{dialect.date_format}'), '%Y-%m-%d')"
    if column.sql_type == "TIMESTAMP" and dialect.timestamp_format:
        return f"strftime(try_strptime({value}, '{dialect.timestamp_format}'), '%Y-%m-%d %H:%M:%S')"
    return None


def format_label(column: Column, dialect: CsvDialect) -> str:
    if column.sql_type == "DATE":
        return f"date format {dialect.date_format}"
    if column.sql_type == "TIMESTAMP":
        return f"timestamp format {dialect.timestamp_format}"
    return dialect.describe_numbers()


def read_landing_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    content: bytes,
    table: TableSpec,
    dialect: CsvDialect,
) -> tuple[set[str], dict[str, str]]:
    """Fill `landing_text` and `landing_rejected` for one file.

    Returns the contract columns found in the header, and the columns that were normalised
    from the source's format (their text as delivered is kept in `_raw_<name>`) with a label
    of that format for the quarantine reasons.
    """
    unmatched = 0
    if path.suffix.lower() == ".parquet":
        _read_parquet(con, path, table)
    else:
        unmatched = _read_csv(con, path, decode(content, dialect), dialect)

    header = _header(con, table)
    if not header:
        delimiter = "tab" if dialect.delimiter == "\t" else repr(dialect.delimiter)
        raise UnreadableFile(
            f"the header has none of the {table.name} columns (read with delimiter {delimiter}: "
            "check the delimiter in the source config)"
        )
    if unmatched:
        raise UnreadableFile("its records could not be matched to lines (unbalanced quotes?)")
    selected = ["source_row"]
    formats: dict[str, str] = {}
    for column in table.columns:
        if column.name not in header:
            continue
        source = header[column.name]
        is_csv = path.suffix.lower() != ".parquet"
        normalised = _normalised(column, source, dialect) if is_csv else None
        if normalised is None:
            selected.append(f"{quote(source)} as {quote(column.name)}")
        else:
            selected.append(f"{normalised} as {quote(column.name)}")
            selected.append(f"{quote(source)} as {quote('_raw_' + column.name)}")
            formats[column.name] = format_label(column, dialect)
    con.execute("drop table if exists landing_text")
    con.execute(f"create temp table landing_text as select {', '.join(selected)} from landing_read")
    drop_read(con)
    return set(header), formats
