"""Great Expectations suites on the raw tables, run as Dagster asset checks (warnings).

The loader already quarantines rows that break the contract (types, required columns, allowed
values, conflicting keys); these suites are a second, independent look at what was appended:
keys and required columns present, statuses, types and currencies from their lists, amounts
and dates within sane ranges, one row per file line. Each suite is built from the contract in
code, so a new column or table gets its expectations without a second list to keep.

Each run validates only the rows of loads not validated before (`raw._expectation_ledger`),
as a pandas frame read from DuckDB: a re-run validates nothing twice. The frame holds only the
columns the suite reads, amounts as doubles and dates as nanosecond timestamps, the types GX
compares in bulk; the raw table itself is untouched. A failed expectation is a warning, never
a stop: its metadata names the expectation, the number of rows and the first file lines, never
a value (values may be personal data).
"""

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from dagster_project.contract import RAW_TABLES, TableSpec
from dagster_project.resources import WarehouseResource

# GX sends no usage statistics from here, whatever the context's defaults become.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# GX logs each function it registers (hundreds of lines a run): keep only its warnings.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

CHECK_NAME = "great_expectations"
LINE = ["_source_file", "_source_row"]
FIRST_LINES = 5
# Rows per frame handed to GX: pandas holds each text value as a Python object, so a frame of
# every row of a 10M-invoice group's first load took gigabytes (D50).
BATCH_ROWS = 1_000_000
# One document, payment or bank entry above a billion in any currency is a loading error.
AMOUNT_LIMIT = 1_000_000_000
EARLIEST = datetime(1990, 1, 1)
LATEST = datetime(2100, 12, 31)
# The ends of pandas' nanosecond timestamps, well outside EARLIEST..LATEST: a date beyond them
# (a year 9999 typo) is moved to the nearer end for the frame, where it still fails its range.
NANOSECOND_RANGE = ("1678-01-01", "2261-12-31")
# Amounts that are never negative: providers send a positive amount and a status.
NON_NEGATIVE = {("psp_events", "amount"), ("customers", "credit_limit")}
STRICTLY_POSITIVE = {("fx_rates", "rate")}
# Date pairs: the first is on or after the second.
ORDERED_DATES = {
    "documents": [("due_date", "issue_date")],
    "arrangements": [("valid_to", "valid_from")],
    "bank_statements": [("closing_date", "opening_date")],
}

LEDGER_DDL = """
create table if not exists raw._expectation_ledger (
    table_name varchar, load_id varchar, rows_validated bigint, expectations_failed bigint,
    validated_at timestamp
)
"""

NEW_LOADS = """
select load_id from raw._load_ledger
where table_name = $table and rows_loaded > 0
    and load_id not in (
        select load_id from raw._expectation_ledger where table_name = $table
    )
"""


@dataclass(frozen=True)
class Failure:
    """One failed expectation: what it expects, how many rows break it and where."""

    expectation: str
    column: str
    unexpected_count: int | None
    first_lines: list[str] = field(default_factory=list)
    error: str | None = None

    def as_metadata(self) -> dict[str, Any]:
        return {
            "expectation": self.expectation,
            "column": self.column,
            "unexpected_count": self.unexpected_count,
            "first_lines": self.first_lines,
            **({"error": self.error} if self.error else {}),
        }


@dataclass(frozen=True)
class SuiteOutcome:
    table_name: str
    rows_validated: int
    loads_validated: int
    expectations: int
    failures: list[Failure]

    @property
    def passed(self) -> bool:
        return not self.failures


def raw_suite(table: TableSpec) -> list[Any]:
    """The expectations for one raw table, derived from its contract."""
    import great_expectations as gx

    expect = gx.expectations
    suite: list[Any] = [
        expect.ExpectCompoundColumnsToBeUnique(column_list=LINE),
        *(expect.ExpectColumnValuesToNotBeNull(column=name) for name in LINE),
    ]
    for column in table.columns:
        name = column.name
        if column.required or name in table.key:
            suite.append(expect.ExpectColumnValuesToNotBeNull(column=name))
        if column.allowed:
            suite.append(expect.ExpectColumnValuesToBeInSet(column=name, value_set=column.allowed))
        if name == "currency" or name.endswith("_currency"):
            suite.append(expect.ExpectColumnValuesToMatchRegex(column=name, regex=r"^[A-Z]{3}$"))
        if column.sql_type.startswith("DECIMAL"):
            low = 0 if (table.name, name) in NON_NEGATIVE | STRICTLY_POSITIVE else -AMOUNT_LIMIT
            suite.append(
                expect.ExpectColumnValuesToBeBetween(
                    column=name,
                    min_value=low,
                    max_value=AMOUNT_LIMIT,
                    strict_min=(table.name, name) in STRICTLY_POSITIVE,
                )
            )
        if column.sql_type in ("DATE", "TIMESTAMP"):
            suite.append(
                expect.ExpectColumnValuesToBeBetween(
                    column=name, min_value=EARLIEST, max_value=LATEST
                )
            )
    for later, earlier in ORDERED_DATES.get(table.name, []):
        suite.append(
            expect.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=later,
                column_B=earlier,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
        )
    return suite


