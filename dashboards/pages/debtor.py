"""One debtor across the group: every entity where it has items, its open items, payments,
contacts, scores and the next action with its reasons.

A group debtor (the same company at several entities) is shown at every entity the user may
see, and only there; any other debtor is one customer of one entity.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import context, widgets
from dashboards.context import PageContext
from dashboards.formatting import count, money, percent
from dashboards.queries import debtor as queries
from dashboards.vocabulary import reason_text

TITLE = "Debtor"
# Debtors offered in the picker at once: a group has hundreds of thousands (D51).
PICKER_LIMIT = 500


def render(page: PageContext) -> None:
    widgets.header(page, TITLE)
    if not widgets.has_selection(page):
        return

    wanted = st.query_params.get("debtor") or ""
    search = st.text_input(
        "Find a debtor",
        key="debtor_page_search",
        placeholder="part of a group debtor id or of entity / customer",
    ).strip()
    # A debtor named in the link stays offered unless the user searches for another.
    debtors = queries.debtors(
        page.warehouse, page.scope, search, PICKER_LIMIT, "" if search else wanted
    )
    if debtors.empty:
        widgets.empty(
            f"No debtor with open items matches “{search}” in the selected entities."
            if search
            else "No debtor has open items in the selected entities."
        )
        return
    debtor = _pick(page, debtors, wanted, search)
    accounts = queries.accounts(page.warehouse, page.scope, debtor)
    if accounts.empty:
        widgets.empty("This debtor has no account in the selected entities.")
        return

    actions = queries.next_actions(page.warehouse, page.scope, debtor)
    items = queries.open_items(page.warehouse, page.scope, debtor)
    _metrics(page, accounts, items, actions)
    _accounts(page, accounts)
    _next_action(page, actions)
    _open_items(page, items, debtor)
    _payments(page, debtor)
    _contacts(page, debtor)


def _pick(page: PageContext, debtors: pd.DataFrame, wanted: str, search: str) -> str:
    currency = page.group_currency
    labels = {
        row.debtor: f"{row.debtor} · {money(row.open_balance_base, currency)} open"
        + (f" at {row.entity_count} entities" if row.entity_count > 1 else "")
        for row in debtors.itertuples()
    }
    options = list(labels)
    # The link may name the debtor or one of its accounts (a group debtor's member).
    linked = debtors.loc[debtors["is_wanted"], "debtor"].tolist()
    if wanted and not search and not linked:
        shown = wanted.replace("`", "")  # as code: a link's text is never read as markdown
        st.warning(
            f"`{shown}` has no open items in the selected entities (or is not a debtor of "
            "them); showing the largest debtor instead."
        )
    chosen = st.selectbox(
        "Debtor (largest open balance first)",
        options,
        index=options.index(linked[0]) if linked else 0,
        format_func=labels.get,
        key="debtor_page_debtor",
    )
    matching = debtors["matching"].max()
    if pd.notna(matching) and int(matching) > PICKER_LIMIT:
        which = f"debtors matching “{search}”" if search else "debtors with open items"
        st.caption(
            f"The {count(PICKER_LIMIT)} largest of {count(matching)} {which}; "
            "type part of a debtor's id above to find another."
        )
    return chosen


def _metrics(
    page: PageContext, accounts: pd.DataFrame, items: pd.DataFrame, actions: pd.DataFrame
) -> None:
    currency = page.group_currency
    open_balance = accounts["open_balance_base"].sum()
    overdue = accounts["overdue_amount_base"].sum()
    scored = items.dropna(subset=["p_paid_within_horizon"])
    weights = scored["open_amount_base"].astype(float).clip(lower=0)
    score = (
        float((scored["p_paid_within_horizon"] * weights).sum() / weights.sum())
        if weights.sum() > 0
        else None
    )
    reminded = int((actions["action"] != "none").sum()) if len(actions) else 0

    columns = st.columns([1.5, 1.5, 0.8, 1, 1.2])
    columns[0].metric("Open balance", money(open_balance, currency), border=True)
    columns[1].metric("Overdue", money(overdue, currency), border=True)
    columns[2].metric("Entities", count(len(accounts)), border=True)
    columns[3].metric(
        "Score",
        percent(score),
        help="Chance the open invoices are paid within the model's horizon, weighted by "
        "their open amount.",
        border=True,
    )
    columns[4].metric(
        "Reminded today",
        count(reminded),
        help="Accounts of this debtor in the day's run (reminder, call or hand-over).",
        border=True,
    )


def _accounts(page: PageContext, accounts: pd.DataFrame) -> None:
    st.subheader("Accounts at the group's entities")
    shown = {
        "entity_id": "Entity",
        "entity_name": "Entity name",
        "customer_id": "Customer",
        "segment": "Segment",
        "open_balance_base": "Open balance",
        "overdue_amount_base": "Overdue",
        "max_days_past_due": "Max days past due",
        "open_item_count": "Open items",
        "credit_limit": "Credit limit",
        "has_email": "E-mail",
        "has_phone": "Phone",
    }
    table = accounts[list(shown)].rename(columns=shown)
    money_columns = ["Credit limit", "Open balance", "Overdue"]
    widgets.money_table(table, money_columns, page.group_currency)


def _next_action(page: PageContext, actions: pd.DataFrame) -> None:
    st.subheader("Next action")
    if actions.empty:
        widgets.empty("The run of the as-of date made no decision for this debtor.")
        return
    for row in actions.itertuples():
        what = (
            f"**{row.action.replace('_', ' ')}** by {row.channel}, {row.tone} tone, "
            f"offer {row.offer or 'none'}"
            if row.action != "none"
            else "**no reminder**"
        )
        band = row.score_band if isinstance(row.score_band, str) else "none (no score)"
        st.markdown(
            f"{row.entity_id} / {row.customer_id}: {what} — {reason_text(row.reason_code)}. "
            f"Segment *{row.segment}*, score band *{band}* "
            f"({percent(row.p_paid_within_horizon)}); {count(row.invoice_count)} invoice(s) "
            f"listed, {money(row.amount_due_base, page.group_currency)} due."
        )


def _open_items(page: PageContext, items: pd.DataFrame, debtor: str) -> None:
    st.subheader("Open items")
    if items.empty:
        widgets.empty("No open items.")
        return
    table = items.rename(
        columns={
            "entity_id": "Entity",
            "customer_id": "Customer",
            "item_id": "Item",
            "item_type": "Type",
            "document_number": "Number",
            "issue_date": "Issued",
            "due_date": "Due",
            "days_past_due": "Days past due",
            "aging_bucket": "Bucket",
            "currency": "Currency",
            "open_amount": "Open amount",
            "open_amount_base": f"Open ({page.group_currency})",
            "is_disputed": "Disputed",
            "p_paid_within_horizon": "Score",
        }
    )
    widgets.money_table(
        table,
        ["Open amount"],
        currency_column="Currency",
        percent_columns=["Score"],
        base_columns=[f"Open ({page.group_currency})"],
        base_currency=page.group_currency,
    )
    widgets.downloads(items, f"open_items_{_file_safe(debtor)}_{page.as_of}", "debtor_items")


def _payments(page: PageContext, debtor: str) -> None:
    st.subheader("Payments")
    settled = queries.payments(page.warehouse, page.scope, debtor)
    signals = queries.payment_signals(page.warehouse, page.scope, debtor)
    left, right = st.columns(2)
    with left:
        st.caption("Invoices settled in the last 12 months")
        if settled.empty:
            widgets.empty("No invoice settled in the last 12 months.")
        else:
            table = settled.rename(
                columns={
                    "entity_id": "Entity",
                    "customer_id": "Customer",
                    "document_number": "Number",
                    "issue_date": "Issued",
                    "due_date": "Due",
                    "settled_date": "Settled",
                    "days_to_pay": "Days to pay",
                    "days_late": "Days late",
                    "currency": "Currency",
                    "amount": "Amount",
                    "amount_base": f"Amount ({page.group_currency})",
                }
            )
            widgets.money_table(
                table,
                ["Amount"],
                currency_column="Currency",
                base_columns=[f"Amount ({page.group_currency})"],
                base_currency=page.group_currency,
            )
    with right:
        st.caption("Latest payment-provider signals")
        if signals.empty:
            widgets.empty("No payment-provider signal.")
        else:
            widgets.money_table(
                signals.rename(
                    columns={
                        "entity_id": "Entity",
                        "document_id": "Document",
                        "last_status": "Status",
                        "last_status_at": "At",
                        "provider": "Provider",
                        "method": "Method",
                        "paid_amount": "Paid",
                        "currency": "Currency",
                        "event_count": "Events",
                    }
                ),
                ["Paid"],
                currency_column="Currency",
            )


def _contacts(page: PageContext, debtor: str) -> None:
    st.subheader("Contacts")
    contacts = queries.contacts(page.warehouse, page.scope, debtor)
    if contacts.empty:
        widgets.empty("No reminder or call so far.")
        return
    widgets.money_table(
        contacts.rename(
            columns={
                "entity_id": "Entity",
                "sent_date": "Sent",
                "channel": "Channel",
                "tone": "Tone",
                "offer": "Offer",
                "reminder_level": "Level",
                "document_id": "Document",
            }
        ),
        [],
    )


def _file_safe(text: str) -> str:
    return "".join(char if char.isalnum() or char in "-_" else "_" for char in text)


if __name__ == "__main__":
    render(context.current())
