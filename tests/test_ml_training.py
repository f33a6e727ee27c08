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
    debtor_sample_per_10k,
    label_within,
    monthly_snapshot_dates,
    observed_until,
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

    data = observed_until(build_training_set(con, [snapshot], known_by), known_by, 14)
    known = data[data["label"].notna()]
    labels = dict(zip(known["document_id"], known["label"].astype(int), strict=True))

    assert labels == {
        "AT_BOUNDARY": 1,
        "ONE_DAY_LATE": 0,
        "NEVER_PAID": 0,
        "OVERDUE_PAID": 1,
        "OVERDUE_LATE": 0,
    }
    days = dict(zip(data["document_id"], data["days_to_settle"], strict=True))
    assert days["AT_BOUNDARY"] == 14 and days["OVERDUE_PAID"] == 14
    assert days["WINDOW_OPEN"] == -10
    assert pd.isna(days["NEVER_PAID"])
    # Seen from 2024-02-10 instead: none of the 14-day windows had closed yet.
    earlier = observed_until(data, date(2024, 2, 10), 14)
    assert earlier["label"].isna().all()
    assert label_within(earlier, 0).notna().sum() == 2  # the two already overdue


def test_snapshots_are_month_ends_whose_labels_can_be_known(tmp_path):
    con = make_warehouse(tmp_path / "w.duckdb", GroupSpec(n_invoices=200), AS_OF)

    snapshots = monthly_snapshot_dates(con, AS_OF, horizon_days=14)

    assert snapshots[0] == date(2023, 1, 31)
    assert snapshots[-1] == date(2024, 11, 30)
    assert len(snapshots) == 23


@pytest.fixture(scope="module")
def group_warehouse(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    return make_warehouse(tmp_path_factory.mktemp("group") / "w.duckdb", GroupSpec(), AS_OF)


def test_time_split_sees_each_slice_as_it_was_known_when_the_next_began(group_warehouse):
    snapshots = monthly_snapshot_dates(group_warehouse, AS_OF, 14)
    data = build_training_set(group_warehouse, snapshots, AS_OF)

    slices = time_split(data, AS_OF, 14)

    fit, calibration, test = slices["fit"], slices["calibration"], slices["test"]
    calibration_start = pd.Timestamp(slices["calibration_start"])
    cutoff = pd.Timestamp(slices["cutoff"])
    assert fit["as_of_date"].max() < calibration_start <= calibration["as_of_date"].min()
    assert calibration["as_of_date"].max() < cutoff <= test["as_of_date"].min()
    window_end = fit["origin_date"] + pd.Timedelta(days=14)
    assert (window_end[fit["label"].notna()] < calibration_start).all()
    assert fit.loc[fit["settled_date"] > calibration_start, "days_to_settle"].isna().all()
    window_end = calibration["origin_date"] + pd.Timedelta(days=14)
    assert (window_end[calibration["label"].notna()] < cutoff).all()
    assert 0.25 <= len(test) / len(data) <= 0.4
    assert 0.15 <= len(calibration) / len(data) <= 0.3


def test_a_large_group_trains_on_a_sample_of_debtors_holding_about_the_limit(group_warehouse):
    issued = group_warehouse.execute(
        "select count(*) from marts.fct_invoices where issue_date <= $t", {"t": AS_OF}
    ).fetchall()[0][0]
    assert debtor_sample_per_10k(group_warehouse, AS_OF, None) == 10_000
    assert debtor_sample_per_10k(group_warehouse, AS_OF, issued) == 10_000
    share = debtor_sample_per_10k(group_warehouse, AS_OF, issued // 4)
    assert 2_400 <= share <= 2_500

    snapshots = monthly_snapshot_dates(group_warehouse, AS_OF, 14)
    full = build_training_set(group_warehouse, snapshots, AS_OF)
    sampled = build_training_set(group_warehouse, snapshots, AS_OF, share)
    assert 0.1 < len(sampled) / len(full) < 0.45
    assert set(sampled["customer_id"]) < set(full["customer_id"])


@pytest.fixture(scope="module")
def first_training(group_warehouse, tmp_path_factory) -> tuple[dict, Path]:
    models_dir = tmp_path_factory.mktemp("models")
    created_at = datetime(2025, 1, 1, tzinfo=UTC)
    card = train_payment_model(group_warehouse, models_dir, AS_OF, created_at=created_at)
    return card, models_dir


def test_model_ranks_late_payers_below_punctual_ones_and_beats_baselines(first_training):
    card, models_dir = first_training

    metrics = card["metrics"]
    model = metrics["model"]
    assert model["roc_auc"] > 0.9
    for baseline in ("baseline", "logistic"):
        assert model["roc_auc"] >= metrics[baseline]["roc_auc"], baseline
        assert model["log_loss"] < metrics[baseline]["log_loss"], baseline
    assert model["ece"] < 0.06
    assert card["promoted"] and promoted_model_id(models_dir) == card["model_id"]

    saved = json.loads((models_dir / card["model_id"] / CARD_FILE).read_text())
    assert saved["data"]["n_test"] == model["n_samples"]
    assert saved["data"]["debtor_sample_share"] == 1.0
    assert saved["horizon_days"] == 14
    window = saved["training_window"]
    assert window["train_snapshots"][1] < window["calibration_start"]
    assert window["calibration_snapshots"][1] < window["cutoff_date"]
    assert window["cutoff_date"] == window["test_snapshots"][0]


def test_card_holds_every_target_the_days_and_the_pictures(first_training):
    card, models_dir = first_training

    targets = card["metrics"]["targets"]
    assert card["target_days"] == [0, 14, 30]
    assert set(targets) == {"0", "14", "30"}
    assert [row["target"] for row in card["backtest"]] == [
        f"paid within {k} days" for k in (0, 14, 30)
    ]
    rates = [targets[k]["positive_rate"] for k in ("0", "14", "30")]
    assert rates == sorted(rates) and rates[0] < rates[-1]
    assert all(targets[k]["roc_auc"] > 0.85 for k in targets)
    assert card["metrics"]["days_to_pay"]["mae_days"] < 30
    assert (
        sum(bin_["count"] for bin_ in card["reliability"]) == card["metrics"]["model"]["n_samples"]
    )
    assert {row["feature"] for row in card["feature_importance"]} == set(card["features"])
    top = card["feature_importance"][0]
    assert top["log_loss_increase"] > 0.01
    for image in card["images"].values():
        assert (models_dir / card["model_id"] / image).read_bytes()[:4] == b"\x89PNG"


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

    card = train_payment_model(
        con, tmp_path / "models", AS_OF, horizon_days=7, target_days=(7, 21, 45)
    )

    assert card["horizon_days"] == 7
    assert card["target_days"] == [7, 21, 45]
    assert set(card["metrics"]["targets"]) == {"7", "21", "45"}
    assert card["metrics"]["model"]["roc_auc"] > 0.8


@pytest.mark.parametrize(
    ("n_invoices", "message"), [(0, "too little history"), (40, "need at least 100 training")]
)
def test_thin_history_fails_with_a_clear_message(tmp_path, n_invoices, message):
    con = make_warehouse(tmp_path / "w.duckdb", GroupSpec(n_invoices=n_invoices), AS_OF)

    with pytest.raises(InsufficientDataError, match=message):
        train_payment_model(con, tmp_path / "models", AS_OF)
