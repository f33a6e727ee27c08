"""The reminder policy's optional inputs in the landing loader: arrangements, contact consents
and the entities' collection account.

They joined the contract after the first files were delivered, so an entities file without
the account columns and an entity that delivers neither table must load as before.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from dagster_project.connectors.landing import ensure_raw_tables, load_table
from dagster_project.contract import ARRANGEMENTS, CONTACT_CONSENTS, ENTITIES

OLD_ENTITIES = "entity_id,entity_name,division,country_code,base_currency,time_zone"
ARRANGEMENTS_HEADER = ",".join(ARRANGEMENTS.column_names)
CONSENTS_HEADER = ",".join(CONTACT_CONSENTS.column_names)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_entities_with_and_without_a_collection_account(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write(
        landing / "erp" / "E1" / "entities.csv",
        f"{OLD_ENTITIES}\nE1,Acme B.V.,retail,NL,EUR,Europe/Amsterdam\n",
    )
    write(
        landing / "erp" / "E2" / "entities.csv",
        f"{OLD_ENTITIES},collection_iban,collection_bic\n"
        "E2,Acme GmbH,retail,DE,EUR,Europe/Berlin,DE89370400440532013000,COBADEFFXXX\n",
    )
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ensure_raw_tables(con)

    loads = load_table(con, ENTITIES, landing)

    assert [(load.rows_loaded, load.rows_quarantined) for load in loads] == [(1, 0), (1, 0)]
    rows = con.execute(
        "select entity_id, collection_iban, collection_bic from raw.entities order by 1"
    ).fetchall()
    assert rows == [("E1", None, None), ("E2", "DE89370400440532013000", "COBADEFFXXX")]


def test_arrangements_load_and_a_bad_row_is_quarantined_with_its_line(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write(
        landing / "erp" / "E1" / "arrangements.csv",
        f"{ARRANGEMENTS_HEADER}\n"
        "E1,A1,C1,promise_to_pay,2026-11-20,2026-12-04,150.00,EUR,2026-11-20T09:00:00\n"
        "E1,A2,C2,payment_plan,2026-11-01,,,,2026-11-01T10:00:00\n"
        "E1,A3,C3,deferral,2026-11-01,,,,2026-11-01T10:00:00\n",
    )
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ensure_raw_tables(con)

    loads = load_table(con, ARRANGEMENTS, landing)

    assert [(load.rows_loaded, load.rows_quarantined) for load in loads] == [(2, 1)]
    rows = con.execute(
        "select arrangement_id, valid_to, promised_amount, currency from raw.arrangements "
        "order by 1"
    ).fetchall()
    assert rows[0][2:] == (Decimal("150.00"), "EUR")
    assert rows[1] == ("A2", None, None, None)
    source_row, reason = con.execute(
        "select source_row, reason from raw._quarantine where table_name = 'arrangements'"
    ).fetchone()
    assert source_row == 4 and "arrangement_type" in reason


def test_consents_keep_every_change_and_refuse_an_unknown_channel(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write(
        landing / "erp" / "E1" / "contact_consents.csv",
        f"{CONSENTS_HEADER}\n"
        "E1,C1,whatsapp,true,2026-01-05T08:00:00\n"
        "E1,C1,whatsapp,false,2026-06-05T08:00:00\n"
        "E1,C1,fax,false,2026-06-05T08:00:00\n",
    )
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ensure_raw_tables(con)

    loads = load_table(con, CONTACT_CONSENTS, landing)

    assert [(load.rows_loaded, load.rows_quarantined) for load in loads] == [(2, 1)]


def test_an_entity_without_arrangements_or_consents_loads_nothing(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ensure_raw_tables(con)

    assert load_table(con, ARRANGEMENTS, tmp_path / "landing") == []
    assert load_table(con, CONTACT_CONSENTS, tmp_path / "landing") == []
    assert con.execute("select count(*) from raw.contact_consents").fetchone() == (0,)
