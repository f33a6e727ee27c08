"""Decision and reminder-run assets, and the publication of the warehouse for readers.

`segments_config` checks the credit managers' segments file first: ingest depends on it, so a
broken file fails the run before anything is loaded or built, not after the dbt build.
"""

from dagster import AssetExecutionContext, AssetKey, Failure, MaterializeResult, asset

from dagster_project.assets.ml import invoice_scores
from dagster_project.publish import publish_warehouse
from dagster_project.resources import WarehouseResource
from models_ml.policy import (
    SegmentsConfigError,
    decide_actions,
    export_reminder_run,
    load_segments,
    segments_without_debtors,
)

# What the decision reads: open items and balances, customers and entities (for the team's
# country and holidays, and the collection account of the QR code), payment signals, the
# contact history (quiet period, steps sent, uplift), the invoice history (late payers,
# uplift), arrangements in force and channel consents.
DECISION_MARTS = [
    AssetKey(["marts", name])
    for name in (
        "fct_open_items",
        "customer_balances",
        "dim_customers",
        "dim_entities",
        "fct_payment_signals",
        "fct_contacts",
        "fct_invoices",
        "fct_arrangements",
        "fct_contact_consents",
    )
]
# What the hand-over reads besides the decision: late PSP events (re-check up to the cut-off)
# and names and addresses for the messages (never copied into marts).
HANDOVER_STAGING = [
    AssetKey(["staging", name]) for name in ("stg_psp__events", "stg_erp__customers")
]


@asset(group_name="reminders")
def segments_config(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    """The segments file, validated (with its holidays file) before the run loads anything."""
    path = warehouse.settings().segments_file
    try:
        config = load_segments(path)
    except SegmentsConfigError as error:
        context.log.error(f"{path}: {len(error.problems)} problems; the run stops before ingest")
        raise Failure(
            description=str(error),
            metadata={"file": str(path), "problems": len(error.problems)},
            allow_retries=False,
        ) from error
    context.log.info(f"{path}: valid, {len(config.segments)} segments")
    return MaterializeResult(
        metadata={
            "file": str(path),
            "segments": len(config.segments),
            "score_bands": len(config.score_bands),
        }
    )


@asset(
    group_name="reminders",
    deps=[segments_config, invoice_scores, *DECISION_MARTS],
    pool="warehouse",
)
def debtor_actions(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    """reminders.debtor_actions: one row per debtor and entity, an action or a reason for none."""
    settings = warehouse.settings()
    with warehouse.connect() as con:
        rows = decide_actions(con, settings.segments_file, settings.as_of_date)
        unmatched = segments_without_debtors(
            con, load_segments(settings.segments_file), settings.as_of_date
        )
        counts = con.execute(
            """
            select reason_code, count(*) from reminders.debtor_actions
            where as_of_date = ? group by reason_code order by reason_code
            """,
            [settings.as_of_date],
        ).fetchall()
        arms = con.execute(
            """
            select experiment_arm, count(*) from reminders.debtor_actions
            where as_of_date = ? group by experiment_arm order by experiment_arm
            """,
            [settings.as_of_date],
        ).fetchall()
        source = con.execute(
            "select min(source) from reminders.uplift_estimates where as_of_date = ?",
            [settings.as_of_date],
        ).fetchall()
    if unmatched:
        context.log.warning(
            f"segments that took no debtor today: {unmatched}; check their match rules "
            "(a misspelt division, entity or customer segment matches nothing)"
        )
    by_reason = {str(reason): int(n) for reason, n in counts}
    by_arm = {str(arm): int(n) for arm, n in arms}
    context.log.info(
        f"reminders.debtor_actions: {rows} debtors; by reason {by_reason}; by arm {by_arm}; "
        f"uplift {source[0][0]}"
    )
    return MaterializeResult(
        metadata={
            "rows": rows,
            "uplift_source": str(source[0][0]),
            "segments_without_debtors": ", ".join(unmatched),
            **{f"reason_{k}": v for k, v in by_reason.items()},
            **{f"arm_{k}": v for k, v in by_arm.items()},
        }
    )


@asset(group_name="reminders", deps=[debtor_actions, *HANDOVER_STAGING], pool="warehouse")
def reminder_run(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """The day's reminder run for the sending system: re-checked against payment signals up to
    the hand-over, then a DuckDB table, CSV and JSON Lines, rendered messages and QR codes."""
    settings = warehouse.settings()
    with warehouse.connect() as con:
        run_dir = export_reminder_run(con, settings.exports_dir, settings.as_of_date)
        rows = con.execute(
            "select action, count(*) from reminders.reminder_runs where as_of_date = ? "
            "group by action order by action",
            [settings.as_of_date],
        ).fetchall()
    by_action = {str(action): int(n) for action, n in rows}
    count = sum(by_action.values())
    context.log.info(f"reminder run: {count} actions {by_action} exported to {run_dir}")
    return MaterializeResult(
        metadata={
            "reminders": count,
            **{f"action_{k}": v for k, v in by_action.items()},
            "export_dir": str(run_dir),
        }
    )


@asset(group_name="publish", deps=[reminder_run], pool="warehouse")
def published_warehouse(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    """A read-only copy of the warehouse for the dashboard, swapped in atomically."""
    settings = warehouse.settings()
    size = publish_warehouse(settings.warehouse_path, settings.published_path)
    context.log.info(f"published {settings.published_path} ({size / 1e6:.1f} MB)")
    return MaterializeResult(metadata={"path": str(settings.published_path), "bytes": size})
