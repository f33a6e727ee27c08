"""Train the payment model on monthly snapshots of the open invoices, and register it.

Target: an invoice open at snapshot T is paid (settled) within `horizon_days` after the later of
its due date and T. For an invoice not yet due at T that is "paid by due date + horizon"; for
one already overdue it is "paid in the next horizon days", so that an overdue invoice is not a
certain negative and its score still means something. A row is used only when its label is
known by the warehouse's as-of date: the label window has closed before it. Features never
look past T; the label may (it is the target).

The split is by time: the latest snapshots (about a quarter of the labelled rows or more) are
the test slice; training keeps the earlier snapshots' rows whose label window closed before the
first test snapshot, so no training label uses data from the test period.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from models_ml.features import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES, features_sql
from models_ml.metrics import DebtorOnTimeBaseline, classification_metrics
from models_ml.registry import frame_hash, new_model_id, promote_if_better, save_model

logger = logging.getLogger(__name__)

DEFAULT_HORIZON_DAYS = 14
MIN_TEST_SHARE = 0.25
MIN_TRAIN_ROWS = 100
MIN_TEST_ROWS = 30
MAX_CATEGORIES = 64
RANDOM_STATE = 0

TRAINING_SET_SQL = """
with

features as ({features}),

settlements as (
    select entity_id, document_id, settled_date, from marts.fct_invoices
),

labelled as (
    select
        features.*,
        greatest(features.due_date, features.as_of_date) + $horizon as label_date,
        settlements.settled_date,
    from features
    inner join settlements using (entity_id, document_id)
)

select
    * exclude (settled_date),
    cast(coalesce(settled_date <= label_date, false) as integer) as label,
from labelled
where label_date < $known_by
order by entity_id, document_id
"""


class InsufficientDataError(ValueError):
    """The warehouse holds too little labelled history to train and test a model."""


def monthly_snapshot_dates(
    con: duckdb.DuckDBPyConnection, known_by: date, horizon_days: int
) -> list[date]:
    """Month ends from the first invoice on, up to the last whose labels can be known."""
    first_issue = con.execute("select min(issue_date) from marts.fct_invoices").fetchall()[0][0]
    if first_issue is None:
        return []
    month_ends = pd.date_range(first_issue, known_by, freq="ME")
    last_usable = known_by - timedelta(days=horizon_days + 1)
    return [month_end.date() for month_end in month_ends if month_end.date() <= last_usable]


def build_training_set(
    con: duckdb.DuckDBPyConnection, snapshot_dates: list[date], horizon_days: int, known_by: date
) -> pd.DataFrame:
    """Features of the invoices open at each snapshot, stacked, with `label` and `label_date`."""
    if not snapshot_dates:
        raise InsufficientDataError("no snapshot date has a label known yet: too little history")
    query = TRAINING_SET_SQL.format(features=features_sql())
    frames = [
        con.execute(query, {"as_of": t, "horizon": horizon_days, "known_by": known_by}).df()
        for t in snapshot_dates
    ]
    data = pd.concat(frames, ignore_index=True)
    logger.info(
        "training set: %d labelled rows from %d snapshots (%s to %s), horizon %d days",
        len(data),
        len(snapshot_dates),
        snapshot_dates[0],
        snapshot_dates[-1],
        horizon_days,
    )
    return data


def time_split(
    data: pd.DataFrame, min_test_share: float = MIN_TEST_SHARE
) -> tuple[pd.DataFrame, pd.DataFrame, date]:
    """(train, test, cutoff): test is every snapshot from the cutoff on; see the module doc."""
    rows_per_snapshot = data.groupby("as_of_date").size().sort_index()
    share_from = rows_per_snapshot[::-1].cumsum()[::-1] / len(data)
    eligible = share_from.index[share_from >= min_test_share]
    cutoff = eligible.max() if len(eligible) else None
    if cutoff is None or cutoff == rows_per_snapshot.index.min():
        raise InsufficientDataError(
            f"{len(data)} labelled rows in {len(rows_per_snapshot)} snapshots: "
            "too few to split into training and test by time"
        )

    train = data[(data["as_of_date"] < cutoff) & (data["label_date"] < cutoff)]
    test = data[data["as_of_date"] >= cutoff]
    if len(train) < MIN_TRAIN_ROWS or train["label"].nunique() < 2 or len(test) < MIN_TEST_ROWS:
        raise InsufficientDataError(
            f"{len(train)} training rows ({train['label'].sum()} paid) and {len(test)} test "
            f"rows before/after {cutoff:%Y-%m-%d}: need at least {MIN_TRAIN_ROWS} training "
            f"rows with both outcomes and {MIN_TEST_ROWS} test rows"
        )
    return train, test, cutoff.date()


def make_model(random_state: int = RANDOM_STATE) -> Pipeline:
    """Gradient boosting on the features; categoricals ordinal-coded and split natively."""
    encode = ColumnTransformer(
        [
            (
                "categorical",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                    max_categories=MAX_CATEGORIES,
                ),
                CATEGORICAL_FEATURES,
            ),
            ("numeric", "passthrough", NUMERIC_FEATURES),
        ],
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    classify = HistGradientBoostingClassifier(
        categorical_features=CATEGORICAL_FEATURES,
        learning_rate=0.1,
        max_iter=100,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=random_state,
    )
    return Pipeline([("encode", encode), ("classify", classify)])


def fit_and_evaluate(
    train: pd.DataFrame, test: pd.DataFrame
) -> tuple[Pipeline, dict[str, dict[str, float | None]]]:
    """Fit the model and the baseline on `train`; the metrics of both on `test`."""
    estimators = {"model": make_model(), "baseline": DebtorOnTimeBaseline()}
    metrics = {}
    for name, estimator in estimators.items():
        estimator.fit(train[FEATURES], train["label"])
        p_paid = estimator.predict_proba(test[FEATURES])[:, 1]
        metrics[name] = classification_metrics(test["label"].to_numpy(), p_paid)
    return estimators["model"], metrics


def _rounded(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _describe(model: Pipeline) -> dict[str, Any]:
    """The classifier's class and parameters, for the model card."""
    classifier = model.steps[-1][1]
    return {"class": type(classifier).__name__, "params": classifier.get_params()}


