"""Bank parsers on every public sample, the reversal and sign cases C13 and C14, references."""

from __future__ import annotations

from decimal import Decimal

import pytest
from connector_samples import CAMT, MT940, sample_files

from dagster_project.connectors import references
from dagster_project.connectors.bank.camt import parse_camt
from dagster_project.connectors.bank.mt94x import parse_mt94x
from dagster_project.connectors.parsed import ParseError

C13 = b"""\
:20:STMT2401
:25:DE00123456780001234567
:28C:1/1
:60F:C240115EUR1000,00
:61:2401150115C204,88NTRFNONREF
:86:INV-231 payment
:61:2401160116RC204,88NTRFNONREF
:86:STORNO INV-231 payment
:61:2401160116DR800,00N003NONREF
:61:2401160116RDR800,00N068NONREF
:61:2401170117CR50,00NTRFNONREF
:62F:C240117EUR1050,00
"""


def camt053(entries: str, balances: str) -> bytes:
    """A minimal camt.053.001.02 statement around the given Bal and Ntry elements."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt><GrpHdr><MsgId>C14</MsgId><CreDtTm>2024-02-01T10:00:00</CreDtTm></GrpHdr>
<Stmt><Id>C14-1</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>
{balances}{entries}</Stmt></BkToCstmrStmt></Document>""".encode()


def balance(code: str, amount: str, sign: str) -> str:
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy='EUR'>{amount}</Amt>"
        f"<CdtDbtInd>{sign}</CdtDbtInd><Dt><Dt>2024-02-01</Dt></Dt></Bal>"
    )


def entry(amount: str, sign: str, text: str, reversal: str = "", ref: str = "") -> str:
    reversal_xml = f"<RvslInd>{reversal}</RvslInd>" if reversal else ""
    strd = f"<Strd><CdtrRefInf><Ref>{ref}</Ref></CdtrRefInf></Strd>" if ref else ""
    return (
        f"<Ntry><Amt Ccy='EUR'>{amount}</Amt><CdtDbtInd>{sign}</CdtDbtInd>{reversal_xml}"
        f"<Sts>BOOK</Sts><BookgDt><Dt>2024-02-01</Dt></BookgDt><NtryDtls><TxDtls>"
        f"<RmtInf><Ustrd>{text}</Ustrd>{strd}</RmtInf></TxDtls></NtryDtls></Ntry>"
    )


C14 = camt053(
    entry("120.00", "CRDT", "INV-241")
    + entry("35.00", "DBIT", "bank fee")
    + entry("120.00", "DBIT", "return of INV-241 payment", reversal="true"),
    balance("OPBD", "500.00", "CRDT") + balance("CLBD", "465.00", "CRDT"),
)


def test_c13_mt940_reversal_marks_and_funds_codes():
    result = parse_mt94x(C13, "c13.sta")
    lines = result.table("bank_transactions")

    assert [line["amount"] for line in lines] == [
        Decimal("204.88"), Decimal("-204.88"), Decimal("-800.00"), Decimal("800.00"),
        Decimal("50.00"),
    ]  # fmt: skip
    assert [line["is_reversal"] for line in lines] == [False, True, False, True, False]
    assert [line["credit_debit"] for line in lines] == [
        "credit",
        "debit",
        "debit",
        "credit",
        "credit",
    ]
    [statement] = result.table("bank_statements")
    assert statement["opening_balance"] == Decimal("1000.00")
    assert statement["closing_balance"] == Decimal("1050.00")
    assert statement["entries_total"] == Decimal("50.00")
    assert statement["is_tied_out"] is True
    assert lines[1]["remittance_text"] == "STORNO INV-231 payment"


def test_c13_wrong_closing_balance_is_reported_not_rejected():
    result = parse_mt94x(C13.replace(b"1050,00", b"1459,76"), "c13-wrong.sta")

    [statement] = result.table("bank_statements")
    assert statement["is_tied_out"] is False
    assert statement["tie_out_difference"] == Decimal("-409.76")
    assert any("does not tie out" in warning for warning in result.warnings)
    assert len(result.table("bank_transactions")) == 5


def test_c14_camt_sign_follows_cdtdbtind_even_for_a_reversal():
    result = parse_camt(C14, "c14.xml")
    lines = result.table("bank_transactions")

    assert [line["amount"] for line in lines] == [
        Decimal("120.00"), Decimal("-35.00"), Decimal("-120.00"),
    ]  # fmt: skip
    assert [line["is_reversal"] for line in lines] == [False, False, True]
    [statement] = result.table("bank_statements")
    assert statement["is_tied_out"] is True
    assert statement["account_iban"] == "NL91ABNA0417164300"


def test_c14_a_closing_balance_that_does_not_tie_is_reported():
    # 225.00 is what an all-debit import would have produced.
    result = parse_camt(C14.replace(b">465.00<", b">225.00<"), "c14.xml")
    [statement] = result.table("bank_statements")
    assert statement["tie_out_difference"] == Decimal("240.00")
    assert any("c14.xml: statement C14-1 does not tie out" in w for w in result.warnings)


