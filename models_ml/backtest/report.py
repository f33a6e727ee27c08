"""Write a backtest's result as `report.json` (everything) and `report.md` (for people)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from models_ml.plots import lift_chart, reliability_plot

METRICS = [
    ("roc_auc", "ROC AUC"),
    ("pr_auc", "PR AUC"),
    ("brier", "Brier"),
    ("log_loss", "log loss"),
    ("ece", "ECE"),
    ("mae_days", "MAE days"),
]
DESCRIPTIONS = {
    "past_late_rate": "the debtor's past late rate (baseline)",
    "logistic": "a regularised logistic regression (baseline)",
    "hgb_classifier": "HistGradientBoosting classifier, Platt-scaled on the later slice",
    "days_to_pay": "days-late distribution: ridge + boosted residuals, shape from later slice",
}


def _number(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _metrics_table(metrics: dict[str, dict[str, Any]], chosen: str) -> list[str]:
    header = "| model | " + " | ".join(label for _, label in METRICS) + " |"
    lines = [header, "|---" * (len(METRICS) + 1) + "|"]
    for name, values in metrics.items():
        label = f"**{name}** (chosen)" if name == chosen else name
        cells = " | ".join(_number(values.get(key)) for key, _ in METRICS)
        lines.append(f"| {label} | {cells} |")
    return lines


def _gains(result: dict[str, Any]) -> list[str]:
    chosen, test = result["chosen"], result["test"]["metrics"]
    lines = []
    for baseline, gain in result["gain_over_baselines"].items():
        ours, theirs = test[chosen], test[baseline]
        lines.append(
            f"- against {DESCRIPTIONS.get(baseline, baseline)}: ROC AUC "
            f"{_number(ours['roc_auc'])} vs {_number(theirs['roc_auc'])} "
            f"({gain['roc_auc']:+.3f}), Brier {_number(ours['brier'])} vs "
            f"{_number(theirs['brier'])} ({gain['brier_reduction_share']:.1%} lower), log loss "
            f"{_number(ours['log_loss'])} vs {_number(theirs['log_loss'])}."
        )
    return lines


def _folds(result: dict[str, Any]) -> list[str]:
    names = list(result["validation"]["mean_log_loss"])
    lines = [
        "| test quarter from | fit rows | " + " | ".join(names) + " |",
        "|---" * (len(names) + 2) + "|",
    ]
    for fold in result["validation"]["folds"]:
        losses = " | ".join(_number(fold["metrics"][n]["log_loss"]) for n in names)
        lines.append(f"| {fold['split']['test_start']} | {fold['rows']['fit']} | {losses} |")
    means = " | ".join(_number(result["validation"]["mean_log_loss"][n]) for n in names)
    lines.append(f"| mean | | {means} |")
    return lines


def _baselines_ahead_in_validation(result: dict[str, Any]) -> list[str]:
    """Say so when a baseline did better than the chosen model on the validation quarters."""
    means, chosen = result["validation"]["mean_log_loss"], result["chosen"]
    return [
        f"On the validation quarters the {name} baseline had the lower mean log loss "
        f"({means[name]:.3f} against {means[chosen]:.3f}); the choice is made among the "
        "candidates only, and the test period shows how each fared."
        for name in result["gain_over_baselines"]
        if means[name] < means[chosen]
    ]


def markdown(result: dict[str, Any], title: str, notes: list[str] = ()) -> str:
    """The report a credit manager or reviewer reads; every figure is also in the JSON."""
    test = result["test"]
    lines = [
        f"# {title}",
        "",
        f"Target: {result['target']}. {result['n_invoices']} invoices; test period from "
        f"{test['split']['test_start']} ({test['rows']['test']} invoices, "
        f"{test['metrics'][result['chosen']]['positive_rate']:.1%} positive). Candidates are "
        f"fitted on {test['rows']['fit']} earlier invoices and calibrated on the "
        f"{test['rows']['calibration']} of the quarter before the test period; baselines "
        "learn from both.",
        "",
        f"Chosen model: **{result['chosen']}** ({DESCRIPTIONS.get(result['chosen'], '')}), "
        f"by {result['choice_rule']}.",
        "",
        *_baselines_ahead_in_validation(result),
        "",
        "## Test period",
        "",
        *_metrics_table(test["metrics"], result["chosen"]),
        "",
        "The chosen model, on the same test period:",
        "",
        *_gains(result),
        "",
        "![Reliability](reliability.png) ![Lift](lift.png)",
        "",
        "## Choice on the validation quarters (log loss, lower is better)",
        "",
        *_folds(result),
        "",
        "## Features (as known on the scoring date)",
        "",
        ", ".join(f"`{name}`" for name in result["features"]),
        "",
    ]
    if notes:
        lines += ["## Notes", "", *[f"- {note}" for note in notes], ""]
    return "\n".join(lines) + "\n"


def write_report(
    result: dict[str, Any],
    predictions: pd.DataFrame,
    out_dir: Path,
    title: str,
    notes: list[str] = (),
) -> dict[str, Path]:
    """`report.json`, `report.md`, `reliability.png` and `lift.png` in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "markdown": out_dir / "report.md"}
    shown = predictions[["label", result["chosen"], *result["gain_over_baselines"]]]
    period = f"test period from {result['test']['split']['test_start']}"
    paths["reliability"] = reliability_plot(
        shown, out_dir / "reliability.png", f"Reliability, {period}"
    )
    paths["lift"] = lift_chart(shown, out_dir / "lift.png", f"Lift, {period}")
    images = {name: paths[name].name for name in ("reliability", "lift")}
    payload = {**result, "notes": list(notes), "images": images}
    paths["json"].write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
    paths["markdown"].write_text(markdown(result, title, notes))
    return paths


