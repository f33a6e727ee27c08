"""The payment-timing model on a synthetic set whose answer is known, censoring included.

Days to pay after origin are drawn from two exponential curves (mean 8 days for good payers,
30 for slow ones, shifted 5 days early); every invoice is observed for a random number of
days, and those not paid by then are censored. The model must recover the true chance of
"paid within k days" for each k, and the true mean days restricted to its window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models_ml.timing import PaymentTimingModel, stack

GRID = (-5, 0, 14, 30, 60)
MEAN_DAYS = {0: 8.0, 1: 30.0}
SHIFT = -5


def true_cdf(slow: int, k: float) -> float:
    return 1 - np.exp(-max(k - SHIFT, 0) / MEAN_DAYS[slow])


def true_restricted_mean(slow: int) -> float:
    ks = np.linspace(GRID[0], GRID[-1], 2001)
    unpaid = 1 - np.array([true_cdf(slow, k) for k in ks])
    return GRID[0] + float(np.trapezoid(unpaid, ks))


def draw(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    slow = rng.integers(0, 2, size=n)
    noise = rng.normal(size=n)
    days = SHIFT + rng.exponential(np.where(slow == 1, MEAN_DAYS[1], MEAN_DAYS[0]))
    settled_on_day = np.ceil(days)
    observed_for = rng.uniform(0, 120, size=n)
    days_to_settle = np.where(settled_on_day <= observed_for, settled_on_day, np.nan)
    return pd.DataFrame({"slow": slow, "noise": noise}), days_to_settle, observed_for


@pytest.fixture(scope="module")
def model() -> PaymentTimingModel:
    X, days_to_settle, censor = draw(6000, seed=1)
    fit = slice(0, 4000)
    calibration = slice(4000, None)
    model = PaymentTimingModel(["slow", "noise"], [], grid=GRID, primary_days=14)
    model.fit(X[fit], days_to_settle[fit], censor[fit])
    return model.calibrate(X[calibration], days_to_settle[calibration], censor[calibration])


def test_censored_invoices_count_only_for_windows_that_closed():
    X = pd.DataFrame({"slow": [0, 0, 1]})
    days_to_settle = np.array([3.0, np.nan, 20.0])
    observed_for = np.array([10.0, 10.0, 40.0])

    stacked, labels = stack(X, days_to_settle, observed_for, (0, 14, 30))

    pairs = sorted(zip(stacked["days_after_origin"], stacked["slow"], labels, strict=True))
    # The early payer observed 10 days counts for k = 0 only (its k = 14 window had not
    # closed), the unpaid one too (as a "no"), the third for every k.
    assert pairs == [(0.0, 0, 0), (0.0, 0, 0), (0.0, 1, 0), (14.0, 1, 0), (30.0, 1, 1)]


@pytest.fixture(scope="module")
def fresh() -> pd.DataFrame:
    return draw(4000, seed=2)[0]


def test_recovers_the_true_chance_of_payment_for_every_k(model, fresh):
    cdf = model.predict_cdf(fresh)

    for slow, predicted in cdf.groupby(fresh["slow"]):
        for k in GRID:
            assert predicted[k].mean() == pytest.approx(true_cdf(slow, k), abs=0.03), (slow, k)
    assert (np.diff(cdf.to_numpy(), axis=1) >= 0).all()


def test_recovers_the_restricted_mean_days(model, fresh):
    expected = pd.Series(model.expected_days(model.predict_cdf(fresh))).groupby(fresh["slow"])

    # Trapezoids between grid points overstate the area under a convex curve a little.
    for slow, days in expected:
        assert days.mean() == pytest.approx(true_restricted_mean(slow), abs=2.5), slow
    assert expected.mean()[1] - expected.mean()[0] > 10


def test_predict_proba_answers_the_primary_target(model):
    X = pd.DataFrame({"slow": [0, 1], "noise": [0.0, 0.0]})

    proba = model.predict_proba(X)

    cdf = model.predict_cdf(X)[14].to_numpy()
    assert (proba[:, 1] <= cdf + 1e-12).all()
    np.testing.assert_allclose(proba[:, 1], cdf, atol=0.02)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
