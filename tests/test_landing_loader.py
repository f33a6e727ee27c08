"""The landing loader: valid rows in, bad rows quarantined with file, line and reason."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.connectors.landing import load_table
from dagster_project.contract import DOCUMENTS, ENTITIES, PSP_EVENTS

HEADER = (
    "entity_id,document_id,document_type,document_number,customer_id,issue_date,due_date,"
    "currency,amount,payment_reference,applies_to_document_id,is_disputed"
)
LINES = [
    "E1,D1,invoice,N1,C1,2024-01-01,2024-01-31,EUR,100.00,RF18539007547034,,false",
    "E1,D2,invoice,N2,C1,2024-13-01,2024-01-31,EUR,100.005,,,false",
    "E1,D3,invoice,N3,C1,2024-01-01,2024-01-31,EUR,1,00,,,false",
    "E1,D1,Invoice,N1,C1,2024-01-01,,EUR,5,,,",
    "E1,D4,inv",
    "E1,D5,Credit_Note,N5,C1,2024-02-01,,EUR,-12.50,,D1,",
]


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing" / "erp" / "E1"
    folder.mkdir(parents=True)
    (folder / "documents.csv").write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    return tmp_path / "landing"


def test_valid_rows_load_and_bad_rows_are_quarantined_with_line_and_reason(
    landing: Path,
) -> None:
    con = duckdb.connect()
    [result] = load_table(con, DOCUMENTS, landing)

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 2, 4)
    loaded = con.execute(
        "select document_id, document_type, amount, _source_row from raw.documents order by 1"
    ).fetchall()
    assert loaded == [("D1", "invoice", Decimal("100.00"), 2), ("D5", "credit_note", -12.5, 7)]
    reasons = dict(
        con.execute("select source_row, reason from raw._quarantine order by 1").fetchall()
    )
    assert set(reasons) == {3, 4, 5, 6}
    assert "issue_date '2024-13-01' is not a valid DATE" in reasons[3]
    assert "amount '100.005' has more decimals than DECIMAL(18,2)" in reasons[3]
    assert "Expected Number of Columns: 12 Found: 13" in reasons[4]
    assert "key also at line 2 with different content" in reasons[5]
    assert reasons[6].startswith("line could not be read")
    ledger = con.execute(
        "select source_file, rows_read, rows_loaded, rows_quarantined from raw._load_ledger"
    ).fetchall()
    assert ledger == [("erp/E1/documents.csv", 6, 2, 4)]


def test_reloading_the_same_file_changes_nothing(landing: Path) -> None:
    con = duckdb.connect()
    load_table(con, DOCUMENTS, landing)
    before = con.execute("select count(*) from raw.documents").fetchone()
    [again] = load_table(con, DOCUMENTS, landing)
    assert again.skipped
    assert con.execute("select count(*) from raw.documents").fetchone() == before
    assert con.execute("select count(*) from raw._quarantine").fetchone() == (4,)


def test_a_missing_column_quarantines_every_row_with_the_reason(tmp_path: Path) -> None:
    folder = tmp_path / "erp" / "E9"
    folder.mkdir(parents=True)
    (folder / "entities.csv").write_text(
        "entity_id,entity_name,division,country_code,base_currency\nE9,Nine,retail,NL,EUR\n"
    )
    con = duckdb.connect()
    [result] = load_table(con, ENTITIES, tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (0, 1)
    reason = con.execute("select reason from raw._quarantine").fetchone()[0]
    assert "column time_zone is missing from the file header" in reason


def test_an_unreadable_file_is_quarantined_and_the_load_goes_on(tmp_path: Path) -> None:
    for entity, content in (("E1", b"\x00\x01\x02 not a csv"), ("E2", None)):
        folder = tmp_path / "erp" / entity
        folder.mkdir(parents=True)
        if content is None:
            content = (
                b"entity_id,entity_name,division,country_code,base_currency,time_zone\n"
                b"E2,Two,retail,NL,EUR,Europe/Amsterdam\n"
            )
        (folder / "entities.csv").write_bytes(content)
    con = duckdb.connect()
    results = load_table(con, ENTITIES, tmp_path)
    assert [r.rows_loaded for r in results] == [0, 1]
    assert con.execute("select entity_id from raw.entities").fetchall() == [("E2",)]
    assert con.execute("select count(*) from raw._quarantine").fetchone()[0] >= 1


def test_a_verbatim_repeat_is_kept_and_a_conflicting_one_quarantined(tmp_path: Path) -> None:
    folder = tmp_path / "erp" / "E1"
    folder.mkdir(parents=True)
    lines = [LINES[0], LINES[0], LINES[0].replace("100.00", "90.00")]
    (folder / "documents.csv").write_text("\n".join([HEADER, *lines]) + "\n")
    con = duckdb.connect()
    [result] = load_table(con, DOCUMENTS, tmp_path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    assert con.execute("select source_row from raw._quarantine").fetchall() == [(4,)]


def test_a_psp_redelivery_with_a_later_received_time_is_the_same_event(tmp_path: Path) -> None:
    folder = tmp_path / "psp" / "mollie"
    folder.mkdir(parents=True)
    header = (
        "provider,event_id,transaction_id,entity_id,invoice_reference,amount,currency,status,"
        "method,event_at,received_at"
    )
    first = "mollie,ev1,tr1,E1,RF18,10.00,EUR,paid,ideal,2024-01-01T10:00:00,2024-01-01T10:00:05"
    again = first.replace("10:00:05", "10:30:00")
    conflict = (
        first.replace("ev1", "ev2") + "\n" + first.replace("ev1", "ev2").replace("paid", "failed")
    )
    (folder / "psp_events.csv").write_text("\n".join([header, first, again, conflict]) + "\n")
    con = duckdb.connect()
    [result] = load_table(con, PSP_EVENTS, tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (3, 1)
    reason = con.execute("select reason from raw._quarantine").fetchone()[0]
    assert reason == "key also at line 4 with different content"


def test_an_operational_failure_is_not_recorded_so_the_file_is_retried(landing: Path) -> None:
    con = duckdb.connect()
    con.execute("set memory_limit = '1MB'")
    big = landing / "erp" / "E1" / "documents_big.csv"
    rows = [LINES[0].replace("D1", f"B{i}") for i in range(200_000)]
    big.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(duckdb.OperationalError):
        load_table(con, DOCUMENTS, landing)
    con.execute("reset memory_limit")
    ledger = con.execute("select source_file from raw._load_ledger").fetchall()
    assert ("erp/E1/documents_big.csv",) not in ledger

    [*_, retried] = load_table(con, DOCUMENTS, landing)
    assert retried.rows_loaded == 200_000


ENTITY_HEADER = "entity_id,entity_name,division,country_code,base_currency,time_zone"
ENTITY = "{},Name {},retail,NL,EUR,Europe/Amsterdam"


def load_entities(tmp_path: Path, content: bytes) -> tuple[duckdb.DuckDBPyConnection, object]:
    folder = tmp_path / "erp" / "E1"
    folder.mkdir(parents=True)
    (folder / "entities.csv").write_bytes(content)
    con = duckdb.connect()
    [result] = load_table(con, ENTITIES, tmp_path)
    return con, result


def test_line_numbers_are_physical_lines_after_blank_lines_and_quoted_breaks(
    tmp_path: Path,
) -> None:
    lines = [
        ENTITY_HEADER,  # line 1
        ENTITY.format("E1", "1"),  # 2
        "",  # 3
        'E2,"Two\nlines",retail,NL,EUR,Europe/Amsterdam',  # 4-5
        "",  # 6
        "E3,short,row",  # 7
        "",  # 8
        "",  # 9
        ENTITY.format("E4", "4"),  # 10
        "E4,Other,retail,NL,EUR,Europe/Amsterdam",  # 11: same key, other content
    ]
    con, result = load_entities(tmp_path, ("\r\n".join(lines) + "\r\n").encode())

    loaded = con.execute("select entity_id, _source_row from raw.entities order by 2").fetchall()
    assert loaded == [("E1", 2), ("E2", 4), ("E4", 10)]
    quarantined = con.execute(
        "select source_row, reason from raw._quarantine order by 1"
    ).fetchall()
    assert [row for row, _ in quarantined] == [7, 11]
    assert quarantined[1][1] == "key also at line 10 with different content"
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 3, 2)


def test_a_file_rejected_whole_counts_its_data_lines(tmp_path: Path) -> None:
    content = b"entity_id;entity_name\nE1;One\n\nE2;Two\nE3;Three\n"
    con, result = load_entities(tmp_path, content)

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 0, 3)
    [(row, reason)] = con.execute("select source_row, reason from raw._quarantine").fetchall()
    assert row is None
    assert "header has none of the entities columns" in reason
    assert "delimiter ','" in reason
    ledger = con.execute("select rows_read, rows_loaded, rows_quarantined from raw._load_ledger")
    assert ledger.fetchall() == [(3, 0, 3)]


def test_a_header_in_other_case_loads(tmp_path: Path) -> None:
    content = "\n".join([ENTITY_HEADER.upper(), ENTITY.format("E1", "1")]) + "\n"
    con, result = load_entities(tmp_path, content.encode())
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
    assert con.execute("select entity_id, entity_name from raw.entities").fetchall() == [
        ("E1", "Name 1")
    ]


def test_a_column_twice_in_the_header_is_a_clear_file_error(tmp_path: Path) -> None:
    content = "\n".join([ENTITY_HEADER + ",Division", ENTITY.format("E1", "1") + ",x"]) + "\n"
    con, result = load_entities(tmp_path, content.encode())
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (1, 0, 1)
    reason = con.execute("select reason from raw._quarantine").fetchone()[0]
    assert reason == "file could not be read: the header has column division more than once"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le"])
def test_a_utf16_file_gives_one_clear_file_level_error(tmp_path: Path, codec: str) -> None:
    content = "\n".join([ENTITY_HEADER, ENTITY.format("E1", "1"), ENTITY.format("E2", "2")])
    con, result = load_entities(tmp_path, content.encode(codec))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 0, 2)
    assert con.execute("select source_row, reason from raw._quarantine").fetchall() == [
        (
            None,
            "file could not be read: encoding UTF-16 not supported; save as UTF-8 or set "
            "encoding in the source config",
        )
    ]


def test_a_file_with_quarantined_rows_warns_with_reasons_but_no_values(
    landing: Path, caplog: pytest.LogCaptureFixture
) -> None:
    con = duckdb.connect()
    with caplog.at_level("INFO", logger="dagster_project.connectors.landing"):
        load_table(con, DOCUMENTS, landing)
        load_table(con, DOCUMENTS, landing)

    [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warning.startswith("documents: erp/E1/documents.csv quarantined 4 of 6 rows: ")
    assert "issue_date '…' is not a valid DATE; amount '…' has more decimals" in warning
    assert "key also at line 2 with different content (1)" in warning
    assert "2024-13-01" not in warning and "100.005" not in warning
    assert "documents: 1 files already loaded, skipped" in caplog.messages
