"""The credit-management dashboard: `streamlit run dashboards/app.py`.

One navigation for every page; each page is a `render()` function in `dashboards/pages/`.
The app only reads the published copy of the warehouse; when there is none yet, or it cannot
be read, it says so and what to run instead of showing a stack trace.
"""

from __future__ import annotations

import duckdb
import streamlit as st

from dagster_project.settings import get_settings
from dashboards import data
from dashboards.pages import group_overview

APP_TITLE = "Credit management"


def _pages() -> list[st.Page]:
    return [
        st.Page(
            group_overview.render,
            title="Group overview",
            icon=":material/account_balance:",
            url_path="group",
            default=True,
        ),
    ]


def main() -> None:
    st.set_page_config(page_title=APP_TITLE, page_icon=":material/payments:", layout="wide")
    page = st.navigation(_pages())

    if data.published_warehouse() is None:
        st.title(APP_TITLE)
        st.info(
            f"No published warehouse at {get_settings().published_path}: "
            "run `make demo SERVE=0` first."
        )
        return

    try:
        page.run()
    except duckdb.Error as error:
        # A half-built or older warehouse lacks a mart or a column: say which, not a traceback.
        st.error(
            f"The published warehouse at {get_settings().published_path} could not be read. "
            "Run `make demo SERVE=0` to build and publish it again."
        )
        st.caption(f"{type(error).__name__}: {str(error).splitlines()[0]}")


main()
