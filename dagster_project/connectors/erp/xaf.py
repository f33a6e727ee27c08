"""Dutch XML Auditfile Financieel 3.2 (Exact, Unit4, AFAS, ...): customers, open items and
payments into the canonical customers, documents and allocations tables.

Open items come from the customer sub-ledger (`subledgers/subledger/sbLine`, type CS in the
reference example and CU in vendor exports): mutation type I is a document (debit = invoice,
credit = credit note), P a payment. `amnt` is in the file's currency; a line with a `currency`
block is kept in that foreign currency (curAmnt in curCode). A file without sub-ledgers is
rebuilt from the transaction lines that name a customer: sales journals give documents, bank and
cash journals payments.
XAF does not say whether a customer is a company or a consumer: the source config says so.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from dagster_project.connectors import references
from dagster_project.connectors.parsed import (
    ParseError,
    ParseResult,
    Rejected,
    Row,
    decimal_amount,
    iso_date,
)
from dagster_project.contract import ALLOCATIONS, CUSTOMERS, DOCUMENTS

NAMESPACE = "http://www.auditfiles.nl/XAF/3.2"
CUSTOMER_LEDGERS = ("CS", "CU")
CUSTOMER_TYPES = ("C", "B")  # customer, or both customer and supplier
PAYMENT_JOURNALS = ("B", "C")  # bank, cash
NS = {"x": NAMESPACE}


def _text(node: etree._Element, path: str) -> str | None:
    found = node.find(path, NS)
    value = (found.text or "").strip() if found is not None else ""
    return value or None


def _parse_xml(data: bytes, source: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True,
                             huge_tree=True)  # fmt: skip
    try:
        root = etree.fromstring(data.removeprefix(b"\xef\xbb\xbf"), parser)
    except etree.XMLSyntaxError as error:
        raise ParseError(source, f"not well-formed XML: {error}") from None
    if etree.QName(root).namespace != NAMESPACE or etree.QName(root).localname != "auditfile":
        raise ParseError(source, f"not an XAF 3.2 auditfile (root {root.tag!r})")
    return root


def _customers(root: etree._Element, customer_type: str, source: str, result: ParseResult) -> None:
    for node in root.iterfind(".//x:customersSuppliers/x:customerSupplier", NS):
        if _text(node, "x:custSupTp") not in CUSTOMER_TYPES:
            continue
        account = _text(node, "x:bankAccount/x:bankAccNr")
        limit = _text(node, "x:custCreditLimit")
        try:
            credit_limit = decimal_amount(limit, source, "custCreditLimit") if limit else None
        except ParseError as error:
            result.rejected.append(Rejected(CUSTOMERS.name, node.sourceline, error.problem))
            continue
        result.rows.append(
            Row(
                CUSTOMERS.name,
                node.sourceline,
                {
                    "customer_id": _text(node, "x:custSupID"),
                    "customer_name": _text(node, "x:custSupName"),
                    "customer_type": customer_type,
                    "country_code": _text(node, "x:streetAddress/x:country")
                    or _text(node, "x:taxRegistrationCountry"),
                    "email": _text(node, "x:eMail"),
                    "phone": _text(node, "x:telephone"),
                    "iban": account if account and references.is_valid_iban(account) else None,
                    "credit_limit": credit_limit,
                },
            )
        )


def _signed(node: etree._Element, currency: str, source: str) -> tuple[Decimal, str, bool]:
    """(amount, currency, is_debit): the amount as printed, its side from amntTp.

    A line in a foreign currency gives curAmnt in curCode; amnt (in the file's currency) must
    still be a valid amount.
    """
    where = f"line {node.sourceline}"
    amount = decimal_amount(_text(node, "x:amnt"), source, f"{where}: amnt")
    side = _text(node, "x:amntTp")
    if side not in ("D", "C"):
        raise ParseError(source, f"{where}: amntTp {side!r} is not D or C")
    foreign = _text(node, "x:currency/x:curCode")
    if foreign:
        amount = decimal_amount(_text(node, "x:currency/x:curAmnt"), source, f"{where}: curAmnt")
        currency = foreign
    return amount, currency, side == "D"


def _document(node: etree._Element, currency: str, source: str, issue: str | None) -> Row:
    amount, currency, is_debit = _signed(node, currency, source)
    reference = _text(node, "x:invRef") or _text(node, "x:docRef")
    due = _text(node, "x:invDueDt")
    return Row(
        DOCUMENTS.name,
        node.sourceline,
        {
            "document_id": reference,
            "document_type": "invoice" if is_debit else "credit_note",
            "document_number": reference,
            "customer_id": _text(node, "x:custSupID"),
            "issue_date": iso_date(issue, source) if issue else None,
            "due_date": iso_date(due, source) if due else None,
            "currency": currency,
            "amount": amount,
            "payment_reference": None,
        },
    )


def _allocation(node: etree._Element, currency: str, source: str, booked: str | None) -> Row:
    amount, currency, is_debit = _signed(node, currency, source)
    invoice = _text(node, "x:invRef")
    key = ":".join(
        filter(None, (_text(node, "x:jrnID"), _text(node, "x:trNr"), _text(node, "x:trLineNr")))
    )
    return Row(
        ALLOCATIONS.name,
        node.sourceline,
        {
            "allocation_id": key or _text(node, "x:nr"),
            "customer_id": _text(node, "x:custSupID"),
            "document_id": None if invoice in (None, "0") else invoice,
            "amount": -amount if is_debit else amount,  # a credit on the debtor is cash in
            "currency": currency,
            "booked_date": iso_date(booked, source) if booked else None,
            "method": None,
            "source": "erp",
        },
    )


def _from_subledgers(root: etree._Element, currency: str, source: str, result: ParseResult) -> None:
    for ledger in root.iterfind(".//x:subledgers/x:subledger", NS):
        kind = _text(ledger, "x:sbType")
        if kind not in CUSTOMER_LEDGERS:
            continue
        for line in ledger.iterfind("x:sbLine", NS):
            if kind == "CU" and _text(line, "x:invPurSalTp") == "P":
                continue  # Exact's CU ledger holds suppliers' purchase lines too
            is_payment = _text(line, "x:mutTp") == "P"
            read = _allocation if is_payment else _document
            try:
                result.rows.append(read(line, currency, source, _text(line, "x:invDt")))
            except ParseError as error:
                table = ALLOCATIONS.name if is_payment else DOCUMENTS.name
                result.rejected.append(Rejected(table, line.sourceline, error.problem))


def _from_transactions(
    root: etree._Element, currency: str, source: str, result: ParseResult
) -> None:
    customers = {row.values["customer_id"] for row in result.rows if row.table == CUSTOMERS.name}
    for journal in root.iterfind(".//x:journal", NS):
        payments = _text(journal, "x:jrnTp") in PAYMENT_JOURNALS
        for line in journal.iterfind("x:transaction/x:trLine", NS):
            if _text(line, "x:custSupID") not in customers:
                continue
            try:
                booked = _text(line, "x:effDate")
                row = (_allocation if payments else _document)(line, currency, source, booked)
                result.rows.append(row)
            except ParseError as error:
                table = ALLOCATIONS.name if payments else DOCUMENTS.name
                result.rejected.append(Rejected(table, line.sourceline, error.problem))


def parse_xaf(data: bytes, source: str, customer_type: str = "b2b") -> ParseResult:
    """Customers, open items and payments of one auditfile."""
    root = _parse_xml(data, source)
    currency = _text(root, "x:header/x:curCode") or "EUR"
    result = ParseResult()
    _customers(root, customer_type, source, result)
    if root.find(".//x:subledgers/x:subledger", NS) is not None:
        _from_subledgers(root, currency, source, result)
    else:
        result.warnings.append(f"{source}: no sub-ledgers; open items rebuilt from journal lines")
        _from_transactions(root, currency, source, result)
    return result
