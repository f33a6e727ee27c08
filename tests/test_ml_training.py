"""Labels at the horizon boundary, the time split, and training on rich and thin data."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from ml_fixtures import GroupSpec, hand_made_history, make_warehouse, write_marts

from models_ml.registry import CARD_FILE, promoted_model_id
from models_ml.training import (
    InsufficientDataError,
    build_training_set,
    monthly_snapshot_dates,
    time_split,
    train_payment_model,
)

AS_OF = date(2024, 12, 31)


def test_label_is_paid_by_the_later_of_due_date_and_snapshot_plus_horizon(tmp_path):
    snapshot = date(2024, 1, 31)
    history = hand_made_history(
        invoices=[
            # due after the snapshot: the window ends at due + 14 = 2024-02-29
            ("AT_BOUNDARY", "2024-01-15", "2024-02-15", 10.0, "2024-02-29"),
            ("ONE_DAY_LATE", "2024-01-15", "2024-02-15", 10.0, "2024-03-01"),
            ("NEVER_PAID", "2024-01-15", "2024-02-15", 10.0, None),
            # overdue at the snapshot: the window ends at snapshot + 14 = 2024-02-14
            ("OVERDUE_PAID", "2023-12-01", "2024-01-10", 10.0, "2024-02-14"),
            ("OVERDUE_LATE", "2023-12-01", "2024-01-10", 10.0, "2024-02-15"),
            # the window ends on or after the warehouse date: the label is not known yet
            ("WINDOW_OPEN", "2024-01-20", "2024-03-01", 10.0, "2024-02-20"),
            ("SETTLED_BEFORE", "2024-01-02", "2024-01-20", 10.0, "2024-01-30"),
        ]
    )
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    known_by = date(2024, 3, 15)
    write_marts(con, history, known_by)

    data = build_training_set(con, [snapshot], horizon_days=14, known_by=known_by)
    labels = dict(zip(data["document_id"], data["label"], strict=True))

    assert labels == {
        "AT_BOUNDARY": 1,
        "ONE_DAY_LATE": 0,
        "NEVER_PAID": 0,
        "OVERDUE_PAID": 1,
        "OVERDUE_LATE": 0,
    }


def test_snapshots_are_month_ends_whose_labels_can_be_known(tmp_path):
    con = make_warehouse(tmp_path / "w.duckdb", GroupSpec(n_invoices=200), AS_OF)

    snapshots = monthly_snapshot_dates(con, AS_OF, horizon_days=14)

    assert snapshots[0] == date(2023, 1, 31)
    assert snapshots[-1] == date(2024, 11, 30)
    assert len(snapshots) == 23


@pytest.fixture(scope="module")
def group_warehouse(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    return make_warehouse(tmp_path_factory.mktemp("group") / "w.duckdb", GroupSpec(), AS_OF)


def test_time_split_keeps_training_labels_before_the_test_period(group_warehouse):
    snapshots = monthly_snapshot_dates(group_warehouse, AS_OF, 14)
    data = build_training_set(group_warehouse, snapshots, 14, AS_OF)

    train, test, cutoff = time_split(data)

    cutoff_ts = pd.Timestamp(cutoff)
    assert (train["label_date"] < cutoff_ts).all()
    assert (train["as_of_date"] <= cutoff_ts - pd.Timedelta(days=15)).all()
    assert (test["as_of_date"] >= cutoff_ts).all()
    assert 0.25 <= len(test) / len(data) <= 0.4


@pytest.fixture(scope="module")
def first_training(group_warehouse, tmp_path_factory) -> tuple[dict, Path]:
    models_dir = tmp_path_factory.mktemp("models")
    created_at = datetime(2025, 1, 1, tzinfo=UTC)
    card = train_payment_model(group_warehouse, models_dir, AS_OF, created_at=created_at)
    return card, models_dir


def test_model_ranks_late_payers_below_punctual_ones_and_beats_baseline(first_training):
    card, models_dir = first_training

    model, baseline = card["metrics"]["model"], card["metrics"]["baseline"]
    assert model["roc_auc"] > 0.9
    assert model["roc_auc"] >= baseline["roc_auc"]
    assert model["log_loss"] < baseline["log_loss"]
    assert card["promoted"] and promoted_model_id(models_dir) == card["model_id"]

    saved = json.loads((models_dir / card["model_id"] / CARD_FILE).read_text())
    assert saved["data"]["n_test"] == model["n_samples"]
    assert saved["horizon_days"] == 14
    window = saved["training_window"]
    assert window["train_snapshots"][1] < window["cutoff_date"] == window["test_snapshots"][0]


def test_retraining_on_the_same_data_is_reproducible_and_keeps_the_promoted_model(
    group_warehouse, first_training
):
    first, models_dir = first_training

    again = train_payment_model(
        group_warehouse, models_dir, AS_OF, created_at=datetime(2025, 1, 2, tzinfo=UTC)
    )

    assert again["data"]["data_hash"] == first["data"]["data_hash"]
    assert again["metrics"] == first["metrics"]
    assert again["model_id"] != first["model_id"]
    assert not again["promoted"]
    assert promoted_model_id(models_dir) == first["model_id"]


def test_training_on_a_sample_without_contacts_segments_or_languages(tmp_path):
    spec = GroupSpec(
        n_entities=5,
        n_customers=100,
        n_invoices=2466,
        terms_days=(30,),
        with_contacts=False,
        with_segments=False,
        seed=11,
    )
    con = make_warehouse(tmp_path / "w.duckdb", spec, AS_OF)

    card = train_payment_model(con, tmp_path / "models", AS_OF, horizon_days=7)

    assert card["horizon_days"] == 7
    assert card["metrics"]["model"]["roc_auc"] > 0.8


@pytest.mark.parametrize(
    ("n_invoices", "message"), [(0, "too little history"), (40, "need at least 100 training")]
)
def test_thin_history_fails_with_a_clear_message(tmp_path, n_invoices, message):
    con = make_warehouse(tmp_path / "w.duckdb", GroupSpec(n_invoices=n_invoices), AS_OF)

    with pytest.raises(InsufficientDataError, match=message):
        train_payment_model(con, tmp_path / "models", AS_OF)
