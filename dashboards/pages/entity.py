"""One entity: its receivables, aging, DSO trend, largest debtors and the day's reminder run.

The entity is picked from those the sidebar filters leave; the figures are the group
overview's queries narrowed to that entity, so the two pages always agree.
"""

from __future__ import annotations

import dataclasses

import altair as alt
import streamlit as st

from dashboards import charts, context, widgets
from dashboards.context import PageContext
from dashboards.data import Scope
from dashboards.formatting import count, days, money, percent
from dashboards.queries import dso, overview, reminders

TITLE = "Entity"


def render(page: PageContext) -> None:
    widgets.header(page, TITLE)
    if not widgets.has_selection(page):
        return

    entities = page.selected_entities
    names = dict(zip(entities["entity_id"], entities["entity_name"], strict=True))
    entity_id = st.selectbox(
        "Entity",
        entities["entity_id"].tolist(),
        format_func=lambda entity: f"{entity} · {names[entity]}",
        key="entity_page_entity",
    )
    row = entities.set_index("entity_id").loc[entity_id]
    st.caption(
        f"{row['entity_name']} · division {row['division']} · {row['country_code']} · "
        f"books in {row['base_currency']}"
    )
    scope = dataclasses.replace(page.scope, entity_ids=(entity_id,))

    _metrics(page, scope)
    left, right = st.columns(2)
    with left:
        _aging(page, scope)
    with right:
        _dso_trend(page, scope)
    _debtors(page, scope, entity_id)
    _actions(page, scope)


def _metrics(page: PageContext, scope: Scope) -> None:
    summary = overview.receivables_summary(page.warehouse, scope).iloc[0]
    trend = dso.dso_trend(page.warehouse, scope)
    latest = trend.iloc[-1] if len(trend) else None
    currency = page.group_currency
    invoiced_open = summary["invoiced_open_base"]
    overdue = summary["overdue_amount_base"]

    columns = st.columns([1.5, 1.5, 1, 1.2, 0.8])
    columns[0].metric("Receivables", money(summary["open_balance_base"], currency), border=True)
    columns[1].metric("Overdue", money(overdue, currency), border=True)
    columns[2].metric(
        "Overdue share",
        percent(overdue / invoiced_open if invoiced_open > 0 else None),
        border=True,
    )
    columns[3].metric(
        "DSO (countback)",
        days(latest["countback_dso_days"] if latest is not None else None),
        border=True,
    )
    columns[4].metric(
        "Debtors",
        count(summary["debtor_count"]),
        help=f"Debtors with an open balance; {count(summary['overdue_debtor_count'])} of them "
        "overdue.",
        border=True,
    )


def _aging(page: PageContext, scope: Scope) -> None:
    st.subheader("Aging")
    by_bucket = overview.aging_by_bucket(page.warehouse, scope)
    if by_bucket.empty or by_bucket["item_count"].sum() == 0:
        widgets.empty("No open items at this entity.")
        return
    chart_data = by_bucket.assign(amount=by_bucket["open_amount_base"].astype(float))
    buckets = by_bucket["aging_bucket"].tolist()
    chart = (
        alt.Chart(chart_data)
        .mark_bar()
        .encode(
            x=alt.X("aging_bucket:N", sort=buckets, title=None),
            y=alt.Y("amount:Q", title=f"Open amount ({page.group_currency})"),
            color=alt.Color(
                "aging_bucket:N",
                legend=None,
                scale=alt.Scale(
                    domain=buckets,
                    range=charts.bucket_colours(by_bucket["bucket_order"].tolist()),
                ),
            ),
            tooltip=[
                alt.Tooltip("aging_bucket:N", title="Bucket"),
                alt.Tooltip("amount:Q", title="Open amount", format=",.2f"),
                alt.Tooltip("item_count:Q", title="Items", format=","),
            ],
        )
    )
    st.altair_chart(chart, width="stretch")


def _dso_trend(page: PageContext, scope: Scope) -> None:
    st.subheader("DSO trend")
    trend = dso.dso_trend(page.warehouse, scope)
    if trend.empty:
        widgets.empty("No monthly DSO for this entity.")
        return
    st.altair_chart(charts.dso_trend_lines(trend), width="stretch")


def _debtors(page: PageContext, scope: Scope, entity_id: str) -> None:
    st.subheader("Largest debtors")
    debtors = overview.top_debtors(page.warehouse, scope, limit=25)
    if debtors.empty:
        widgets.empty("No debtor has an open balance at this entity.")
        return
    table = debtors[
        [
            "debtor",
            "segment",
            "customer_type",
            "country_code",
            "open_balance_base",
            "overdue_amount_base",
            "max_days_past_due",
            "open_item_count",
            "has_disputed_item",
        ]
    ].rename(
        columns={
            "debtor": "Debtor",
            "segment": "Segment",
            "customer_type": "Type",
            "country_code": "Country",
            "open_balance_base": "Open balance",
            "overdue_amount_base": "Overdue",
            "max_days_past_due": "Max days past due",
            "open_item_count": "Open items",
            "has_disputed_item": "Disputed",
        }
    )
    widgets.money_table(table, ["Open balance", "Overdue"], page.group_currency)
    widgets.downloads(table, f"debtors_{entity_id}_{page.as_of}", "entity_debtors")


def _actions(page: PageContext, scope: Scope) -> None:
    st.subheader("Today's reminder run")
    actions = reminders.actions_by(page.warehouse, scope, ("action", "channel"), False)
    if actions.empty:
        widgets.empty("No reminder decisions for this entity on the as-of date.")
        return
    summary = (
        actions.assign(channel=actions["channel"].replace("none", "–"))
        .sort_values(["action", "channel"])
        .rename(
            columns={
                "action": "Action",
                "channel": "Channel",
                "debtors": "Debtors",
                "amount_due_base": "Amount due",
            }
        )
    )
    widgets.money_table(summary, ["Amount due"], page.group_currency)


if __name__ == "__main__":
    render(context.current())
