"""Property-based tests of the ERP XML parsers: never a wrong number.

XAF auditfiles and UBL invoices are generated with drawn amounts, sides, currencies, dates and
type codes; the parsed rows must hold exactly the drawn values. An amount or a date that is not
written the way XML writes one (xs:decimal, xs:date) is refused, never read as something else.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.connectors.erp.ubl import parse_ubl
from dagster_project.connectors.erp.xaf import parse_xaf
from dagster_project.connectors.parsed import ParseError

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

amounts = st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2)
signed_amounts = st.decimals(
    min_value=Decimal("-999999999999.99"), max_value=Decimal("999999999999.99"), places=2
)
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))
# An xs:decimal may carry a sign, leading and trailing zeros and surrounding white space.
LEXICAL = {
    "plain": lambda text: text,
    "trailing zeros": lambda text: text + ("00" if "." in text else ".00"),
    "leading zeros": lambda text: text.replace(text.lstrip("+-"), "00" + text.lstrip("+-")),
    "plus sign": lambda text: text if text.startswith("-") else "+" + text,
    "white space": lambda text: f"\n  {text} ",
}
# An xs:date may carry a time zone; some exports write a date-time where a date belongs.
DATE_SUFFIXES = ("", "Z", "+02:00", "-05:00", "T00:00:00")
# Text that Python's Decimal or date.fromisoformat would read, but that is not an XML amount
# or date: a decimal comma (1,000 is a thousand or one?), an exponent, digit grouping, other
# scripts' digits, a unit, trailing garbage.
NOT_AN_AMOUNT = ("1,000", "1.000,00", "1e3", "1E+3", "1_000", "١٢٣", "12.50 EUR", "1.2.3", "NaN")
NOT_A_DATE = ("2024-01-0512", "2024-01-05x", "2024-01-05 EUR", "05-01-2024", "2024-1-5")
PEPPOL = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
FOREIGN = st.sampled_from(["USD", "GBP", "CHF", "JPY"])


def written(amount: Decimal, form: str) -> str:
    return LEXICAL[form](format(amount, "f"))


XAF_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<auditfile xmlns="http://www.auditfiles.nl/XAF/3.2"><header><curCode>EUR</curCode></header>
<company><customersSuppliers><customerSupplier><custSupID>C1</custSupID>
<custSupName>Klant</custSupName><custSupTp>C</custSupTp>{limit}</customerSupplier>
</customersSuppliers><transactions>"""
XAF_TAIL = "</transactions></company></auditfile>"


def xaf_line(tag: str, number: int, amount: str, side: str, day: str, foreign: str) -> str:
    return (
        f"<{tag}><nr>{number}</nr><jrnID>J</jrnID><trNr>{number}</trNr><trLineNr>1</trLineNr>"
        f"<amnt>{amount}</amnt><amntTp>{side}</amntTp><custSupID>C1</custSupID>"
        f"<invRef>F{number}</invRef><invPurSalTp>S</invPurSalTp><effDate>{day}</effDate>"
        f"<invDt>{day}</invDt><invDueDt>{day}</invDueDt><mutTp>{{mut}}</mutTp>{foreign}</{tag}>"
    )


xaf_lines = st.lists(
    st.fixed_dictionaries(
        {
            "amount": amounts,
            "form": st.sampled_from(sorted(LEXICAL)),
            "side": st.sampled_from("DC"),
            "is_payment": st.booleans(),
            "day": dates,
            "date_suffix": st.sampled_from(DATE_SUFFIXES),
            "foreign": st.none() | st.tuples(FOREIGN, amounts),
        }
    ),
    min_size=1,
    max_size=5,
)


