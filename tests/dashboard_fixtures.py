"""A small published warehouse with known answers, shaped like the marts the dashboard reads.

Three entities in two divisions and three countries, a handful of open items, four month ends.
The marts are derived from the open items and monthly figures below with plain SQL, and the DSO
figures with a straightforward Python countback, so the expected answers are written out here
and checked by hand:

    entity  open balance   overdue     open invoices
    NL01        3,250.00   2,500.00       3,500.00   (an unapplied payment of -250.00)
    BE01        2,000.50     800.00       2,000.50   (one invoice due on the as-of date)
    DE01    1,257,500.25   7,500.25   1,257,500.25
    group   1,262,750.75  10,800.25   1,263,000.75
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb

AS_OF = date(2024, 3, 31)
D = Decimal

BUCKETS = (  # bucket_order, aging_bucket, min_days_past_due, max_days_past_due
    (0, "Unapplied credit", None, None),
    (1, "Current", None, 0),
    (2, "1-30", 1, 30),
    (3, "31-60", 31, 60),
    (4, "61-90", 61, 90),
    (5, "91+", 91, None),
)

ENTITIES = (  # entity_id, entity_name, division, country_code, base_currency, time_zone
    ("NL01", "Retail Nederland BV", "retail", "NL", "EUR", "Europe/Amsterdam"),
    ("BE01", "Retail Belgique NV", "retail", "BE", "EUR", "Europe/Brussels"),
    ("DE01", "Grosshandel GmbH", "wholesale", "DE", "EUR", "Europe/Berlin"),
)

CUSTOMERS = (  # entity_id, customer_id, customer_type, country_code, segment
    ("NL01", "C001", "b2c", "NL", "consumer"),
    ("NL01", "C002", "b2b", "NL", "sme"),
    ("BE01", "C101", "b2b", "BE", "sme"),
    ("BE01", "C102", "b2c", "BE", "consumer"),
    ("DE01", "C201", "b2b", "DE", "key_account"),
    ("DE01", "C202", "b2b", "DE", "sme"),
)

OPEN_ITEMS = (  # entity_id, customer_id, item_id, item_type, due_date, open_amount
    ("NL01", "C001", "INV-N1", "invoice", date(2024, 4, 15), D("1000.00")),
    ("NL01", "C001", "INV-N2", "invoice", date(2024, 3, 16), D("500.00")),
    ("NL01", "C002", "INV-N3", "invoice", date(2024, 2, 15), D("2000.00")),
    ("NL01", "C002", "PAY-N4", "unapplied_payment", None, D("-250.00")),
    ("BE01", "C101", "INV-B1", "invoice", date(2024, 3, 31), D("1200.50")),
    ("BE01", "C102", "INV-B2", "invoice", date(2023, 12, 27), D("800.00")),
    ("DE01", "C201", "INV-D1", "invoice", date(2024, 4, 30), D("1250000.00")),
    ("DE01", "C201", "INV-D2", "invoice", date(2024, 1, 21), D("3000.00")),
    ("DE01", "C202", "INV-D3", "invoice", date(2024, 3, 11), D("4500.25")),
)

MONTHS = (date(2023, 12, 31), date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31))
ENTITY_MONTHS = {  # entity_id: (ar_base, net_sales_base) per month end in MONTHS
    "NL01": ((D("2900.00"), D("3000.00")), (D("3100.00"), D("2500.00")),
             (D("3000.00"), D("2800.00")), (D("3250.00"), D("3100.00"))),
    "BE01": ((D("1500.00"), D("1800.00")), (D("1700.00"), D("1600.00")),
             (D("1900.00"), D("0.00")), (D("2000.50"), D("1500.00"))),
    "DE01": ((D("1100000.00"), D("500000.00")), (D("1150000.00"), D("600000.00")),
             (D("1200000.00"), D("400000.00")), (D("1257500.25"), D("450000.00"))),
}  # fmt: skip
WINDOW_MONTHS = 3


def _bucket(due_date: date | None) -> tuple[int, str]:
    if due_date is None:
        return 0, "Unapplied credit"
    days_past_due = (AS_OF - due_date).days
    for order, name, low, high in BUCKETS[1:]:
        if (low is None or days_past_due >= low) and (high is None or days_past_due <= high):
            return order, name
    raise ValueError(days_past_due)


def countback_dso(ar: Decimal, sales_newest_first: list[tuple[Decimal, int]]) -> float | None:
    """Reference countback (KPIS.md): None when the history runs out before the AR does."""
    remaining = ar
    total_days = 0.0
    for sales, month_days in sales_newest_first:
        if remaining <= 0:
            return total_days
        if sales <= 0:
            total_days += month_days
        elif remaining > sales:
            remaining -= sales
            total_days += month_days
        else:
            return total_days + float(remaining / sales) * month_days
    return total_days if remaining <= 0 else None


def dso_rows(monthly: list[tuple[date, Decimal, Decimal]]) -> list[tuple]:
    """(month_end, ar, net_sales, sales_window, window_days, simple_dso, countback_dso)."""
    rows = []
    for index, (month_end, ar, net_sales) in enumerate(monthly):
        window = monthly[max(0, index - WINDOW_MONTHS + 1) : index + 1]
        window_sales = sum((sales for _, _, sales in window), D("0"))
        window_days = sum(end.day for end, _, _ in window)
        simple = float(ar / window_sales * window_days) if window_sales > 0 else None
        history = [(sales, end.day) for end, _, sales in reversed(monthly[: index + 1])]
        countback = countback_dso(ar, history)
        rows.append((month_end, ar, net_sales, window_sales, window_days, simple, countback))
    return rows


def entity_dso(entity_id: str) -> list[tuple]:
    months = zip(MONTHS, ENTITY_MONTHS[entity_id], strict=True)
    return dso_rows([(month_end, *values) for month_end, values in months])


def group_dso(entity_ids: list[str] | None = None) -> list[tuple]:
    chosen = entity_ids or list(ENTITY_MONTHS)
    monthly = []
    for index, month_end in enumerate(MONTHS):
        ar = sum((ENTITY_MONTHS[e][index][0] for e in chosen), D("0"))
        sales = sum((ENTITY_MONTHS[e][index][1] for e in chosen), D("0"))
        monthly.append((month_end, ar, sales))
    return dso_rows(monthly)


_DDL = """
create schema marts;

