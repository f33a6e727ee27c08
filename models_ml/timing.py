"""When an open invoice will be paid: P(paid within k days) for several k, and expected days.

Time is counted in days after the invoice's origin: the later of its due date and the scoring
date (docs/decisions.md, D7), so k = 14 means "paid by due date + 14" for an invoice not yet
due and "paid in the next 14 days" for one already overdue. Negative k is "paid early".

One gradient-boosted classifier learns all k at once: every training invoice appears once per
k of a grid, with k as a feature and the label "settled within k days". The trees may only
raise the probability as k grows (a monotonic constraint), so the answers for different k
never contradict each other.

Still-unpaid invoices are censored, not dropped and not counted as "never": an invoice
observed for c days after its origin and still open tells "not paid within k" for every k < c
and nothing about larger k. For each k, the rows used are those observed for more than k days,
paid or not; which rows those are depends on dates only, never on the outcome, so the share
paid within k is not biased (keeping the early payers of a window that has not closed yet, and
dropping its non-payers, would inflate it).

The probabilities are calibrated on a later slice the trees did not learn from: one Platt
scaling (a logistic regression on the log-odds) per k, then a running maximum over k.

The expected days after origin is the area under the curve of "not yet paid", between the
first and last k of the grid: a mean restricted to that window, which is what censored data
allow without guessing the tail.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from models_ml.days_to_pay import tree_encoder
from models_ml.explain import reference_values
from models_ml.features import MISSING_CATEGORY
from models_ml.threads import thread_limit
from models_ml.trees import BoostedTrees, default_workers, in_chunks

DAYS_FEATURE = "days_after_origin"
GRID_DAYS = (-14, 0, 7, 14, 30, 60, 90, 120)
EPSILON = 1e-6


def stack(
    X: pd.DataFrame, days_to_settle: np.ndarray, censor_days: np.ndarray, grid: tuple[int, ...]
) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per invoice and grid k whose window of k days closed; label = settled within k.

    `days_to_settle`: days from origin to settlement, NaN while unpaid; `censor_days`: days
    from origin to the date the outcome was last observed.
    """
    days_to_settle = np.asarray(days_to_settle, dtype=float)
    censor_days = np.asarray(censor_days, dtype=float)
    frames, labels = [], []
    for k in grid:
        paid = days_to_settle <= k
        known = censor_days > k
        frames.append(X[known].assign(**{DAYS_FEATURE: float(k)}))
        labels.append(paid[known].astype(int))
    return pd.concat(frames, ignore_index=True), np.concatenate(labels)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPSILON, 1 - EPSILON)
    return np.log(p / (1 - p))


