"""Train the payment model on monthly snapshots of the open invoices, and register it.

Targets: for an invoice open at snapshot T, "settled within k days after its origin" (the
later of due date and T, docs/decisions.md D7) for k in `target_days` (0, 14 and 30 by
default; `horizon_days` is the primary one the policy reads), and the expected days after
origin. One model answers all of them (models_ml/timing.py).

Every figure is honest about time. The snapshots are cut into three consecutive slices: fit,
calibration and test (the latest snapshots, about a quarter of the rows). Each slice sees the
outcomes only as they were known when the next slice began: a fit invoice counts for target k
only if its window of k days had closed by the start of the calibration slice, whatever the
warehouse learnt later. That is the gap between training and test, as long as each label's
horizon. Invoices still unpaid when their window closed count as "not paid", and an invoice
observed for c days counts for every k < c: censored, not dropped (models_ml/timing.py).
Test outcomes are those known by the warehouse's as-of date.

A run need not train: `model_to_keep` finds the model that would score the run's as-of date
and keeps it while it learnt from data fewer than `retrain_days` days before that date (the
CM_RETRAIN_DAYS setting). A run for a past date with no such model still trains.

Baselines, fitted on fit and calibration slices together and judged on the same test rows:
the debtor's own on-time share (what a credit team uses) and a regularised logistic
regression on the model's features.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from models_ml.days_to_pay import linear_encoder
from models_ml.explain import MAX_EXPLAINED_FEATURES, global_importance
from models_ml.features import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES, features_sql
from models_ml.metrics import DebtorOnTimeBaseline, classification_metrics
from models_ml.plots import lift_chart, reliability_plot, reliability_table
from models_ml.registry import (
    MODEL_FILE,
    frame_hash,
    load_card,
    model_id_for_date,
    new_model_id,
    promote_if_better,
    promoted_model_id,
    save_model,
)
from models_ml.threads import thread_limit
from models_ml.timing import GRID_DAYS, PaymentTimingModel

logger = logging.getLogger(__name__)

DEFAULT_HORIZON_DAYS = 14
DEFAULT_TARGET_DAYS = (0, 14, 30)
MIN_TEST_SHARE = 0.25
MIN_CALIBRATION_SHARE = 0.15
MIN_TRAIN_ROWS = 100
MIN_TEST_ROWS = 30
RANDOM_STATE = 0
# Above this many invoices, training learns from a sample of debtors that holds about as many
# (docs/decisions.md D49): its cost stops growing with the group.
DEFAULT_MAX_TRAINING_INVOICES = 200_000
SAMPLE_SCALE = 10_000

TRAINING_SET_SQL = """
with

features as ({features}),

settlements as (
    select entity_id, document_id, settled_date, from marts.fct_invoices
),

final as (
    select
        features.*,
        greatest(features.due_date, features.as_of_date) as origin_date,
        settlements.settled_date,
    from features
    inner join settlements using (entity_id, document_id)
)

select * from final
where origin_date < $known_by
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


