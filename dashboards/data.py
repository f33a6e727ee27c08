"""Read-only queries on the published warehouse, one function per figure, cached.

The dashboard never opens the warehouse the daily run writes to: it opens the published copy
(`Settings.published_path`) read-only, a fresh connection per query, so a newly published file
is picked up on the next query. Every cached function takes the `Warehouse` (path and
modification time) as an argument, so publishing a new copy changes the cache key and nothing
stale is served.

Amounts come back as `Decimal` (DuckDB DECIMAL through Arrow), never as float.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
class Scope:
    """The sidebar filters: an empty tuple means no filter on that attribute."""

    divisions: tuple[str, ...] = ()
    entity_ids: tuple[str, ...] = ()
    country_codes: tuple[str, ...] = ()

    @property
    def is_whole_group(self) -> bool:
        return not (self.divisions or self.entity_ids or self.country_codes)

    def where(self, alias: str = "e") -> tuple[str, list[str]]:
        """A SQL condition on `marts.dim_entities` (as `alias`) and its parameters."""
        conditions = []
        params: list[str] = []
        for column, values in (
            ("division", self.divisions),
            ("entity_id", self.entity_ids),
            ("country_code", self.country_codes),
        ):
            if values:
                placeholders = ", ".join("?" for _ in values)
                conditions.append(f"{alias}.{column} in ({placeholders})")
                params.extend(values)
        return " and ".join(conditions) or "true", params


def published_warehouse() -> Warehouse | None:
    """The published copy named by the settings, or None when it has not been published yet."""
    path = get_settings().published_path
    if not path.is_file():
        return None
    return Warehouse(path=str(path), mtime_ns=path.stat().st_mtime_ns)


def _query(warehouse: Warehouse, sql: str, params: list[str] | None = None) -> pd.DataFrame:
    with duckdb.connect(warehouse.path, read_only=True) as con:
        return con.sql(sql, params=params or None).to_arrow_table().to_pandas()


@st.cache_data(show_spinner=False)
def entities(warehouse: Warehouse) -> pd.DataFrame:
    """Every entity with the attributes the filters offer."""
    sql = """
        select entity_id, entity_name, division, country_code, base_currency
        from marts.dim_entities
        order by entity_id
    """
    return _query(warehouse, sql)


@st.cache_data(show_spinner=False)
def as_of_date(warehouse: Warehouse) -> date | None:
    """The as-of date the marts were built for (latest DSO month end if nothing is open)."""
    sql = """
        select coalesce(
            (select max(as_of_date) from marts.fct_open_items),
            (select max(month_end) from marts.group_dso_monthly)
        ) as as_of_date
    """
    value = _query(warehouse, sql)["as_of_date"].iloc[0]
    return None if pd.isna(value) else value


@st.cache_data(show_spinner=False)
def receivables_summary(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """One row: open balance, open invoices, unapplied credit and overdue amount of the scope."""
    where, params = scope.where()
    sql = f"""
        select
            coalesce(sum(b.open_balance_base), 0) as open_balance_base,
            coalesce(sum(b.invoiced_open_base), 0) as invoiced_open_base,
            coalesce(sum(b.unapplied_credit_base), 0) as unapplied_credit_base,
            coalesce(sum(b.overdue_amount_base), 0) as overdue_amount_base,
            count(*) as debtor_count,
            count(*) filter (where b.overdue_amount_base > 0) as overdue_debtor_count,
        from marts.customer_balances as b
        inner join marts.dim_entities as e on e.entity_id = b.entity_id
        where {where}
    """
    return _query(warehouse, sql, params)


@st.cache_data(show_spinner=False)
def aging_by_bucket(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """Open balance per aging bucket: group_aging for the whole group, else the entities'."""
    if scope.is_whole_group:
        sql = """
            select
                aging_bucket,
                bucket_order,
                sum(open_amount_base) as open_amount_base,
                sum(item_count) as item_count,
            from marts.group_aging
            group by aging_bucket, bucket_order
            order by bucket_order
        """
        return _query(warehouse, sql)

    where, params = scope.where()
    sql = f"""
        select
            a.aging_bucket,
            a.bucket_order,
            sum(a.open_amount_base) as open_amount_base,
            sum(a.item_count) as item_count,
        from marts.entity_aging as a
        inner join marts.dim_entities as e on e.entity_id = a.entity_id
        where {where}
        group by a.aging_bucket, a.bucket_order
        order by a.bucket_order
    """
    return _query(warehouse, sql, params)


