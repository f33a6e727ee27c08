"""Fit candidates on the past, judge them on the future, and choose one without peeking.

A split cuts a frame of invoices by date into three consecutive slices: the fit slice, the
calibration slice (the last `calibration_days` before the test period) and the test slice.
Rows dated in the `gap_days` just before the test period are left out, so that no label used
for fitting or calibration was still unknown when the test period began.

The choice between the candidates is made on rolling validation splits whose test slices lie
wholly before the final test period: each quarter in turn is predicted by candidates fitted on
everything before it (an expanding window), and the candidate with the lowest mean log loss
over those quarters is chosen. A quarter whose fit slice holds fewer than `min_fit_rows` rows
is not used: a model fitted on a few hundred invoices says little about one fitted on
thousands. The final test slice only reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from models_ml.backtest.candidates import Candidate
from models_ml.metrics import classification_metrics
from models_ml.threads import thread_limit

MIN_FIT_ROWS = 500


@dataclass(frozen=True)
class Split:
    """Test period [test_start, test_end); calibration on the days before it."""

    test_start: date
    test_end: date | None = None
    calibration_days: int = 91
    gap_days: int = 0

    @property
    def calibration_end(self) -> date:
        return self.test_start - timedelta(days=self.gap_days)

    @property
    def calibration_start(self) -> date:
        return self.calibration_end - timedelta(days=self.calibration_days)

    def slices(
        self, frame: pd.DataFrame, date_column: str
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """(fit, calibration, test) rows of `frame`."""
        dates = frame[date_column]
        fit = frame[dates < pd.Timestamp(self.calibration_start)]
        calibration = frame[
            (dates >= pd.Timestamp(self.calibration_start))
            & (dates < pd.Timestamp(self.calibration_end))
        ]
        in_test = dates >= pd.Timestamp(self.test_start)
        if self.test_end is not None:
            in_test &= dates < pd.Timestamp(self.test_end)
        return fit, calibration, frame[in_test]

    def describe(self) -> dict[str, str | int | None]:
        return {
            "calibration_start": self.calibration_start.isoformat(),
            "test_start": self.test_start.isoformat(),
            "test_end": self.test_end.isoformat() if self.test_end else None,
            "gap_days": self.gap_days,
        }


def evaluate(candidate: Candidate, test: pd.DataFrame) -> dict[str, Any]:
    """Classification metrics of P(late), and the mean absolute error of days late."""
    metrics: dict[str, Any] = classification_metrics(
        test["label"].to_numpy(), candidate.p_late(test)
    )
    days_late = candidate.days_late(test)
    metrics["mae_days"] = (
        None if days_late is None else float(np.abs(days_late - test["days_late"]).mean())
    )
    return metrics


def fit_and_evaluate(
    candidates: list[Candidate], frame: pd.DataFrame, split: Split, date_column: str
) -> dict[str, dict[str, Any]]:
    """Each candidate fitted on the split's past and judged on its test slice."""
    fit, calibration, test = split.slices(frame, date_column)
    return {
        candidate.name: evaluate(candidate.fit(fit, calibration), test) for candidate in candidates
    }


def rolling_splits(
    first_test_start: date, test_start: date, months: int = 3, gap_days: int = 0
) -> list[Split]:
    """Consecutive test periods of `months` from `first_test_start` up to `test_start`."""
    starts = pd.date_range(first_test_start, test_start, freq=pd.DateOffset(months=months))
    return [Split(start.date(), end.date(), gap_days=gap_days) for start, end in pairwise(starts)]


def mean_log_loss(folds: list[dict[str, Any]], name: str) -> float:
    return float(np.mean([fold["metrics"][name]["log_loss"] for fold in folds]))


def choose(folds: list[dict[str, Any]], candidates: list[Candidate]) -> str:
    """The non-baseline candidate with the lowest mean log loss over the validation folds."""
    contenders = [c.name for c in candidates if not c.is_baseline]
    return min(contenders, key=lambda name: mean_log_loss(folds, name))


def validation_folds(
    frame: pd.DataFrame,
    candidates: list[Candidate],
    splits: list[Split],
    date_column: str,
    min_fit_rows: int = MIN_FIT_ROWS,
) -> list[dict[str, Any]]:
    """Every validation split with enough rows to fit on, with each candidate's metrics."""
    folds = []
    for split in splits:
        rows = slice_sizes(frame, split, date_column)
        if rows["fit"] < min_fit_rows or rows["calibration"] == 0 or rows["test"] == 0:
            continue
        metrics = fit_and_evaluate(candidates, frame, split, date_column)
        folds.append({"split": split.describe(), "rows": rows, "metrics": metrics})
    if not folds:
        raise ValueError(f"no validation split has {min_fit_rows} rows to fit on")
    return folds


def slice_sizes(frame: pd.DataFrame, split: Split, date_column: str) -> dict[str, int]:
    fit, calibration, test = split.slices(frame, date_column)
    return {"fit": len(fit), "calibration": len(calibration), "test": len(test)}


def compare(chosen: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float | None]:
    """How far the chosen model is ahead of a baseline: positive is better for every entry."""

    def gain(name: str, higher_is_better: bool) -> float | None:
        if chosen.get(name) is None or baseline.get(name) is None:
            return None
        difference = chosen[name] - baseline[name]
        return float(difference if higher_is_better else -difference)

    return {
        "roc_auc": gain("roc_auc", True),
        "pr_auc": gain("pr_auc", True),
        "brier": gain("brier", False),
        "log_loss": gain("log_loss", False),
        "ece": gain("ece", False),
        "brier_reduction_share": None
        if baseline["brier"] == 0
        else float(1 - chosen["brier"] / baseline["brier"]),
    }


def test_predictions(
    fitted: list[Candidate], frame: pd.DataFrame, split: Split, date_column: str
) -> pd.DataFrame:
    """The test slice's label and each fitted candidate's P(late), one column per candidate."""
    test = split.slices(frame, date_column)[2]
    columns = {"label": test["label"].to_numpy()}
    columns |= {candidate.name: candidate.p_late(test) for candidate in fitted}
    return pd.DataFrame(columns, index=test.index)


def backtest(
    frame: pd.DataFrame,
    candidates: list[Candidate],
    validation: list[Split],
    test: Split,
    date_column: str,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Choose on the rolling validation splits, report every candidate on the test split.

    Returns the summary (JSON-ready) and the test slice's predictions (for the plots).
    """
    with thread_limit(len(frame)):
        folds = validation_folds(frame, candidates, validation, date_column)
        chosen = choose(folds, candidates)
        on_test = fit_and_evaluate(candidates, frame, test, date_column)
        predictions = test_predictions(candidates, frame, test, date_column)

    baselines = [c.name for c in candidates if c.is_baseline]
    summary = {
        "chosen": chosen,
        "choice_rule": (
            f"lowest mean log loss over {len(folds)} rolling validation quarters "
            f"(fit slices of at least {MIN_FIT_ROWS} rows, the {validation[0].gap_days} days "
            "before each quarter left out)"
        ),
        "validation": {
            "folds": folds,
            "mean_log_loss": {c.name: mean_log_loss(folds, c.name) for c in candidates},
        },
        "test": {
            "split": test.describe(),
            "rows": slice_sizes(frame, test, date_column),
            "metrics": on_test,
        },
        "gain_over_baselines": {
            name: compare(on_test[chosen], on_test[name]) for name in baselines
        },
    }
    return summary, predictions
