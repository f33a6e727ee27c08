"""Every dbt model, seed and test as Dagster assets and checks, through dagster-dbt."""

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from dagster_project.resources import WarehouseResource
from dagster_project.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _manifest_is_stale(project: DbtProject) -> bool:
    """True when a model, macro, seed or test changed after the manifest was written."""
    if not project.manifest_path.exists():
        return True
    built = project.manifest_path.stat().st_mtime
    sources = [DBT_PROJECT_DIR / "dbt_project.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        sources += [p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file()]
    return any(path.stat().st_mtime > built for path in sources)


def dbt_executable() -> str:
    """The dbt beside this interpreter, so a venv works without being on PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


dbt_resource = DbtCliResource(
    project_dir=dbt_project, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
)

if _manifest_is_stale(dbt_project):
    # Definitions load from the manifest, so it must exist and be current before the decorator.
    dbt_resource.cli(["parse", "--quiet"], target_path=dbt_project.target_path).wait()


class WarehouseDbtTranslator(DagsterDbtTranslator):
    """Groups dbt assets by layer (staging, intermediate, marts, reference)."""

    def get_group_name(self, dbt_resource_props: dict[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "seed":
            return "reference"
        return fqn[1] if len(fqn) > 2 else "dbt"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=WarehouseDbtTranslator(),
    pool="warehouse",
)
def warehouse_dbt_assets(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """`dbt build` for the run's as-of date: seeds, models and their data tests."""
    settings = warehouse.settings()
    # dbt runs in a subprocess that inherits this environment: point its profile at our file.
    os.environ.update(settings.dbt_env())
    netting = "on" if settings.net_unapplied_credit else "off"
    context.log.info(
        f"dbt build as of {settings.as_of_date} into {settings.warehouse_path.name}, "
        f"oldest-first netting of unapplied credit {netting}"
    )
    args = ["build", "--vars", json.dumps(settings.dbt_vars())]
    yield from dbt.cli(args, context=context).stream()
