"""CSV quirks per source (delimiter, decimals, encoding, dates) and Parquet exports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.connectors.dialects import SourceConfigError, read_dialects
from dagster_project.connectors.landing import load_table
from dagster_project.contract import DOCUMENTS

HEADER = [
    "entity_id",
    "document_id",
    "document_type",
    "document_number",
    "customer_id",
    "issue_date",
    "due_date",
    "currency",
    "amount",
    "payment_reference",
    "applies_to_document_id",
    "is_disputed",
]
ROWS = [
    ["NL01", "D1", "invoice", "F-1", "C1", "31-01-2024", "01-03-2024", "EUR", "1.234,56"],
    ["NL01", "D2", "invoice", "Café ŝ€", "C1", "15-02-2024", "", "EUR", "-7,5"],
    ["NL01", "D3", "invoice", "F-3", "C1", "2024-02-15", "", "EUR", "99"],
    ["NL01", "D4", "invoice", "F-4", "C1", "15-02-2024", "", "EUR", "12.50"],
    ["NL01", "D5", "invoice", "F-5", "C1", "15-02-2024", "", "EUR", "1.234.567,891"],
]
CONFIG = """
csv:
  erp/NL01:
    delimiter: ";"
    decimal_separator: ","
    thousands_separator: "."
    encoding: {encoding}
    date_format: "%d-%m-%Y"