def test_camt_debit_balance_is_negative_and_decimals_are_kept():
    data = camt053(
        entry("0.123456", "CRDT", "tiny"),
        balance("OPBD", "10.00", "DBIT") + balance("CLBD", "9.876544", "DBIT"),
    )
    result = parse_camt(data, "decimals.xml")
    [statement] = result.table("bank_statements")
    assert statement["opening_balance"] == Decimal("-10.00")
    assert statement["is_tied_out"] is True
    assert result.table("bank_transactions")[0]["amount"] == Decimal("0.123456")


@pytest.mark.parametrize("path", sample_files(CAMT, ".xml"), ids=lambda path: path.name)
def test_every_camt_sample_is_read(path):
    if "wrong" in path.name:
        with pytest.raises(ParseError, match=r"camt053\.v2\.wrong\.xml: .*without any Stmt"):
            parse_camt(path.read_bytes(), path.name)
        return
    result = parse_camt(path.read_bytes(), path.name)
    assert result.table("bank_statements")
    assert result.table("bank_transactions")
    assert not result.rejected


def test_camt_samples_specific_values():
    minimal = parse_camt((CAMT / "camt053-genkgo/camt053.v2.minimal.xml").read_bytes(), "m")
    [line] = minimal.table("bank_transactions")
    assert line["amount"] == Decimal("8.85")
    assert line["counterparty_name"] == "NAME NAME"
    assert line["counterparty_iban"] == "NL56AGDH9619008421"
    assert line["structured_reference"] == "4654654654654654"
    assert line["reference_type"] == "other"  # issuer BBA: not a Dutch betalingskenmerk

    multi = parse_camt((CAMT / "camt053-genkgo/camt053.v2.multi.statement.xml").read_bytes(), "x")
    statements = multi.table("bank_statements")
    assert [s["statement_id"] for s in statements] == [
        "253EURNL26VAYB8060476890", "254EURNL26VAYB8060476890",
    ]  # fmt: skip
    assert all(s["is_tied_out"] for s in statements)
    assert [line["amount"] for line in multi.table("bank_transactions")] == [
        Decimal("8.85"), Decimal("-7.00"),
    ]  # fmt: skip

    batch = parse_camt((CAMT / "camt054-genkgo/camt054.v8.xml").read_bytes(), "b")
    details = batch.table("bank_transactions")
    assert [d["detail_index"] for d in details] == [1, 2, 3]
    assert [d["amount"] for d in details] == [Decimal("-3.1"), Decimal("-3.2"), Decimal("-3.2")]
    assert {d["entry_amount"] for d in details} == {Decimal("-200000")}
    assert details[0]["end_to_end_id"] == "UXC06170000006PI00001EE00001"

    pending = parse_camt((CAMT / "camt052-genkgo/camt052.v4.xml").read_bytes(), "p")
    assert pending.table("bank_transactions")[0]["entry_status"] == "PDNG"
    assert pending.table("bank_statements")[0]["entries_total"] == 0


