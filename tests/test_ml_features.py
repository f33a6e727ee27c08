"""Features as of T: hand-computed values, and nothing dated after T changes them."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest
from ml_fixtures import GroupSpec, hand_made_history, make_history, write_marts

from models_ml.features import FEATURES, build_features, features_sql

T = date(2024, 6, 30)


@pytest.fixture(scope="module")
def group_history() -> dict[str, pd.DataFrame]:
    return make_history(GroupSpec(n_customers=80, n_invoices=2000))


@pytest.mark.parametrize("as_of", [date(2023, 9, 30), date(2024, 3, 15), date(2024, 10, 31)])
def test_features_ignore_everything_dated_after_as_of(tmp_path, group_history, as_of):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    write_marts(con, group_history, as_of)
    before = build_features(con, as_of)

    write_marts(con, group_history, date(2025, 12, 31))
    later = con.execute(
        """
        select
            (select count(*) from marts.fct_invoices where issue_date > $t) as new_invoices,
            (select count(*) from marts.fct_contacts where sent_date > $t) as new_contacts,
            (select count(*) from marts.fct_invoices where settled_date > $t) as new_settlements,
        """,
        {"t": as_of},
    ).fetchall()[0]
    after = build_features(con, as_of)

    assert min(later) > 0, "the later warehouse must add invoices, contacts and settlements"
    assert len(before) > 100
    assert (before["hist_settled_count"] > 0).mean() > 0.5
    assert (before["invoice_reminder_count"] > 0).any()
    assert (before["hist_paid_after_reminder_share"] > 0).any()
    assert (before["hist_direct_debit_share"] > 0).any()
    assert (before["overdue_invoice_count"] > 0).any()
    pd.testing.assert_frame_equal(before, after)


@pytest.fixture
def hand_made(tmp_path) -> pd.DataFrame:
    history = hand_made_history(
        invoices=[
            ("INV1", "2024-01-01", "2024-01-31", 100.0, "2024-02-10"),
            ("INV2", "2024-02-01", "2024-03-02", 200.0, "2024-02-25"),
            ("INV3", "2024-03-01", "2024-03-31", 300.0, "2024-07-15"),
            ("INV4", "2024-06-30", "2024-07-31", 600.0, None),
            ("INV5", "2024-07-05", "2024-08-04", 900.0, None),
        ],
        contacts=[("INV3", "2024-04-01"), ("INV3", "2024-04-07"), ("INV3", "2024-07-02")],
    )
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    write_marts(con, history, date(2024, 12, 31))
    return build_features(con, T).set_index("document_id")


def test_only_invoices_open_at_as_of_are_featured(hand_made):
    assert list(hand_made.index) == ["INV3", "INV4"]
    assert set(FEATURES) <= set(hand_made.columns) | {"document_id"}


def test_invoice_features_match_hand_computed_values(hand_made):
    inv3, inv4 = hand_made.loc["INV3"], hand_made.loc["INV4"]

    assert inv3["amount_to_median_ratio"] == pytest.approx(300 / 200)
    assert inv4["amount_to_median_ratio"] == pytest.approx(600 / 200)
    assert inv3["terms_days"] == 30
    assert inv3["days_past_due"] == (T - date(2024, 3, 31)).days
    assert inv4["days_past_due"] == -31
    assert inv3["is_due_month_end"] == 1
    assert inv3["invoice_reminder_count"] == 2
    assert inv4["invoice_reminder_count"] == 0


def test_debtor_features_use_history_settled_by_as_of(hand_made):
    debtor = hand_made.loc["INV3"]

    assert debtor["hist_settled_count"] == 2
    assert debtor["hist_late_share"] == pytest.approx(0.5)
    assert debtor["hist_mean_days_late"] == pytest.approx((10 - 6) / 2)
    assert debtor["days_since_last_payment"] == (T - date(2024, 2, 25)).days
    assert debtor["open_invoice_count"] == 2
    assert debtor["open_amount_base"] == pytest.approx(900)
    # 2024-04-01 is exactly 90 days before T: outside the window; 2024-07-02 is after T.
    assert debtor["debtor_reminders_90d"] == 1
    assert debtor["recent_mean_days_late"] == pytest.approx((10 - 6) / 2)
    assert debtor["overdue_invoice_count"] == 1
    assert debtor["overdue_amount_base"] == pytest.approx(300)
    # Both reminders before T were for INV3, which was not paid within 14 days of either.
    assert debtor["hist_paid_after_reminder_share"] == 0
    # One PSP signal by T (the fixture gives INV2 a direct debit); INV4's is not there yet.
    assert debtor["hist_direct_debit_share"] == 1
    assert debtor["usual_payment_method"] == "sepa_direct_debit"


def test_missing_categories_are_a_category_of_their_own(hand_made):
    assert set(hand_made["segment"]) == {"unknown"}
    assert set(hand_made["language"]) == {"unknown"}
    assert set(hand_made["division"]) == {"retail"}


def test_a_debtor_sample_keeps_each_sampled_debtors_features_exactly(tmp_path, group_history):
    """Training at group scale learns from a sample of debtors (D49): each sampled debtor comes
    with all its invoices and history, so its features are those of the full query."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    write_marts(con, group_history, T)
    full = build_features(con, T)
    keys = ["entity_id", "document_id"]
    sampled = (
        con.execute(features_sql(debtor_sample=True), {"as_of": T, "sample_per_10k": 3000})
        .df()
        .sort_values(keys, ignore_index=True)
    )

    debtors = full[["entity_id", "customer_id"]].drop_duplicates()
    assert 0 < sampled["customer_id"].nunique() < len(debtors) * 0.6
    assert sampled.groupby(["entity_id", "customer_id"]).size().min() >= 1
    expected = full.merge(
        sampled[["entity_id", "customer_id"]].drop_duplicates(), on=["entity_id", "customer_id"]
    ).sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(sampled, expected)
