"""The benchmark report: growth from one size to the next, the targets, Markdown and JSON."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

JOB_STAGES = ("load", "dbt_build", "training", "scoring", "reminder_run", "publish")
STAGES = ("generation", *JOB_STAGES)

# The targets, stated for 10 million invoices on a 2-core, 24 GiB machine.
TARGETS = {
    "main_job_s": 180.0,
    "main_job_peak_mb": 8 * 1024.0,
    "daily_s": 30.0,
    "aging_ratio": 1.5,
    "scoring_per_s": 500_000.0,
    "page_s": 1.0,
}


def summarise(size: dict[str, Any]) -> dict[str, Any]:
    """The headline figures of one size, and which targets they meet."""
    stages = size["stages"]
    pages = size["pages"]
    figures = {
        "main_job_s": sum(stages[name]["job_s"] for name in JOB_STAGES),
        "main_job_peak_mb": max(stages[name]["peak_rss_mb"] for name in JOB_STAGES),
        "daily_s": size["daily"]["job_s"],
        "aging_ratio": size["aging"]["models_s"] / size["reference"]["reference_s"],
        "scoring_per_s": size["scoring_benchmark"]["invoices_per_second"],
        "page_s": max(page["first_s"] for page in pages),
    }
    lower_is_better = {name for name in TARGETS if name != "scoring_per_s"}
    met = {
        name: None
        if value is None
        else (value <= TARGETS[name])
        if name in lower_is_better
        else (value >= TARGETS[name])
        for name, value in figures.items()
    }
    return {"figures": figures, "met": met}


def growth(sizes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per pair of consecutive sizes: the data's growth and each figure's."""
    pairs = []
    for small, large in itertools.pairwise(sizes):
        factors = {"invoices": large["counts"]["invoices"] / small["counts"]["invoices"]}
        for name in STAGES:
            for figure in ("wall_s", "peak_rss_mb"):
                before, after = small["stages"][name][figure], large["stages"][name][figure]
                factors[f"{name}.{figure}"] = after / before if before else None
        for name, value in large["summary"]["figures"].items():
            before = small["summary"]["figures"][name]
            factors[name] = value / before if before and value is not None else None
        pairs.append({"from": small["label"], "to": large["label"], "factors": factors})
    return pairs


def _f(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _scoring_benchmark_text(size: dict[str, Any]) -> str:
    bench = size["scoring_benchmark"]
    if bench.get("error"):
        return f"models_ml.benchmark_scoring failed: {bench['error']}"
    return (
        f"{bench['invoices_per_second']:,} /s in models_ml.benchmark_scoring at "
        f"{bench['open_invoices']:,} open invoices."
    )


def _steps_markdown(run: dict[str, Any], title: str) -> list[str]:
    """Where a job run's time went: each Dagster step in order, and dbt's own split."""
    steps = run.get("steps")
    if not steps:
        return []
    lines = [f"{title}, by step (from the run's event log):", "", "| step | s |", "|---|---:|"]
    lines += [f"| {row['step']} | {_f(row['s'])} |" for row in steps]
    between = run["job_s"] - sum(row["s"] for row in steps)
    lines += [f"| (run start, hand-overs between steps) | {_f(between)} |", ""]
    dbt = run.get("dbt")
    if dbt:
        kinds = ", ".join(f"{kind}s {_f(value)} s" for kind, value in dbt["by_kind_s"].items())
        slowest = ", ".join(f"{row['model']} {_f(row['s'])}" for row in dbt["slowest_models"][:8])
        lines += [
            f"dbt: build {_f(dbt['elapsed_s'])} s inside dbt (summed over its threads: {kinds}); "
            f"slowest models (s): {slowest}.",
            "",
        ]
    return lines


def _size_markdown(size: dict[str, Any]) -> list[str]:
    counts, summary = size["counts"], size["summary"]
    lines = [
        f"## {size['label']}: {counts['invoices']:,} invoices, {counts['documents']:,} documents, "
        f"{counts['allocations']:,} allocations, {counts['open_items']:,} open items",
        "",
        f"Measured {size.get('measured_at', 'at an unrecorded time')} at commit "
        f"{size.get('commit', 'unknown')}. Load average (1, 5, 15 min) before: "
        f"{size['load_before']}, after: {size['load_after']}.",
        "",
        "| stage | wall (s) | in job (s) | peak memory (MiB) |",
        "|---|---:|---:|---:|",
    ]
    for name in STAGES:
        stage = size["stages"][name]
        lines.append(
            f"| {name} | {_f(stage['wall_s'])} | {_f(stage['job_s'])} | "
            f"{_f(stage['peak_rss_mb'], 0)} |"
        )
    daily = size["daily"]
    lines += [
        f"| **main job (load to publish)** | "
        f"{_f(sum(size['stages'][name]['wall_s'] for name in JOB_STAGES))} | "
        f"{_f(summary['figures']['main_job_s'])} | "
        f"{_f(summary['figures']['main_job_peak_mb'], 0)} |",
        f"| daily run (+{daily['delivery']['documents']:,} documents, "
        f"+{daily['delivery']['allocations']:,} payments) | {_f(daily['wall_s'])} | "
        f"{_f(daily['job_s'])} | {_f(daily['peak_rss_mb'], 0)} |",
        "",
        *_steps_markdown(daily, "Daily run"),
    ]
    aging, reference = size["aging"], size["reference"]
    lines += [
        "Aging: the dbt models on the path to marts.entity_aging take "
        f"{_f(aging['models_s'], 2)} s "
        f"(dbt process {_f(aging['dbt_wall_s'], 1)} s); the hand-written query "
        f"{_f(reference['reference_s'], 2)} s: ratio {_f(summary['figures']['aging_ratio'], 2)}. "
        f"Reference equal to the marts: {'yes' if reference['equal'] else 'NO'} "
        f"({reference['item_differences']} item and {reference['bucket_differences']} bucket "
        f"differences; {reference['open_items']:,} open items, "
        f"{reference['open_amount_base']} {reference['base_currency']}).",
        "",
        f"Scoring: {_f(size['scoring']['per_s'], 0)} open items/s in the job "
        f"({size['scoring']['rows']:,} scored); {_scoring_benchmark_text(size)}",
        "",
        "| page | first render (s) | warm (s) |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {page['page']} | {_f(page['first_s'], 3)} | {_f(page['warm_s'], 3)} |"
        for page in size["pages"]
    ]
    lines += ["", "| target (stated at 10M invoices) | goal | here | met |", "|---|---:|---:|---|"]
    for name, goal in TARGETS.items():
        value = summary["figures"][name]
        lines.append(
            f"| {name} | {_f(goal, 1)} | {_f(value, 2)} | "
            f"{ {True: 'yes', False: 'no', None: 'not measured'}[summary['met'][name]] } |"
        )
    return [*lines, ""]


def to_markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Benchmark",
        "",
        f"Machine: {report['machine']}. Settings: {report['settings']}.",
        "",
    ]
    for size in report["sizes"]:
        lines += _size_markdown(size)
    for pair in report["growth"]:
        lines += [
            f"## Growth {pair['from']} -> {pair['to']}",
            "",
            "| figure | factor |",
            "|---|---:|",
        ]
        lines += [f"| {name} | {_f(value, 2)} |" for name, value in pair["factors"].items()]
        lines.append("")
    return "\n".join(lines)


def write_report(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "report.json", out_dir / "report.md"
    json_path.write_text(json.dumps(report, indent=2, default=str))
    md_path.write_text(to_markdown(report))
    return json_path, md_path
