"""What every page is given: the warehouse, the signed-in user and the scope of the sidebar.

`app.py` draws the sidebar filters once per run, before the page, and leaves the result in the
session; a page script reads it with `current()`. The filters offer only the entities the user
may see, and the scope they produce always carries the user's access.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
import streamlit as st

from dashboards import data, login
from dashboards.auth import User

CONTEXT_KEY = "page_context"
BASE_CURRENCY = "base"
DOCUMENT_CURRENCY = "document"


@dataclass(frozen=True, eq=False)
class PageContext:
    warehouse: data.Warehouse
    user: User
    scope: data.Scope
    group_currency: str
    currency_view: str
    visible_entities: pd.DataFrame
    selected_entities: pd.DataFrame

    @property
    def in_document_currency(self) -> bool:
        return self.currency_view == DOCUMENT_CURRENCY

    @property
    def as_of(self) -> date | None:
        return self.scope.as_of_date


def current() -> PageContext:
    return st.session_state[CONTEXT_KEY]


def build(warehouse: data.Warehouse, user: User, group_currency: str) -> PageContext:
    """Draw the sidebar filters and store the page context for this run."""
    access = data.Access(user.entity_ids)
    visible = data.entities(warehouse, access)
    names = dict(zip(visible["entity_id"], visible["entity_name"], strict=True))
    sidebar = st.sidebar

    sidebar.header("Filters")
    as_of_dates = data.as_of_dates(warehouse)
    as_of = sidebar.selectbox(
        "As of",
        as_of_dates,
        format_func=lambda day: f"{day:%d %b %Y}",
        key="filter_as_of",
        help="The dates the published warehouse holds figures for.",
    )
    divisions = sidebar.multiselect(
        "Division", _options(visible, "division"), key="filter_division", placeholder="All"
    )
    entity_ids = sidebar.multiselect(
        "Entity",
        visible["entity_id"].tolist(),
        format_func=lambda entity_id: f"{entity_id} · {names.get(entity_id, '')}",
        key="filter_entity",
        placeholder="All",
    )
    countries = sidebar.multiselect(
        "Country", _options(visible, "country_code"), key="filter_country", placeholder="All"
    )
    segments = sidebar.multiselect(
        "Customer segment",
        data.customer_segments(warehouse, access),
        key="filter_segment",
        placeholder="All",
    )
    currency_view = sidebar.radio(
        "Currency",
        (BASE_CURRENCY, DOCUMENT_CURRENCY),
        format_func=lambda view: (
            f"Group currency ({group_currency})" if view == BASE_CURRENCY else "Document currency"
        ),
        key="filter_currency",
        horizontal=True,
    )

    scope = data.Scope(
        access=access,
        as_of_date=as_of,
        divisions=tuple(sorted(divisions)),
        entity_ids=tuple(sorted(entity_ids)),
        country_codes=tuple(sorted(countries)),
        segments=tuple(sorted(segments)),
    )
    _user_box(user, warehouse)
    page_context = PageContext(
        warehouse=warehouse,
        user=user,
        scope=scope,
        group_currency=group_currency,
        currency_view=currency_view,
        visible_entities=visible,
        selected_entities=_selected(visible, scope),
    )
    st.session_state[CONTEXT_KEY] = page_context
    return page_context


def _options(entities: pd.DataFrame, column: str) -> list[str]:
    return sorted(entities[column].dropna().unique().tolist())


def _selected(visible: pd.DataFrame, scope: data.Scope) -> pd.DataFrame:
    mask = pd.Series(True, index=visible.index)
    for column, values in (
        ("division", scope.divisions),
        ("entity_id", scope.entity_ids),
        ("country_code", scope.country_codes),
    ):
        if values:
            mask &= visible[column].isin(values)
    return visible[mask]


def _user_box(user: User, warehouse: data.Warehouse) -> None:
    sidebar = st.sidebar
    sidebar.divider()
    entity_count = len(user.entity_ids or ())
    reach = (
        "all entities"
        if user.sees_everything
        else f"{entity_count} {'entity' if entity_count == 1 else 'entities'}"
    )
    sidebar.caption(f"Signed in as **{user.display_name}** · {user.role_label} · {reach}")
    sidebar.button("Sign out", on_click=login.sign_out, key="sign_out", icon=":material/logout:")
    published_at = datetime.fromtimestamp(warehouse.mtime_ns / 1e9)
    sidebar.caption(f"Published {published_at:%d %b %Y %H:%M}")
