"""Segments and strategies: edit, what-if on today's scores, versioned save, who may save.

The what-if runs the real policy (`models_ml.policy.decide_with_config`) on a copy of the
fixture warehouse, with the shipped segments file before and an edited one after. The edit
(`letters_for_business`) sends business debtors at the first step a formal letter instead of an
e-mail or call: in the fixture that is DE01/C202 (b2b, 20 days past due, never reminded) and
nobody else, since C201's next step is the second one, C002 is disputed and C101 is not overdue.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from dashboard_fixtures import (
    NOT_FOR_NL01,
    PASSWORDS,
    build_published_warehouse,
    letters_for_business,
    open_page,
    rendered_bytes,
    sign_in,
    write_users_file,
)

from dagster_project.settings import REPO_ROOT
from dashboards import auth, strategy_store


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("segments")
    build_published_warehouse(folder / "published.duckdb")
    users = write_users_file(folder / "users.yml")
    auditor = auth.hash_password("auditor-secret")
    users.write_text(
        users.read_text()
        + f"  auditor:\n    role: cfo\n    edit_strategies: false\n    password_hash: {auditor}\n"
    )
    return folder


@pytest.fixture
def segments_file(fixture_dir, tmp_path, monkeypatch) -> Path:
    config = tmp_path / "config"
    config.mkdir()
    for name in ("segments.yml", "holidays.yml"):
        shutil.copy(REPO_ROOT / "data" / "config" / name, config / name)
    monkeypatch.setenv("CM_DATA_DIR", str(fixture_dir))
    monkeypatch.setenv("CM_PUBLISHED_PATH", str(fixture_dir / "published.duckdb"))
    monkeypatch.setenv("CM_USERS_FILE", str(fixture_dir / "users.yml"))
    monkeypatch.setenv("CM_SEGMENTS_FILE", str(config / "segments.yml"))
    monkeypatch.setenv("CM_GROUP_CURRENCY", "EUR")
    return config / "segments.yml"


def edited(segments_file: Path) -> str:
    return letters_for_business(segments_file.read_text())


def what_if(username: str, text: str, password: str | None = None):
    app = open_page(sign_in(username, password), "segments")
    app.text_area(key="segments_yaml").input(text).run()
    app.button(key="segments_whatif_run").click().run()
    assert not app.exception, [exception.value for exception in app.exception]
    return app


def mix(app) -> dict[tuple[str, str], tuple[int, int]]:
    frame = next(df.value for df in app.dataframe if "By" in df.value.columns)
    return {(row["By"], row["Value"]): (row["Before"], row["After"]) for _, row in frame.iterrows()}


def test_the_what_if_shows_the_change_before_saving(segments_file):
    live = segments_file.read_text()

    app = what_if("cfo", edited(segments_file))

    assert mix(app)[("channel", "letter")] == (0, 1)
    assert mix(app)[("tone", "formal")] == (0, 1)
    changed = next(df.value for df in app.dataframe if "Channel before" in df.value.columns)
    assert changed[["Entity", "Customer"]].values.tolist() == [["DE01", "C202"]]
    assert changed["Channel after"].tolist() == ["letter"]
    assert changed["Channel before"].tolist() != ["letter"]
    metrics = {metric.label: metric for metric in app.metric}
    assert metrics["Contact cost"].delta.startswith("+€")  # a letter costs more than e-mail
    assert segments_file.read_text() == live  # nothing saved by a what-if
    assert not app.button(key="segments_save").disabled


def test_a_broken_edit_lists_every_problem_and_cannot_be_saved(segments_file):
    broken = edited(segments_file).replace("channel: letter", "channel: fax", 1)

    app = what_if("cfo", broken)

    assert "fax" in app.error[0].value
    assert "breaks 1 rule" in app.error[0].value
    assert app.button(key="segments_save").disabled
    assert not [df for df in app.dataframe if "By" in df.value.columns]


def test_saving_keeps_a_version_with_who_and_when_and_replaces_the_file(segments_file):
    before = segments_file.read_text()
    text = edited(segments_file)
    app = what_if("cfo", text)

    app.text_input(key="segments_comment").input("Letters for business debtors").run()
    app.button(key="segments_save").click().run()

    assert not app.exception
    assert segments_file.read_text() == text
    versions = strategy_store.versions(segments_file)
    assert [(v.version, v.saved_by, v.role) for v in versions] == [
        (0, "(before the first save)", ""), (1, "cfo", "cfo"),
    ]  # fmt: skip
    assert versions[1].comment == "Letters for business debtors"
    history = strategy_store.history_dir(segments_file)
    assert (history / versions[0].file).read_text() == before
    assert (history / versions[1].file).read_text() == text
    assert "Saved version 1 by cfo" in app.success[0].value
    history_table = next(df.value for df in app.dataframe if "Version" in df.value.columns)
    assert history_table["By"].tolist() == ["cfo", "(before the first save)"]
    assert not list(segments_file.parent.glob(".*candidate*"))  # no temporary file left


def test_a_save_over_someone_elses_change_is_refused(segments_file):
    app = what_if("cfo", edited(segments_file))
    someone_else = segments_file.read_text().replace("quiet_days: 7", "quiet_days: 8")
    segments_file.write_text(someone_else)

    app.button(key="segments_save").click().run()

    assert "changed by someone else" in app.error[0].value
    assert segments_file.read_text() == someone_else
    assert strategy_store.versions(segments_file) == []


def test_the_store_refuses_an_invalid_file_without_touching_the_live_one(segments_file):
    live = segments_file.read_text()

    with pytest.raises(strategy_store.SegmentsConfigError) as raised:
        strategy_store.save(
            segments_file, "segments: [", based_on_sha256=strategy_store.sha256(live),
            saved_by="cfo", role="cfo",
        )  # fmt: skip

    assert "not valid YAML" in raised.value.problems[0]
    assert segments_file.read_text() == live
    assert strategy_store.versions(segments_file) == []


def test_a_user_without_the_right_to_edit_cannot_change_strategies(segments_file):
    app = open_page(sign_in("auditor", "auditor-secret"), "segments")

    assert not app.text_area
    assert not [button for button in app.button if button.key == "segments_save"]
    assert "may read the strategies but not change them" in app.info[0].value


def test_a_credit_manager_sees_only_their_debtors_in_the_what_if(segments_file):
    app = what_if("nl", edited(segments_file), PASSWORDS["nl"])

    found = rendered_bytes(app)
    assert [token for token in NOT_FOR_NL01 if token.encode() in found] == []
    assert b"C202" not in found
    assert any("Debtors whose decision changes: 0" in c.value for c in app.caption)
    # NL01's two debtors: C001 reminded, C002 held back (disputed), before and after
    metrics = {metric.label: metric.value for metric in app.metric}
    assert (metrics["Debtors in the run"], metrics["Held back"]) == ("1", "1")
    assert ("channel", "letter") not in mix(app)


def test_the_log_is_one_json_object_per_line(segments_file):
    live = segments_file.read_text()
    strategy_store.save(
        segments_file, edited(segments_file), based_on_sha256=strategy_store.sha256(live),
        saved_by="cfo", role="cfo",
    )  # fmt: skip

    lines = strategy_store.log_file(segments_file).read_text().splitlines()

    assert [json.loads(line)["version"] for line in lines] == [0, 1]
