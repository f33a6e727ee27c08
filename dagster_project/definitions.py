"""The one Dagster entry point: every asset, the main job, its daily schedule, resources."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    ScheduleDefinition,
    define_asset_job,
    in_process_executor,
)

from dagster_project.assets.dbt import dbt_resource, warehouse_dbt_assets
from dagster_project.assets.ingest import raw_tables
from dagster_project.assets.ml import invoice_scores, payment_model
from dagster_project.assets.reminders import (
    debtor_actions,
    published_warehouse,
    reminder_run,
    segments_config,
)
from dagster_project.checks import ledger_checks
from dagster_project.checks_raw import raw_checks
from dagster_project.resources import WarehouseResource
from dagster_project.sensors import landing_files_sensor
from dagster_project.settings import GROUP_TIME_ZONE

# One writer at a time: DuckDB allows one writing process, so the whole chain runs in-process.
main_job = define_asset_job(
    name="main_job",
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Landing files -> raw -> dbt marts -> model -> scores -> actions -> reminder run.",
)

daily_schedule = ScheduleDefinition(
    name="daily_main_job",
    job=main_job,
    cron_schedule="0 6 * * *",
    execution_timezone=GROUP_TIME_ZONE,
    default_status=DefaultScheduleStatus.STOPPED,
)

defs = Definitions(
    assets=[
        segments_config,
        raw_tables,
        warehouse_dbt_assets,
        payment_model,
        invoice_scores,
        debtor_actions,
        reminder_run,
        published_warehouse,
    ],
    asset_checks=[*ledger_checks, *raw_checks],
    jobs=[main_job],
    schedules=[daily_schedule],
    sensors=[landing_files_sensor],
    resources={"dbt": dbt_resource, "warehouse": WarehouseResource()},
)
