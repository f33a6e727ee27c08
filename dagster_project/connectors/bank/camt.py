"""ISO 20022 bank-to-customer messages: camt.052 (report), camt.053 (statement) and camt.054
(notification), versions .001.01 to .001.08, dispatched on the document's namespace.

The sign of an entry is its CdtDbtInd; RvslInd only marks a reversal. A batch entry whose
transaction details all carry an amount becomes one row per detail (cash application needs each
payer), signed by the entry; the statement tie-out always uses the entry amounts.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from lxml import etree

from dagster_project.connectors import references
from dagster_project.connectors.bank.statement import Balance, Entry, Statement, statement_rows
from dagster_project.connectors.parsed import ParseError, ParseResult, Rejected, decimal_amount
from dagster_project.contract import BANK_TRANSACTIONS

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.(05[234])\.001\.(\d{2})$")
SUPPORTED_VERSIONS = range(1, 9)
RECORD_ELEMENT = {"052": "Rpt", "053": "Stmt", "054": "Ntfctn"}
OPENING_CODES = ("OPBD", "PRCD")
CLOSING_CODES = ("CLBD", "ITBD")


class _Reader:
    """XPath helpers bound to one message's namespace."""

    def __init__(self, namespace: str) -> None:
        self.ns = {"c": namespace}

    def all(self, node: etree._Element, path: str) -> list[etree._Element]:
        return node.xpath(path, namespaces=self.ns)

    def text(self, node: etree._Element, *paths: str) -> str | None:
        """The first non-empty text among the paths, whitespace collapsed."""
        for path in paths:
            for found in node.xpath(path, namespaces=self.ns):
                value = " ".join((found.text or "").split())
                if value:
                    return value
        return None


