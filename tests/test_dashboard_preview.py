"""The reminder-run page renders a message itself when the run's folder has no messages.jsonl:
the same text, payment link and QR code as the export, from the policy's own code.

A small warehouse is decided and exported by the policy (`models_ml.policy`), which writes
messages.jsonl; every message the dashboard renders from the warehouse must equal it.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from policy_fixtures import Customer, Item, Score, build_warehouse, decide, write_segments

from dashboards import data
from dashboards.queries import preview
from models_ml.policy import export_reminder_run, run_id_for

AS_OF = date(2024, 3, 12)  # a Tuesday: phone tasks are possible


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("preview")
    path = folder / "published.duckdb"
    customers = [
        Customer("anna", "b2c", language="nl"),
        Customer("bert", "b2b", language="de", country_code="DE"),
        Customer("cees", "b2b", language="en", has_email=False),
    ]
    items = [
        Item("A-1", "anna", AS_OF - timedelta(days=10), "120.00"),
        Item("A-2", "anna", AS_OF - timedelta(days=40), "30.50"),
        Item("B-1", "bert", AS_OF - timedelta(days=20), "1999.99"),
        Item("C-1", "cees", AS_OF - timedelta(days=8), "410.00"),
    ]
    scores = [Score(item.item_id, item.customer_id, 0.3) for item in items]
    with duckdb.connect(str(path)) as con:
        build_warehouse(con, AS_OF, customers, items, scores=scores)
        decide(con, write_segments(folder), AS_OF)
        run_folder = export_reminder_run(con, folder / "exports", AS_OF)
    return path, run_folder


def test_every_message_rendered_here_equals_the_exported_one(exported):
    path, run_folder = exported
    warehouse = data.Warehouse(str(path), path.stat().st_mtime_ns)
    written = [
        json.loads(line) for line in (run_folder / "messages.jsonl").read_text().splitlines()
    ]
    assert len(written) >= 2
    assert any(message["qr_file"] for message in written)  # the QR path is exercised too

    assert preview.can_render(warehouse)
    scope = data.Scope(data.Access(None), AS_OF)
    listed = preview.candidates(warehouse, scope, run_id_for(AS_OF), 50)
    assert sorted(zip(listed["entity_id"], listed["customer_id"], strict=True)) == sorted(
        (message["entity_id"], message["customer_id"]) for message in written
    )
    for message in written:
        shown = preview.render(
            warehouse, run_id_for(AS_OF), AS_OF, message["entity_id"], message["customer_id"]
        )
        assert (shown.subject, shown.body) == (message["subject"], message["body"])
        assert shown.payment_link == message["payment_link"]
        assert (shown.qr_png is not None) == (message["qr_file"] is not None)
        if message["qr_file"]:
            assert shown.qr_png == (run_folder / message["qr_file"]).read_bytes()


def test_a_restricted_viewer_gets_no_candidate_of_another_entity(exported):
    path, _ = exported
    warehouse = data.Warehouse(str(path), path.stat().st_mtime_ns)

    scope = data.Scope(data.Access(("E2",)), AS_OF)

    assert preview.candidates(warehouse, scope, run_id_for(AS_OF), 50).empty
