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

from dashboards.data import Scope, Warehouse, has_table, query, scoped

# The rendered messages (text, payment link, EPC QR image) are written by the reminder export
# beside the run's files; the page previews them when they are there.
MESSAGES_FILE = "messages.jsonl"


# The policy renamed the amount columns (overdue_amount became amount_due); both layouts read.
_RENAMED = {"overdue_amount": "amount_due", "overdue_amount_base": "amount_due_base"}


def current_layout(actions: pd.DataFrame) -> pd.DataFrame:
    """debtor_actions rows with the current column names, whichever layout they came in."""
    return actions.rename(
        columns={old: new for old, new in _RENAMED.items() if new not in actions.columns}
    )


@st.cache_data(show_spinner=False)
def debtor_actions(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """Every decided debtor of the as-of date's run, in the run or not, largest amount first.

    `action` is 'none' for a debtor held back; anything else (remind, phone task, hand-over)
    is in the run.
    """
    if not has_table(warehouse, "reminders.debtor_actions"):
        return pd.DataFrame()
    sql = scoped("""
        select d.*, c.customer_type
        from reminders.debtor_actions as d
        inner join scoped_customers as c
            on c.entity_id = d.entity_id and c.customer_id = d.customer_id
        where d.as_of_date = $as_of_date
        order by d.entity_id, d.customer_id
    """)
    actions = current_layout(query(warehouse, sql, scope.params()))
    return actions.sort_values(
        ["amount_due_base", "entity_id", "customer_id"],
        ascending=[False, True, True],
        na_position="last",
        kind="stable",
    ).reset_index(drop=True)


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