def suite_columns(table: TableSpec) -> list[str]:
    """The columns the table's suite reads, in contract order after the file line."""
    used: set[str] = set()
    for expectation in raw_suite(table):
        config = expectation.configuration.kwargs
        used.update(config.get("column_list") or [])
        used.update(config[key] for key in ("column", "column_A", "column_B") if key in config)
    return LINE + [name for name in table.column_names if name in used]


def _as_validated(table: TableSpec, name: str) -> str:
    """The select expression for one column of the validation frame.

    GX's pandas range check compares float and datetime64[ns] columns in bulk but calls Python
    once per value for anything else (DuckDB hands dates over as datetime64[us]), which was
    most of the check's time. DuckDB already hands a DECIMAL over as a double; the cast says
    so. A double keeps every verdict against 0 and ±1e9 for amounts of up to five decimals
    (doubles near 1e9 are 1.2e-7 apart).
    """
    sql_type = {column.name: column.sql_type for column in table.columns}.get(name, "")
    if sql_type.startswith("DECIMAL"):
        return f"cast({name} as double) as {name}"
    if sql_type in ("DATE", "TIMESTAMP"):
        # Not least/greatest: DuckDB's skip nulls, and an empty due date must stay empty.
        low, high = (f"{sql_type} '{end}'" for end in NANOSECOND_RANGE)
        clamped = (
            f"case when {name} < {low} then {low} when {name} > {high} then {high} else {name} end"
        )
        return f"cast({clamped} as timestamp_ns) as {name}"
    return name


def _context() -> Any:
    """An in-memory GX context: no files, no analytics, no progress bars, no network."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
    )
    return gx.get_context(project_config=config, mode="ephemeral")


def _failure(result: Any) -> Failure:
    """A failed expectation's summary: counts and file lines only, never the values."""
    config = result.expectation_config
    kwargs = config.kwargs
    column = kwargs.get("column") or ",".join(
        kwargs.get("column_list") or [kwargs.get("column_A", ""), kwargs.get("column_B", "")]
    )
    details = result.result or {}
    lines = [
        f"{item['_source_file']}:{item['_source_row']}"
        for item in (details.get("partial_unexpected_index_list") or [])[:FIRST_LINES]
        if isinstance(item, dict) and "_source_row" in item
    ]
    info = result.exception_info or {}
    raised = info.get("raised_exception") or any(
        isinstance(value, dict) and value.get("raised_exception") for value in info.values()
    )
    return Failure(
        expectation=config.type,
        column=column,
        unexpected_count=details.get("unexpected_count"),
        first_lines=lines,
        error="the expectation could not be evaluated" if raised else None,
    )


def _frame_results(
    context: Any, table: TableSpec, frames: Iterator[pd.DataFrame]
) -> list[Failure | None]:
    """The suite on each frame in turn, merged: per expectation (in suite order) None when
    every frame passed it, else its failure with the counts summed and the first lines in
    frame order."""
    import great_expectations as gx

    source = context.data_sources.add_or_update_pandas(f"raw_{table.name}")
    asset = source.add_dataframe_asset(f"{table.name}_new_rows")
    definition = asset.add_batch_definition_whole_dataframe("new_rows")
    suite = gx.ExpectationSuite(name=f"raw_{table.name}", expectations=raw_suite(table))
    merged: list[Failure | None] = [None] * len(suite.expectations)
    for frame in frames:
        outcome = definition.get_batch(batch_parameters={"dataframe": frame}).validate(
            suite,
            result_format={
                "result_format": "SUMMARY",
                "unexpected_index_column_names": LINE,
                "partial_unexpected_count": FIRST_LINES,
            },
        )
        for position, result in enumerate(outcome.results):
            if not result.success:
                merged[position] = _merge(merged[position], _failure(result))
    return merged


def _merge(earlier: Failure | None, later: Failure) -> Failure:
    """One expectation's failure over two frames, the earlier frame's lines first."""
    if earlier is None:
        return later
    counts = (earlier.unexpected_count, later.unexpected_count)
    return Failure(
        expectation=earlier.expectation,
        column=earlier.column,
        unexpected_count=None if None in counts else sum(c or 0 for c in counts),
        first_lines=(earlier.first_lines + later.first_lines)[:FIRST_LINES],
        error=earlier.error or later.error,
    )


