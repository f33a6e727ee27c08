"""Decision and reminder-run assets, and the publication of the warehouse for readers."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from dagster_project.assets.ml import invoice_scores
from dagster_project.publish import publish_warehouse
from dagster_project.resources import WarehouseResource
from models_ml.policy import decide_actions, export_reminder_run

DECISION_MARTS = [
    AssetKey(["marts", name])
    for name in ("fct_open_items", "customer_balances", "dim_customers", "fct_payment_signals")
]


@asset(group_name="reminders", deps=[invoice_scores, *DECISION_MARTS], pool="warehouse")
def debtor_actions(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    """reminders.debtor_actions: one row per debtor and entity, an action or a reason for none."""
    settings = warehouse.settings()
    with warehouse.connect() as con:
        rows = decide_actions(con, settings.segments_file, settings.as_of_date)
        counts = con.execute(
            """
            select reason_code, count(*) from reminders.debtor_actions
            where as_of_date = ? group by reason_code order by reason_code
            """,
            [settings.as_of_date],
        ).fetchall()
    by_reason = {str(reason): int(n) for reason, n in counts}
    context.log.info(f"reminders.debtor_actions: {rows} debtors; by reason {by_reason}")
    return MaterializeResult(
        metadata={"rows": rows, **{f"reason_{k}": v for k, v in by_reason.items()}}
    )


@asset(group_name="reminders", deps=[debtor_actions], pool="warehouse")
def reminder_run(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """The day's reminder run for the sending system: DuckDB table plus CSV and JSON Lines."""
    settings = warehouse.settings()
    with warehouse.connect() as con:
        run_dir = export_reminder_run(con, settings.exports_dir, settings.as_of_date)
        rows = con.execute(
            "select count(*) from reminders.reminder_runs where as_of_date = ?",
            [settings.as_of_date],
        ).fetchone()
    count = int(rows[0]) if rows else 0
    context.log.info(f"reminder run: {count} reminders exported to {run_dir}")
    return MaterializeResult(metadata={"reminders": count, "export_dir": str(run_dir)})


@asset(group_name="publish", deps=[reminder_run], pool="warehouse")
def published_warehouse(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    """A read-only copy of the warehouse for the dashboard, swapped in atomically."""
    settings = warehouse.settings()
    size = publish_warehouse(settings.warehouse_path, settings.published_path)
    context.log.info(f"published {settings.published_path} ({size / 1e6:.1f} MB)")
    return MaterializeResult(metadata={"path": str(settings.published_path), "bytes": size})
