"""ERP parsers (XAF 3.2, UBL 2.1) on every public sample, and their loads."""

from __future__ import annotations

import shutil
from decimal import Decimal

import duckdb
import pytest
from connector_samples import ERP, sample_files

from dagster_project.connectors.erp.ubl import parse_ubl
from dagster_project.connectors.erp.xaf import parse_xaf
from dagster_project.connectors.parsed import ParseError
from dagster_project.connectors.sources import UBL, XAF, load_source

XAF_DIR = ERP / "xaf/banana-accounting"
UBL_FILES = sample_files(ERP / "ubl", ".xml")


def test_xaf_exact_export_with_bom_comment_and_cu_ledger():
    result = parse_xaf((XAF_DIR / "ExactOnline_V32_2016.xml").read_bytes(), "exact.xml")
    documents = result.table("documents")
    allocations = result.table("allocations")

    assert len(result.table("customers")) == 18  # customers and both, not suppliers
    assert len(documents) == 12 and len(allocations) == 2  # purchase lines left out
    first = documents[0]
    assert (first["document_number"], first["amount"], first["customer_id"]) == (
        "16700001", Decimal("8000.00"), "1",
    )  # fmt: skip
    assert str(first["due_date"]) == "2016-02-18"
    credit_notes = [d for d in documents if d["document_type"] == "credit_note"]
    assert [d["document_number"] for d in credit_notes] == ["16900009", "16900012", "16900013"]
    assert allocations[0]["amount"] == Decimal("10000.00")  # a credit on the debtor: cash in


def test_xaf_reference_example_cs_ledger_and_credit_limit():
    result = parse_xaf((XAF_DIR / "XmlAuditfileFinancieel3.2_test.xml").read_bytes(), "ref.xml")
    [customer] = result.table("customers")
    assert (customer["customer_id"], customer["credit_limit"]) == ("Debiteur123", Decimal("3.14"))
    [document] = result.table("documents")
    assert (document["document_type"], document["amount"]) == ("credit_note", Decimal("3.14"))


def test_xaf_without_subledgers_is_rebuilt_from_journal_lines():
    path = XAF_DIR / "auditfile_v3.2_nl_20180101_20181231.xaf"
    result = parse_xaf(path.read_bytes(), path.name)
    assert any("rebuilt from journal lines" in warning for warning in result.warnings)
    limits = {c["customer_id"]: c["credit_limit"] for c in result.table("customers")}
    assert limits["11000"] == Decimal("100000.00")


def test_xaf_rebuild_uses_sales_and_bank_journals():
    xaf = b"""<?xml version="1.0"?><auditfile xmlns="http://www.auditfiles.nl/XAF/3.2">
    <header><curCode>EUR</curCode></header><company><customersSuppliers><customerSupplier>
    <custSupID>C1</custSupID><custSupName>Klant</custSupName><custSupTp>C</custSupTp>
    </customerSupplier></customersSuppliers><transactions>
    <journal><jrnID>V</jrnID><jrnTp>S</jrnTp><transaction><nr>1</nr><trLine><nr>1</nr>
    <accID>1300</accID><docRef>F1</docRef><effDate>2024-01-05</effDate><amnt>121.00</amnt>
    <amntTp>D</amntTp><custSupID>C1</custSupID><invRef>F1</invRef></trLine></transaction></journal>
    <journal><jrnID>B</jrnID><jrnTp>B</jrnTp><transaction><nr>2</nr><trLine><nr>1</nr>
    <accID>1300</accID><docRef>B1</docRef><effDate>2024-01-20</effDate><amnt>121.00</amnt>
    <amntTp>C</amntTp><custSupID>C1</custSupID><invRef>F1</invRef></trLine></transaction></journal>
    </transactions></company></auditfile>"""
    result = parse_xaf(xaf, "rebuild.xaf")
    [document] = result.table("documents")
    [allocation] = result.table("allocations")
    assert (document["document_number"], document["amount"]) == ("F1", Decimal("121.00"))
    assert (allocation["document_id"], allocation["amount"]) == ("F1", Decimal("121.00"))


def test_xaf_errors_name_the_file():
    with pytest.raises(ParseError, match=r"x\.xaf: not an XAF 3\.2 auditfile"):
        parse_xaf(b"<auditfile/>", "x.xaf")


@pytest.mark.parametrize("path", UBL_FILES, ids=lambda path: path.name)
def test_every_ubl_sample_is_read(path):
    if "CII" in path.name:
        with pytest.raises(ParseError, match="CII syntax, not UBL"):
            parse_ubl(path.read_bytes(), path.name)
        return
    result = parse_ubl(path.read_bytes(), path.name)
    if "error" in path.name:
        assert [r.reason for r in result.rejected] == [
            "BR-NL-2: NLCIUS requires a BuyerReference or an OrderReference"
        ]
        return
    [document] = result.table("documents")
    assert document["amount"] is not None and document["currency"]


def test_ubl_specific_values():
    def document(name):
        path = next(p for p in UBL_FILES if p.name == name)
        return parse_ubl(path.read_bytes(), name).table("documents")[0]

    base = document("base-example.xml")
    assert (base["document_type"], base["amount"], base["payment_reference"]) == (
        "invoice", Decimal("1656.25"), "Snippet1",
    )  # fmt: skip
    credit = document("base-creditnote-correction.xml")
    assert (credit["document_type"], credit["applies_to_document_id"]) == (
        "credit_note",
        "Snippet1",
    )
    negative = document("SI-UBL-2.0_BR-NL-11_ok_negative_payment.xml")
    assert (negative["document_type"], negative["amount"]) == ("invoice", Decimal("-121.00"))
    rijk = document("NLCIUS voorbeeldbericht Basisfactuur Rijk v01.xml")
    assert rijk["payment_reference"] == "1111452145876521"


def test_ubl_credit_note_sent_as_invoice_with_type_381():
    path = next(p for p in UBL_FILES if p.name == "base-example.xml")
    data = path.read_bytes().replace(b">380<", b">381<")
    [document] = parse_ubl(data, "381.xml").table("documents")
    assert (document["document_type"], document["amount"]) == ("credit_note", Decimal("1656.25"))


def test_erp_xml_loads_and_reloads_without_change(tmp_path):
    landing = tmp_path / "landing"
    (landing / "erp/E1/xaf").mkdir(parents=True)
    (landing / "erp/E1/ubl").mkdir(parents=True)
    for path in sample_files(XAF_DIR, ".xml", ".xaf"):
        shutil.copy(path, landing / "erp/E1/xaf" / path.name)
    for path in UBL_FILES:
        shutil.copy(path, landing / "erp/E1/ubl" / path.name)
    con = duckdb.connect()

    loads = load_source(con, XAF, landing) + load_source(con, UBL, landing)
    counts = con.execute(
        "select (select count(*) from raw.documents), (select count(*) from raw._quarantine)"
    ).fetchone()
    again = load_source(con, XAF, landing) + load_source(con, UBL, landing)

    assert all(load.rows_read == load.rows_loaded + load.rows_quarantined for load in loads)
    assert all(load.skipped for load in again)
    assert (
        con.execute(
            "select (select count(*) from raw.documents), (select count(*) from raw._quarantine)"
        ).fetchone()
        == counts
    )
    assert con.execute(
        "select count(*) from raw.documents where entity_id = 'E1' and document_number = '16700001'"
    ).fetchone() == (1,)
