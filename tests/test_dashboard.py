"""The group overview page against a small published warehouse with known answers."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dashboard_fixtures import (
    build_published_warehouse,
    sign_in,
    signed_in,
    write_model_registry,
    write_reminder_exports,
    write_users_file,
)

from dashboards.widgets import csv_bytes, excel_bytes


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dashboard")
    build_published_warehouse(folder / "published.duckdb")
    write_users_file(folder / "users.yml")
    write_model_registry(folder / "models")
    write_reminder_exports(folder)
    return folder


@pytest.fixture
def published(fixture_dir, monkeypatch) -> Path:
    monkeypatch.setenv("CM_DATA_DIR", str(fixture_dir))
    monkeypatch.setenv("CM_PUBLISHED_PATH", str(fixture_dir / "published.duckdb"))
    monkeypatch.setenv("CM_USERS_FILE", str(fixture_dir / "users.yml"))
    monkeypatch.setenv("CM_GROUP_CURRENCY", "EUR")
    return fixture_dir / "published.duckdb"


def metrics(app) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def deltas(app) -> dict[str, str]:
    return {metric.label: metric.delta for metric in app.metric}


def test_group_page_shows_the_known_totals(published):
    app = sign_in("cfo")

    assert app.title[0].value == "Group receivables"
    assert "31 March 2024" in app.caption[0].value
    assert "EUR" in app.caption[0].value
    assert metrics(app) == {
        "Total receivables": "€1,262,750.75",
        "Overdue": "€10,800.25",
        "Overdue share": "0.9%",
        "DSO (countback)": "80.8 days",
        "DSO (simple)": "78.6 days",
        "Best-possible DSO": "78.0 days",
        "Avg days delinquent": "0.7 days",
        "CEI": "97.4%",
    }
    # against February's AR of 1,204,900.00 and DSO of 72.5 (simple) and 72.2 (countback)
    assert deltas(app)["Total receivables"] == "+€57,850.75"
    assert deltas(app)["DSO (simple)"] == "+6.1 days"
    assert deltas(app)["DSO (countback)"] == "+8.6 days"
    # against March 2023: AR 1,004,000.00 and simple DSO 59.4; no countback (history too short)
    last_year = next(c.value for c in app.caption if c.value.startswith("Against 31 Mar 2023"))
    assert "receivables +€258,750.75" in last_year
    assert "countback DSO –" in last_year
    assert "simple DSO +19.3 days" in last_year
    # KPIs from marts.kpi_monthly, summed over the entities: current AR 1,252,200.50 over
    # sales of 1,461,500.00 in 91 days; CEI (1,659,500.00 - AR) / (1,659,500.00 - current AR).
    # February: best possible 66.36, simple 72.53, CEI 77.48.
    assert deltas(app)["Best-possible DSO"] == "+11.6 days"
    assert deltas(app)["Avg days delinquent"] == "-5.5 days"
    assert deltas(app)["CEI"] == "+19.9 pts"
    kpi_year = next(c.value for c in app.caption if c.value.startswith("KPIs against 31 Mar 2023"))
    # March 2023: best possible 902,000.00 * 31 / 524,400.00 = 53.32, ADD 6.03; no CEI, since
    # collectible (0.00 + 524,400.00) minus current AR (902,000.00) is not positive
    assert kpi_year == (
        "KPIs against 31 Mar 2023: Best-possible DSO +24.6 days · "
        "Avg days delinquent -5.4 days · CEI –"
    )
    # aging by division, by debtor country, by entity; DSO trend and by entity
    assert len(app.get("vega_lite_chart")) == 5


def test_aging_table_sums_to_the_balance_and_offers_downloads(published):
    app = signed_in("cfo")

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
    labels = [button.proto.label for button in app.get("download_button")]
    assert labels[:2] == ["CSV", "Excel"]


def test_top_debtors_are_ranked_at_group_level(published):
    app = signed_in("cfo")

    debtors = app.dataframe[1].value
    # GD-01 is C002 at NL01 (1,750.00) and C201 at DE01 (1,253,000.00) together
    assert debtors["Debtor"].tolist() == [
        "GD-01", "DE01 / C202", "NL01 / C001", "BE01 / C101", "BE01 / C102",
    ]  # fmt: skip
    assert debtors["Entities"].iloc[0] == "DE01, NL01"
    assert debtors["Open balance"].iloc[0] == Decimal("1254750.00")


def test_filtering_to_one_entity_shows_that_entity(published):
    app = signed_in("cfo")

    app.multiselect(key="filter_entity").select("BE01").run()

    assert not app.exception
    assert metrics(app)["Total receivables"] == "€2,000.50"
    assert metrics(app)["Overdue"] == "€800.00"
    assert metrics(app)["Overdue share"] == "40.0%"
    assert metrics(app)["DSO (simple)"] == "58.7 days"
    assert metrics(app)["DSO (countback)"] == "69.7 days"
    assert "1 of 3 entities" in app.caption[0].value
    assert app.dataframe[0].value["Entity"].tolist() == ["BE01", "Total"]


def test_selecting_every_entity_matches_the_group_marts(published):
    """The DSO summed from the entity marts agrees with group_dso_monthly."""
    app = signed_in("cfo")
    whole_group = metrics(app)

    app.multiselect(key="filter_entity").set_value(["NL01", "BE01", "DE01"]).run()

    assert metrics(app) == whole_group


def test_division_filter_sums_its_entities(published):
    app = signed_in("cfo")

    app.multiselect(key="filter_division").select("retail").run()

    assert metrics(app)["Total receivables"] == "€5,250.50"
    assert metrics(app)["Overdue"] == "€3,300.00"


def test_segment_filter_narrows_to_those_customers(published):
    app = signed_in("cfo")

    app.multiselect(key="filter_segment").select("consumer").run()

    # C001 at NL01 (1,500.00, of which 500.00 overdue) and C102 at BE01 (800.00 overdue)
    assert metrics(app)["Total receivables"] == "€2,300.00"
    assert metrics(app)["Overdue"] == "€1,300.00"
    assert app.dataframe[0].value["Entity"].tolist() == ["NL01", "BE01", "Total"]
    assert any("segment filter does not narrow" in caption.value for caption in app.caption)


def test_document_currency_shows_each_currency_in_its_own_terms(published):
    app = signed_in("cfo")

    app.radio(key="filter_currency").set_value("document").run()

    by_currency = app.dataframe[0].value.set_index("Currency")
    assert by_currency.loc["USD", "Open amount"] == Decimal("4950.00")
    assert by_currency.loc["USD", "Open (EUR)"] == Decimal("4500.25")
    assert by_currency.loc["EUR", "Open amount"] == Decimal("1258250.50")
    assert "amounts in **document currency**" in app.caption[0].value


def test_as_of_selector_offers_the_dates_in_the_warehouse(published):
    app = signed_in("cfo")

    assert [str(option) for option in app.selectbox(key="filter_as_of").options] == ["31 Mar 2024"]


def test_filters_that_match_nothing_show_an_empty_state(published):
    app = signed_in("cfo")

    app.multiselect(key="filter_division").select("wholesale").run()
    app.multiselect(key="filter_country").select("NL").run()

    assert not app.exception
    assert "No entities match the selected filters" in app.info[0].value
    assert not app.metric


def test_downloads_keep_plain_numbers():
    frame = pd.DataFrame(
        {"Entity": ["NL01"], "Total": [Decimal("3250.00")], "Documents": [["A", "B"]]}
    )

    assert csv_bytes(frame).decode() == 'Entity,Total,Documents\nNL01,3250.00,"A, B"\n'
    sheet = pd.read_excel(io.BytesIO(excel_bytes(frame)), engine="openpyxl")
    assert sheet.to_dict("records") == [{"Entity": "NL01", "Total": 3250.0, "Documents": "A, B"}]


def test_missing_warehouse_says_what_to_run(published, tmp_path, monkeypatch):
    missing = tmp_path / "nowhere" / "published.duckdb"
    monkeypatch.setenv("CM_PUBLISHED_PATH", str(missing))

    app = signed_in("cfo")

    message = app.info[0].value
    assert message.startswith(f"No published warehouse at {missing}")
    assert "make demo SERVE=0" in message


def test_warehouse_without_marts_shows_an_error_not_a_traceback(published, tmp_path, monkeypatch):
    empty = tmp_path / "published.duckdb"
    duckdb.connect(str(empty)).close()
    monkeypatch.setenv("CM_PUBLISHED_PATH", str(empty))

    app = signed_in("cfo")

    assert "could not be read" in app.error[0].value
