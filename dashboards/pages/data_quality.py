"""Data quality: which files were loaded, which rows were quarantined and why, and whether the
check figures hold (loaded + quarantined = read; aging = open balance = AR).
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import streamlit as st

from dashboards import context, widgets
from dashboards.context import PageContext
from dashboards.formatting import count
from dashboards.queries import quality

TITLE = "Data quality"


def render(page: PageContext) -> None:
    widgets.header(page, TITLE)
    if not widgets.has_selection(page):
        return
    if not page.user.sees_everything:
        st.caption(
            "Payment-provider feeds and reference data serve the whole group: only "
            "a user who sees every entity sees their loads."
        )

    loads = quality.loads(page.warehouse, page.scope)
    quarantined = quality.quarantine(page.warehouse, page.scope)
    _metrics(loads)
    _checks(page, loads)
    _quarantine(page, quarantined)
    _loads(page, loads)


def _metrics(loads: pd.DataFrame) -> None:
    columns = st.columns(4)
    columns[0].metric("Files loaded", count(len(loads)), border=True)
    columns[1].metric("Rows read", count(int(loads["rows_read"].sum())), border=True)
    columns[2].metric("Rows loaded", count(int(loads["rows_loaded"].sum())), border=True)
    columns[3].metric("Rows quarantined", count(int(loads["rows_quarantined"].sum())), border=True)


def _checks(page: PageContext, loads: pd.DataFrame) -> None:
    st.subheader("Checks")
    balances = quality.balance_checks(page.warehouse, page.scope)
    zero = Decimal("0.00")
    aging_off = balances[balances["aging_minus_balance"].fillna(zero) != zero]
    ledger_off = balances[
        balances["balance_minus_ar"].notna() & (balances["balance_minus_ar"] != zero)
    ]
    no_ar = balances[balances["ar_base"].isna()]
    results = pd.DataFrame(
        [
            _result(
                "Loaded + quarantined = read, per file",
                int((~loads["reconciles"]).sum()),
                len(loads),
                "files",
            ),
            _result(
                "Sum of aging buckets = open balance, per entity",
                len(aging_off),
                len(balances),
                "entities",
            ),
            _result(
                "Open balance = AR at the as-of month end, per entity",
                len(ledger_off),
                len(balances) - len(no_ar),
                "entities",
            ),
        ]
    )
    st.dataframe(results, hide_index=True)
    if len(no_ar):
        st.caption(
            f"{count(len(no_ar))} entities have no month end on the as-of date in the DSO mart; "
            "their AR check is left out."
        )
    failing = pd.concat([aging_off, ledger_off]).drop_duplicates("entity_id")
    if len(failing):
        widgets.money_table(
            failing.rename(columns={"entity_id": "Entity"}),
            ["aging_total_base", "open_balance_base", "ar_base", "aging_minus_balance",
             "balance_minus_ar"],
            page.group_currency,
        )  # fmt: skip


def _result(check: str, failures: int, checked: int, unit: str) -> dict[str, str]:
    return {
        "Check": check,
        "Result": "passed" if failures == 0 else "FAILED",
        "Detail": f"{count(checked)} {unit} checked, {count(failures)} off",
    }


def _quarantine(page: PageContext, quarantined: pd.DataFrame) -> None:
    st.subheader("Quarantined rows")
    if quarantined.empty:
        widgets.empty("No row was quarantined in the files you can see.")
        return
    by_reason = (
        quarantined.groupby(["table_name", "reason"], as_index=False)
        .agg(rows=("source_row", "count"), files=("source_file", "nunique"))
        .sort_values("rows", ascending=False)
        .rename(
            columns={"table_name": "Table", "reason": "Reason", "rows": "Rows", "files": "Files"}
        )
    )
    st.dataframe(by_reason, hide_index=True)
    table = quarantined.assign(entity_id=quarantined["entity_id"].fillna("group")).rename(
        columns={
            "quarantined_at": "Quarantined at",
            "source_file": "File",
            "entity_id": "Entity",
            "table_name": "Table",
            "source_row": "Line",
            "reason": "Reason",
            "record": "Record as delivered",
        }
    )
    widgets.money_table(table, [])
    widgets.downloads(table, f"quarantine_{page.as_of}", "quarantine")


def _loads(page: PageContext, loads: pd.DataFrame) -> None:
    st.subheader("Loads")
    if loads.empty:
        widgets.empty("No file has been loaded for the selected entities.")
        return
    table = loads.assign(entity_id=loads["entity_id"].fillna("group")).rename(
        columns={
            "loaded_at": "Loaded at",
            "source_file": "File",
            "entity_id": "Entity",
            "table_name": "Table",
            "rows_read": "Read",
            "rows_loaded": "Loaded",
            "rows_quarantined": "Quarantined",
            "reconciles": "Reconciles",
            "load_id": "Load id",
        }
    )
    widgets.money_table(table, [])
    widgets.downloads(table, "loads", "loads")


if __name__ == "__main__":
    render(context.current())
