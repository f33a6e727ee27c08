"""Group overview for the CFO: receivables, overdue, DSO, aging by entity, largest debtors.

Every figure follows the sidebar filters (division, entity, country; an entity matches when it
passes all three). Without filters the group marts are read; with filters the same figures are
summed from the entity marts.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import altair as alt
import pandas as pd
import streamlit as st

from dagster_project.settings import get_settings
from dashboards import data
from dashboards.formatting import count, days, money, percent, signed_days, signed_money

CREDIT_COLOUR = "#8c9bab"
CURRENT_COLOUR = "#4c9a6a"
OVERDUE_COLOURS = ("#f2c14e", "#f08a3c", "#e0523a", "#b52a3a", "#7d1734", "#4f0d24")
ROW_HEIGHT_PX = 22


def render() -> None:
    warehouse = data.published_warehouse()
    if warehouse is None:
        return  # the app shows the missing-warehouse message

    currency = get_settings().group_currency
    entity_table = data.entities(warehouse)
    scope = _sidebar_scope(entity_table, warehouse)
    selected = _entities_in_scope(entity_table, scope)

    as_of = data.as_of_date(warehouse)
    st.title("Group receivables")
    st.caption(_header_line(as_of, currency, len(selected), entity_table))

    if entity_table.empty:
        st.info("The published warehouse has no entities yet: run `make demo SERVE=0` first.")
        return
    if selected.empty:
        st.info("No entities match the selected filters. Clear a filter in the sidebar.")
        return

    _metrics(warehouse, scope, currency)
    _aging_section(warehouse, scope, currency, as_of)
    _dso_section(warehouse, scope)
    _top_debtors_section(warehouse, scope, currency)


def _sidebar_scope(entity_table: pd.DataFrame, warehouse: data.Warehouse) -> data.Scope:
    names = dict(zip(entity_table["entity_id"], entity_table["entity_name"], strict=True))

    st.sidebar.header("Filters")
    divisions = st.sidebar.multiselect(
        "Division",
        sorted(entity_table["division"].unique().tolist()),
        key="filter_division",
        placeholder="All divisions",
    )
    entity_ids = st.sidebar.multiselect(
        "Entity",
        entity_table["entity_id"].tolist(),
        format_func=lambda entity_id: f"{entity_id} · {names[entity_id]}",
        key="filter_entity",
        placeholder="All entities",
    )
    countries = st.sidebar.multiselect(
        "Country",
        sorted(entity_table["country_code"].unique().tolist()),
        key="filter_country",
        placeholder="All countries",
    )

    published_at = datetime.fromtimestamp(warehouse.mtime_ns / 1e9)
    st.sidebar.caption(f"Published {published_at:%d %b %Y %H:%M} · `{warehouse.path}`")
    return data.Scope(
        divisions=tuple(sorted(divisions)),
        entity_ids=tuple(sorted(entity_ids)),
        country_codes=tuple(sorted(countries)),
    )


def _entities_in_scope(entity_table: pd.DataFrame, scope: data.Scope) -> pd.DataFrame:
    mask = pd.Series(True, index=entity_table.index)
    for column, values in (
        ("division", scope.divisions),
        ("entity_id", scope.entity_ids),
        ("country_code", scope.country_codes),
    ):
        if values:
            mask &= entity_table[column].isin(values)
    return entity_table[mask]


def _header_line(
    as_of: date | None, currency: str, selected_count: int, entity_table: pd.DataFrame
) -> str:
    as_of_text = f"{as_of:%d %B %Y}" if as_of else "unknown"
    return (
        f"As of **{as_of_text}** · amounts in **{currency}** · "
        f"{selected_count} of {len(entity_table)} entities"
    )


def _metrics(warehouse: data.Warehouse, scope: data.Scope, currency: str) -> None:
    """Balance and overdue at the as-of date; DSO of the latest month; changes on last month."""
    summary = data.receivables_summary(warehouse, scope).iloc[0]
    trend = data.dso_trend(warehouse, scope)
    latest = trend.iloc[-1] if len(trend) else None
    previous = trend.iloc[-2] if len(trend) > 1 else None
    since = f"since {previous['month_end']:%d %b %Y}" if previous is not None else None

    open_balance = summary["open_balance_base"]
    overdue = summary["overdue_amount_base"]
    invoiced_open = summary["invoiced_open_base"]
    balance_change = _change(open_balance, previous, "ar_base")

    columns = st.columns(5)
    columns[0].metric(
        "Total receivables",
        money(open_balance, currency),
        delta=signed_money(balance_change, currency) if balance_change is not None else None,
        delta_color="off",
        delta_description=since,
        help="Net open balance at the as-of date, unapplied credit included (negative); "
        "the change is against the AR at the previous month end.",
    )
    columns[1].metric(
        "Overdue",
        money(overdue, currency),
        help=f"Open invoices past their due date, at {count(summary['overdue_debtor_count'])} "
        f"of {count(summary['debtor_count'])} debtors with an open balance.",
    )
    columns[2].metric(
        "Overdue share",
        percent(overdue / invoiced_open if invoiced_open > 0 else None),
        help="Overdue amount as a share of open invoices (before unapplied credit).",
    )

    month = f"{latest['month_end']:%d %b %Y}" if latest is not None else "–"
    for column, label, field, explanation in (
        (columns[3], "DSO (simple)", "simple_dso_days", "AR / net sales of the last 3 months"),
        (columns[4], "DSO (countback)", "countback_dso_days", "AR counted back month by month"),
    ):
        value = latest[field] if latest is not None else None
        change = _change(value, previous, field)
        column.metric(
            label,
            days(value),
            delta=signed_days(change) if change is not None else None,
            delta_color="inverse",
            delta_description=since,
            help=f"{explanation}, month ending {month}.",
        )


def _change(
    value: Decimal | float | None, previous: pd.Series | None, field: str
) -> Decimal | float | None:
    """`value` minus the previous month's `field`, or None when either is unknown."""
    if previous is None or pd.isna(value) or pd.isna(previous[field]):
        return None
    return value - previous[field]


