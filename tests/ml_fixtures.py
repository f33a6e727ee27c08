"""Mart-shaped fixtures for the payment-model tests: a small group with known payment behaviour.

`make_history` draws the whole life of every invoice (issue, due and true settlement date, the
reminders it gets) with numpy, once. `write_marts` then builds the marts the ML code reads as
they would look on a given as-of date: documents issued later are absent, a settlement after
the as-of date is still open, contacts after it are not sent yet. Building the same history as
of two dates is how the leakage test adds "later" data.

Customers are either punctual (pay between 12 days early and 10 days late, now and then 40
days late) or late (pay 25 to 120 days late, a few never), so a model has a known answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

EPOCH = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True)
class GroupSpec:
    """Size and shape of a generated group."""

    n_entities: int = 6
    n_customers: int = 120
    n_invoices: int = 3000
    first_issue: date = date(2023, 1, 1)
    last_issue: date = date(2024, 12, 31)
    terms_days: tuple[int, ...] = (14, 30, 60)
    late_customer_share: float = 0.5
    with_contacts: bool = True
    with_segments: bool = True
    seed: int = 7


def _days(values: np.ndarray) -> np.ndarray:
    return EPOCH + values.astype("timedelta64[D]")


def _customers(spec: GroupSpec, rng: np.random.Generator) -> pd.DataFrame:
    index = np.arange(spec.n_customers)
    return pd.DataFrame(
        {
            "entity_id": [f"E{i % spec.n_entities + 1:02d}" for i in index],
            "customer_id": [f"C{i:05d}" for i in index],
            "customer_type": rng.choice(["b2b", "b2c"], size=spec.n_customers),
            "country_code": rng.choice(["NL", "BE", "DE"], size=spec.n_customers),
            "language": rng.choice(["nl", "fr", "de"], size=spec.n_customers)
            if spec.with_segments
            else None,
            "segment": rng.choice(["key", "standard", "small"], size=spec.n_customers)
            if spec.with_segments
            else None,
            "is_late_payer": rng.random(spec.n_customers) < spec.late_customer_share,
        }
    )


def _invoices(spec: GroupSpec, customers: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = spec.n_invoices
    owner = rng.integers(0, spec.n_customers, size=n)
    first = (np.datetime64(spec.first_issue, "D") - EPOCH).astype(int)
    last = (np.datetime64(spec.last_issue, "D") - EPOCH).astype(int)
    issue = rng.integers(first, last + 1, size=n)
    due = issue + rng.choice(np.array(spec.terms_days), size=n)

    late_payer = customers["is_late_payer"].to_numpy()[owner]
    punctual_delay = np.where(rng.random(n) < 0.05, 40, rng.integers(-12, 11, size=n))
    late_delay = rng.integers(25, 121, size=n)
    delay = np.where(late_payer, late_delay, punctual_delay)
    settled = np.maximum(due + delay, issue)
    never_paid = late_payer & (rng.random(n) < 0.03)

    return pd.DataFrame(
        {
            "entity_id": customers["entity_id"].to_numpy()[owner],
            "customer_id": customers["customer_id"].to_numpy()[owner],
            "document_id": [f"INV{i:06d}" for i in range(n)],
            "issue_date": _days(issue),
            "due_date": _days(due),
            "true_settled_date": pd.Series(_days(settled)).where(~never_paid),
            "amount": np.round(rng.lognormal(6, 1, size=n), 2),
            "is_disputed": rng.random(n) < 0.02,
        }
    )


def _contacts(invoices: pd.DataFrame) -> pd.DataFrame:
    """Reminders 7 and 21 days after the due date, for invoices not settled by then."""
    frames = []
    for level, offset in ((1, 7), (2, 21)):
        sent = invoices["due_date"] + pd.Timedelta(days=offset)
        unpaid = invoices["true_settled_date"].isna() | (invoices["true_settled_date"] > sent)
        frame = invoices.loc[unpaid, ["entity_id", "customer_id", "document_id"]].copy()
        frame["sent_date"] = sent[unpaid]
        frame["reminder_level"] = level
        frames.append(frame)
    contacts = pd.concat(frames, ignore_index=True)
    contacts["contact_id"] = [f"K{i:07d}" for i in range(len(contacts))]
    return contacts


def make_history(spec: GroupSpec) -> dict[str, pd.DataFrame]:
    """The whole generated life of a group: entities, customers, invoices, contacts."""
    rng = np.random.default_rng(spec.seed)
    customers = _customers(spec, rng)
    invoices = _invoices(spec, customers, rng)
    contacts = _contacts(invoices) if spec.with_contacts else _contacts(invoices.iloc[:0])
    entities = pd.DataFrame(
        {
            "entity_id": [f"E{i + 1:02d}" for i in range(spec.n_entities)],
            "division": [["retail", "wholesale"][i % 2] for i in range(spec.n_entities)],
            "country_code": [["NL", "BE", "DE"][i % 3] for i in range(spec.n_entities)],
        }
    )
    return {
        "entities": entities,
        "customers": customers,
        "invoices": invoices,
        "contacts": contacts,
    }


MARTS_SQL = """
create schema if not exists marts;

create or replace table marts.dim_entities as
select entity_id, 'Entity ' || entity_id as entity_name, division, country_code,
    'EUR' as base_currency, 'Europe/Amsterdam' as time_zone
from h_entities;

create or replace table marts.dim_customers as
select c.entity_id, c.customer_id, c.customer_type, c.country_code, c.language, c.segment,
    true as has_email, false as has_phone, true as has_address, null::varchar as group_debtor_id,
    10000.00::decimal(18, 2) as credit_limit, e.division
