"""The reminder run of the as-of date: what the policy decided per debtor, and why not.

`reminders.debtor_actions` holds one row per debtor (customer of one entity) with open items;
`reminders.reminder_runs` the reminders handed to the sending system. Both are read through
`scoped_customers`, so a credit manager sees only their own entities' run.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from dashboards.data import Scope, Warehouse, columns, has_table, query, scoped

# The rendered messages (text, payment link, EPC QR image) are written by the reminder export
# beside the run's files; the page previews them when they are there.
MESSAGES_FILE = "messages.jsonl"


# The policy renamed the amount columns (overdue_amount became amount_due); both layouts read.
_RENAMED = {"overdue_amount": "amount_due", "overdue_amount_base": "amount_due_base"}
# The columns a row of the lists holds, when the run has them.
ROW_COLUMNS = (
    "entity_id", "customer_id", "customer_type", "segment", "score_band",
    "p_paid_within_horizon", "experiment_arm", "action", "reason_code", "channel", "tone",
    "offer", "language", "invoice_count", "amount_due", "currency", "amount_due_base",
    "expected_value_base", "max_days_past_due", "document_ids",
)  # fmt: skip
IN_RUN = "action <> 'none'"
HELD_BACK = "action = 'none'"


def current_layout(actions: pd.DataFrame) -> pd.DataFrame:
    """debtor_actions rows with the current column names, whichever layout they came in."""
    return actions.rename(
        columns={old: new for old, new in _RENAMED.items() if new not in actions.columns}
    )


def _actions_cte(warehouse: Warehouse) -> str | None:
    """`actions`: the scope's decided debtors of the as-of date in the current layout, or None
    when the warehouse has no decisions. Everything below is summed or cut in DuckDB: at group
    scale the run decides hundreds of thousands of debtors, too many to carry to the page."""
    present = set(columns(warehouse, "reminders", "debtor_actions"))
    if not present:
        return None
    renames = [
        f"{old} as {new}" for old, new in _RENAMED.items() if old in present and new not in present
    ]
    rename = f" rename ({', '.join(renames)})" if renames else ""
    return scoped(f"""
        , actions as (
            select d.*{rename}, c.customer_type
            from reminders.debtor_actions as d
            inner join scoped_customers as c
                on c.entity_id = d.entity_id and c.customer_id = d.customer_id
            where d.as_of_date = $as_of_date
        )
    """)


def has_expected_value(warehouse: Warehouse) -> bool:
    """Runs written before the policy priced its actions have no expected value."""
    return "expected_value_base" in columns(warehouse, "reminders", "debtor_actions")


@st.cache_data(show_spinner=False)
def action_summary(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """One row: the run id, debtors decided, in the run and held back, the amount due in the
    run and, where the run has it, the expected cash. Empty without decisions."""
    actions = _actions_cte(warehouse)
    if actions is None:
        return pd.DataFrame()
    expected = (
        f"sum(expected_value_base) filter (where {IN_RUN})"
        if has_expected_value(warehouse)
        else "null::decimal(18, 2)"
    )
    sql = f"""{actions}
        select
            min(run_id) as run_id,
            count(*) as decided,
            count(*) filter (where {IN_RUN}) as in_run,
            count(*) filter (where {HELD_BACK}) as held_back,
            coalesce(sum(amount_due_base) filter (where {IN_RUN}), 0) as amount_due_base,
            {expected} as expected_value_base
        from actions
        having count(*) > 0
    """
    return query(warehouse, sql, scope.params())


@st.cache_data(show_spinner=False)
def actions_by(
    warehouse: Warehouse, scope: Scope, fields: tuple[str, ...], in_run_only: bool = True
) -> pd.DataFrame:
    """Debtors and amount due per combination of `fields` (an empty value as 'none'), most
    debtors first."""
    actions = _actions_cte(warehouse)
    if actions is None:
        return pd.DataFrame(columns=[*fields, "debtors", "amount_due_base"])
    keys = ", ".join(f"coalesce({field}, 'none') as {field}" for field in fields)
    sql = f"""{actions}
        select {keys}, count(*) as debtors, sum(amount_due_base) as amount_due_base
        from actions
        where {IN_RUN if in_run_only else "true"}
        group by all
        order by debtors desc, {", ".join(fields)}
    """
    return query(warehouse, sql, scope.params())


@st.cache_data(show_spinner=False)
def held_back_by_reason(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """Debtors held back and their amount due per reason code, most debtors first."""
    actions = _actions_cte(warehouse)
    if actions is None:
        return pd.DataFrame(columns=["reason_code", "debtors", "amount_due_base"])
    sql = f"""{actions}
        select reason_code, count(*) as debtors, sum(amount_due_base) as amount_due_base
        from actions
        where {HELD_BACK}
        group by reason_code
        order by debtors desc, reason_code
    """
    return query(warehouse, sql, scope.params())


@st.cache_data(show_spinner=False)
def action_rows(
    warehouse: Warehouse, scope: Scope, in_run: bool, limit: int | None = None
) -> pd.DataFrame:
    """The decided debtors in the run (or held back), largest amount due first; the first
    `limit` of them, or all (for the downloads)."""
    actions = _actions_cte(warehouse)
    if actions is None:
        return pd.DataFrame()
    present = {*columns(warehouse, "reminders", "debtor_actions"), *_RENAMED.values()}
    selected = ", ".join(c for c in ROW_COLUMNS if c in present or c == "customer_type")
    sql = f"""{actions}
        select {selected}
        from actions
        where {IN_RUN if in_run else HELD_BACK}
        order by amount_due_base desc nulls last, entity_id, customer_id
        {"limit $limit" if limit is not None else ""}
    """
    return query(warehouse, sql, {**scope.params(), "limit": limit})


@st.cache_data(show_spinner=False)
def run_header(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """Run id, creation time and size of the exported run, within the scope."""
    if not has_table(warehouse, "reminders.reminder_runs"):
        return pd.DataFrame()
    sql = scoped("""
        select
            r.run_id,
            max(r.created_at) as created_at,
            count(*) as reminder_count,
        from reminders.reminder_runs as r
        inner join scoped_customers as c
            on c.entity_id = r.entity_id and c.customer_id = r.customer_id
        where r.as_of_date = $as_of_date
        group by r.run_id
    """)
    return query(warehouse, sql, scope.params())


@st.cache_data(show_spinner=False)
def messages(
    warehouse: Warehouse, scope: Scope, run_folder: str, limit: int
) -> pd.DataFrame | None:
    """The run's rendered messages in scope (`messages.jsonl` beside the exported run), or
    None when the run has none. The recipient's address in the file is never read."""
    path = Path(run_folder) / MESSAGES_FILE
    if not path.is_file():
        return None
    return _messages(warehouse, scope, str(path), path.stat().st_mtime_ns, limit)


@st.cache_data(show_spinner=False)
def _messages(
    warehouse: Warehouse, scope: Scope, path: str, mtime_ns: int, limit: int
) -> pd.DataFrame | None:
    sql = scoped("""
        select m.entity_id, m.customer_id, m.channel, m.subject, m.body, m.payment_link, m.qr_file
        from read_json_auto($messages_file) as m
        inner join scoped_customers as c
            on c.entity_id = m.entity_id and c.customer_id = m.customer_id
        order by m.entity_id, m.customer_id
        limit $limit
    """)
    try:
        return query(warehouse, sql, {**scope.params(), "messages_file": path, "limit": limit})
    except duckdb.BinderException:
        return None  # a file of another layout: no preview rather than a wrong one
