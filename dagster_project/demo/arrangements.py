"""What debtors agreed to and how they may be contacted: promises to pay, channel consents and
the entity's own collection account.

Everything here is derived from ids (customer number, entity number) through `scramble` or a
random generator seeded by the entity number, never drawn from the shared random streams, so
adding these files leaves every other generated value as it was.

- Promises to pay: a small share of the customers with an overdue invoice open at the end of
  the period promised, a few days before, to pay what is overdue within two weeks; a smaller
  share made a promise a month earlier that has lapsed.
- Consents: some customers with a phone number opted in to WhatsApp (a few withdrew later,
  a second record), a few refused SMS, fewer refused e-mail.
- Collection account: a valid IBAN of the entity's country, with its bank's BIC, made by
  schwifty from its bank registry.
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
from schwifty import IBAN

from dagster_project.demo.codes import encode, scramble
from dagster_project.demo.dates import SECONDS_PER_DAY
from dagster_project.demo.writer import iso_dates, iso_timestamps, money, optional

PROMISE_PER_MILLE = 100
LAPSED_PROMISE_PER_MILLE = 50
PROMISE_DAYS = 14
WHATSAPP_PER_MILLE = 200
WHATSAPP_WITHDRAWN_PER_MILLE = 100  # of the opt-ins
SMS_REFUSED_PER_MILLE = 40
EMAIL_REFUSED_PER_MILLE = 10
SALT = 515_151


def collection_account(entity: pd.Series) -> tuple[str, str]:
    """(IBAN, BIC) of the entity's collection account; the BIC is empty when the bank
    registry has none for the bank drawn."""
    generator = random.Random(SALT + int(entity["entity_no"]))
    iban = IBAN.random(country_code=str(entity["country_code"]), random=generator)
    bic = iban.bic
    return str(iban), str(bic) if bic is not None else ""


def _draws(entity: pd.Series, n: int, stream: int) -> np.ndarray:
    """Per-customer numbers in 0..999 (and above, for a second draw), one stream per use."""
    counter = (int(entity["entity_no"]) * 16 + stream) * 10**7 + np.arange(n)
    return scramble(counter, SALT).astype(np.int64)


def promises_to_pay(
    entity: pd.Series,
    customers: pd.DataFrame,
    invoices: dict[str, np.ndarray],
    settled_day: np.ndarray,
    end_day: int,
) -> dict[str, np.ndarray]:
    """The arrangements columns of one entity: promises to pay by overdue debtors."""
    n = len(customers)
    is_overdue = (invoices["due"] < end_day) & (settled_day < 0) & (invoices["issue"] <= end_day)
    overdue_cents = np.bincount(
        invoices["customer"], weights=np.where(is_overdue, invoices["amount"], 0), minlength=n
    ).astype(np.int64)
    draw = _draws(entity, n, 0)
    in_force = (overdue_cents > 0) & (draw % 1000 < PROMISE_PER_MILLE)
    lapsed = (
        (overdue_cents > 0)
        & ~in_force
        & (draw % 1000 < PROMISE_PER_MILLE + LAPSED_PROMISE_PER_MILLE)
    )

    customer = np.flatnonzero(in_force | lapsed)
    days_before = np.where(in_force[customer], 1 + (draw[customer] // 1000) % 7, 35)
    valid_from = end_day - days_before
    recorded = valid_from * SECONDS_PER_DAY + 9 * 3600 + (draw[customer] // 7000) % 28_800
    amount = overdue_cents[customer]
    return {
        "entity_id": np.full(customer.size, str(entity["entity_id"])),
        "arrangement_id": np.char.add("PTP-", encode(customer + 1, 8)),
        "customer_id": customers["customer_id"].to_numpy().astype(str)[customer],
        "arrangement_type": np.full(customer.size, "promise_to_pay"),
        "valid_from": iso_dates(valid_from),
        "valid_to": iso_dates(valid_from + PROMISE_DAYS),
        "promised_amount": optional(money(amount), amount > 0),
        "currency": np.full(customer.size, str(entity["base_currency"])),
        "recorded_at": iso_timestamps(recorded),
    }


def contact_consents(
    entity: pd.Series, customers: pd.DataFrame, end_day: int
) -> dict[str, np.ndarray]:
    """The contact_consents columns of one entity: opt-ins, withdrawals and refusals."""
    n = len(customers)
    has_phone = customers["phone"].to_numpy().astype(str) != ""
    has_email = customers["email"].to_numpy().astype(str) != ""
    whatsapp, sms, email = (_draws(entity, n, stream) for stream in (1, 2, 3))

    opted_in = has_phone & (whatsapp % 1000 < WHATSAPP_PER_MILLE)
    withdrawn = opted_in & ((whatsapp // 1000) % 1000 < WHATSAPP_WITHDRAWN_PER_MILLE)
    sms_refused = has_phone & (sms % 1000 < SMS_REFUSED_PER_MILLE)
    email_refused = has_email & (email % 1000 < EMAIL_REFUSED_PER_MILLE)

    groups = (
        (opted_in, "whatsapp", True, 400 + (whatsapp // 10**6) % 300),
        (withdrawn, "whatsapp", False, 10 + (whatsapp // 10**6) % 300),
        (sms_refused, "sms", False, 30 + (sms // 1000) % 600),
        (email_refused, "email", False, 30 + (email // 1000) % 600),
    )
    parts = []
    for chosen, channel, consent, days_before in groups:
        rows = np.flatnonzero(chosen)
        seconds = (end_day - days_before[rows]) * SECONDS_PER_DAY + 8 * 3600 + rows % 36_000
        parts.append((rows, np.full(rows.size, channel), np.full(rows.size, consent), seconds))
    rows = np.concatenate([p[0] for p in parts])
    channel = np.concatenate([p[1] for p in parts])
    consent = np.concatenate([p[2] for p in parts])
    seconds = np.concatenate([p[3] for p in parts]).astype(np.int64)
    order = np.lexsort((seconds, channel, rows))
    rows, channel, consent, seconds = rows[order], channel[order], consent[order], seconds[order]
    return {
        "entity_id": np.full(rows.size, str(entity["entity_id"])),
        "customer_id": customers["customer_id"].to_numpy().astype(str)[rows],
        "channel": channel,
        "has_consent": np.where(consent, "true", "false"),
        "recorded_at": iso_timestamps(seconds),
    }
