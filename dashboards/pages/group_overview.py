"""Group overview for the CFO: receivables, overdue and DSO with their change, aging by
division and entity, the largest debtors at group level, and receivables by country.

Every figure follows the sidebar filters (an entity counts when it passes all of them). With
no filter a CFO reads the group marts; otherwise the same figures are summed from the entity
and customer marts.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import streamlit as st

from dashboards import charts, context, widgets
from dashboards.context import PageContext
from dashboards.formatting import (
    MISSING,
    count,
    days,
    money,
    percent,
    signed_days,
    signed_money,
)
from dashboards.queries import dso, overview

TITLE = "Group receivables"


def render(page: PageContext) -> None:
    widgets.header(page, TITLE)
    if not widgets.has_selection(page):
        return

    if page.in_document_currency:
        _by_currency_section(page)
    else:
        _metrics(page)
    _aging_section(page)
    _dso_section(page)
    _top_debtors_section(page)


def _metrics(page: PageContext) -> None:
    """Balance and overdue at the as-of date and DSO of its month, each against last month
    and the same month last year."""
    currency = page.group_currency
    summary = overview.receivables_summary(page.warehouse, page.scope).iloc[0]
    trend = dso.dso_trend(page.warehouse, page.scope)
    latest = trend.iloc[-1] if len(trend) else None
    last_month = trend.iloc[-2] if len(trend) > 1 else None
    last_year = _same_month_last_year(trend)
    # With a segment filter the balance is a part of the entities; their AR history is not.
    history_applies = not page.scope.segments

    open_balance = summary["open_balance_base"]
    overdue = summary["overdue_amount_base"]
    invoiced_open = summary["invoiced_open_base"]
    since = f"vs {last_month['month_end']:%b}" if last_month is not None else None

    money_row = st.columns(3)
    balance_change = _change(open_balance, last_month, "ar_base") if history_applies else None
    money_row[0].metric(
        "Total receivables",
        money(open_balance, currency),
        delta=signed_money(balance_change, currency) if balance_change is not None else None,
        delta_color="off",
        delta_description=since,
        help="Net open balance at the as-of date, unapplied credit included (negative); "
        "the change is against the AR at the previous month end.",
        border=True,
    )
    money_row[1].metric(
        "Overdue",
        money(overdue, currency),
        help=f"Open invoices past their due date, at {count(summary['overdue_debtor_count'])} "
        f"of {count(summary['debtor_count'])} debtors with an open balance.",
        border=True,
    )
    money_row[2].metric(
        "Overdue share",
        percent(overdue / invoiced_open if invoiced_open > 0 else None),
        help="Overdue amount as a share of open invoices (before unapplied credit).",
        border=True,
    )

    month = f"{latest['month_end']:%d %b %Y}" if latest is not None else "–"
    days_row = st.columns(5)
    for column, label, field, explanation in (
        (days_row[0], "DSO (countback)", "countback_dso_days", "AR counted back month by month"),
        (days_row[1], "DSO (simple)", "simple_dso_days", "AR / net sales of the last 3 months"),
    ):
        value = latest[field] if latest is not None else None
        change = _change(value, last_month, field)
        moved = change is not None and round(change, 1) != 0
        column.metric(
            label,
            days(value),
            delta=signed_days(change) if change is not None else None,
            delta_color="inverse" if moved else "off",
            delta_description=since,
            help=f"{explanation}, month ending {month}.",
            border=True,
        )
    _kpi_metrics(page, days_row[2:], latest)
    _last_year_line(latest, last_year, open_balance, history_applies, currency)


# Days figures where less is better, and CEI where more is: each with the colour of its change.
KPI_TILES = (
    ("Best-possible DSO", "best_possible_dso_days", "inverse",
     "Current (not yet due) AR / net sales of the last 3 months × their days: the DSO if "
     "every debtor paid on the due date"),
    ("Avg days delinquent", "average_days_delinquent", "inverse",
     "Simple DSO minus best-possible DSO: the days that late payment adds"),
    ("CEI", "collection_effectiveness_pct", "normal",
     "Collection effectiveness index: how much of what could be collected in the month was"),
)  # fmt: skip


def _kpi_metrics(page: PageContext, columns: list, latest: pd.Series | None) -> None:
    """Best-possible DSO, average days delinquent and CEI of the DSO month, with the change
    against last month and the same month last year, from marts.kpi_monthly."""
    kpis = dso.kpi_trend(page.warehouse, page.scope)
    if kpis.empty or latest is None:
        reason = (
            f"comes from `{dso.KPI_MART}`, which this warehouse does not have"
            if not dso.kpi_mart_available(page.warehouse)
            else "no month in the KPI mart for the selected entities"
        )
        for column, (label, *_rest) in zip(columns, KPI_TILES, strict=True):
            column.metric(label, MISSING, help=f"Not available: {reason}.", border=True)
        return

    this_month = kpis[kpis["month_end"] == latest["month_end"]]
    current = this_month.iloc[-1] if len(this_month) else None
    earlier = kpis[kpis["month_end"] < latest["month_end"]]
    last_month = earlier.iloc[-1] if len(earlier) else None
    last_year = _same_month_last_year(kpis[kpis["month_end"] <= latest["month_end"]])
    since = f"vs {last_month['month_end']:%b}" if last_month is not None else None
    for column, (label, field, colour, explanation) in zip(columns, KPI_TILES, strict=True):
        value = current[field] if current is not None else None
        shown = _kpi_text(field, value)
        change = _change(value, last_month, field)
        moved = change is not None and round(change, 1) != 0
        column.metric(
            label,
            shown,
            delta=_kpi_change_text(field, change) if change is not None else None,
            delta_color=colour if moved else "off",
            delta_description=since,
            help=f"{explanation}. Against the same month last year: "
            f"{_kpi_change_text(field, _change(value, last_year, field))}.",
            border=True,
        )
    if last_year is not None:
        parts = [
            f"{label} {_kpi_change_text(field, _change(current[field], last_year, field))}"
            for label, field, *_rest in KPI_TILES
            if current is not None
        ]
        st.caption(f"KPIs against {last_year['month_end']:%d %b %Y}: " + " · ".join(parts))


def _kpi_text(field: str, value: float | None) -> str:
    if value is None or pd.isna(value):
        return MISSING
    return f"{value:.1f}%" if field == "collection_effectiveness_pct" else days(value)


def _kpi_change_text(field: str, change: float | None) -> str:
    if change is None or pd.isna(change):
        return MISSING
    return f"{change:+.1f} pts" if field == "collection_effectiveness_pct" else signed_days(change)


def _same_month_last_year(trend: pd.DataFrame) -> pd.Series | None:
    if trend.empty:
        return None
    latest: date = trend["month_end"].iloc[-1]
    matches = trend[
        [(d.year, d.month) == (latest.year - 1, latest.month) for d in trend["month_end"]]
    ]
    return matches.iloc[-1] if len(matches) else None


def _change(
    value: Decimal | float | None, previous: pd.Series | None, field: str
) -> Decimal | float | None:
    """`value` minus the earlier month's `field`, or None when either is unknown."""
    if previous is None or value is None or pd.isna(value) or pd.isna(previous[field]):
        return None
    return value - previous[field]


