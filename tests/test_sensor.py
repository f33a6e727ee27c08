"""The landing sensor asks for a run when a file lands, and only then."""

from pathlib import Path

import pytest
from dagster import RunRequest, SkipReason, build_sensor_context

from dagster_project.sensors import landing_files_sensor


def test_sensor_requests_a_run_for_new_files_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CM_DATA_DIR", str(tmp_path))
    folder = tmp_path / "landing" / "erp" / "E1"
    folder.mkdir(parents=True)
    (folder / "documents.csv").write_text("entity_id\nE1\n")

    first = landing_files_sensor(build_sensor_context())
    assert isinstance(first, RunRequest)
    cursor = first.run_key

    unchanged = landing_files_sensor(build_sensor_context(cursor=cursor))
    assert isinstance(unchanged, SkipReason)

    (folder / "documents_2026-12-01.csv").write_text("entity_id\nE1\n")
    after = landing_files_sensor(build_sensor_context(cursor=cursor))
    assert isinstance(after, RunRequest)
    assert after.run_key != cursor
