"""Small warehouses shaped like the marts, staging and ml.invoice_scores, for the policy tests.

Only the documented columns (docs/data_model.md) are built. customer_balances is derived from
the open items by SQL, the same way the mart defines it, so a fixture cannot contradict itself.
Decisions in these tests use the prior uplift unless a test passes its own, so a contact
history added for a contact rule does not change the expected-value choice.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import astuple, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
from schwifty import IBAN

from models_ml.policy import decide_actions, run_id_for
from models_ml.policy.uplift import Uplift, prior_uplift

SCORED_AT = datetime(2024, 1, 1, 6, 0, 0)
TEST_SEGMENTS_YAML = """\
version: 2
score_bands:
  - {name: high, min_score: 0.7}
  - {name: medium, min_score: 0.4}
  - {name: low, min_score: 0.0}
unscored_band: medium
channel_fallback:
  email: [letter]
  sms: [email, letter]
  whatsapp: [sms, email, letter]
  phone: [email]
  letter: []
contact_rules:
  quiet_days: 7
  max_contacts_per_month: 3
  holidays_file: holidays.yml
channels:
  email: {cost: 0.02}
  sms: {cost: 0.08}
  whatsapp: {cost: 0.05}
  letter: {cost: 1.10}
  phone: {cost: 4.50}
segments:
  - name: consumers
    match: {customer_type: b2c}
    steps:
      - days_past_due: 3
        channel: sms
        tone: neutral
        offers: [pay_in_3]
        by_band:
          high: {tone: friendly}
          low: {channel: letter, tone: firm}
  - name: large
    match: {min_overdue_amount_base: 10000}
    steps:
      - days_past_due: 1
        escalation: phone_task
        channel: phone
        tone: firm
        offers: [payment_plan]
  - name: default
    steps:
      - days_past_due: 1
        channel: email
        tone: neutral
        by_band:
          low: {channel: letter, tone: firm}
      - days_past_due: 14
        escalation: final_notice
        channel: letter
        tone: formal
      - days_past_due: 45
        escalation: collection_handover
"""
TEST_HOLIDAYS_YAML = """\
NL: ["01-01", "easter+1", "04-27", "12-25", "12-26"]
DE: ["01-01", "easter-2", "10-03", "12-25"]
"""


@dataclass(frozen=True)
class Customer:
    customer_id: str
    customer_type: str = "b2b"
    country_code: str = "NL"
    language: str | None = None
    segment: str | None = None
    has_email: bool = True
    has_phone: bool = True
    has_address: bool = True
    division: str = "wholesale"
    entity_id: str = "E1"


@dataclass(frozen=True)
class Item:
    """One open item; credits (credit_note, unapplied_payment) have a negative open amount."""

    item_id: str
    customer_id: str
    due_date: date | None
    open_amount: str
    amount: str | None = None
    item_type: str = "invoice"
    currency: str = "EUR"
    is_disputed: bool = False
    fx_rate: str = "1"
    entity_id: str = "E1"


@dataclass(frozen=True)
class Signal:
    """marts.fct_payment_signals; without paid_amount a 'paid' signal pays the whole open
    amount and any other pays nothing; without currency it is the invoice's."""

    document_id: str
    last_status: str
    entity_id: str = "E1"
    paid_amount: str | None = None
    currency: str | None = None


@dataclass(frozen=True)
class Allocation:
    """A payment booked in the ERP (staging.stg_erp__allocations), e.g. a PSP one."""

    document_id: str
    amount: str
    booked_date: date
    source: str = "psp"
    currency: str = "EUR"
    entity_id: str = "E1"


@dataclass(frozen=True)
class Score:
    document_id: str
    customer_id: str
    p_paid_within_horizon: float
    entity_id: str = "E1"


@dataclass(frozen=True)
class Contact:
    """A past contact about one invoice (marts.fct_contacts)."""

    customer_id: str
    document_id: str
    sent_date: date
    reminder_level: int = 1
    channel: str = "email"
    tone: str = "neutral"
    offer: str = "payment_link"
    entity_id: str = "E1"


