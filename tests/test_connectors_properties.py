"""Property-based tests: malformed input gives a clear ParseError, never a crash or a wrong
number; well-formed input of any amount comes back exactly."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import pytest
from connector_samples import ADYEN_HMAC_KEY, BUCKAROO_SECRET, CAMT, ERP, MT940, PSP
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from test_connectors_bank import balance, camt053, entry

from dagster_project.connectors.bank.camt import parse_camt
from dagster_project.connectors.bank.mt94x import parse_mt94x
from dagster_project.connectors.erp.ubl import parse_ubl
from dagster_project.connectors.erp.xaf import parse_xaf
from dagster_project.connectors.parsed import ParseError, ParseResult
from dagster_project.connectors.psp import adyen, buckaroo, mollie, stripe

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PARSERS = {
    "camt": (parse_camt, CAMT / "camt053-genkgo/camt053.v2.minimal.xml"),
    "mt940": (parse_mt94x, MT940 / "ing-gingerpayments/ming-from-spec.txt"),
    "buckaroo": (
        partial(buckaroo.parse_form, secret=BUCKAROO_SECRET),
        PSP / "buckaroo/KentaaNL-buckaruby/push_valid_signature.txt",
    ),
    "buckaroo_json": (
        buckaroo.parse_json_push, PSP / "buckaroo/BuckarooSDK_PHP/push_json_ideal_190.json"
    ),
    "mollie": (mollie.parse_mollie, PSP / "mollie/mollie-api-python/payments_list.json"),
    "adyen": (
        partial(adyen.parse_adyen, hmac_key=ADYEN_HMAC_KEY),
        PSP / "adyen/adyen-python-api-library/colon_notification.json",
    ),
    "stripe": (
        stripe.parse_stripe, PSP / "stripe/dj-stripe/charge_ch_fakefakefakefakefake0001.json"
    ),
    "xaf": (parse_xaf, ERP / "xaf/banana-accounting/XmlAuditfileFinancieel3.2_test.xml"),
    "ubl": (parse_ubl, ERP / "ubl/peppol-bis-3/base-example.xml"),
}  # fmt: skip
XML_PARSERS = ("camt", "xaf", "ubl")


def parse_or_reject(name: str, data: bytes) -> ParseResult | None:
    parse, _ = PARSERS[name]
    try:
        return parse(data, "fuzz.dat")
    except ParseError as error:
        assert str(error).startswith("fuzz.dat: ") and error.problem
        return None


@FAST
@given(name=st.sampled_from(sorted(PARSERS)), data=st.binary(max_size=300))
def test_random_bytes_never_crash(name, data):
    parse_or_reject(name, data)


@FAST
@given(
    name=st.sampled_from(sorted(PARSERS)),
    cut=st.floats(min_value=0, max_value=1),
    junk=st.binary(max_size=8),
)
def test_damaged_samples_never_crash(name, cut, junk):
    original = PARSERS[name][1].read_bytes()
    position = int(len(original) * cut)
    parse_or_reject(name, original[:position] + junk + original[position + len(junk) :])


# Text that looks like a number or a date but is not quite one, and text of any kind.
FIELD_TEXT = st.one_of(st.text(max_size=12), st.from_regex(r"[0-9.,eE+_ -]{1,12}", fullmatch=True))


@pytest.mark.parametrize("name", XML_PARSERS)
@FAST
@given(data=st.data())
def test_any_text_in_a_number_or_date_field_never_crashes(name, data):
    """Well-formed XML with one amount, date or code replaced: an error or a row, not a crash."""
    root = etree.fromstring(PARSERS[name][1].read_bytes())
    fields = [
        node
        for node in root.iter()
        if isinstance(node.tag, str)
        and len(node) == 0
        and any(c.isdigit() for c in node.text or "")
    ]
    field = data.draw(st.sampled_from(fields), label="field")
    try:
        field.text = data.draw(FIELD_TEXT, label="text")
    except ValueError:  # a control character that XML cannot hold
        return
    parse_or_reject(name, etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)


@FAST
@given(opening=amounts, lines=st.lists(st.tuples(amounts, st.sampled_from(["C", "D", "RC", "RD"])),
                                       min_size=1, max_size=6))  # fmt: skip
def test_mt940_amounts_and_tie_out_are_exact(opening, lines):
    signs = {"C": 1, "RD": 1, "D": -1, "RC": -1}
    closing = opening + sum(signs[mark] * amount for amount, mark in lines)
    mark = "C" if closing >= 0 else "D"
    body = "".join(
        f":61:2401150115{m}{str(a).replace('.', ',')}NTRFNONREF\n:86:line {i}\n"
        for i, (a, m) in enumerate(lines)
    )
    text = (
        f":20:P\n:25:NL91ABNA0417164300\n:28C:1\n:60F:C240115EUR{str(opening).replace('.', ',')}\n"
        f"{body}:62F:{mark}240115EUR{str(abs(closing)).replace('.', ',')}\n"
    )
    result = parse_mt94x(text.encode(), "gen.sta")
    parsed = [line["amount"] for line in result.table("bank_transactions")]
    assert parsed == [signs[m] * a for a, m in lines]
    assert result.table("bank_statements")[0]["is_tied_out"] is True


@FAST
@given(opening=amounts, lines=st.lists(st.tuples(amounts, st.booleans()), min_size=1, max_size=6))
def test_camt_amounts_and_tie_out_are_exact(opening, lines):
    closing = opening + sum(a if credit else -a for a, credit in lines)
    entries = "".join(entry(str(a), "CRDT" if credit else "DBIT", "x") for a, credit in lines)
    balances = balance("OPBD", str(opening), "CRDT") + balance(
        "CLBD", str(abs(closing)), "CRDT" if closing >= 0 else "DBIT"
    )
    result = parse_camt(camt053(entries, balances), "gen.xml")
    assert [line["amount"] for line in result.table("bank_transactions")] == [
        a if credit else -a for a, credit in lines
    ]
    assert result.table("bank_statements")[0]["is_tied_out"] is True


@FAST
@given(
    cents=st.integers(min_value=0, max_value=10**12),
    currency=st.sampled_from(["EUR", "JPY", "KWD"]),
)
def test_minor_units_are_exact(cents, currency):
    data = (
        f'{{"id": "ch_1", "object": "charge", "amount": {cents}, "currency": "{currency}", '
        f'"status": "succeeded", "created": 1700000000}}'
    ).encode()
    [event] = stripe.parse_stripe(data, "c.json").table("psp_events")
    exponent = {"EUR": 2, "JPY": 0, "KWD": 3}[currency]
    assert event["amount"] == Decimal(cents).scaleb(-exponent)
