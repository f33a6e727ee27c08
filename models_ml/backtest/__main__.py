"""Command line for the backtests.

- `python -m models_ml.backtest ibm [--csv PATH] [--out DIR]`: the IBM sample's backtest.
- `python -m models_ml.backtest demo [--out DIR]`: the demo group against the generator's
  truth, on the warehouse and truth folder of the settings (CM_DATA_DIR); run the demo first.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import duckdb

from dagster_project.settings import REPO_ROOT, get_settings
from models_ml.backtest import demo, ibm
from models_ml.backtest.report import write_demo_report, write_report

log = logging.getLogger("models_ml.backtest")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m models_ml.backtest", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    sample = commands.add_parser("ibm", help="backtest on the IBM accounts-receivable sample")
    sample.add_argument("--csv", type=Path, default=ibm.IBM_CSV)
    sample.add_argument("--out", type=Path, default=REPO_ROOT / "data" / "ibm" / "backtest")
    group = commands.add_parser("demo", help="the demo group against the generator's truth")
    group.add_argument("--out", type=Path, help="default: <CM_DATA_DIR>/demo/backtest")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.command == "demo":
        run_demo(args.out)
    else:
        run_ibm(args.csv, args.out)


def run_demo(out: Path | None) -> None:
    settings = get_settings()
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        as_of = con.execute("select max(as_of_date) from marts.fct_open_items").fetchone()[0]
        summary, predictions = demo.compare_to_truth(con, settings.truth_dir, as_of)
    paths = write_demo_report(summary, predictions, out or settings.data_dir / "demo" / "backtest")
    log.info(
        "demo against truth: AUC gap %.3f, Brier ratio %.3f; report in %s",
        summary["auc_gap_to_truth"],
        summary["brier_ratio_to_truth"],
        paths["markdown"],
    )


def run_ibm(csv: Path, out: Path) -> None:
    result, predictions = ibm.run_ibm_backtest(csv)
    title = "Backtest on the IBM accounts-receivable sample"
    paths = write_report(result, predictions, out, title, ibm.NOTES)
    chosen = result["test"]["metrics"][result["chosen"]]
    log.info(
        "IBM backtest: chose %s, test ROC AUC %.3f, Brier %.3f; report in %s",
        result["chosen"],
        chosen["roc_auc"],
        chosen["brier"],
        paths["markdown"],
    )


if __name__ == "__main__":
    main()
