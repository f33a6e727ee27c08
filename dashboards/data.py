"""Read-only queries on the published warehouse: the connection, the scope, the shared lists.

The dashboard never opens the warehouse the daily run writes to: it opens the published copy
(`Settings.published_path`) read-only. The `Warehouse` (path and modification time) is part of
every cache key, of the queries and of the one read-only connection each published copy gets
(a query takes a cursor of it; opening the file costs more than most queries), so publishing a
new copy opens a new connection and nothing stale is served.

Every query on entity data takes a `Scope`, which always carries the signed-in user's entities:
its SQL starts from `scoped_entities` (and `scoped_customers`), so a credit manager's rows are
cut in the database, not after. Amounts come back as `Decimal` (DuckDB DECIMAL through Arrow).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from dagster_project.settings import get_settings


@dataclass(frozen=True)
class Warehouse:
    """The published warehouse file as of one modification; part of every cache key."""

    path: str
    mtime_ns: int


@dataclass(frozen=True)
class Access:
    """The entities a user may see; None means every entity of the group."""

    entity_ids: tuple[str, ...] | None

    @property
    def sees_everything(self) -> bool:
        return self.entity_ids is None


@dataclass(frozen=True)
class Scope:
    """The user's access plus the sidebar filters; an empty tuple means no filter."""

    access: Access
    as_of_date: date | None = None
    divisions: tuple[str, ...] = ()
    entity_ids: tuple[str, ...] = ()
    country_codes: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()

    @property
    def is_whole_group(self) -> bool:
        """True when the group marts answer: everything visible and nothing filtered."""
        filters = (self.divisions, self.entity_ids, self.country_codes, self.segments)
        return self.access.sees_everything and not any(filters)

    def params(self) -> dict[str, Any]:
        return {
            "sees_everything": self.access.sees_everything,
            "allowed_entity_ids": list(self.access.entity_ids or ()),
            "divisions": list(self.divisions),
            "entity_ids": list(self.entity_ids),
            "country_codes": list(self.country_codes),
            "segments": list(self.segments),
            "as_of_date": self.as_of_date,
        }


# The two CTEs every scoped query starts with. `scoped_entities`: the entities the user may see
# that pass the division, entity and country filters; `scoped_customers`: their customers in
# the selected segments.
SCOPE_CTES = """
    scoped_entities as (
        select e.*
        from marts.dim_entities as e
        where ($sees_everything or list_contains($allowed_entity_ids::varchar[], e.entity_id))
            and (len($divisions::varchar[]) = 0
                or list_contains($divisions::varchar[], e.division))
            and (len($entity_ids::varchar[]) = 0
                or list_contains($entity_ids::varchar[], e.entity_id))
            and (len($country_codes::varchar[]) = 0
                or list_contains($country_codes::varchar[], e.country_code))
    ),

    scoped_customers as (
        select c.*
        from marts.dim_customers as c
        inner join scoped_entities as se on se.entity_id = c.entity_id
        where len($segments::varchar[]) = 0 or list_contains($segments::varchar[], c.segment)
    )
"""

_PARAMETER = re.compile(r"\$([a-z_]+)")


def published_warehouse() -> Warehouse | None:
    """The published copy named by the settings, or None when it has not been published yet."""
    path = get_settings().published_path
    if not path.is_file():
        return None
    return Warehouse(path=str(path), mtime_ns=path.stat().st_mtime_ns)


@st.cache_resource(show_spinner=False, max_entries=2)
def _connection(warehouse: Warehouse) -> duckdb.DuckDBPyConnection:
    """One read-only connection per published copy; the one replaced is dropped when evicted."""
    return duckdb.connect(warehouse.path, read_only=True)


def query(warehouse: Warehouse, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run `sql` on a cursor of the copy's connection (one per thread of the server);
    `params` may hold more names than the SQL uses."""
    used = set(_PARAMETER.findall(sql))
    bound = {name: value for name, value in (params or {}).items() if name in used}
    with _connection(warehouse).cursor() as cursor:
        return cursor.sql(sql, params=bound or None).to_arrow_table().to_pandas()


def cursor(warehouse: Warehouse) -> duckdb.DuckDBPyConnection:
    """A read-only cursor of the copy's connection, for code that takes a DuckDB connection
    (the policy's helpers); use it in a `with` block."""
    return _connection(warehouse).cursor()


def scoped(sql: str) -> str:
    """`sql` (a select, or further CTEs starting with a comma) behind the scope CTEs."""
    return f"with {SCOPE_CTES}\n{sql}"


@st.cache_data(show_spinner=False)
def tables(warehouse: Warehouse) -> frozenset[str]:
    """Every `schema.table` in the warehouse, so pages can say what is not built yet."""
    sql = "select table_schema || '.' || table_name as name from information_schema.tables"
    return frozenset(query(warehouse, sql)["name"])


def has_table(warehouse: Warehouse, name: str) -> bool:
    return name in tables(warehouse)


@st.cache_data(show_spinner=False)
def columns(warehouse: Warehouse, schema: str, table: str) -> tuple[str, ...]:
    """The table's column names in order; empty when it does not exist (an older run's
    layout may lack or name a column differently)."""
    sql = """
        select column_name from information_schema.columns
        where table_schema = $schema and table_name = $table
        order by ordinal_position
    """
    return tuple(query(warehouse, sql, {"schema": schema, "table": table})["column_name"])


@st.cache_data(show_spinner=False)
def entities(warehouse: Warehouse, access: Access) -> pd.DataFrame:
    """The entities the user may see, with the attributes the filters offer."""
    sql = """
        select entity_id, entity_name, division, country_code, base_currency
        from marts.dim_entities
        where $sees_everything or list_contains($allowed_entity_ids::varchar[], entity_id)
        order by entity_id
    """
    params = {
        "sees_everything": access.sees_everything,
        "allowed_entity_ids": list(access.entity_ids or ()),
    }
    return query(warehouse, sql, params)


@st.cache_data(show_spinner=False)
def customer_segments(warehouse: Warehouse, access: Access) -> list[str]:
    """The customer segments present at the user's entities, for the segment filter."""
    sql = scoped("select distinct segment from scoped_customers order by segment")
    return query(warehouse, sql, Scope(access).params())["segment"].dropna().tolist()


@st.cache_data(show_spinner=False)
def as_of_dates(warehouse: Warehouse) -> list[date]:
    """The as-of dates the published marts hold, newest first; the latest DSO month end when
    nothing is open."""
    sql = """
        select distinct as_of_date from marts.fct_open_items
        order by as_of_date desc
    """
    found = query(warehouse, sql)["as_of_date"].tolist()
    if found:
        return found
    sql = "select max(month_end) as month_end from marts.group_dso_monthly"
    return query(warehouse, sql)["month_end"].dropna().tolist()