def _last_year_line(
    latest: pd.Series | None,
    last_year: pd.Series | None,
    open_balance: Decimal,
    history_applies: bool,
    currency: str,
) -> None:
    if latest is None or last_year is None:
        st.caption("Against last year: no figures for the same month last year.")
        return
    parts = []
    if history_applies:
        balance = _change(open_balance, last_year, "ar_base")
        parts.append(f"receivables {signed_money(balance, currency)}")
    for label, field in (
        ("countback DSO", "countback_dso_days"),
        ("simple DSO", "simple_dso_days"),
    ):
        parts.append(f"{label} {signed_days(_change(latest[field], last_year, field))}")
    st.caption(f"Against {last_year['month_end']:%d %b %Y}: " + " · ".join(parts))


def _by_currency_section(page: PageContext) -> None:
    st.subheader("Receivables by document currency")
    by_currency = overview.receivables_by_currency(page.warehouse, page.scope)
    if by_currency.empty:
        widgets.empty("No open items in the selected entities.")
        return
    table = by_currency.assign(
        overdue_share=[
            percent(o / a if a > 0 else None)
            for o, a in zip(by_currency["overdue_amount"], by_currency["open_amount"], strict=True)
        ]
    )
    table = table.rename(
        columns={
            "currency": "Currency",
            "open_amount": "Open amount",
            "overdue_amount": "Overdue",
            "overdue_share": "Overdue share",
            "open_amount_base": f"Open ({page.group_currency})",
            "overdue_amount_base": f"Overdue ({page.group_currency})",
            "item_count": "Open items",
        }
    )
    base = [f"Open ({page.group_currency})", f"Overdue ({page.group_currency})"]
    widgets.money_table(
        table,
        ["Open amount", "Overdue"],
        currency_column="Currency",
        base_columns=base,
        base_currency=page.group_currency,
    )
    st.caption(f"DSO and the rankings below need one currency and stay in {page.group_currency}.")


def _aging_section(page: PageContext) -> None:
    st.subheader("Aging")
    currency = page.group_currency
    long = overview.aging_by_entity(page.warehouse, page.scope)
    if long.empty:
        widgets.empty("No aging for the selected entities.")
        return

    if page.in_document_currency:
        by_currency = overview.aging_by_currency(page.warehouse, page.scope)
        _aging_by_currency(by_currency)
    else:
        left, right = st.columns(2)
        with left:
            st.caption("By division")
            st.altair_chart(
                charts.aging_bars(long, "division", "Division", currency), width="stretch"
            )
            _country_section(page)
        with right:
            st.caption("By entity")
            st.altair_chart(
                charts.aging_bars(long, "entity_id", "Entity", currency), width="stretch"
            )

    table = _aging_table(long)
    with st.expander("Aging by entity, table"):
        total = _aging_total_row(overview.aging_by_bucket(page.warehouse, page.scope), long)
        money_columns = [*_bucket_names(long), "Total"]
        widgets.money_table(pd.concat([table, total], ignore_index=True), money_columns, currency)
    # The downloads keep plain numbers and leave out the total row, so they sum and pivot again.
    widgets.downloads(
        table.assign(Currency=currency), f"aging_by_entity_{page.as_of or 'unknown'}", "aging"
    )


