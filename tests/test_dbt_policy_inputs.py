"""fct_arrangements, fct_contact_consents and the entities' collection account, built by dbt
from hand-worked raw rows with known answers (as of 2026-11-30)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from dbt_helpers import CaseBook, failed_nodes, query, run_dbt_build

AS_OF = date(2026, 11, 30)
SELECT = [
    "+fct_arrangements",
    "+fct_contact_consents",
    "dim_entities",
    "+dim_customers",
    "+fct_open_items",
]


def promise(book: CaseBook, name: str, valid: tuple[str, str | None], recorded: str) -> None:
    book.add(
        "arrangements",
        entity_id=f"E-{name}",
        arrangement_id=f"A-{name}",
        customer_id=f"C-{name}",
        arrangement_type="promise_to_pay" if valid[1] else "payment_plan",
        valid_from=date.fromisoformat(valid[0]),
        valid_to=date.fromisoformat(valid[1]) if valid[1] else None,
        promised_amount=Decimal("250.00") if valid[1] else None,
        currency="EUR" if valid[1] else None,
        recorded_at=datetime.fromisoformat(recorded),
    )


def consent(book: CaseBook, channel: str, has_consent: bool, recorded: str) -> None:
    book.add(
        "contact_consents",
        entity_id="E-consents",
        customer_id="C-consents",
        channel=channel,
        has_consent=has_consent,
        recorded_at=datetime.fromisoformat(recorded),
    )


def make_book() -> CaseBook:
    book = CaseBook(AS_OF)
    for name in ("in_force", "lapsed", "recorded_later", "open_ended", "consents"):
        book.case(name)
    promise(book, "in_force", ("2026-11-25", "2026-12-09"), "2026-11-25T09:00:00")
    promise(book, "lapsed", ("2026-10-01", "2026-10-15"), "2026-10-01T09:00:00")
    promise(book, "recorded_later", ("2026-11-20", "2026-12-20"), "2026-12-02T09:00:00")
    promise(book, "open_ended", ("2026-11-01", None), "2026-11-01T09:00:00")

    plan = book.case("plan")
    plan.invoice("INV-1", "2026-10-01", "2026-10-31", "300.00")
    for number, due, amount in ((1, "2026-10-31", "100.00"), (2, "2026-11-30", "100.00")):
        plan.instalment("INV-1", number, due, amount)
    plan.instalment("INV-1", 3, "2026-12-30", "100.00")
    # Paid on time: the first two instalments are settled, the third is due in 30 days.
    kept = book.case("plan_kept")
    kept.invoice("INV-5", "2026-10-01", "2026-10-31", "300.00")
    for number, due in ((1, "2026-10-31"), (2, "2026-11-30"), (3, "2026-12-30")):
        kept.instalment("INV-5", number, due, "100.00")
    kept.payment("P-5a", "2026-10-30", "100.00", "INV-5")
    kept.payment("P-5b", "2026-11-28", "100.00", "INV-5")
    later = book.case("plan_later")
    later.invoice("INV-2", "2026-12-01", "2026-12-31", "300.00")
    later.instalment("INV-2", 1, "2026-12-31", "300.00")
    # Plans the ledger rejects (D38) are no arrangement: their debtors are reminded as usual.
    short = book.case("plan_short")
    short.invoice("INV-3", "2026-10-01", "2026-10-31", "300.00")
    for number, due in ((1, "2026-10-31"), (2, "2026-11-30")):
        short.instalment("INV-3", number, due, "100.00")
    gap = book.case("plan_gap")
    gap.invoice("INV-4", "2026-10-01", "2026-10-31", "200.00")
    for number, due in ((1, "2026-10-31"), (3, "2026-12-31")):
        gap.instalment("INV-4", number, due, "100.00")

    consent(book, "whatsapp", True, "2025-01-01T08:00:00")
    consent(book, "whatsapp", False, "2026-06-01T08:00:00")
    consent(book, "sms", False, "2026-01-01T08:00:00")
    consent(book, "sms", True, "2026-12-01T08:00:00")
    # 23:30 UTC on the as-of date is already 1 December in Amsterdam: not in force yet.
    consent(book, "email", True, "2026-11-30T23:30:00")
    consent(book, "letter", False, "2026-11-30T22:30:00")

    # A re-delivered entities row carries the collection account (spaces, lower case).
    book.add(
        "entities",
        loaded_at=datetime(2025, 1, 2, 6, 0, 0),
        entity_id="E-in_force",
        entity_name="Entity in_force",
        division="retail",
        country_code="NL",
        base_currency="EUR",
        time_zone="Europe/Amsterdam",
        collection_iban="nl91 abna 0417 1643 00",
        collection_bic="abnanl2a",
    )
    return book


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("policy_inputs")
    path = make_book().write(tmp / "policy_inputs.duckdb")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CM_WAREHOUSE_PATH", str(path))
        result = run_dbt_build(
            tmp,
            {"as_of_date": AS_OF.isoformat()},
            extra_args=["--select", *SELECT, "--indirect-selection", "cautious"],
        )
    assert result.success and not failed_nodes(result), failed_nodes(result)
    yield path


def test_rejected_instalment_plans_are_no_arrangement(warehouse: Path) -> None:
    rejected = query(
        warehouse,
        "select document_id from intermediate.int_instalment_plans_checked "
        "where not is_usable order by 1",
    )
    arranged = query(
        warehouse,
        "select customer_id from marts.fct_arrangements "
        "where customer_id in ('C-plan_short', 'C-plan_gap')",
    )

    assert [row["document_id"] for row in rejected] == ["INV-3", "INV-4"]
    assert arranged == []


def test_arrangements_as_of_the_run_date(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select arrangement_id, arrangement_type, valid_from, valid_to, promised_amount, "
        "currency, arrangement_source, is_in_force from marts.fct_arrangements order by 1",
    )

    assert [tuple(row.values()) for row in rows] == [
        ("A-in_force", "promise_to_pay", date(2026, 11, 25), date(2026, 12, 9),
         Decimal("250.00"), "EUR", "arrangements", True),
        ("A-lapsed", "promise_to_pay", date(2026, 10, 1), date(2026, 10, 15),
         Decimal("250.00"), "EUR", "arrangements", False),
        ("A-open_ended", "payment_plan", date(2026, 11, 1), None, None, None,
         "arrangements", True),
        ("instalments:INV-1", "payment_plan", date(2026, 10, 1), date(2026, 12, 30),
         Decimal("300.00"), "EUR", "instalments", True),
        ("instalments:INV-5", "payment_plan", date(2026, 10, 1), date(2026, 12, 30),
         Decimal("300.00"), "EUR", "instalments", True),
    ]  # fmt: skip


def test_a_plans_invoice_is_dated_by_its_oldest_open_instalment(warehouse: Path) -> None:
    # What the reminder policy joins to tell a kept plan from a broken one (D40).
    rows = query(
        warehouse,
        "select arrangements.arrangement_id, items.due_date, items.document_due_date, "
        "items.days_past_due, items.open_amount from marts.fct_arrangements as arrangements "
        "inner join marts.fct_open_items as items "
        "on arrangements.entity_id = items.entity_id "
        "and arrangements.document_id = items.item_id order by 1",
    )

    assert [tuple(row.values()) for row in rows] == [
        ("instalments:INV-1", date(2026, 10, 31), date(2026, 10, 31), 30, Decimal("300.00")),
        ("instalments:INV-5", date(2026, 12, 30), date(2026, 10, 31), -30, Decimal("100.00")),
    ]


def test_consent_in_force_is_the_latest_record_by_the_as_of_date(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select channel, has_consent, recorded_date from marts.fct_contact_consents order by 1",
    )

    assert [tuple(row.values()) for row in rows] == [
        ("letter", False, date(2026, 11, 30)),
        ("sms", False, date(2026, 1, 1)),
        ("whatsapp", False, date(2026, 6, 1)),
    ]


def test_entities_carry_their_collection_account(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select entity_id, collection_iban, collection_bic from marts.dim_entities "
        "where entity_id in ('E-in_force', 'E-lapsed') order by 1",
    )

    assert [tuple(row.values()) for row in rows] == [
        ("E-in_force", "NL91ABNA0417164300", "ABNANL2A"),
        ("E-lapsed", None, None),
    ]
