"""Cash against invoices: the allocations the ERP books and the PSP payments behind them.

Most invoices are paid by one payment on their settlement day. Some are paid in two or three
parts, some overpaid (the excess stays unapplied), some partly from an advance that the ERP
re-allocates on the issue date. Direct debits are collected on the due date; a few bounce and
are paid again later, and a few PSP payments are refunded or charged back before the final
payment. The ERP books a PSP payment one to three days after the PSP reports it paid, a bank
transfer on the day it arrives; nothing dated after the end date is booked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dagster_project.demo.behaviour import NEVER
from dagster_project.demo.config import GeneratorConfig
from dagster_project.demo.credits import Credits
from dagster_project.demo.methods import choose_methods
from dagster_project.demo.reminders import ContactPlan

# Order of allocations booked on the same day.
ADVANCE, REALLOCATE_OUT, REALLOCATE_IN, PARTIAL, FIRST, UNDO, FINAL, EXCESS = range(8)
ALLOCATION_COLUMNS = ("customer", "document", "amount", "day", "method", "source", "kind")
PSP_COLUMNS = ("invoice", "amount", "method", "paid_day", "undo_status", "undo_day")
PARTIAL_LOOKBACK_DAYS = 60
THIRD_PART_SHARE = 0.25


@dataclass(frozen=True)
class Cash:
    """Allocation rows, PSP payment rows, and the day each invoice was settled for good."""

    allocations: dict[str, np.ndarray]
    psp_payments: dict[str, np.ndarray]
    settled_day: np.ndarray


@dataclass(frozen=True)
class _Book:
    """What every step needs to know about the invoices of one entity."""

    invoices: dict[str, np.ndarray]
    pay_date: np.ndarray
    by_cash: np.ndarray
    net: np.ndarray
    is_debit: np.ndarray
    returned: np.ndarray

    @property
    def size(self) -> int:
        return self.net.size

    def on_invoice(self) -> dict[str, np.ndarray]:
        """The customer and document columns of rows that belong to the invoice itself."""
        return {"customer": self.invoices["customer"], "document": np.arange(self.size)}


class _Rows:
    """Collects rows of equally long columns, one masked batch at a time."""

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.columns = columns
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, mask: np.ndarray, **values: object) -> None:
        rows = np.flatnonzero(mask)
        self.parts.append(
            {name: np.broadcast_to(values[name], mask.shape)[rows] for name in self.columns}
        )

    def until(self, day_column: str, end_day: int) -> dict[str, np.ndarray]:
        frame = {name: np.concatenate([p[name] for p in self.parts]) for name in self.columns}
        keep = frame[day_column] <= end_day
        return {name: values[keep] for name, values in frame.items()}


def _share(wanted: float, pool: np.ndarray) -> float:
    """The probability that gives about `wanted` hits in the pool."""
    return float(np.clip(wanted / max(int(pool.sum()), 1), 0.0, 1.0))


def _advances(
    book: _Book, rows: _Rows, first_day: int, config: GeneratorConfig, rng: np.random.Generator
) -> np.ndarray:
    """Advances received before the invoice and re-allocated to it on the issue date."""
    n, issue, customer = book.size, book.invoices["issue"], book.invoices["customer"]
    is_b2b = book.invoices["is_b2b"]
    pool = book.by_cash & ~book.is_debit & is_b2b & ~book.invoices["is_disputed"]
    pool &= issue - 3 >= first_day
    chosen = pool & (rng.random(n) < _share(config.advance_payment_share * n, pool))
    amount = np.where(chosen, np.floor(book.net * rng.uniform(0.2, 0.9, n)), 0).astype(np.int64)
    received = np.maximum(issue - rng.integers(3, 46, n), first_day)
    unapplied = {"customer": customer, "document": -1}
    rows.add(
        chosen,
        **unapplied,
        amount=amount,
        day=received,
        method="bank_transfer",
        source="bank",
        kind=ADVANCE,
    )
    rows.add(
        chosen, **unapplied, amount=-amount, day=issue, method="", source="erp", kind=REALLOCATE_OUT
    )
    rows.add(
        chosen,
        **book.on_invoice(),
        amount=amount,
        day=issue,
        method="",
        source="erp",
        kind=REALLOCATE_IN,
    )
    return amount


def _partials(
    book: _Book,
    rows: _Rows,
    exclude: np.ndarray,
    config: GeneratorConfig,
    rng: np.random.Generator,
) -> np.ndarray:
    """Earlier part payments by bank transfer (one or two) before the final payment."""
    n, issue = book.size, book.invoices["issue"]
    pool = book.by_cash & ~book.is_debit & ~exclude & (book.pay_date - issue >= 3)
    pool &= book.net >= 500
    wanted = config.partial_payment_share * book.by_cash.sum()
    chosen = pool & (rng.random(n) < _share(wanted, pool))
    third = chosen & (rng.random(n) < THIRD_PART_SHARE)
    low = np.maximum(issue + 1, book.pay_date - PARTIAL_LOOKBACK_DAYS)
    spread = np.maximum(book.pay_date - low, 1)
    day_a, day_b = (low + np.floor(rng.random((2, n)) * spread)).astype(np.int64)
    first = np.where(chosen, np.floor(book.net * rng.uniform(0.2, 0.7, n)), 0).astype(np.int64)
    second = np.where(third, np.floor((book.net - first) * rng.uniform(0.2, 0.6, n)), 0)
    second = second.astype(np.int64)
    for mask, amount, day in (
        (chosen, first, np.minimum(day_a, day_b)),
        (third, second, np.maximum(day_a, day_b)),
    ):
        rows.add(
            mask,
            **book.on_invoice(),
            amount=amount,
            day=day,
            method="bank_transfer",
            source="bank",
            kind=PARTIAL,
        )
    return first + second


def _final_payments(
    book: _Book, rows: _Rows, amount: np.ndarray, method: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """The payment that settles each invoice; returns the day the ERP books it."""
    is_psp = method != "bank_transfer"
    booked = book.pay_date + np.where(is_psp, rng.integers(1, 4, book.size), 0)
    rows.add(
        book.by_cash,
        **book.on_invoice(),
        amount=amount,
        day=booked,
        method=method,
        source=np.where(is_psp, "psp", "bank"),
        kind=FINAL,
    )
    return booked


def _overpayments(
    book: _Book,
    rows: _Rows,
    booked: np.ndarray,
    method: np.ndarray,
    scale: float,
    config: GeneratorConfig,
    rng: np.random.Generator,
) -> None:
    """A small excess on some bank transfers, left unapplied on the customer."""
    n = book.size
    pool = book.by_cash & (method == "bank_transfer")
    chosen = pool & (rng.random(n) < _share(config.overpayment_share * book.by_cash.sum(), pool))
    excess = np.round(rng.integers(1, 2500, n) * scale).astype(np.int64)
    rows.add(
        chosen,
        customer=book.invoices["customer"],
        document=-1,
        amount=excess,
        day=booked,
        method="bank_transfer",
        source="bank",
        kind=EXCESS,
    )


def _bounced_debits(book: _Book, rows: _Rows, rng: np.random.Generator) -> np.ndarray:
    """Direct debits collected on the due date and returned 2-3 days later; returns the day
    the PSP reports the return. The ERP books both within five days of the due date."""
    n, due, amount = book.size, book.invoices["due"], book.invoices["amount"]
    returned_on = due + rng.integers(2, 4, n)
    booked = (due + rng.integers(1, 3, n), returned_on + rng.integers(1, 3, n))
    for sign, day, kind in ((1, booked[0], FIRST), (-1, booked[1], UNDO)):
        rows.add(
            book.returned,
            **book.on_invoice(),
            amount=sign * amount,
            day=day,
            method="sepa_direct_debit",
            source="psp",
            kind=kind,
        )
    return returned_on


def _undone_payments(
    book: _Book,
    rows: _Rows,
    eligible: np.ndarray,
    last_contact: np.ndarray,
    amount: np.ndarray,
    method: np.ndarray,
    config: GeneratorConfig,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An earlier PSP payment refunded or charged back before the final one.

    It falls after the last reminder, so no reminder meets an invoice the ERP sees as paid.
    Returns (chosen, first payment day, day the PSP reports the undo).
    """
    n = book.size
    low = np.maximum(book.invoices["issue"] + 1, last_contact + 1)
    pool = eligible & (book.pay_date - 8 >= low)
    chosen = pool & (rng.random(n) < _share(config.chargeback_share * n, pool))
    first_paid = low + np.floor(rng.random(n) * np.maximum(book.pay_date - 7 - low, 1))
    first_paid = first_paid.astype(np.int64)
    undone_on = first_paid + rng.integers(2, 5, n)
    booked = (first_paid + rng.integers(1, 4, n), undone_on + rng.integers(1, 4, n))
    for sign, day, kind in ((1, booked[0], FIRST), (-1, booked[1], UNDO)):
        rows.add(
            chosen,
            **book.on_invoice(),
            amount=sign * amount,
            day=day,
            method=method,
            source="psp",
            kind=kind,
        )
    return chosen, first_paid, undone_on


