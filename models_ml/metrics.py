"""How a payment model is judged, and the simple rule it has to beat.

The metrics are those a credit manager can read against the base rate: ROC AUC and PR AUC
(does it rank the positives above the rest), Brier score, log loss and the expected calibration
error (are its probabilities right: of the invoices given 70 %, do about 70 % turn out
positive). The baseline is the rule a credit team uses without a model: a debtor who paid on
time before will again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

CALIBRATION_BINS = 10


def expected_calibration_error(
    y_true: np.ndarray, p_positive: np.ndarray, n_bins: int = CALIBRATION_BINS
) -> float:
    """Mean gap between predicted and observed rate over equal-width probability bins.

    Each bin's gap |mean(p) - mean(y)| is weighted by its share of the rows.
    """
    y_true = np.asarray(y_true, dtype=float)
    p_positive = np.asarray(p_positive, dtype=float)
    bins = np.minimum((p_positive * n_bins).astype(int), n_bins - 1)
    predicted = np.bincount(bins, weights=p_positive, minlength=n_bins)
    observed = np.bincount(bins, weights=y_true, minlength=n_bins)
    return float(np.abs(predicted - observed).sum() / max(y_true.size, 1))


def classification_metrics(y_true: np.ndarray, p_positive: np.ndarray) -> dict[str, float | None]:
    """ROC and PR AUC (None when the slice holds one class only), Brier score, log loss, ECE."""
    y_true = np.asarray(y_true)
    p_positive = np.asarray(p_positive, dtype=float)
    has_both_classes = np.unique(y_true).size == 2
    return {
        "roc_auc": float(roc_auc_score(y_true, p_positive)) if has_both_classes else None,
        "pr_auc": float(average_precision_score(y_true, p_positive)) if has_both_classes else None,
        "brier": float(brier_score_loss(y_true, p_positive, labels=[0, 1])),
        "log_loss": float(log_loss(y_true, p_positive, labels=[0, 1])),
        "ece": expected_calibration_error(y_true, p_positive),
        "positive_rate": float(y_true.mean()),
        "n_samples": int(y_true.size),
    }


class DebtorOnTimeBaseline(ClassifierMixin, BaseEstimator):
    """P(paid) = the debtor's share of invoices paid on time so far, shrunk towards the base rate.

    Reads two features: `hist_settled_count` and `hist_late_share`. A debtor without settled
    history gets the base rate of the training labels; one with n settled invoices gets
    (on_time + prior_strength * base_rate) / (n + prior_strength).
    """

    def __init__(self, prior_strength: float = 5.0) -> None:
        self.prior_strength = prior_strength

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> DebtorOnTimeBaseline:
        """Learn the base rate, the prior for debtors without history."""
        y = np.asarray(y)
        self.classes_ = np.array([0, 1])
        self.base_rate_ = float(y.mean())
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        settled = X["hist_settled_count"].fillna(0).to_numpy(dtype=float)
        on_time = settled * (1 - X["hist_late_share"].fillna(0).to_numpy(dtype=float))
        p_paid = (on_time + self.prior_strength * self.base_rate_) / (settled + self.prior_strength)
        return np.column_stack([1 - p_paid, p_paid])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)
