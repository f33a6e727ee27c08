"""Model folder round trip and the promotion rule: a worse model never replaces a better one."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from models_ml.registry import (
    PROMOTED_FILE,
    NoModelForDateError,
    NoPromotedModelError,
    frame_hash,
    load_for_date,
    load_model,
    load_promoted,
    new_model_id,
    promote_if_better,
    promoted_model_id,
    promotion_history,
    save_model,
)


@pytest.fixture(scope="module")
def slices() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A feature `x` that predicts the label well; train before 2024-07, test after."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=600)
    frame = pd.DataFrame(
        {
            "x": x,
            "label": (x + rng.normal(scale=0.5, size=600) > 0).astype(int),
            "as_of_date": pd.to_datetime(np.repeat(["2024-01-31", "2024-07-31"], 300)),
        }
    )
    return frame.iloc[:300], frame.iloc[300:]


def _register(
    models_dir: Path, name: str, estimator: object, train: pd.DataFrame, **card: object
) -> str:
    estimator.fit(train[["x"]], train["label"])
    card = {
        "horizon_days": 14,
        "features": ["x"],
        "training_window": {"cutoff_date": "2024-07-31"},
        **card,
    }
    save_model(models_dir, name, estimator, card)
    return name


def test_saved_model_loads_with_the_same_predictions_and_card(tmp_path, slices):
    train, test = slices
    model_id = _register(tmp_path, "m1", LogisticRegression(), train, note="first")

    model, card = load_model(tmp_path, model_id)

    assert card["note"] == "first" and card["model_id"] == "m1" and "sklearn_version" in card
    expected = LogisticRegression().fit(train[["x"]], train["label"]).predict_proba(test[["x"]])
    np.testing.assert_allclose(model.predict_proba(test[["x"]]), expected)
    assert not list(tmp_path.glob(".*"))


def test_a_worse_model_is_not_promoted_and_a_better_one_is(tmp_path, slices):
    train, test = slices
    good = _register(tmp_path, "good", LogisticRegression(), train)
    worse = _register(tmp_path, "worse", DummyClassifier(strategy="prior"), train)

    assert promote_if_better(tmp_path, good, test) is True
    assert promote_if_better(tmp_path, worse, test) is False
    assert promoted_model_id(tmp_path) == good

    other_dir = tmp_path / "other"
    for name, estimator in (("worse", DummyClassifier()), ("good", LogisticRegression())):
        _register(other_dir, name, estimator, train)
    assert promote_if_better(other_dir, "worse", test) is True
    assert promote_if_better(other_dir, "good", test) is True
    pointer = json.loads((other_dir / PROMOTED_FILE).read_text())
    assert pointer["model_id"] == "good" and pointer["previous_model_id"] == "worse"
    assert pointer["log_loss"] < pointer["previous_log_loss"]


def test_no_comparison_on_rows_the_promoted_model_trained_on(tmp_path, slices):
    train, test = slices
    _register(tmp_path, "old", DummyClassifier(), train)
    promote_if_better(tmp_path, "old", test)
    _register(
        tmp_path, "new", LogisticRegression(), train, training_window={"cutoff_date": "2024-01-31"}
    )
    old_test_rows = pd.concat([train, test])
    old_test_rows = old_test_rows[old_test_rows["as_of_date"] < pd.Timestamp("2024-07-31")]

    assert promote_if_better(tmp_path, "new", old_test_rows) is False
    assert promoted_model_id(tmp_path) == "old"


def test_a_new_horizon_replaces_the_promoted_model(tmp_path, slices):
    train, test = slices
    _register(tmp_path, "h14", LogisticRegression(), train)
    promote_if_better(tmp_path, "h14", test)
    _register(tmp_path, "h7", DummyClassifier(), train, horizon_days=7)

    assert promote_if_better(tmp_path, "h7", test) is True


def test_scoring_without_a_promoted_model_says_so(tmp_path):
    with pytest.raises(NoPromotedModelError, match="train a payment model"):
        load_promoted(tmp_path)


def test_model_id_is_sortable_time_then_data_hash():
    created_at = datetime(2025, 1, 31, 6, 5, 4, tzinfo=UTC)

    assert new_model_id("abcdef0123456789", created_at) == "20250131T060504Z-abcdef0123"


def test_a_past_date_is_scored_by_a_model_that_learnt_nothing_after_it(tmp_path, slices):
    train, test = slices
    _register(tmp_path, "2024-06", DummyClassifier(), train, as_of_date="2024-06-30")
    _register(tmp_path, "2024-09", LogisticRegression(), train, as_of_date="2024-09-30")
    promote_if_better(tmp_path, "2024-06", test)
    promote_if_better(tmp_path, "2024-09", test)
    assert promoted_model_id(tmp_path) == "2024-09"

    assert load_for_date(tmp_path, date(2024, 9, 30))[0] == "2024-09"
    assert load_for_date(tmp_path, date(2024, 7, 31))[0] == "2024-06"
    with pytest.raises(NoModelForDateError, match="CM_AS_OF_DATE=2024-05-31"):
        load_for_date(tmp_path, date(2024, 5, 31))


def test_a_first_model_below_the_baselines_is_promoted_and_flagged(tmp_path, slices):
    train, test = slices
    _register(tmp_path, "weak", DummyClassifier(), train)

    assert promote_if_better(tmp_path, "weak", test, beats_baselines=False) is True
    [record] = promotion_history(tmp_path)
    assert record["model_id"] == "weak" and record["beats_baselines"] is False


def test_data_hash_ignores_row_order_and_float_noise():
    frame = pd.DataFrame({"invoice_id": ["a", "b", "c"], "amount": [0.1 + 0.2, 1.0, 2.5]})
    shuffled = frame.iloc[[2, 0, 1]].assign(amount=lambda f: f["amount"] + 1e-12)

    assert frame_hash(frame) == frame_hash(shuffled)
    assert frame_hash(frame) != frame_hash(frame.assign(amount=[0.3, 1.0, 2.6]))
