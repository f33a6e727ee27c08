"""Messages: the EPC QR payload against EPC069-12, the rendered texts against reviewed
snapshots (one per language and channel), and the demo payment provider.

To review a change in a text or template: UPDATE_SNAPSHOTS=1 pytest tests/test_policy_messages.py,
then read the diff of tests/snapshots/messages/ before committing it.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import segno

from models_ml.policy.epc import (
    EpcError,
    creditor_reference,
    creditor_reference_is_valid,
    epc_payload,
    iban_is_valid,
    write_qr_png,
)
from models_ml.policy.messages import bank_transfer_details
from models_ml.policy.providers import CreditorAccount, DemoPaymentProvider, PaymentRequest
from models_ml.policy.render import (
    LANGUAGES,
    BankTransfer,
    InvoiceLine,
    MessageInput,
    default_renderer,
)

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "messages"
IBAN = "NL91ABNA0417164300"  # the well-known example IBAN with valid check digits


# --- EPC069-12 payload --------------------------------------------------------------------


def test_epc_payload_field_by_field():
    payload = epc_payload(
        "Velvex Wholesale Köln GmbH",
        IBAN,
        Decimal("1234.5"),
        bic="ABNANL2A",
        reference="RF18539007547034",
        information="Thank you",
    )

    lines = payload.split("\n")
    assert lines[0] == "BCD"  # service tag
    assert lines[1] == "002"  # version
    assert lines[2] == "1"  # character set: UTF-8
    assert lines[3] == "SCT"  # identification: SEPA credit transfer
    assert lines[4] == "ABNANL2A"  # BIC (optional in version 002)
    assert lines[5] == "Velvex Wholesale Köln GmbH"  # beneficiary name, <= 70
    assert lines[6] == IBAN
    assert lines[7] == "EUR1234.50"  # amount: EUR, two decimals, dot
    assert lines[8] == ""  # purpose, not given
    assert lines[9] == "RF18539007547034"  # structured creditor reference
    assert lines[10] == ""  # no text when there is a reference
    assert lines[11] == "Thank you"  # information to the payer
    assert len(lines) == 12
    assert len(payload.encode("utf-8")) <= 331
    assert "\r" not in payload and not payload.endswith("\n")


def test_epc_payload_drops_trailing_empty_fields_and_allows_no_bic():
    payload = epc_payload("Acme B.V.", "NL91 ABNA 0417 1643 00", Decimal("10"), text="INV-1 INV-2")

    assert payload.split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "",
        "Acme B.V.",
        IBAN,
        "EUR10.00",
        "",
        "",
        "INV-1 INV-2",
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"iban": "NL91ABNA0417164301"}, "iban: not a valid IBAN"),
        ({"name": "x" * 71}, "name: needs 1 to 70 characters"),
        ({"name": "  "}, "name: needs 1 to 70 characters"),
        ({"amount": Decimal("0.00")}, "amount: must be 0.01 to 999999999.99"),
        ({"amount": Decimal("1000000000.00")}, "amount: must be 0.01 to 999999999.99"),
        ({"amount": Decimal("1.005")}, "at most two decimals"),
        ({"bic": "ABN"}, "bic: expected 8 or 11"),
        ({"purpose": "goods"}, "purpose: expected a four-letter code"),
        ({"reference": "RF00ABC"}, "reference: not a valid ISO 11649"),
        ({"reference": "RF18539007547034", "text": "both"}, "give one of them, not both"),
        ({"text": "x" * 141}, "text: at most 140 characters"),
        ({"information": "x" * 71}, "information: at most 70 characters"),
    ],
)
def test_epc_payload_rejects_what_the_standard_forbids(changes, message):
    fields = {"name": "Acme B.V.", "iban": IBAN, "amount": Decimal("10.00"), **changes}
    name, iban, amount = fields.pop("name"), fields.pop("iban"), fields.pop("amount")

    with pytest.raises(EpcError, match=message):
        epc_payload(name, iban, amount, **fields)


def test_iban_and_creditor_reference_checks():
    assert iban_is_valid(IBAN) and iban_is_valid("DE89370400440532013000")
    assert not iban_is_valid("DE89370400440532013001")
    reference = creditor_reference("inv-2024/151")
    assert reference == "RF05INV2024151" and creditor_reference_is_valid(reference)
    assert creditor_reference_is_valid("RF18539007547034")


def test_qr_png_uses_error_correction_m(tmp_path):
    payload = epc_payload("Acme B.V.", IBAN, Decimal("99.99"), text="INV-1")

    target = write_qr_png(payload, tmp_path / "qr" / "a.png")

    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code = segno.make_qr(payload, error="m", boost_error=False, encoding="utf-8")
    assert code.error == "M" and not code.is_micro and code.version <= 13


# --- payment provider ---------------------------------------------------------------------


def test_demo_provider_gives_stable_links_and_the_entities_own_accounts():
    account = CreditorAccount("Acme B.V.", IBAN, "ABNANL2A")
    provider = DemoPaymentProvider({"E1": "Acme B.V.", "E2": "Brno s.r.o."}, {"E1": account})
    request = PaymentRequest("run-1", "E1", "c1", ("INV-1",), Decimal("10.00"), "EUR")

    link = provider.payment_link(request)

    assert link == provider.payment_link(request)
    assert link.startswith("https://pay.demo.invalid/E1/")
    other = PaymentRequest("run-1", "E1", "c1", ("INV-1",), Decimal("10.01"), "EUR")
    assert provider.payment_link(other) != link
    assert provider.creditor_account("E1") == account
    assert provider.creditor_account("E2") is None and provider.creditor_name("E2") == "Brno s.r.o."
    assert provider.creditor_account("nope") is None and provider.creditor_name("nope") == "nope"


# --- rendered messages against reviewed snapshots -----------------------------------------

CHANNELS = ("email", "sms", "whatsapp", "letter", "phone")
COUNTRY = {"nl": "NL", "en": "IE", "de": "DE", "fr": "BE", "cs": "CZ"}
CURRENCY = {"cs": "CZK"}
# Each language shows every channel; tones and templates rotate so each appears too.
TONES = ("friendly", "neutral", "firm", "formal")
TEMPLATES = ("reminder", "pre_due", "final_notice")


def _message(language: str, channel: str, index: int) -> MessageInput:
    currency = CURRENCY.get(language, "EUR")
    template = "phone_task" if channel == "phone" else TEMPLATES[index % len(TEMPLATES)]
    days = (-3, -10) if template == "pre_due" else (31, 12)
    as_of = date(2026, 11, 30)
    return MessageInput(
        channel=channel,
        tone=TONES[index % len(TONES)],
        template=template,
        language=language,
        country_code=COUNTRY[language],
        debtor_name="Merlin SARL",
        creditor_name="Velvex Wholesale B.V.",
        invoices=tuple(
            InvoiceLine(
                f"INV-{151 + n}",
                date.fromordinal(as_of.toordinal() - day),
                Decimal(amount),
                currency,
                day,
            )
            for n, (day, amount) in enumerate(zip(days, ("600.00", "1250.50"), strict=True))
        ),
        offers=("payment_link", "epc_qr", "payment_plan")
        if channel in ("email", "letter")
        else ("payment_link", "pay_in_3"),
        payment_link="https://pay.demo.invalid/E1/0123456789abcdef0123",
        as_of=as_of,
        # e-mails show a structured reference, letters the invoice numbers to quote
        bank_transfer=BankTransfer(
            "Velvex Wholesale B.V.",
            IBAN,
            "ABNANL2A",
            reference="RF18539007547034" if channel == "email" else None,
            description=None if channel == "email" else "INV-151 INV-152",
        ),
    )


CASES = [
    (language, channel, index + offset)
    for offset, language in enumerate(LANGUAGES)
    for index, channel in enumerate(CHANNELS)
]


@pytest.mark.parametrize(("language", "channel", "index"), CASES)
def test_rendered_message_matches_the_reviewed_snapshot(language, channel, index):
    message = default_renderer().render(_message(language, channel, index))
    text = (f"Subject: {message.subject}\n\n" if message.subject else "") + message.body

    snapshot = SNAPSHOTS / f"{language}_{channel}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(text, encoding="utf-8")
    assert snapshot.is_file(), f"no snapshot yet: run with UPDATE_SNAPSHOTS=1 and review {snapshot}"
    assert text == snapshot.read_text(encoding="utf-8")


@pytest.mark.parametrize("channel", CHANNELS)
def test_bank_details_only_in_emails_and_letters_of_an_entity_with_an_account(channel):
    message = _message("en", channel, 1)
    without_bic = replace(message, bank_transfer=replace(message.bank_transfer, bic=None))
    without_account = replace(message, bank_transfer=None)

    body = default_renderer().render(message).body
    no_bic = default_renderer().render(without_bic).body
    no_account = default_renderer().render(without_account).body

    long_form = channel in ("email", "letter")
    assert ("IBAN: NL91 ABNA 0417 1643 00" in body) is long_form
    assert ("BIC: ABNANL2A" in body) is long_form
    assert "IBAN: NL91 ABNA 0417 1643 00" in no_bic if long_form else no_bic == body
    assert "BIC" not in no_bic
    assert "IBAN" not in no_account and "NL91" not in no_account


def test_a_transfer_quotes_the_one_invoices_reference_else_the_invoice_numbers():
    account = CreditorAccount("Acme B.V.", IBAN, None)
    one = [{"number": "INV-1", "reference": "1234567890123456"}]
    two = [*one, {"number": "INV-2", "reference": "RF18539007547034"}]

    assert bank_transfer_details(account, one) == BankTransfer(
        "Acme B.V.", IBAN, None, reference="1234567890123456"
    )
    assert bank_transfer_details(account, two).description == "INV-1 INV-2"
    blank = [{"number": "INV-3", "reference": " "}]
    assert bank_transfer_details(account, blank).reference is None


def test_every_language_has_every_text():
    renderer = default_renderer()

    def keys(node, prefix=""):
        if isinstance(node, dict):
            return {k for name, child in node.items() for k in keys(child, f"{prefix}{name}.")}
        return {prefix.rstrip(".")}

    english = keys(renderer.texts["en"])
    for language in LANGUAGES:
        assert keys(renderer.texts[language]) == english, language


def test_unknown_language_falls_back_to_english():
    message = _message("en", "sms", 0)
    spanish = MessageInput(**{**message.__dict__, "language": "es", "country_code": "ES"})

    body = default_renderer().render(spanish).body

    assert body.startswith("Velvex Wholesale B.V.: we have not yet received 1.850,50")
