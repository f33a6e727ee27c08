"""Format arrays as canonical landing text and write them as CSV files.

Canonical format: UTF-8, comma, header, ISO dates, UTC timestamps without offset, money with a
dot and exactly two decimals, booleans true/false, the empty string for null.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from dagster_project.contract import TableSpec
from dagster_project.demo.codes import encode
from dagster_project.demo.dates import EPOCH


def money(cents: np.ndarray) -> np.ndarray:
    """Integer cents as '1234.05' / '-0.40'."""
    cents = np.asarray(cents, dtype=np.int64)
    absolute = np.abs(cents)
    text = np.char.add(np.char.add((absolute // 100).astype(str), "."), encode(absolute % 100, 2))
    return np.where(cents < 0, np.char.add("-", text), text)


def iso_dates(days: np.ndarray) -> np.ndarray:
    return (EPOCH + np.asarray(days, dtype=np.int64)).astype(str)


def iso_timestamps(seconds: np.ndarray) -> np.ndarray:
    return np.asarray(seconds, dtype=np.int64).astype("datetime64[s]").astype(str)


def booleans(flags: np.ndarray) -> np.ndarray:
    return np.where(np.asarray(flags, dtype=bool), "true", "false")


def optional(text: np.ndarray, present: np.ndarray) -> np.ndarray:
    """The text where present, the empty string (null) elsewhere."""
    return np.where(present, text, "")


def _text(values: np.ndarray | pa.Array) -> pa.Array:
    if isinstance(values, pa.Array):
        return values
    return pa.array(np.asarray(values).astype(str))


def write_table(path: Path, spec: TableSpec, columns: dict[str, np.ndarray | pa.Array]) -> int:
    """Write one landing file with exactly the contract's columns, in its order; return rows.

    Values are never quoted: none contains a comma, quote or line break, and the writer
    refuses one that does rather than write a file the loader would split wrongly.
    """
    if list(columns) != spec.column_names:
        raise ValueError(f"{spec.name}: columns {list(columns)} differ from the contract")
    table = pa.table({name: _text(values) for name, values in columns.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.write((",".join(spec.column_names) + "\n").encode("utf-8"))
        options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
        pa_csv.write_csv(table, handle, options)
    return table.num_rows