@dataclass(frozen=True)
class Settled:
    """A settled invoice in the history (marts.fct_invoices), e.g. to make a late payer."""

    document_id: str
    customer_id: str
    due_date: date
    settled_date: date
    entity_id: str = "E1"


@dataclass(frozen=True)
class Arrangement:
    """marts.fct_arrangements; an instalment plan names its invoice (document_id)."""

    customer_id: str
    arrangement_type: str
    valid_from: date
    valid_to: date | None = None
    entity_id: str = "E1"
    document_id: str | None = None


@dataclass(frozen=True)
class Consent:
    customer_id: str
    channel: str
    has_consent: bool
    entity_id: str = "E1"


@dataclass(frozen=True)
class PspEvent:
    """A PSP event in staging, as the hand-over re-check reads it. Without an amount it is
    for the whole open amount of the item it names; without a transaction id, all events of
    a reference are one transaction."""

    invoice_reference: str
    status: str
    event_at: datetime
    entity_id: str = "E1"
    amount: str | None = None
    currency: str = "EUR"
    transaction_id: str | None = None
    provider: str = "demo"


def write_segments(folder: Path, text: str = TEST_SEGMENTS_YAML) -> Path:
    path = folder / "segments.yml"
    path.write_text(text, encoding="utf-8")
    (folder / "holidays.yml").write_text(TEST_HOLIDAYS_YAML, encoding="utf-8")
    return path


def build_warehouse(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    customers: Iterable[Customer],
    items: Iterable[Item],
    signals: Iterable[Signal] = (),
    scores: Iterable[Score] = (),
    *,
    contacts: Iterable[Contact] = (),
    settled: Iterable[Settled] = (),
    arrangements: Iterable[Arrangement] | None = None,
    consents: Iterable[Consent] | None = None,
    events: Iterable[PspEvent] = (),
    allocations: Iterable[Allocation] = (),
    without_collection_account: Iterable[str] = (),
) -> None:
    """(Re)create marts.*, staging.* and ml.invoice_scores holding exactly these rows; every
    entity has a collection account but those in `without_collection_account`."""
    customers, items = list(customers), list(items)
    for schema in ("marts", "ml", "staging"):
        con.execute(f"create schema if not exists {schema}")
    _table(
        con,
        "marts.dim_customers",
        "customer_id varchar, customer_type varchar, country_code varchar, language varchar, "
        "segment varchar, has_email boolean, has_phone boolean, has_address boolean, "
        "division varchar, entity_id varchar, group_debtor_id varchar, "
        "credit_limit decimal(18,2)",
        [(*astuple(customer), None, None) for customer in customers],
    )
    _entities(con, customers, set(without_collection_account))
    _staging_customers(con, customers)
    _table(
        con,
        "fixture_items",
        "item_id varchar, customer_id varchar, due_date date, open_amount decimal(18,2), "
        "amount decimal(18,2), item_type varchar, currency varchar, is_disputed boolean, "
        "fx_rate decimal(18,6), entity_id varchar",
        [astuple(item) for item in items],
    )
    con.execute(OPEN_ITEMS_SQL, [as_of])
    con.execute(BALANCES_SQL)
    _invoices(con, items, list(settled))
    _table(
        con,
        "fixture_signals",
        "document_id varchar, last_status varchar, entity_id varchar, "
        "paid_amount decimal(18,2), currency varchar",
        [astuple(signal) for signal in signals],
    )
    con.execute(SIGNALS_SQL)
    _table(
        con,
        "ml.invoice_scores",
        "document_id varchar, customer_id varchar, p_paid_within_horizon double, "
        "entity_id varchar, as_of_date date, horizon_days integer, model_id varchar, "
        "scored_at timestamp",
        [(*astuple(score), as_of, 14, "m1", SCORED_AT) for score in scores],
    )
    _table(
        con,
        "marts.fct_contacts",
        "customer_id varchar, document_id varchar, sent_date date, reminder_level integer, "
        "channel varchar, tone varchar, offer varchar, entity_id varchar",
        [astuple(contact) for contact in contacts],
    )
    con.execute("drop table if exists marts.fct_arrangements")
    if arrangements is not None:
        _table(
            con,
            "marts.fct_arrangements",
            "customer_id varchar, arrangement_type varchar, valid_from date, valid_to date, "
            "entity_id varchar, document_id varchar",
            [astuple(arrangement) for arrangement in arrangements],
        )
    con.execute("drop table if exists marts.fct_contact_consents")
    if consents is not None:
        _table(
            con,
            "marts.fct_contact_consents",
            "customer_id varchar, channel varchar, has_consent boolean, entity_id varchar",
            [astuple(consent) for consent in consents],
        )
    _table(
        con,
        "fixture_events",
        "invoice_reference varchar, status varchar, event_at timestamp, entity_id varchar, "
        "amount decimal(18,2), currency varchar, transaction_id varchar, provider varchar",
        [astuple(event) for event in events],
    )
    con.execute(EVENTS_SQL)
    _table(
        con,
        "staging.stg_erp__allocations",
        "document_id varchar, amount decimal(18,2), booked_date date, source varchar, "
        "currency varchar, entity_id varchar",
        [astuple(allocation) for allocation in allocations],
    )


