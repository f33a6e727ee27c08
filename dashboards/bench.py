"""How long each dashboard page takes to render, through Streamlit's AppTest, on the published
warehouse the settings name (the demo group after `make demo SERVE=0`).

    CM_DATA_DIR=/tmp/demo .venv/bin/python -m dashboards.bench [--user cfo] [--repeat 5]

For each page: the first render with an empty cache (every query runs against DuckDB) and the
median of the next ones (queries answered from Streamlit's cache, as for a user clicking
around). The goal is under a second per page. Python's imports are paid before the first page.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboards import auth
from dashboards.login import USER_KEY

APP = str(Path(__file__).resolve().parent / "app.py")
PAGES = ("group_overview", "entity", "debtor", "segments", "reminder_run", "model", "data_quality")
GOAL_S = 1.0


def _signed_in(user: auth.User) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state[USER_KEY] = user
    return app.run()


def _render_s(app: AppTest, page: str) -> float:
    start = time.perf_counter()
    app.switch_page(f"pages/{page}.py").run()
    elapsed = time.perf_counter() - start
    if app.exception:
        raise RuntimeError(f"{page}: {app.exception[0].value}")
    return elapsed


def measure(username: str, repeat: int) -> list[tuple[str, float, float]]:
    """(page, first render, median of the next `repeat`) in seconds."""
    user = auth.load_users(auth.users_file())[username]
    app = _signed_in(user)
    results = []
    for page in PAGES:
        _render_s(app, page)  # imports the page's modules
        st.cache_data.clear()
        first = _render_s(app, page)
        warm = [_render_s(app, page) for _ in range(repeat)]
        results.append((page, first, statistics.median(warm)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", default="cfo", help="user name in the users file")
    parser.add_argument("--repeat", type=int, default=5, help="warm renders per page")
    args = parser.parse_args()

    results = measure(args.user, args.repeat)
    out = sys.stdout
    out.write(f"{'page':<16}{'first (s)':>11}{'warm (s)':>10}  goal < {GOAL_S:.0f} s\n")
    for page, first, warm in results:
        verdict = "ok" if warm < GOAL_S else "SLOW"
        out.write(f"{page:<16}{first:>11.3f}{warm:>10.3f}  {verdict}\n")


if __name__ == "__main__":
    main()
