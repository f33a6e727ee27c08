"""Instalment plans: a small share of larger business invoices is split into monthly parts.

The first instalment is due on the invoice's own due date, each next one 30 days later; the
amounts are equal but for the last, which takes the remainder, so a plan adds up to its
invoice. Which invoices get a plan and how many parts is derived from the invoice number, not
drawn from a random stream, so every other generated value stays as it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.demo.codes import scramble
from dagster_project.demo.writer import iso_dates, money

PLAN_SHARE_PER_MILLE = 15
MAX_INSTALMENTS = 4
DAYS_BETWEEN_INSTALMENTS = 30
SALT = 424_242


def instalment_plans(
    entity: pd.Series,
    customers: pd.DataFrame,
    invoices: dict[str, np.ndarray],
    document_id: np.ndarray,
) -> dict[str, np.ndarray]:
    """The instalments columns of one entity (no rows for the leasing division)."""
    n = document_id.size
    draw = scramble(int(entity["entity_no"]) * 10**7 + np.arange(n), SALT).astype(np.int64)
    is_b2b = customers["customer_type"].to_numpy()[invoices["customer"]] == "b2b"
    has_plan = is_b2b & (draw % 1000 < PLAN_SHARE_PER_MILLE)
    if entity["division"] == "leasing":
        has_plan[:] = False

    planned = np.flatnonzero(has_plan)
    parts = 2 + (draw[planned] // 1000) % (MAX_INSTALMENTS - 1)
    invoice = np.repeat(planned, parts)
    number = np.arange(invoice.size) - np.repeat(np.cumsum(parts) - parts, parts) + 1
    count = np.repeat(parts, parts)

    amount = invoices["amount"][invoice]
    unit = 100 if str(entity["base_currency"]) == "CZK" else 1
    share = amount // count // unit * unit
    part_amount = np.where(number == count, amount - share * (count - 1), share)
    due = invoices["due"][invoice] + (number - 1) * DAYS_BETWEEN_INSTALMENTS
    return {
        "entity_id": np.full(invoice.size, str(entity["entity_id"])),
        "document_id": document_id[invoice],
        "instalment_number": number.astype(str),
        "due_date": iso_dates(due),
        "amount": money(part_amount),
        "currency": np.full(invoice.size, str(entity["base_currency"])),
    }
