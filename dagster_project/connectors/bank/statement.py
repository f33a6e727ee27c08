"""The shape both bank formats parse into, and the rows, tie-out and warnings built from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from dagster_project.connectors import references
from dagster_project.connectors.parsed import ParseResult, Row
from dagster_project.contract import BANK_STATEMENTS, BANK_TRANSACTIONS


@dataclass
class Entry:
    """One booked line (or one detail of a batch line); `amount` is signed: + is money in."""

    entry_index: int
    detail_index: int
    source_row: int
    amount: Decimal
    currency: str | None
    credit_debit: str
    is_reversal: bool
    entry_amount: Decimal
    booking_date: date | None = None
    value_date: date | None = None
    entry_status: str | None = None
    transaction_code: str | None = None
    counterparty_name: str | None = None
    counterparty_iban: str | None = None
    remittance_text: str | None = None
    structured_reference: str | None = None
    reference_issuer: str | None = None
    end_to_end_id: str | None = None
    bank_reference: str | None = None
    return_reason: str | None = None


@dataclass
class Balance:
    on: date | None
    amount: Decimal
    currency: str | None


@dataclass
class Statement:
    statement_id: str | None
    statement_format: str
    account_id: str | None
    account_iban: str | None
    currency: str | None
    source_row: int
    opening: Balance | None = None
    closing: Balance | None = None
    entries: list[Entry] = field(default_factory=list)


def _reference(entry: Entry) -> references.Reference | None:
    if entry.structured_reference:
        return references.classify(entry.structured_reference, entry.reference_issuer)
    return references.find_in_text(entry.remittance_text)


def _entries_total(statement: Statement) -> Decimal:
    """Sum of booked entries, each once even when it is split into batch details."""
    amounts = {
        entry.entry_index: entry.entry_amount
        for entry in statement.entries
        if entry.entry_status in (None, "BOOK")
    }
    return sum(amounts.values(), Decimal(0))


def _tie_out(statement: Statement, source: str, result: ParseResult) -> Decimal | None:
    """Opening + entries - closing; a non-zero difference is reported, not rejected."""
    if statement.opening is None or statement.closing is None:
        return None
    difference = statement.opening.amount + _entries_total(statement) - statement.closing.amount
    if difference:
        result.warnings.append(
            f"{source}: statement {statement.statement_id} does not tie out: opening "
            f"{statement.opening.amount} + entries {_entries_total(statement)} <> closing "
            f"{statement.closing.amount} (difference {difference})"
        )
    return difference


def statement_rows(statement: Statement, source: str) -> ParseResult:
    """Rows for bank_statements (one) and bank_transactions (one per entry or detail)."""
    result = ParseResult()
    difference = _tie_out(statement, source, result)
    header = {
        "account_id": statement.account_id,
        "account_iban": statement.account_iban,
        "statement_id": statement.statement_id,
        "statement_format": statement.statement_format,
    }
    result.rows.append(
        Row(
            BANK_STATEMENTS.name,
            statement.source_row,
            {
                **header,
                "currency": statement.currency,
                "opening_date": statement.opening.on if statement.opening else None,
                "opening_balance": statement.opening.amount if statement.opening else None,
                "closing_date": statement.closing.on if statement.closing else None,
                "closing_balance": statement.closing.amount if statement.closing else None,
                "entry_count": len({entry.entry_index for entry in statement.entries}),
                "entries_total": _entries_total(statement),
                "tie_out_difference": difference,
                "is_tied_out": None if difference is None else difference == 0,
            },
        )
    )

    for entry in statement.entries:
        reference = _reference(entry)
        if reference and not reference.is_valid:
            result.warnings.append(
                f"{source}: line {entry.source_row}: {reference.kind} {reference.value} "
                "fails its check digit (kept, flagged invalid)"
            )
        values = {name: getattr(entry, name) for name in Entry.__dataclass_fields__}
        values.pop("source_row")
        values.pop("reference_issuer")
        values.update(header)
        values["structured_reference"] = reference.value if reference else None
        values["reference_type"] = reference.kind if reference else None
        values["is_reference_valid"] = reference.is_valid if reference else None
        result.rows.append(Row(BANK_TRANSACTIONS.name, entry.source_row, values))
    return result
