"""The entity, debtor, segments, reminder run, model and data quality pages against the
fixture warehouse with known answers. Every page as a credit manager: test_dashboard_access."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from dashboard_fixtures import (
    MODEL_CARD,
    MODEL_ID,
    PERSONAL_DATA,
    build_published_warehouse,
    open_page,
    rendered_bytes,
    signed_in,
    write_model_registry,
    write_reminder_exports,
    write_users_file,
)

from dagster_project.settings import REPO_ROOT
from dashboards import data
from dashboards.queries import debtor as debtor_queries
from dashboards.queries import reminders


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pages")
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
    monkeypatch.setenv("CM_SEGMENTS_FILE", str(REPO_ROOT / "data" / "config" / "segments.yml"))
    return fixture_dir / "published.duckdb"


def metrics(app) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def table(app, index: int) -> list[dict]:
    return app.dataframe[index].value.to_dict("records")


def test_entity_page_shows_the_chosen_entity(published):
    app = open_page(signed_in("cfo"), "entity")

    app.selectbox(key="entity_page_entity").set_value("BE01").run()

    assert metrics(app)["Receivables"] == "€2,000.50"
    assert metrics(app)["Overdue"] == "€800.00"
    assert metrics(app)["DSO (countback)"] == "69.7 days"
    assert [row["Debtor"] for row in table(app, 0)] == ["BE01 / C101", "BE01 / C102"]
    # the day's run at BE01: C102 gets a letter, C101 nothing
    actions = {(row["Action"], row["Channel"]): row["Debtors"] for row in table(app, 1)}
    assert actions == {("none", "–"): 1, ("remind", "letter"): 1}


def test_debtor_page_shows_a_group_debtor_at_every_entity(published):
    app = signed_in("cfo")
    app.query_params["debtor"] = "GD-01"
    open_page(app, "debtor")

    assert metrics(app)["Open balance"] == "€1,254,750.00"
    assert metrics(app)["Entities"] == "2"
    assert [row["Entity"] for row in table(app, 0)] == ["DE01", "NL01"]
    markdown = " ".join(element.value for element in app.markdown)
    assert "DE01 / C201: **remind** by phone, neutral tone, offer payment_plan" in markdown
    assert "NL01 / C002: **no reminder** — Not reminded: every overdue invoice is disputed" in (
        markdown
    )
    items = table(app, 1)
    assert [row["Item"] for row in items] == ["INV-D2", "INV-N3", "INV-D1", "PAY-N4"]
    settled = table(app, 2)
    assert [row["Number"] for row in settled] == ["INV-D0", "INV-N9"]
    contacts = table(app, 3)
    assert [row["Channel"] for row in contacts] == ["phone", "email"]


def test_the_debtor_picker_lists_the_largest_and_finds_the_rest(published):
    """A group has hundreds of thousands of debtors: the picker offers the largest, the debtor
    a link names, and what the search finds (D51)."""
    warehouse = data.published_warehouse()
    scope = data.Scope(data.Access(None), data.as_of_dates(warehouse)[0])
    every = debtor_queries.debtors(warehouse, scope, limit=1000)
    assert len(every) > 3 and every["matching"].eq(len(every)).all()
    smallest = every["debtor"].iloc[-1]

    top = debtor_queries.debtors(warehouse, scope, limit=2, wanted=smallest)
    assert top["debtor"].tolist() == [*every["debtor"].head(2), smallest]
    found = debtor_queries.debtors(warehouse, scope, search="gd-0", limit=1000)
    assert found["debtor"].tolist() == [d for d in every["debtor"] if "GD-0" in d]

    app = open_page(signed_in("cfo"), "debtor")
    app.text_input(key="debtor_page_search").set_value("nl01").run()
    options = app.selectbox(key="debtor_page_debtor").options
    # NL01's own customers, and the group debtor with an account there
    assert [option.split(" · ")[0] for option in options] == ["GD-01", "NL01 / C001"]
    app.text_input(key="debtor_page_search").set_value("nobody").run()
    assert "No debtor with open items matches" in app.info[0].value

    linked = signed_in("cfo")
    linked.query_params["debtor"] = "BE01 / C999"
    open_page(linked, "debtor")
    assert "`BE01 / C999` has no open items" in linked.warning[0].value

    member = signed_in("cfo")  # an account of group debtor GD-01 opens the group
    member.query_params["debtor"] = "DE01 / C201"
    open_page(member, "debtor")
    assert not member.warning
    assert member.selectbox(key="debtor_page_debtor").value == "GD-01"
    found = debtor_queries.debtors(warehouse, scope, search="de01 / c2", limit=1000)
    assert "GD-01" in found["debtor"].tolist()


def test_segments_page_validates_the_shipped_file(published):
    app = open_page(signed_in("cfo"), "segments")

    assert app.success[0].value.startswith("Valid:")
    segments = app.table[0].value
    assert segments["Segment"].iloc[-1] == "default"
    assert segments["Who"].iloc[-1] == "everyone else"


def test_segments_page_lists_every_problem_of_a_broken_file(published, tmp_path, monkeypatch):
    broken = tmp_path / "segments.yml"
    broken.write_text("score_bands: []\nsegments: []\n")
    monkeypatch.setenv("CM_SEGMENTS_FILE", str(broken))

    app = open_page(signed_in("cfo"), "segments")

    assert "the daily run would stop on it" in app.error[0].value
    assert "score_bands" in app.error[0].value
    assert not app.success


def test_reminder_run_page_splits_reminded_and_not(published):
    app = open_page(signed_in("cfo"), "reminder_run")

    assert metrics(app) == {
        "Debtors decided": "6",
        "In the run": "3",
        "Held back": "3",
        "Amount due in the run": "€4,300.00",
        "Expected cash": "€179.50",  # 8.40 + 21.10 + 150.00
    }
    reminded = table(app, 0)
    assert {(row["Entity"], row["Channel"]) for row in reminded} == {
        ("NL01", "sms"), ("BE01", "letter"), ("DE01", "phone"),
    }  # fmt: skip
    reasons = {row["Reason"]: row["Debtors"] for row in table(app, 1)}
    assert reasons == {
        "Not reminded: every overdue invoice is disputed": 1,
        "Not reminded: nothing is past the segment's grace period yet": 1,
        "Not reminded: a payment provider reports the overdue invoices paid": 1,
    }
    labels = [button.proto.label for button in app.get("download_button")]
    assert labels == ["CSV", "Excel", "CSV", "Excel"]


def test_reminder_run_lists_are_cut_and_summed_in_duckdb(published):
    """The page reads the run's totals, mix and first rows, not every decided debtor (D51): at
    group scale a run decides hundreds of thousands. The parts agree with the full list."""
    warehouse = data.published_warehouse()
    scope = data.Scope(data.Access(None), data.as_of_dates(warehouse)[0])

    summary = reminders.action_summary(warehouse, scope).iloc[0]
    in_run = reminders.action_rows(warehouse, scope, in_run=True)
    held_back = reminders.action_rows(warehouse, scope, in_run=False)

    assert (summary["decided"], summary["in_run"], summary["held_back"]) == (6, 3, 3)
    assert summary["amount_due_base"] == in_run["amount_due_base"].sum()
    amounts = in_run["amount_due_base"].tolist()
    assert amounts == sorted(amounts, reverse=True)
    first = reminders.action_rows(warehouse, scope, in_run=True, limit=1)
    assert first.to_dict("records") == in_run.head(1).to_dict("records")
    channels = reminders.actions_by(warehouse, scope, ("channel",))
    assert dict(zip(channels["channel"], channels["debtors"], strict=True)) == {
        "sms": 1, "letter": 1, "phone": 1,
    }  # fmt: skip
    reasons = reminders.held_back_by_reason(warehouse, scope)
    assert reasons["debtors"].sum() == len(held_back) == 3


def test_reminder_run_page_previews_the_rendered_messages(published):
    app = open_page(signed_in("cfo"), "reminder_run")

    assert app.selectbox(key="reminder_run_message").options == [
        "BE01 / C102 · letter", "DE01 / C201 · phone", "NL01 / C001 · sms",
    ]  # fmt: skip
    assert app.text[0].value == "C102: please pay INV-B2 (800.00 EUR)."
    assert len(app.get("image")) == 1  # the EPC QR code of the letter
    assert b"someone@example.com" not in rendered_bytes(app)  # the recipient is never read


def test_reminder_run_page_reads_the_older_run_layout(published, tmp_path, monkeypatch):
    """A run written before the policy renamed overdue_amount to amount_due and added the
    expected value: still shown, without expected cash."""
    older = tmp_path / "published.duckdb"
    older.write_bytes(published.read_bytes())
    with duckdb.connect(str(older)) as con:
        con.execute(
            "alter table reminders.debtor_actions rename amount_due to overdue_amount;"
            "alter table reminders.debtor_actions rename amount_due_base to overdue_amount_base;"
            "alter table reminders.debtor_actions drop column expected_value_base;"
        )
    monkeypatch.setenv("CM_PUBLISHED_PATH", str(older))

    app = open_page(signed_in("cfo"), "reminder_run")

    assert metrics(app)["In the run"] == "3"
    assert metrics(app)["Amount due in the run"] == "€4,300.00"
    assert "Expected cash" not in metrics(app)
    actions = {row["Customer"]: row["Action"] for row in table(app, 0)}
    assert actions["C201"] == "remind"


def test_reminder_run_page_for_a_credit_manager(published):
    app = open_page(signed_in("nl"), "reminder_run")

    assert metrics(app)["Debtors decided"] == "2"
    assert [row["Customer"] for row in table(app, 0)] == ["C001"]


def test_model_page_shows_the_promoted_model_against_the_baseline(published):
    app = open_page(signed_in("cfo"), "model")

    assert MODEL_ID in app.markdown[0].value
    assert metrics(app)["ROC AUC"] == "0.831"
    assert {metric.label: metric.delta for metric in app.metric}["ROC AUC"] == (
        "+0.180 vs baseline"
    )
    assert metrics(app)["Paid share in the test set"] == "61.0%"
    assert any("no reliability bins" in caption.value for caption in app.caption)
    assert any("One scoring date so far" in caption.value for caption in app.caption)


def test_model_page_draws_reliability_when_the_card_has_it(published, tmp_path, monkeypatch):
    card = {**MODEL_CARD, "reliability": [
        {"mean_predicted": 0.2, "observed": 0.25, "count": 100},
        {"mean_predicted": 0.8, "observed": 0.75, "count": 200},
    ]}  # fmt: skip
    models = write_model_registry(tmp_path / "models")
    (models / MODEL_ID / "metrics.json").write_text(json.dumps(card))
    monkeypatch.setenv("CM_DATA_DIR", str(tmp_path))

    app = open_page(signed_in("cfo"), "model")

    assert not any("no reliability bins" in caption.value for caption in app.caption)
    assert len(app.get("vega_lite_chart")) == 2  # reliability and score distribution


def test_model_page_without_a_model_says_so(published, tmp_path, monkeypatch):
    monkeypatch.setenv("CM_DATA_DIR", str(tmp_path))

    app = open_page(signed_in("cfo"), "model")

    assert "No promoted model" in app.info[0].value


def test_data_quality_page_for_the_cfo(published):
    app = open_page(signed_in("cfo"), "data_quality")

    assert metrics(app) == {
        "Files loaded": "6",
        "Rows read": "57",
        "Rows loaded": "52",
        "Rows quarantined": "5",
    }
    checks = {row["Check"]: row["Result"] for row in table(app, 0)}
    assert set(checks.values()) == {"passed"}
    assert {row["Reason"] for row in table(app, 1)} == {
        "amount: not a number", "due_date: not a date", "status: not an allowed value",
        "email: not an e-mail address (•••@•••)", "Expected Number of Columns: 9 Found: 10",
    }  # fmt: skip


def test_data_quality_page_masks_personal_data_in_quarantined_rows(published):
    app = open_page(signed_in("cfo"), "data_quality")

    found = rendered_bytes(app)
    assert [value for value in PERSONAL_DATA if value.encode() in found] == []
    rows = {(row["File"], row["Line"]): row for row in table(app, 2)}
    split = rows[("erp/NL01/customers.csv", 3)]
    assert split["Reason"] == "email: not an e-mail address (•••@•••)"
    assert '"customer_id": "C003"' in split["Record as delivered"]  # ids stay readable
    assert '"customer_name": "•••"' in split["Record as delivered"]
    assert '"iban": "•••"' in split["Record as delivered"]
    unsplit = rows[("erp/NL01/customers.csv", 4)]
    assert unsplit["Record as delivered"] == "(line hidden: it may hold personal data)"
    assert unsplit["Reason"] == "Expected Number of Columns: 9 Found: 10"
    other = rows[("erp/NL01/documents.csv", 7)]
    assert other["Record as delivered"] == (
        '{"entity_id": "NL01", "document_id": "INV-NX", "amount": "12,50"}'
    )


def test_data_quality_page_for_a_credit_manager(published):
    app = open_page(signed_in("nl"), "data_quality")

    assert metrics(app)["Files loaded"] == "2"
    assert [row["Line"] for row in table(app, 2)] == [3, 4, 7]
    assert [row["File"] for row in table(app, 3)] == [
        "erp/NL01/customers.csv", "erp/NL01/documents.csv",
    ]  # fmt: skip