def debtor_sample_per_10k(
    con: duckdb.DuckDBPyConnection, known_by: date, max_invoices: int | None
) -> int:
    """The share of debtors (in ten-thousandths) that holds about `max_invoices` of the
    invoices issued up to `known_by`; the whole (10,000) when there are not more than that."""
    if max_invoices is None:
        return SAMPLE_SCALE
    issued = con.execute(
        "select count(*) from marts.fct_invoices where issue_date <= $known_by",
        {"known_by": known_by},
    ).fetchall()[0][0]
    if issued <= max_invoices:
        return SAMPLE_SCALE
    return max(1, SAMPLE_SCALE * max_invoices // issued)


def build_training_set(
    con: duckdb.DuckDBPyConnection,
    snapshot_dates: list[date],
    known_by: date,
    sample_per_10k: int = SAMPLE_SCALE,
) -> pd.DataFrame:
    """Features of the invoices open at each snapshot, stacked, with origin and settled date.

    An invoice whose origin is on or after `known_by` is left out: nothing is known of it.
    `sample_per_10k` below 10,000 keeps only that share of the debtors, each with all its
    invoices and history (`features_sql(debtor_sample=True)`).
    """
    if not snapshot_dates:
        raise InsufficientDataError("no snapshot date has a label known yet: too little history")
    sampled = sample_per_10k < SAMPLE_SCALE
    query = TRAINING_SET_SQL.format(features=features_sql(debtor_sample=sampled))
    params: dict[str, Any] = {"known_by": known_by}
    if sampled:
        params["sample_per_10k"] = sample_per_10k
    frames = [con.execute(query, {**params, "as_of": t}).df() for t in snapshot_dates]
    data = pd.concat(frames, ignore_index=True)
    logger.info(
        "training set: %d invoice snapshots from %d month ends (%s to %s), %s of the debtors",
        len(data),
        len(snapshot_dates),
        snapshot_dates[0],
        snapshot_dates[-1],
        f"{sample_per_10k / SAMPLE_SCALE:.2%}" if sampled else "all",
    )
    return data


def observed_until(frame: pd.DataFrame, until: date, primary_days: int) -> pd.DataFrame:
    """The outcome columns as they were known on `until`.

    days_to_settle: settled date minus origin (NaN if not settled by then); censor_days:
    `until` minus origin; label: settled within `primary_days` (NaN until that window closed).
    """
    until_ts = pd.Timestamp(until)
    settled = frame["settled_date"].where(frame["settled_date"] <= until_ts)
    origin = pd.to_datetime(frame["origin_date"])
    days_to_settle = (pd.to_datetime(settled) - origin).dt.days.astype(float)
    censor_days = (until_ts - origin).dt.days.astype(float)
    paid = days_to_settle <= primary_days
    label = paid.astype(float).where(censor_days > primary_days)
    return frame.assign(days_to_settle=days_to_settle, censor_days=censor_days, label=label)


def label_within(frame: pd.DataFrame, days: int) -> pd.Series:
    """1/0 = settled within `days` after origin, NaN where the window had not closed."""
    paid = frame["days_to_settle"] <= days
    return paid.astype(float).where(frame["censor_days"] > days)


def _cut(rows_per_snapshot: pd.Series, share: float, before: pd.Timestamp | None) -> pd.Timestamp:
    """The latest snapshot from which on at least `share` of the rows (before `before`) lie."""
    counts = rows_per_snapshot if before is None else rows_per_snapshot[:before].iloc[:-1]
    share_from = counts[::-1].cumsum()[::-1] / rows_per_snapshot.sum()
    eligible = share_from.index[share_from >= share]
    return eligible.max() if len(eligible) else counts.index.min()


def time_split(
    data: pd.DataFrame, known_by: date, primary_days: int = DEFAULT_HORIZON_DAYS
) -> dict[str, Any]:
    """Fit, calibration and test slices, each with its outcomes as known when the next began."""
    rows_per_snapshot = data.groupby("as_of_date").size().sort_index()
    cutoff = _cut(rows_per_snapshot, MIN_TEST_SHARE, None)
    calibration_start = _cut(rows_per_snapshot, MIN_CALIBRATION_SHARE, cutoff)
    first = rows_per_snapshot.index.min()
    if cutoff == first or calibration_start == first:
        raise InsufficientDataError(
            f"{len(data)} invoice snapshots in {len(rows_per_snapshot)} month ends: "
            "too few to split into fit, calibration and test by time"
        )

    dates = data["as_of_date"]
    fit = observed_until(data[dates < calibration_start], calibration_start.date(), primary_days)
    calibration = observed_until(
        data[(dates >= calibration_start) & (dates < cutoff)], cutoff.date(), primary_days
    )
    test = observed_until(data[dates >= cutoff], known_by, primary_days)
    n_fit_labels = int(fit["label"].notna().sum())
    n_test_labels = int(test["label"].notna().sum())
    if n_fit_labels < MIN_TRAIN_ROWS or fit["label"].nunique() < 2 or n_test_labels < MIN_TEST_ROWS:
        raise InsufficientDataError(
            f"{n_fit_labels} training rows ({int(fit['label'].sum())} paid) and "
            f"{n_test_labels} test rows with a known outcome before/after {cutoff:%Y-%m-%d}: "
            f"need at least {MIN_TRAIN_ROWS} training rows with both outcomes and "
            f"{MIN_TEST_ROWS} test rows"
        )
    return {
        "fit": fit,
        "calibration": calibration,
        "test": test,
        "calibration_start": calibration_start.date(),
        "cutoff": cutoff.date(),
    }


def make_model(
    primary_days: int = DEFAULT_HORIZON_DAYS, target_days: tuple[int, ...] = DEFAULT_TARGET_DAYS
) -> PaymentTimingModel:
    """The timing model on a grid holding the standard points, every target and the primary."""
    return PaymentTimingModel(
        NUMERIC_FEATURES,
        CATEGORICAL_FEATURES,
        grid=tuple(sorted({*GRID_DAYS, *target_days, primary_days})),
        primary_days=primary_days,
        random_state=RANDOM_STATE,
    )


def fit_model(
    slices: dict[str, Any], primary_days: int, target_days: tuple[int, ...] = DEFAULT_TARGET_DAYS
) -> PaymentTimingModel:
    """Trees on the fit slice, calibration on the calibration slice."""
    fit, calibration = slices["fit"], slices["calibration"]
    model = make_model(primary_days, target_days)
    model.fit(fit, fit["days_to_settle"], fit["censor_days"])
    return model.calibrate(calibration, calibration["days_to_settle"], calibration["censor_days"])


def fit_baselines(slices: dict[str, Any]) -> dict[str, Any]:
    """The debtor's on-time share and a logistic regression, on every earlier labelled row."""
    earlier = pd.concat([slices["fit"], slices["calibration"]])
    earlier = earlier[earlier["label"].notna()]
    logistic = Pipeline(
        [
            ("encode", linear_encoder(NUMERIC_FEATURES, CATEGORICAL_FEATURES)),
            ("classify", LogisticRegression(C=0.1, max_iter=2000)),
        ]
    )
    return {
        "baseline": DebtorOnTimeBaseline().fit(earlier[FEATURES], earlier["label"]),
        "logistic": logistic.fit(earlier[FEATURES], earlier["label"].astype(int)),
    }


def restricted_days(frame: pd.DataFrame, grid: tuple[int, ...]) -> pd.Series:
    """Days after origin clipped to the grid's window, where the whole window was observed."""
    low, high = grid[0], grid[-1]
    clipped = frame["days_to_settle"].fillna(high).clip(low, high)
    return clipped.where(frame["censor_days"] > high)


def evaluate(
    model: PaymentTimingModel,
    baselines: dict[str, Any],
    test: pd.DataFrame,
    target_days: tuple[int, ...],
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Test metrics of model and baselines, and the primary target's predictions (for plots)."""
    cdf = model.predict_cdf(test)
    labelled = test["label"].notna().to_numpy()
    y_true = test.loc[labelled, "label"].astype(int).to_numpy()
    predictions = pd.DataFrame({"label": y_true, "model": cdf[model.primary_days][labelled]})
    for name, baseline in baselines.items():
        predictions[name] = baseline.predict_proba(test.loc[labelled, FEATURES])[:, 1]
    metrics: dict[str, Any] = {
        name: classification_metrics(y_true, predictions[name].to_numpy())
        for name in ("model", *baselines)
    }

    metrics["targets"] = {}
    for days in target_days:
        label = label_within(test, days)
        known = label.notna().to_numpy()
        metrics["targets"][str(days)] = classification_metrics(
            label[known].astype(int).to_numpy(), cdf.loc[known, days].to_numpy()
        )

    actual = restricted_days(test, model.grid)
    known = actual.notna().to_numpy()
    expected = model.expected_days(cdf.loc[known])
    metrics["days_to_pay"] = {
        "mae_days": float(np.abs(expected - actual[known].to_numpy()).mean()),
        "window_days": [model.grid[0], model.grid[-1]],
        "n_samples": int(known.sum()),
    }
    return metrics, predictions


def _describe(model: PaymentTimingModel) -> dict[str, Any]:
    """The classifier's class and parameters, for the model card."""
    params = {k: v for k, v in model.get_params().items() if k not in ("numeric", "categorical")}
    return {"class": type(model).__name__, "params": params}


def _span(frame: pd.DataFrame) -> list[str]:
    return [f"{frame['as_of_date'].min():%Y-%m-%d}", f"{frame['as_of_date'].max():%Y-%m-%d}"]


def _reliability_bins(predictions: pd.DataFrame) -> list[dict[str, float]]:
    table = reliability_table(predictions["label"], predictions["model"])
    return [
        {"mean_predicted": row.predicted, "observed": row.observed, "count": int(row.rows)}
        for row in table.itertuples()
    ]


def _images(predictions: pd.DataFrame, folder: Path, cutoff: date) -> list[Path]:
    period = f"test snapshots from {cutoff}"
    return [
        reliability_plot(predictions, folder / "reliability.png", f"Reliability, {period}"),
        lift_chart(predictions, folder / "lift.png", f"Lift, {period}"),
    ]


def train_payment_model(
    con: duckdb.DuckDBPyConnection,
    models_dir: Path,
    as_of: date,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    *,
    target_days: tuple[int, ...] = DEFAULT_TARGET_DAYS,
    created_at: datetime | None = None,
    max_invoices: int | None = DEFAULT_MAX_TRAINING_INVOICES,
) -> dict[str, Any]:
    """Train, evaluate against the baselines, save, and promote if better; returns the card.

    `as_of` is the warehouse's as-of date: outcomes are known up to it. `horizon_days` is the
    primary target (the one `predict_proba` and `p_paid_within_horizon` answer). With more
    than `max_invoices` invoices (None: no limit), a sample of debtors holding about that many
    is learnt from and tested on. The returned card carries `model_id` and `promoted` besides
    what `metrics.json` holds.
    """
    target_days = tuple(sorted({*target_days, horizon_days}))
    sample_per_10k = debtor_sample_per_10k(con, as_of, max_invoices)
    data = build_training_set(
        con, monthly_snapshot_dates(con, as_of, horizon_days), as_of, sample_per_10k
    )
    if data.empty:
        raise InsufficientDataError("no invoice was open at any snapshot with a known label")
    slices = time_split(data, as_of, horizon_days)

    with thread_limit(len(data) * len(GRID_DAYS)):
        model = fit_model(slices, horizon_days, target_days)
        baselines = fit_baselines(slices)
        metrics, predictions = evaluate(model, baselines, slices["test"], target_days)
        labelled = slices["test"][slices["test"]["label"].notna()]
        importance = global_importance(
            model, labelled, labelled["label"].astype(int).to_numpy(), FEATURES
        )
    model.explained_features_ = [row["feature"] for row in importance[:MAX_EXPLAINED_FEATURES]]
    logger.info(
        "trained on %d snapshots, calibrated from %s, tested from %s: log loss %.4f "
        "(baseline %.4f, logistic %.4f), AUC %.3f (baseline %.3f)",
        len(slices["fit"]),
        slices["calibration_start"],
        slices["cutoff"],
        metrics["model"]["log_loss"],
        metrics["baseline"]["log_loss"],
        metrics["logistic"]["log_loss"],
        metrics["model"]["roc_auc"] or float("nan"),
        metrics["baseline"]["roc_auc"] or float("nan"),
    )

    created_at = created_at or datetime.now(UTC)
    data_hash = frame_hash(data)
    beats_baselines = bool(
        metrics["model"]["log_loss"] < min(metrics[name]["log_loss"] for name in baselines)
    )
    fit, calibration, test = slices["fit"], slices["calibration"], slices["test"]
    card = {
        "created_at": created_at.isoformat(timespec="seconds"),
        "as_of_date": as_of.isoformat(),
        "horizon_days": horizon_days,
        "target_days": list(target_days),
        "target": (
            f"paid within {horizon_days} days after the later of due date and snapshot; also "
            f"within {', '.join(map(str, target_days))} days, and the expected days"
        ),
        "estimator": _describe(model),
        "features": FEATURES,
        "categorical_features": CATEGORICAL_FEATURES,
        "training_window": {
            "snapshots": _span(data),
            "n_snapshots": int(data["as_of_date"].nunique()),
            "train_snapshots": _span(fit),
            "calibration_snapshots": _span(calibration),
            "test_snapshots": _span(test),
            "calibration_start": slices["calibration_start"].isoformat(),
            "cutoff_date": slices["cutoff"].isoformat(),
        },
        "data": {
            "data_hash": data_hash,
            "n_snapshot_rows": len(data),
            "debtor_sample_share": sample_per_10k / SAMPLE_SCALE,
            "n_train": len(fit),
            "n_calibration": len(calibration),
            "n_test": int(test["label"].notna().sum()),
            "positive_rate_train": float(fit["label"].mean()),
            "positive_rate_test": float(test["label"].mean()),
        },
        "metrics": metrics,
        "beats_baselines_on_log_loss": beats_baselines,
        "reliability": _reliability_bins(predictions),
        "backtest": [
            {"target": f"paid within {days} days", **values}
            for days, values in metrics["targets"].items()
        ],
        "feature_importance": importance,
        "images": {"reliability": "reliability.png", "lift": "lift.png"},
    }

    model_id = new_model_id(data_hash, created_at)
    with tempfile.TemporaryDirectory() as folder:
        images = _images(predictions, Path(folder), slices["cutoff"])
        save_model(models_dir, model_id, model, card, extra_files=images)
    with thread_limit(len(test)):
        promoted = promote_if_better(
            models_dir, model_id, test[test["label"].notna()], beats_baselines=beats_baselines
        )
    return {**card, "model_id": model_id, "promoted": promoted}


def model_to_keep(
    models_dir: Path,
    as_of: date,
    retrain_days: int,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> dict[str, Any] | None:
    """The card of the model to keep instead of training, with `model_id`, `promoted` and
    `kept_reason`; None when a run as of `as_of` must train.

    Kept: the model that scores `as_of` (`registry.model_id_for_date`: the promoted one, or
    for a past date the newest that learnt nothing after it) when its data ends on or before
    `as_of` and fewer than `retrain_days` days before it, it answers the same horizon and the
    features it needs are still built. `retrain_days` 0 never keeps a model.
    """
    if retrain_days <= 0 or not models_dir.is_dir():
        return None
    try:
        model_id = model_id_for_date(models_dir, as_of)
    except LookupError:
        return None
    card = load_card(models_dir, model_id)
    data_end = date.fromisoformat(card["as_of_date"])
    age_days = (as_of - data_end).days
    if not 0 <= age_days < retrain_days:
        return None
    if not (models_dir / model_id / MODEL_FILE).exists():
        return None
    if card["horizon_days"] != horizon_days or not set(card["features"]) <= set(FEATURES):
        return None

    promoted = model_id == promoted_model_id(models_dir)
    reason = (
        f"{'promoted ' if promoted else ''}model {model_id} learnt from data up to {data_end}, "
        f"{age_days} days before {as_of}; training is due from "
        f"{data_end + timedelta(days=retrain_days)} (every {retrain_days} days)"
    )
    logger.info("kept %s", reason)
    return {**card, "model_id": model_id, "promoted": promoted, "kept_reason": reason}
