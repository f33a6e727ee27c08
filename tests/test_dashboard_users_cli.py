"""The users CLI: adds a user with a hashed password, keeps the file's comments, refuses bad
entries without touching the file."""

from __future__ import annotations

import io

import pytest
from dashboard_fixtures import write_users_file

from dashboards import auth, users_cli


@pytest.fixture
def users(tmp_path, monkeypatch):
    path = write_users_file(tmp_path / "users.yml")
    path.write_text("# who may sign in\n" + path.read_text())
    monkeypatch.setenv("CM_USERS_FILE", str(path))
    return path


def add(monkeypatch, *argv: str, password: str = "a-long-secret") -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    users_cli.main(["add", *argv, "--password-stdin"])


def test_a_credit_manager_is_added_and_can_sign_in(users, monkeypatch):
    add(monkeypatch, "credit.be", "--role", "credit_manager", "--entities", "BE01, DE01",
        "--name", "Belgian credit", "--read-only")  # fmt: skip

    loaded = auth.load_users(users)
    user = auth.authenticate(loaded, "credit.be", "a-long-secret")
    assert user is not None
    assert (user.role, user.entity_ids, user.display_name) == (
        "credit_manager", ("BE01", "DE01"), "Belgian credit",
    )  # fmt: skip
    assert not user.can_edit_strategies
    assert users.read_text().startswith("# who may sign in\n")
    assert "a-long-secret" not in users.read_text()
    assert set(loaded) == {"cfo", "nl", "credit.be"}


def test_a_bad_entry_leaves_the_file_as_it_was(users, monkeypatch):
    before = users.read_text()

    with pytest.raises(SystemExit, match="needs a list of entity ids"):
        add(monkeypatch, "credit.x", "--role", "credit_manager")
    with pytest.raises(SystemExit, match="already there"):
        add(monkeypatch, "cfo", "--role", "cfo")
    with pytest.raises(SystemExit, match="at least 10"):
        add(monkeypatch, "short", "--role", "cfo", password="short")

    assert users.read_text() == before
    assert not list(users.parent.glob(".users.yml.*"))
