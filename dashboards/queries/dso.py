"""DSO of a scope per month end, and the monthly KPI set (`marts.kpi_monthly`).

DSO needs monthly sales, which the marts hold per entity, not per customer segment: a segment
filter therefore does not narrow the DSO or the KPIs (the page says so).
"""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st
import yaml

from dagster_project.settings import REPO_ROOT
from dashboards.data import Scope, Warehouse, has_table, query, scoped

# The monthly KPI set per scope (dbt/models/marts/kpi_monthly.sql); a warehouse built before it
# existed lacks it, and the page then says those figures are not available.
KPI_MART = "marts.kpi_monthly"
DBT_PROJECT = REPO_ROOT / "dbt" / "dbt_project.yml"


@st.cache_data(show_spinner=False)
def entity_dso_latest(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """Each entity's DSO for the latest month end on or before the as-of date."""
    sql = scoped("""
        , latest as (
            select max(month_end) as month_end
            from marts.entity_dso_monthly
            where month_end <= $as_of_date
        )

        select
            d.entity_id,
            e.entity_name,
            e.division,
            e.country_code,
            d.month_end,
            d.ar_base,
            d.sales_window_base,
            d.window_days,
            d.simple_dso_days::double as simple_dso_days,
            d.countback_dso_days::double as countback_dso_days,
        from marts.entity_dso_monthly as d
        inner join scoped_entities as e on e.entity_id = d.entity_id
        inner join latest as l on l.month_end = d.month_end
        order by d.entity_id
    """)
    return query(warehouse, sql, scope.params())


# Countback DSO of a selection of entities, from their monthly AR and sales (KPIS.md): walk back
# from each month end through earlier months, each month's positive sales using up the AR and
# adding the month's days; months with zero or negative sales are stepped over and counted in
# full; the month where AR runs out adds its fraction. A month's days are the day number of its
# month end, which for the as-of month (ending at the as-of date) is the days elapsed so far.
# When the history runs out before the AR does, the figure is unknown (null).
_SCOPED_DSO_SQL = """
    , monthly as (
        select
            d.month_end,
            sum(d.ar_base) as ar_base,
            sum(d.net_sales_base) as net_sales_base,
            sum(d.sales_window_base) as sales_window_base,
            max(d.window_days) as window_days,
        from marts.entity_dso_monthly as d
        inner join scoped_entities as s on s.entity_id = d.entity_id
        where d.month_end <= $as_of_date
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
    """Simple and countback DSO per month end up to the as-of date: group_dso_monthly for the
    whole group, else recomputed from the selected entities' monthly AR and sales."""
    if scope.is_whole_group or (scope.access.sees_everything and _only_segments(scope)):
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
            where month_end <= $as_of_date
            order by month_end
        """
        return query(warehouse, sql, scope.params())
    return query(warehouse, scoped(_SCOPED_DSO_SQL), scope.params())


def _only_segments(scope: Scope) -> bool:
    return not (scope.divisions or scope.entity_ids or scope.country_codes)


def kpi_mart_available(warehouse: Warehouse) -> bool:
    return has_table(warehouse, KPI_MART)


@functools.cache
def cei_window_months() -> int:
    """N of the collection effectiveness index, as the dbt build used it (`dbt_project.yml`)."""
    document = yaml.safe_load(DBT_PROJECT.read_text(encoding="utf-8")) or {}
    return max(1, int((document.get("vars") or {}).get("cei_window_months") or 1))


# Best-possible DSO, average days delinquent and CEI per month end of the selected entities,
# recomputed from the sums of their `entity` rows in kpi_monthly exactly as the mart computes
# each scope's figures (KPIS.md): best possible = current AR / sales of the window * its days;
# ADD = simple DSO - best possible; CEI = (collectible - AR) / (collectible - current AR) * 100
# with collectible = AR at the window's start + the window's sales / N. The mart's own group row
# gives the same figures for the whole group; summing keeps one path for every selection.
_KPI_SQL = """
    , monthly as (
        select
            k.month_end,
            sum(k.ar_base) as ar_base,
            sum(k.current_ar_base) as current_ar_base,
            sum(k.sales_window_base) as sales_window_base,
            max(k.window_days) as window_days,
            sum(k.cei_ar_start_base) + sum(k.cei_sales_base) / $cei_months as collectible_base,
        from marts.kpi_monthly as k
        inner join scoped_entities as s on s.entity_id = k.scope_id
        where k.scope_type = 'entity' and k.month_end <= $as_of_date
        group by k.month_end
    ),

    final as (
        select
            month_end,
            case
                when sales_window_base > 0 then ar_base * window_days / sales_window_base
            end::double as simple_dso_days,
            case
                when sales_window_base > 0
                    then current_ar_base * window_days / sales_window_base
            end::double as best_possible_dso_days,
            case
                when collectible_base - current_ar_base > 0
                    then (collectible_base - ar_base) / (collectible_base - current_ar_base) * 100
            end::double as collection_effectiveness_pct,
        from monthly
    )

    select
        month_end,
        best_possible_dso_days,
        simple_dso_days - best_possible_dso_days as average_days_delinquent,
        collection_effectiveness_pct,
    from final
    order by month_end
"""


@st.cache_data(show_spinner=False)
def kpi_trend(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """Best-possible DSO, average days delinquent and CEI per month end up to the as-of date,
    for the entities in scope; empty when the warehouse has no KPI mart."""
    if not kpi_mart_available(warehouse):
        return pd.DataFrame()
    params = {**scope.params(), "cei_months": cei_window_months()}
    return query(warehouse, scoped(_KPI_SQL), params)