def _file_batches(
    con: duckdb.DuckDBPyConnection, table: TableSpec, loads: list[str], batch_rows: int
) -> list[list[str]]:
    """The new rows' files in name order, cut into runs of about `batch_rows` rows; a file is
    never split, so every row of a file line is in the same frame (the uniqueness check)."""
    sizes = con.execute(
        f"select coalesce(_source_file, '') as file, count(*) from raw.{table.name} "
        "where list_contains($loads, _load_id) group by file order by file",
        {"loads": loads},
    ).fetchall()
    batches: list[list[str]] = []
    rows_in_last = 0
    for name, rows in sizes:
        if not batches or rows_in_last + rows > batch_rows:
            batches.append([])
            rows_in_last = 0
        batches[-1].append(name)
        rows_in_last += rows
    return batches


def validate_new_rows(
    con: duckdb.DuckDBPyConnection,
    table: TableSpec,
    context: Any | None = None,
    batch_rows: int = BATCH_ROWS,
) -> SuiteOutcome:
    """Validate the rows of the table's loads not validated before, and record those loads.

    The rows go to GX a frame of about `batch_rows` rows at a time (whole files), so memory
    stays flat however large the first load of a group is; the verdicts are those of one
    frame with every row."""
    con.execute(LEDGER_DDL)
    loads = [row[0] for row in con.execute(NEW_LOADS, {"table": table.name}).fetchall()]
    if not loads:
        return SuiteOutcome(table.name, 0, 0, 0, [])

    columns = ", ".join(_as_validated(table, name) for name in suite_columns(table))
    validated = 0

    def frames() -> Iterator[pd.DataFrame]:
        nonlocal validated
        for files in _file_batches(con, table, loads, batch_rows):
            frame = con.execute(
                f"select {columns} from raw.{table.name} "
                "where list_contains($loads, _load_id) "
                "and list_contains($files, coalesce(_source_file, '')) "
                "order by _source_file, _source_row",
                {"loads": loads, "files": files},
            ).df()
            validated += len(frame)
            yield frame

    results = _frame_results(context or _context(), table, frames())
    failures = [failure for failure in results if failure is not None]

    con.execute(
        "insert into raw._expectation_ledger "
        "select table_name, load_id, n, $failed, current_timestamp from ("
        "  select $table as table_name, _load_id as load_id, count(*) as n "
        f"  from raw.{table.name} where list_contains($loads, _load_id) group by _load_id)",
        {"table": table.name, "loads": loads, "failed": len(failures)},
    )
    return SuiteOutcome(table.name, validated, len(loads), len(raw_suite(table)), failures)


def _check_result(outcome: SuiteOutcome) -> AssetCheckResult:
    failed = ", ".join(f"{f.expectation}({f.column})" for f in outcome.failures)
    return AssetCheckResult(
        asset_key=AssetKey(["raw", outcome.table_name]),
        check_name=CHECK_NAME,
        passed=outcome.passed,
        severity=AssetCheckSeverity.WARN,
        description=f"failed: {failed}" if failed else None,
        metadata={
            "rows_validated": outcome.rows_validated,
            "loads_validated": outcome.loads_validated,
            "expectations": outcome.expectations,
            "expectations_failed": len(outcome.failures),
            "failures": MetadataValue.json([f.as_metadata() for f in outcome.failures]),
        },
    )


@multi_asset_check(
    specs=[
        AssetCheckSpec(
            CHECK_NAME,
            asset=AssetKey(["raw", table.name]),
            description="Great Expectations suite on the rows loaded since the last check: keys "
            "and required columns present, allowed values, currency codes, amounts and dates in "
            "range, one row per file line (a warning: the quarantine already stops bad rows).",
        )
        for table in RAW_TABLES
    ],
    pool="warehouse",
)
def raw_expectations(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[AssetCheckResult]:
    """One GX context for all raw tables; one result per table."""
    gx_context = _context()
    with warehouse.connect() as con:
        for table in RAW_TABLES:
            outcome = validate_new_rows(con, table, gx_context)
            for failure in outcome.failures:
                context.log.warning(
                    f"raw.{table.name}: {failure.expectation}({failure.column}) fails on "
                    f"{failure.unexpected_count} rows, first {failure.first_lines}"
                )
            context.log.info(
                f"raw.{table.name}: {outcome.rows_validated} new rows from "
                f"{outcome.loads_validated} loads, {len(outcome.failures)} of "
                f"{outcome.expectations} expectations failed"
            )
            yield _check_result(outcome)


raw_checks = [raw_expectations]
