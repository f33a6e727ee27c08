"""Cash application in dbt on hand-worked cases: each rule, the review reasons, the invoice paid
minus its credit note, the open-amount cap, and bank staging (end-of-day over intraday, booked
entries only, the tie-out column).

One warehouse holds every case (one entity each), built once with `dbt build` on the bank and
cash models and everything they read.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from dbt_helpers import CaseBook, failed_nodes, query, run_dbt_build

from dagster_project.connectors.references import is_valid_rf, kenmerk_check_digit

AS_OF = date(2025, 3, 31)
SELECT = ["+fct_cash_allocations", "+cash_review_queue", "+stg_bank__statements+"]


def kenmerk(body: str) -> str:
    """A valid 16-digit betalingskenmerk: the mod-11 check digit, then 15 digits."""
    return f"{kenmerk_check_digit(body)}{body}"


VALID_KENMERK = kenmerk("000000000012345")
VALID_RF = "RF18539007547034"
assert is_valid_rf(VALID_RF)


class Bank:
    """Bank statements of one case's account, written as the parsers write raw rows."""

    def __init__(self, book: CaseBook, entity_id: str) -> None:
        self.book = book
        self.entity_id = entity_id

    def statement(
        self,
        statement_id: str,
        statement_format: str,
        lines: list[dict[str, Any]],
        *,
        day: str = "2025-03-20",
        opening: str | None = None,
        closing: str | None = None,
    ) -> None:
        booked = [line for line in lines if line.get("entry_status", "BOOK") == "BOOK"]
        total = sum((Decimal(line["amount"]) for line in booked), Decimal(0))
        self.book.add(
            "bank_statements",
            entity_id=self.entity_id,
            account_id="NL02ABNA0123456789",
            account_iban="NL02ABNA0123456789",
            statement_id=statement_id,
            statement_format=statement_format,
            currency="EUR",
            opening_date=date.fromisoformat(day) if opening else None,
            opening_balance=Decimal(opening) if opening else None,
            closing_date=date.fromisoformat(day) if closing else None,
            closing_balance=Decimal(closing) if closing else None,
            entry_count=len(lines),
            entries_total=total,
        )
        for index, line in enumerate(lines, start=1):
            amount = Decimal(line["amount"])
            booked_on = line.get("day", day)  # None: the bank gave no date at all
            on = date.fromisoformat(booked_on) if booked_on else None
            self.book.add(
                "bank_transactions",
                entity_id=self.entity_id,
                account_id="NL02ABNA0123456789",
                account_iban="NL02ABNA0123456789",
                statement_id=statement_id,
                statement_format=statement_format,
                entry_index=index,
                detail_index=0,
                entry_status=line.get("entry_status", "BOOK"),
                booking_date=on,
                value_date=on,
                amount=amount,
                currency=line.get("currency", "EUR"),
                credit_debit="credit" if amount > 0 else "debit",
                is_reversal=line.get("is_reversal", False),
                entry_amount=amount,
                counterparty_name=line.get("name"),
                counterparty_iban=line.get("iban"),
                remittance_text=line.get("text"),
                structured_reference=line.get("reference"),
                reference_type=line.get("reference_type"),
                is_reference_valid=line.get("is_reference_valid"),
                return_reason=line.get("return_reason"),
            )


def credit(amount: str, **values: Any) -> dict[str, Any]:
    return {"amount": amount, **values}


