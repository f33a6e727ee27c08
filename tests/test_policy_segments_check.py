"""The segments file is checked early: amounts as written, the check-segments command, and the
first step of the main job, which stops the run before anything is loaded.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dagster import materialize
from policy_fixtures import TEST_SEGMENTS_YAML, write_segments

from dagster_project.assets.ingest import raw_tables
from dagster_project.assets.reminders import segments_config
from dagster_project.cli import check_segments
from dagster_project.resources import WarehouseResource
from dagster_project.settings import REPO_ROOT
from models_ml.policy import SegmentsConfigError, load_segments

LARGE_MATCH = "match: {min_overdue_amount_base: 10000}"


def _with_large_minimum(tmp_path: Path, written: str) -> Path:
    """The test policy with the `large` segment's minimum written as `written`."""
    text = TEST_SEGMENTS_YAML.replace(LARGE_MATCH, f"match: {{min_overdue_amount_base: {written}}}")
    assert text != TEST_SEGMENTS_YAML
    return write_segments(tmp_path, text)


def _problems(path: Path) -> list[str]:
    with pytest.raises(SegmentsConfigError) as error:
        load_segments(path)
    return error.value.problems


@pytest.mark.parametrize("written", ["25.000", "'25.000'", "'1,500'", "1.250.000", "'25.000,00'"])
def test_an_amount_with_a_thousands_separator_is_refused(tmp_path, written):
    problems = _problems(_with_large_minimum(tmp_path, written))

    assert len(problems) == 1
    assert problems[0].startswith("segments[1].match.min_overdue_amount_base: ")
    assert "thousands separator" in problems[0]
    assert "25000, not 25.000" in problems[0]


@pytest.mark.parametrize("written", ["0.125", "'12,5'", "'EUR 100'", "-5", "1.0e4", "true"])
def test_an_amount_that_is_not_plain_digits_is_refused(tmp_path, written):
    problems = _problems(_with_large_minimum(tmp_path, written))

    assert len(problems) == 1
    assert problems[0].startswith("segments[1].match.min_overdue_amount_base: expected an amount")


@pytest.mark.parametrize(
    ("written", "expected"),
    [("25000", Decimal("25000")), ("25000.50", Decimal("25000.50")), ("'0.10'", Decimal("0.10"))],
)
def test_amounts_are_read_as_written_into_decimals(tmp_path, written, expected):
    config = load_segments(_with_large_minimum(tmp_path, written))

    minimum = config.segments[1].match.min_overdue_amount_base
    assert isinstance(minimum, Decimal)
    assert minimum == expected


def test_channel_costs_are_decimals_to_the_cent():
    config = load_segments(REPO_ROOT / "data" / "config" / "segments.yml")

    assert config.channels["phone"].cost == Decimal("4.50")
    assert config.channels["email"].cost == Decimal("0.02")
    assert config.offer_rules.pay_in_3_max_amount_base == Decimal("2000")


def test_check_segments_command_passes_a_good_file(tmp_path, capsys):
    path = write_segments(tmp_path)

    assert check_segments(path) == 0
    assert capsys.readouterr().out == f"{path}: valid (3 segments)\n"


def test_check_segments_command_lists_every_problem_and_fails(tmp_path):
    text = TEST_SEGMENTS_YAML.replace(LARGE_MATCH, "match: {min_overdue_amount_base: 25.000}")
    text = text.replace("sms: {cost: 0.08}", "sms: {cost: '0,08'}")
    path = write_segments(tmp_path, text)

    result = subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", "check-segments", str(path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{path}: channels.sms.cost: expected an amount")
    assert lines[1].startswith(
        f"{path}: segments[1].match.min_overdue_amount_base: 25.000 looks like an amount"
    )
    assert lines[2] == f"{path}: 2 problems"
    assert result.stdout == ""


def test_a_broken_segments_file_stops_the_job_before_ingest(tmp_path, monkeypatch):
    text = TEST_SEGMENTS_YAML.replace(LARGE_MATCH, "match: {min_overdue_amount_base: '25.000'}")
    path = write_segments(tmp_path, text)
    monkeypatch.setenv("CM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CM_SEGMENTS_FILE", str(path))
    (tmp_path / "data" / "landing").mkdir(parents=True)

    result = materialize(
        [segments_config, raw_tables],
        resources={"warehouse": WarehouseResource()},
        raise_on_error=False,
    )

    assert not result.success
    failures = result.get_failed_step_keys()
    assert failures == {"segments_config"}
    failure = next(event for event in result.all_events if event.is_step_failure)
    assert "segments[1].match.min_overdue_amount_base" in str(failure.step_failure_data.error)
    started = {event.step_key for event in result.all_events if event.is_step_start}
    assert started == {"segments_config"}  # ingest never started
    warehouse = tmp_path / "data" / "warehouse" / "warehouse.duckdb"
    if warehouse.exists():  # nothing may have been loaded
        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert con.execute("select count(*) from duckdb_tables()").fetchone()[0] == 0


def test_a_good_segments_file_lets_the_job_load(tmp_path, monkeypatch):
    monkeypatch.setenv("CM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CM_SEGMENTS_FILE", str(write_segments(tmp_path)))
    (tmp_path / "data" / "landing").mkdir(parents=True)

    result = materialize(
        [segments_config, raw_tables], resources={"warehouse": WarehouseResource()}
    )

    assert result.success
    meta = result.asset_materializations_for_node("segments_config")[0].metadata
    assert meta["segments"].value == 3
