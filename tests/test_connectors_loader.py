"""Loading parsed files: counts reconcile, re-loads change nothing, failures leave no trace."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from connector_samples import ADYEN_HMAC_KEY, BUCKAROO_SECRET, CAMT, MT940, PSP, sample_files

from dagster_project.connectors import loader
from dagster_project.connectors.bank.mt94x import parse_mt94x
from dagster_project.connectors.sources import BANK, load_source
from dagster_project.connectors.sources import PSP as PSP_SOURCE
from dagster_project.contract import BANK_TABLES

RAW_TABLES = ("bank_statements", "bank_transactions", "psp_events", "_quarantine", "_load_ledger")


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    """A landing folder holding every bank and PSP sample under entity E1."""
    root = tmp_path_factory.mktemp("connectors") / "landing"
    bank = root / "bank" / "E1"
    bank.mkdir(parents=True)
    for path in sample_files(CAMT, ".xml") + sample_files(MT940):
        suffix = path.suffix if path.suffix in (".xml", ".sta", ".txt") else ".sta"
        shutil.copy(path, bank / f"{path.parent.name}-{path.stem}{suffix}")
    for provider in ("buckaroo", "mollie", "adyen", "stripe"):
        folder = root / "psp" / provider / "E1"
        folder.mkdir(parents=True)
        for path in sample_files(PSP / provider, ".json", ".txt"):
            shutil.copy(path, folder / f"{path.parent.name}-{path.name}")
    return root


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {
        name: con.execute(f"select count(*) from raw.{name}").fetchone()[0] for name in RAW_TABLES
    }


def load_all(con, landing):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CM_BUCKAROO_SECRET_KEY", BUCKAROO_SECRET)
        patch.setenv("CM_ADYEN_HMAC_KEY", ADYEN_HMAC_KEY)
        return load_source(con, BANK, landing) + load_source(con, PSP_SOURCE, landing)


@pytest.fixture(scope="module")
def loaded(landing):
    """Every sample loaded once (loading is the slow part: about 80 ms per file and table)."""
    con = duckdb.connect()
    return con, load_all(con, landing)


def test_every_sample_loads_and_counts_reconcile(loaded):
    con, loads = loaded

    for load in loads:
        assert load.rows_read == load.rows_loaded + load.rows_quarantined
    ledger = con.execute(
        "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from raw._load_ledger"
    ).fetchone()
    assert ledger[0] == ledger[1] + ledger[2]
    quarantined_rows = con.execute(
        "select count(*) from raw._quarantine where source_row is not null"
    ).fetchone()[0]
    assert quarantined_rows == ledger[2]

    counts = snapshot(con)
    assert counts["bank_transactions"] == 147  # and the Sparkasse fragment quarantined (no account)
    assert counts["psp_events"] == 23  # 9 Buckaroo, 7 Mollie, 4 Adyen, 3 Stripe
    assert con.execute(
        "select sum(amount) from raw.bank_transactions where statement_format = 'mt942'"
    ).fetchone()[0] == Decimal("0.03")


def test_negative_files_are_quarantined_with_file_and_reason(loaded):
    con, _ = loaded
    reasons = dict(
        con.execute(
            "select source_file, reason from raw._quarantine where source_row is null"
        ).fetchall()
    )
    assert reasons == {"bank/E1/camt053-genkgo-camt053.v2.wrong.xml":
                       "camt.053 message without any Stmt element"}  # fmt: skip

    refused = con.execute(
        "select source_file, reason from raw._quarantine where table_name = 'psp_events' "
        "and source_file like '%buckaroo%'"
    ).fetchall()
    assert refused == [
        ("psp/buckaroo/E1/KentaaNL-buckaruby-push_invalid_signature.txt",
         "Buckaroo signature does not verify"),
    ]  # fmt: skip
    assert (
        con.execute(
            "select count(*) from raw.psp_events where event_id like '41C48B55%:190' "
            "and _source_file like '%invalid%'"
        ).fetchone()[0]
        == 0
    )

    fragment = con.execute(
        "select reason from raw._quarantine where source_file like '%sparkassen%'"
    ).fetchall()
    assert fragment and all("account_id is empty" in row[0] for row in fragment)


def test_reloading_every_sample_changes_nothing(loaded, landing):
    con, _ = loaded
    before = snapshot(con)

    again = load_all(con, landing)

    assert all(load.skipped for load in again)
    assert snapshot(con) == before


def test_a_failure_inside_the_load_leaves_no_half_state(landing, monkeypatch):
    con = duckdb.connect()
    loader.ensure_tables(con, BANK_TABLES)
    path = next((landing / "bank" / "E1").glob("*knab*"))
    calls = {"n": 0}
    real_append = loader._append

    def failing_append(con, table, source_file, load_id):
        calls["n"] += 1
        if calls["n"] == 2:  # after bank_statements went in, before bank_transactions
            raise RuntimeError("disk full")
        return real_append(con, table, source_file, load_id)

    monkeypatch.setattr(loader, "_append", failing_append)
    with pytest.raises(RuntimeError, match="disk full"):
        loader.load_parsed_file(con, path, landing, parse_mt94x, BANK_TABLES, {"entity_id": "E1"})

    assert snapshot(con) == dict.fromkeys(RAW_TABLES, 0) | {"psp_events": 0}


def test_loaded_values_are_exact(loaded):
    con, _ = loaded
    row = con.execute(
        "select amount, entity_id, structured_reference, is_reference_valid, _source_row "
        "from raw.bank_transactions where _source_file like '%knab%'"
    ).fetchone()
    assert row == (Decimal("-10.00000"), "E1", "6767676767676766", True, 6)
