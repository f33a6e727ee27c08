"""Who sees what: password hashes, the users file, sign-in, and a credit manager who must not
see any other entity's data on any page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dashboard_fixtures import (
    APP,
    NOT_FOR_NL01,
    PAGES,
    build_published_warehouse,
    letters_for_business,
    open_page,
    rendered_bytes,
    run_app,
    sign_in,
    signed_in,
    write_model_registry,
    write_reminder_exports,
    write_users_file,
)
from streamlit.testing.v1 import AppTest

from dagster_project.settings import REPO_ROOT
from dashboards import auth, data
from dashboards.lockout import SignInGuard
from dashboards.queries import debtor, dso, overview, quality, reminders


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("access")
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
    return fixture_dir / "published.duckdb"


# --- passwords and the users file --------------------------------------------------------------


def test_a_password_hash_is_salted_and_verifies_only_its_password():
    first, second = auth.hash_password("s3cret"), auth.hash_password("s3cret")

    assert first != second  # a fresh salt each time
    assert first.startswith("scrypt$16384$8$1$")
    assert auth.verify_password("s3cret", first)
    assert auth.verify_password("s3cret", second)
    assert not auth.verify_password("s3cret!", first)
    assert not auth.verify_password("s3cret", "scrypt$not-a-hash")
    assert not auth.verify_password("s3cret", "md5$abc")


def _users(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "users.yml"
    path.write_text(body)
    return path


def test_a_credit_manager_without_entities_is_refused(tmp_path):
    path = _users(tmp_path, "users:\n  x: {role: credit_manager, password_hash: 'scrypt$1'}\n")

    with pytest.raises(auth.UsersConfigError, match=r"users\.x\.entities"):
        auth.load_users(path)


def test_an_unknown_role_is_refused(tmp_path):
    path = _users(tmp_path, "users:\n  x: {role: admin, password_hash: 'scrypt$1'}\n")

    with pytest.raises(auth.UsersConfigError, match="'admin' is not one of cfo, credit_manager"):
        auth.load_users(path)


def test_a_plain_password_in_the_file_is_refused(tmp_path):
    path = _users(tmp_path, "users:\n  x: {role: cfo, password_hash: hunter2}\n")

    with pytest.raises(auth.UsersConfigError, match="expected a `scrypt"):
        auth.load_users(path)


def test_an_identity_provider_user_is_found_by_email(tmp_path):
    path = _users(tmp_path, "users:\n  ann: {role: cfo, email: Ann@Example.com}\n")

    users = auth.load_users(path)

    assert auth.user_by_email(users, "ann@example.com").username == "ann"
    assert auth.user_by_email(users, "bob@example.com") is None
    # without a password hash there is no way in through the form
    assert auth.authenticate(users, "ann", "") is None


def test_the_shipped_users_file_holds_the_demo_users():
    users = auth.load_users(REPO_ROOT / "data" / "config" / "users.yml")

    assert users["cfo"].sees_everything
    assert auth.authenticate(users, "cfo", "demo-cfo") == users["cfo"]
    assert users["credit.nl-retail"].entity_ids == (
        "NL-RET-01",
        "NL-RET-02",
        "NL-RET-03",
        "NL-RET-04",
    )
    assert all(len(user.entity_ids or ()) > 0 for user in users.values() if user.role != "cfo")


# --- signing in -------------------------------------------------------------------------------


def test_nothing_shows_before_signing_in(published):
    app = run_app()

    assert app.title[0].value == "Credit management"
    assert not app.metric
    assert b"NL01" not in rendered_bytes(app)


def test_a_wrong_password_is_refused(published):
    app = sign_in("cfo", "not-the-password")

    assert app.error[0].value == "Unknown user name or wrong password."
    assert not app.metric


def test_signing_out_returns_to_the_sign_in_page(published):
    app = sign_in("nl")
    assert app.title[0].value == "Group receivables"

    app.button(key="sign_out").click().run()

    assert app.title[0].value == "Credit management"
    assert not app.metric


def test_a_user_taken_out_of_the_file_is_signed_out(published, tmp_path, monkeypatch):
    app = signed_in("nl")
    users = tmp_path / "users.yml"
    users.write_text((published.parent / "users.yml").read_text().split("  nl:")[0])
    monkeypatch.setenv("CM_USERS_FILE", str(users))

    app.run()

    assert app.title[0].value == "Credit management"


def test_with_oidc_configured_the_providers_email_picks_the_user(published):
    app = AppTest.from_file(APP, default_timeout=60)
    app.secrets["auth"] = {"redirect_uri": "http://localhost/oauth2callback"}
    app.user = {"is_logged_in": True, "email": "NL@example.com"}

    app.run()

    assert not app.exception
    assert app.title[0].value == "Group receivables"
    assert "Signed in as **NL credit manager**" in " ".join(c.value for c in app.caption)


def test_with_oidc_a_person_not_in_the_users_file_sees_nothing(published):
    app = AppTest.from_file(APP, default_timeout=60)
    app.secrets["auth"] = {"redirect_uri": "http://localhost/oauth2callback"}
    app.user = {"is_logged_in": True, "email": "stranger@example.com"}

    app.run()

    assert "no entry in the users file" in app.error[0].value
    assert not app.metric


# --- a credit manager sees only their own entities ----------------------------------------------


def test_the_leak_detector_sees_the_other_entities_for_the_cfo(published):
    """The check below would notice a leak: for the CFO the same words are on the page."""
    app = signed_in("cfo")

    found = rendered_bytes(app)

    assert all(token.encode() in found for token in ("BE01", "DE01", "Grosshandel GmbH"))


def test_a_credit_manager_sees_no_other_entity_on_any_page(published):
    app = sign_in("nl")
    assert app.multiselect(key="filter_entity").options == ["NL01 · Retail Nederland BV"]
    leaks = {}

    for page in PAGES:
        open_page(app, page)
        if page == "segments":  # the what-if decides the whole group: only NL01 may show
            text = app.text_area(key="segments_yaml").value
            app.text_area(key="segments_yaml").input(letters_for_business(text)).run()
            app.button(key="segments_whatif_run").click().run()
            assert any("What the change would do today" in h.value for h in app.subheader)
        found = rendered_bytes(app)
        leaks[page] = [token for token in NOT_FOR_NL01 if token.encode() in found]

    assert leaks == {page: [] for page in PAGES}


def test_a_group_debtor_shows_only_the_credit_managers_part(published):
    app = signed_in("nl")
    app.query_params["debtor"] = "GD-01"

    open_page(app, "debtor")

    accounts = app.dataframe[0].value
    assert accounts["Entity"].tolist() == ["NL01"]
    assert {metric.label: metric.value for metric in app.metric}["Open balance"] == "€1,750.00"
    assert b"C201" not in rendered_bytes(app)


def test_the_credit_manager_sees_only_their_entities_group_figures(published):
    app = signed_in("nl")

    metrics = {metric.label: metric.value for metric in app.metric}

    assert metrics["Total receivables"] == "€3,250.00"
    assert "1 of 1 entities" in app.caption[0].value
    # NL01's own kpi_monthly row, never the group's: current AR 1,000.00 over sales of
    # 8,400.00 in 91 days; CEI (6,100.00 - 3,250.00) / (6,100.00 - 1,000.00)
    assert metrics["Best-possible DSO"] == "10.8 days"
    assert metrics["Avg days delinquent"] == "24.4 days"
    assert metrics["CEI"] == "55.9%"


def test_filters_cannot_widen_access_in_sql(published):
    """The restriction is part of every query: asking for another entity returns nothing."""
    warehouse = data.published_warehouse()
    scope = data.Scope(
        access=data.Access(("NL01",)), as_of_date=data.as_of_dates(warehouse)[0],
        entity_ids=("DE01",),
    )  # fmt: skip

    assert data.entities(warehouse, scope.access)["entity_id"].tolist() == ["NL01"]
    assert overview.top_debtors(warehouse, scope).empty
    assert overview.aging_by_entity(warehouse, scope).empty
    assert overview.receivables_summary(warehouse, scope)["debtor_count"].iloc[0] == 0
    assert debtor.accounts(warehouse, scope, "GD-01").empty
    assert reminders.action_summary(warehouse, scope).empty
    assert reminders.action_rows(warehouse, scope, in_run=True).empty
    assert quality.quarantine(warehouse, scope).empty
    assert dso.kpi_trend(warehouse, scope).empty


# --- a limit on failed sign-ins -------------------------------------------------------------


def test_five_failures_lock_the_user_name_in_every_session(published, tmp_path, monkeypatch):
    monkeypatch.setenv("CM_DATA_DIR", str(tmp_path))  # a fresh failure count
    for _ in range(4):
        assert sign_in("nl", "wrong").error[0].value == "Unknown user name or wrong password."

    fifth = sign_in("nl", "wrong")
    assert "locked until" in fifth.error[0].value

    # A new session (another browser) with the right password is refused as well.
    app = sign_in("nl")
    assert "locked until" in app.error[0].value
    assert not app.metric
    # Another user name is not affected.
    assert sign_in("cfo").title[0].value == "Group receivables"


def test_a_lock_ends_after_fifteen_minutes_and_a_success_clears_failures(tmp_path):
    guard = SignInGuard(tmp_path / "sign_in.sqlite")
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    for minute in range(4):
        assert guard.record_failure("NL ", start + timedelta(minutes=minute)) is None
    locked = guard.record_failure("nl", start + timedelta(minutes=4))

    assert locked == start + timedelta(minutes=19)
    assert guard.locked_until("nl", start + timedelta(minutes=18)) == locked
    assert guard.locked_until("nl", start + timedelta(minutes=19, seconds=1)) is None
    guard.record_failure("nl", start + timedelta(minutes=20))
    guard.clear("nl")
    assert guard.locked_until("nl", start + timedelta(minutes=20)) is None
    # failures spread wider than the window never lock
    for step in range(10):
        assert guard.record_failure("cfo", start + timedelta(minutes=16 * step)) is None


def test_the_failure_store_holds_no_user_name_in_clear_text(tmp_path):
    guard = SignInGuard(tmp_path / "sign_in.sqlite")

    guard.record_failure("jan.devries@example.com")

    assert b"jan.devries" not in (tmp_path / "sign_in.sqlite").read_bytes()
