"""Property-based tests of the landing CSV reader under drawn source dialects.

Any bytes, in any dialect a source may configure, load or are quarantined with counts that
reconcile, never a crash. Rows written the way a dialect writes them (delimiter, decimal comma,
thousands separators, BOM or Windows-1252, day-first dates, quoting, line ends) come back with
exactly the drawn amounts, dates and text, on their physical line.
"""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import duckdb
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dagster_project.connectors.dialects import (
    CsvDialect,
    SourceConfigError,
    SourceDialects,
    read_dialects,
)
from dagster_project.connectors.landing import FileLoad, ensure_raw_tables, load_file
from dagster_project.contract import DOCUMENTS

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FOLDER = "erp/NL01"

settings_drawn = st.fixed_dictionaries(
    {},
    optional={
        "delimiter": st.sampled_from([",", ";", "tab"]),
        "decimal_separator": st.sampled_from([".", ","]),
        "thousands_separator": st.sampled_from([".", ",", " ", "'"]),
        "encoding": st.sampled_from(["utf-8", "windows-1252"]),
        "date_format": st.sampled_from(["%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d"]),
    },
)
amounts = st.decimals(
    min_value=Decimal("-9999999999.99"), max_value=Decimal("9999999999.99"), places=2
)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31))
# Text a Windows-1252 source can write, with the characters that need quoting.
text = st.text(alphabet="AZaz09 -/é€ßÄ;,.'\"\t\n", min_size=1, max_size=12).filter(
    lambda value: value.strip() == value
)


def dialect_of(settings: dict[str, str], folder: Path) -> SourceDialects | None:
    """The dialects read from a sources file with these settings; None if the file is refused."""
    path = folder / "sources.yml"
    path.write_text(yaml.safe_dump({"csv": {FOLDER: settings}}), encoding="utf-8")
    try:
        return read_dialects(path)
    except SourceConfigError:
        return None


@cache
def warehouse() -> duckdb.DuckDBPyConnection:
    """One in-memory warehouse for every example: creating the raw tables is the slow part."""
    con = duckdb.connect()
    ensure_raw_tables(con)
    return con


def load(
    folder: Path, content: bytes, dialects: SourceDialects
) -> tuple[FileLoad, duckdb.DuckDBPyConnection]:
    """Load one documents file into an emptied warehouse (a repeated example is not skipped)."""
    landing = folder / "landing"
    path = landing / FOLDER / "documents.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    con = warehouse()
    for table in ("documents", "_load_ledger", "_quarantine"):
        con.execute(f"delete from raw.{table}")
    return load_file(con, DOCUMENTS, path, landing, dialects), con


def written_amount(amount: Decimal, dialect: CsvDialect, trim: bool) -> str:
    """An amount as the source writes it; `trim` drops trailing zero decimals (7,5 and 12)."""
    whole, _, fraction = format(abs(amount), "f").partition(".")
    if dialect.thousands_separator:
        whole = f"{int(whole):,}".replace(",", dialect.thousands_separator)
    if trim:
        fraction = fraction.rstrip("0")
    sign = "-" if amount < 0 else ""
    return sign + whole + (dialect.decimal_separator + fraction if fraction else "")


@FAST
@given(settings=settings_drawn, data=st.binary(max_size=300), with_header=st.booleans())
def test_any_bytes_in_any_dialect_load_or_quarantine_and_reconcile(settings, data, with_header):
    with tempfile.TemporaryDirectory() as folder:
        dialects = dialect_of(settings, Path(folder))
        assume(dialects is not None)
        dialect = dialects.for_file(f"{FOLDER}/documents.csv")
        header = dialect.delimiter.join(DOCUMENTS.column_names[:9]).encode() + b"\n"
        result, con = load(Path(folder), (header if with_header else b"") + data, dialects)

        assert result.rows_read == result.rows_loaded + result.rows_quarantined
        loaded, lines, whole_file = con.execute(
            "select (select count(*) from raw.documents), "
            "count(*) filter (where source_row is not null), "
            "count(*) filter (where source_row is null) from raw._quarantine"
        ).fetchone()
        assert loaded == result.rows_loaded
        # A file quarantined whole has one row without a line standing for all its lines.
        assert lines == result.rows_quarantined or (whole_file == 1 and lines == 0)
        reasons = con.execute("select source_file, reason from raw._quarantine").fetchall()
        assert all(file == f"{FOLDER}/documents.csv" and reason for file, reason in reasons)


rows = st.lists(
    st.fixed_dictionaries(
        {
            "number": text,
            "issued": dates,
            "due": st.none() | dates,
            "amount": amounts,
            "trim": st.booleans(),
        }
    ),
    min_size=1,
    max_size=6,
)


@FAST
@given(
    settings=settings_drawn,
    rows=rows,
    quote_all=st.booleans(),
    line_end=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
)
def test_amounts_dates_and_text_in_a_drawn_dialect_come_back_exactly(
    settings, rows, quote_all, line_end, bom
):
    with tempfile.TemporaryDirectory() as folder:
        dialects = dialect_of(settings, Path(folder))
        assume(dialects is not None)
        dialect = dialects.for_file(f"{FOLDER}/documents.csv")
        day = dialect.date_format or "%Y-%m-%d"
        buffer = io.StringIO()
        writer = csv.writer(
            buffer,
            delimiter=dialect.delimiter,
            lineterminator=line_end,
            quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
        )
        writer.writerow(DOCUMENTS.column_names)
        for index, row in enumerate(rows):
            writer.writerow([
                "NL01", f"D{index}", "invoice", row["number"], "C1", row["issued"].strftime(day),
                row["due"].strftime(day) if row["due"] else "", "EUR",
                written_amount(row["amount"], dialect, row["trim"]), "", "", "",
            ])  # fmt: skip
        content = buffer.getvalue().encode(dialect.codec.removesuffix("-sig"))
        if bom and dialect.is_utf8:
            content = b"\xef\xbb\xbf" + content

        result, con = load(Path(folder), content, dialects)

        assert (result.rows_read, result.rows_quarantined) == (len(rows), 0), con.execute(
            "select reason from raw._quarantine"
        ).fetchall()
        loaded = con.execute(
            "select document_number, issue_date, due_date, amount, _source_row "
            "from raw.documents order by _source_row"
        ).fetchall()
        # A quoted line break makes a record span lines: source_row is its first physical line.
        first_lines = [2]
        for row in rows[:-1]:
            first_lines.append(first_lines[-1] + 1 + row["number"].count("\n"))
        assert loaded == [
            (row["number"], row["issued"], row["due"], row["amount"], line)
            for row, line in zip(rows, first_lines, strict=True)
        ]