def _span(frame: pd.DataFrame) -> list[str]:
    return [f"{frame['as_of_date'].min():%Y-%m-%d}", f"{frame['as_of_date'].max():%Y-%m-%d}"]


def train_payment_model(
    con: duckdb.DuckDBPyConnection,
    models_dir: Path,
    as_of: date,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    *,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """Train, evaluate against the baseline, save, and promote if better; returns the card.

    `as_of` is the warehouse's as-of date: labels must be known by then. The returned card
    carries `model_id` and `promoted` besides what `metrics.json` holds.
    """
    data = build_training_set(
        con, monthly_snapshot_dates(con, as_of, horizon_days), horizon_days, as_of
    )
    if data.empty:
        raise InsufficientDataError("no invoice was open at any snapshot with a known label")
    train, test, cutoff = time_split(data)

    model, metrics = fit_and_evaluate(train, test)
    logger.info(
        "trained on %d rows, tested on %d from %s: log loss %.4f (baseline %.4f), "
        "AUC %s (baseline %s)",
        len(train),
        len(test),
        cutoff,
        metrics["model"]["log_loss"],
        metrics["baseline"]["log_loss"],
        _rounded(metrics["model"]["roc_auc"]),
        _rounded(metrics["baseline"]["roc_auc"]),
    )

    created_at = created_at or datetime.now(UTC)
    data_hash = frame_hash(data)
    card = {
        "created_at": created_at.isoformat(timespec="seconds"),
        "as_of_date": as_of.isoformat(),
        "horizon_days": horizon_days,
        "target": f"paid within {horizon_days} days after the later of due date and snapshot",
        "estimator": _describe(model),
        "features": FEATURES,
        "categorical_features": CATEGORICAL_FEATURES,
        "training_window": {
            "snapshots": _span(data),
            "n_snapshots": int(data["as_of_date"].nunique()),
            "train_snapshots": _span(train),
            "test_snapshots": _span(test),
            "cutoff_date": cutoff.isoformat(),
        },
        "data": {
            "data_hash": data_hash,
            "n_labelled": len(data),
            "n_train": len(train),
            "n_test": len(test),
            "positive_rate_train": float(train["label"].mean()),
            "positive_rate_test": float(test["label"].mean()),
        },
        "metrics": metrics,
    }

    model_id = new_model_id(data_hash, created_at)
    save_model(models_dir, model_id, model, card)
    promoted = promote_if_better(models_dir, model_id, test)
    return {**card, "model_id": model_id, "promoted": promoted}