def xaf_file(lines: list[dict], layout: str, limit: str | None) -> bytes:
    """An auditfile holding the lines in a CS or CU sub-ledger, or in sales and bank journals."""
    rendered = []
    for number, line in enumerate(lines, start=1):
        foreign = ""
        if line["foreign"]:
            code, amount = line["foreign"]
            foreign = f"<currency><curCode>{code}</curCode><curAmnt>{amount:f}</curAmnt></currency>"
        tag = "trLine" if layout == "journals" else "sbLine"
        text = xaf_line(tag, number, written(line["amount"], line["form"]), line["side"],
                        line["day"].isoformat() + line["date_suffix"], foreign)  # fmt: skip
        rendered.append(text.replace("{mut}", "P" if line["is_payment"] else "I"))
    if layout == "journals":
        journals = {"S": "", "B": ""}
        for line, text in zip(lines, rendered, strict=True):
            kind = "B" if line["is_payment"] else "S"
            journals[kind] += f"<transaction><nr>1</nr>{text}</transaction>"
        body = "".join(
            f"<journal><jrnID>{kind}</jrnID><jrnTp>{kind}</jrnTp>{content}</journal>"
            for kind, content in journals.items()
        )
    else:
        body = f"<subledgers><subledger><sbType>{layout}</sbType>{''.join(rendered)}"
        body += "</subledger></subledgers>"
    credit_limit = "" if limit is None else f"<custCreditLimit>{limit}</custCreditLimit>"
    return (XAF_HEAD.format(limit=credit_limit) + body + XAF_TAIL).encode()


@FAST
@given(
    lines=xaf_lines,
    layout=st.sampled_from(["CS", "CU", "journals"]),
    limit=st.none() | amounts,
    limit_form=st.sampled_from(sorted(LEXICAL)),
)
def test_xaf_amounts_sides_currencies_and_dates_are_exact(lines, layout, limit, limit_form):
    data = xaf_file(lines, layout, None if limit is None else written(limit, limit_form))
    result = parse_xaf(data, "gen.xaf")

    assert not result.rejected
    [customer] = result.table("customers")
    assert customer["credit_limit"] == limit
    expected_documents, expected_allocations = [], []
    for number, line in enumerate(lines, start=1):
        # A line in a foreign currency is kept in that currency: curAmnt, not amnt.
        currency, amount = line["foreign"] or ("EUR", line["amount"])
        if line["is_payment"]:
            paid = -amount if line["side"] == "D" else amount
            expected_allocations.append((f"F{number}", paid, currency, line["day"]))
        else:
            kind = "invoice" if line["side"] == "D" else "credit_note"
            expected_documents.append((f"F{number}", kind, amount, currency, line["day"]))
    documents = [
        (row["document_number"], row["document_type"], row["amount"], row["currency"],
         row["issue_date"])
        for row in result.table("documents")
    ]  # fmt: skip
    allocations = [
        (row["document_id"], row["amount"], row["currency"], row["booked_date"])
        for row in result.table("allocations")
    ]
    # The journal layout lists sales lines before bank lines; the order within each holds.
    assert documents == expected_documents
    assert allocations == expected_allocations
    assert [row["due_date"] for row in result.table("documents")] == [
        line["day"] for line in lines if not line["is_payment"]
    ]


@FAST
@given(
    bad=st.sampled_from(NOT_AN_AMOUNT + NOT_A_DATE),
    field=st.sampled_from(["amnt", "curAmnt", "invDt", "invDueDt", "custCreditLimit"]),
    layout=st.sampled_from(["CS", "CU"]),
)
def test_xaf_a_malformed_amount_or_date_is_refused_never_read(bad, field, layout):
    line = {
        "amount": Decimal("12.50"), "form": "plain", "side": "D", "is_payment": False,
        "day": date(2024, 1, 5), "date_suffix": "", "foreign": ("USD", Decimal("13.75")),
    }  # fmt: skip
    data = xaf_file([line], layout, "1000.00").decode()
    tag = f"<{field}>"
    start = data.index(tag) + len(tag)
    data = data[:start] + bad + data[data.index(f"</{field}>", start) :]
    is_date = field in ("invDt", "invDueDt")
    if (bad in NOT_A_DATE) != is_date:
        return  # an amount in a date field is caught by the date checks, tested elsewhere

    result = parse_xaf(data.encode(), "bad.xaf")

    refused = [item.reason for item in result.rejected]
    assert len(refused) == 1 and repr(bad) in refused[0]
    if field == "custCreditLimit":
        assert result.table("customers") == [] and len(result.table("documents")) == 1
    else:
        assert result.table("documents") == [] and len(result.table("customers")) == 1


