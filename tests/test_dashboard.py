"""The Streamlit dashboard against a small published warehouse with known answers."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dashboard_fixtures import build_published_warehouse
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "dashboards" / "app.py")


@pytest.fixture(scope="module")
def published_file(tmp_path_factory) -> Path:
    return build_published_warehouse(tmp_path_factory.mktemp("published") / "published.duckdb")


@pytest.fixture
def published(published_file, monkeypatch) -> Path:
    monkeypatch.setenv("CM_PUBLISHED_PATH", str(published_file))
    monkeypatch.setenv("CM_GROUP_CURRENCY", "EUR")
    return published_file


def run_app() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception, [exception.value for exception in app.exception]
    return app


def metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def deltas(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.delta for metric in app.metric}


def test_group_page_shows_the_known_totals(published):
    app = run_app()

    assert app.title[0].value == "Group receivables"
    assert "31 March 2024" in app.caption[0].value
    assert "EUR" in app.caption[0].value
    assert metrics(app) == {
        "Total receivables": "€1,262,750.75",
        "Overdue": "€10,800.25",
        "Overdue share": "0.9%",
        "DSO (simple)": "78.6 days",
        "DSO (countback)": "80.8 days",
    }
    # against February's AR of 1,204,900.00 and DSO of 72.5 (simple) and 72.2 (countback)
    assert deltas(app)["Total receivables"] == "+€57,850.75"
    assert deltas(app)["DSO (simple)"] == "+6.1 days"
    assert deltas(app)["DSO (countback)"] == "+8.6 days"
    assert len(app.get("vega_lite_chart")) == 3  # aging, DSO by entity, DSO trend


def test_aging_table_sums_to_the_balance_and_offers_a_download(published):
    app = run_app()

    aging = app.dataframe[0].value
    assert list(aging.columns) == [
        "Entity", "Name", "Division", "Country",
        "Unapplied credit", "Current", "1-30", "31-60", "61-90", "91+", "Total",
    ]  # fmt: skip
    assert aging["Entity"].tolist() == ["DE01", "NL01", "BE01", "Total"]
    totals = dict(zip(aging["Entity"], aging["Total"], strict=True))
    assert str(totals["NL01"]) == "3250.00"
    assert str(totals["Total"]) == "1262750.75"
    assert str(aging.loc[aging["Entity"] == "NL01", "Unapplied credit"].iloc[0]) == "-250.00"
    assert app.get("download_button")[0].label == "Download aging (CSV)"


def test_top_debtors_are_ranked_by_open_balance(published):
    app = run_app()

    debtors = app.dataframe[1].value
    assert debtors["Customer"].tolist() == ["C201", "C202", "C002", "C001", "C101", "C102"]
    assert debtors["Segment"].iloc[0] == "key_account"


def test_filtering_to_one_entity_shows_that_entity(published):
    app = run_app()

    app.multiselect(key="filter_entity").select("BE01").run()

    assert not app.exception
    assert metrics(app) == {
        "Total receivables": "€2,000.50",
        "Overdue": "€800.00",
        "Overdue share": "40.0%",
        "DSO (simple)": "58.7 days",
        "DSO (countback)": "69.7 days",
    }
    assert "1 of 3 entities" in app.caption[0].value
    assert app.dataframe[0].value["Entity"].tolist() == ["BE01", "Total"]


def test_selecting_every_entity_matches_the_group_marts(published):
    """The DSO summed from the entity marts agrees with group_dso_monthly."""
    app = run_app()
    whole_group = metrics(app)

    app.multiselect(key="filter_entity").set_value(["NL01", "BE01", "DE01"]).run()

    assert metrics(app) == whole_group


def test_division_filter_sums_its_entities(published):
    app = run_app()

    app.multiselect(key="filter_division").select("retail").run()

    assert metrics(app)["Total receivables"] == "€5,250.50"
    assert metrics(app)["Overdue"] == "€3,300.00"


def test_filters_that_match_nothing_show_an_empty_state(published):
    app = run_app()

    app.multiselect(key="filter_division").select("wholesale").run()
    app.multiselect(key="filter_country").select("NL").run()

    assert not app.exception
    assert "No entities match the selected filters" in app.info[0].value
    assert not app.metric


def test_missing_warehouse_says_what_to_run(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere" / "published.duckdb"
    monkeypatch.setenv("CM_PUBLISHED_PATH", str(missing))

    app = run_app()

    message = app.info[0].value
    assert message.startswith(f"No published warehouse at {missing}")
    assert "make demo SERVE=0" in message


def test_warehouse_without_marts_shows_an_error_not_a_traceback(tmp_path, monkeypatch):
    empty = tmp_path / "published.duckdb"
    duckdb.connect(str(empty)).close()
    monkeypatch.setenv("CM_PUBLISHED_PATH", str(empty))

    app = run_app()

    assert "could not be read" in app.error[0].value
