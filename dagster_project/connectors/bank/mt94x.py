"""SWIFT MT940 (statement) and MT942 (interim report) through the mt-940 library.

The file is first cut into statements: SWIFT envelopes (`{1:...}{4:`), bank header lines and
trailers (`-}`, `-XXX`) are dropped, and an `:86:` after the closing balance (information for
the account owner, not a transaction) is left out so the library does not glue it onto the last
line. Marks: C and RD are money in, D and RC money out; a letter after the mark is a funds
code, not a reversal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import mt940

from dagster_project.connectors import references
from dagster_project.connectors.bank.details import parse_details
from dagster_project.connectors.bank.statement import Balance, Entry, Statement, statement_rows
from dagster_project.connectors.parsed import ParseError, ParseResult

OPTIONS = mt940.Options.all()
_STATEMENT_START = re.compile(r"^:20:", re.MULTILINE)
_CLOSING = re.compile(r"^:62[FM]?:", re.MULTILINE)
_TAG_LINE = re.compile(r"^:(\d{2}[A-Z]?|NS):")


@dataclass
class _Block:
    text: str
    first_line: int


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 as Dutch and German banks send it."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _trim(block: str) -> str:
    """Cut a block at its end marker and drop `:86:` information after the closing balance."""
    lines = []
    after_closing = in_info = False
    for line in block.split("\n"):
        if line.startswith("-") or line.startswith("{5:"):
            break
        tag = _TAG_LINE.match(line)
        if tag:
            after_closing = after_closing or bool(_CLOSING.match(line))
            in_info = after_closing and tag.group(1) == "86"
        if not in_info:
            lines.append(line)
    return "\n".join(lines)


def split_blocks(text: str) -> list[_Block]:
    """One block per statement (`:20:`); a fragment without `:20:` is one block."""
    text = re.sub(r"^:\n(\d{2}[A-Z]?:)", r":\1", text, flags=re.MULTILINE)
    starts = [match.start() for match in _STATEMENT_START.finditer(text)]
    if not starts:
        return [_Block(_trim(text.strip("\n")), 1)] if ":61:" in text else []
    blocks = []
    for start, end in zip(starts, [*starts[1:], len(text)], strict=True):
        blocks.append(_Block(_trim(text[start:end]), text.count("\n", 0, start) + 1))
    return blocks


def _account(value: str | None) -> tuple[str | None, str | None]:
    value = (value or "").strip()
    suffixed = re.fullmatch(r"([A-Z]{2}\d{2}[A-Z0-9]{11,30}?)\s?[A-Z]{3}", value)
    if suffixed:
        value = suffixed.group(1)
    return value or None, value if references.is_valid_iban(value) else None


def _balance(data: dict, *names: str) -> Balance | None:
    for name in names:
        balance = data.get(name)
        if balance is not None and isinstance(balance.amount, mt940.models.Amount):
            return Balance(balance.date, balance.amount.amount, balance.amount.currency)
    return None


def _statement_id(data: dict) -> str | None:
    parts = [data.get("transaction_reference"), data.get("statement_number")]
    if data.get("sequence_number"):
        parts.append(data["sequence_number"])
    return "/".join(str(part).strip() for part in parts if part) or None


def _entry(transaction: mt940.models.Transaction, index: int, line: int, account: str | None):
    data = transaction.data
    mark = str(data.get("status") or "").upper()
    amount: Decimal = data["amount"].amount
    details = parse_details(data, account)
    bank_reference = data.get("bank_reference")
    return Entry(
        entry_index=index,
        detail_index=0,
        source_row=line,
        amount=amount,
        currency=data["amount"].currency or data.get("currency") or None,
        credit_debit="credit" if mark in ("C", "RD") else "debit",
        is_reversal=mark.startswith("R"),
        entry_amount=amount,
        booking_date=data.get("entry_date") or data.get("date"),
        value_date=data.get("date"),
        transaction_code=(data.get("id") or "").strip() or None,
        counterparty_name=details.counterparty_name,
        counterparty_iban=details.counterparty_iban,
        remittance_text=details.remittance_text,
        structured_reference=details.structured_reference,
        reference_issuer=details.reference_issuer,
        end_to_end_id=details.end_to_end_id,
        bank_reference=bank_reference.strip() if bank_reference else None,
        return_reason=details.return_reason,
    )


def _parse_block(block: _Block, kind: str, tags: dict | None, source: str) -> Statement:
    try:
        parsed = mt940.parse(block.text, tags=tags, options=OPTIONS)
    except (
        RuntimeError,
        ValueError,
        ArithmeticError,
        LookupError,
        TypeError,
        AttributeError,
    ) as error:
        problem = str(error.args[0] if error.args else error).splitlines()[0]
        raise ParseError(source, f"statement at line {block.first_line}: {problem}") from None
    data = parsed.data
    account, iban = _account(data.get("account_identification"))
    opening = _balance(data, "final_opening_balance", "opening_balance",
                       "intermediate_opening_balance")  # fmt: skip
    closing = _balance(data, "final_closing_balance", "closing_balance",
                       "intermediate_closing_balance")  # fmt: skip
    lines = [
        block.first_line + number
        for number, line in enumerate(block.text.split("\n"))
        if line.startswith(":61:")
    ]
    statement = Statement(
        statement_id=_statement_id(data),
        statement_format=kind,
        account_id=account,
        account_iban=iban,
        currency=(closing or opening).currency if (closing or opening) else parsed.currency,
        source_row=block.first_line,
        opening=opening,
        closing=closing,
    )
    for index, transaction in enumerate(parsed.transactions, start=1):
        line = lines[index - 1] if index <= len(lines) else block.first_line
        statement.entries.append(_entry(transaction, index, line, account))
    return statement


def _kind(text: str) -> str:
    if re.search(r"\{2:[IO]942|^:13D?:|^:34F:", text, flags=re.MULTILINE):
        return "mt942"
    return "mt940"


def _tags(text: str) -> dict | None:
    """ASN Bank puts the counterparty IBAN (up to 34 characters) in the customer reference."""
    if "{1:F01ASNB" in text:
        statement_tag = mt940.tags.StatementASNB()
        return {statement_tag.id: statement_tag}
    return None


def parse_mt94x(data: bytes, source: str) -> ParseResult:
    """Every statement in one MT940/MT942 file, with its lines."""
    text = decode(data)
    blocks = split_blocks(text)
    if not blocks:
        raise ParseError(source, "no MT940/MT942 statement (:20:) or statement line (:61:)")
    kind, tags = _kind(text), _tags(text)
    result = ParseResult()
    for block in blocks:
        statement = _parse_block(block, kind, tags, source)
        result.extend(statement_rows(statement, source))
    return result