def make_book() -> CaseBook:
    book = CaseBook(AS_OF)

    # Rule 1: the structured reference names A1; A2 has the same amount and loses.
    case = book.case("REF")
    case.invoice("A1", "2025-02-01", "2025-03-01", "100.00", payment_reference=VALID_KENMERK)
    case.invoice("A2", "2025-02-01", "2025-03-01", "100.00")
    Bank(book, case.entity_id).statement(
        "S1",
        "camt.053.001.02",
        [
            credit(
                "100.00",
                reference=VALID_KENMERK,
                reference_type="betalingskenmerk",
                is_reference_valid=True,
                text="A2",
            )
        ],
        opening="0.00",
        closing="100.00",
    )

    # Rule 2: the invoice number in the text (with a full stop after it); and PSP payments by
    # payment reference (rule 1) and by document number (rule 2).
    case = book.case("TXT")
    case.invoice("INV-2001", "2025-02-01", "2025-03-01", "150.00")
    case.invoice("INV-2002", "2025-02-01", "2025-03-01", "60.00", payment_reference=VALID_RF)
    case.invoice("INV-2003", "2025-02-01", "2025-03-01", "70.00")
    Bank(book, case.entity_id).statement(
        "S1", "mt940", [credit("150.00", text="Betaling factuur INV-2001. Dank")]
    )
    case.psp_event("ev-1", "paid", "RF18 5390 0754 7034", "2025-03-10T10:00:00",
                   "2025-03-10T10:01:00", amount="60.00", transaction_id="tx-rf")  # fmt: skip
    case.psp_event("ev-2", "paid", "INV-2003", "2025-03-11T10:00:00",
                   "2025-03-11T10:01:00", amount="70.00", transaction_id="tx-nr")  # fmt: skip
    # The same payment delivered again under another event id, and a refunded payment.
    case.psp_event("ev-3", "paid", "INV-2003", "2025-03-11T10:00:05",
                   "2025-03-11T10:02:00", amount="70.00", transaction_id="tx-nr")  # fmt: skip
    case.psp_event("ev-4", "paid", "INV-2001", "2025-03-12T10:00:00",
                   "2025-03-12T10:01:00", amount="150.00", transaction_id="tx-back")  # fmt: skip
    case.psp_event("ev-5", "refunded", "INV-2001", "2025-03-13T10:00:00",
                   "2025-03-13T10:01:00", amount="150.00", transaction_id="tx-back")  # fmt: skip

    # Another company whose PSP uses the same transaction id: its own line.
    case = book.case("TXT2")
    case.invoice("INV-2003", "2025-02-01", "2025-03-01", "70.00")
    case.psp_event("ev-2", "paid", "INV-2003", "2025-03-11T10:00:00",
                   "2025-03-11T10:01:00", amount="70.00", transaction_id="tx-nr")  # fmt: skip

    # Rule 3 by IBAN (printed with spaces in the bank file) and by exact name.
    case = book.case("IBAN", iban="NL91ABNA0417164300")
    case.invoice("C1", "2025-02-01", "2025-03-01", "100.00")
    case.invoice("C2", "2025-02-01", "2025-03-01", "250.00")
    Bank(book, case.entity_id).statement(
        "S1", "mt940", [credit("250.00", iban="NL91 ABNA 0417 1643 00", text="thanks")]
    )
    case = book.case("NAME")
    case.invoice("D1", "2025-02-01", "2025-03-01", "80.00")
    Bank(book, case.entity_id).statement(
        "S1", "mt940", [credit("80.00", name="  customer   NAME ", iban="NL44RABO0123456789")]
    )

    # Ambiguous at each rule, an invalid check digit, another currency, nothing at all.
    case = book.case("AMB", iban="NL91ABNA0417164300")
    case.invoice("E1", "2025-02-01", "2025-03-01", "300.00")
    case.invoice("E2", "2025-02-10", "2025-03-10", "300.00")
    case.invoice("E3", "2025-02-01", "2025-03-01", "40.00", payment_reference="12345678")
    case.invoice("E4", "2025-02-01", "2025-03-01", "40.00", payment_reference="1234 5678")
    case.invoice("E5", "2025-02-01", "2025-03-01", "55.00")
    case.invoice("E6", "2025-02-01", "2025-03-01", "55.00")
    case.invoice("E7", "2025-02-01", "2025-03-01", "90.00", currency="USD",
                 payment_reference="RF18539007547034")  # fmt: skip
    Bank(book, case.entity_id).statement(
        "S1",
        "mt940",
        [
            credit("300.00", iban="NL91ABNA0417164300"),
            credit("40.00", reference="12345678", reference_type="other", is_reference_valid=True),
            credit("55.00", text="E5 and E6"),
            credit(
                "300.00",
                reference="1234567890123456",
                reference_type="betalingskenmerk",
                is_reference_valid=False,
                text="E1",
            ),
            credit("90.00", reference=VALID_RF, reference_type="rf", is_reference_valid=True),
            credit("12.34", text="interest"),
            credit("-300.00", is_reversal=True, text="E1 storno"),
        ],
    )
    Bank(book, case.entity_id).statement("S2", "camt.054.001.02", [credit("33.00", day=None)])

    # Invoice minus its credit note: by amount (rule 3) and by reference (rule 1).
    case = book.case("CN", iban="NL91ABNA0417164300")
    case.invoice("F1", "2025-02-01", "2025-03-01", "500.00")
    case.credit_note("F1-CN", "2025-02-15", "120.00")
    case.invoice("F2", "2025-02-01", "2025-03-01", "200.00", payment_reference=VALID_RF)
    case.credit_note("F2-CN", "2025-02-16", "30.00")
    Bank(book, case.entity_id).statement(
        "S1",
        "mt940",
        [
            credit("380.00", iban="NL91ABNA0417164300"),
            credit("170.00", reference=VALID_RF, reference_type="rf", is_reference_valid=True),
        ],
    )

    # The cap: three payments of one invoice of 200.00, and one of an invoice the ERP has
    # already settled.
    case = book.case("CAP")
    case.invoice("G1", "2025-02-01", "2025-03-01", "200.00")
    case.invoice("G2", "2025-02-01", "2025-03-01", "75.00")
    case.payment("P-G2", "2025-03-05", "75.00", applies_to="G2")
    Bank(book, case.entity_id).statement(
        "S1",
        "mt940",
        [
            credit("150.00", text="G1", day="2025-03-10"),
            credit("150.00", text="G1", day="2025-03-11"),
            credit("10.00", text="G1", day="2025-03-12"),
            credit("75.00", text="G2", day="2025-03-12"),
        ],
    )

    # Bank staging: the intraday report of a day with an end-of-day statement is superseded,
    # another day's is kept; a pending entry is not booked; one statement does not tie out.
    case = book.case("EOD")
    case.invoice("H1", "2025-02-01", "2025-03-01", "20.00")
    case.invoice("H2", "2025-02-01", "2025-03-01", "30.00")
    case.invoice("H3", "2025-02-01", "2025-03-01", "45.00")
    bank = Bank(book, case.entity_id)
    bank.statement("I-20", "camt.052.001.02", [credit("20.00", text="H1")], day="2025-03-20")
    bank.statement("I-21", "camt.052.001.02", [credit("30.00", text="H2")], day="2025-03-21")
    bank.statement(
        "D-20",
        "camt.053.001.02",
        [credit("20.00", text="H1"), credit("45.00", text="H3", entry_status="PDNG")],
        day="2025-03-20",
        opening="1000.00",
        closing="1020.00",
    )
    bank.statement(
        "D-19", "mt940", [credit("5.00")], day="2025-03-19", opening="1000.00", closing="1000.00"
    )
    return book


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("cash")
    path = make_book().write(tmp / "cash.duckdb")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CM_WAREHOUSE_PATH", str(path))
        result = run_dbt_build(
            tmp,
            {"as_of_date": AS_OF.isoformat()},
            extra_args=["--select", *SELECT, "--indirect-selection", "cautious"],
        )
    # The one statement that does not tie out is reported by the warning test.
    assert result.success, failed_nodes(result)
    # An entry without any date is reported by the not-null test on entry_date.
    assert sorted(failed_nodes(result)) == [
        "test.credit_stack.assert_bank_statements_tie_out: warn Got 1 result, configured to "
        "warn if != 0",
        "test.credit_stack.not_null_stg_bank__transactions_entry_date.cd01c9d5ac: warn Got 1 "
        "result, configured to warn if != 0",
    ]
    yield path


