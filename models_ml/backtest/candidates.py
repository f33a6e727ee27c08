"""The models a backtest compares: two baselines and two gradient-boosted candidates.

Every candidate answers the same question, P(the invoice is paid more than `late_after_days`
days after its due date), and is fitted the same way: `fit(fit_slice, calibration_slice)`.
The baselines ignore the calibration slice and learn from both slices; the candidates learn
from the earlier slice and calibrate on the later one, which the fit never saw.

- past_late_rate: the debtor's own share of late payments so far, shrunk towards the base rate
  for debtors with little history (what a credit team does without a model);
- logistic: a regularised logistic regression on the same features as the candidates;
- hgb_classifier: HistGradientBoosting on the yes/no label, Platt-scaled on the later slice;
- days_to_pay: the distribution of days late (ridge plus boosted trees on its residuals), its
  shape taken from the later slice; it also answers "how many days late".
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from models_ml.days_to_pay import (
    BoostedLinearRegressor,
    DaysLateDistribution,
    linear_encoder,
    tree_encoder,
)
from models_ml.metrics import DebtorOnTimeBaseline

RANDOM_STATE = 0


class Candidate(Protocol):
    name: str
    is_baseline: bool

    def fit(self, fit_slice: pd.DataFrame, calibration: pd.DataFrame) -> Candidate: ...

    def p_late(self, frame: pd.DataFrame) -> np.ndarray: ...

    def days_late(self, frame: pd.DataFrame) -> np.ndarray | None: ...


class PastLateRate:
    """The debtor's share of invoices paid late so far, and its mean days late.

    Reads `hist_settled_count`, `hist_late_share` and `hist_mean_days_late`.
    """

    name = "past_late_rate"
    is_baseline = True

    def fit(self, fit_slice: pd.DataFrame, calibration: pd.DataFrame) -> PastLateRate:
        both = pd.concat([fit_slice, calibration])
        self.on_time_ = DebtorOnTimeBaseline().fit(both, 1 - both["label"].to_numpy())
        self.mean_days_late_ = float(both["days_late"].mean())
        return self

    def p_late(self, frame: pd.DataFrame) -> np.ndarray:
        return 1 - self.on_time_.predict_proba(frame)[:, 1]

    def days_late(self, frame: pd.DataFrame) -> np.ndarray | None:
        """The debtor's own mean days late so far; the overall mean without history."""
        return frame["hist_mean_days_late"].fillna(self.mean_days_late_).to_numpy(dtype=float)


class Logistic:
    """L2-regularised logistic regression on imputed, standardised and one-hot features."""

    name = "logistic"
    is_baseline = True

    def __init__(self, numeric: list[str], categorical: list[str], c: float = 0.1) -> None:
        self.numeric, self.categorical, self.c = numeric, categorical, c

    def fit(self, fit_slice: pd.DataFrame, calibration: pd.DataFrame) -> Logistic:
        both = pd.concat([fit_slice, calibration])
        self.model_ = Pipeline(
            [
                ("encode", linear_encoder(self.numeric, self.categorical)),
                ("classify", LogisticRegression(C=self.c, max_iter=2000)),
            ]
        ).fit(both, both["label"])
        return self

    def p_late(self, frame: pd.DataFrame) -> np.ndarray:
        return self.model_.predict_proba(frame)[:, 1]

    def days_late(self, frame: pd.DataFrame) -> np.ndarray | None:
        return None


class BoostedClassifier:
    """HistGradientBoosting on the yes/no label, Platt-scaled on the calibration slice."""

    name = "hgb_classifier"
    is_baseline = False

    def __init__(self, numeric: list[str], categorical: list[str]) -> None:
        self.numeric, self.categorical = numeric, categorical

    def fit(self, fit_slice: pd.DataFrame, calibration: pd.DataFrame) -> BoostedClassifier:
        classify = HistGradientBoostingClassifier(
            learning_rate=0.03,
            max_iter=300,
            max_leaf_nodes=4,
            min_samples_leaf=30,
            l2_regularization=10.0,
            categorical_features=self.categorical,
            early_stopping=False,
            random_state=RANDOM_STATE,
        )
        model = Pipeline(
            [("encode", tree_encoder(self.numeric, self.categorical)), ("classify", classify)]
        ).fit(fit_slice, fit_slice["label"])
        self.model_ = CalibratedClassifierCV(FrozenEstimator(model), method="sigmoid").fit(
            calibration, calibration["label"]
        )
        return self

    def p_late(self, frame: pd.DataFrame) -> np.ndarray:
        return self.model_.predict_proba(frame)[:, 1]

    def days_late(self, frame: pd.DataFrame) -> np.ndarray | None:
        return None


class DaysToPay:
    """The days-late distribution; P(late) = 1 - P(days late <= late_after_days)."""

    name = "days_to_pay"
    is_baseline = False

    def __init__(
        self, numeric: list[str], categorical: list[str], late_after_days: float = 0.0
    ) -> None:
        self.numeric, self.categorical = numeric, categorical
        self.late_after_days = late_after_days

    def fit(self, fit_slice: pd.DataFrame, calibration: pd.DataFrame) -> DaysToPay:
        location = BoostedLinearRegressor(self.numeric, self.categorical)
        self.model_ = DaysLateDistribution(location).fit(fit_slice, fit_slice["days_late"])
        self.model_.calibrate(calibration, calibration["days_late"])
        return self

    def p_late(self, frame: pd.DataFrame) -> np.ndarray:
        return 1 - self.model_.p_within(frame, self.late_after_days)

    def days_late(self, frame: pd.DataFrame) -> np.ndarray | None:
        return self.model_.expected_days_late(frame)


def standard_candidates(numeric: list[str], categorical: list[str]) -> list[Candidate]:
    """The baselines first, then the candidates the choice is made between."""
    return [
        PastLateRate(),
        Logistic(numeric, categorical),
        BoostedClassifier(numeric, categorical),
        DaysToPay(numeric, categorical),
    ]