@st.cache_data(show_spinner=False)
def aging_by_entity(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """Long format: one row per entity and aging bucket, all buckets present."""
    where, params = scope.where()
    sql = f"""
        select
            a.entity_id,
            e.entity_name,
            e.division,
            e.country_code,
            a.aging_bucket,
            a.bucket_order,
            a.open_amount_base,
            a.item_count,
        from marts.entity_aging as a
        inner join marts.dim_entities as e on e.entity_id = a.entity_id
        where {where}
        order by a.entity_id, a.bucket_order
    """
    return _query(warehouse, sql, params)


@st.cache_data(show_spinner=False)
def entity_dso_latest(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """Each entity's DSO for the latest month end in the mart."""
    where, params = scope.where()
    sql = f"""
        select
            d.entity_id,
            e.entity_name,
            e.division,
            e.country_code,
            d.month_end,
            d.ar_base,
            d.sales_window_base,
            d.window_days,
            d.simple_dso_days,
            d.countback_dso_days,
        from marts.entity_dso_monthly as d
        inner join marts.dim_entities as e on e.entity_id = d.entity_id
        where {where}
            and d.month_end = (select max(month_end) from marts.entity_dso_monthly)
        order by d.entity_id
    """
    return _query(warehouse, sql, params)


# Countback DSO of a selection of entities, from their monthly AR and sales (KPIS.md): walk back
# from each month end through earlier months, each month's positive sales using up the AR and
# adding the month's days; months with zero or negative sales are stepped over and counted in
# full; the month where AR runs out adds its fraction. A month's days are the day number of its
# month end, which for the as-of month (ending at the as-of date) is the days elapsed so far.
# When the history runs out before the AR does, the figure is unknown (null).
_SCOPED_DSO_SQL = """
    with scoped_entities as (
        select e.entity_id
        from marts.dim_entities as e
        where {where}
    ),

    monthly as (
        select
            d.month_end,
            sum(d.ar_base) as ar_base,
            sum(d.net_sales_base) as net_sales_base,
            sum(d.sales_window_base) as sales_window_base,
            max(d.window_days) as window_days,
        from marts.entity_dso_monthly as d
        inner join scoped_entities as s on s.entity_id = d.entity_id
        group by d.month_end
    ),

    walk_back as (
        select
            target.month_end,
            target.ar_base,
            greatest(earlier.net_sales_base, 0) as positive_sales,
            day(earlier.month_end) as month_days,
            sum(greatest(earlier.net_sales_base, 0)) over (
                partition by target.month_end
                order by earlier.month_end desc
                rows between unbounded preceding and current row
            ) as sales_through,
        from monthly as target
        inner join monthly as earlier on earlier.month_end <= target.month_end
    ),

    countback as (
        select
            month_end,
            case
                when max(sales_through) < max(ar_base) then null
                else sum(
                    case
                        when sales_through - positive_sales >= ar_base then 0
                        when positive_sales = 0 then month_days
                        when sales_through <= ar_base then month_days
                        else (ar_base - (sales_through - positive_sales))
                            / positive_sales * month_days
                    end
                )
            end as countback_dso_days,
        from walk_back
        group by month_end
    ),

    final as (
        select
            m.month_end,
            m.ar_base,
            m.net_sales_base,
            m.sales_window_base,
            m.window_days,
            case
                when m.sales_window_base > 0
                    then m.ar_base / m.sales_window_base * m.window_days
            end::double as simple_dso_days,
            c.countback_dso_days::double as countback_dso_days,
        from monthly as m
        inner join countback as c on c.month_end = m.month_end
    )

    select * from final
    order by month_end
"""


@st.cache_data(show_spinner=False)
def dso_trend(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """Simple and countback DSO per month end: group_dso_monthly for the whole group, else
    recomputed from the selected entities' monthly AR and sales."""
    if scope.is_whole_group:
        sql = """
            select
                month_end,
                ar_base,
                net_sales_base,
                sales_window_base,
                window_days,
                simple_dso_days::double as simple_dso_days,
                countback_dso_days::double as countback_dso_days,
            from marts.group_dso_monthly
            order by month_end
        """
        return _query(warehouse, sql)

    where, params = scope.where()
    return _query(warehouse, _SCOPED_DSO_SQL.format(where=where), params)


@st.cache_data(show_spinner=False)
def top_debtors(warehouse: Warehouse, scope: Scope, limit: int = 10) -> pd.DataFrame:
    """The debtors (customer of one entity) with the largest open balance."""
    where, params = scope.where()
    sql = f"""
        select
            b.entity_id,
            e.entity_name,
            b.customer_id,
            c.segment,
            c.customer_type,
            c.country_code,
            b.open_balance_base,
            b.overdue_amount_base,
            b.unapplied_credit_base,
            b.max_days_past_due,
            b.open_item_count,
            b.has_disputed_item,
        from marts.customer_balances as b
        inner join marts.dim_entities as e on e.entity_id = b.entity_id
        left join marts.dim_customers as c
            on c.entity_id = b.entity_id and c.customer_id = b.customer_id
        where {where}
        order by b.open_balance_base desc, b.entity_id, b.customer_id
        limit {int(limit)}
    """
    return _query(warehouse, sql, params)
