"""Every in-scope public sample through the real loaders: a second load changes no table."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

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


def test_the_snapshot_sees_a_changed_value(loaded, tmp_path: Path):
    """The checksum can fail: one amount changed, row counts equal, snapshot differs."""
    _, landing, _ = loaded
    [knab] = (landing / "bank").glob("*/knab-*")
    (tmp_path / "bank" / "E1").mkdir(parents=True)
    (tmp_path / "bank" / "E1" / knab.name).write_bytes(knab.read_bytes())
    con = duckdb.connect()
    load_landing(con, tmp_path)
    before = snapshot(con)

    con.execute("update raw.bank_transactions set amount = amount + 0.01")

    after = snapshot(con)
    assert after["bank_transactions"][0] == before["bank_transactions"][0]
    assert after["bank_transactions"] != before["bank_transactions"]
