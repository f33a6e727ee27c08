"""Why a score is what it is, in words a credit manager reads without a statistics course.

Global: permutation importance on the test slice: how much worse (log loss) the model gets when
one feature's values are shuffled across invoices. The features that matter most come first.

Per invoice (and so per debtor): a what-if. Each of the most important features in turn is
given the values other invoices have (five quantiles from the training data, or the common
categories by their share)
and the invoice is scored again; how far its chance of payment lies from the average of those
what-ifs is that feature's effect: what this debtor's own value does compared with a usual one.
The two or three largest effects, with the invoice's own values, become the sentence: "paid 80%
of earlier invoices late: -21 points". The effects do not add up to the score (features
interact), but they say which facts about this debtor moved it most, and in which direction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance

MAX_IMPORTANCE_ROWS = 5000
N_FACTORS = 3
QUANTILES = np.linspace(0.1, 0.9, 5)
MAX_EXPLAINED_FEATURES = 8
MAX_CATEGORIES = 10
MIN_EFFECT = 0.005
RANDOM_STATE = 0


def _days(value: float, ahead: str, behind: str, zero: str = "on the day") -> str:
    days = round(abs(value))
    if days == 0:
        return zero
    text = ahead if value < 0 else behind
    return text.format(f"{days} day" if days == 1 else f"{days} days")


PHRASES: dict[str, Callable[[Any], str]] = {
    "amount_base": lambda v: f"invoice of {v:,.0f} in group currency",
    "amount_to_median_ratio": lambda v: f"invoice {v:.1f} times the debtor's usual amount",
    "terms_days": lambda v: f"payment terms of {v:.0f} days",
    "days_past_due": lambda v: _days(v, "due in {}", "{} past due", "due today"),
    "is_due_month_end": lambda v: "due at a month end" if v else "due mid-month",
    "hist_settled_count": lambda v: f"{v:.0f} invoices paid before",
    "hist_late_share": lambda v: f"paid {v:.0%} of earlier invoices late",
    "hist_mean_days_late": lambda v: _days(
        v, "paid {} early on average", "paid {} late on average", "paid on time on average"
    ),
    "recent_mean_days_late": lambda v: _days(
        v,
        "paid the last invoices {} early",
        "paid the last invoices {} late",
        "paid the last invoices on time",
    ),
    "days_since_last_payment": lambda v: f"last payment {v:.0f} days ago",
    "open_invoice_count": lambda v: f"{v:.0f} invoices open",
    "open_amount_base": lambda v: f"{v:,.0f} open in group currency",
    "overdue_invoice_count": lambda v: f"{v:.0f} invoices overdue",
    "overdue_amount_base": lambda v: f"{v:,.0f} overdue in group currency",
    "invoice_reminder_count": lambda v: f"{v:.0f} reminders sent for this invoice",
    "debtor_reminders_90d": lambda v: f"{v:.0f} reminders to this debtor in 90 days",
    "hist_paid_after_reminder_share": lambda v: f"paid {v:.0%} of reminded invoices within 14 days",
    "hist_direct_debit_share": lambda v: f"{v:.0%} of payments by direct debit",
    "customer_type": lambda v: f"customer type {v}",
    "segment": lambda v: f"segment {v}",
    "division": lambda v: f"division {v}",
    "entity_id": lambda v: f"invoiced by {v}",
    "country_code": lambda v: f"country {v}",
    "language": lambda v: f"language {v}",
    "usual_payment_method": lambda v: f"usually pays by {str(v).replace('_', ' ')}",
}


def describe(feature: str, value: Any) -> str:
    """A feature's value in words; a missing value says there is no history for it."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return f"no history for {feature.replace('_', ' ')}"
    phrase = PHRASES.get(feature)
    return phrase(value) if phrase else f"{feature.replace('_', ' ')} {value}"


def reference_values(
    frame: pd.DataFrame, numeric: list[str], categorical: list[str]
) -> dict[str, tuple[list[Any], list[float]]]:
    """Usual values of each feature, with weights: five quantiles, or the commonest categories."""
    usual: dict[str, tuple[list[Any], list[float]]] = {}
    for name in numeric:
        values = frame[name].dropna()
        if len(values):
            quantiles = np.quantile(values.to_numpy(dtype=float), QUANTILES)
            usual[name] = ([float(q) for q in quantiles], [1 / len(QUANTILES)] * len(QUANTILES))
    for name in categorical:
        shares = frame[name].value_counts(normalize=True).head(MAX_CATEGORIES)
        if len(shares):
            usual[name] = (list(shares.index), list(shares / shares.sum()))
    return usual


def what_if_effects(
    predict: Callable[[pd.DataFrame], np.ndarray],
    frame: pd.DataFrame,
    usual: dict[str, tuple[list[Any], list[float]]],
) -> pd.DataFrame:
    """Per row and feature: P(as it is) minus the mean P with that feature at usual values."""
    as_is = predict(frame)
    effects = {}
    for feature, (values, weights) in usual.items():
        what_if = sum(
            weight * predict(frame.assign(**{feature: value}))
            for value, weight in zip(values, weights, strict=True)
        )
        effects[feature] = as_is - what_if
    return pd.DataFrame(effects, index=frame.index)


def top_factors(effects: pd.DataFrame, frame: pd.DataFrame, n: int = N_FACTORS) -> pd.DataFrame:
    """The `n` largest effects per row in words: `factor_1` .. `factor_n`.

    A row lists its effects from the largest down and stops at the first below `MIN_EFFECT`.
    """
    values = effects.to_numpy()
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :n]
    largest = np.take_along_axis(values, order, axis=1)
    shown = np.logical_and.accumulate(~(np.abs(largest) < MIN_EFFECT), axis=1)

    texts = np.full((len(frame), n), None, dtype=object)
    for column, feature in enumerate(effects.columns):
        # Python values: they format like numpy's, faster.
        own_values = frame[feature].to_numpy().tolist()
        for rank in range(order.shape[1]):
            rows = np.flatnonzero(shown[:, rank] & (order[:, rank] == column))
            points = (largest[rows, rank] * 100).tolist()
            texts[rows, rank] = [
                f"{describe(feature, own_values[row])}: {point:+.0f} points"
                for row, point in zip(rows.tolist(), points, strict=True)
            ]
    return pd.DataFrame(texts, columns=[f"factor_{i + 1}" for i in range(n)], index=frame.index)


def global_importance(
    model: Any, frame: pd.DataFrame, y_true: np.ndarray, features: list[str]
) -> list[dict[str, Any]]:
    """Permutation importance (increase in log loss), most important first."""
    if len(frame) > MAX_IMPORTANCE_ROWS:
        keep = np.random.default_rng(RANDOM_STATE).choice(len(frame), MAX_IMPORTANCE_ROWS, False)
        frame, y_true = frame.iloc[np.sort(keep)], np.asarray(y_true)[np.sort(keep)]
    result = permutation_importance(
        model,
        frame[features],
        y_true,
        scoring="neg_log_loss",
        n_repeats=3,
        random_state=RANDOM_STATE,
    )
    ranked = sorted(
        zip(features, result.importances_mean, result.importances_std, strict=True),
        key=lambda item: -item[1],
    )
    return [
        {"feature": name, "log_loss_increase": float(mean), "std": float(std)}
        for name, mean, std in ranked
    ]