"""


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yml"
    path.write_text(text, encoding="utf-8")
    return path


def landing_file(tmp_path: Path, delimiter: str, codec: str, rows: list[list[str]]) -> Path:
    folder = tmp_path / "landing" / "erp" / "NL01"
    folder.mkdir(parents=True)
    lines = [delimiter.join(HEADER)] + [delimiter.join([*row, "", "", ""]) for row in rows]
    text = "\r\n".join(lines) + "\r\n"
    (folder / "documents.csv").write_bytes(text.encode(codec))
    return tmp_path / "landing"


@pytest.mark.parametrize(
    ("encoding", "codec"), [("windows-1252", "cp1252"), ("utf-8", "utf-8-sig")]
)
def test_semicolon_decimal_comma_and_day_first_dates_load_under_the_source_settings(
    tmp_path: Path, encoding: str, codec: str
) -> None:
    rows = ROWS[:2] if codec == "cp1252" else ROWS
    rows = [[value.replace("ŝ", "s") if codec == "cp1252" else value for value in row]
            for row in rows]  # fmt: skip
    landing = landing_file(tmp_path, ";", codec, rows)
    dialects = read_dialects(write_config(tmp_path, CONFIG.format(encoding=encoding)))
    con = duckdb.connect()
    [result] = load_table(con, DOCUMENTS, landing, dialects)

    loaded = con.execute(
        "select document_id, document_number, issue_date, due_date, amount, _source_row "
        "from raw.documents order by 1"
    ).fetchall()
    number = "Café s€" if codec == "cp1252" else "Café ŝ€"
    assert loaded[:2] == [
        ("D1", "F-1", date(2024, 1, 31), date(2024, 3, 1), Decimal("1234.56"), 2),
        ("D2", number, date(2024, 2, 15), None, Decimal("-7.50"), 3),
    ]
    if codec == "cp1252":
        assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 2, 0)
        return

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 2, 3)
    reasons = dict(con.execute("select source_row, reason from raw._quarantine").fetchall())
    assert reasons[4] == (
        "issue_date '2024-02-15' does not match the source format (date format %d-%m-%Y)"
    )
    # A dot decimal in a decimal-comma source is not read as thousands: it is refused.
    assert reasons[5] == (
        "amount '12.50' does not match the source format (decimal ',', thousands '.')"
    )
    assert reasons[6] == "amount '1234567.891' has more decimals than DECIMAL(18,2)"
    record = con.execute("select record from raw._quarantine where source_row = 5").fetchone()
    assert '"amount":"12.50"' in record[0]


def test_a_file_not_in_its_source_encoding_is_quarantined_with_the_reason(
    tmp_path: Path,
) -> None:
    landing = landing_file(tmp_path, ";", "utf-8", ROWS[:2])
    folder = landing / "erp" / "NL01"
    (folder / "documents.csv").write_bytes(
        (folder / "documents.csv").read_bytes().replace("€".encode(), b"\x81")
    )
    dialects = read_dialects(write_config(tmp_path, CONFIG.format(encoding="windows-1252")))
    con = duckdb.connect()
    [result] = load_table(con, DOCUMENTS, landing, dialects)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 0, 2)
    reason = con.execute("select reason from raw._quarantine").fetchone()[0]
    assert reason.startswith("file could not be read: not valid windows-1252 at byte ")


def test_a_tab_separated_utf16_source_loads_when_configured(tmp_path: Path) -> None:
    landing = landing_file(tmp_path, "\t", "utf-16", ROWS[:1])
    config = CONFIG.format(encoding="utf-16").replace('";"', "tab")
    con = duckdb.connect()
    [result] = load_table(con, DOCUMENTS, landing, read_dialects(write_config(tmp_path, config)))
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)


def test_a_source_without_settings_is_read_as_canonical_and_not_guessed(tmp_path: Path) -> None:
    landing = landing_file(tmp_path, ";", "utf-8", ROWS[:2])
    con = duckdb.connect()
    [result] = load_table(con, DOCUMENTS, landing, read_dialects(tmp_path / "absent.yml"))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 0, 2)
    reason = con.execute("select reason from raw._quarantine").fetchone()[0]
    assert "header has none of the documents columns" in reason


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ("delimiter: '|'", "delimiter '|' is not one of"),
        ("decimal_separator: ','\n    thousands_separator: ','", "thousands_separator ','"),
        ("encoding: latin-9", "encoding 'latin-9' is not one of"),
        ("date_format: '%Y'", "date_format '%Y' must be a strptime format"),
        ("delimter: ';'", "unknown setting(s) ['delimter']"),
    ],
)
def test_a_wrong_setting_names_the_file_the_folder_and_the_problem(
    tmp_path: Path, settings: str, problem: str
) -> None:
    path = write_config(tmp_path, f"csv:\n  erp/NL01:\n    {settings}\n")
    with pytest.raises(SourceConfigError) as error:
        read_dialects(path)
    assert str(error.value).startswith(f"{path}: csv.erp/NL01: ")
    assert problem in str(error.value)


def test_the_longest_configured_folder_wins(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, "csv:\n  erp:\n    delimiter: ';'\n  erp/NL01/:\n    delimiter: tab\n"
    )
    dialects = read_dialects(path)
    assert dialects.for_file("erp/NL01/documents.csv").delimiter == "\t"
    assert dialects.for_file("erp/BE01/documents.csv").delimiter == ";"
    assert dialects.for_file("reference/fx_rates.csv").delimiter == ","


def test_parquet_exports_load_and_float_money_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "erp" / "NL01"
    folder.mkdir(parents=True)
    con = duckdb.connect()
    select = (
        "select 'NL01' as ENTITY_ID, 'D' || i as document_id, 'invoice' as document_type, "
        "'F-' || i as document_number, 'C1' as customer_id, date '2024-01-31' as issue_date, "
        "null::date as due_date, 'EUR' as currency, {amount} as amount, "
        "null as payment_reference, null as applies_to_document_id, false as is_disputed "
        "from range(1, 4) as r(i)"
    )
    good = select.format(amount="(i * 10.25)::decimal(18, 2)")
    con.execute(f"copy ({good}) to '{folder / 'documents_a.parquet'}' (format parquet)")
    floats = select.format(amount="i * 10.25::double")
    con.execute(f"copy ({floats}) to '{folder / 'documents_b.parquet'}' (format parquet)")

    results = load_table(con, DOCUMENTS, tmp_path, read_dialects(tmp_path / "absent.yml"))
    assert [(r.rows_loaded, r.rows_quarantined) for r in results] == [(3, 0), (0, 3)]
    loaded = con.execute("select document_id, amount, _source_row from raw.documents order by 1")
    assert loaded.fetchall() == [
        ("D1", Decimal("10.25"), 1),
        ("D2", Decimal("20.50"), 2),
        ("D3", Decimal("30.75"), 3),
    ]
    reason = con.execute("select reason from raw._quarantine").fetchone()[0]
    assert "column amount is DOUBLE: money must be DECIMAL or text" in reason


def test_a_file_rejected_under_the_wrong_dialect_loads_once_its_source_is_set(
    tmp_path: Path,
) -> None:
    landing = landing_file(tmp_path, ";", "utf-8-sig", ROWS[:1])
    con = duckdb.connect()
    unset = read_dialects(tmp_path / "absent.yml")
    [rejected] = load_table(con, DOCUMENTS, landing, unset)
    [again] = load_table(con, DOCUMENTS, landing, unset)
    assert (rejected.rows_loaded, again.skipped) == (0, True)  # a re-run changes nothing

    dialects = read_dialects(write_config(tmp_path, CONFIG.format(encoding="utf-8")))
    [loaded] = load_table(con, DOCUMENTS, landing, dialects)
    [after] = load_table(con, DOCUMENTS, landing, dialects)

    assert (loaded.rows_loaded, loaded.rows_quarantined, after.skipped) == (1, 0, True)
    assert con.execute("select amount from raw.documents").fetchall() == [(Decimal("1234.56"),)]
    assert con.execute("select count(*) from raw._load_ledger").fetchone() == (2,)
