"""One size of the benchmark, stage after stage, each stage in its own measured process."""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import psutil

from dagster_project.bench.delta import write_daily_delivery
from dagster_project.bench.measure import run_measured
from dagster_project.bench.reference import compare, time_product_aging
from dagster_project.bench.report import STAGES, summarise
from dagster_project.demo.config import GeneratorConfig
from dagster_project.settings import REPO_ROOT, get_settings

log = logging.getLogger("credit_stack.bench")

COUNTS_SQL = """
select
    (select count(*) from staging.stg_erp__documents where document_type = 'invoice'),
    (select count(*) from staging.stg_erp__documents),
    (select count(*) from staging.stg_erp__allocations),
    (select count(*) from marts.fct_open_items),
    (select count(*) from ml.invoice_scores where as_of_date = $as_of)
"""


def parse_size(label: str) -> int:
    """'2k' -> 2000, '1m' -> 1000000, '250000' -> 250000."""
    text = label.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if factor > 1 else text
    if not number.isdigit() or int(number) < 1:
        raise ValueError(f"size {label!r}: expected a number of invoices such as 2k, 100k or 1m")
    return int(number) * factor


def entities_for(invoices: int) -> int:
    """Forty companies as in the demo group; fewer for a tiny run, so each has some history."""
    return min(40, max(4, invoices // 2500))


def _stage_env(data_dir: Path, as_of: str) -> dict[str, str]:
    """The stages' environment: this size's folder and date, and the default aging (no
    netting of unapplied credit), which is what the reference query computes."""
    env = {key: value for key, value in os.environ.items() if key not in _RUN_PATHS}
    return {
        **env,
        "CM_DATA_DIR": str(data_dir),
        "CM_AS_OF_DATE": as_of,
        "CM_NET_UNAPPLIED_CREDIT": "false",
    }


_RUN_PATHS = ("CM_WAREHOUSE_PATH", "CM_PUBLISHED_PATH", "CM_AS_OF_DATE", "CM_DATA_DIR")


def _stage(name: str, env: dict[str, str], logs: Path, *extra: str) -> dict[str, Any]:
    result_path = logs / f"{name}.json"
    command = [sys.executable, "-m", "dagster_project.bench.stage", name, "--result"]
    measured = run_measured([*command, str(result_path), *extra], env, logs / f"{name}.log")
    result = json.loads(result_path.read_text())
    log.info("%s: %.1f s, peak %.0f MiB", name, measured.wall_s, measured.peak_rss_mb)
    return {**asdict(measured), **result}


def _with_env(env: dict[str, str]) -> Any:
    """Settings as the stages see them (read from `env`, not from this process)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        return get_settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _counts(warehouse: Path, as_of: str) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(COUNTS_SQL, {"as_of": as_of}).fetchone()
    names = ("invoices", "documents", "allocations", "open_items", "scored")
    return dict(zip(names, (int(value) for value in row), strict=True))


def _scoring_benchmark(open_items: int, env: dict[str, str], logs: Path) -> dict[str, Any]:
    """models_ml.benchmark_scoring at this size's open items; its failure is reported, not
    fatal: the in-job throughput stands on its own."""
    command = [sys.executable, "-m", "models_ml.benchmark_scoring"]
    command += ["--open-invoices", str(max(open_items, 1000))]
    try:
        measured = run_measured(command, env, logs / "scoring_benchmark.log")
    except RuntimeError as error:
        log.error("scoring benchmark failed: %s", error)
        return {"error": str(error).splitlines()[-1], "invoices_per_second": None}
    lines = (logs / "scoring_benchmark.log").read_text().strip().splitlines()
    result = json.loads(next(line for line in reversed(lines) if line.startswith("{")))
    return {**asdict(measured), **result}


def run_size(label: str, out_dir: Path, page_repeat: int) -> dict[str, Any]:
    """Generate, run, check and measure one size in `out_dir/<label>` (emptied first)."""
    invoices, data_dir = parse_size(label), out_dir / label
    entities = entities_for(invoices)
    shutil.rmtree(data_dir, ignore_errors=True)
    logs = data_dir / "bench_logs"
    logs.mkdir(parents=True)
    as_of = GeneratorConfig().end_date
    env = _stage_env(data_dir, as_of.isoformat())
    settings = _with_env(env)
    size: dict[str, Any] = {"label": label, "target_invoices": invoices, "entities": entities}
    size["commit"], size["measured_at"] = commit(), datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    size["load_before"] = [round(value, 2) for value in os.getloadavg()]

    sizing = ("--invoices", str(invoices), "--entities", str(entities))
    stages = {"generation": _stage("generation", env, logs, *sizing)}
    for name in STAGES[1:]:
        stages[name] = _stage(name, env, logs)
    size["stages"] = stages
    size["counts"] = counts = _counts(settings.warehouse_path, as_of.isoformat())
    size["scoring"] = {
        "rows": counts["scored"],
        "per_s": counts["scored"] / stages["scoring"]["job_s"],
    }

    size["aging"] = time_product_aging(settings, {**env, **settings.dbt_env()})
    size["reference"] = compare(settings)
    log.info("%s: reference %s", label, size["reference"])
    size["scoring_benchmark"] = _scoring_benchmark(counts["open_items"], env, logs)
    size["pages"] = _stage("pages", env, logs, "--repeat", str(page_repeat))["pages"]

    delivery = write_daily_delivery(settings.warehouse_path, settings.landing_dir, as_of)
    daily_env = {**env, "CM_AS_OF_DATE": (as_of + timedelta(days=1)).isoformat()}
    size["daily"] = {**_stage("daily", daily_env, logs), "delivery": delivery}

    size["load_after"] = [round(value, 2) for value in os.getloadavg()]
    size["summary"] = summarise(size)
    return size


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def commit() -> str:
    """The checkout's commit (with "+changes" when the tree differs from it), or "unknown"."""
    try:
        head = _git("rev-parse", "--short", "HEAD")
        changed = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}+changes" if changed else head


def machine() -> str:
    memory = psutil.virtual_memory().total / 2**30
    python = platform.python_version()
    return f"{platform.node()}, {os.cpu_count()} cores, {memory:.0f} GiB, Python {python}"


def settings_summary() -> str:
    settings = get_settings()
    return f"DuckDB threads {settings.duckdb_threads}, memory limit {settings.duckdb_memory_limit}"


DEFAULT_OUT = REPO_ROOT / "data" / "bench"
