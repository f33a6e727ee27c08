"""Great Expectations suites on the raw tables: real GX on rows loaded by the real loader."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckSeverity, AssetKey, materialize

from dagster_project.assets.ingest import raw_tables
from dagster_project.assets.reminders import segments_config
from dagster_project.checks_raw import CHECK_NAME, _context, raw_expectations, validate_new_rows
from dagster_project.connectors.landing import load_table
from dagster_project.contract import DOCUMENTS
from dagster_project.resources import WarehouseResource

HEADER = (
    "entity_id,document_id,document_type,document_number,customer_id,issue_date,due_date,"
    "currency,amount,payment_reference,applies_to_document_id,is_disputed"
)
CLEAN = [
    "E1,D1,invoice,N1,Jansen BV,2024-01-01,2024-01-31,EUR,100.00,,,false",
    "E1,D2,credit_note,N2,Jansen BV,2024-01-05,,EUR,-12.50,,D1,false",
]
# Rows the quarantine lets through (the contract has no currency list, no amount range, no
# order of dates) but that no real ERP export should hold.
SUSPECT = [
    "E1,D3,invoice,N3,Jansen BV,2024-02-01,2024-03-02,eur,100.00,,,false",
    "E1,D4,invoice,N4,Jansen BV,2024-02-01,2024-01-01,EUR,2500000000.00,,,false",
]


@pytest.fixture(scope="module")
def gx_context():
    return _context()


def write_documents(landing: Path, name: str, lines: list[str]) -> None:
    folder = landing / "erp" / "E1"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")


def test_a_clean_table_passes_and_a_rerun_validates_nothing_twice(tmp_path, gx_context):
    con = duckdb.connect()
    write_documents(tmp_path, "documents.csv", CLEAN)
    load_table(con, DOCUMENTS, tmp_path)

    outcome = validate_new_rows(con, DOCUMENTS, gx_context)

    assert outcome.passed, outcome.failures
    assert (outcome.rows_validated, outcome.loads_validated) == (2, 1)
    assert outcome.expectations > 10
    again = validate_new_rows(con, DOCUMENTS, gx_context)
    assert (again.rows_validated, again.loads_validated, again.passed) == (0, 0, True)


def test_bad_raw_rows_fail_their_expectations_with_lines_and_no_values(tmp_path, gx_context):
    con = duckdb.connect()
    write_documents(tmp_path, "documents_1.csv", CLEAN)
    write_documents(tmp_path, "documents_2.csv", SUSPECT)
    [_, second] = load_table(con, DOCUMENTS, tmp_path)
    assert second.rows_loaded == 2  # the quarantine let them through

    outcome = validate_new_rows(con, DOCUMENTS, gx_context)

    assert not outcome.passed
    assert outcome.rows_validated == 4
    failed = {(f.expectation, f.column): f for f in outcome.failures}
    assert set(failed) == {
        ("expect_column_values_to_match_regex", "currency"),
        ("expect_column_values_to_be_between", "amount"),
        ("expect_column_pair_values_a_to_be_greater_than_b", "due_date,issue_date"),
    }
    currency = failed["expect_column_values_to_match_regex", "currency"]
    assert (currency.unexpected_count, currency.first_lines) == (1, ["erp/E1/documents_2.csv:2"])
    assert failed["expect_column_values_to_be_between", "amount"].first_lines == [
        "erp/E1/documents_2.csv:3"
    ]
    metadata = str([f.as_metadata() for f in outcome.failures])
    assert "Jansen" not in metadata and "eur" not in metadata and "2500000000" not in metadata


def test_the_dagster_check_warns_on_the_raw_table(tmp_path, monkeypatch):
    monkeypatch.setenv("CM_DATA_DIR", str(tmp_path / "data"))
    write_documents(tmp_path / "data" / "landing", "documents.csv", CLEAN + SUSPECT)

    result = materialize(
        [segments_config, raw_tables, raw_expectations],
        resources={"warehouse": WarehouseResource()},
    )

    assert result.success  # a warning blocks nothing
    evaluations = {
        e.asset_key: e for e in result.get_asset_check_evaluations() if e.check_name == CHECK_NAME
    }
    documents = evaluations[AssetKey(["raw", "documents"])]
    assert not documents.passed
    assert documents.severity == AssetCheckSeverity.WARN
    assert documents.metadata["expectations_failed"].value == 3
    assert documents.metadata["rows_validated"].value == 4
    entities = evaluations[AssetKey(["raw", "entities"])]
    assert entities.passed and entities.metadata["rows_validated"].value == 0


def test_the_cast_validation_frame_keeps_every_range_verdict(tmp_path, gx_context):
    # Amounts are validated as doubles and dates as nanosecond timestamps (D47): a cent above
    # the limit, a year 9999 or year 1 date (outside pandas' nanosecond range) still fail,
    # the limit itself and an empty due date still pass.
    con = duckdb.connect()
    edges = [
        "E1,D5,invoice,N5,Jansen BV,2024-02-01,2024-03-02,EUR,1000000000.01,,,false",
        "E1,D6,credit_note,N6,Jansen BV,2024-02-01,,EUR,-1000000000.01,,D1,false",
        "E1,D7,invoice,N7,Jansen BV,2024-02-01,2024-03-02,EUR,1000000000.00,,,false",
        "E1,D8,invoice,N8,Jansen BV,2024-02-01,9999-12-31,EUR,100.00,,,false",
        "E1,D9,invoice,N9,Jansen BV,0001-01-01,2024-03-02,EUR,100.00,,,false",
    ]
    write_documents(tmp_path, "documents.csv", CLEAN + edges)
    [load] = load_table(con, DOCUMENTS, tmp_path)
    assert load.rows_loaded == 7

    outcome = validate_new_rows(con, DOCUMENTS, gx_context)

    failed = {(f.column, f.unexpected_count, tuple(f.first_lines)) for f in outcome.failures}
    assert failed == {
        ("amount", 2, ("erp/E1/documents.csv:4", "erp/E1/documents.csv:5")),
        ("due_date", 1, ("erp/E1/documents.csv:7",)),
        ("issue_date", 1, ("erp/E1/documents.csv:8",)),
    }


def test_frames_of_a_few_files_give_the_verdicts_of_one_frame(tmp_path, gx_context):
    # GX sees the new rows a batch of whole files at a time (D50): counts add up and the first
    # lines stay in file order, as when every row is in one frame.
    suspect = [*SUSPECT, "E1,D5,invoice,N5,Jansen BV,2024-02-01,2024-03-02,usd,1.00,,,false"]
    files = [CLEAN, suspect, suspect[::-1], CLEAN[::-1], suspect[1:]]  # no two alike
    for number, lines in enumerate(files, start=1):
        write_documents(tmp_path, f"documents_{number}.csv", lines)
    outcomes = []
    for batch_rows in (1_000_000, 4, 1):
        con = duckdb.connect()
        load_table(con, DOCUMENTS, tmp_path)
        outcomes.append(validate_new_rows(con, DOCUMENTS, gx_context, batch_rows=batch_rows))

    whole, few, single = outcomes
    assert whole.rows_validated == few.rows_validated == single.rows_validated == 12
    assert whole.failures == few.failures == single.failures
    currency = next(f for f in whole.failures if f.column == "currency")
    assert currency.unexpected_count == 5
    assert currency.first_lines == [
        "erp/E1/documents_2.csv:2",
        "erp/E1/documents_2.csv:4",
        "erp/E1/documents_3.csv:2",
        "erp/E1/documents_3.csv:4",
        "erp/E1/documents_5.csv:3",
    ]
