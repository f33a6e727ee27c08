"""The EPC QR code credits the entity's own collection account (marts.dim_entities); an
entity without one gets no QR offer, and its debtors carry `no_collection_account`.

Also the contact rules fed by the new marts, in the layout dbt builds them: a payment plan
made from an instalment plan holds the debtor's reminders like a promise to pay."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import duckdb
import pytest
import segno
from policy_fixtures import (
    Arrangement,
    Customer,
    Item,
    actions_by_customer,
    build_warehouse,
    collection_iban,
    write_segments,
)

from models_ml.policy import decide_actions, export_reminder_run
from models_ml.policy.uplift import prior_uplift

AS_OF = date(2024, 7, 2)
CREATED_AT = datetime(2024, 7, 2, 5, 0, 0)


def days_ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def _warehouse(con: duckdb.DuckDBPyConnection) -> None:
    build_warehouse(
        con,
        AS_OF,
        [Customer("anna"), Customer("dora", entity_id="E2"), Customer("pat"), Customer("ptp")],
        [
            Item("A-1", "anna", days_ago(10), "120.00"),
            Item("A-2", "anna", days_ago(40), "30.50"),
            Item("D-1", "dora", days_ago(10), "99.99", entity_id="E2"),
            Item("P-1", "pat", days_ago(40), "500.00"),
            Item("T-1", "ptp", days_ago(40), "70.00"),
        ],
        arrangements=[
            # what fct_arrangements makes of an instalment plan: issue date to last due date
            Arrangement("pat", "payment_plan", days_ago(70), days_ago(-50)),
            Arrangement("ptp", "promise_to_pay", days_ago(3), days_ago(-11)),
        ],
        without_collection_account=["E2"],
    )


def test_qr_code_carries_the_entitys_iban_and_no_account_means_no_qr(con, tmp_path):
    _warehouse(con)
    decide_actions(con, write_segments(tmp_path), AS_OF, uplift=prior_uplift())

    actions = actions_by_customer(con, AS_OF)
    assert (actions["pat"]["action"], actions["pat"]["reason_code"]) == ("none", "payment_plan")
    assert (actions["ptp"]["action"], actions["ptp"]["reason_code"]) == ("none", "promise_to_pay")
    assert "epc_qr" in actions["anna"]["offers"]
    assert "no_collection_account" not in actions["anna"]["reason_codes"]
    assert actions["dora"]["action"] == "remind"
    assert "epc_qr" not in actions["dora"]["offers"]
    assert "no_collection_account" in actions["dora"]["reason_codes"]

    run_dir = export_reminder_run(con, tmp_path / "exports", AS_OF, created_at=CREATED_AT)

    rows = {
        row["customer_id"]: row
        for row in map(json.loads, (run_dir / "reminder_run.jsonl").open(encoding="utf-8"))
    }
    assert rows["dora"]["qr_file"] is None
    iban = collection_iban("E1")
    assert iban.bic is not None
    fields = ["BCD", "002", "1", "SCT", str(iban.bic), "Entity E1 B.V.", str(iban)]
    expected = "\n".join([*fields, "EUR150.50", "", "", "A-2 A-1"])
    reference = tmp_path / "expected.png"
    code = segno.make_qr(expected, error="m", boost_error=False, encoding="utf-8")
    code.save(str(reference), kind="png", scale=4, border=4)
    assert (run_dir / rows["anna"]["qr_file"]).read_bytes() == reference.read_bytes()


def test_messages_print_the_bank_transfer_details_of_an_entity_with_an_account(con, tmp_path):
    _warehouse(con)
    decide_actions(con, write_segments(tmp_path), AS_OF, uplift=prior_uplift())
    run_dir = export_reminder_run(con, tmp_path / "exports", AS_OF, created_at=CREATED_AT)

    messages = {
        row["customer_id"]: row
        for row in map(json.loads, (run_dir / "messages.jsonl").open(encoding="utf-8"))
    }
    iban = collection_iban("E1")
    anna = messages["anna"]["body"]
    assert messages["anna"]["channel"] == "email"
    # the same account and text as the QR code, the IBAN in groups of four
    assert "Begunstigde: Entity E1 B.V." in anna  # Dutch: the NL debtor's language
    assert f"IBAN: {iban.formatted}" in anna and str(iban.bic) in anna
    assert "Omschrijving: A-2 A-1" in anna
    assert "IBAN" not in messages["dora"]["body"]
