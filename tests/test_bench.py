"""`make bench` at a tiny size: every stage measured, the reference equal to the marts.

The benchmark runs once (2k invoices, four entities) in a temporary folder; the tests read its
report. No figure is asserted against a time: the machine is shared, only presence and
equality are checked. A tampered copy of the warehouse shows the reference comparison can fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dagster_project.bench.__main__ import _kept_sizes
from dagster_project.bench.reference import compare, time_product_aging
from dagster_project.bench.report import STAGES, TARGETS, growth
from dagster_project.bench.run import parse_size
from dagster_project.demo.config import GeneratorConfig
from dagster_project.settings import REPO_ROOT, get_settings
from dashboards.bench import PAGES

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench")
    command = [sys.executable, "-m", "dagster_project.bench", "--sizes", "2k", "--out", str(out)]
    subprocess.run([*command, "--page-repeat", "1"], cwd=REPO_ROOT, check=True)
    return out, json.loads((out / "report.json").read_text())


def test_report_has_every_stage_measured(bench_run: tuple[Path, dict[str, Any]]) -> None:
    out, report = bench_run
    (size,) = report["sizes"]

    assert size["label"] == "2k"
    assert set(size["stages"]) == set(STAGES)
    for stage in [*size["stages"].values(), size["daily"]]:
        assert stage["wall_s"] > 0
        assert 0 < stage["job_s"] <= stage["wall_s"]
        assert stage["peak_rss_mb"] > 0
    assert [page["page"] for page in size["pages"]] == list(PAGES)
    assert size["counts"]["invoices"] > 1000
    assert size["scoring"]["rows"] == size["counts"]["scored"] > 0
    assert set(size["summary"]["figures"]) == set(TARGETS)

    steps = {row["step"]: row["s"] for row in size["daily"]["steps"]}
    assert {"raw_tables", "warehouse_dbt_assets", "payment_model", "invoice_scores"} <= set(steps)
    assert 0 < sum(steps.values()) <= size["daily"]["job_s"]
    assert size["daily"]["dbt"]["elapsed_s"] < steps["warehouse_dbt_assets"]
    assert size["daily"]["dbt"]["slowest_models"]

    markdown = (out / "report.md").read_text()
    for name in [*STAGES, "daily run", "Daily run, by step", *PAGES, *TARGETS]:
        assert name in markdown


def test_daily_delivery_is_loaded(bench_run: tuple[Path, dict[str, Any]]) -> None:
    out, report = bench_run
    (size,) = report["sizes"]
    delivery = size["daily"]["delivery"]
    warehouse = out / "2k" / "warehouse" / "warehouse.duckdb"

    with duckdb.connect(str(warehouse), read_only=True) as con:
        new_documents = con.execute(
            "select count(*) from raw.documents where _source_file like '%erp/bench/%'"
        ).fetchone()[0]
        new_payments = con.execute(
            "select count(*) from raw.allocations where _source_file like '%erp/bench/%'"
        ).fetchone()[0]
    assert delivery["documents"] == new_documents > 0
    assert delivery["allocations"] == new_payments > 0


def test_daily_run_keeps_the_model_trained_the_day_before(
    bench_run: tuple[Path, dict[str, Any]],
) -> None:
    """CM_RETRAIN_DAYS defaults to a week: the daily run scores with the training stage's model."""
    out, _ = bench_run
    assert len(list((out / "2k" / "models").glob("*/model.joblib"))) == 1


def test_reference_equals_marts(bench_run: tuple[Path, dict[str, Any]]) -> None:
    _, report = bench_run
    reference = report["sizes"][0]["reference"]
    assert reference["equal"]
    assert reference["item_differences"] == reference["bucket_differences"] == 0
    assert reference["open_items"] == report["sizes"][0]["counts"]["open_items"]


