"""The comparison with the generator's truth, on the fixture group whose truth is known.

In the fixture, punctual customers pay by due date + 14 days 95 % of the time (5 % pay 40
days late) and late customers never do; that is the truth file written here.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest
from ml_fixtures import GroupSpec, make_history, write_marts

from models_ml.backtest.demo import TRUTH_COLUMN, TRUTH_FILE, compare_to_truth
from models_ml.backtest.report import write_demo_report

AS_OF = date(2024, 12, 31)


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> tuple[dict, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("demo_truth")
    history = make_history(GroupSpec())
    con = duckdb.connect(str(folder / "w.duckdb"))
    write_marts(con, history, AS_OF)
    late = history["customers"].set_index("customer_id")["is_late_payer"]
    truth = history["invoices"][["entity_id", "document_id", "customer_id"]].assign(
        **{TRUTH_COLUMN: lambda f: f["customer_id"].map(late).map({True: 0.0, False: 0.95})}
    )
    truth.to_parquet(folder / TRUTH_FILE)
    return compare_to_truth(con, folder, AS_OF)


def test_model_baselines_and_truth_are_scored_on_the_same_rows(compared):
    summary, predictions = compared

    assert set(summary["metrics"]) == {"model", "baseline", "logistic", "truth"}
    assert {m["n_samples"] for m in summary["metrics"].values()} == {summary["n_rows"]}
    assert summary["n_rows"] == len(predictions) > 200
    assert summary["test_snapshots"][0] <= summary["test_snapshots"][1] < "2024-12-31"


def test_the_truth_sets_the_bar_and_the_model_comes_close(compared):
    summary, _ = compared
    metrics = summary["metrics"]

    assert metrics["truth"]["roc_auc"] > 0.95
    assert summary["auc_gap_to_truth"] == pytest.approx(
        metrics["truth"]["roc_auc"] - metrics["model"]["roc_auc"]
    )
    assert summary["auc_gap_to_truth"] < 0.05
    assert summary["brier_ratio_to_truth"] < 2
    assert metrics["model"]["roc_auc"] > metrics["baseline"]["roc_auc"]


def test_report_names_the_gap_and_the_ratio(compared, tmp_path):
    paths = write_demo_report(*compared, tmp_path)

    text = paths["markdown"].read_text()
    assert "ROC AUC gap to the true probabilities" in text
    assert "Brier ratio to the true probabilities" in text
    assert paths["lift"].exists() and paths["reliability"].exists()
