"""The retrain cadence: the payment_model asset keeps a recent model and trains when one is due.

Runs the Dagster asset on a warehouse of generated marts with the real model folder: a run
within CM_RETRAIN_DAYS of the model's data writes no model, a later one trains, and a run for
a past date that every model learnt after trains one for that date.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from dagster import materialize
from ml_fixtures import GroupSpec, make_warehouse

from dagster_project.assets.ml import payment_model
from dagster_project.resources import WarehouseResource
from dagster_project.settings import get_settings
from models_ml.registry import model_id_for_date, promoted_model_id

AS_OF = date(2024, 12, 31)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    warehouse = data / "warehouse" / "warehouse.duckdb"
    warehouse.parent.mkdir(parents=True)
    make_warehouse(warehouse, GroupSpec(), AS_OF).close()
    return data


def _run(monkeypatch: pytest.MonkeyPatch, data: Path, as_of: date, retrain_days: str) -> Any:
    """Materialise payment_model as of `as_of`; its metadata and check evaluation."""
    monkeypatch.setenv("CM_DATA_DIR", str(data))
    monkeypatch.setenv("CM_AS_OF_DATE", as_of.isoformat())
    monkeypatch.setenv("CM_RETRAIN_DAYS", retrain_days)
    result = materialize([payment_model], resources={"warehouse": WarehouseResource()})
    assert result.success
    (materialization,) = result.asset_materializations_for_node("payment_model")
    (check,) = result.get_asset_check_evaluations()
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    return metadata, check


def _models(data: Path) -> list[str]:
    return sorted(p.name for p in (data / "models").iterdir() if (p / "model.joblib").exists())


def test_a_recent_model_is_kept_and_a_due_one_trained(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, check = _run(monkeypatch, data_dir, AS_OF, "7")
    assert first["trained"] and first["promoted"]
    assert _models(data_dir) == [first["model_id"]]
    assert check.metadata["trained_by_this_run"].value

    kept, check = _run(monkeypatch, data_dir, AS_OF + timedelta(days=6), "7")
    assert not kept["trained"]
    assert _models(data_dir) == [first["model_id"]]
    assert kept["model_id"] == first["model_id"]
    assert kept["model_as_of_date"] == AS_OF.isoformat()
    assert f"model {first['model_id']}" in kept["kept_reason"]
    assert f"due from {AS_OF + timedelta(days=7)}" in kept["kept_reason"]
    assert kept["model_log_loss"] == first["model_log_loss"]
    assert check.metadata["model_id"].value == first["model_id"]
    assert not check.metadata["trained_by_this_run"].value
    baselines = min(first["baseline_log_loss"], first["logistic_log_loss"])
    assert check.passed == (first["model_log_loss"] < baselines)

    due, _ = _run(monkeypatch, data_dir, AS_OF + timedelta(days=7), "7")
    assert due["trained"]
    assert len(_models(data_dir)) == 2
    assert due["model_id"] != first["model_id"]


def test_a_past_date_without_a_model_trains_one_and_then_keeps_it(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    past = AS_OF - timedelta(days=20)
    before = _models(data_dir)
    promoted = promoted_model_id(data_dir / "models")

    backfill, _ = _run(monkeypatch, data_dir, past, "7")
    assert backfill["trained"]
    assert len(_models(data_dir)) == len(before) + 1
    assert model_id_for_date(data_dir / "models", past) == backfill["model_id"]
    assert promoted_model_id(data_dir / "models") in (promoted, backfill["model_id"])

    again, _ = _run(monkeypatch, data_dir, past + timedelta(days=1), "7")
    assert not again["trained"]
    assert again["model_id"] == backfill["model_id"]
    assert len(_models(data_dir)) == len(before) + 1


def test_zero_days_trains_on_every_run(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _models(data_dir)

    again, _ = _run(monkeypatch, data_dir, AS_OF, "0")

    assert again["trained"]
    assert len(_models(data_dir)) == len(before) + 1


def test_the_setting_is_a_whole_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CM_RETRAIN_DAYS", raising=False)
    assert get_settings().retrain_days == 7
    monkeypatch.setenv("CM_RETRAIN_DAYS", "14")
    assert get_settings().retrain_days == 14
    for wrong in ("-1", "7.5", "weekly"):
        monkeypatch.setenv("CM_RETRAIN_DAYS", wrong)
        with pytest.raises(ValueError, match="CM_RETRAIN_DAYS"):
            get_settings()
