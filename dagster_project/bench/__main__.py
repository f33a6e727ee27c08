"""The benchmark: for each size, generate the demo group into OUT/<size> (emptied first), run
and measure every stage, the aging reference, scoring, the dashboard pages and a daily run,
and write OUT/report.md and OUT/report.json. 100k and 1m take about 8 minutes on two idle
cores, 10m about 45 minutes and 20 GB of disk. See README.md, "Benchmark"."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from dagster_project.bench.report import growth, write_report
from dagster_project.bench.run import (
    DEFAULT_OUT,
    machine,
    parse_size,
    run_size,
    settings_summary,
)

log = logging.getLogger("credit_stack.bench")


def _kept_sizes(out: Path, labels: list[str], machine_name: str) -> list[dict]:
    """Sizes of an earlier report in `out` on this machine that this run does not measure
    again: a run of one size adds to the report instead of wiping the others. Each size
    carries the commit and time it was measured at."""
    path = out / "report.json"
    if not path.is_file():
        return []
    try:
        earlier = json.loads(path.read_text())
    except json.JSONDecodeError:
        log.warning("%s is not JSON; a new report replaces it", path)
        return []
    if earlier.get("machine") != machine_name:
        return []
    return [size for size in earlier.get("sizes", []) if size.get("label") not in labels]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dagster_project.bench", description=__doc__)
    parser.add_argument("--sizes", default="100k,1m", help="comma separated, e.g. 2k,100k,1m,10m")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="one folder per size")
    parser.add_argument("--page-repeat", type=int, default=3, help="warm renders per page")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="drop the sizes an earlier report in --out holds (kept by default)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    labels = list(dict.fromkeys(part.strip() for part in args.sizes.split(",") if part.strip()))
    if not labels:
        parser.error("--sizes: give at least one size, e.g. 2k or 100k,1m")
    for label in labels:
        try:
            parse_size(label)
        except ValueError as error:
            parser.error(str(error))
    if args.page_repeat < 1:
        parser.error("--page-repeat: at least 1 warm render per page")

    out = args.out.resolve()
    report = {"machine": machine(), "settings": settings_summary(), "sizes": []}
    kept = [] if args.fresh else _kept_sizes(out, labels, report["machine"])
    for size in kept:
        log.info(
            "keeping size %s of the earlier report (commit %s); --fresh drops it",
            size["label"],
            size.get("commit", "unknown"),
        )
    measured = []
    for label in labels:
        log.info("benchmark size %s into %s", label, out / label)
        measured.append(run_size(label, out, args.page_repeat))
        report["sizes"] = sorted([*kept, *measured], key=lambda size: size["target_invoices"])
        report["growth"] = growth(report["sizes"])
        json_path, md_path = write_report(report, out)
        log.info("report so far: %s, %s", md_path, json_path)


if __name__ == "__main__":
    main()
