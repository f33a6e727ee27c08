"""Scoring writes one probability per open invoice, and a re-run replaces its rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from ml_fixtures import GroupSpec, make_warehouse

from models_ml import scoring
from models_ml.registry import load_promoted
from models_ml.scoring import score_open_invoices
from models_ml.training import train_payment_model

AS_OF = date(2024, 12, 31)
OPEN_INVOICES = """
select entity_id, customer_id, item_id as document_id
from marts.fct_open_items
where item_type in ('invoice', 'debit_note') and open_amount > 0
order by all
"""
ALL_SCORES = "select * exclude (scored_at) from ml.invoice_scores order by all"
SCORED_KEYS = """
select entity_id, customer_id, document_id
from ml.invoice_scores
where as_of_date = $as_of
order by all
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[duckdb.DuckDBPyConnection, Path]:
    folder = tmp_path_factory.mktemp("scoring")
    con = make_warehouse(folder / "w.duckdb", GroupSpec(n_invoices=2000), AS_OF)
    train_payment_model(con, folder / "models", AS_OF)
    return con, folder / "models"


@pytest.fixture
def warehouse(trained) -> duckdb.DuckDBPyConnection:
    con, _ = trained
    con.execute("drop schema if exists ml cascade")
    return con


def test_one_score_per_open_invoice_with_a_probability(warehouse, trained):
    models_dir = trained[1]

    written = score_open_invoices(warehouse, models_dir, AS_OF, batch_size=100)

    open_invoices = warehouse.execute(OPEN_INVOICES).fetchall()
    assert written == len(open_invoices) > 100 * 2
    assert warehouse.execute(SCORED_KEYS, {"as_of": AS_OF}).fetchall() == open_invoices
    low, high, horizons, models = warehouse.execute(
        """
        select min(p_paid_within_horizon), max(p_paid_within_horizon),
            list(distinct horizon_days), list(distinct model_id)
        from ml.invoice_scores
        """
    ).fetchall()[0]
    assert 0 <= low < high <= 1
    assert horizons == [14]
    assert models == [load_promoted(models_dir)[0]]


def test_the_payment_curve_rises_with_k_and_dates_follow_the_days(warehouse, trained):
    score_open_invoices(warehouse, trained[1], AS_OF)

    scores = warehouse.execute("select * from ml.invoice_scores").df()
    curve = scores[["p_paid_within_0d", "p_paid_within_14d", "p_paid_within_30d"]]
    assert curve.notna().all().all()
    assert (curve.diff(axis=1).iloc[:, 1:] >= 0).all().all()
    assert (scores["p_paid_within_14d"] == scores["p_paid_within_horizon"]).all()
    assert (scores["expected_days_until_paid"] >= 0).all()
    days = (scores["expected_payment_date"] - pd.Timestamp(AS_OF)).dt.days
    assert (days - scores["expected_days_until_paid"]).abs().max() <= 0.5


def test_debtor_scores_add_up_the_open_invoices(warehouse, trained):
    score_open_invoices(warehouse, trained[1], AS_OF)

    debtors = warehouse.execute("select * from ml.debtor_scores").df()
    totals = warehouse.execute(
        """
        select count(*) as n, sum(open_amount_base) as amount
        from marts.fct_open_items
        where item_type in ('invoice', 'debit_note') and open_amount > 0
        """
    ).fetchone()
    summed, broken = warehouse.execute(
        """
        select
            sum(open_amount_base),
            count(*) filter (
                where not (
                    expected_paid_by_due_base <= expected_paid_within_14d_base
                    and expected_paid_within_14d_base <= expected_paid_within_30d_base
                    and expected_paid_within_30d_base <= open_amount_base
                )
            ),
        from ml.debtor_scores
        """
    ).fetchone()
    assert debtors["open_invoice_count"].sum() == totals[0]
    assert summed == totals[1]
    assert broken == 0
    assert debtors["p_paid_within_horizon_weighted"].between(0, 1).all()


def test_each_debtor_gets_the_factors_of_its_largest_open_invoice(warehouse, trained):
    score_open_invoices(warehouse, trained[1], AS_OF)

    debtors = warehouse.execute("select * from ml.debtor_scores").df()
    largest = warehouse.execute(
        """
        select entity_id, customer_id, arg_max(item_id, open_amount_base) as document_id
        from marts.fct_open_items
        where item_type in ('invoice', 'debit_note') and open_amount > 0
        group by all
        """
    ).df()
    merged = debtors.merge(largest, on=["entity_id", "customer_id"])
    assert len(merged) == len(debtors)
    assert (merged["explained_document_id"] == merged["document_id"]).mean() > 0.95
    assert debtors["factor_1"].notna().mean() > 0.9
    assert debtors["factor_1"].dropna().str.contains(r": [+-]\d+ points$").all()


def test_a_rerun_replaces_the_rows_of_its_date_only(warehouse, trained):
    score_open_invoices(warehouse, trained[1], AS_OF)
    warehouse.execute(
        """
        insert into ml.invoice_scores (
            as_of_date, entity_id, customer_id, document_id, p_paid_within_horizon,
            horizon_days, model_id, scored_at
        )
        values (date '2024-11-30', 'E01', 'C1', 'OLD', 0.5, 14, 'm0', timestamp '2024-11-30')
        """
    )
    first = warehouse.execute(ALL_SCORES).fetchall()

    written = score_open_invoices(warehouse, trained[1], AS_OF, batch_size=1000)

    assert warehouse.execute(ALL_SCORES).fetchall() == first
    assert written == len(warehouse.execute(OPEN_INVOICES).fetchall())


def test_a_failed_run_keeps_the_previous_scores(warehouse, trained, monkeypatch):
    score_open_invoices(warehouse, trained[1], AS_OF)
    before = warehouse.execute("select count(*) from ml.invoice_scores").fetchall()

    def broken_batches(*args: object) -> object:
        raise RuntimeError("feature stream broke")

    monkeypatch.setattr(scoring, "_insert_scores", broken_batches)
    with pytest.raises(RuntimeError, match="broke"):
        score_open_invoices(warehouse, trained[1], AS_OF)

    assert warehouse.execute("select count(*) from ml.invoice_scores").fetchall() == before


def test_marts_of_another_date_are_refused(warehouse, trained):
    with pytest.raises(ValueError, match="rebuild the marts"):
        score_open_invoices(warehouse, trained[1], date(2025, 1, 31))