def ubl_file(
    root: str, code: str, amount: str, currency: str, issued: str, due: date | None, paid_by: str
) -> bytes:
    type_element = "InvoiceTypeCode" if root == "Invoice" else "CreditNoteTypeCode"
    # An invoice states its due date itself, a credit note in its payment means.
    due_xml = f"<cbc:DueDate>{due}</cbc:DueDate>" if due and root == "Invoice" else ""
    means_due = f"<cbc:PaymentDueDate>{due}</cbc:PaymentDueDate>" if due and not due_xml else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:CustomizationID>{PEPPOL}</cbc:CustomizationID>
<cbc:ID>INV-1</cbc:ID><cbc:IssueDate>{issued}</cbc:IssueDate>{due_xml}
<cbc:{type_element}>{code}</cbc:{type_element}>
<cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>
<cac:AccountingCustomerParty><cac:Party><cac:PartyIdentification><cbc:ID>K1</cbc:ID>
</cac:PartyIdentification></cac:Party></cac:AccountingCustomerParty>
<cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>{means_due}
<cbc:PaymentID>{paid_by}</cbc:PaymentID></cac:PaymentMeans>
<cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="{currency}">{amount}</cbc:PayableAmount>
</cac:LegalMonetaryTotal></{root}>""".encode()


@FAST
@given(
    root=st.sampled_from(["Invoice", "CreditNote"]),
    code=st.sampled_from(["380", "381", "383", "384", "389", "396", "532", "751"]),
    amount=signed_amounts,
    form=st.sampled_from(sorted(LEXICAL)),
    currency=st.sampled_from(["EUR", "SEK", "NOK", "USD"]),
    issued=dates,
    suffix=st.sampled_from(DATE_SUFFIXES),
    due_days=st.none() | st.integers(min_value=0, max_value=365),
    paid_by=st.from_regex(r"[A-Z0-9+/ -]{1,20}", fullmatch=True).map(str.strip).filter(bool),
)
def test_ubl_type_amount_currency_dates_and_payment_id_are_exact(
    root, code, amount, form, currency, issued, suffix, due_days, paid_by
):
    due = None if due_days is None else issued + timedelta(days=due_days)
    data = ubl_file(root, code, written(amount, form), currency, issued.isoformat() + suffix,
                    due, paid_by)  # fmt: skip

    [document] = parse_ubl(data, "gen.xml").table("documents")

    expected_type = "invoice"
    if root == "CreditNote" or code in ("381", "396", "532"):
        expected_type = "credit_note"
    elif code == "383":
        expected_type = "debit_note"
    assert document["document_type"] == expected_type
    assert document["amount"] == amount  # as printed: a negative invoice stays negative
    assert (document["currency"], document["issue_date"], document["due_date"]) == (
        currency, issued, due,
    )  # fmt: skip
    assert document["payment_reference"] == paid_by


@pytest.mark.parametrize("bad", NOT_AN_AMOUNT + NOT_A_DATE)
def test_ubl_a_malformed_amount_or_date_is_refused_never_read(bad):
    amount, issued = ("1.00", bad) if bad in NOT_A_DATE else (bad, "2024-01-05")
    with pytest.raises(ParseError, match=r"^bad\.xml: ") as error:
        parse_ubl(ubl_file("Invoice", "380", amount, "EUR", issued, None, "P1"), "bad.xml")
    assert repr(bad) in str(error.value)