def _bucket_colours(bucket_orders: list[int]) -> list[str]:
    """Grey for unapplied credit, green for current, warmer with age for the overdue ones."""
    credit_count = sum(order <= 0 for order in bucket_orders)
    aged_count = len(bucket_orders) - credit_count
    overdue = [OVERDUE_COLOURS[min(i, len(OVERDUE_COLOURS) - 1)] for i in range(aged_count)]
    return [CREDIT_COLOUR] * credit_count + [CURRENT_COLOUR, *overdue][:aged_count]


def _aging_section(
    warehouse: data.Warehouse, scope: data.Scope, currency: str, as_of: date | None
) -> None:
    st.subheader("Aging by entity")
    long = data.aging_by_entity(warehouse, scope)
    if long.empty:
        st.info("No aging for the selected entities.")
        return

    buckets = long[["aging_bucket", "bucket_order"]].drop_duplicates().sort_values("bucket_order")
    totals = long.groupby("entity_id")["open_amount_base"].sum().sort_values(ascending=False)
    entity_order = totals.index.tolist()

    st.altair_chart(_aging_chart(long, buckets, entity_order, currency), width="stretch")

    table = _aging_table(long, buckets, entity_order)
    group_row = _aging_total_row(data.aging_by_bucket(warehouse, scope), buckets)
    money_columns = [*buckets["aging_bucket"], "Total"]
    shown = pd.concat([table, group_row], ignore_index=True)
    st.dataframe(
        shown.style.format(lambda amount: money(amount, currency), subset=money_columns),
        hide_index=True,
    )
    # The export keeps plain numbers (no separators) and leaves out the total row, so it can be
    # summed and pivoted again.
    st.download_button(
        "Download aging (CSV)",
        data=table.assign(Currency=currency).to_csv(index=False).encode("utf-8"),
        file_name=f"aging_by_entity_{as_of or 'unknown'}.csv",
        mime="text/csv",
        icon=":material/download:",
    )


def _aging_chart(
    long: pd.DataFrame, buckets: pd.DataFrame, entity_order: list[str], currency: str
) -> alt.Chart:
    chart_data = long.assign(
        amount=long["open_amount_base"].astype(float),
        amount_text=[money(amount, currency) for amount in long["open_amount_base"]],
    )
    bucket_names = buckets["aging_bucket"].tolist()
    return (
        alt.Chart(chart_data)
        .mark_bar()
        .encode(
            x=alt.X("amount:Q", title=f"Open amount ({currency})", axis=alt.Axis(format=",.0f")),
            y=alt.Y("entity_id:N", sort=entity_order, title=None),
            color=alt.Color(
                "aging_bucket:N",
                title="Bucket",
                sort=bucket_names,
                scale=alt.Scale(
                    domain=bucket_names, range=_bucket_colours(buckets["bucket_order"].tolist())
                ),
            ),
            order=alt.Order("bucket_order:Q"),
            tooltip=[
                alt.Tooltip("entity_id:N", title="Entity"),
                alt.Tooltip("entity_name:N", title="Name"),
                alt.Tooltip("aging_bucket:N", title="Bucket"),
                alt.Tooltip("amount_text:N", title="Open amount"),
                alt.Tooltip("item_count:Q", title="Items"),
            ],
        )
        .properties(height=max(120, ROW_HEIGHT_PX * len(entity_order)))
    )