def allocations(warehouse: Path, case: str) -> list[tuple]:
    rows = query(
        warehouse,
        "select source, match_rule, document_id, amount from marts.fct_cash_allocations "
        "where entity_id = ? order by receipt_date, line_id, document_id",
        [f"E-{case}"],
    )
    return [(r["source"], r["match_rule"], r["document_id"], r["amount"]) for r in rows]


def review(warehouse: Path, case: str) -> list[tuple]:
    rows = query(
        warehouse,
        "select review_reason, amount, candidate_document_ids, unallocated_amount "
        "from marts.cash_review_queue where entity_id = ? order by line_id",
        [f"E-{case}"],
    )
    return [
        (r["review_reason"], r["amount"], r["candidate_document_ids"], r["unallocated_amount"])
        for r in rows
    ]


def test_structured_reference_wins_over_the_text_and_the_amount(warehouse: Path) -> None:
    assert allocations(warehouse, "REF") == [
        ("bank", "structured_reference", "A1", Decimal("100.00"))
    ]
    assert review(warehouse, "REF") == []


def test_invoice_number_in_text_and_psp_payments(warehouse: Path) -> None:
    assert sorted(allocations(warehouse, "TXT")) == [
        ("bank", "invoice_number_in_text", "INV-2001", Decimal("150.00")),
        ("psp", "invoice_number_in_text", "INV-2003", Decimal("70.00")),
        # The PSP reference printed in groups of four still equals the payment reference.
        ("psp", "structured_reference", "INV-2002", Decimal("60.00")),
    ]
    # The refunded transaction is no receipt; the repeated one is one line.
    assert review(warehouse, "TXT") == []
    assert allocations(warehouse, "TXT2") == [
        ("psp", "invoice_number_in_text", "INV-2003", Decimal("70.00"))
    ]


