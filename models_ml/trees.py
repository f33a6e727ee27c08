"""The payment model's boosted trees, asked about many values of one column at a time.

Scoring asks the trees the same question eight times per invoice (one per day of the payment
curve's grid, only the days column changes), and an explanation asks it again for every usual
value of every explained feature. scikit-learn's `predict_proba` walks every tree for every
such copy of a row, about 30 ns per row and tree here. Two facts make most of those walks
needless:

- a tree that never splits on the column ends in the same leaf whatever the column holds: it
  is walked once per row (or not at all when the row's own leaves are known);
- a tree that does split on it sends all values between two of its thresholds the same way:
  it is walked once per group of values, not once per value, and for each group as a copy
  of itself with those splits replaced by the branch the group takes (shorter walks: about
  half the nodes on a path of the payment model split on the days).

Rows are cut into chunks that worker threads walk side by side (the walks release the GIL);
each chunk is a whole job, so a core that other work slows down simply takes fewer chunks,
where OpenMP's threads would wait for each other after every tree.

The leaves are added tree by tree in the fitted order, starting from the baseline, as
scikit-learn does: the sums, and so the probabilities, are the same to the last bit. This
reads scikit-learn's private tree predictors (`_predictors`, `_bin_mapper`, `_preprocessor`);
tests/test_ml_trees.py compares every answer with `predict_proba`, so a change there fails
loudly instead of scoring differently.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

CHUNK_ROWS = 8192

# A tree's copy for each group of values, and the group of each value.
Groups = tuple[list[TreePredictor], np.ndarray]


def default_workers() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def in_chunks(
    function: Callable[..., np.ndarray], arrays: Sequence[np.ndarray], workers: int
) -> np.ndarray:
    """`function` applied to row chunks of `arrays` on `workers` threads, rows in order."""
    n_rows = len(arrays[0])
    starts = range(0, n_rows, CHUNK_ROWS)
    chunks = [[array[start : start + CHUNK_ROWS] for array in arrays] for start in starts]
    if workers <= 1 or len(chunks) <= 1:
        parts = [function(*chunk) for chunk in chunks]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(lambda chunk: function(*chunk), chunks))
    return np.concatenate(parts) if parts else function(*[array[:0] for array in arrays])


def _in_bitset(bitsets: np.ndarray, row: int, value: int) -> bool:
    return bool((int(bitsets[row, value // 32]) >> (value % 32)) & 1)


def _pruned(tree: TreePredictor, goes_left: dict[int, bool]) -> TreePredictor:
    """`tree` with each node of `goes_left` replaced by the child it sends every row to."""
    nodes = tree.nodes
    left, right = nodes["left"].tolist(), nodes["right"].tolist()
    is_leaf = nodes["is_leaf"].tolist()

    def resolve(node: int) -> int:
        while node in goes_left:
            node = left[node] if goes_left[node] else right[node]
        return node

    order, pending = [], [resolve(0)]
    while pending:
        node = pending.pop()
        order.append(node)
        if not is_leaf[node]:
            pending += [resolve(right[node]), resolve(left[node])]
    position = {node: new for new, node in enumerate(order)}
    kept = nodes[order].copy()
    splits = [new for new, node in enumerate(order) if not is_leaf[node]]
    kept["left"][splits] = [position[resolve(left[order[new]])] for new in splits]
    kept["right"][splits] = [position[resolve(right[order[new]])] for new in splits]
    return TreePredictor(kept, tree.binned_left_cat_bitsets, tree.raw_left_cat_bitsets)


class BoostedTrees:
    """A fitted binary `HistGradientBoostingClassifier`, walked the way the module doc says."""

    def __init__(self, classifier: HistGradientBoostingClassifier) -> None:
        if classifier.n_trees_per_iteration_ != 1:
            raise ValueError("only a binary classifier's trees can be walked here")
        self.classifier = classifier
        self.trees = [predictors[0] for predictors in classifier._predictors]
        self.baseline = classifier._baseline_prediction.ravel()[0]
        self.known_cat_bitsets, self.f_idx_map = (
            classifier._bin_mapper.make_known_categories_bitsets()
        )
        self._use(self.trees)

    def _use(self, trees: list[TreePredictor]) -> None:
        self.trees = trees
        self.split_columns = [
            set(tree.nodes["feature_idx"][tree.nodes["is_leaf"] == 0].tolist()) for tree in trees
        ]
        self._group_cache: dict[tuple[int, tuple[float, ...]], list[Groups | None]] = {}
        self._fixed: dict[tuple[int, float], BoostedTrees] = {}

    def with_column_fixed(self, column: int, value: float) -> BoostedTrees:
        """The same trees for rows whose `column` is `value`: its splits resolved, shorter walks."""
        key = (column, float(value))
        if key not in self._fixed:
            groups = self._groups_of(column, (float(value),))
            fixed = copy.copy(self)
            pairs = zip(self.trees, groups, strict=True)
            fixed._use([tree if group is None else group[0][0] for tree, group in pairs])
            self._fixed[key] = fixed
        return self._fixed[key]

    def matrix(self, encoded: pd.DataFrame) -> np.ndarray:
        """The trees' input for a frame of the classifier's input columns (as `predict` makes)."""
        return np.ascontiguousarray(self.classifier._preprocess_X(encoded, reset=False))

    def column(self, name: str) -> int:
        """Where the classifier's input column `name` sits in `matrix` (categoricals first)."""
        names = list(self.classifier.feature_names_in_)
        categorical = self.classifier._is_categorical_remapped
        if self.classifier._preprocessor is None or categorical is None:
            return names.index(name)
        is_categorical = np.asarray(self.classifier.is_categorical_, dtype=bool)
        order = [*np.flatnonzero(is_categorical), *np.flatnonzero(~is_categorical)]
        return order.index(names.index(name))

    def probability(self, raw: np.ndarray) -> np.ndarray:
        """P(class 1) from raw sums, by the classifier's own link."""
        return self.classifier._loss.predict_proba(np.ascontiguousarray(raw))[:, 1]

    def raw(self, rows: np.ndarray) -> np.ndarray:
        """The raw sum of every tree for each row, as `predict_proba` adds it up."""
        raw = np.full(len(rows), self.baseline)
        for tree in self.trees:
            raw += self._walk(tree, rows)
        return raw

    def leaves(self, rows: np.ndarray) -> np.ndarray:
        """Each tree's leaf value for each row: shape (trees, rows)."""
        leaves = np.empty((len(self.trees), len(rows)))
        for index, tree in enumerate(self.trees):
            leaves[index] = self._walk(tree, rows)
        return leaves

    def raw_from_leaves(self, leaves: np.ndarray) -> np.ndarray:
        """`raw` from the rows' `leaves`, added in the same order."""
        raw = np.full(leaves.shape[1], self.baseline)
        for tree_leaves in leaves:
            raw += tree_leaves
        return raw

    def raw_at(
        self,
        rows: np.ndarray,
        column: int,
        values: Sequence[float],
        leaves: np.ndarray | None = None,
    ) -> np.ndarray:
        """Raw sums with `column` set to each of `values`: shape (rows, values).

        `leaves` (the same rows' `leaves`) saves walking the trees that ignore the column.
        """
        groups = self._groups_of(column, tuple(float(value) for value in values))
        # One row of sums per value: each add then runs along contiguous rows.
        raw = np.full((len(values), len(rows)), self.baseline)
        for index, (tree, group) in enumerate(zip(self.trees, groups, strict=True)):
            if group is None:
                raw += self._walk(tree, rows) if leaves is None else leaves[index]
                continue
            pruned_trees, of_value = group
            walked = np.empty((len(pruned_trees), len(rows)))
            for position, pruned in enumerate(pruned_trees):
                walked[position] = self._walk(pruned, rows)
            raw += walked[of_value]
        return raw.T

    def walks_per_row(self, column: int, values: Sequence[float]) -> int:
        """How many tree walks `raw_at` makes per row (scikit-learn makes trees x values)."""
        groups = self._groups_of(column, tuple(float(value) for value in values))
        return sum(1 if group is None else len(group[0]) for group in groups)

    def _walk(self, tree: TreePredictor, rows: np.ndarray) -> np.ndarray:
        return tree.predict(rows, self.known_cat_bitsets, self.f_idx_map, 1)

    def _groups_of(self, column: int, values: tuple[float, ...]) -> list[Groups | None]:
        key = (column, values)
        if key not in self._group_cache:
            as_array = np.asarray(values, dtype=float)
            self._group_cache[key] = [
                self._groups(index, column, as_array) for index in range(len(self.trees))
            ]
        return self._group_cache[key]

    def _groups(self, index: int, column: int, values: np.ndarray) -> Groups | None:
        """None if tree `index` ignores `column`; else a tree per group and each value's group.

        Two values are in one group when every split on the column sends them the same way;
        the group's tree is the tree with those splits replaced by the branch they take, so
        it reads neither the column nor the nodes that split on it.
        """
        if column not in self.split_columns[index]:
            return None
        tree = self.trees[index]
        nodes = tree.nodes
        splits = np.flatnonzero((nodes["is_leaf"] == 0) & (nodes["feature_idx"] == column))
        signatures = [
            tuple(self._goes_left(tree, nodes[node], value) for node in splits) for value in values
        ]
        first_of: dict[tuple[bool, ...], int] = {}
        of_value = np.array([first_of.setdefault(sig, len(first_of)) for sig in signatures])
        pruned = [_pruned(tree, dict(zip(splits.tolist(), sig, strict=True))) for sig in first_of]
        return pruned, of_value

    def _goes_left(self, tree: TreePredictor, node: np.void, value: float) -> bool:
        """The branch `_predict_one_from_raw_data` (scikit-learn) takes at `node` for `value`."""
        missing_left = bool(node["missing_go_to_left"])
        if np.isnan(value):
            return missing_left
        if not node["is_categorical"]:
            return bool(value <= node["num_threshold"])
        if value < 0:
            return missing_left
        category = int(value) & 0xFF
        if _in_bitset(tree.raw_left_cat_bitsets, int(node["bitset_idx"]), category):
            return True
        known = self.f_idx_map[int(node["feature_idx"])]
        if _in_bitset(self.known_cat_bitsets, int(known), category):
            return False
        return missing_left
