"""Dagster resources: the warehouse connection, configured from the settings module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
from dagster import ConfigurableResource

from dagster_project.settings import Settings, get_settings


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse. Steps that write run one at a time (pool `warehouse`)."""

    def settings(self) -> Settings:
        return get_settings()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        settings = self.settings()
        settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(settings.warehouse_path), config=settings.duckdb_config())
        try:
            yield con
        finally:
            con.close()
