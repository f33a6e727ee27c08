"""CM_NET_UNAPPLIED_CREDIT reaches dbt as the net_unapplied_credit var."""

from __future__ import annotations

import pytest

from dagster_project.settings import get_settings, load_env_file


def test_netting_is_off_unless_the_environment_turns_it_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CM_NET_UNAPPLIED_CREDIT", raising=False)
    assert get_settings().dbt_vars()["net_unapplied_credit"] is False

    monkeypatch.setenv("CM_NET_UNAPPLIED_CREDIT", " Yes ")
    assert get_settings().dbt_vars()["net_unapplied_credit"] is True


def test_a_misspelt_netting_flag_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CM_NET_UNAPPLIED_CREDIT", "ja")
    with pytest.raises(ValueError, match="CM_NET_UNAPPLIED_CREDIT must be true or false"):
        get_settings()


def test_a_dot_env_file_fills_what_the_shell_leaves_unset(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("CM_GROUP_CURRENCY=CZK\nCM_DUCKDB_THREADS=1\n", encoding="utf-8")
    monkeypatch.setenv("CM_GROUP_CURRENCY", "unset")  # recorded, so undone after the test
    monkeypatch.delenv("CM_GROUP_CURRENCY")
    monkeypatch.setenv("CM_DUCKDB_THREADS", "2")

    assert load_env_file(env_file)

    settings = get_settings()
    assert settings.group_currency == "CZK"
    assert settings.duckdb_threads == 2  # the shell wins
    assert not load_env_file(tmp_path / "missing.env")
