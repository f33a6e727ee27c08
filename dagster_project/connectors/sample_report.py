"""What the loaders make of the public samples, per format, from their ledger and quarantine.

Run `python -m dagster_project.connectors.sample_report [--samples FOLDER]`.

Every in-scope sample (see `samples.py`) is staged in a temporary landing folder and loaded into
an in-memory DuckDB by the ingest asset's loaders. The tables printed (Markdown) come from the
loader's own bookkeeping: per format the files read and the files rejected whole, the rows
read, loaded and quarantined (also per raw table), and every reason with its count, plus the
loaded rows that a bank format flags (statements that do not tie out, references whose check
digit fails). Quoted values in reasons are masked: they may be personal data.

Before printing, every load is reconciled: rows read = loaded + quarantined in the ledger, the
raw table holds exactly the rows loaded and the quarantine exactly the rows quarantined; a load
that does not reconcile stops the report with its file named.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import duckdb

from dagster_project.connectors.landing import unreconciled_files
from dagster_project.connectors.samples import SAMPLES_DIR, load_landing, stage_samples
from dagster_project.contract import RAW_TABLES

FORMATS = ("CAMT", "MT940/MT942", "Buckaroo", "Mollie", "Adyen", "Stripe", "XAF", "UBL", "CSV")

# The format of a landing file follows from its folder and suffix (docs/landing.md).
FORMAT_MACRO = r"""
    create or replace temp macro sample_format(f) as case
        when regexp_matches(f, '\.(csv|parquet)$') then 'CSV'
        when f like 'bank/%' and lower(f) like '%.xml' then 'CAMT'
        when f like 'bank/%' then 'MT940/MT942'
        when f like 'psp/buckaroo/%' then 'Buckaroo'
        when f like 'psp/mollie/%' then 'Mollie'
        when f like 'psp/adyen/%' then 'Adyen'
        when f like 'psp/stripe/%' then 'Stripe'
        when f like 'erp/%/xaf/%' then 'XAF'
        when f like 'erp/%/ubl/%' then 'UBL'
        else 'other'
    end
"""

FILES_SQL = """
    with rejected as (
        select distinct source_file from raw._quarantine where source_row is null
    ),
    files as (
        select
            sample_format(source_file) as format,
            source_file,
            source_file in (select source_file from rejected) as is_rejected,
            sum(rows_read) as rows_read,
            sum(rows_loaded) as rows_loaded,
            sum(rows_quarantined) as rows_quarantined
        from raw._load_ledger
        group by source_file
    )
    select
        format,
        count(*) as files_read,
        count(*) filter (where is_rejected) as files_rejected,
        -- read, but nothing in them is a record of its table (a Mollie settlement object)
        count(*) filter (where not is_rejected and rows_read = 0) as files_without_rows,
        sum(rows_read)::bigint as rows_read,
        sum(rows_loaded)::bigint as rows_loaded,
        sum(rows_quarantined)::bigint as rows_quarantined
    from files
    group by format
    order by list_position($formats, format), format
"""

TABLES_SQL = """
    select
        sample_format(source_file) as format,
        table_name,
        count(*) as files,
        sum(rows_read)::bigint as rows_read,
        sum(rows_loaded)::bigint as rows_loaded,
        sum(rows_quarantined)::bigint as rows_quarantined
    from raw._load_ledger
    group by format, table_name
    order by list_position($formats, format), format, table_name
"""

REASONS_SQL = r"""
    with refused as (
        select
            sample_format(source_file) as format,
            case when source_row is null then 'file rejected' else 'record quarantined' end
                as outcome,
            table_name,
            regexp_replace(regexp_replace(reason, '''[^'']*''', '''…''', 'g'),
                           'line [0-9]+', 'line n', 'g') as reason
        from raw._quarantine
    ),
    flagged as (
        select
            sample_format(_source_file) as format,
            'loaded, flagged' as outcome,
            'bank_statements' as table_name,
            'statement does not tie out (opening + entries <> closing)' as reason
        from raw.bank_statements
        where not is_tied_out
        union all
        select
            sample_format(_source_file),
            'loaded, flagged',
            'bank_transactions',
            'structured reference fails its check digit'
        from raw.bank_transactions
        where not is_reference_valid
    )
    select format, outcome, table_name, reason, count(*) as n
    from (select * from refused union all select * from flagged)
    group by format, outcome, table_name, reason
    order by list_position($formats, format), format, outcome, n desc, reason
"""

FILES_HEADERS = [
    "format", "files read", "files rejected", "files without rows", "rows read", "rows loaded",
    "rows quarantined",
]  # fmt: skip


class ReconcileError(RuntimeError):
    """A load whose counts do not add up; the message names the table and the files."""


def reconcile(con: duckdb.DuckDBPyConnection) -> None:
    """Raise unless every load of every raw table reconciles with the raw and quarantine rows."""
    for table in RAW_TABLES:
        broken = unreconciled_files(con, table.name)
        if broken:
            raise ReconcileError(f"raw.{table.name}: loads that do not reconcile: {broken}")


def markdown(headers: list[str], rows: list[tuple]) -> str:
    """A Markdown table; numbers right-aligned."""
    numeric = [all(isinstance(row[i], int) for row in rows) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---:" if is_number else "---" for is_number in numeric) + "|",
    ]
    lines += ["| " + " | ".join(str(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def report(con: duckdb.DuckDBPyConnection) -> str:
    """The Markdown report of what is loaded in `con` (after reconciling every load)."""
    reconcile(con)
    con.execute(FORMAT_MACRO)
    formats = {"formats": list(FORMATS)}

    files = con.execute(FILES_SQL, formats).fetchall()
    for format_name, *_, read, loaded, quarantined in files:
        if read != loaded + quarantined:
            raise ReconcileError(f"{format_name}: {read} read <> {loaded} + {quarantined}")
    total = tuple(sum(row[i] for row in files) for i in range(1, len(FILES_HEADERS)))
    tables = con.execute(TABLES_SQL, formats).fetchall()
    reasons = con.execute(REASONS_SQL, formats).fetchall()

    return "\n\n".join(
        [
            "## Samples per format",
            markdown(FILES_HEADERS, [*files, ("**total**", *total)]),
            "## Rows per format and raw table",
            markdown(
                ["format", "raw table", "files", "rows read", "rows loaded", "rows quarantined"],
                tables,
            ),
            "## Reasons (quoted values masked)",
            markdown(["format", "outcome", "raw table", "reason", "count"], reasons),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=SAMPLES_DIR, help="the samples folder")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="samples-") as folder:
        landing = Path(folder) / "landing"
        stage_samples(landing, args.samples)
        con = duckdb.connect()
        load_landing(con, landing)
        sys.stdout.write(report(con) + "\n")


if __name__ == "__main__":
    main()
