"""Segments and strategies: the reminder policy file as credit managers edit it.

The file is checked by the same loader the daily run uses (`models_ml.policy.load_segments`).
A user whose role may edit strategies changes the text, runs a what-if (the policy on today's
scores with the live file and with the edited text, `dashboards.whatif`) and, once the what-if
of exactly that text has been seen, saves it as a new version with who and when
(`dashboards.strategy_store`); the daily run picks the new file up on its next run.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st
import yaml

from dagster_project.settings import get_settings
from dashboards import context, strategy_store, whatif, widgets
from dashboards.context import PageContext
from dashboards.formatting import count, money, signed_money
from models_ml.policy import SegmentsConfigError, load_segments

TITLE = "Segments and strategies"
EDITOR_KEY = "segments_yaml"
BASE_KEY = "segments_based_on"  # sha256 of the live file the editor started from
RESULT_KEY = "segments_whatif"  # (sha256 of the text, Comparison) of the last what-if
SAVED_KEY = "segments_saved"
RESET_KEY = "segments_reset"  # the text to start from on the next run (a widget's state can
# only be set before the widget is drawn)
MONEY_MEASURES = ("Amount due in the run", "Expected cash", "Contact cost")


def render(page: PageContext) -> None:
    widgets.header(page, TITLE)
    path = get_settings().segments_file
    if not path.is_file():
        widgets.empty(f"No segments file at {path}.")
        return

    text = path.read_text(encoding="utf-8")
    modified = datetime.fromtimestamp(path.stat().st_mtime)
    st.caption(f"`{_shown_path(path)}` · last changed {modified:%d %b %Y %H:%M}")
    saved = st.session_state.pop(SAVED_KEY, None)
    if saved:
        st.success(saved, icon=":material/save:")

    if _validate(path):
        _segments_table(text)
    if page.user.can_edit_strategies:
        _editor(page, path, text)
    else:
        st.info("Your role may read the strategies but not change them.", icon=":material/lock:")
        with st.expander("The file as it is", expanded=False):
            st.code(text, language="yaml", line_numbers=True)
    _history(path)


def _editor(page: PageContext, path: Path, text: str) -> None:
    """Edit, what-if, save. The editor keeps its text across reruns until a save."""
    st.subheader("Change the strategies")
    pending = st.session_state.pop(RESET_KEY, None)
    if pending is not None or EDITOR_KEY not in st.session_state:
        _reset_editor(text if pending is None else pending)
    if st.session_state[BASE_KEY] != strategy_store.sha256(text):
        st.warning(
            "The file was changed (by a save or by hand) since you started editing; saving "
            "is refused until you reload it.",
            icon=":material/sync_problem:",
        )
        if st.button("Reload the file", key="segments_reload"):
            _reset_editor(text)
            st.rerun()

    edited = st.text_area("segments.yml", key=EDITOR_KEY, height=420)
    edited_sha = strategy_store.sha256(edited)
    columns = st.columns([1, 1, 3])
    run_clicked = columns[0].button(
        "Run what-if", key="segments_whatif_run", type="primary", icon=":material/science:"
    )
    last = st.session_state.get(RESULT_KEY)
    has_whatif = last is not None and last[0] == edited_sha
    comment = st.text_input("What changed and why (kept with the version)", key="segments_comment")
    save_clicked = columns[1].button(
        "Save as new version",
        key="segments_save",
        icon=":material/save:",
        disabled=not has_whatif,
        help="Run the what-if of exactly this text first."
        if not has_whatif
        else "Validates again, keeps a copy with your name and the time, and replaces the "
        "live file in one step.",
    )

    if run_clicked:
        comparison = _run_whatif(page, path, edited)
        if comparison is not None:
            st.session_state[RESULT_KEY] = (edited_sha, comparison)
            st.rerun()  # so the save button sees the fresh what-if
    if save_clicked and has_whatif:
        _save(page, path, edited, comment)
    last = st.session_state.get(RESULT_KEY)
    if last is not None and last[0] == edited_sha:
        _show_comparison(page, last[1])
    elif last is not None:
        st.caption("The text changed after the last what-if: run it again to see the effect.")


def _reset_editor(text: str) -> None:
    st.session_state[EDITOR_KEY] = text
    st.session_state["segments_comment"] = ""
    st.session_state[BASE_KEY] = strategy_store.sha256(text)
    st.session_state.pop(RESULT_KEY, None)


def _problems(error: SegmentsConfigError) -> None:
    st.error(
        f"The edited text breaks {len(error.problems)} rule(s); fix them first:\n\n"
        + "\n".join(f"- {problem}" for problem in error.problems),
        icon=":material/error:",
    )


def _run_whatif(page: PageContext, path: Path, edited: str) -> whatif.Comparison | None:
    """Both runs of the policy on today's scores; None (after saying why) when it cannot run."""
    try:
        config = strategy_store.check(path, edited)
        live = load_segments(path)
    except SegmentsConfigError as error:
        _problems(error)
        return None
    if page.as_of is None:
        st.info("The published warehouse holds no as-of date to decide on.")
        return None

    settings = get_settings()
    sandbox = whatif.sandbox_for(
        Path(page.warehouse.path),
        page.warehouse.mtime_ns,
        settings.duckdb_threads,
        settings.duckdb_memory_limit,
    )
    with st.spinner("Deciding every debtor twice: with the live file and with your text..."):
        try:
            before = whatif.decide(sandbox, live, page.as_of, page.scope)
            after = whatif.decide(sandbox, config, page.as_of, page.scope)
        except (ValueError, RuntimeError, duckdb.Error) as error:
            # The policy's own refusals: marts built for another date, a table of handed-over
            # runs in an older layout; the daily run would stop on them too.
            st.error(f"The policy cannot decide on this warehouse: {error}")
            return None
    return whatif.compare(before, after)