def _parse_xml(data: bytes, source: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise ParseError(source, f"not well-formed XML: {error}") from None


def _dispatch(root: etree._Element, source: str) -> tuple[str, int, str]:
    namespace = etree.QName(root).namespace or ""
    match = NAMESPACE.match(namespace)
    if not match:
        raise ParseError(source, f"not a camt.052/053/054 message (namespace {namespace!r})")
    message, version = match.group(1), int(match.group(2))
    if version not in SUPPORTED_VERSIONS:
        raise ParseError(source, f"camt.{message}.001.{version:02d} is not a supported version")
    return message, version, namespace


def _date(reader: _Reader, node: etree._Element, path: str, source: str) -> date | None:
    value = reader.text(node, f"{path}/c:Dt", f"{path}/c:DtTm")
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ParseError(source, f"line {node.sourceline}: date {value!r} is not valid") from None


def _signed(reader: _Reader, node: etree._Element, source: str) -> tuple[Decimal, str, bool]:
    """Amount signed by CdtDbtInd: (signed amount, currency, is_credit)."""
    amount_node = (reader.all(node, "c:Amt") or [None])[0]
    indicator = reader.text(node, "c:CdtDbtInd")
    if amount_node is None or indicator not in ("CRDT", "DBIT"):
        raise ParseError(source, f"line {node.sourceline}: amount or CdtDbtInd missing")
    amount = decimal_amount(amount_node.text, source, f"line {node.sourceline}: amount")
    if amount < 0:
        raise ParseError(source, f"line {node.sourceline}: negative amount {amount}")
    credit = indicator == "CRDT"
    return (amount if credit else -amount), amount_node.get("Ccy") or "", credit


def _balances(reader: _Reader, record: etree._Element, source: str) -> dict[str, Balance]:
    found: dict[str, Balance] = {}
    for node in reader.all(record, "c:Bal"):
        code = reader.text(node, "c:Tp/c:CdOrPrtry/c:Cd", "c:Tp/c:Cd")
        if code and code not in found:
            amount, currency, _ = _signed(reader, node, source)
            found[code] = Balance(_date(reader, node, "c:Dt", source), amount, currency)
    return found


def _account(reader: _Reader, record: etree._Element) -> tuple[str | None, str | None]:
    account = reader.text(
        record,
        "c:Acct/c:Id/c:IBAN",
        "c:Acct/c:Id/c:Othr/c:Id",
        "c:Acct/c:Id/c:PrtryAcct/c:Id",
        "c:Acct/c:Id/c:BBAN",
    )
    iban = account if account and references.is_valid_iban(account) else None
    return account, iban


def _party(reader: _Reader, detail: etree._Element, credit: bool) -> tuple[str | None, str | None]:
    """The other side: the debtor of money coming in, the creditor of money going out."""
    role = "Dbtr" if credit else "Cdtr"
    name = reader.text(detail, f"c:RltdPties/c:{role}/c:Nm", f"c:RltdPties/c:{role}/c:Pty/c:Nm")
    account = reader.text(detail, f"c:RltdPties/c:{role}Acct/c:Id/c:IBAN")
    return name, account if account and references.is_valid_iban(account) else None


def _remittance(reader: _Reader, node: etree._Element) -> str | None:
    parts = [
        " ".join((found.text or "").split())
        for found in reader.all(node, "c:RmtInf/c:Ustrd | c:RmtInf/c:Strd/c:AddtlRmtInf")
    ]
    text = " ".join(part for part in parts if part)
    return text or reader.text(node, "c:AddtlTxInf")


def _transaction_code(reader: _Reader, node: etree._Element) -> str | None:
    domain = [
        reader.text(node, "c:BkTxCd/c:Domn/c:Cd"),
        reader.text(node, "c:BkTxCd/c:Domn/c:Fmly/c:Cd"),
        reader.text(node, "c:BkTxCd/c:Domn/c:Fmly/c:SubFmlyCd"),
    ]
    if all(domain):
        return "/".join(domain)  # type: ignore[arg-type]
    return reader.text(node, "c:BkTxCd/c:Prtry/c:Cd")


def _detail_amount(reader: _Reader, detail: etree._Element, source: str) -> tuple | None:
    for path in ("c:Amt", "c:AmtDtls/c:TxAmt/c:Amt"):
        for node in reader.all(detail, path):
            amount = decimal_amount(node.text, source, f"line {node.sourceline}: amount")
            indicator = reader.text(detail, "c:CdtDbtInd")
            return amount, node.get("Ccy") or "", indicator
    return None


def _entry_rows(
    reader: _Reader, entry: etree._Element, index: int, source: str, result: ParseResult
) -> list[Entry]:
    signed, currency, credit = _signed(reader, entry, source)
    details = reader.all(entry, "c:NtryDtls/c:TxDtls")
    amounts = [_detail_amount(reader, detail, source) for detail in details]
    split = len(details) > 1 and all(amounts)
    common = {
        "entry_index": index,
        "credit_debit": "credit" if credit else "debit",
        "is_reversal": reader.text(entry, "c:RvslInd") == "true",
        "entry_amount": signed,
        "booking_date": _date(reader, entry, "c:BookgDt", source),
        "value_date": _date(reader, entry, "c:ValDt", source),
        "entry_status": reader.text(entry, "c:Sts/c:Cd", "c:Sts"),
    }
    rows = []
    for position, detail in enumerate(details if split else details[:1] or [entry]):
        amount, row_currency = signed, currency
        if split:
            detail_amount, row_currency, indicator = amounts[position]
            amount = detail_amount if credit else -detail_amount
            if indicator and indicator != ("CRDT" if credit else "DBIT"):
                result.warnings.append(
                    f"{source}: line {detail.sourceline}: detail CdtDbtInd {indicator} "
                    "contradicts its entry; the entry's sign is kept"
                )
        name, iban = _party(reader, detail, credit)
        end_to_end = reader.text(detail, "c:Refs/c:EndToEndId")
        rows.append(
            Entry(
                **common,
                detail_index=position + 1 if split else 0,
                source_row=detail.sourceline if split else entry.sourceline,
                amount=amount,
                currency=row_currency,
                transaction_code=_transaction_code(reader, detail)
                or _transaction_code(reader, entry),
                counterparty_name=name,
                counterparty_iban=iban,
                remittance_text=_remittance(reader, detail) or reader.text(entry, "c:AddtlNtryInf"),
                structured_reference=reader.text(detail, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref"),
                reference_issuer=reader.text(detail, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Tp/c:Issr"),
                end_to_end_id=None if end_to_end == "NOTPROVIDED" else end_to_end,
                bank_reference=reader.text(entry, "c:AcctSvcrRef", "c:NtryRef")
                or reader.text(detail, "c:Refs/c:AcctSvcrRef"),
                return_reason=reader.text(detail, "c:RtrInf/c:Rsn/c:Cd"),
            )
        )
    return rows


def _statement(
    reader: _Reader, record: etree._Element, kind: str, source: str, result: ParseResult
) -> Statement:
    account, iban = _account(reader, record)
    balances = _balances(reader, record, source)
    opening = next((balances[code] for code in OPENING_CODES if code in balances), None)
    closing = next((balances[code] for code in CLOSING_CODES if code in balances), None)
    statement = Statement(
        statement_id=reader.text(record, "c:Id"),
        statement_format=kind,
        account_id=account,
        account_iban=iban,
        currency=reader.text(record, "c:Acct/c:Ccy") or (closing.currency if closing else None),
        source_row=record.sourceline,
        opening=opening,
        closing=closing if opening else None,
    )
    for index, entry in enumerate(reader.all(record, "c:Ntry"), start=1):
        try:
            statement.entries.extend(_entry_rows(reader, entry, index, source, result))
        except ParseError as error:
            result.rejected.append(
                Rejected(BANK_TRANSACTIONS.name, entry.sourceline, error.problem)
            )
    return statement


def parse_camt(data: bytes, source: str) -> ParseResult:
    """Every statement (report, notification) in one camt.05x file, with its entries."""
    root = _parse_xml(data, source)
    message, version, namespace = _dispatch(root, source)
    reader = _Reader(namespace)
    records = reader.all(root, f"c:*/c:{RECORD_ELEMENT[message]}")
    if not records:
        raise ParseError(
            source, f"camt.{message} message without any {RECORD_ELEMENT[message]} element"
        )
    kind = f"camt.{message}.001.{version:02d}"
    result = ParseResult()
    for record in records:
        result.extend(statement_rows(_statement(reader, record, kind, source, result), source))
    return result
