"""The two pictures that show whether scores can be trusted: reliability and lift.

- Reliability: invoices grouped by predicted probability (ten equal-width bins); each point is a
  group's mean prediction against the share that turned out positive. A calibrated model lies
  on the diagonal.
- Lift: invoices ranked by predicted probability and cut into ten equal groups (deciles); each
  bar is the group's positive rate divided by the overall rate. A model that ranks well has a
  high first bar and bars that fall from left to right.

Both take the outcome and one column of predictions per model, so baselines sit beside the
model on the same axes. Drawn on a bare matplotlib Figure (no pyplot): no display needed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from models_ml.metrics import CALIBRATION_BINS

DECILES = 10


def reliability_table(y_true: np.ndarray, p_positive: np.ndarray) -> pd.DataFrame:
    """Per non-empty probability bin: rows, mean prediction, observed positive rate."""
    bins = np.minimum((np.asarray(p_positive) * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
    frame = pd.DataFrame({"bin": bins, "p": p_positive, "y": np.asarray(y_true, dtype=float)})
    return frame.groupby("bin").agg(
        rows=("y", "size"), predicted=("p", "mean"), observed=("y", "mean")
    )


def lift_table(y_true: np.ndarray, p_positive: np.ndarray) -> pd.DataFrame:
    """Per decile of predicted probability (1 = highest): rows, positive rate, lift."""
    order = np.argsort(-np.asarray(p_positive), kind="stable")
    decile = np.empty(order.size, dtype=int)
    decile[order] = np.arange(order.size) * DECILES // max(order.size, 1) + 1
    y_true = np.asarray(y_true, dtype=float)
    frame = pd.DataFrame({"decile": decile, "y": y_true})
    table = frame.groupby("decile").agg(rows=("y", "size"), positive_rate=("y", "mean"))
    table["lift"] = table["positive_rate"] / y_true.mean() if y_true.mean() > 0 else np.nan
    return table


def reliability_plot(predictions: pd.DataFrame, path: Path, title: str) -> Path:
    """`predictions`: column `label` and one probability column per model."""
    figure = Figure(figsize=(6, 6))
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect")
    for name in predictions.columns.drop("label"):
        table = reliability_table(predictions["label"], predictions[name])
        axes.plot(table["predicted"], table["observed"], marker="o", label=name)
    axes.set(
        xlim=(0, 1),
        ylim=(0, 1),
        xlabel="predicted probability",
        ylabel="observed share",
        title=title,
    )
    axes.legend(loc="upper left")
    return _save(figure, path)


def lift_chart(predictions: pd.DataFrame, path: Path, title: str) -> Path:
    """Lift per decile of each model's predictions, bars side by side."""
    names = list(predictions.columns.drop("label"))
    width = 0.8 / len(names)
    figure = Figure(figsize=(8, 5))
    axes = figure.add_subplot()
    for offset, name in enumerate(names):
        table = lift_table(predictions["label"], predictions[name])
        axes.bar(
            table.index + (offset - (len(names) - 1) / 2) * width, table["lift"], width, label=name
        )
    axes.axhline(1, color="grey", linestyle="--", linewidth=1)
    axes.set(
        xticks=range(1, DECILES + 1),
        xlabel="decile of predicted probability (1 = highest)",
        ylabel="positive rate / overall rate",
        title=title,
    )
    axes.legend()
    return _save(figure, path)


def _save(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    return path
