"""The whole chain through Dagster: a tiny generated group and the IBM sample.

Figures are checked against computations made here, independently of the stack: the open
balance at the as-of date straight from the landing CSVs (or the IBM file) in plain Python.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.settings import REPO_ROOT

pytestmark = pytest.mark.e2e

IBM_CSV = REPO_ROOT.parent / "shared" / "samples" / "ar" / "ibm_accounts_receivable.csv"
MARTS = (
    "dim_entities",
    "dim_customers",
    "fct_open_items",
    "fct_invoices",
    "customer_balances",
    "customer_aging",
    "entity_aging",
    "group_aging",
    "entity_dso_monthly",
    "group_dso_monthly",
)
SIGN = {"invoice": 1, "debit_note": 1, "credit_note": -1, "write_off": -1}


def _run_cli(args: list[str], env: dict[str, str]) -> None:
    """Run the command line a user runs, in a subprocess with its own environment."""
    subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", *args],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        timeout=900,
    )


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("CM_")}
    env.update({"CM_DATA_DIR": str(tmp), "DAGSTER_HOME": str(tmp / "dagster_home"), **extra})
    (tmp / "dagster_home").mkdir(parents=True, exist_ok=True)
    return env


def _read_csvs(pattern: str, landing: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted(landing.glob(pattern)):
        with path.open(newline="", encoding="utf-8") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


def _ledger_balance(landing: Path, as_of: date) -> dict[str, Decimal]:
    """Receivable per entity in document currency: signed documents minus allocations."""
    balance: dict[str, Decimal] = {}
    for doc in _read_csvs("erp/*/documents*.csv", landing):
        if date.fromisoformat(doc["issue_date"]) <= as_of:
            amount = Decimal(doc["amount"]) * SIGN[doc["document_type"]]
            balance[doc["entity_id"]] = balance.get(doc["entity_id"], Decimal(0)) + amount
    for alloc in _read_csvs("erp/*/allocations*.csv", landing):
        if date.fromisoformat(alloc["booked_date"]) <= as_of:
            entity = alloc["entity_id"]
            balance[entity] = balance.get(entity, Decimal(0)) - Decimal(alloc["amount"])
    return balance


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, date]]:
    tmp = tmp_path_factory.mktemp("demo")
    env = _env(tmp)
    _run_cli(["demo", "--invoices", "3000", "--entities", "6"], env)
    config = json.loads((tmp / "demo" / "generated.json").read_text())
    yield tmp, date.fromisoformat(config["end_date"])


def test_demo_marts_scores_and_run_are_filled(demo_run: tuple[Path, date]) -> None:
    tmp, as_of = demo_run
    with duckdb.connect(str(tmp / "warehouse" / "published.duckdb"), read_only=True) as con:
        for mart in MARTS:
            count = con.execute(f"select count(*) from marts.{mart}").fetchone()[0]
            assert count > 0, f"marts.{mart} is empty"
        open_invoices = con.execute(
            """
            select count(*) from marts.fct_open_items
            where item_type in ('invoice', 'debit_note') and open_amount > 0
            """
        ).fetchone()[0]
        scored = con.execute(
            "select count(*), min(p_paid_within_horizon), max(p_paid_within_horizon) "
            "from ml.invoice_scores where as_of_date = ?",
            [as_of],
        ).fetchone()
        reminders = con.execute("select count(*) from reminders.reminder_runs").fetchone()[0]
        actions = con.execute("select count(*) from reminders.debtor_actions").fetchone()[0]

    assert scored[0] == open_invoices > 0
    assert 0.0 <= scored[1] <= scored[2] <= 1.0
    assert actions > 0
    assert reminders > 0
    exports = list((tmp / "exports" / "reminder_runs").glob("*/reminder_run.csv"))
    assert exports, "no reminder-run export written"


def test_demo_open_balance_matches_landing_files(demo_run: tuple[Path, date]) -> None:
    tmp, as_of = demo_run
    expected = _ledger_balance(tmp / "landing", as_of)
    with duckdb.connect(str(tmp / "warehouse" / "published.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select entity_id, sum(open_amount) from marts.fct_open_items group by entity_id"
        ).fetchall()
    actual = {entity: Decimal(str(total)) for entity, total in rows}
    assert actual == {k: v for k, v in expected.items() if v != 0}


def test_rerun_changes_nothing(demo_run: tuple[Path, date]) -> None:
    tmp, _ = demo_run
    published = tmp / "warehouse" / "published.duckdb"

    def snapshot() -> dict[str, object]:
        with duckdb.connect(str(published), read_only=True) as con:
            raw = con.execute(
                "select table_name, estimated_size from duckdb_tables() where schema_name = 'raw'"
            ).fetchall()
            counts = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t, _ in raw}
            aging = con.execute("select * from marts.group_aging order by bucket_order").fetchall()
        return {"raw": counts, "aging": aging}

    before = snapshot()
    _run_cli(["demo", "--invoices", "3000", "--entities", "6"], _env(tmp))
    assert snapshot() == before


def test_ibm_open_balance_matches_the_file(tmp_path: Path) -> None:
    as_of = date(2013, 6, 30)
    expected = Decimal(0)
    with IBM_CSV.open(newline="") as handle:
        for row in csv.DictReader(handle):
            month, day, year = (int(part) for part in row["InvoiceDate"].split("/"))
            issued = date(year, month, day)
            month, day, year = (int(part) for part in row["SettledDate"].split("/"))
            settled = date(year, month, day)
            if issued <= as_of < settled:
                expected += Decimal(row["InvoiceAmount"])
    assert expected > 0

    _run_cli(["ibm", "--data-dir", str(tmp_path)], _env(tmp_path))
    with duckdb.connect(str(tmp_path / "warehouse" / "published.duckdb"), read_only=True) as con:
        total = con.execute("select sum(open_amount) from marts.fct_open_items").fetchone()[0]
        buckets = con.execute("select sum(open_amount_base) from marts.group_aging").fetchone()[0]
        scored = con.execute("select count(*) from ml.invoice_scores").fetchone()[0]
    assert Decimal(str(total)) == expected
    assert Decimal(str(buckets)) == expected
    assert scored > 0


def test_definitions_load_for_dagster_dev() -> None:
    """`dagster dev` loads the same module; validating it proves the lineage loads."""
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            "definitions",
            "validate",
            "-m",
            "dagster_project.definitions",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