def collection_iban(entity_id: str) -> IBAN:
    """A valid IBAN of the entity's country at a bank of schwifty's registry, stable per id."""
    return IBAN.random(country_code=_country(entity_id), random=random.Random(entity_id))


def _entities(
    con: duckdb.DuckDBPyConnection, customers: list[Customer], without_account: set[str]
) -> None:
    entity_ids = sorted({customer.entity_id for customer in customers} | {"E1"})
    rows = []
    for entity in entity_ids:
        iban = None if entity in without_account else collection_iban(entity)
        rows.append(
            (
                *(entity, f"Entity {entity} B.V.", "wholesale", _country(entity), "EUR"),
                "Europe/Berlin",
                str(iban) if iban else None,
                str(iban.bic) if iban and iban.bic else None,
            )
        )
    _table(
        con,
        "marts.dim_entities",
        "entity_id varchar, entity_name varchar, division varchar, country_code varchar, "
        "base_currency varchar, time_zone varchar, collection_iban varchar, "
        "collection_bic varchar",
        rows,
    )


def _country(entity_id: str) -> str:
    """An entity id like DE-1 is in Germany; plain ids like E1 are Dutch."""
    prefix = entity_id.split("-")[0]
    return prefix if len(prefix) == 2 and prefix.isalpha() and prefix.isupper() else "NL"


def _staging_customers(con: duckdb.DuckDBPyConnection, customers: list[Customer]) -> None:
    _table(
        con,
        "staging.stg_erp__customers",
        "entity_id varchar, customer_id varchar, customer_name varchar, email varchar, "
        "phone varchar",
        [
            (
                customer.entity_id,
                customer.customer_id,
                f"{customer.customer_id.title()} Ltd",
                f"{customer.customer_id}@example.com" if customer.has_email else None,
                "+31600000000" if customer.has_phone else None,
            )
            for customer in customers
        ],
    )


def _invoices(con: duckdb.DuckDBPyConnection, items: list[Item], settled: list[Settled]) -> None:
    """marts.fct_invoices: the open invoices plus the settled history."""
    rows = [
        (i.entity_id, i.customer_id, i.item_id, i.item_id, None, i.due_date, None, None)
        for i in items
        if i.item_type in ("invoice", "debit_note")
    ]
    rows += [
        (
            s.entity_id,
            s.customer_id,
            s.document_id,
            s.document_id,
            None,
            s.due_date,
            s.settled_date,
            (s.settled_date - s.due_date).days,
        )
        for s in settled
    ]
    _table(
        con,
        "marts.fct_invoices",
        "entity_id varchar, customer_id varchar, document_id varchar, document_number varchar, "
        "payment_reference varchar, due_date date, settled_date date, days_late integer",
        rows,
    )


