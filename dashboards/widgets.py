"""Pieces every page uses: the header line, the empty state, money tables and downloads."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable

import pandas as pd
import streamlit as st

from dashboards.context import PageContext
from dashboards.formatting import MISSING, count, money, percent

MAX_ROWS_SHOWN = 500
MONEY_METRIC_WIDTH = 1.6
EXCEL_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def header(page_context: PageContext, title: str) -> None:
    """The page title and one line on the as-of date, currency and selection."""
    st.title(title)
    as_of = page_context.as_of
    as_of_text = f"{as_of:%d %B %Y}" if as_of else "unknown"
    currency = (
        "document currency" if page_context.in_document_currency else page_context.group_currency
    )
    selected = len(page_context.selected_entities)
    visible = len(page_context.visible_entities)
    segments = page_context.scope.segments
    segment_text = f" · segment {', '.join(segments)}" if segments else ""
    st.caption(
        f"As of **{as_of_text}** · amounts in **{currency}** · "
        f"{selected} of {visible} entities{segment_text}"
    )


def has_selection(page_context: PageContext) -> bool:
    """False, after saying so, when the filters leave no entity or no as-of date."""
    if page_context.visible_entities.empty:
        st.info("You have no entities to see in this warehouse: ask for access to one.")
        return False
    if page_context.selected_entities.empty:
        st.info("No entities match the selected filters. Clear a filter in the sidebar.")
        return False
    if page_context.as_of is None:
        st.info("The published warehouse holds no as-of date yet: run `make demo SERVE=0`.")
        return False
    return True


def empty(message: str = "Nothing matches the selected filters.") -> None:
    st.info(message, icon=":material/filter_alt_off:")


def money_table(
    frame: pd.DataFrame,
    money_columns: Iterable[str],
    currency: str | None = None,
    currency_column: str | None = None,
    percent_columns: Iterable[str] = (),
    base_columns: Iterable[str] = (),
    base_currency: str | None = None,
    max_rows: int = MAX_ROWS_SHOWN,
    total_rows: int | None = None,
    **dataframe_options: object,
) -> None:
    """A table that prints money with separators and currency, counts with separators, shares
    as percentages, times to the second and missing values as a dash.

    `currency` applies to every money column; `currency_column` names a column that holds each
    row's currency instead; `base_columns` are amounts in `base_currency` beside them. Long
    tables show their first rows; the downloads hold them all. `total_rows` is the length of
    the whole list when `frame` holds only its first rows.
    """
    shown = frame.head(max_rows)
    columns = [column for column in money_columns if column in shown.columns]
    styled = shown.style.format(na_rep=MISSING)
    if currency_column:
        for row_currency, rows in shown.groupby(currency_column, dropna=False).groups.items():
            styled = styled.format(
                lambda amount, row_currency=row_currency: money(amount, row_currency),
                subset=pd.IndexSlice[rows, columns],
            )
    elif currency:
        styled = styled.format(lambda amount: money(amount, currency), subset=columns)
    base = [column for column in base_columns if column in shown.columns]
    if base:
        styled = styled.format(lambda amount: money(amount, base_currency), subset=base)
    for column in shown.columns:
        if column in columns or column in base:
            continue
        series = shown[column]
        if column in percent_columns:
            styled = styled.format(percent, subset=[column])
        elif pd.api.types.is_integer_dtype(series.dtype) or _whole_numbers(series):
            styled = styled.format(count, subset=[column])
        elif pd.api.types.is_datetime64_any_dtype(series.dtype):
            styled = styled.format(_timestamp, subset=[column])
    st.dataframe(styled, hide_index=True, placeholder=MISSING, **dataframe_options)
    total = max(total_rows or 0, len(frame))
    if total > len(shown):
        st.caption(
            f"Showing the first {count(len(shown))} of {count(total)} rows; "
            "the downloads hold them all."
        )


def _whole_numbers(series: pd.Series) -> bool:
    """A float column that only holds whole numbers (an integer column with gaps)."""
    if not pd.api.types.is_float_dtype(series.dtype):
        return False
    values = series.dropna()
    return bool(len(values)) and bool((values == values.round()).all())


def _timestamp(value: pd.Timestamp) -> str:
    return MISSING if pd.isna(value) else f"{value:%Y-%m-%d %H:%M:%S}"


def downloads(frame: pd.DataFrame | Callable[[], pd.DataFrame], name: str, key: str) -> None:
    """CSV and Excel downloads of `frame`: plain numbers, no separators, one header row.

    `frame` may be a function that reads it: it is then called only when a button is clicked,
    so a long list costs the page nothing until someone downloads it."""

    def read() -> pd.DataFrame:
        return frame() if callable(frame) else frame

    with st.container(horizontal=True):
        st.download_button(
            "CSV",
            data=lambda: csv_bytes(read()),
            file_name=f"{name}.csv",
            mime="text/csv",
            key=f"{key}_csv",
            icon=":material/download:",
            on_click="ignore",
            help=f"Download {name}.csv",
        )
        st.download_button(
            "Excel",
            data=lambda: excel_bytes(read()),
            file_name=f"{name}.xlsx",
            mime=EXCEL_MIME,
            key=f"{key}_xlsx",
            icon=":material/download:",
            on_click="ignore",
            help=f"Download {name}.xlsx",
        )


def _exportable(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists as text and time zones dropped, which CSV readers and Excel both need."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out[column] = series.dt.tz_localize(None)
        elif series.dtype == object and series.map(lambda v: isinstance(v, list | tuple)).any():
            out[column] = series.map(
                lambda v: ", ".join(map(str, v)) if isinstance(v, list | tuple) else v
            )
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return _exportable(frame).to_csv(index=False).encode("utf-8")


def excel_bytes(frame: pd.DataFrame) -> bytes:
    """One sheet; amounts stay numbers (Decimal is written as a number)."""
    buffer = io.BytesIO()
    _exportable(frame).to_excel(buffer, index=False, sheet_name="data", engine="openpyxl")
    return buffer.getvalue()
