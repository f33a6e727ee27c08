"""Publish the warehouse for readers: a consistent copy swapped in atomically.

DuckDB takes one writer. The dashboard never opens the warehouse the run writes to; it opens
the published copy read-only, which this step replaces in one rename at the end of a run, so
the dashboard keeps working while the daily run is busy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb


def publish_warehouse(warehouse_path: Path, published_path: Path) -> int:
    """Copy the warehouse to `published_path` atomically; return the published file's size."""
    with duckdb.connect(str(warehouse_path)) as con:
        con.execute("checkpoint")

    published_path.parent.mkdir(parents=True, exist_ok=True)
    staging_copy = published_path.with_name(published_path.name + ".incoming")
    shutil.copyfile(warehouse_path, staging_copy)
    staging_copy.replace(published_path)
    return published_path.stat().st_size