class PaymentTimingModel(ClassifierMixin, BaseEstimator):
    """P(settled within k days after origin) for every k of `grid`; see the module doc.

    `predict_proba` answers for `primary_days`, so the model also serves as a plain classifier
    of the primary target (promotion, the decision policy).
    """

    def __init__(
        self,
        numeric: list[str],
        categorical: list[str],
        grid: tuple[int, ...] = GRID_DAYS,
        primary_days: int = 14,
        learning_rate: float = 0.05,
        max_iter: int = 300,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 100,
        l2_regularization: float = 1.0,
        random_state: int = 0,
    ) -> None:
        self.numeric = numeric
        self.categorical = categorical
        self.grid = grid
        self.primary_days = primary_days
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state

    @property
    def features(self) -> list[str]:
        """The columns the trees read: after fitting, without numeric ones never filled."""
        return [*getattr(self, "numeric_", self.numeric), *self.categorical]

    def fit(
        self, X: pd.DataFrame, days_to_settle: np.ndarray, censor_days: np.ndarray
    ) -> PaymentTimingModel:
        """Learn from invoices whose outcome was observed up to `censor_days` after origin."""
        if self.primary_days not in self.grid:
            raise ValueError(f"primary_days {self.primary_days} is not in the grid {self.grid}")
        # A feature missing on every row (no reminders in the data at all) carries nothing, and
        # the trees' binning cannot handle it.
        self.numeric_ = [name for name in self.numeric if X[name].notna().any()]
        stacked, labels = stack(X[self.features], days_to_settle, censor_days, self.grid)
        numeric = [*self.numeric_, DAYS_FEATURE]
        classify = HistGradientBoostingClassifier(
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            categorical_features=self.categorical,
            monotonic_cst={DAYS_FEATURE: 1},
            early_stopping=False,
            random_state=self.random_state,
        )
        self.trees_ = Pipeline(
            [("encode", tree_encoder(numeric, self.categorical)), ("classify", classify)]
        )
        with thread_limit(len(stacked)):
            self.trees_.fit(stacked, labels)
        self.classes_ = np.array([0, 1])
        self.calibrators_: dict[int, LogisticRegression] = {}
        self.typical_ = reference_values(X, self.numeric_, self.categorical)
        return self

    def calibrate(
        self, X: pd.DataFrame, days_to_settle: np.ndarray, censor_days: np.ndarray
    ) -> PaymentTimingModel:
        """Platt-scale each k on a later slice; a k with one outcome only stays as it is."""
        stacked, labels = stack(X[self.features], days_to_settle, censor_days, self.grid)
        with thread_limit(len(stacked)):
            raw = _logit(self.trees_.predict_proba(stacked)[:, 1])
        self.calibrators_ = {}
        for k in self.grid:
            at_k = stacked[DAYS_FEATURE].to_numpy() == k
            if np.unique(labels[at_k]).size == 2:
                self.calibrators_[k] = LogisticRegression(C=1e4).fit(
                    raw[at_k].reshape(-1, 1), labels[at_k]
                )
        return self

    def p_within(self, X: pd.DataFrame, days: int) -> np.ndarray:
        """Calibrated P(settled within `days` after origin), for one k of the grid."""
        trees = self.boosted_trees()
        column = trees.column(DAYS_FEATURE)

        def chunk(rows: np.ndarray) -> np.ndarray:
            raw = trees.raw_at(rows, column, [days])
            return self._calibrated(trees.probability(raw[:, 0]), days)

        return in_chunks(chunk, [self.matrix(X)], default_workers())

    def predict_cdf(self, X: pd.DataFrame) -> pd.DataFrame:
        """P(settled within k days after origin), one column per k of the grid."""
        cdf = self.cdf_from_matrix(self.matrix(X), default_workers())
        return pd.DataFrame(cdf, columns=list(self.grid), index=X.index)

    def cdf_from_matrix(self, matrix: np.ndarray, workers: int = 1) -> np.ndarray:
        """`predict_cdf` of the trees' input rows (`matrix`), on `workers` threads."""
        return in_chunks(self._cdf_chunk, [matrix], workers)

    def matrix(self, X: pd.DataFrame) -> np.ndarray:
        """The trees' input for a frame of features: categories as the trees' codes."""
        return self.boosted_trees().matrix(self._encode(X))

    def matrix_from_arrow(self, table: pa.Table | pa.RecordBatch) -> np.ndarray:
        """`matrix(table.to_pandas())`, without a Python string per row and category.

        Numbers are taken as they are; each category column is dictionary-encoded, and a value
        goes through the encoders (which code every value on its own) the first time the model
        sees it, then its code is reused.
        """
        trees = self.boosted_trees()
        matrix = np.zeros((table.num_rows, len(trees.classifier.feature_names_in_)))
        if table.num_rows == 0:
            return matrix
        for name in self.numeric_:
            matrix[:, trees.column(name)] = _floats(table.column(name))

        for name, encoded in self._dictionaries(table).items():
            codes = [
                self._category_codes[(name, value)] for value in encoded.dictionary.to_pylist()
            ]
            matrix[:, trees.column(name)] = np.array(codes)[encoded.indices.to_numpy()]
        return matrix

    def _dictionaries(self, table: pa.Table | pa.RecordBatch) -> dict[str, pa.DictionaryArray]:
        """Each category column dictionary-encoded, with every value's code in `_category_codes`."""
        dictionaries = {
            name: pc.dictionary_encode(_array(table.column(name)), null_encoding="encode")
            for name in self.categorical
        }
        known = self.__dict__.setdefault("_category_codes", {})
        new = {
            name: [value for value in encoded.dictionary.to_pylist() if (name, value) not in known]
            for name, encoded in dictionaries.items()
        }
        if not any(new.values()):
            return dictionaries

        longest = max(len(values) for values in new.values())
        distinct = {name: pa.nulls(longest, pa.float64()) for name in self.numeric_}
        for name, encoded in dictionaries.items():
            values = (
                pa.array(new[name], encoded.dictionary.type) if new[name] else encoded.dictionary
            )
            distinct[name] = _padded(values.slice(0, longest), longest)
        codes = self.matrix(pa.table(distinct).to_pandas())
        for name, values in new.items():
            column = codes[:, self.boosted_trees().column(name)]
            known.update({(name, value): column[row] for row, value in enumerate(values)})
        return dictionaries

    def what_if_effects(
        self,
        matrix: np.ndarray,
        usual: dict[str, tuple[list[Any], list[float]]],
        workers: int = 1,
    ) -> pd.DataFrame:
        """`explain.what_if_effects` of the primary probability, the same figures, fewer walks.

        Per row of the trees' input `matrix`: P(as it is) minus the weighted mean P with each
        feature in turn at its usual values. A tree that does not split on the feature keeps
        the row's own leaf; one that does is walked once per group of the usual values.
        """
        days = self.boosted_trees().column(DAYS_FEATURE)
        matrix = matrix.copy()
        matrix[:, days] = float(self.primary_days)
        trees = self.boosted_trees().with_column_fixed(days, self.primary_days)
        encoded = self._encoded_values({feature: values for feature, (values, _) in usual.items()})
        what_ifs = [
            (trees.column(feature), encoded[feature], weights)
            for feature, (_, weights) in usual.items()
        ]

        def chunk(rows: np.ndarray) -> np.ndarray:
            leaves = trees.leaves(rows)
            as_is = self._primary(trees.raw_from_leaves(leaves))
            effects = np.empty((len(rows), len(what_ifs)))
            for position, (column, values, weights) in enumerate(what_ifs):
                raw = trees.raw_at(rows, column, values, leaves)
                what_if = sum(
                    weight * self._primary(raw[:, index]) for index, weight in enumerate(weights)
                )
                effects[:, position] = as_is - what_if
            return effects

        return pd.DataFrame(in_chunks(chunk, [matrix], workers), columns=list(usual))

    def boosted_trees(self) -> BoostedTrees:
        """The fitted trees, ready to be asked about several days at once (models_ml/trees.py)."""
        if getattr(self, "_boosted", None) is None:
            self._boosted = BoostedTrees(self.trees_[-1])
        return self._boosted

    def __getstate__(self) -> dict:
        # The walker and the codes of categories seen are rebuilt on first use; a saved model
        # does not carry them.
        state = super().__getstate__()
        state.pop("_boosted", None)
        state.pop("_category_codes", None)
        return state

    def _encode(self, X: pd.DataFrame) -> pd.DataFrame:
        """The trees' input, encoded once for every k: only the days column changes."""
        return self.trees_[:-1].transform(X[self.features].assign(**{DAYS_FEATURE: 0.0}))

    def _cdf_chunk(self, matrix: np.ndarray) -> np.ndarray:
        trees = self.boosted_trees()
        raw = trees.raw_at(matrix, trees.column(DAYS_FEATURE), self.grid)
        columns = [
            self._calibrated(trees.probability(raw[:, position]), days)
            for position, days in enumerate(self.grid)
        ]
        return np.maximum.accumulate(np.column_stack(columns), axis=1)

    def _primary(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated P(paid within `primary_days`) from the trees' raw sums."""
        return self._calibrated(self.boosted_trees().probability(raw), self.primary_days)

    def _encoded_values(self, values: dict[str, list[Any]]) -> dict[str, np.ndarray]:
        """Each feature's (non-empty) `values` as they appear in the trees' input, from one
        pass of the encoders (which code every column on its own)."""
        if not values:
            return {}
        longest = max(len(column) for column in values.values())
        frame = {name: np.full(longest, np.nan) for name in self.numeric_}
        frame |= {name: [MISSING_CATEGORY] * longest for name in self.categorical}
        for name, column in values.items():
            frame[name] = [*column, *[column[-1]] * (longest - len(column))]
        matrix = self.matrix(pd.DataFrame(frame))
        trees = self.boosted_trees()
        return {name: matrix[: len(column), trees.column(name)] for name, column in values.items()}

    def _calibrated(self, p: np.ndarray, days: int) -> np.ndarray:
        if days in self.calibrators_ and p.size:
            p = self.calibrators_[days].predict_proba(_logit(p).reshape(-1, 1))[:, 1]
        return p

    def expected_days(self, cdf: pd.DataFrame) -> np.ndarray:
        """Mean days after origin, restricted to the grid's window (trapezoids under 1 - cdf)."""
        grid = np.asarray(self.grid, dtype=float)
        unpaid = 1 - np.asarray(cdf)
        areas = (unpaid[:, :-1] + unpaid[:, 1:]) / 2 * np.diff(grid)
        return grid[0] + areas.sum(axis=1)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """[P(not), P(paid within primary_days)]: one k only, so an eighth of the work of
        `predict_cdf` (which may lift it a little where calibration broke the order in k)."""
        p_paid = self.p_within(X, self.primary_days)
        return np.column_stack([1 - p_paid, p_paid])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def _array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _floats(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A numeric column as floats, null as NaN, as pandas and scikit-learn would convert it."""
    if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
        return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    return column.to_pandas().to_numpy(dtype=float, na_value=np.nan)


def _padded(values: pa.Array, length: int) -> pa.Array:
    """`values` repeated at the end up to `length` (a table's columns are equally long)."""
    return pa.concat_arrays([values, values.take(np.zeros(length - len(values), dtype=int))])
