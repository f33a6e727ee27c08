"""The IBM backtest, reproduced: the chosen model beats both baselines on the published split.

Also the leakage test for the sample's features: everything dated on or after an invoice's
issue date (later settlements, disputes still open, a later switch to paperless, later
invoices) is scrambled, and the invoice's features do not move.
"""

from __future__ import annotations

import json
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from models_ml.backtest import ibm
from models_ml.backtest.__main__ import main
from models_ml.backtest.report import write_report

# Published figures for this split (logistic regression; the debtor's past late rate).
PUBLISHED_LOGISTIC_AUC, PUBLISHED_LOGISTIC_BRIER = 0.864, 0.132
PUBLISHED_PAST_LATE_RATE_AUC = 0.851

pytestmark = pytest.mark.skipif(not ibm.IBM_CSV.exists(), reason="IBM sample not present")


@pytest.fixture(scope="module")
def backtest() -> tuple[dict, pd.DataFrame]:
    return ibm.run_ibm_backtest()


@pytest.fixture(scope="module")
def result(backtest) -> dict:
    return backtest[0]


def test_the_split_is_the_published_one(result):
    rows = result["test"]["rows"]

    assert result["n_invoices"] == 2466
    assert rows["fit"] + rows["calibration"] == 1930
    assert rows["test"] == 536
    assert result["test"]["metrics"]["logistic"]["positive_rate"] == pytest.approx(0.2817, 1e-3)


def test_baselines_reproduce_the_published_figures(result):
    test = result["test"]["metrics"]

    assert test["past_late_rate"]["roc_auc"] == pytest.approx(
        PUBLISHED_PAST_LATE_RATE_AUC, abs=0.01
    )
    assert test["logistic"]["roc_auc"] >= PUBLISHED_LOGISTIC_AUC - 0.01


def test_chosen_model_beats_both_baselines_on_auc_and_brier(result):
    test = result["test"]["metrics"]
    chosen = test[result["chosen"]]

    for baseline in ("past_late_rate", "logistic"):
        assert chosen["roc_auc"] > test[baseline]["roc_auc"], baseline
        assert chosen["brier"] < test[baseline]["brier"], baseline
        assert result["gain_over_baselines"][baseline]["roc_auc"] > 0
    assert chosen["roc_auc"] > PUBLISHED_LOGISTIC_AUC
    assert chosen["brier"] < PUBLISHED_LOGISTIC_BRIER
    assert chosen["ece"] < 0.05
    assert chosen["mae_days"] < test["past_late_rate"]["mae_days"]


def test_the_choice_is_made_before_the_test_period(result):
    folds = result["validation"]["folds"]

    assert folds, "at least one validation quarter"
    assert all(fold["split"]["test_end"] <= "2013-07-01" for fold in folds)
    assert all(fold["split"]["gap_days"] == 31 for fold in folds)
    means = result["validation"]["mean_log_loss"]
    contenders = {
        name: loss for name, loss in means.items() if name in ("hgb_classifier", "days_to_pay")
    }
    assert result["chosen"] == min(contenders, key=contenders.get)


def test_report_states_the_figures_and_the_gains(backtest, tmp_path):
    result, predictions = backtest
    paths = write_report(result, predictions, tmp_path, "IBM", ibm.NOTES)

    text = paths["markdown"].read_text()
    chosen = result["test"]["metrics"][result["chosen"]]
    assert f"{chosen['roc_auc']:.3f}" in text
    assert "lower), log loss" in text
    assert json.loads(paths["json"].read_text())["chosen"] == result["chosen"]
    for image in ("reliability", "lift"):
        assert paths[image].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"{image}.png" in text


def test_command_line_writes_the_report(backtest, tmp_path, monkeypatch):
    monkeypatch.setattr(ibm, "run_ibm_backtest", lambda csv_path: backtest)

    main(["ibm", "--out", str(tmp_path)])

    assert (tmp_path / "report.md").read_text().startswith("# Backtest on the IBM")


def _scramble_after(invoices: pd.DataFrame, cutoff: pd.Timestamp, seed: int) -> pd.DataFrame:
    """Keep what was known before `cutoff`; redraw every fact dated on or after it."""
    rng = np.random.default_rng(seed)
    known = invoices[invoices["issue_date"] <= cutoff].copy()
    unsettled = known["settled_date"] >= cutoff
    shift = pd.to_timedelta(rng.integers(0, 60, size=len(known)), unit="D")
    known["settled_date"] = known["settled_date"].where(~unsettled, cutoff + shift)
    known["is_disputed"] = known["is_disputed"].where(~unsettled, rng.random(len(known)) < 0.5)
    later_switch = known["paperless_date"] > cutoff
    known["paperless_date"] = known["paperless_date"].where(
        ~later_switch, cutoff + shift + pd.Timedelta(days=1)
    )
    return known


SCRAMBLED_TABLE = """
create or replace temp table ibm_invoices as
select * replace (
    issue_date::date as issue_date,
    due_date::date as due_date,
    settled_date::date as settled_date,
    paperless_date::date as paperless_date,
)
from scrambled
"""


@pytest.mark.parametrize("anchor", [date(2012, 6, 4), date(2013, 2, 11), date(2013, 9, 16)])
def test_features_ignore_everything_dated_from_the_issue_date_on(anchor):
    con = duckdb.connect()
    ibm.read_invoices(con)
    invoices = con.execute("select * from ibm_invoices").df()
    full = ibm.invoice_features(con).set_index("document_id")

    cutoff_ts = full.loc[full["issue_date"] >= pd.Timestamp(anchor), "issue_date"].min()
    con.register("scrambled", _scramble_after(invoices, cutoff_ts, seed=anchor.day))
    con.execute(SCRAMBLED_TABLE)
    scrambled = ibm.invoice_features(con).set_index("document_id")

    issued_that_day = full.index[full["issue_date"] == cutoff_ts]
    assert len(issued_that_day) > 0
    assert (
        scrambled.loc[issued_that_day, "days_late"] != full.loc[issued_that_day, "days_late"]
    ).any()
    pd.testing.assert_frame_equal(
        full.loc[issued_that_day, ibm.FEATURES], scrambled.loc[issued_that_day, ibm.FEATURES]
    )