def _aging_table(
    long: pd.DataFrame, buckets: pd.DataFrame, entity_order: list[str]
) -> pd.DataFrame:
    """One row per entity, one column per bucket in bucket order, and the total."""
    keys = ["entity_id", "entity_name", "division", "country_code"]
    wide = long.pivot(index=keys, columns="aging_bucket", values="open_amount_base")
    wide = wide[buckets["aging_bucket"].tolist()]
    wide["Total"] = long.groupby(keys)["open_amount_base"].sum()
    wide = wide.reset_index().set_index("entity_id").loc[entity_order].reset_index()
    wide.columns.name = None
    return wide.rename(
        columns={
            "entity_id": "Entity",
            "entity_name": "Name",
            "division": "Division",
            "country_code": "Country",
        }
    )


def _aging_total_row(by_bucket: pd.DataFrame, buckets: pd.DataFrame) -> pd.DataFrame:
    amounts = dict(zip(by_bucket["aging_bucket"], by_bucket["open_amount_base"], strict=True))
    row = {"Entity": "Total", "Name": "All selected entities", "Division": "", "Country": ""}
    row |= {bucket: amounts.get(bucket) for bucket in buckets["aging_bucket"]}
    row["Total"] = sum(by_bucket["open_amount_base"])
    return pd.DataFrame([row])


def _dso_section(warehouse: data.Warehouse, scope: data.Scope) -> None:
    by_entity = data.entity_dso_latest(warehouse, scope)
    trend = data.dso_trend(warehouse, scope)
    left, right = st.columns(2)

    with left:
        month = f"{by_entity['month_end'].iloc[0]:%B %Y}" if len(by_entity) else ""
        st.subheader(f"DSO by entity, {month}" if month else "DSO by entity")
        if by_entity.empty:
            st.info("No DSO for the selected entities.")
        else:
            st.altair_chart(_entity_dso_chart(by_entity), width="stretch")

    with right:
        st.subheader("DSO trend")
        if trend.empty:
            st.info("No monthly DSO for the selected entities.")
        else:
            st.altair_chart(_dso_trend_chart(trend), width="stretch")


def _entity_dso_chart(by_entity: pd.DataFrame) -> alt.Chart:
    chart_data = by_entity.assign(
        simple_text=by_entity["simple_dso_days"].map(days),
        countback_text=by_entity["countback_dso_days"].map(days),
    )
    return (
        alt.Chart(chart_data)
        .mark_bar(color="#3b6ea5")
        .encode(
            x=alt.X("countback_dso_days:Q", title="Countback DSO (days)"),
            y=alt.Y("entity_id:N", sort="-x", title=None),
            tooltip=[
                alt.Tooltip("entity_id:N", title="Entity"),
                alt.Tooltip("entity_name:N", title="Name"),
                alt.Tooltip("countback_text:N", title="Countback DSO"),
                alt.Tooltip("simple_text:N", title="Simple DSO"),
            ],
        )
        .properties(height=max(120, ROW_HEIGHT_PX * len(chart_data)))
    )


def _dso_trend_chart(trend: pd.DataFrame) -> alt.Chart:
    long = trend.melt(
        id_vars=["month_end"],
        value_vars=["simple_dso_days", "countback_dso_days"],
        var_name="measure",
        value_name="dso_days",
    )
    long["measure"] = long["measure"].map(
        {"simple_dso_days": "Simple", "countback_dso_days": "Countback"}
    )
    long["month_end"] = pd.to_datetime(long["month_end"])
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("month_end:T", title="Month end", axis=alt.Axis(format="%b %Y")),
            y=alt.Y("dso_days:Q", title="DSO (days)"),
            color=alt.Color("measure:N", title="DSO"),
            tooltip=[
                alt.Tooltip("month_end:T", title="Month end", format="%d %b %Y"),
                alt.Tooltip("measure:N", title="DSO"),
                alt.Tooltip("dso_days:Q", title="Days", format=",.1f"),
            ],
        )
    )


def _top_debtors_section(warehouse: data.Warehouse, scope: data.Scope, currency: str) -> None:
    st.subheader("Top 10 debtors by open balance")
    debtors = data.top_debtors(warehouse, scope, limit=10)
    if debtors.empty:
        st.info("No debtor has an open balance in the selected entities.")
        return

    table = debtors.rename(
        columns={
            "entity_id": "Entity",
            "entity_name": "Entity name",
            "customer_id": "Customer",
            "segment": "Segment",
            "customer_type": "Type",
            "country_code": "Country",
            "open_balance_base": "Open balance",
            "overdue_amount_base": "Overdue",
            "unapplied_credit_base": "Unapplied credit",
            "max_days_past_due": "Max days past due",
            "open_item_count": "Open items",
            "has_disputed_item": "Disputed",
        }
    )
    money_columns = ["Open balance", "Overdue", "Unapplied credit"]
    st.dataframe(
        table.style.format(lambda amount: money(amount, currency), subset=money_columns),
        hide_index=True,
    )
