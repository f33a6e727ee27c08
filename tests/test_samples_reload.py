"""Every in-scope public sample through the real loaders: a second load changes no table."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dagster_project.connectors.sample_report import FORMATS as FORMAT_NAMES
from dagster_project.connectors.sample_report import ReconcileError, reconcile, report
from dagster_project.connectors.samples import SAMPLES_DIR, load_landing, stage_samples

pytestmark = pytest.mark.skipif(not SAMPLES_DIR.exists(), reason="samples not present")

# Timestamps of the load itself: the only columns a second load could honestly change.
LOAD_TIMES = ("_loaded_at", "loaded_at", "quarantined_at")
# One landing path pattern (SQL like) per format; each must have loaded rows.
FORMATS = {
    "CAMT": "bank/%.xml",
    "MT940/MT942 (.sta)": "bank/%.sta",
    "MT940 (.txt)": "bank/%.txt",
    "Buckaroo": "psp/buckaroo/%",
    "Mollie": "psp/mollie/%",
    "Adyen": "psp/adyen/%",
    "Stripe": "psp/stripe/%",
    "XAF": "erp/%/xaf/%",
    "UBL": "erp/%/ubl/%",
    "CSV": "erp/ibm/%.csv",
}


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """Row count and a content checksum (load timestamps left out) of every raw table."""
    columns: dict[str, list[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'raw' order by table_name, ordinal_position"
    ).fetchall():
        if column not in LOAD_TIMES:
            columns.setdefault(table, []).append(f'"{column}"')
    return {
        table: con.execute(
            f"select count(*), sum(hash({', '.join(names)})) from raw.{table}"
        ).fetchone()
        for table, names in columns.items()
    }


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """The samples staged and loaded once (about 10 s: one transaction per file and table)."""
    landing = tmp_path_factory.mktemp("samples") / "landing"
    stage_samples(landing)
    con = duckdb.connect()
    loads = load_landing(con, landing)
    return con, landing, loads


def test_every_format_is_staged_and_loaded(loaded):
    con, landing, loads = loaded

    staged = {path.relative_to(landing).as_posix() for path in landing.rglob("*") if path.is_file()}
    in_ledger = {
        row[0] for row in con.execute("select source_file from raw._load_ledger").fetchall()
    }
    assert staged == in_ledger  # no landing file missed by a loader's globs
    assert not any(load.skipped for load in loads)
    for name, pattern in FORMATS.items():
        files, rows = con.execute(
            "select count(distinct source_file), sum(rows_loaded) from raw._load_ledger "
            "where source_file like ?",
            [pattern],
        ).fetchone()
        assert files and rows, f"{name}: no rows loaded"


def test_reloading_every_sample_changes_no_table(loaded):
    con, landing, _ = loaded
    before = snapshot(con)
    assert {"bank_transactions", "psp_events", "documents", "_load_ledger", "_quarantine"} <= set(
        before
    )

    again = load_landing(con, landing)

    assert again and all(load.skipped for load in again)
    assert snapshot(con) == before
    # The ledger names each file once per table it feeds: the second pass added no load.
    repeated = con.execute(
        "select source_file, table_name from raw._load_ledger group by all having count(*) > 1"
    ).fetchall()
    assert repeated == []


def load_one_statement(landing: Path, folder: Path) -> duckdb.DuckDBPyConnection:
    """A fresh warehouse holding only the staged Knab MT940 statement."""
    [knab] = (landing / "bank").glob("*/knab-*")
    (folder / "bank" / "E1").mkdir(parents=True)
    (folder / "bank" / "E1" / knab.name).write_bytes(knab.read_bytes())
    con = duckdb.connect()
    load_landing(con, folder)
    return con


def test_the_snapshot_sees_a_changed_value(loaded, tmp_path: Path):
    """The checksum can fail: one amount changed, row counts equal, snapshot differs."""
    con = load_one_statement(loaded[1], tmp_path)
    before = snapshot(con)

    con.execute("update raw.bank_transactions set amount = amount + 0.01")

    after = snapshot(con)
    assert after["bank_transactions"][0] == before["bank_transactions"][0]
    assert after["bank_transactions"] != before["bank_transactions"]


def first_table(text: str) -> dict[str, list[str]]:
    """The rows of the report's first Markdown table, by their first cell."""
    lines = text.split("\n\n")[1].splitlines()[2:]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return {row[0]: row[1:] for row in rows}


def test_the_sample_report_counts_every_format_and_reconciles(loaded):
    con, _, _ = loaded

    text = report(con)

    table = first_table(text)
    assert list(table) == [*FORMAT_NAMES, "**total**"]
    for name, cells in table.items():
        read, loaded_rows, quarantined = (int(value) for value in cells[-3:])
        assert read == loaded_rows + quarantined, name
    # files read, rejected whole, without rows, rows read, loaded, quarantined
    assert table["CAMT"] == ["22", "1", "0", "48", "48", "0"]  # camt053.v2.wrong.xml
    assert table["Adyen"][-3:] == ["11", "4", "7"]  # only the python-library items verify
    assert table["UBL"][:2] == ["18", "1"]  # the CII file
    assert table["CSV"] == ["4", "0", "0", "5037", "5037", "0"]  # the IBM sample, 4 tables
    assert (
        "| Buckaroo | record quarantined | psp_events | Buckaroo signature does not verify | 1 |"
        in text
    )


def test_the_report_stops_on_a_load_that_does_not_reconcile(loaded, tmp_path: Path):
    con = load_one_statement(loaded[1], tmp_path)
    reconcile(con)

    con.execute("delete from raw.bank_transactions")

    with pytest.raises(ReconcileError, match=r"raw\.bank_transactions: .*knab-"):
        report(con)
