"""The dashboard in a real browser: `streamlit run` on a free localhost port, driven by
Playwright in Debian's headless Chromium.

It signs in, changes a filter, downloads a CSV, opens every page and saves a screenshot of each
under test-artifacts/screenshots/, then signs in as a credit manager and checks that no other
entity shows. Without Chromium (or Playwright) it is skipped, except in CI (CI=true), where it
must run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # the module must import without Playwright, to skip cleanly
    from playwright.sync_api import Browser, Page

TESTS_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS_DIR))  # for dashboard_fixtures, one folder up

from dashboard_fixtures import (  # noqa: E402
    PASSWORDS,
    build_published_warehouse,
    write_model_registry,
    write_reminder_exports,
    write_users_file,
)

REPO_ROOT = TESTS_DIR.parent
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NAVIGATION = (  # sidebar link, page heading, file name
    ("Group overview", "Group receivables", "group_overview"),
    ("Entity", "Entity", "entity"),
    ("Debtor", "Debtor", "debtor"),
    ("Segments and strategies", "Segments and strategies", "segments"),
    ("Reminder run", "Reminder run", "reminder_run"),
    ("Payment model", "Payment model", "model"),
    ("Data quality", "Data quality", "data_quality"),
)
WIDTH_PX = 1400
START_TIMEOUT_S = 90
STEP_TIMEOUT_MS = 60_000


def _require(condition: bool, reason: str) -> None:
    """Skip on a developer machine without a browser; fail in CI, where it must run."""
    if condition:
        return
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason}; CI must provide it")
    pytest.skip(reason)


CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="module")
def chromium_path() -> str:
    _require(CHROMIUM is not None, "Debian's chromium is not installed")
    return str(CHROMIUM)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer on {url} within {START_TIMEOUT_S} s")


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory, chromium_path) -> Iterator[str]:
    """`streamlit run dashboards/app.py` on the fixture warehouse, on a free port."""
    folder = tmp_path_factory.mktemp("browser")
    build_published_warehouse(folder / "published.duckdb")
    write_users_file(folder / "users.yml")
    write_model_registry(folder / "models")
    write_reminder_exports(folder)
    config = folder / "config"  # a copy: the browser test saves a new version
    config.mkdir()
    for name in ("segments.yml", "holidays.yml"):
        shutil.copy(REPO_ROOT / "data" / "config" / name, config / name)
    port = _free_port()
    env = {
        **os.environ,
        "CM_DATA_DIR": str(folder),
        "CM_PUBLISHED_PATH": str(folder / "published.duckdb"),
        "CM_USERS_FILE": str(folder / "users.yml"),
        "CM_GROUP_CURRENCY": "EUR",
        "CM_SEGMENTS_FILE": str(config / "segments.yml"),
    }
    command = [
        sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "dashboards" / "app.py"),
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    log = (folder / "streamlit.log").open("w")
    server = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def browser(chromium_path) -> Iterator[Browser]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require(False, "the playwright package is not installed")
    with sync_playwright() as playwright:
        # Playwright gives every launch a fresh temporary profile (user data dir).
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _settle(page: Page) -> None:
    """Wait until Streamlit has finished the rerun a click started."""
    page.wait_for_timeout(300)
    page.wait_for_selector(
        "[data-testid=stApp][data-test-script-state=notRunning]", timeout=STEP_TIMEOUT_MS
    )


def _screenshot(page: Page, name: str) -> Path:
    """The whole page: the viewport grows to the height of the scrolling main area first."""
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": WIDTH_PX, "height": max(900, int(height) + 40)})
    page.wait_for_timeout(500)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": WIDTH_PX, "height": 900})
    return path


def _sign_in(page: Page, url: str, username: str) -> None:
    page.goto(url)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Group receivables").wait_for(timeout=STEP_TIMEOUT_MS)
    _settle(page)


def _expect_metric(page: Page, label: str, value: str) -> None:
    """Wait (a rerun may still be on its way) until the metric shows `value`."""
    from playwright.sync_api import expect

    metric = page.locator("[data-testid=stMetric]").filter(has_text=label).first
    expect(metric.locator("[data-testid=stMetricValue]")).to_have_text(
        value, timeout=STEP_TIMEOUT_MS
    )


def _open(page: Page, link: str, heading: str) -> None:
    page.locator("[data-testid=stSidebarNav]").get_by_role("link", name=link, exact=True).click()
    page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=STEP_TIMEOUT_MS)
    _settle(page)


def test_cfo_signs_in_filters_downloads_and_opens_every_page(dashboard_url, browser):
    page = browser.new_page(viewport={"width": WIDTH_PX, "height": 900})
    page.goto(dashboard_url)
    page.get_by_role("button", name="Sign in").wait_for(timeout=STEP_TIMEOUT_MS)
    _screenshot(page, "00_sign_in")

    _sign_in(page, dashboard_url, "cfo")
    _expect_metric(page, "Total receivables", "€1,262,750.75")

    page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").filter(
        has_text="Division"
    ).click()
    page.get_by_role("option", name="retail").click()
    page.keyboard.press("Escape")
    _settle(page)
    _expect_metric(page, "Total receivables", "€5,250.50")
    _screenshot(page, "01_group_overview_retail")

    with page.expect_download() as download:
        page.get_by_role("button", name="CSV").first.click()
    csv_text = Path(download.value.path()).read_text()
    assert csv_text.splitlines()[0].startswith("Entity,Name,Division,Country")
    assert "DE01" not in csv_text  # the filter holds in the download too

    for number, (link, heading, name) in enumerate(NAVIGATION, start=2):
        _open(page, link, heading)
        assert not page.locator("[data-testid=stException]").count(), f"{name} raised"
        _screenshot(page, f"{number:02d}_{name}")

    _what_if_and_save(page)
    page.close()


def _what_if_and_save(page: Page) -> None:
    """Segments page: a changed strategy, its what-if on today's scores, then the save."""
    from playwright.sync_api import expect

    _open(page, "Segments and strategies", "Segments and strategies")
    editor = page.locator("[data-testid=stTextArea] textarea")
    text = editor.input_value()
    assert "max_contacts_per_month: 3" in text
    editor.fill(text.replace("  email: {cost: 0.02}", "  email: {cost: 0.90}"))
    editor.press("Control+Enter")
    _settle(page)
    page.get_by_role("button", name="Run what-if").click()
    page.get_by_text("What the change would do today").wait_for(timeout=STEP_TIMEOUT_MS)
    _settle(page)
    assert not page.locator("[data-testid=stException]").count()
    _screenshot(page, "10_segments_what_if")

    page.get_by_role("button", name="Save as new version").click()
    expect(page.get_by_text("Saved version 1 by cfo")).to_be_visible(timeout=STEP_TIMEOUT_MS)
    _settle(page)
    _screenshot(page, "11_segments_saved")


def test_credit_manager_sees_only_their_entity_in_the_browser(dashboard_url, browser):
    page = browser.new_page(viewport={"width": WIDTH_PX, "height": 900})
    _sign_in(page, dashboard_url, "nl")

    _expect_metric(page, "Total receivables", "€3,250.00")
    # every page is checked for leaks in test_dashboard_access; here the pages that list
    # other entities' rows for a CFO
    for link, heading, name in (NAVIGATION[0], NAVIGATION[2], NAVIGATION[6]):
        _open(page, link, heading)
        text = page.locator("[data-testid=stApp]").inner_text()
        assert "DE01" not in text and "BE01" not in text, name
    _screenshot(page, "20_credit_manager_data_quality")
    page.close()