def test_camt_unknown_namespace_and_broken_xml_name_the_file():
    with pytest.raises(ParseError, match=r"pain\.xml: not a camt"):
        parse_camt(
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"/>', "pain.xml"
        )
    with pytest.raises(ParseError, match=r"half\.xml: not well-formed XML"):
        parse_camt(b"<Document><BkToCstmrStmt>", "half.xml")
    with pytest.raises(ParseError, match=r"v9\.xml: camt\.053\.001\.09 is not a supported"):
        parse_camt(b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.09"/>', "v9.xml")


def test_camt_entry_without_indicator_is_refused_alone():
    data = camt053(entry("1.00", "CRDT", "ok") + entry("2.00", "XXXX", "bad"), "")
    result = parse_camt(data, "bad-entry.xml")
    assert len(result.table("bank_transactions")) == 1
    [refused] = result.rejected
    assert "CdtDbtInd" in refused.reason


# file -> (statements, lines, statements that tie out)
MT940_EXPECTED = {
    "sample": (1, 30, 1),
    "ibp-structured-ing-provided-example.txt": (1, 3, 1),
    "ibp-unstructured-ing-provided-example.txt": (1, 5, 1),
    "ming-from-spec.txt": (1, 8, 1),
    "ming-ing-provided-example-multiple-messages.txt": (2, 2, 0),
    "ming-ing-provided-example-single-message.txt": (1, 9, 0),
    "0708271685_09022020_164516.940.txt": (31, 8, 31),
    "sepa_snippet.sta": (2, 11, 1),
    "abnamro.sta": (2, 10, 0),
    "rabobank.sta": (4, 5, 2),
    "mt942.sta": (1, 3, 0),
    "sparkassen.sta": (1, 1, 0),
    "abn_sepa_incasso_doorlopend.txt": (1, 1, 0),
    "abn_structured_sepa_acceptgiro.txt": (1, 1, 0),
    "abn_structured_sepa_ideal.txt": (1, 1, 0),
    "anb_sepa_overboeking_belastingdienst.txt": (1, 2, 0),
    "moneyou.txt": (1, 2, 1),
    "eu_incasso.txt": (1, 1, 1),
    "knab_sepa_acceptgiro.txt": (1, 1, 1),
    "line_break_in_remi.txt": (1, 1, 1),
    "rabobank_mt940_structured.txt": (2, 9, 2),
    "rabobank_mt940_structured_dutch_tax.txt": (1, 1, 1),
    "triodos_iban.txt": (1, 3, 1),
    "van_lanschot.txt": (3, 4, 3),
}


@pytest.mark.parametrize("path", sample_files(MT940), ids=lambda path: path.name)
def test_every_mt940_sample_is_read(path):
    result = parse_mt94x(path.read_bytes(), path.name)
    statements = result.table("bank_statements")
    lines = result.table("bank_transactions")

    expected = MT940_EXPECTED[path.name]
    assert (len(statements), len(lines)) == expected[:2]
    assert sum(1 for s in statements if s["is_tied_out"]) == expected[2]
    for statement in statements:
        if statement["is_tied_out"] is not None:
            total = statement["opening_balance"] + statement["entries_total"]
            assert (total == statement["closing_balance"]) == statement["is_tied_out"]


def test_mt940_samples_specific_values():
    ing = parse_mt94x((MT940 / "ing-gingerpayments/ming-from-spec.txt").read_bytes(), "ing")
    lines = ing.table("bank_transactions")
    assert lines[2]["counterparty_name"] == "J.Janssen"
    assert lines[2]["return_reason"] == "MS03"
    assert lines[2]["remittance_text"] == "Factuurnr 123456 Klantnr 00123"
    assert lines[6]["counterparty_name"] == "J.Janssen"  # a name wrapped over two lines
    assert lines[6]["structured_reference"] == "9001123412341234"
    assert lines[6]["is_reference_valid"] is False
    assert any("9001123412341234 fails its check digit" in w for w in ing.warnings)

    knab = parse_mt94x((MT940 / "zilverline/knab/knab_sepa_acceptgiro.txt").read_bytes(), "k")
    [line] = knab.table("bank_transactions")
    assert line["amount"] == Decimal("-10")
    assert line["counterparty_iban"] == "NL86INGB0002445588"
    assert (line["structured_reference"], line["is_reference_valid"]) == ("6767676767676766", True)

    german = parse_mt94x((MT940 / "wolph/betterplace/sepa_snippet.sta").read_bytes(), "de")
    first = german.table("bank_transactions")[0]
    assert first["amount"] == Decimal("50990.05")  # CR = credit with funds code R
    assert first["is_reversal"] is False
    assert first["counterparty_iban"] == "DE14508800500194785000"

    asn = parse_mt94x((MT940 / "wolph/ASNB/0708271685_09022020_164516.940.txt").read_bytes(), "a")
    assert asn.table("bank_transactions")[0]["amount"] == Decimal("-65.00")
    assert asn.table("bank_statements")[0]["account_id"] == "NL81ASNB9999999999"

    unstructured = MT940 / "ing-gingerpayments/ibp-unstructured-ing-provided-example.txt"
    rf = parse_mt94x(unstructured.read_bytes(), "rf").table("bank_transactions")[2]
    assert (rf["structured_reference"], rf["reference_type"]) == ("RF35567890123456789012345", "rf")

    fragment = parse_mt94x((MT940 / "wolph/self-provided/sparkassen.sta").read_bytes(), "sp")
    assert fragment.table("bank_transactions")[0]["amount"] == Decimal("30.00")
    assert fragment.table("bank_statements")[0]["account_id"] is None  # the loader quarantines


def test_mt940_garbage_names_the_file():
    with pytest.raises(ParseError, match=r"empty\.sta: no MT940"):
        parse_mt94x(b"hello", "empty.sta")
    with pytest.raises(ParseError, match=r"bad\.sta: statement at line 1"):
        parse_mt94x(b":20:X\n:25:NL91ABNA0417164300\n:60F:C240101EUR1,00\n:61:XX\n", "bad.sta")


@pytest.mark.parametrize(
    ("value", "valid"),
    [("5200150700013379", True), ("6767676767676766", True), ("1234123412345678", False),
     ("0000000000000000", False), ("12345", False)],
)  # fmt: skip
def test_betalingskenmerk_check_digit(value, valid):
    assert references.is_valid_kenmerk(value) is valid


def test_references_in_text():
    assert references.find_in_text("pay RF18 5390 0754 7034 thanks") == references.Reference(
        "RF18539007547034", "rf", True
    )
    found = references.find_in_text("BETALINGSKENM.: 1234 1234 1234 5678")
    assert found == references.Reference("1234123412345678", "betalingskenmerk", False)
    assert references.find_in_text("order 1234123412345678") is None  # bare and invalid
    assert references.is_valid_iban("NL91ABNA0417164300")
    assert references.find_iban(">21NL12RABO0888888888 x") is None  # fails mod 97
    assert references.find_iban("to NL91ABNA0417164300.") == "NL91ABNA0417164300"
