"""Small warehouses shaped like the marts and ml.invoice_scores, for the policy tests.

Only the documented columns (docs/data_model.md) are built. customer_balances is derived from
the open items by SQL, the same way the mart defines it, so a fixture cannot contradict itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import astuple, dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from models_ml.policy import decide_actions, run_id_for

SCORED_AT = datetime(2024, 1, 1, 6, 0, 0)
TEST_SEGMENTS_YAML = """\
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
segments:
  - name: consumers
    match: {customer_type: b2c}
    min_days_past_due: 3
    strategy:
      high: {channel: sms, tone: friendly, offer: payment_link}
      medium: {channel: sms, tone: neutral, offer: pay_in_3}
      low: {channel: letter, tone: firm, offer: epc_qr}
  - name: large
    match: {min_overdue_amount_base: 10000}
    strategy:
      high: {channel: phone, tone: neutral, offer: none}
      medium: {channel: phone, tone: firm, offer: payment_plan}
      low: {channel: phone, tone: formal, offer: payment_plan}
  - name: default
    strategy:
      high: {channel: email, tone: friendly, offer: payment_link}
      medium: {channel: email, tone: neutral, offer: epc_qr}
      low: {channel: letter, tone: firm, offer: epc_qr}
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
    document_id: str
    last_status: str
    entity_id: str = "E1"


@dataclass(frozen=True)
class Score:
    document_id: str
    customer_id: str
    p_paid_within_horizon: float
    entity_id: str = "E1"


def write_segments(folder: Path, text: str = TEST_SEGMENTS_YAML) -> Path:
    path = folder / "segments.yml"
    path.write_text(text, encoding="utf-8")
    return path


def build_warehouse(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    customers: Iterable[Customer],
    items: Iterable[Item],
    signals: Iterable[Signal] = (),
    scores: Iterable[Score] = (),
) -> None:
    """(Re)create marts.* and ml.invoice_scores holding exactly these rows."""
    con.execute("create schema if not exists marts")
    con.execute("create schema if not exists ml")
    _table(
        con,
        "marts.dim_customers",
        "customer_id varchar, customer_type varchar, country_code varchar, language varchar, "
        "segment varchar, has_email boolean, has_phone boolean, has_address boolean, "
        "division varchar, entity_id varchar, group_debtor_id varchar, "
        "credit_limit decimal(18,2)",
        [(*astuple(customer), None, None) for customer in customers],
    )
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
    _table(
        con,
        "marts.fct_payment_signals",
        "document_id varchar, last_status varchar, entity_id varchar",
        [astuple(signal) for signal in signals],
    )
    _table(
        con,
        "ml.invoice_scores",
        "document_id varchar, customer_id varchar, p_paid_within_horizon double, "
        "entity_id varchar, as_of_date date, horizon_days integer, model_id varchar, "
        "scored_at timestamp",
        [(*astuple(score), as_of, 30, "m1", SCORED_AT) for score in scores],
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


def decide(con: duckdb.DuckDBPyConnection, segments: Path, as_of: date) -> dict[str, dict]:
    """Run the decision and return this run's rows by customer_id."""
    decide_actions(con, segments, as_of)
    return actions_by_customer(con, as_of)


def actions_by_customer(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, dict]:
    cursor = con.execute(
        "select * from reminders.debtor_actions where run_id = ?", [run_id_for(as_of)]
    )
    names = [column[0] for column in cursor.description]
    rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    return {row["customer_id"]: row for row in rows}