def _unused_advances(
    customers: pd.DataFrame,
    rows: _Rows,
    n_invoices: int,
    scale: float,
    period: tuple[int, int],
    config: GeneratorConfig,
    rng: np.random.Generator,
) -> None:
    """Payments on account that no invoice has used yet."""
    companies = np.flatnonzero(customers["customer_type"].to_numpy() == "b2b")
    count = round(config.advance_payment_share / 3 * n_invoices) if companies.size else 0
    rows.add(
        np.ones(count, dtype=bool),
        customer=companies[rng.integers(0, companies.size, count)] if count else companies[:0],
        document=-1,
        amount=rng.integers(100, 2001, count) * int(100 * scale),
        day=rng.integers(period[0], period[1] + 1, count),
        method="bank_transfer",
        source="bank",
        kind=ADVANCE,
    )


def _settled_day(book: _Book, booked: np.ndarray, credits: Credits, end_day: int) -> np.ndarray:
    settled = np.where(book.by_cash, booked, -1)
    settled = np.where(credits.is_full, credits.day, settled)
    settled = np.where(credits.write_off_day >= 0, credits.write_off_day, settled)
    return np.where(settled <= end_day, settled, -1)


def settle(
    invoices: dict[str, np.ndarray],
    customers: pd.DataFrame,
    outcome: dict[str, np.ndarray],
    credits: Credits,
    contacts: tuple[ContactPlan, np.ndarray],
    scale: float,
    config: GeneratorConfig,
    rng: np.random.Generator,
    period: tuple[int, int],
) -> Cash:
    """Turn each invoice's settlement day into allocations and PSP payments for one entity."""
    pay_day = outcome["pay_day"]
    book = _Book(
        invoices={
            **invoices,
            "is_b2b": customers["customer_type"].to_numpy()[invoices["customer"]] == "b2b",
        },
        pay_date=invoices["due"] + np.where(pay_day < NEVER, pay_day, 0),
        by_cash=(pay_day < NEVER) & ~credits.is_full,
        net=invoices["amount"] - np.where(credits.is_full, 0, credits.amount),
        is_debit=outcome["is_direct_debit"],
        returned=outcome["direct_debit_returned"],
    )
    rows = _Rows(ALLOCATION_COLUMNS)
    advance = _advances(book, rows, period[0], config, rng)
    parts = _partials(book, rows, advance > 0, config, rng)

    plan, sent = contacts
    method = choose_methods(invoices, customers, plan, sent, pay_day, period[1], rng)
    method = np.where(book.is_debit & ~book.returned, "sepa_direct_debit", method)
    final_amount = book.net - advance - parts
    booked = _final_payments(book, rows, final_amount, method, rng)
    _overpayments(book, rows, booked, method, scale, config, rng)
    returned_on = _bounced_debits(book, rows, rng)

    is_psp = book.by_cash & (method != "bank_transfer")
    eligible = is_psp & ~book.is_debit & (parts == 0) & (advance == 0)
    eligible &= book.pay_date <= period[1]
    last_contact = np.where(sent, plan.day, -10_000).max(axis=1) + invoices["due"]
    undone, first_paid, undone_on = _undone_payments(
        book, rows, eligible, last_contact, final_amount, method, config, rng
    )
    _unused_advances(customers, rows, book.size, scale, period, config, rng)

    psp = _Rows(PSP_COLUMNS)
    index = np.arange(book.size)
    psp.add(
        is_psp,
        invoice=index,
        amount=final_amount,
        method=method,
        paid_day=book.pay_date,
        undo_status="",
        undo_day=-1,
    )
    psp.add(
        book.returned,
        invoice=index,
        amount=invoices["amount"],
        method="sepa_direct_debit",
        paid_day=invoices["due"],
        undo_status="reversed",
        undo_day=returned_on,
    )
    psp.add(
        undone,
        invoice=index,
        amount=final_amount,
        method=method,
        paid_day=first_paid,
        undo_status=np.where(method == "card", "charged_back", "refunded"),
        undo_day=undone_on,
    )
    return Cash(
        allocations=rows.until("day", period[1]),
        psp_payments=psp.until("paid_day", period[1]),
        settled_day=_settled_day(book, booked, credits, period[1]),
    )
