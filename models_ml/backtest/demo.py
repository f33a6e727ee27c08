"""The demo group's check against the generator's truth: how close does the model get?

The demo generator knows each invoice's true chance of being settled within 14 days after its
due date (`invoices_truth.parquet`). The model is trained exactly as the daily job trains it
(models_ml/training.py: fit, calibration and test slices by snapshot date) and judged on the
test snapshots' invoices that were not yet due, where its primary target is the same event:
paid by due date + 14. Beside it stand the two baselines and the truth itself, all scored
against what happened.

Two honest differences remain between the truth and the target. The truth is the chance at
issue with no reminder at all; the model predicts at a month end, for invoices still open then,
in a world where reminders are sent from 7 days after due. So the truth is not the best
possible predictor of this target, and a model can come close to it or even pass it on the
Brier score; the gap in ROC AUC says how much of the ranking the features miss.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from models_ml.features import FEATURES
from models_ml.metrics import classification_metrics
from models_ml.threads import thread_limit
from models_ml.training import (
    DEFAULT_HORIZON_DAYS,
    build_training_set,
    fit_baselines,
    fit_model,
    monthly_snapshot_dates,
    time_split,
)

logger = logging.getLogger(__name__)

TRUTH_FILE = "invoices_truth.parquet"
TRUTH_COLUMN = "true_p_paid_within_14d_after_due"
TARGET_DAYS = 14


def read_truth(truth_dir: Path) -> pd.DataFrame:
    columns = ["entity_id", "document_id", TRUTH_COLUMN]
    return pd.read_parquet(truth_dir / TRUTH_FILE, columns=columns)


def not_yet_due(test: pd.DataFrame) -> pd.DataFrame:
    """Test rows with a known outcome whose due date was after the snapshot."""
    return test[test["label"].notna() & (test["days_past_due"] < 0)]


def compare_to_truth(
    con: duckdb.DuckDBPyConnection, truth_dir: Path, as_of: date
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Metrics of model, baselines and truth on the same rows; and those rows' predictions."""
    data = build_training_set(con, monthly_snapshot_dates(con, as_of, TARGET_DAYS), as_of)
    slices = time_split(data, as_of, TARGET_DAYS)
    with thread_limit(len(data) * 8):
        model = fit_model(slices, DEFAULT_HORIZON_DAYS)
        baselines = fit_baselines(slices)

    rows = not_yet_due(slices["test"]).merge(
        read_truth(truth_dir), on=["entity_id", "document_id"], how="inner", validate="m:1"
    )
    predictions = pd.DataFrame(
        {
            "label": rows["label"].astype(int).to_numpy(),
            "model": model.predict_cdf(rows)[TARGET_DAYS].to_numpy(),
            **{name: b.predict_proba(rows[FEATURES])[:, 1] for name, b in baselines.items()},
            "truth": rows[TRUTH_COLUMN].to_numpy(),
        }
    )
    metrics = {
        name: classification_metrics(predictions["label"], predictions[name])
        for name in predictions.columns.drop("label")
    }
    summary = {
        "dataset": "demo group",
        "as_of_date": as_of.isoformat(),
        "target": f"paid within {TARGET_DAYS} days after due, invoices not yet due at snapshot",
        "test_snapshots": [
            f"{slices['test']['as_of_date'].min():%Y-%m-%d}",
            f"{slices['test']['as_of_date'].max():%Y-%m-%d}",
        ],
        "n_rows": len(predictions),
        "metrics": metrics,
        "auc_gap_to_truth": metrics["truth"]["roc_auc"] - metrics["model"]["roc_auc"],
        "brier_ratio_to_truth": metrics["model"]["brier"] / metrics["truth"]["brier"],
    }
    logger.info(
        "demo against truth on %d rows: AUC %.3f (truth %.3f), Brier %.4f (truth %.4f)",
        len(predictions),
        metrics["model"]["roc_auc"],
        metrics["truth"]["roc_auc"],
        metrics["model"]["brier"],
        metrics["truth"]["brier"],
    )
    return summary, predictions
