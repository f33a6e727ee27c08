"""One entity's ERP tables in canonical columns: entities, customers, documents, allocations and
contacts. Ids are numbered in date order, so the files read like an ERP export."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.contract import CHANNELS
from dagster_project.demo import dates
from dagster_project.demo.arrangements import collection_account
from dagster_project.demo.codes import dutch_payment_references, encode, rf_references
from dagster_project.demo.credits import Credits
from dagster_project.demo.reminders import ContactPlan
from dagster_project.demo.response import OFFERS, TONES
from dagster_project.demo.writer import booleans, iso_dates, iso_timestamps, money, optional

DOCUMENT_KINDS = ("invoice", "credit_note", "write_off")
NUMBER_PREFIXES = ("", "CN-", "WO-")


def _rank(*keys: np.ndarray) -> np.ndarray:
    """Position of each row when sorted by the keys (the last key sorts first)."""
    order = np.lexsort(keys)
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return rank


def _ids(prefix: str, rank: np.ndarray) -> np.ndarray:
    width = max(8, len(str(rank.size)))
    return np.char.add(prefix, encode(rank + 1, width))


def entity_columns(entity: pd.Series) -> dict[str, np.ndarray]:
    names = ("entity_id", "entity_name", "division", "country_code", "base_currency", "time_zone")
    columns = {name: np.array([str(entity[name])]) for name in names}
    iban, bic = collection_account(entity)
    return columns | {"collection_iban": np.array([iban]), "collection_bic": np.array([bic])}


def customer_columns(entity: pd.Series, customers: pd.DataFrame) -> dict[str, np.ndarray]:
    limit = customers["credit_limit"].to_numpy()
    columns = {"entity_id": np.full(len(customers), str(entity["entity_id"]))}
    for name in (
        "customer_id",
        "customer_name",
        "customer_type",
        "country_code",
        "language",
        "segment",
        "email",
        "phone",
        "iban",
        "group_debtor_id",
    ):
        columns[name] = customers[name].to_numpy().astype(str)
    columns["credit_limit"] = optional(money(np.maximum(limit, 0)), limit >= 0)
    columns["vat_number"] = customers["vat_number"].to_numpy().astype(str)
    return columns


def _sequence_in_year(kind: np.ndarray, year: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """1, 2, 3 ... per document kind and year, in document order."""
    order = np.lexsort((rank, year, kind))
    new_group = np.ones(order.size, dtype=bool)
    new_group[1:] = (np.diff(kind[order]) != 0) | (np.diff(year[order]) != 0)
    start = np.maximum.accumulate(np.where(new_group, np.arange(order.size), 0))
    sequence = np.empty(order.size, dtype=np.int64)
    sequence[order] = np.arange(order.size) - start + 1
    return sequence


def _payment_references(entity: pd.Series, numbers: np.ndarray) -> np.ndarray:
    """Dutch 16-digit references in NL, the document number in DE, RF references elsewhere."""
    serial = np.arange(1, numbers.size + 1, dtype=np.int64)
    entity_no = int(entity["entity_no"])
    if entity["country_code"] == "NL":
        return dutch_payment_references(entity_no * 10**12 + serial)
    if entity["country_code"] == "DE":
        return numbers
    return rf_references(entity_no * 10**12 + serial, 15)


def documents(
    entity: pd.Series, customers: pd.DataFrame, invoices: dict[str, np.ndarray], credits: Credits
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """(documents columns, document_id per invoice, payment_reference per invoice)."""
    n = invoices["amount"].size
    other = credits.documents
    other_kind = np.where(other["kind"] == "credit_note", 1, 2)
    kind = np.concatenate([np.zeros(n, np.int64), other_kind])
    day = np.concatenate([invoices["issue"], other["day"]])
    rank = _rank(np.arange(kind.size), kind, day)
    document_id = _ids("D", rank)

    year = dates.year(day)
    sequence = _sequence_in_year(kind, year, rank)
    width = max(6, len(str(int(sequence.max(initial=0)))))
    prefix = np.char.add(f"{entity['entity_id']}-", np.array(NUMBER_PREFIXES)[kind])
    number = np.char.add(
        np.char.add(np.char.add(prefix, year.astype(str)), "-"), encode(sequence, width)
    )
    reference = _payment_references(entity, number[:n])

    applies_to = np.concatenate([np.full(n, -1), other["applies_to"]])
    customer = np.concatenate([invoices["customer"], other["customer"]])
    due = np.concatenate([invoices["due"], np.zeros(kind.size - n, np.int64)])
    columns = {
        "entity_id": np.full(kind.size, str(entity["entity_id"])),
        "document_id": document_id,
        "document_type": np.array(DOCUMENT_KINDS)[kind],
        "document_number": number,
        "customer_id": customers["customer_id"].to_numpy().astype(str)[customer],
        "issue_date": iso_dates(day),
        "due_date": optional(iso_dates(due), kind == 0),
        "currency": np.full(kind.size, str(entity["base_currency"])),
        "amount": money(np.concatenate([invoices["amount"], other["amount"]])),
        "payment_reference": np.concatenate([reference, np.full(kind.size - n, "")]),
        "applies_to_document_id": optional(document_id[np.maximum(applies_to, 0)], applies_to >= 0),
        "is_disputed": booleans(
            np.concatenate([invoices["is_disputed"], np.zeros(kind.size - n, bool)])
        ),
    }
    order = np.argsort(rank)
    return {k: v[order] for k, v in columns.items()}, document_id[:n], reference


def allocations(
    entity: pd.Series,
    customers: pd.DataFrame,
    rows: dict[str, np.ndarray],
    invoice_document_id: np.ndarray,
) -> dict[str, np.ndarray]:
    document = rows["document"]
    order = np.lexsort((np.arange(document.size), document, rows["kind"], rows["day"]))
    count = order.size
    return {
        "entity_id": np.full(count, str(entity["entity_id"])),
        "allocation_id": _ids("A", np.arange(count)),
        "customer_id": customers["customer_id"].to_numpy().astype(str)[rows["customer"][order]],
        "document_id": optional(
            invoice_document_id[np.maximum(document[order], 0)], document[order] >= 0
        ),
        "amount": money(rows["amount"][order]),
        "currency": np.full(count, str(entity["base_currency"])),
        "booked_date": iso_dates(rows["day"][order]),
        "method": rows["method"][order].astype(str),
        "source": rows["source"][order].astype(str),
    }


def contacts(
    entity: pd.Series,
    customers: pd.DataFrame,
    invoices: dict[str, np.ndarray],
    plan: ContactPlan,
    sent: np.ndarray,
    invoice_document_id: np.ndarray,
) -> dict[str, np.ndarray]:
    invoice, level = np.nonzero(sent)
    sent_at = (invoices["due"][invoice] + plan.day[invoice, level]) * dates.SECONDS_PER_DAY
    sent_at = sent_at + plan.second_of_day[invoice, level]
    order = np.lexsort((level, invoice, sent_at))
    invoice, level, sent_at = invoice[order], level[order], sent_at[order]
    customer = invoices["customer"][invoice]
    return {
        "entity_id": np.full(invoice.size, str(entity["entity_id"])),
        "contact_id": _ids("R", np.arange(invoice.size)),
        "customer_id": customers["customer_id"].to_numpy().astype(str)[customer],
        "document_id": invoice_document_id[invoice],
        "sent_at": iso_timestamps(sent_at),
        "channel": np.array(CHANNELS)[plan.channel[invoice, level]],
        "tone": np.array(TONES)[plan.tone[invoice, level]],
        "language": customers["language"].to_numpy().astype(str)[customer],
        "offer": np.array(OFFERS)[plan.offer[invoice, level]],
        "reminder_level": (level + 1).astype(str),
    }
