"""Altair charts shared by the pages: aging bars, DSO, amounts per category."""

from __future__ import annotations

import altair as alt
import pandas as pd

from dashboards.formatting import days, money

CREDIT_COLOUR = "#8c9bab"
CURRENT_COLOUR = "#4c9a6a"
OVERDUE_COLOURS = ("#f2c14e", "#f08a3c", "#e0523a", "#b52a3a", "#7d1734", "#4f0d24")
BAR_COLOUR = "#3b6ea5"
ROW_HEIGHT_PX = 22
MIN_BAR_CHART_HEIGHT_PX = 200
AXIS_HEIGHT_PX = 60


def bucket_colours(bucket_orders: list[int]) -> list[str]:
    """Grey for unapplied credit, green for current, warmer with age for the overdue ones."""
    credit_count = sum(order <= 0 for order in bucket_orders)
    aged_count = len(bucket_orders) - credit_count
    overdue = [OVERDUE_COLOURS[min(i, len(OVERDUE_COLOURS) - 1)] for i in range(aged_count)]
    return [CREDIT_COLOUR] * credit_count + [CURRENT_COLOUR, *overdue][:aged_count]


def aging_bars(long: pd.DataFrame, row: str, row_title: str, currency: str) -> alt.Chart:
    """Horizontal bars per `row` (entity, division, currency), stacked by aging bucket."""
    buckets = long[["aging_bucket", "bucket_order"]].drop_duplicates().sort_values("bucket_order")
    totals = long.groupby(row)["open_amount_base"].sum().sort_values(ascending=False)
    chart_data = long.assign(
        amount=long["open_amount_base"].astype(float),
        amount_text=[money(amount, currency) for amount in long["open_amount_base"]],
    )
    bucket_names = buckets["aging_bucket"].tolist()
    return (
        alt.Chart(chart_data)
        .mark_bar()
        .encode(
            x=alt.X(
                "sum(amount):Q", title=f"Open amount ({currency})", axis=alt.Axis(format=",.0f")
            ),
            y=alt.Y(f"{row}:N", sort=totals.index.tolist(), title=None),
            color=alt.Color(
                "aging_bucket:N",
                title=None,
                sort=bucket_names,
                scale=alt.Scale(
                    domain=bucket_names, range=bucket_colours(buckets["bucket_order"].tolist())
                ),
            ),
            order=alt.Order("bucket_order:Q"),
            tooltip=[
                alt.Tooltip(f"{row}:N", title=row_title),
                alt.Tooltip("aging_bucket:N", title="Bucket"),
                alt.Tooltip("sum(amount):Q", title=f"Open amount ({currency})", format=",.2f"),
                alt.Tooltip("sum(item_count):Q", title="Items", format=","),
            ],
        )
        .properties(height=_bar_height(len(totals)))
    )


def _bar_height(rows: int) -> int:
    # Streamlit fits the whole chart (axes and legend included) into the height.
    return max(MIN_BAR_CHART_HEIGHT_PX, ROW_HEIGHT_PX * rows + AXIS_HEIGHT_PX)


def amount_bars(frame: pd.DataFrame, category: str, title: str, currency: str) -> alt.Chart:
    """Stacked not-overdue / overdue bars per category, from `not_overdue_base` and
    `overdue_amount_base`."""
    long = frame.melt(
        id_vars=[category],
        value_vars=["not_overdue_base", "overdue_amount_base"],
        var_name="part",
        value_name="amount",
    )
    long["part"] = long["part"].map(
        {"not_overdue_base": "Not overdue", "overdue_amount_base": "Overdue"}
    )
    long["amount"] = long["amount"].astype(float)
    order = frame.sort_values("open_balance_base", ascending=False)[category].tolist()
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("amount:Q", title=f"Open amount ({currency})", axis=alt.Axis(format=",.0f")),
            y=alt.Y(f"{category}:N", sort=order, title=None),
            color=alt.Color(
                "part:N",
                title=None,
                scale=alt.Scale(
                    domain=["Not overdue", "Overdue"], range=[CURRENT_COLOUR, OVERDUE_COLOURS[2]]
                ),
            ),
            tooltip=[
                alt.Tooltip(f"{category}:N", title=title),
                alt.Tooltip("part:N", title="Part"),
                alt.Tooltip("amount:Q", title=f"Amount ({currency})", format=",.2f"),
            ],
        )
        .properties(height=_bar_height(len(order)))
    )


def entity_dso_bars(by_entity: pd.DataFrame) -> alt.Chart:
    chart_data = by_entity.assign(
        simple_text=by_entity["simple_dso_days"].map(days),
        countback_text=by_entity["countback_dso_days"].map(days),
    )
    return (
        alt.Chart(chart_data)
        .mark_bar(color=BAR_COLOUR)
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
        .properties(height=_bar_height(len(chart_data)))
    )


def dso_trend_lines(trend: pd.DataFrame) -> alt.Chart:
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
    long["dso_days"] = long["dso_days"].astype(float)
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


def count_bars(frame: pd.DataFrame, category: str, value: str, title: str) -> alt.Chart:
    """Simple horizontal bars of a count per category."""
    return (
        alt.Chart(frame)
        .mark_bar(color=BAR_COLOUR)
        .encode(
            x=alt.X(f"{value}:Q", title=title, axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y(f"{category}:N", sort="-x", title=None),
            tooltip=[alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{value}:Q", format=",")],
        )
        .properties(height=_bar_height(len(frame)))
    )
