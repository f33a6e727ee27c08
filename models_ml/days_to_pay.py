"""When will an invoice be paid: a distribution of days late per invoice, not one yes/no answer.

Days late (settled date minus due date) carries more than any single "paid by due date + k"
flag: an invoice paid 2 days late and one paid 40 days late are both "late", but the model
learns from the difference. The distribution has two parts:

- a location per invoice, the expected days late: a ridge regression on the features, then
  gradient boosting (HistGradientBoosting) on what the ridge leaves unexplained, so the trees
  start from a sound linear fit instead of from a constant and need few, small steps;
- a shape shared by all invoices: the residuals (observed minus expected days late) of a later
  slice the location model did not learn from. This is the calibration step: the chance of
  "paid within k days after due" is the share of those residuals at or below k minus the
  invoice's location.

From one fitted distribution come the probabilities for every k and the expected days late.
It needs every outcome observed (the IBM sample: all invoices settled), so it serves the
backtests; the warehouse, where open invoices are censored, uses models_ml/timing.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

MAX_CATEGORIES = 64


def linear_encoder(numeric: list[str], categorical: list[str]) -> ColumnTransformer:
    """Numeric: median-imputed with a missing flag, standardised; categorical: one-hot."""
    numeric_steps = make_pipeline(SimpleImputer(add_indicator=True), StandardScaler())
    one_hot = OneHotEncoder(handle_unknown="ignore", max_categories=MAX_CATEGORIES)
    return ColumnTransformer(
        [("numeric", numeric_steps, numeric), ("categorical", one_hot, categorical)]
    )


def tree_encoder(numeric: list[str], categorical: list[str]) -> ColumnTransformer:
    """Categoricals as ordinal codes (unknown ones missing) for native categorical splits."""
    ordinal = OrdinalEncoder(
        handle_unknown="use_encoded_value", unknown_value=np.nan, max_categories=MAX_CATEGORIES
    )
    return ColumnTransformer(
        [("categorical", ordinal, categorical), ("numeric", "passthrough", numeric)],
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")


class BoostedLinearRegressor(RegressorMixin, BaseEstimator):
    """Ridge regression, then gradient-boosted trees on its residuals."""

    def __init__(
        self,
        numeric: list[str],
        categorical: list[str],
        alpha: float = 30.0,
        learning_rate: float = 0.02,
        max_iter: int = 100,
        max_leaf_nodes: int = 4,
        min_samples_leaf: int = 50,
        l2_regularization: float = 5.0,
        random_state: int = 0,
    ) -> None:
        self.numeric = numeric
        self.categorical = categorical
        self.alpha = alpha
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> BoostedLinearRegressor:
        y = np.asarray(y, dtype=float)
        self.linear_ = Pipeline(
            [
                ("encode", linear_encoder(self.numeric, self.categorical)),
                ("ridge", Ridge(alpha=self.alpha)),
            ]
        ).fit(X, y)

        boost = HistGradientBoostingRegressor(
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            categorical_features=self.categorical,
            early_stopping=False,
            random_state=self.random_state,
        )
        self.boost_ = Pipeline(
            [("encode", tree_encoder(self.numeric, self.categorical)), ("boost", boost)]
        ).fit(X, y - self.linear_.predict(X))
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.linear_.predict(X) + self.boost_.predict(X)


class DaysLateDistribution(BaseEstimator):
    """P(days late <= k | invoice) for any k, from a location model and calibrated residuals."""

    def __init__(self, location: RegressorMixin) -> None:
        self.location = location

    def fit(self, X: pd.DataFrame, days_late: np.ndarray) -> DaysLateDistribution:
        """Fit the location; the residual shape is in-sample until `calibrate` replaces it."""
        self.location_ = clone(self.location).fit(X, days_late)
        self._set_residuals(X, days_late)
        return self

    def calibrate(self, X: pd.DataFrame, days_late: np.ndarray) -> DaysLateDistribution:
        """Take the residual shape from a slice the location model has not seen."""
        self._set_residuals(X, days_late)
        return self

    def _set_residuals(self, X: pd.DataFrame, days_late: np.ndarray) -> None:
        residuals = np.asarray(days_late, dtype=float) - self.location_.predict(X)
        self.residuals_ = np.sort(residuals)

    def expected_days_late(self, X: pd.DataFrame) -> np.ndarray:
        return self.location_.predict(X) + self.residuals_.mean()

    def p_within(self, X: pd.DataFrame, days: float) -> np.ndarray:
        """P(settled no later than `days` after due), kept off 0 and 1 by half a residual."""
        n_residuals = self.residuals_.size
        below = np.searchsorted(self.residuals_, days - self.location_.predict(X), side="right")
        return np.clip(below / n_residuals, 0.5 / n_residuals, 1 - 0.5 / n_residuals)
