"""CM_NET_UNAPPLIED_CREDIT reaches dbt as the net_unapplied_credit var."""

from __future__ import annotations

import pytest

from dagster_project.settings import get_settings


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