def test_reference_finds_a_difference(
    bench_run: tuple[Path, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A payment the marts have not seen (raw changed, dbt not re-run) must show up."""
    out, _ = bench_run
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(out / "2k" / "warehouse" / "warehouse.duckdb", copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            """
            insert into raw.allocations by name
            select entity_id, 'TAMPER-1' as allocation_id, customer_id, item_id as document_id,
                1.00 as amount, currency, as_of_date as booked_date, 'erp' as source,
                'tamper' as _source_file, 1 as _source_row, 'tamper' as _load_id,
                'tamper' as _row_hash, now()::timestamp as _loaded_at
            from marts.fct_open_items
            where item_type = 'invoice' and open_amount > 1
            limit 1
            """
        )
    monkeypatch.setenv("CM_WAREHOUSE_PATH", str(copy))
    daily = GeneratorConfig().end_date + timedelta(days=1)
    monkeypatch.setenv("CM_AS_OF_DATE", daily.isoformat())

    result = compare(get_settings())

    assert not result["equal"]
    assert result["item_differences"] == 1


# A plan for an invoice overdue for over 45 days with the first instalment paid and the second
# in part (so the item is dated by its second instalment, 20 days late, and its third is not
# due yet: the parts fall into different buckets), and
# a plan that does not add up to its invoice (ignored by both: aged by the invoice's date).
_PLANS_SQL = """
create temp table chosen as
select entity_id, item_id, customer_id, currency, amount, due_date,
    row_number() over (order by days_past_due desc, entity_id, item_id) as pick
from marts.fct_open_items
where item_type = 'invoice' and not has_instalment_plan and open_amount = amount
    and amount > 100 and days_past_due between 46 and 400
qualify pick <= 2;

insert into raw.instalments by name
select entity_id, item_id as document_id, part as instalment_number,
    case part when 1 then due_date when 2 then date '{as_of}' - 20 else date '{as_of}' + 10
        end as due_date,
    case when part < 3 then round(amount / 3, 2) else amount - 2 * round(amount / 3, 2) end
        + case when pick = 2 and part = 3 then 1 else 0 end as amount,
    currency, 'plans' as _source_file, part as _source_row, 'plans' as _load_id,
    'plans' as _row_hash, now()::timestamp as _loaded_at
from chosen, range(1, 4) as parts(part);

insert into raw.allocations by name
select entity_id, 'PLAN-PAY-1' as allocation_id, customer_id, item_id as document_id,
    round(amount / 3, 2) + 0.01 as amount, currency, date '{as_of}' - 1 as booked_date,
    'erp' as source, 'plans' as _source_file, 1 as _source_row, 'plans' as _load_id,
    'plans' as _row_hash, now()::timestamp as _loaded_at
from chosen where pick = 1;
"""


def test_reference_splits_instalments_like_the_ledger(
    bench_run: tuple[Path, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plans added to raw and the aging rebuilt: the reference still equals the marts."""
    out, _ = bench_run
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(out / "2k" / "warehouse" / "warehouse.duckdb", copy)
    daily = GeneratorConfig().end_date + timedelta(days=1)
    with duckdb.connect(str(copy)) as con:
        con.execute(_PLANS_SQL.format(as_of=daily.isoformat()))
        chosen = con.execute("select entity_id, item_id, due_date from chosen order by pick")
        (paid, paid_due), (broken, broken_due) = [(row[:2], row[2]) for row in chosen.fetchall()]
    monkeypatch.setenv("CM_WAREHOUSE_PATH", str(copy))
    monkeypatch.setenv("CM_AS_OF_DATE", daily.isoformat())
    settings = get_settings()
    time_product_aging(settings, {**os.environ, **settings.dbt_env()})

    result = compare(settings)

    with duckdb.connect(str(copy), read_only=True) as con:
        dated = (
            "select has_instalment_plan, due_date, open_instalment_count "
            "from marts.fct_open_items where entity_id = ? and item_id = ?"
        )
        assert con.execute(dated, list(paid)).fetchall() == [(True, daily - timedelta(days=20), 2)]
        assert con.execute(dated, list(broken)).fetchall() == [(False, broken_due, None)]
    assert paid_due < daily - timedelta(days=45)
    assert result["open_parts"] > result["open_items"]
    assert result["equal"], result


def test_sizes_and_growth() -> None:
    assert [parse_size(label) for label in ("2k", "100K", "1m", "2500")] == [
        2000,
        100_000,
        1_000_000,
        2500,
    ]
    with pytest.raises(ValueError, match="size 'x1'"):
        parse_size("x1")

    def size(label: str, invoices: int, seconds: float) -> dict[str, Any]:
        stage = {"wall_s": seconds, "peak_rss_mb": 100.0}
        return {
            "label": label,
            "counts": {"invoices": invoices},
            "stages": dict.fromkeys(STAGES, stage),
            "summary": {"figures": {"main_job_s": seconds}},
        }

    (pair,) = growth([size("a", 1000, 2.0), size("b", 10_000, 5.0)])
    assert pair["factors"]["invoices"] == 10
    assert pair["factors"]["load.wall_s"] == 2.5
    assert pair["factors"]["main_job_s"] == 2.5


def test_a_run_of_some_sizes_keeps_the_others_of_the_earlier_report(
    bench_run: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    _, report = bench_run
    (size,) = report["sizes"]
    assert size["commit"] and size["measured_at"].endswith("UTC")
    earlier = {**report, "sizes": [size, {**size, "label": "1m", "target_invoices": 10**6}]}
    (tmp_path / "report.json").write_text(json.dumps(earlier))

    kept = _kept_sizes(tmp_path, ["2k"], report["machine"])

    assert [s["label"] for s in kept] == ["1m"]
    assert _kept_sizes(tmp_path, ["2k"], "another machine") == []
    (tmp_path / "report.json").write_text("{not json")
    assert _kept_sizes(tmp_path, ["2k"], report["machine"]) == []


def test_bad_sizes_are_refused_before_anything_runs(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "dagster_project.bench", "--out", str(tmp_path)]
    for sizes in ("2k,abc", "0", ","):
        done = subprocess.run([*command, "--sizes", sizes], capture_output=True, text=True)
        assert done.returncode == 2, sizes
        assert "size" in done.stderr.splitlines()[-1]
    assert not any(tmp_path.iterdir())
