"""The reminder run of the as-of date: who is in it (reminder, call or hand-over) on which
channel, tone and offer, with a preview of the rendered messages; who is held back and why;
downloads of both lists.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import streamlit as st

from dagster_project.settings import get_settings
from dashboards import charts, context, widgets
from dashboards.context import PageContext
from dashboards.formatting import count, money
from dashboards.queries import preview, reminders
from dashboards.vocabulary import reason_text

TITLE = "Reminder run"
PREVIEW_LIMIT = 200
# Rows shown per list, read from DuckDB already sorted: formatting each amount in its currency
# costs about 1 ms a row; the downloads read every row when clicked.
ROWS_SHOWN = 100

COLUMN_NAMES = {  # shown in this order, when the run has them
    "entity_id": "Entity",
    "customer_id": "Customer",
    "customer_type": "Type",
    "segment": "Segment",
    "score_band": "Band",
    "p_paid_within_horizon": "Score",
    "experiment_arm": "Arm",
    "action": "Action",
    "reason": "Reason",
    "channel": "Channel",
    "tone": "Tone",
    "offer": "Offer",
    "language": "Language",
    "invoice_count": "Invoices",
    "amount_due": "Amount due",
    "currency": "Currency",
    "expected_value_base": "Expected cash",
    "max_days_past_due": "Max days past due",
    "document_ids": "Documents",
}
HELD_BACK_HIDDEN = ("action", "channel", "tone", "offer", "expected_value_base")


def render(page: PageContext) -> None:
    widgets.header(page, TITLE)
    if not widgets.has_selection(page):
        return

    summary = reminders.action_summary(page.warehouse, page.scope)
    if summary.empty:
        widgets.empty("No reminder decisions for the selected entities on the as-of date.")
        return
    totals = summary.iloc[0]

    _run_line(page)
    _metrics(page, totals)
    _mix(page, int(totals["in_run"]))
    _preview(page, str(totals["run_id"]))
    _run_table(page, int(totals["in_run"]))
    _held_back_table(page, int(totals["held_back"]))


def _run_line(page: PageContext) -> None:
    header = reminders.run_header(page.warehouse, page.scope)
    if header.empty:
        st.caption("No run has been handed over for the as-of date yet.")
        return
    row = header.iloc[0]
    st.caption(
        f"Run `{row['run_id']}`, handed over {row['created_at']:%d %b %Y %H:%M} with "
        f"{count(row['reminder_count'])} actions in the selected entities."
    )


def _metrics(page: PageContext, totals: pd.Series) -> None:
    currency = page.group_currency
    has_value = reminders.has_expected_value(page.warehouse)
    columns = st.columns([1, 1, 1, widgets.MONEY_METRIC_WIDTH] + ([1.4] if has_value else []))
    columns[0].metric("Debtors decided", count(totals["decided"]), border=True)
    columns[1].metric("In the run", count(totals["in_run"]), border=True)
    columns[2].metric("Held back", count(totals["held_back"]), border=True)
    columns[3].metric(
        "Amount due in the run",
        money(totals["amount_due_base"], currency),
        help=f"What the run's messages ask to be paid, in {currency}.",
        border=True,
    )
    if has_value:
        expected = totals["expected_value_base"]
        columns[4].metric(
            "Expected cash",
            money(expected if pd.notna(expected) else 0, currency),
            help="Extra cash the policy expects the run to bring in, net of contact costs.",
            border=True,
        )


def _mix(page: PageContext, in_run: int) -> None:
    st.subheader("Actions per channel, tone and offer")
    if not in_run:
        widgets.empty("Nobody is in today's run in the selected entities.")
        return
    columns = st.columns(3)
    for column, field, title in (
        (columns[0], "channel", "Channel"),
        (columns[1], "tone", "Tone"),
        (columns[2], "offer", "Offer"),
    ):
        frame = reminders.actions_by(page.warehouse, page.scope, (field,))
        with column:
            st.caption(title)
            st.altair_chart(charts.count_bars(frame, field, "debtors", "Debtors"), width="stretch")


def _preview(page: PageContext, run_id: str) -> None:
    """The rendered messages of the run in scope, with their payment link and QR code."""
    st.subheader("Messages")
    run_folder = get_settings().exports_dir / "reminder_runs" / run_id
    messages = reminders.messages(page.warehouse, page.scope, str(run_folder), PREVIEW_LIMIT)
    if messages is None:
        _rendered_here(page, run_id, run_folder.name)
        return
    if messages.empty:
        widgets.empty("No message in the run for the selected entities.")
        return
    labels = {
        index: f"{row.entity_id} / {row.customer_id} · {row.channel}"
        for index, row in messages.iterrows()
    }
    chosen = st.selectbox(
        f"Message (the first {count(PREVIEW_LIMIT)} of the run)",
        list(labels),
        format_func=labels.get,
        key="reminder_run_message",
    )
    message = messages.loc[chosen]
    qr_file = message["qr_file"]
    qr_path = run_folder / qr_file if isinstance(qr_file, str) else None
    _show_message(
        message["subject"],
        message["body"],
        message["payment_link"],
        str(qr_path) if qr_path is not None and qr_path.is_file() else None,
    )


def _rendered_here(page: PageContext, run_id: str, folder_name: str) -> None:
    """No messages.jsonl in the run's folder: render the chosen message from the warehouse
    with the policy's own templates (`dashboards.queries.preview`)."""
    if not preview.can_render(page.warehouse):
        st.caption(
            f"No `messages.jsonl` in `{folder_name}`, and this warehouse lacks the run's "
            "invoices to render them from: the run was exported by an older version."
        )
        return
    candidates = preview.candidates(page.warehouse, page.scope, run_id, PREVIEW_LIMIT)
    if candidates.empty:
        widgets.empty("No message in the run for the selected entities.")
        return
    st.caption(
        f"Rendered here from the warehouse with the policy's templates: the run's folder "
        f"`{folder_name}` has no `messages.jsonl`."
    )
    labels = {
        index: f"{row.entity_id} / {row.customer_id} · {row.channel}"
        for index, row in candidates.iterrows()
    }
    chosen = st.selectbox(
        f"Message (the first {count(PREVIEW_LIMIT)} of the run)",
        list(labels),
        format_func=labels.get,
        key="reminder_run_message",
    )
    row = candidates.loc[chosen]
    try:
        message = preview.render(
            page.warehouse, run_id, page.as_of, row["entity_id"], row["customer_id"]
        )
    except duckdb.Error as error:
        st.caption(f"The message cannot be rendered from this warehouse: {error}")
        return
    if message is None:
        widgets.empty("This message is no longer in the run.")
        return
    _show_message(message.subject, message.body, message.payment_link, message.qr_png)