OPEN_ITEMS_SQL = """
create or replace table marts.fct_open_items as
select
    ?::date as as_of_date,
    entity_id,
    customer_id,
    item_id,
    item_type,
    item_id as document_number,
    due_date - 30 as issue_date,
    due_date,
    currency,
    coalesce(amount, open_amount) as amount,
    open_amount,
    (open_amount * fx_rate)::decimal(18, 2) as open_amount_base,
    as_of_date - due_date as days_past_due,
    case
        when open_amount < 0 then 'Unapplied credit'
        when days_past_due <= 0 then 'Current'
        when days_past_due <= 30 then '1-30'
        when days_past_due <= 60 then '31-60'
        when days_past_due <= 90 then '61-90'
        else '91+'
    end as aging_bucket,
    coalesce(days_past_due >= 1, false) as is_overdue,
    is_disputed,
    open_amount < 0 as is_unapplied_credit,
from fixture_items
"""

SIGNALS_SQL = """
create or replace table marts.fct_payment_signals as
select
    signals.entity_id,
    signals.document_id,
    signals.last_status,
    coalesce(
        signals.paid_amount,
        case when signals.last_status = 'paid' then items.open_amount else 0 end
    )::decimal(18, 2) as paid_amount,
    coalesce(signals.currency, items.currency) as currency,
from fixture_signals as signals
left join fixture_items as items
    on signals.entity_id = items.entity_id and signals.document_id = items.item_id
"""

EVENTS_SQL = """
create or replace table staging.stg_psp__events as
select
    events.* replace (coalesce(events.amount, items.open_amount)::decimal(18, 2) as amount),
from fixture_events as events
left join fixture_items as items
    on events.entity_id = items.entity_id and events.invoice_reference = items.item_id
"""

BALANCES_SQL = """
create or replace table marts.customer_balances as
select
    entity_id,
    customer_id,
    sum(open_amount_base) as open_balance_base,
    coalesce(sum(open_amount_base) filter (where open_amount > 0), 0) as invoiced_open_base,
    coalesce(sum(open_amount_base) filter (where open_amount < 0), 0) as unapplied_credit_base,
    coalesce(sum(open_amount_base) filter (where is_overdue and open_amount > 0), 0)
        as overdue_amount_base,
    max(days_past_due) as max_days_past_due,
    count(*) as open_item_count,
    count(*) filter (where is_overdue) as overdue_item_count,
    bool_or(coalesce(is_disputed, false)) as has_disputed_item,
from marts.fct_open_items
group by entity_id, customer_id
"""


def _table(con: duckdb.DuckDBPyConnection, name: str, columns: str, rows: list[tuple]) -> None:
    con.execute(f"create or replace table {name} ({columns})")
    if rows:
        marks = ", ".join("(" + ", ".join("?" for _ in rows[0]) + ")" for _ in rows)
        con.execute(f"insert into {name} values {marks}", [value for row in rows for value in row])


def decide(
    con: duckdb.DuckDBPyConnection, segments: Path, as_of: date, uplift: Uplift | None = None
) -> dict[str, dict]:
    """Run the decision (prior uplift unless given) and return this run's rows by customer."""
    decide_actions(con, segments, as_of, uplift=uplift or prior_uplift())
    return actions_by_customer(con, as_of)


def actions_by_customer(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, dict]:
    cursor = con.execute(
        "select * from reminders.debtor_actions where run_id = ?", [run_id_for(as_of)]
    )
    names = [column[0] for column in cursor.description]
    rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    return {row["customer_id"]: row for row in rows}


def days_before(as_of: date, days: int) -> date:
    return as_of - timedelta(days=days)
