"""The landing loader's shortcuts give what the general path gives, on drawn files.

A CSV file whose records each sit on one line is numbered without splitting its text into
lines, and a key's content is only compared when the key occurs more than once. Drawn files
mix both cases (blank lines, quoted line breaks, bare carriage returns, rows DuckDB rejects,
repeated and conflicting keys); each is read with and without the shortcut, and must give the
same records on the same lines with the same reasons.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.connectors import csv_reader
from dagster_project.connectors.csv_reader import read_landing_file, single_line_layout
from dagster_project.connectors.dialects import CANONICAL
from dagster_project.connectors.landing import FileLoad, ensure_raw_tables, load_file
from dagster_project.contract import ENTITIES

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HEADER = "entity_id,entity_name,division,country_code,base_currency,time_zone\n"

values = st.sampled_from(["E1", "E2", "One", "", " ", '"a,b"', '"x\ny"', '"q""q"', '"open'])
line_ends = st.sampled_from(["\n", "\r\n", "\n\n", "\r", ""])
rows = st.lists(
    st.tuples(st.lists(values, min_size=3, max_size=6), line_ends), min_size=0, max_size=8
)


def csv_text(drawn: list[tuple[list[str], str]]) -> str:
    return HEADER + "".join(",".join(fields) + end for fields, end in drawn)


def read(path: Path, general: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[list, list, str]:
    """The records (with lines) and rejected lines the reader gives, or its file error."""
    with monkeypatch.context() as patch:
        if general:
            patch.setattr(csv_reader, "single_line_layout", lambda text: None)
        con = duckdb.connect()
        try:
            read_landing_file(con, path, path.read_bytes(), ENTITIES, CANONICAL)
        except (csv_reader.UnreadableFile, duckdb.ProgrammingError) as error:
            return [], [], str(error).splitlines()[0]
        text = con.execute("select * from landing_text order by source_row").fetchall()
        rejected = con.execute("select * from landing_rejected order by source_row").fetchall()
        return text, rejected, ""


@FAST
@given(drawn=rows)
def test_records_get_the_same_lines_with_and_without_the_one_line_shortcut(
    drawn: list[tuple[list[str], str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("csv") / "entities.csv"
    path.write_text(csv_text(drawn), encoding="utf-8", newline="")

    with pytest.MonkeyPatch.context() as monkeypatch:
        assert read(path, False, monkeypatch) == read(path, True, monkeypatch)


def test_the_shortcut_is_taken_only_for_a_file_without_blank_lines_or_lone_returns() -> None:
    assert single_line_layout("h\na\nb\n") == 3
    assert single_line_layout("h\r\na\r\nb") == 3
    assert single_line_layout("h\n\na\n") is None
    assert single_line_layout("h\r\n\r\na\n") is None
    assert single_line_layout("h\ra\n") is None
    assert single_line_layout("\nh\na\n") is None
    assert single_line_layout("") is None


def load(con: duckdb.DuckDBPyConnection, landing: Path, lines: list[str]) -> FileLoad:
    path = landing / "erp" / "E1" / "entities.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return load_file(con, ENTITIES, path, landing)


def test_only_a_repeated_key_with_other_content_is_quarantined(tmp_path: Path) -> None:
    con = duckdb.connect()
    ensure_raw_tables(con)
    lines = [
        "E1,One,d,NL,EUR,CET",
        "E2,Two,d,NL,EUR,CET",
        "E1,One,d,NL,EUR,CET",
        "E3,Three,d,NL,EUR,CET",
        "E1,Uno,d,NL,EUR,CET",
        ",Nameless,d,NL,EUR,CET",
        ",Other,d,NL,EUR,CET",
        "E3,Three,d,NL,EUR,CET",
    ]

    result = load(con, tmp_path, lines)

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (8, 5, 3)
    quarantined = con.execute(
        "select source_row, reason from raw._quarantine order by source_row"
    ).fetchall()
    assert quarantined == [
        (6, "key also at line 2 with different content"),
        (7, "entity_id is empty"),
        (8, "entity_id is empty; key also at line 7 with different content"),
    ]
    loaded = con.execute("select _source_row from raw.entities order by 1").fetchall()
    assert [row[0] for row in loaded] == [2, 3, 4, 5, 9]
