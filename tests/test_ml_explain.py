"""Explanations: the right feature comes first, in words, with the direction of its effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from models_ml.explain import (
    describe,
    global_importance,
    reference_values,
    top_factors,
    what_if_effects,
)


def test_values_read_as_plain_words():
    assert describe("hist_late_share", 0.8) == "paid 80% of earlier invoices late"
    assert describe("days_past_due", -12.0) == "due in 12 days"
    assert describe("days_past_due", 1.0) == "1 day past due"
    assert describe("hist_mean_days_late", 0.2) == "paid on time on average"
    assert describe("hist_mean_days_late", float("nan")) == "no history for hist mean days late"
    assert describe("segment", "key") == "segment key"


def test_the_factor_that_moved_the_score_most_comes_first_with_its_sign():
    frame = pd.DataFrame(
        {
            "hist_late_share": [0.8, 0.1, 0.3, 0.3],
            "days_past_due": [0.0, 0.0, 40.0, 0.0],
            "segment": ["key", "key", "key", "small"],
        }
    )

    def predict(rows: pd.DataFrame) -> np.ndarray:
        small = (rows["segment"] == "small").to_numpy()
        return 0.9 - 0.5 * rows["hist_late_share"] - 0.005 * rows["days_past_due"] - 0.2 * small

    usual = reference_values(frame, ["hist_late_share", "days_past_due"], ["segment"])
    factors = top_factors(what_if_effects(predict, frame, usual), frame)

    usual_late_share = np.average(usual["hist_late_share"][0], weights=usual["hist_late_share"][1])
    usual_days = np.average(usual["days_past_due"][0], weights=usual["days_past_due"][1])
    assert usual["segment"] == (["key", "small"], [0.75, 0.25])

    def points(effect: float) -> str:
        return f"{effect * 100:+.0f} points"

    assert factors.loc[0, "factor_1"] == (
        f"paid 80% of earlier invoices late: {points(-0.5 * (0.8 - usual_late_share))}"
    )
    assert factors.loc[1, "factor_1"] == (
        f"paid 10% of earlier invoices late: {points(-0.5 * (0.1 - usual_late_share))}"
    )
    assert factors.loc[2, "factor_1"] == f"40 days past due: {points(-0.005 * (40 - usual_days))}"
    assert factors.loc[3, "factor_1"] == f"segment small: {points(-0.2 * 0.75)}"
    assert (
        f"due today: {points(0.005 * usual_days)}"
        in factors.loc[3, ["factor_2", "factor_3"]].values
    )


def test_global_importance_ranks_the_informative_feature_first():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"noise": rng.normal(size=2000), "signal": rng.normal(size=2000)})
    y = (frame["signal"] + rng.normal(scale=0.5, size=2000) > 0).astype(int).to_numpy()
    model = LogisticRegression().fit(frame, y)

    ranked = global_importance(model, frame, y, ["noise", "signal"])

    assert [row["feature"] for row in ranked] == ["signal", "noise"]
    assert ranked[0]["log_loss_increase"] > 0.3
    assert ranked[1]["log_loss_increase"] == pytest.approx(0, abs=0.01)
