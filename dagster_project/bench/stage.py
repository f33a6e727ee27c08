"""One benchmark stage in its own process, so it can be measured on its own:

    python -m dagster_project.bench.stage <stage> --result result.json [--invoices N ...]

Job stages execute the main job restricted to their assets (as the daily run would, in
process, one writer); `daily` executes the whole job. The time inside the job (without
Python's imports and Dagster's start-up) goes to `result.json` beside the extra figures.
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
    from dagster_project.definitions import defs

    job = defs.get_job_def("main_job")
    started = time.perf_counter()
    job.execute_in_process(asset_selection=keys, raise_on_error=True)
    return {"job_s": time.perf_counter() - started}


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
