"""UBL 2.1 invoices and credit notes (Peppol BIS 3, NLCIUS, SI-UBL) into documents and
customers.

The type follows the type code, not the root element: an Invoice with code 381 is a credit
note. Amounts stay as printed (a negative invoice is an invoice with a negative amount, D2).
The payment id of the payment means becomes the document's payment reference. NLCIUS rule
BR-NL-2 (a buyer reference or an order reference) is enforced on NLCIUS documents.
"""

from __future__ import annotations

from lxml import etree

from dagster_project.connectors.parsed import (
    ParseError,
    ParseResult,
    Rejected,
    Row,
    decimal_amount,
    iso_date,
)
from dagster_project.contract import CUSTOMERS, DOCUMENTS

UBL = "urn:oasis:names:specification:ubl:schema:xsd:"
NS = {
    "cbc": UBL + "CommonBasicComponents-2",
    "cac": UBL + "CommonAggregateComponents-2",
}
CREDIT_NOTE_CODES = {"381", "396", "532"}
DEBIT_NOTE_CODES = {"383"}
CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
CUSTOMER = "cac:AccountingCustomerParty/cac:Party"


def _text(node: etree._Element, *paths: str) -> str | None:
    for path in paths:
        found = node.find(path, NS)
        if found is not None and (found.text or "").strip():
            return found.text.strip()
    return None


def _root(data: bytes, source: str) -> tuple[etree._Element, str]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        root = etree.fromstring(data.removeprefix(b"\xef\xbb\xbf"), parser)
    except etree.XMLSyntaxError as error:
        raise ParseError(source, f"not well-formed XML: {error}") from None
    name = etree.QName(root)
    if name.namespace == CII:
        raise ParseError(source, "UN/CEFACT CII syntax, not UBL: convert it or add a CII reader")
    if name.localname not in ("Invoice", "CreditNote") or not (name.namespace or "").startswith(
        UBL
    ):
        raise ParseError(source, f"not a UBL Invoice or CreditNote (root {root.tag!r})")
    return root, name.localname


def _document_type(root: etree._Element, kind: str) -> str:
    code = _text(root, "cbc:InvoiceTypeCode", "cbc:CreditNoteTypeCode")
    if kind == "CreditNote" or code in CREDIT_NOTE_CODES:
        return "credit_note"
    return "debit_note" if code in DEBIT_NOTE_CODES else "invoice"


def _customer_id(root: etree._Element) -> str | None:
    return _text(
        root,
        f"{CUSTOMER}/cac:PartyIdentification/cbc:ID",
        f"{CUSTOMER}/cac:PartyLegalEntity/cbc:CompanyID",
        f"{CUSTOMER}/cbc:EndpointID",
        f"{CUSTOMER}/cac:PartyTaxScheme/cbc:CompanyID",
        f"{CUSTOMER}/cac:PartyName/cbc:Name",
    )


def _customer(root: etree._Element, customer_id: str) -> Row:
    return Row(
        CUSTOMERS.name,
        root.sourceline,
        {
            "customer_id": customer_id,
            "customer_name": _text(
                root,
                f"{CUSTOMER}/cac:PartyLegalEntity/cbc:RegistrationName",
                f"{CUSTOMER}/cac:PartyName/cbc:Name",
            ),
            "customer_type": "b2b",
            "country_code": _text(
                root, f"{CUSTOMER}/cac:PostalAddress/cac:Country/cbc:IdentificationCode"
            ),
            "email": _text(root, f"{CUSTOMER}/cac:Contact/cbc:ElectronicMail"),
            "phone": _text(root, f"{CUSTOMER}/cac:Contact/cbc:Telephone"),
        },
    )


def _br_nl_2(root: etree._Element) -> str | None:
    customization = _text(root, "cbc:CustomizationID") or ""
    has_reference = _text(root, "cbc:BuyerReference", "cac:OrderReference/cbc:ID")
    if "nlcius" in customization and not has_reference:
        return "BR-NL-2: NLCIUS requires a BuyerReference or an OrderReference"
    return None


def parse_ubl(data: bytes, source: str) -> ParseResult:
    """One invoice or credit note: its document row and its customer row."""
    root, kind = _root(data, source)
    number = _text(root, "cbc:ID")
    customer_id = _customer_id(root)
    amount_text = _text(
        root, "cac:LegalMonetaryTotal/cbc:PayableAmount",
        "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount",
    )  # fmt: skip
    if amount_text is None:
        raise ParseError(source, "no LegalMonetaryTotal/PayableAmount")
    document = {
        "document_id": number,
        "document_type": _document_type(root, kind),
        "document_number": number,
        "customer_id": customer_id,
        "issue_date": iso_date(_text(root, "cbc:IssueDate") or "", source),
        "due_date": _due_date(root, source),
        "currency": _text(root, "cbc:DocumentCurrencyCode"),
        "amount": decimal_amount(amount_text, source, "PayableAmount"),
        "payment_reference": _text(root, "cac:PaymentMeans/cbc:PaymentID"),
        "applies_to_document_id": _text(
            root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"
        ),
        "is_disputed": False,
    }
    result = ParseResult()
    problem = _br_nl_2(root)
    if problem:
        result.rejected.append(Rejected(DOCUMENTS.name, root.sourceline, problem, document))
    else:
        result.rows.append(Row(DOCUMENTS.name, root.sourceline, document))
    if customer_id:
        result.rows.append(_customer(root, customer_id))
    return result


def _due_date(root: etree._Element, source: str):
    value = _text(root, "cbc:DueDate", "cac:PaymentMeans/cbc:PaymentDueDate")
    return iso_date(value, source) if value else None