create table marts.dim_entities (
    entity_id varchar, entity_name varchar, division varchar, country_code varchar,
    base_currency varchar, time_zone varchar
);

create table marts.dim_customers (
    entity_id varchar, customer_id varchar, customer_type varchar, country_code varchar,
    language varchar, segment varchar, has_email boolean, has_phone boolean,
    has_address boolean, group_debtor_id varchar, credit_limit decimal(18, 2),
    division varchar
);

create table marts.fct_open_items (
    as_of_date date, entity_id varchar, customer_id varchar, item_id varchar,
    item_type varchar, document_number varchar, issue_date date, due_date date,
    currency varchar, amount decimal(18, 2), open_amount decimal(18, 2),
    open_amount_base decimal(18, 2), days_past_due integer, aging_bucket varchar,
    bucket_order integer, is_overdue boolean, is_disputed boolean,
    is_unapplied_credit boolean
);

create table marts.entity_dso_monthly (
    entity_id varchar, month_end date, ar_base decimal(18, 2), net_sales_base decimal(18, 2),
    sales_window_base decimal(18, 2), window_days integer, simple_dso_days double,
    countback_dso_days double
);

create table marts.group_dso_monthly (
    month_end date, ar_base decimal(18, 2), net_sales_base decimal(18, 2),
    sales_window_base decimal(18, 2), window_days integer, simple_dso_days double,
    countback_dso_days double
);
"""

_DERIVED = """
create table marts.customer_balances as
select
    entity_id,
    customer_id,
    sum(open_amount_base)::decimal(18, 2) as open_balance_base,
    sum(open_amount_base) filter (where not is_unapplied_credit)::decimal(18, 2)
        as invoiced_open_base,
    coalesce(sum(open_amount_base) filter (where is_unapplied_credit), 0)::decimal(18, 2)
        as unapplied_credit_base,
    coalesce(sum(open_amount_base) filter (where is_overdue), 0)::decimal(18, 2)
        as overdue_amount_base,
    max(days_past_due) as max_days_past_due,
    count(*) as open_item_count,
    count(*) filter (where is_overdue) as overdue_item_count,
    bool_or(is_disputed) as has_disputed_item,
from marts.fct_open_items
group by entity_id, customer_id;

create table marts.entity_aging as
select
    e.entity_id,
    e.division,
    e.country_code,
    b.aging_bucket,
    b.bucket_order,
    coalesce(sum(i.open_amount_base), 0)::decimal(18, 2) as open_amount_base,
    count(i.item_id) as item_count,
from marts.dim_entities as e
cross join buckets as b
left join marts.fct_open_items as i
    on i.entity_id = e.entity_id and i.bucket_order = b.bucket_order
group by all;

create table marts.group_aging as
select
    aging_bucket,
    bucket_order,
    sum(open_amount_base)::decimal(18, 2) as open_amount_base,
    sum(item_count) as item_count,
from marts.entity_aging
group by all;
"""


def build_published_warehouse(path: Path) -> Path:
    """Write the fixture warehouse to `path` (a .duckdb file) and return the path."""
    with duckdb.connect(str(path)) as con:
        con.execute(_DDL)
        con.execute(
            "create temp table buckets (bucket_order integer, aging_bucket varchar, "
            "min_days_past_due integer, max_days_past_due integer)"
        )
        con.executemany("insert into buckets values (?, ?, ?, ?)", BUCKETS)
        con.executemany("insert into marts.dim_entities values (?, ?, ?, ?, ?, ?)", ENTITIES)

        divisions = {entity[0]: entity[2] for entity in ENTITIES}
        con.executemany(
            "insert into marts.dim_customers values (?, ?, ?, ?, 'en', ?, true, false, true, "
            "null, 10000.00, ?)",
            [(*customer, divisions[customer[0]]) for customer in CUSTOMERS],
        )

        open_items = []
        for entity_id, customer_id, item_id, item_type, due_date, open_amount in OPEN_ITEMS:
            order, bucket = _bucket(due_date)
            days_past_due = (AS_OF - due_date).days if due_date else None
            issue_date = (due_date or AS_OF) - timedelta(days=30)
            is_credit = due_date is None
            open_items.append(
                (AS_OF, entity_id, customer_id, item_id, item_type, item_id, issue_date,
                 due_date, "EUR", open_amount, open_amount, open_amount, days_past_due,
                 bucket, order, bool(days_past_due and days_past_due > 0), False, is_credit)
            )  # fmt: skip
        placeholders = ", ".join("?" * 18)
        con.executemany(f"insert into marts.fct_open_items values ({placeholders})", open_items)

        entity_rows = [(e, *row) for e in ENTITY_MONTHS for row in entity_dso(e)]
        con.executemany(
            "insert into marts.entity_dso_monthly values (?, ?, ?, ?, ?, ?, ?, ?)", entity_rows
        )
        con.executemany(
            "insert into marts.group_dso_monthly values (?, ?, ?, ?, ?, ?, ?)", group_dso()
        )

        con.execute(_DERIVED)
        con.execute("checkpoint")
    return path
