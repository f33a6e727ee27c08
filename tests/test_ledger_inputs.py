"""The ledger's optional inputs in the landing loader: customers.vat_number and instalments.

Both joined the contract after the first files were delivered, so a file without them and a
warehouse created before them must load as before.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from dagster_project.connectors.landing import ensure_raw_tables, load_table
from dagster_project.contract import CUSTOMERS, INSTALMENTS

OLD_HEADER = (
    "entity_id,customer_id,customer_name,customer_type,country_code,language,segment,"
    "email,phone,iban,group_debtor_id,credit_limit"
)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_customers_without_vat_column_load_into_an_old_warehouse(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write(
        landing / "erp" / "E1" / "customers.csv",
        f"{OLD_HEADER}\nE1,C1,Acme,b2b,NL,nl,sme,,,,,100.00\n",
    )
    write(
        landing / "erp" / "E2" / "customers.csv",
        f"{OLD_HEADER},vat_number\nE2,C1,Acme,b2b,NL,nl,sme,,,,,,NL123456789B01\n",
    )
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    # A warehouse created before vat_number existed: the column is added on the next load.
    old_columns = [c for c in CUSTOMERS.columns if c.name != "vat_number"]
    columns = ", ".join(f"{c.name} {c.sql_type}" for c in old_columns)
    con.execute("create schema raw")
    con.execute(
        f"create table raw.customers ({columns}, _source_file varchar, _source_row bigint, "
        "_load_id varchar, _row_hash varchar, _loaded_at timestamp)"
    )

    loads = load_table(con, CUSTOMERS, landing)

    assert [(load.rows_loaded, load.rows_quarantined) for load in loads] == [(1, 0), (1, 0)]
    rows = con.execute(
        "select entity_id, vat_number, _source_row from raw.customers order by entity_id"
    ).fetchall()
    assert rows == [("E1", None, 2), ("E2", "NL123456789B01", 2)]
    assert con.execute("select count(*) from raw._quarantine").fetchone() == (0,)


def test_instalments_load_and_bad_rows_are_quarantined_with_their_line(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write(
        landing / "erp" / "E1" / "instalments.csv",
        "entity_id,document_id,instalment_number,due_date,amount,currency\n"
        "E1,D1,1,2025-01-31,100.00,EUR\n"
        "E1,D1,2,2025-02-28,50.005,EUR\n"
        "E1,D1,3,,50.00,EUR\n",
    )
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ensure_raw_tables(con)

    (load,) = load_table(con, INSTALMENTS, landing)

    assert (load.rows_read, load.rows_loaded, load.rows_quarantined) == (3, 1, 2)
    assert con.execute("select amount from raw.instalments").fetchall() == [(Decimal("100.00"),)]
    reasons = dict(con.execute("select source_row, reason from raw._quarantine").fetchall())
    assert "more decimals" in reasons[3]
    assert reasons[4] == "due_date is empty"


def test_an_entity_without_instalments_loads_nothing(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    assert load_table(con, INSTALMENTS, tmp_path / "landing") == []
    assert con.execute("select count(*) from raw.instalments").fetchone() == (0,)