def _aging_by_currency(by_currency: pd.DataFrame) -> None:
    if by_currency.empty:
        widgets.empty("No open items in the selected entities.")
        return
    wide = by_currency.pivot(index="currency", columns="aging_bucket", values="open_amount")
    buckets = (
        by_currency[["aging_bucket", "bucket_order"]]
        .drop_duplicates()
        .sort_values("bucket_order")["aging_bucket"]
        .tolist()
    )
    wide = wide[buckets].fillna(Decimal("0.00"))
    wide["Total"] = by_currency.groupby("currency")["open_amount"].sum()
    wide = wide.reset_index().rename(columns={"currency": "Currency"})
    wide.columns.name = None
    st.caption("Aging in each document currency")
    widgets.money_table(wide, [*buckets, "Total"], currency_column="Currency")


def _bucket_names(long: pd.DataFrame) -> list[str]:
    buckets = long[["aging_bucket", "bucket_order"]].drop_duplicates().sort_values("bucket_order")
    return buckets["aging_bucket"].tolist()


def _aging_table(long: pd.DataFrame) -> pd.DataFrame:
    """One row per entity (largest balance first), one column per bucket, and the total."""
    keys = ["entity_id", "entity_name", "division", "country_code"]
    wide = long.pivot(index=keys, columns="aging_bucket", values="open_amount_base")
    wide = wide[_bucket_names(long)]
    wide["Total"] = long.groupby(keys)["open_amount_base"].sum()
    wide = wide.reset_index().sort_values(["Total", "entity_id"], ascending=[False, True])
    wide.columns.name = None
    return wide.reset_index(drop=True).rename(
        columns={
            "entity_id": "Entity",
            "entity_name": "Name",
            "division": "Division",
            "country_code": "Country",
        }
    )


def _aging_total_row(by_bucket: pd.DataFrame, long: pd.DataFrame) -> pd.DataFrame:
    amounts = dict(zip(by_bucket["aging_bucket"], by_bucket["open_amount_base"], strict=True))
    row = {"Entity": "Total", "Name": "All selected entities", "Division": "", "Country": ""}
    row |= {bucket: amounts.get(bucket) for bucket in _bucket_names(long)}
    row["Total"] = sum(by_bucket["open_amount_base"])
    return pd.DataFrame([row])


def _dso_section(page: PageContext) -> None:
    by_entity = dso.entity_dso_latest(page.warehouse, page.scope)
    trend = dso.dso_trend(page.warehouse, page.scope)
    left, right = st.columns(2)

    with left:
        st.subheader("DSO trend")
        if trend.empty:
            widgets.empty("No monthly DSO for the selected entities.")
        else:
            st.altair_chart(charts.dso_trend_lines(trend), width="stretch")

    with right:
        month = f"{by_entity['month_end'].iloc[0]:%B %Y}" if len(by_entity) else ""
        st.subheader(f"DSO by entity, {month}" if month else "DSO by entity")
        if by_entity.empty:
            widgets.empty("No DSO for the selected entities.")
        else:
            st.altair_chart(charts.entity_dso_bars(by_entity), width="stretch")
    if page.scope.segments:
        st.caption("DSO covers whole entities: the segment filter does not narrow it.")


def _top_debtors_section(page: PageContext) -> None:
    st.subheader("Top 10 debtors at group level")
    debtors = overview.top_debtors(page.warehouse, page.scope, limit=10)
    if debtors.empty:
        widgets.empty("No debtor has an open balance in the selected entities.")
        return

    table = debtors.drop(columns=["is_group_debtor", "entity_count"]).rename(
        columns={
            "debtor": "Debtor",
            "entity_ids": "Entities",
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
    widgets.money_table(table, money_columns, page.group_currency)
    st.caption(
        "A group debtor (GD-…) sums its customer accounts at every entity in scope; "
        "other debtors are one customer of one entity."
    )
    widgets.downloads(table, f"top_debtors_{page.as_of}", "top_debtors")


def _country_section(page: PageContext) -> None:
    st.caption("By debtor country")
    by_country = overview.receivables_by_country(page.warehouse, page.scope)
    if by_country.empty:
        widgets.empty("No open balances in the selected entities.")
        return
    st.altair_chart(
        charts.amount_bars(by_country, "country_code", "Country", page.group_currency),
        width="stretch",
    )


if __name__ == "__main__":
    render(context.current())