from h_customers as c join h_entities as e using (entity_id);

create or replace table marts.fct_invoices as
with cut as (
    select *, case when true_settled_date <= $as_of then true_settled_date end as settled_date
    from h_invoices where issue_date <= $as_of
)
select entity_id, customer_id, document_id, document_id as document_number,
    'RF' || document_id as payment_reference, issue_date::date as issue_date,
    due_date::date as due_date, (due_date::date - issue_date::date)::integer as terms_days,
    'EUR' as currency, amount::decimal(18, 2) as amount, amount::decimal(18, 2) as amount_base,
    case when settled_date is null then amount else 0 end::decimal(18, 2) as open_amount,
    settled_date::date as settled_date,
    (settled_date::date - issue_date::date)::integer as days_to_pay,
    (settled_date::date - due_date::date)::integer as days_late, is_disputed
from cut;

create or replace table marts.fct_open_items as
with open_invoices as (
    select * from marts.fct_invoices where settled_date is null
),
credits as (
    select entity_id, customer_id, 'PAY-' || customer_id as item_id,
        'unapplied_payment' as item_type, null as document_number, $as_of::date as issue_date,
        null::date as due_date, 'EUR' as currency, -25.00::decimal(18, 2) as amount
    from marts.dim_customers where right(customer_id, 1) = '0'
)
select $as_of::date as as_of_date, entity_id, customer_id, document_id as item_id,
    'invoice' as item_type, document_number, issue_date, due_date, currency, amount,
    open_amount, open_amount as open_amount_base,
    ($as_of::date - due_date)::integer as days_past_due, 'any' as aging_bucket, 1 as bucket_order,
    $as_of::date > due_date as is_overdue, is_disputed, false as is_unapplied_credit
from open_invoices
union all
select $as_of::date, entity_id, customer_id, item_id, item_type, document_number, issue_date,
    due_date, currency, amount, amount, amount, null, 'Unapplied credit', 0, false, false, true
from credits;

create or replace table marts.fct_payment_signals as
select i.entity_id, i.document_id, i.customer_id, 'paid' as last_status,
    i.true_settled_date::timestamp as last_status_at, i.amount::decimal(18, 2) as paid_amount,
    'EUR' as currency, i.true_settled_date::timestamp as paid_at, 'mollie' as provider,
    case when right(i.customer_id::varchar, 1) in ('1', '2') then 'sepa_direct_debit'
        else 'ideal' end
        as method,
    1 as event_count, i.true_settled_date::timestamp as first_event_at,
    i.true_settled_date::timestamp as last_event_at
from h_invoices as i
where i.true_settled_date <= $as_of and right(i.document_id::varchar, 1) in ('0', '2', '4', '6');

create or replace table marts.fct_contacts as
select entity_id, contact_id, customer_id, document_id,
    sent_date::timestamp + interval 9 hour as sent_at, sent_date::date as sent_date,
    'email' as channel, 'friendly' as tone, 'nl' as language, null::varchar as offer,
    reminder_level
from h_contacts where sent_date <= $as_of;
"""


def hand_made_history(
    invoices: Sequence[tuple[str, str, str, float, str | None]],
    contacts: Sequence[tuple[str, str]] = (),
) -> dict[str, pd.DataFrame]:
    """A history from literal rows, all of customer C1 of entity E01 (no segment, no language).

    invoices: (document_id, issue_date, due_date, amount, true settled date or None), dates in
    ISO format; contacts: (document_id, sent_date).
    """
    invoice_frame = pd.DataFrame(
        invoices,
        columns=["document_id", "issue_date", "due_date", "amount", "true_settled_date"],
    )
    for column in ("issue_date", "due_date", "true_settled_date"):
        invoice_frame[column] = pd.to_datetime(invoice_frame[column])
    invoice_frame = invoice_frame.assign(entity_id="E01", customer_id="C1", is_disputed=False)

    contact_frame = pd.DataFrame(list(contacts), columns=["document_id", "sent_date"])
    contact_frame["sent_date"] = pd.to_datetime(contact_frame["sent_date"])
    contact_frame = contact_frame.assign(
        entity_id="E01",
        customer_id="C1",
        reminder_level=1,
        contact_id=[f"K{i}" for i in range(len(contact_frame))],
    )
    return {
        "entities": pd.DataFrame(
            {"entity_id": ["E01"], "division": ["retail"], "country_code": ["NL"]}
        ),
        "customers": pd.DataFrame(
            {
                "entity_id": ["E01"],
                "customer_id": ["C1"],
                "customer_type": ["b2b"],
                "country_code": ["NL"],
                "language": [None],
                "segment": [None],
            }
        ),
        "invoices": invoice_frame,
        "contacts": contact_frame,
    }


def write_marts(
    con: duckdb.DuckDBPyConnection, history: dict[str, pd.DataFrame], as_of: date
) -> None:
    """(Re)build the marts as they would be on `as_of`, from the generated history."""
    for name, frame in history.items():
        con.register(f"h_{name}", frame)
    for statement in MARTS_SQL.split(";"):
        if statement.strip():
            params = {"as_of": as_of} if "$as_of" in statement else None
            con.execute(statement, params)
    for name in history:
        con.unregister(f"h_{name}")


def make_warehouse(path: Path, spec: GroupSpec, as_of: date) -> duckdb.DuckDBPyConnection:
    """A DuckDB file with the marts of a generated group as of `as_of`."""
    con = duckdb.connect(str(path))
    write_marts(con, make_history(spec), as_of)
    return con
