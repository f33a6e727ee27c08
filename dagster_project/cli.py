"""Command line for the main job: `python -m dagster_project.cli {demo,ibm,run,check-segments}`.

- demo: generate the bundled demo group (deterministic; skipped when already there) and run
  the whole chain as of the demo's last day.
- ibm:  map the public IBM accounts-receivable sample and run the chain as of 2013-06-30 in
  its own data folder (data/ibm), so it never mixes with the demo group.
- run:  run the chain on whatever is in the landing folder, with the settings from the
  environment (what the daily schedule does).
- check-segments: validate a segments file (default: the configured one) without running
  anything; one line per problem with the file and the key's path, exit code 1 if any.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path

from dagster_project.settings import REPO_ROOT, get_settings, load_env_file

log = logging.getLogger("credit_stack")

IBM_SAMPLE = REPO_ROOT.parent / "shared" / "samples" / "ar" / "ibm_accounts_receivable.csv"
IBM_AS_OF = "2013-06-30"


def run_main_job() -> None:
    """Execute the main job in this process (DuckDB wants one writer) and fail loudly."""
    from dagster_project.definitions import defs

    started = time.perf_counter()
    result = defs.get_job_def("main_job").execute_in_process(raise_on_error=True)
    settings = get_settings()
    log.info(
        "main job %s in %.1f s; warehouse %s, dashboard copy %s",
        "succeeded" if result.success else "failed",
        time.perf_counter() - started,
        settings.warehouse_path,
        settings.published_path,
    )


def prepare_demo(invoices: int | None, entities: int | None, seed: int) -> None:
    """Generate the demo group once per configuration; its last day becomes the as-of date."""
    from dagster_project.demo.generator import GeneratorConfig, generate_demo_group

    settings = get_settings()
    sizes = {"n_invoices": invoices, "n_entities": entities}
    config = GeneratorConfig(seed=seed, **{k: v for k, v in sizes.items() if v})
    os.environ.setdefault("CM_AS_OF_DATE", config.end_date.isoformat())

    marker = settings.data_dir / "demo" / "generated.json"
    wanted = json.dumps(asdict(config), default=str, sort_keys=True)
    if marker.exists() and marker.read_text() == wanted:
        log.info("demo group already generated with this configuration; not regenerated")
        return
    if marker.exists():
        raise SystemExit(
            f"{settings.landing_dir} holds a demo group generated with another configuration; "
            "run `make clean` first (landing files are never overwritten by the stack)."
        )
    summary = generate_demo_group(settings.landing_dir, settings.truth_dir, config)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(wanted)
    log.info("demo group generated: %s", summary)


def prepare_ibm(csv_path: Path, ibm_data_dir: Path) -> None:
    """Point the settings at data/ibm and map the sample into its landing folder."""
    from dagster_project.connectors.ibm_sample import write_ibm_landing

    # The sample always runs in its own folder, whatever the environment says about the demo.
    os.environ["CM_DATA_DIR"] = str(ibm_data_dir)
    for name in ("CM_WAREHOUSE_PATH", "CM_PUBLISHED_PATH"):
        os.environ.pop(name, None)
    os.environ.setdefault("CM_AS_OF_DATE", IBM_AS_OF)
    os.environ["CM_GROUP_CURRENCY"] = "USD"
    if not csv_path.exists():
        raise SystemExit(f"IBM sample not found at {csv_path}")
    write_ibm_landing(csv_path, get_settings().landing_dir)


def check_segments(path: Path | None) -> int:
    """Validate a segments file and its holidays file; return the exit code."""
    from models_ml.policy import SegmentsConfigError, load_segments

    path = path or get_settings().segments_file
    try:
        config = load_segments(path)
    except SegmentsConfigError as error:
        count = len(error.problems)
        sys.stderr.write(f"{error}\n{path}: {count} problem{'s' if count > 1 else ''}\n")
        return 1
    sys.stdout.write(f"{path}: valid ({len(config.segments)} segments)\n")
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dagster_project.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="generate the demo group and run the main job")
    demo.add_argument("--invoices", type=int, help="approximate number of invoices")
    demo.add_argument("--entities", type=int, help="number of entities")
    demo.add_argument("--seed", type=int, default=42)
    ibm = commands.add_parser("ibm", help="run the main job on the IBM sample (as of 2013-06-30)")
    ibm.add_argument("--csv", type=Path, default=IBM_SAMPLE)
    ibm.add_argument("--data-dir", type=Path, default=REPO_ROOT / "data" / "ibm")
    run = commands.add_parser("run", help="run the main job on the landing folder as it is")
    run.add_argument("--as-of", type=date.fromisoformat, help="as-of date (default: today)")
    check = commands.add_parser("check-segments", help="validate a segments file and stop")
    check.add_argument("path", type=Path, nargs="?", help="default: CM_SEGMENTS_FILE")
    args = parser.parse_args(argv)
    load_env_file()

    if args.command == "check-segments":
        raise SystemExit(check_segments(args.path))

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.command == "demo":
        prepare_demo(args.invoices, args.entities, args.seed)
    elif args.command == "ibm":
        prepare_ibm(args.csv, args.data_dir.resolve())
    elif args.as_of:
        os.environ["CM_AS_OF_DATE"] = args.as_of.isoformat()
    run_main_job()


if __name__ == "__main__":
    main()
