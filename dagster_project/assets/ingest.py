"""Ingest: every new landing file into the raw tables, as one step with one result per table.

Landing CSVs (one glob per contract table) and parsed formats (bank statements, native PSP
notifications, XAF auditfiles, UBL invoices) can feed the same raw table, and one XAF file feeds
three tables in one transaction, so ingest is one multi-asset that yields a result per table.
"""

from collections import defaultdict
from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    multi_asset,
)

from dagster_project.connectors.landing import FileLoad, load_table, unreconciled_files
from dagster_project.connectors.sources import SOURCES, load_source
from dagster_project.contract import RAW_TABLES, TABLES
from dagster_project.resources import WarehouseResource

RECONCILE_CHECK = "loads_reconcile"


def _table_metadata(loads: list[FileLoad]) -> dict[str, int]:
    new = [load for load in loads if not load.skipped]
    return {
        "files_seen": len(loads),
        "files_loaded": len(new),
        "rows_read": sum(load.rows_read for load in new),
        "rows_loaded": sum(load.rows_loaded for load in new),
        "rows_quarantined": sum(load.rows_quarantined for load in new),
    }


@multi_asset(
    specs=[
        AssetSpec(
            AssetKey(["raw", table.name]),
            group_name="ingest",
            description=f"raw.{table.name}: appended from new landing files; invalid rows go "
            "to raw._quarantine with file, line and reason.",
            # A broken segments file fails the run before loading (assets/reminders.py).
            deps=[AssetKey("segments_config")],
        )
        for table in RAW_TABLES
    ],
    check_specs=[
        AssetCheckSpec(
            RECONCILE_CHECK,
            asset=AssetKey(["raw", table.name]),
            description="For every file: rows read = loaded + quarantined, and the raw and "
            "quarantine tables hold exactly those rows.",
        )
        for table in RAW_TABLES
    ],
    pool="warehouse",
)
def raw_tables(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """Load every landing file not loaded before (by content hash), one transaction per file."""
    landing_dir = warehouse.settings().landing_dir
    loads: dict[str, list[FileLoad]] = defaultdict(list)
    with warehouse.connect() as con:
        for table in TABLES:
            loads[table.name] += load_table(con, table, landing_dir)
        for source in SOURCES:
            for load in load_source(con, source, landing_dir):
                loads[load.table_name].append(load)

        for table in RAW_TABLES:
            metadata = _table_metadata(loads[table.name])
            context.log.info(f"raw.{table.name}: {metadata}")
            yield MaterializeResult(asset_key=AssetKey(["raw", table.name]), metadata=metadata)

            broken = unreconciled_files(con, table.name)
            yield AssetCheckResult(
                asset_key=AssetKey(["raw", table.name]),
                check_name=RECONCILE_CHECK,
                passed=not broken,
                severity=AssetCheckSeverity.ERROR,
                metadata={"files_not_reconciling": len(broken), "first": ", ".join(broken[:5])},
            )
