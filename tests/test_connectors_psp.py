"""PSP parsers on every public sample; signatures; C15/C16 at parse level."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest
from connector_samples import ADYEN_HMAC_KEY, BUCKAROO_SECRET, PSP, sample_files

from dagster_project.connectors.parsed import ParseError
from dagster_project.connectors.psp import adyen, buckaroo, mollie, stripe

BUCKAROO_FORMS = sample_files(PSP / "buckaroo", ".txt")


def test_buckaroo_samples_verify_except_the_tampered_one():
    results = {path.name: buckaroo.parse_form(path.read_bytes(), path.name, BUCKAROO_SECRET)
               for path in BUCKAROO_FORMS}  # fmt: skip

    assert len(results) == 8
    tampered = results.pop("push_invalid_signature.txt")
    assert [r.reason for r in tampered.rejected] == ["Buckaroo signature does not verify"]
    assert not tampered.rows
    assert all(len(result.rows) == 1 and not result.rejected for result in results.values())

    status = {name: r.table("psp_events")[0]["status"] for name, r in results.items()}
    assert status == {
        "push_payment_amex.txt": "paid",
        "push_payment_failed.txt": "failed",
        "push_payment_rejected.txt": "failed",
        "push_payment_sepa.txt": "pending",
        "push_recurrent_sepa.txt": "paid",
        "push_refund_ideal.txt": "refunded",
        "push_valid_signature.txt": "paid",
    }
    refund = results["push_refund_ideal.txt"].table("psp_events")[0]
    assert refund["amount"] == Decimal("10.00")
    assert refund["transaction_id"] == "41C48B55FA9164E123CC73B1157459E840BE5D24"  # the payment
    assert refund["invoice_reference"] == "12345"
    paid = results["push_valid_signature.txt"].table("psp_events")[0]
    assert paid["method"] == "ideal"
    assert paid["event_at"] == datetime(2014, 11, 5, 12, 10, 42)  # 13:10:42 Amsterdam time
    assert results["push_payment_sepa.txt"].table("psp_events")[0]["method"] == "sepa_direct_debit"


def test_buckaroo_wrong_secret_refuses_everything():
    path = PSP / "buckaroo/KentaaNL-buckaruby/push_valid_signature.txt"
    result = buckaroo.parse_form(path.read_bytes(), path.name, "not-the-secret")
    assert not result.rows
    assert result.rejected[0].reason == "Buckaroo signature does not verify"


@pytest.mark.parametrize("path", sample_files(PSP / "buckaroo", ".json"), ids=lambda p: p.name)
def test_buckaroo_json_push(path):
    [event] = buckaroo.parse_json_push(path.read_bytes(), path.name).table("psp_events")
    assert event["event_id"] == "5340604668D74435AA344E1428ED1292:190"
    assert (event["amount"], event["status"], event["method"]) == (Decimal("10.1"), "paid", "ideal")
    assert event["invoice_reference"] == "62d68b6c8ab0c"


def test_mollie_samples():
    def events(name):
        path = PSP / "mollie/mollie-api-python" / name
        return mollie.parse_mollie(path.read_bytes(), name)

    assert [e["status"] for e in events("payments_list.json").table("psp_events")] == [
        "pending"
    ] * 3
    [canceled] = events("payment_canceled.json").table("psp_events")
    assert (canceled["status"], canceled["event_id"]) == ("failed", "tr_7UhSN1zuXS:canceled")
    [refund] = events("refund_single.json").table("psp_events")
    assert (refund["status"], refund["amount"], refund["transaction_id"]) == (
        "refunded", Decimal("5.95"), "tr_7UhSN1zuXS",
    )  # fmt: skip
    [link] = events("payment_link_single.json").table("psp_events")
    assert (link["method"], link["status"], link["amount"]) == (
        "payment_link",
        "paid",
        Decimal("24.95"),
    )
    for name in ("customer_mandate_single.json", "settlement_single.json", "invoice_single.json",
                 "balance_transactions_list.json"):  # fmt: skip
        result = events(name)
        assert not result.rows and "is not a payment event" in result.warnings[0]


def test_adyen_hmac_on_the_python_library_items():
    for path in sample_files(PSP / "adyen/adyen-python-api-library"):
        [event] = adyen.parse_adyen(path.read_bytes(), path.name, ADYEN_HMAC_KEY).table(
            "psp_events"
        )
        assert (event["amount"], event["status"], event["method"]) == (
            Decimal("10.00"),
            "paid",
            "card",
        )
        assert event["invoice_reference"].endswith("slashes are fun")


def test_adyen_java_library_items_do_not_verify_with_this_key_and_are_refused():
    for path in sample_files(PSP / "adyen/adyen-java-api-library"):
        result = adyen.parse_adyen(path.read_bytes(), path.name, ADYEN_HMAC_KEY)
        assert not result.rows
        assert result.rejected[0].reason.startswith("Adyen HMAC")


def test_adyen_statuses_and_minor_units_with_a_signed_copy():
    path = PSP / "adyen/adyen-java-api-library/refund-true.json"
    document = json.loads(path.read_text())
    item = document["notificationItems"][0]["NotificationRequestItem"]
    item["additionalData"]["hmacSignature"] = adyen.signature(item, ADYEN_HMAC_KEY)
    [event] = adyen.parse_adyen(json.dumps(document).encode(), "copy", ADYEN_HMAC_KEY).table(
        "psp_events"
    )
    assert (event["status"], event["amount"], event["transaction_id"]) == (
        "refunded", Decimal("15.00"), "ORIGINAL_PSP",
    )  # fmt: skip


def test_stripe_samples_share_one_transaction():
    events = []
    for path in sample_files(PSP / "stripe"):
        events += stripe.parse_stripe(path.read_bytes(), path.name).table("psp_events")
    assert len(events) == 3  # the bank-account event is not a payment
    assert {e["transaction_id"] for e in events} == {"pi_fakefakefakefakefake0001"}
    assert {e["amount"] for e in events} == {Decimal("20.00")}
    assert [e["invoice_reference"] for e in events if e["invoice_reference"]] == ["E5B23224-0001"]


def stripe_event(event_id, kind, created, invoice, amount_cents, intent="pi_271"):
    obj = {"id": f"in_{invoice}", "object": "invoice", "currency": "eur", "number": invoice,
           "payment_intent": intent, "amount_paid": amount_cents, "amount_due": amount_cents,
           "status": "paid", "created": created}  # fmt: skip
    if kind.startswith("payment_intent") or kind.startswith("charge"):
        obj = {"id": intent if kind.startswith("payment_intent") else "ch_271",
               "object": kind.split(".")[0], "currency": "eur", "amount": amount_cents,
               "payment_intent": intent, "metadata": {"invoice_reference": invoice},
               "created": created}  # fmt: skip
    event = {"id": event_id, "object": "event", "type": kind, "created": created,
             "data": {"object": obj}}  # fmt: skip
    return json.dumps(event).encode()


def test_c15_late_failure_keeps_its_own_earlier_event_time():
    failed = stripe.parse_stripe(
        stripe_event("evt_1", "invoice.payment_failed", 1637056800, "INV-261", 10000), "evt_1"
    ).table("psp_events")[0]
    paid = stripe.parse_stripe(
        stripe_event("evt_2", "invoice.paid", 1637056980, "INV-261", 10000), "evt_2"
    ).table("psp_events")[0]
    assert (failed["status"], paid["status"]) == ("failed", "paid")
    # Ordering uses event_at (when it happened), so the failure that arrives later sorts first.
    assert failed["event_at"] < paid["event_at"]
    assert failed["invoice_reference"] == paid["invoice_reference"] == "INV-261"


def test_c16_duplicates_share_event_id_and_intent_and_charge_share_transaction():
    first = stripe_event("evt_A", "payment_intent.succeeded", 1637056800, "INV-271", 10000)
    parsed = [stripe.parse_stripe(data, "c16").table("psp_events")[0]
              for data in (first, first, stripe_event("evt_B", "charge.succeeded", 1637056801,
                                                      "INV-271", 10000))]  # fmt: skip
    assert parsed[0] == parsed[1]
    assert [e["event_id"] for e in parsed] == ["evt_A", "evt_A", "evt_B"]
    assert {e["transaction_id"] for e in parsed} == {"pi_271"}
    assert {(e["status"], e["amount"]) for e in parsed} == {("paid", Decimal("100.00"))}


@pytest.mark.parametrize(
    ("parse", "data", "problem"),
    [
        (mollie.parse_mollie, b"{", "not valid JSON"),
        (mollie.parse_mollie, b'{"resource": "payment", "id": "tr_1", "status": "weird"}',
         "unknown status"),
        (stripe.parse_stripe, b"[]", "not a Stripe object"),
        (buckaroo.parse_json_push, b'{"x": 1}', "no Transaction object"),
    ],
)  # fmt: skip
def test_malformed_notifications_name_the_file(parse, data, problem):
    with pytest.raises(ParseError, match=f"bad.json: .*{problem}"):
        parse(data, "bad.json")


def test_json_numbers_are_read_as_exact_decimals():
    data = json.dumps(
        {"resource": "payment", "id": "tr_1", "status": "paid",
         "createdAt": "2024-01-01T00:00:00Z", "amount": {"value": "10.10", "currency": "EUR"}}
    ).encode()  # fmt: skip
    [event] = mollie.parse_mollie(data, "f.json").table("psp_events")
    assert event["amount"] == Decimal("10.10")
    push = b'{"Transaction": {"Key": "K", "Status": {"Code": {"Code": 190}, "DateTime": "2024-01-01T10:00:00"}, "AmountDebit": 0.1, "Currency": "EUR"}}'  # noqa: E501
    [event] = buckaroo.parse_json_push(push, "p.json").table("psp_events")
    assert event["amount"] == Decimal("0.1")
