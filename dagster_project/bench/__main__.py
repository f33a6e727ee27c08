"""`python -m dagster_project.bench [--sizes 100k,1m] [--out data/bench]`: see README.md."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from dagster_project.bench.report import growth, write_report
from dagster_project.bench.run import DEFAULT_OUT, machine, run_size, settings_summary

log = logging.getLogger("credit_stack.bench")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dagster_project.bench", description=__doc__)
    parser.add_argument("--sizes", default="100k,1m", help="comma separated, e.g. 2k,100k,1m,10m")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="one folder per size")
    parser.add_argument("--page-repeat", type=int, default=3, help="warm renders per page")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    out = args.out.resolve()
    report = {"machine": machine(), "settings": settings_summary(), "sizes": []}
    for label in [part.strip() for part in args.sizes.split(",") if part.strip()]:
        log.info("benchmark size %s into %s", label, out / label)
        report["sizes"].append(run_size(label, out, args.page_repeat))
        report["growth"] = growth(report["sizes"])
        json_path, md_path = write_report(report, out)
        log.info("report so far: %s, %s", md_path, json_path)


if __name__ == "__main__":
    main()
