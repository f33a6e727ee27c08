"""The fast tree walks give scikit-learn's own answers, to the last bit.

Scoring and explanations no longer call `predict_proba` once per day of the grid and per
what-if (models_ml/trees.py). Here the old way is written out (one `predict_proba` per k,
then the calibrator, then the running maximum) and every new answer must equal it exactly:
the payment curve, one k, the trees' input built from Arrow instead of pandas, and the
what-if effects behind the explanations. Unknown categories and missing numbers are in the
rows on purpose.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from models_ml.explain import reference_values, what_if_effects
from models_ml.timing import DAYS_FEATURE, PaymentTimingModel, _logit
from models_ml.trees import CHUNK_ROWS, BoostedTrees, in_chunks

NUMERIC = ["amount_base", "hist_late_share", "days_past_due"]
CATEGORICAL = ["segment", "entity_id"]
GRID = (-14, 0, 14, 30, 60)


def draw(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    late_share = rng.uniform(0, 1, n)
    frame = pd.DataFrame(
        {
            "amount_base": rng.lognormal(6, 1, n),
            "hist_late_share": np.where(rng.random(n) < 0.1, np.nan, late_share),
            "days_past_due": rng.integers(-30, 60, n).astype(float),
            "segment": rng.choice(["key", "standard", "small"], n),
            "entity_id": rng.choice([f"E{i:02d}" for i in range(12)], n),
        }
    )
    days = rng.exponential(5 + 40 * late_share) - 5 + (frame["segment"] == "small") * 10
    observed_for = rng.uniform(0, 120, n)
    days_to_settle = np.where(np.ceil(days) <= observed_for, np.ceil(days), np.nan)
    return frame, days_to_settle, observed_for


@pytest.fixture(scope="module")
def model() -> PaymentTimingModel:
    frame, days, observed = draw(4000, seed=3)
    model = PaymentTimingModel(NUMERIC, CATEGORICAL, grid=GRID, max_iter=60, min_samples_leaf=20)
    model.fit(frame[:3000], days[:3000], observed[:3000])
    return model.calibrate(frame[3000:], days[3000:], observed[3000:])


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    """More rows than one chunk, with categories the model never saw and missing numbers."""
    frame, _, _ = draw(CHUNK_ROWS + 500, seed=4)
    frame.loc[:20, "entity_id"] = "E99"
    frame.loc[10:30, "segment"] = None
    frame.loc[25:40, "amount_base"] = np.nan
    return frame


def sklearn_p_within(model: PaymentTimingModel, frame: pd.DataFrame, days: int) -> np.ndarray:
    """The way scoring asked before: the whole forest through `predict_proba`, for one k."""
    encoded = model.trees_[:-1].transform(frame[model.features].assign(**{DAYS_FEATURE: 0.0}))
    encoded[DAYS_FEATURE] = float(days)
    p = model.trees_[-1].predict_proba(encoded)[:, 1]
    if days in model.calibrators_:
        p = model.calibrators_[days].predict_proba(_logit(p).reshape(-1, 1))[:, 1]
    return p


def test_the_curve_is_scikit_learns_to_the_last_bit(model, rows):
    expected = np.maximum.accumulate(
        np.column_stack([sklearn_p_within(model, rows, days) for days in GRID]), axis=1
    )

    assert np.array_equal(model.predict_cdf(rows).to_numpy(), expected)
    assert np.array_equal(model.cdf_from_matrix(model.matrix(rows), workers=2), expected)
    assert np.array_equal(model.p_within(rows, 14), sklearn_p_within(model, rows, 14))


def test_a_tree_is_walked_once_per_group_of_days_not_per_day(model):
    trees = model.boosted_trees()
    column = trees.column(DAYS_FEATURE)
    nodes = [tree.nodes[tree.nodes["is_leaf"] == 0] for tree in trees.trees]
    thresholds = [tree["num_threshold"][tree["feature_idx"] == column] for tree in nodes]
    groups = [len({tuple(k <= cut for cut in cuts) for k in GRID}) for cuts in thresholds]

    assert trees.walks_per_row(column, GRID) == sum(groups) < len(trees.trees) * len(GRID)


def test_arrow_rows_encode_like_pandas_rows(model, rows):
    table = pa.Table.from_pandas(rows, preserve_index=False)

    from_arrow = model.matrix_from_arrow(table)

    assert np.array_equal(from_arrow, model.matrix(rows), equal_nan=True)
    assert np.isnan(from_arrow[:21, model.boosted_trees().column("entity_id")]).all()


def test_codes_remembered_from_earlier_batches_stay_right(model, rows):
    first, later = rows.iloc[100:400].copy(), rows.iloc[:100].copy()
    later.loc[later.index[:5], "entity_id"] = "E98"
    model.matrix_from_arrow(pa.Table.from_pandas(first, preserve_index=False))

    from_arrow = model.matrix_from_arrow(pa.Table.from_pandas(later, preserve_index=False))

    assert np.array_equal(from_arrow, model.matrix(later), equal_nan=True)


def test_what_if_effects_are_the_explanations_figures(model, rows):
    usual = reference_values(rows, NUMERIC, CATEGORICAL)
    some = rows.iloc[: CHUNK_ROWS + 100]

    expected = what_if_effects(lambda frame: sklearn_p_within(model, frame, 14), some, usual)
    fast = model.what_if_effects(model.matrix(some), usual, workers=2)

    assert list(fast.columns) == list(expected.columns)
    assert np.array_equal(fast.to_numpy(), expected.to_numpy())


def test_a_category_column_at_several_codes_walks_like_scikit_learn(model, rows):
    trees = BoostedTrees(model.trees_[-1])
    matrix = model.matrix(rows.iloc[:300])
    column = trees.column("entity_id")
    codes = [0.0, 3.0, 7.0, 11.0, 40.0, -1.0, np.nan]

    raw = trees.raw_at(matrix, column, codes)

    for position, code in enumerate(codes):
        changed = matrix.copy()
        changed[:, column] = code
        assert np.array_equal(trees.raw(changed), raw[:, position])
    assert trees.walks_per_row(column, codes) < len(trees.trees) * len(codes)


def test_chunks_come_back_in_row_order():
    rows = np.arange(3 * CHUNK_ROWS + 7, dtype=float)

    doubled = in_chunks(lambda chunk: chunk * 2, [rows], workers=2)

    assert np.array_equal(doubled, rows * 2)
