"""The credit-management dashboard: `streamlit run dashboards/app.py`.

Sign-in first; then one navigation for every page, and the sidebar filters drawn here so
they hold across pages. Each page is a script in `dashboards/pages/` that reads the page
context (`dashboards.context.current()`). The app only reads the published copy of the
warehouse; when there is none yet, or it cannot be read, it says so and what to run instead of
showing a stack trace.
"""

from __future__ import annotations

import duckdb
import streamlit as st

from dagster_project.settings import get_settings, load_env_file
from dashboards import context, data, login

APP_TITLE = "Credit management"

PAGES = {  # section: (script, title, icon, url path)
    "Receivables": (
        ("pages/group_overview.py", "Group overview", "account_balance", "group"),
        ("pages/entity.py", "Entity", "domain", "entity"),
        ("pages/debtor.py", "Debtor", "person_search", "debtor"),
    ),
    "Collections": (
        ("pages/segments.py", "Segments and strategies", "tune", "segments"),
        ("pages/reminder_run.py", "Reminder run", "outgoing_mail", "reminder-run"),
        ("pages/model.py", "Payment model", "insights", "model"),
    ),
    "Operations": (("pages/data_quality.py", "Data quality", "fact_check", "data-quality"),),
}


def _pages() -> dict[str, list[st.Page]]:
    return {
        section: [
            st.Page(
                script,
                title=title,
                icon=f":material/{icon}:",
                url_path=url_path,
                default=url_path == "group",
            )
            for script, title, icon, url_path in pages
        ]
        for section, pages in PAGES.items()
    }


def _sign_in_page() -> None:
    login.render(APP_TITLE)


def main() -> None:
    load_env_file()
    st.set_page_config(page_title=APP_TITLE, page_icon=":material/payments:", layout="wide")

    user = login.signed_in_user()
    if user is None:
        sign_in = st.Page(_sign_in_page, title="Sign in", url_path="sign-in", default=True)
        st.navigation([sign_in], position="hidden").run()
        return

    page = st.navigation(_pages())
    warehouse = data.published_warehouse()
    if warehouse is None:
        st.title(APP_TITLE)
        st.info(
            f"No published warehouse at {get_settings().published_path}: "
            "run `make demo SERVE=0` first."
        )
        return

    try:
        context.build(warehouse, user, get_settings().group_currency)
        page.run()
    except duckdb.Error as error:
        # A half-built or older warehouse lacks a mart or a column: say which, not a traceback.
        st.error(
            f"The published warehouse at {get_settings().published_path} could not be read. "
            "Run `make demo SERVE=0` to build and publish it again."
        )
        st.caption(f"{type(error).__name__}: {str(error).splitlines()[0]}")


main()
