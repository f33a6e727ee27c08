"""Segments and strategies: the reminder policy file as credit managers edit it, checked by
the same validation the daily run uses (`models_ml.policy.load_segments`).

Read-only for now: editing, the what-if on today's scores and versioned saving follow once the
policy exposes a what-if entry point.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
import yaml

from dagster_project.settings import get_settings
from dashboards import context, widgets
from dashboards.context import PageContext
from models_ml.policy import SegmentsConfigError, load_segments

TITLE = "Segments and strategies"


def render(page: PageContext) -> None:
    widgets.header(page, TITLE)
    path = get_settings().segments_file
    if not path.is_file():
        widgets.empty(f"No segments file at {path}.")
        return

    text = path.read_text(encoding="utf-8")
    modified = datetime.fromtimestamp(path.stat().st_mtime)
    st.caption(f"`{_shown_path(path)}` · last changed {modified:%d %b %Y %H:%M}")

    if _validate(path):
        _segments_table(text)
    with st.expander("The file as it is", expanded=False):
        st.code(text, language="yaml", line_numbers=True)
    st.caption("Editing, the what-if on today's scores and versioned saving are not available yet.")


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
