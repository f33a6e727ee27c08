"""Credit notes and write-offs: documents that lower the receivable without cash.

Linked credit notes either settle the whole invoice (dated on the day it would otherwise have
been paid, so the settlement day of the payment model still holds) or take a part off it before
it is paid. Disputed invoices are credited far more often. A few credit notes are unlinked
(goodwill) and stay as customer credit. Write-offs close invoices that never pay, four to
fourteen months after their due date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dagster_project.demo.behaviour import NEVER
from dagster_project.demo.config import GeneratorConfig

LINKED_SHARE = 0.85
DISPUTED_CREDIT_SHARE = 0.4
FULL_CREDIT_SHARE = {"disputed": 0.5, "other": 0.3}
MAX_CREDIT_DELAY_DAYS = 30
WRITE_OFF_DELAY_DAYS = (90, 300)


@dataclass(frozen=True)
class Credits:
    """Per invoice: credited amount (planned), settled in full by credit, write-off day or -1;
    and the credit and write-off documents dated up to the end date."""

    amount: np.ndarray
    is_full: np.ndarray
    day: np.ndarray
    write_off_day: np.ndarray
    documents: dict[str, np.ndarray]


def _linked(
    invoices: dict[str, np.ndarray],
    pay_date: np.ndarray,
    candidate: np.ndarray,
    config: GeneratorConfig,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(credited amount, is full credit, credit day) per invoice; amount 0 when none."""
    amount, issue, disputed = invoices["amount"], invoices["issue"], invoices["is_disputed"]
    n = amount.size
    u = rng.random(n)
    from_dispute = candidate & disputed & (u < DISPUTED_CREDIT_SHARE)
    pool = candidate & ~disputed
    wanted = config.credit_note_share * LINKED_SHARE * n - from_dispute.sum()
    other = pool & (u < np.clip(wanted / max(pool.sum(), 1), 0.0, 1.0))
    credited = from_dispute | other

    full_share = np.where(disputed, FULL_CREDIT_SHARE["disputed"], FULL_CREDIT_SHARE["other"])
    full = credited & (rng.random(n) < full_share)
    partial = credited & ~full & (pay_date - issue >= 2)
    span = np.clip(np.minimum(pay_date - issue - 1, MAX_CREDIT_DELAY_DAYS), 1, None)
    partial_day = issue + 1 + np.floor(rng.random(n) * span).astype(np.int64)
    partial_amount = np.round(amount * rng.uniform(0.05, 0.5, n)).astype(np.int64)
    partial_amount = np.clip(partial_amount, 1, amount - 1)
    credit = np.where(full, amount, np.where(partial, partial_amount, 0))
    return credit, full, np.where(full, pay_date, np.where(partial, partial_day, -1))


def credit_notes_and_write_offs(
    invoices: dict[str, np.ndarray],
    pay_day: np.ndarray,
    is_direct_debit: np.ndarray,
    scale: float,
    config: GeneratorConfig,
    rng: np.random.Generator,
    end_day: int,
) -> Credits:
    """All credit notes and write-offs of one entity."""
    amount, issue, due = invoices["amount"], invoices["issue"], invoices["due"]
    n = amount.size
    paying = pay_day < NEVER
    pay_date = due + np.where(paying, pay_day, NEVER)
    credit, full, credit_day = _linked(invoices, pay_date, paying & ~is_direct_debit, config, rng)

    n_unlinked = round(config.credit_note_share * (1 - LINKED_SHARE) * n)
    source = rng.integers(0, max(n, 1), n_unlinked)
    unlinked_day = np.minimum(issue[source] + rng.integers(0, 60, n_unlinked), end_day)
    unlinked_amount = np.round(rng.uniform(5, 150, n_unlinked) * scale).astype(np.int64) * 100

    delay = rng.integers(WRITE_OFF_DELAY_DAYS[0], WRITE_OFF_DELAY_DAYS[1] + 1, n)
    written_off = ~paying & (rng.random(n) < config.write_off_share) & (due + delay <= end_day)
    write_off_day = np.where(written_off, due + delay, -1)

    issued = (credit > 0) & (credit_day <= end_day)
    linked_rows, write_off_rows = np.flatnonzero(issued), np.flatnonzero(written_off)
    documents = {
        "kind": np.concatenate(
            [
                np.full(linked_rows.size + n_unlinked, "credit_note"),
                np.full(write_off_rows.size, "write_off"),
            ]
        ),
        "customer": np.concatenate(
            [
                invoices["customer"][linked_rows],
                invoices["customer"][source],
                invoices["customer"][write_off_rows],
            ]
        ),
        "day": np.concatenate(
            [credit_day[linked_rows], unlinked_day, write_off_day[write_off_rows]]
        ),
        "amount": np.concatenate([credit[linked_rows], unlinked_amount, amount[write_off_rows]]),
        "applies_to": np.concatenate([linked_rows, np.full(n_unlinked, -1), write_off_rows]).astype(
            np.int64
        ),
    }
    return Credits(credit, full, credit_day, write_off_day, documents)