def demo_markdown(summary: dict[str, Any]) -> str:
    """The demo group's figures against the generator's truth."""
    metrics = summary["metrics"]
    lines = [
        "# The demo group against the generator's truth",
        "",
        f"Target: {summary['target']}. {summary['n_rows']} invoice snapshots from the test "
        f"months {summary['test_snapshots'][0]} to {summary['test_snapshots'][1]} "
        f"(warehouse as of {summary['as_of_date']}).",
        "",
        "| scores | " + " | ".join(label for _, label in METRICS[:-1]) + " |",
        "|---" * len(METRICS) + "|",
    ]
    for name, values in metrics.items():
        cells = " | ".join(_number(values.get(key)) for key, _ in METRICS[:-1])
        lines.append(f"| {name} | {cells} |")
    lines += [
        "",
        f"- ROC AUC gap to the true probabilities: {summary['auc_gap_to_truth']:+.3f} "
        f"(truth {_number(metrics['truth']['roc_auc'])}, model "
        f"{_number(metrics['model']['roc_auc'])}).",
        f"- Brier ratio to the true probabilities: {summary['brier_ratio_to_truth']:.3f} "
        "(1 = as good as the truth).",
        "- The truth is the chance at issue without reminders; the target is at a month end "
        "for invoices still open, with reminders sent. The truth is a reference, not a bound.",
        "",
        "![Reliability](reliability.png) ![Lift](lift.png)",
        "",
    ]
    return "\n".join(lines)


def write_demo_report(
    summary: dict[str, Any], predictions: pd.DataFrame, out_dir: Path
) -> dict[str, Path]:
    """`report.json`, `report.md`, `reliability.png` and `lift.png` in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    title = f"test months from {summary['test_snapshots'][0]}, not yet due"
    paths = {
        "json": out_dir / "report.json",
        "markdown": out_dir / "report.md",
        "reliability": reliability_plot(
            predictions, out_dir / "reliability.png", f"Reliability, {title}"
        ),
        "lift": lift_chart(predictions, out_dir / "lift.png", f"Lift, {title}"),
    }
    paths["json"].write_text(json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n")
    paths["markdown"].write_text(demo_markdown(summary))
    return paths
