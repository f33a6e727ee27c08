"""Ingest assets: one per raw table, loading new landing files into DuckDB."""

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset

from dagster_project.connectors.landing import load_table
from dagster_project.contract import TABLES, TableSpec
from dagster_project.resources import WarehouseResource


def build_ingest_asset(table: TableSpec) -> AssetsDefinition:
    """An asset `raw/<table>` that appends every new landing file matching the table's glob."""

    @asset(
        key=AssetKey(["raw", table.name]),
        group_name="ingest",
        pool="warehouse",
        description=f"Landing files `{table.landing_glob}` appended to raw.{table.name}; "
        "invalid rows go to raw._quarantine with the reason.",
    )
    def _ingest(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        landing_dir = warehouse.settings().landing_dir
        with warehouse.connect() as con:
            loads = load_table(con, table, landing_dir)
            total = con.execute(f"select count(*) from raw.{table.name}").fetchone()

        new_files = [load for load in loads if not load.skipped]
        rows_read = sum(load.rows_read for load in new_files)
        rows_loaded = sum(load.rows_loaded for load in new_files)
        rows_quarantined = sum(load.rows_quarantined for load in new_files)
        context.log.info(
            f"raw.{table.name}: {len(new_files)} new of {len(loads)} files, read {rows_read}, "
            f"loaded {rows_loaded}, quarantined {rows_quarantined}"
        )
        return MaterializeResult(
            metadata={
                "files_seen": len(loads),
                "files_loaded": len(new_files),
                "rows_read": rows_read,
                "rows_loaded": rows_loaded,
                "rows_quarantined": rows_quarantined,
                "table_row_count": int(total[0]) if total else 0,
            }
        )

    return _ingest


ingest_assets = [build_ingest_asset(table) for table in TABLES]
