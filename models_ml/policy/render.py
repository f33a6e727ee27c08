"""Render a reminder from Jinja2 templates: one layout per channel, texts per language and tone.

`models_ml/templates/<channel>.txt.j2` lays a message out (subject, invoice list, offers);
`models_ml/templates/texts/<language>.yml` holds the sentences for each template kind and
tone, themselves small Jinja snippets. Amounts and dates are formatted for the debtor's
language and country with Babel. A language without texts falls back to English. E-mails
and letters also print the bank transfer details (beneficiary, IBAN in groups of four, BIC,
what to quote) when the entity has a valid collection account; SMS and WhatsApp stay short.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from schwifty import IBAN

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
LANGUAGES = ("nl", "en", "de", "fr", "cs")
FALLBACK_LANGUAGE = "en"
# Days the debtor gets to pay after the message; a final notice gives the 14 days that Dutch
# consumer law (WIK) asks for before collection costs.
PAY_WITHIN_DAYS = {"reminder": 7, "final_notice": 14, "phone_task": 7}


@dataclass(frozen=True)
class InvoiceLine:
    number: str
    due_date: date
    amount: Decimal
    currency: str
    days_past_due: int


@dataclass(frozen=True)
class BankTransfer:
    """How to pay without the link: the entity's checked collection account and what to
    quote, either the one listed invoice's payment reference or the invoice numbers."""

    name: str
    iban: str
    bic: str | None = None
    reference: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class MessageInput:
    """Everything one message says; names are read from staging, never from the marts."""

    channel: str
    tone: str
    template: str
    language: str
    country_code: str
    debtor_name: str
    creditor_name: str
    invoices: tuple[InvoiceLine, ...]
    offers: tuple[str, ...]
    payment_link: str
    as_of: date
    # None when the entity has no valid collection account: the message then shows none.
    bank_transfer: BankTransfer | None = None


@dataclass(frozen=True)
class Message:
    subject: str | None
    body: str


def locale_for(language: str, country_code: str) -> Locale:
    """nl + BE -> nl_BE; a pair Babel does not know falls back to the language alone."""
    try:
        return Locale.parse(f"{language}_{country_code}")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(language)


@cache
def default_renderer() -> Renderer:
    """One renderer per process for the bundled templates (loading them is the slow part)."""
    return Renderer()


class Renderer:
    """Loads the templates and texts once; `render` is then pure."""

    def __init__(self, folder: Path = TEMPLATES_DIR) -> None:
        self.environment = Environment(
            loader=FileSystemLoader(str(folder)),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            trim_blocks=False,
        )
        self._snippets: dict[str, Template] = {}
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        self.texts = {
            path.stem: yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
            for path in sorted((folder / "texts").glob("*.yml"))
        }

    def render(self, message: MessageInput) -> Message:
        language = message.language if message.language in self.texts else FALLBACK_LANGUAGE
        texts = self.texts[language]
        context = self._context(message, locale_for(language, message.country_code))

        def say(key: str) -> str:
            text: object = texts
            for part in key.split("."):
                text = text[part]  # type: ignore[index]
            return self._snippet(str(text)).render(context)

        template = self.environment.get_template(f"{message.channel}.txt.j2")
        text = template.render(context, say=say, t=texts).strip() + "\n"
        if message.channel == "email":
            subject, body = text.split("\n---\n", 1)
            return Message(subject.strip(), body)
        return Message(None, text)

    def _snippet(self, text: str) -> Template:
        """Compile each text once: compiling costs far more than rendering."""
        if text not in self._snippets:
            self._snippets[text] = self.environment.from_string(text)
        return self._snippets[text]

    def _context(self, message: MessageInput, locale: Locale) -> dict[str, object]:
        def money(amount: Decimal, currency: str) -> str:
            return format_currency(amount, currency, locale=locale)

        def day(value: date) -> str:
            return format_date(value, format="long", locale=locale)

        totals: dict[str, Decimal] = {}
        for invoice in message.invoices:
            totals[invoice.currency] = totals.get(invoice.currency, Decimal(0)) + invoice.amount
        earliest_due = min(invoice.due_date for invoice in message.invoices)
        pay_by = earliest_due
        if message.template != "pre_due":
            pay_by = message.as_of + timedelta(PAY_WITHIN_DAYS[message.template])
        return {
            "channel": message.channel,
            "tone": message.tone,
            "template": message.template,
            "debtor": message.debtor_name,
            "creditor": message.creditor_name,
            "invoices": [
                {
                    "number": invoice.number,
                    "due_date": day(invoice.due_date),
                    "amount": money(invoice.amount, invoice.currency),
                    "days_past_due": max(invoice.days_past_due, 0),
                }
                for invoice in message.invoices
            ],
            "count": len(message.invoices),
            "max_days_past_due": max(max(i.days_past_due for i in message.invoices), 0),
            "total": " + ".join(money(amount, currency) for currency, amount in totals.items()),
            "due_date": day(earliest_due),
            "pay_by": day(pay_by),
            "today": day(message.as_of),
            "offers": list(message.offers),
            "payment_link": message.payment_link,
            "bank": _bank(message.bank_transfer),
        }


def _bank(transfer: BankTransfer | None) -> dict[str, str | None] | None:
    """The transfer details as printed: the IBAN in groups of four (schwifty)."""
    if transfer is None:
        return None
    return {
        "name": transfer.name,
        "iban": IBAN(transfer.iban).formatted,
        "bic": transfer.bic,
        "reference": transfer.reference,
        "description": transfer.description,
    }
