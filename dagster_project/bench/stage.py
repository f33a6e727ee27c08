"""One benchmark stage in its own process, so it can be measured on its own:

    python -m dagster_project.bench.stage <stage> --result result.json [--invoices N ...]

Job stages execute the main job restricted to their assets (as the daily run would, in
process, one writer); `daily` executes the whole job. The time inside the job (without
Python's imports and Dagster's start-up) goes to `result.json` beside the extra figures, with
each step's time from the run's event log and, for the dbt step, dbt's own timings.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dagster import AssetKey

log = logging.getLogger("credit_stack.bench")


def _stage_keys() -> dict[str, list[AssetKey]]:
    from dagster_project.assets.dbt import warehouse_dbt_assets
    from dagster_project.assets.ingest import raw_tables
    from dagster_project.assets.ml import invoice_scores, payment_model
    from dagster_project.assets.reminders import debtor_actions, published_warehouse, reminder_run

    return {
        "load": list(raw_tables.keys),
        "dbt_build": list(warehouse_dbt_assets.keys),
        "training": [payment_model.key],
        "scoring": [invoice_scores.key],
        "reminder_run": [debtor_actions.key, reminder_run.key],
        "publish": [published_warehouse.key],
    }


JOB_STAGES = ("load", "dbt_build", "training", "scoring", "reminder_run", "publish")


def _execute(keys: list[AssetKey] | None) -> dict[str, Any]:
    """Run the job (or its `keys`); the time inside it, each step's and dbt's own split."""
    from dagster import DagsterInstance

    from dagster_project.definitions import defs

    job = defs.get_job_def("main_job")
    with DagsterInstance.ephemeral() as instance:
        started = time.perf_counter()
        result = job.execute_in_process(
            asset_selection=keys, raise_on_error=True, instance=instance
        )
        job_s = time.perf_counter() - started
        stats = instance.get_run_step_stats(result.run_id)
    steps = sorted(
        (row.start_time, row.step_key, row.end_time - row.start_time)
        for row in stats
        if row.start_time is not None and row.end_time is not None
    )
    return {
        "job_s": job_s,
        "steps": [{"step": key, "s": seconds} for _, key, seconds in steps],
        "dbt": _dbt_timings(result.run_id),
    }


def _dbt_timings(run_id: str) -> dict[str, Any] | None:
    """What dbt's run_results.json says about the dbt step of run `run_id` (dagster-dbt writes
    each invocation to target/<op>-<run id prefix>-<uuid>): the build's elapsed time, the
    summed execution times per kind of node, and the slowest models."""
    from dagster_project.settings import DBT_PROJECT_DIR

    found = sorted((DBT_PROJECT_DIR / "target").glob(f"*-{run_id[:7]}-*/run_results.json"))
    if not found:
        return None
    run_results = json.loads(found[-1].read_text())
    by_kind: dict[str, float] = {}
    models = []
    for row in run_results["results"]:
        kind = row["unique_id"].split(".")[0]
        by_kind[kind] = by_kind.get(kind, 0.0) + row["execution_time"]
        if kind == "model":
            models.append((row["execution_time"], row["unique_id"].split(".")[-1]))
    return {
        "elapsed_s": run_results["elapsed_time"],
        "by_kind_s": by_kind,
        "slowest_models": [{"model": name, "s": s} for s, name in sorted(models)[::-1][:12]],
    }


def _generate(args: argparse.Namespace) -> dict[str, Any]:
    from dagster_project.cli import prepare_demo

    started = time.perf_counter()
    prepare_demo(args.invoices, args.entities, args.seed)
    return {"job_s": time.perf_counter() - started}


def _pages(args: argparse.Namespace) -> dict[str, Any]:
    from dashboards.bench import measure

    started = time.perf_counter()
    pages = measure(args.user, args.repeat)
    return {
        "job_s": time.perf_counter() - started,
        "pages": [{"page": page, "first_s": first, "warm_s": warm} for page, first, warm in pages],
    }


def _job_stage(name: str) -> Callable[[argparse.Namespace], dict[str, Any]]:
    return lambda _args: _execute(_stage_keys()[name])


STAGES: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "generation": _generate,
    **{name: _job_stage(name) for name in JOB_STAGES},
    "daily": lambda _args: _execute(None),
    "pages": _pages,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dagster_project.bench.stage")
    parser.add_argument("stage", choices=sorted(STAGES))
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--invoices", type=int)
    parser.add_argument("--entities", type=int)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--user", default="cfo")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    result = STAGES[args.stage](args)
    args.result.write_text(json.dumps(result))
    log.info("stage %s: %s", args.stage, result)


if __name__ == "__main__":
    main()