def test_unique_open_amount_by_iban_or_exact_name(warehouse: Path) -> None:
    assert allocations(warehouse, "IBAN") == [
        ("bank", "unique_open_amount", "C2", Decimal("250.00"))
    ]
    assert allocations(warehouse, "NAME") == [
        ("bank", "unique_open_amount", "D1", Decimal("80.00"))
    ]


def test_ambiguous_invalid_and_unmatched_lines_go_to_review(warehouse: Path) -> None:
    assert allocations(warehouse, "AMB") == []
    assert review(warehouse, "AMB") == [
        ("ambiguous_amount", Decimal("300.00000"), "E1, E2", Decimal("300.00000")),
        ("ambiguous_reference", Decimal("40.00000"), "E3, E4", Decimal("40.00000")),
        ("ambiguous_invoice_number", Decimal("55.00000"), "E5, E6", Decimal("55.00000")),
        ("invalid_reference", Decimal("300.00000"), None, Decimal("300.00000")),
        ("currency_differs", Decimal("90.00000"), "E7", Decimal("90.00000")),
        ("no_match", Decimal("12.34000"), None, Decimal("12.34000")),
        ("returned_payment", Decimal("-300.00000"), None, Decimal("-300.00000")),
        ("missing_date", Decimal("33.00000"), None, Decimal("33.00000")),
    ]


def test_invoice_minus_credit_note_is_matched_to_both(warehouse: Path) -> None:
    assert allocations(warehouse, "CN") == [
        ("bank", "unique_open_amount", "F1", Decimal("500.00")),
        ("bank", "unique_open_amount", "F1-CN", Decimal("-120.00")),
        ("bank", "structured_reference", "F2", Decimal("200.00")),
        ("bank", "structured_reference", "F2-CN", Decimal("-30.00")),
    ]
    assert review(warehouse, "CN") == []


def test_no_invoice_gets_more_than_its_open_amount(warehouse: Path) -> None:
    assert allocations(warehouse, "CAP") == [
        ("bank", "invoice_number_in_text", "G1", Decimal("150.00")),
        ("bank", "invoice_number_in_text", "G1", Decimal("50.00")),
    ]
    assert review(warehouse, "CAP") == [
        ("unallocated_remainder", Decimal("150.00000"), "G1", Decimal("100.00000")),
        ("document_already_allocated", Decimal("10.00000"), "G1", Decimal("10.00000")),
    ]
    # G2 was settled in the ERP before the bank line: nothing to allocate, nothing to review.
    status = query(
        warehouse,
        "select match_status from intermediate.int_cash_receipts_resolved "
        "where entity_id = 'E-CAP' and amount = 75",
    )
    assert status == [{"match_status": "already_settled"}]


def test_nothing_is_matched_twice(warehouse: Path) -> None:
    twice = query(
        warehouse,
        "select source, line_id from marts.fct_cash_allocations group by all "
        "having count(distinct match_rule) > 1 "
        "union all select source, line_id from marts.fct_cash_allocations "
        "group by source, line_id, document_id having count(*) > 1",
    )
    assert twice == []
    lines = query(warehouse, "select count(*) as n from marts.fct_cash_allocations")[0]["n"]
    assert lines == 15


def test_end_of_day_statement_supersedes_intraday_and_pending_is_not_booked(
    warehouse: Path,
) -> None:
    statements = query(
        warehouse,
        "select statement_id, statement_kind, is_superseded, booked_entry_count, "
        "tie_out_difference, is_tied_out from staging.stg_bank__statements "
        "where entity_id = 'E-EOD' order by statement_id",
    )
    assert [tuple(row.values()) for row in statements] == [
        ("D-19", "end_of_day", False, 1, Decimal("5.00000"), False),
        ("D-20", "end_of_day", False, 1, Decimal("0.00000"), True),
        ("I-20", "intraday", True, 1, None, None),
        ("I-21", "intraday", False, 1, None, None),
    ]
    lines = query(
        warehouse,
        "select statement_id, amount from staging.stg_bank__transactions "
        "where entity_id = 'E-EOD' order by statement_id",
    )
    assert [(row["statement_id"], row["amount"]) for row in lines] == [
        ("D-19", Decimal("5.00000")),
        ("D-20", Decimal("20.00000")),
        ("I-21", Decimal("30.00000")),
    ]
    # H1 is paid once (from the end-of-day statement), H2 from the kept intraday report, and
    # the pending H3 not at all.
    assert allocations(warehouse, "EOD") == [
        ("bank", "invoice_number_in_text", "H1", Decimal("20.00")),
        ("bank", "invoice_number_in_text", "H2", Decimal("30.00")),
    ]