def _show_message(
    subject: str | None, body: str, payment_link: str, qr_image: str | bytes | None
) -> None:
    text, qr_code = st.columns([3, 1])
    with text, st.container(border=True):
        if isinstance(subject, str) and subject:
            st.markdown(f"**{subject}**")
        st.text(body)
        st.caption(f"Payment link: {payment_link}")
    with qr_code:
        if qr_image is not None:
            st.image(qr_image, caption="EPC QR code", width=180)
        else:
            st.caption("No QR code in this message.")


def _listed(page: PageContext, in_run: bool, limit: int | None) -> pd.DataFrame:
    """The run's (or the held-back) rows as the page shows them: reasons in words, columns
    named, in the order of COLUMN_NAMES."""
    rows = reminders.action_rows(page.warehouse, page.scope, in_run, limit)
    rows = rows.assign(reason=rows["reason_code"].map(reason_text))
    hidden = () if in_run else HELD_BACK_HIDDEN
    shown = [c for c in COLUMN_NAMES if c in rows.columns and c not in hidden]
    return rows[shown].rename(columns=COLUMN_NAMES)


def _run_table(page: PageContext, in_run: int) -> None:
    st.subheader("In the run")
    if not in_run:
        widgets.empty("Nobody is in today's run in the selected entities.")
        return
    _show(page, _listed(page, True, ROWS_SHOWN), in_run)
    widgets.downloads(lambda: _listed(page, True, None), f"reminder_run_{page.as_of}", "in_run")


def _held_back_table(page: PageContext, held_back: int) -> None:
    st.subheader("Held back, with the reason")
    if not held_back:
        widgets.empty("Every decided debtor is in the run.")
        return
    reasons = reminders.held_back_by_reason(page.warehouse, page.scope)
    by_reason = (
        reasons.assign(Reason=reasons["reason_code"].map(reason_text))
        .groupby("Reason", as_index=False, sort=False)
        .agg(Debtors=("debtors", "sum"), **{"Amount due": ("amount_due_base", "sum")})
        .sort_values("Debtors", ascending=False, kind="stable")
    )
    widgets.money_table(by_reason, ["Amount due"], page.group_currency)
    _show(page, _listed(page, False, ROWS_SHOWN), held_back)
    widgets.downloads(lambda: _listed(page, False, None), f"held_back_{page.as_of}", "held_back")


def _show(page: PageContext, table: pd.DataFrame, total_rows: int) -> None:
    widgets.money_table(
        table,
        ["Amount due"],
        currency_column="Currency",
        percent_columns=["Score"],
        base_columns=["Expected cash"],
        base_currency=page.group_currency,
        max_rows=ROWS_SHOWN,
        total_rows=total_rows,
    )


if __name__ == "__main__":
    render(context.current())