def _save(page: PageContext, path: Path, edited: str, comment: str) -> None:
    try:
        version = strategy_store.save(
            path,
            edited,
            based_on_sha256=st.session_state[BASE_KEY],
            saved_by=page.user.username,
            role=page.user.role,
            comment=comment,
        )
    except SegmentsConfigError as error:
        _problems(error)
        return
    except strategy_store.StaleFileError as error:
        st.error(str(error), icon=":material/sync_problem:")
        return
    st.session_state[RESET_KEY] = edited
    st.session_state[SAVED_KEY] = (
        f"Saved version {version.version} by {version.saved_by} at {version.saved_at}; "
        "the next daily run uses it."
    )
    st.rerun()


def _show_comparison(page: PageContext, comparison: whatif.Comparison) -> None:
    currency = page.group_currency
    st.subheader("What the change would do today")
    st.caption(
        "The policy run on today's scores with the live file (before) and with the edited text "
        "(after), for the debtors of the selected entities."
    )
    totals = comparison.totals.set_index("measure")
    columns = st.columns(len(totals))
    for column, (measure, row) in zip(columns, totals.iterrows(), strict=True):
        change = row["change"]
        column.metric(
            measure,
            _measure_text(measure, row["after"], currency),
            delta=_measure_text(measure, change, currency, signed=True) if change else None,
            delta_color="off" if measure in ("Held back", "Contact cost") else "normal",
            help=f"With the live file: {_measure_text(measure, row['before'], currency)}",
            border=True,
        )

    st.caption("Debtors in the run per channel, tone and offer")
    mix = comparison.mix.rename(
        columns={
            "field": "By",
            "value": "Value",
            "before": "Before",
            "after": "After",
            "change": "Change",
        }
    )
    st.dataframe(mix, hide_index=True, key="segments_mix")

    st.caption(f"Debtors whose decision changes: {count(len(comparison.changed))}")
    if comparison.changed.empty:
        widgets.empty("No debtor in the selected entities is decided differently.")
        return
    changed = comparison.changed.rename(columns=_changed_names())
    widgets.money_table(
        changed,
        [],
        base_columns=["Expected cash before", "Expected cash after", "Amount due"],
        base_currency=currency,
    )
    widgets.downloads(changed, f"whatif_{page.as_of}", "whatif")


def _measure_text(measure: str, value: object, currency: str, signed: bool = False) -> str:
    if measure in MONEY_MEASURES:
        return signed_money(value, currency) if signed else money(value, currency)
    return f"{int(value):+,}" if signed else count(value)


def _changed_names() -> dict[str, str]:
    names = {"entity_id": "Entity", "customer_id": "Customer", "amount_due_base": "Amount due"}
    for field, label in (
        ("segment", "Segment"),
        ("action", "Action"),
        ("channel", "Channel"),
        ("tone", "Tone"),
        ("offer", "Offer"),
        ("reason_code", "Reason"),
        ("expected_value_base", "Expected cash"),
    ):
        names[f"{field}_before"] = f"{label} before"
        names[f"{field}_after"] = f"{label} after"
    return names


def _history(path: Path) -> None:
    versions = strategy_store.versions(path)
    st.subheader("Saved versions")
    if not versions:
        st.caption("No version has been saved from the dashboard yet.")
        return
    table = pd.DataFrame(
        [
            {
                "Version": version.version,
                "Saved at (UTC)": version.saved_at,
                "By": version.saved_by,
                "Role": version.role,
                "Comment": version.comment,
                "File": version.file,
                "SHA-256": version.sha256[:12],
            }
            for version in reversed(versions)
        ]
    )
    st.dataframe(table, hide_index=True, key="segments_history")


def _shown_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return path.name


def _validate(path: Path) -> bool:
    try:
        config = load_segments(path)
    except SegmentsConfigError as error:
        st.error(
            f"The file breaks {len(error.problems)} rule(s); the daily run would stop on it:\n\n"
            + "\n".join(f"- {problem}" for problem in error.problems)
        )
        return False
    st.success(
        f"Valid: {len(config.segments)} segments, score bands "
        + ", ".join(band.name for band in config.score_bands)
        + ".",
        icon=":material/check_circle:",
    )
    return True


def _segments_table(text: str) -> None:
    """One row per segment, in the order they are tried, from the file as written."""
    document = yaml.safe_load(text) or {}
    rows = [_segment_row(position, segment) for position, segment in
            enumerate(document.get("segments") or [], start=1)]  # fmt: skip
    st.subheader("Segments, in the order they are tried")
    # A static table wraps the long rules; a data grid would hide them off to the right.
    st.table(pd.DataFrame(rows).set_index("#").fillna(""))


def _segment_row(position: int, segment: dict[str, Any]) -> dict[str, object]:
    row = {
        "#": position,
        "Segment": str(segment.get("name", "")),
        "Who": _compact(segment.get("match")) if segment.get("match") else "everyone else",
    }
    for key, value in segment.items():
        if key not in {"name", "match", "description"}:
            row[key.replace("_", " ").capitalize()] = _compact(value)
    row["Description"] = str(segment.get("description", ""))
    return row


def _compact(value: object, nested: bool = False) -> str:
    """A YAML value on one line: `high: (email, friendly, none); medium: (...)`."""
    if isinstance(value, dict):
        parts = [f"{key}: {_compact(item, nested=True)}" for key, item in value.items()]
        return f"({', '.join(parts)})" if nested else "; ".join(parts)
    if isinstance(value, list):
        return "[" + ", ".join(_compact(item, nested=True) for item in value) + "]"
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


if __name__ == "__main__":
    render(context.current())
