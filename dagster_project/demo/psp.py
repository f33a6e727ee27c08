"""PSP events: what the payment providers report about payments made through them.

Each payment is a transaction with a pending and a paid event; some have a failed attempt (its
own transaction) shortly before, some are undone later (refunded, charged back, or a bounced
direct debit: reversed). Delivery is imperfect on purpose: a few events arrive after later
ones (a failed or pending event received after the paid one) and a few are delivered twice
with the same event id. Events not received by the end date are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from dagster_project.contract import PSP_EVENTS
from dagster_project.demo.codes import (
    BASE36_UPPER,
    BASE62,
    HEX_UPPER,
    digit_matrix,
    join_chars,
    scramble,
)
from dagster_project.demo.config import GeneratorConfig
from dagster_project.demo.dates import SECONDS_PER_DAY
from dagster_project.demo.writer import iso_timestamps, money

HOUR = 3600
FAILED_LATE_SHARE = 0.3
FAILED, PENDING, PAID, UNDO = range(4)
# Provider: ((transaction prefix, alphabet, width), (event prefix, alphabet, width)).
ID_FORMATS = {
    "mollie": (("tr_", BASE62, 10), ("ev_", BASE62, 12)),
    "buckaroo": (("", HEX_UPPER, 32), ("", HEX_UPPER, 32)),
    "adyen": (("", BASE36_UPPER, 16), ("", BASE36_UPPER, 16)),
    "stripe": (("pi_", BASE62, 24), ("evt_", BASE62, 24)),
}
# Digits needed to write any 48-bit number in each alphabet.
_UNIQUE_WIDTH = {62: 9, 36: 10, 16: 12}


def provider_ids(index: np.ndarray, id_format: tuple, salt: int) -> np.ndarray:
    """Ids that look random but are unique: the first digits encode a bijection of the index."""
    prefix, alphabet, width = id_format
    base = alphabet.size
    chunk = _UNIQUE_WIDTH[base]
    parts = [
        digit_matrix(scramble(index, salt + 7919 * k), chunk, base)
        for k in range(-(-width // chunk))
    ]
    digits = np.hstack(parts)[:, :width]
    return np.char.add(prefix, join_chars(alphabet[digits]))


def entity_events(
    payments: dict[str, np.ndarray],
    reference: np.ndarray,
    entity: pd.Series,
    config: GeneratorConfig,
    rng: np.random.Generator,
) -> tuple[dict[str, np.ndarray], int]:
    """(events of one entity's PSP payments, number of transactions they use)."""
    n = payments["invoice"].size
    is_debit = payments["method"] == "sepa_direct_debit"
    paid_at = payments["paid_day"] * SECONDS_PER_DAY + np.where(
        is_debit, rng.integers(4 * HOUR, 6 * HOUR, n), rng.integers(6 * HOUR, 21 * HOUR, n)
    )
    pending_at = paid_at - np.where(
        is_debit, rng.integers(1, 4, n) * SECONDS_PER_DAY, rng.integers(5, 600, n)
    )
    failed = ~is_debit & (rng.random(n) < config.psp_failed_share)
    failed_at = paid_at - rng.integers(300, 6 * HOUR, n)
    undo_at = payments["undo_day"] * SECONDS_PER_DAY + rng.integers(6 * HOUR, 20 * HOUR, n)
    delay = np.minimum(1 + np.floor(rng.lognormal(1.0, 1.0, (4, n))), HOUR).astype(np.int64)
    # Failed attempts are retried by the provider more often, so they arrive late more often.
    late = rng.random(n) < np.where(failed, FAILED_LATE_SHARE, config.psp_out_of_order_share)
    after_paid = paid_at + delay[PAID] + rng.integers(20, 2 * HOUR, n)

    every = np.ones(n, dtype=bool)
    pieces = (
        (
            failed,
            n + np.cumsum(failed) - 1,
            "failed",
            failed_at,
            np.where(late, after_paid, failed_at + delay[FAILED]),
        ),
        (
            every,
            np.arange(n),
            "pending",
            pending_at,
            np.where(late & ~failed, after_paid, pending_at + delay[PENDING]),
        ),
        (every, np.arange(n), "paid", paid_at, paid_at + delay[PAID]),
        (
            payments["undo_status"] != "",
            np.arange(n),
            payments["undo_status"],
            undo_at,
            undo_at + delay[UNDO],
        ),
    )
    parts = []
    for kind, (mask, transaction, status, event_at, received_at) in enumerate(pieces):
        rows = np.flatnonzero(mask)
        parts.append(
            {
                "payment": rows,
                "kind": np.full(rows.size, kind),
                "transaction": transaction[rows],
                "status": np.broadcast_to(status, (n,))[rows],
                "event_at": event_at[rows],
                "received_at": received_at[rows],
            }
        )
    events = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    order = np.lexsort((events["kind"], events["payment"]))
    events = {name: values[order] for name, values in events.items()}
    payment = events.pop("payment")
    events["amount"] = payments["amount"][payment]
    # Text is kept as Arrow strings: compact while the events of all entities wait to be written.
    text = {
        "status": events.pop("status"),
        "invoice_reference": reference[payments["invoice"][payment]],
        "method": payments["method"][payment],
        "entity_id": np.full(payment.size, str(entity["entity_id"])),
        "currency": np.full(payment.size, str(entity["base_currency"])),
    }
    events |= {name: pa.array(values.astype(str)) for name, values in text.items()}
    return events, n + int(failed.sum())


def _concatenate(chunks: list) -> np.ndarray | pa.Array:
    if isinstance(chunks[0], pa.Array):
        return pa.concat_arrays(chunks)
    return np.concatenate(chunks)


def provider_file(
    provider: str,
    parts: list[tuple[dict[str, np.ndarray], int]],
    config: GeneratorConfig,
    rng: np.random.Generator,
    end_day: int,
) -> dict[str, np.ndarray | pa.Array]:
    """One provider's file: ids, duplicate deliveries, received order, contract columns."""
    if not parts:
        return {name: np.zeros(0, dtype=str) for name in PSP_EVENTS.column_names}
    offsets = np.cumsum([0] + [count for _, count in parts[:-1]])
    events = {name: _concatenate([p[name] for p, _ in parts]) for name in parts[0][0]}
    events["transaction"] = np.concatenate(
        [p["transaction"] + offset for (p, _), offset in zip(parts, offsets, strict=True)]
    )
    m = events["transaction"].size
    transaction_format, event_format = ID_FORMATS[provider]
    transaction_id = provider_ids(events["transaction"], transaction_format, salt=11)
    event_id = provider_ids(np.arange(m), event_format, salt=97)

    copies = np.flatnonzero(rng.random(m) < config.psp_duplicate_share)
    index = np.concatenate([np.arange(m), copies])
    redelivered = events["received_at"][copies] + rng.integers(60, 2 * HOUR, copies.size)
    received = np.concatenate([events["received_at"], redelivered])
    keep = received < (end_day + 1) * SECONDS_PER_DAY
    index, received = index[keep], received[keep]
    order = np.lexsort((np.arange(index.size), index, received))
    index, received = index[order], received[order]

    take = pa.array(index)
    return {
        "provider": np.full(index.size, provider),
        "event_id": event_id[index],
        "transaction_id": transaction_id[index],
        "entity_id": events["entity_id"].take(take),
        "invoice_reference": events["invoice_reference"].take(take),
        "amount": money(events["amount"][index]),
        "currency": events["currency"].take(take),
        "status": events["status"].take(take),
        "method": events["method"].take(take),
        "event_at": iso_timestamps(events["event_at"][index]),
        "received_at": iso_timestamps(received),
    }
