"""How long each dashboard page takes to render, through Streamlit's AppTest, on the published
warehouse the settings name (the demo group after `make demo SERVE=0`).

    CM_DATA_DIR=/tmp/demo .venv/bin/python -m dashboards.bench [--user cfo] [--repeat 5]

For each page: the first render with an empty cache (every query runs against DuckDB) and the
median of the next ones (queries answered from Streamlit's cache, as for a user clicking
around). The goal is under a second per page. Python's imports are paid before the first page.

Then the segments what-if (not a page render, a button): copying the published warehouse into
its sandbox once, and one what-if (the policy run with the live file and with the same text).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from dagster_project.settings import get_settings
from dashboards import auth, data, whatif
from dashboards.login import USER_KEY
from models_ml.policy import load_segments

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


def measure_what_if(username: str) -> tuple[float, float]:
    """(seconds to copy the warehouse into the sandbox, seconds for one what-if)."""
    settings = get_settings()
    user = auth.load_users(auth.users_file())[username]
    warehouse = data.published_warehouse()
    if warehouse is None:
        raise SystemExit(f"no published warehouse at {settings.published_path}")
    as_of = data.as_of_dates(warehouse)[0]
    scope = data.Scope(data.Access(user.entity_ids), as_of)
    config = load_segments(settings.segments_file)

    start = time.perf_counter()
    sandbox = whatif.sandbox_for(
        Path(warehouse.path),
        warehouse.mtime_ns,
        settings.duckdb_threads,
        settings.duckdb_memory_limit,
    )
    copied = time.perf_counter() - start
    start = time.perf_counter()
    whatif.compare(
        whatif.decide(sandbox, config, as_of, scope), whatif.decide(sandbox, config, as_of, scope)
    )
    return copied, time.perf_counter() - start


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
    copied, what_if = measure_what_if(args.user)
    out.write(f"what-if: sandbox copy {copied:.3f} s (once per publication), run {what_if:.3f} s\n")


if __name__ == "__main__":
    main()
