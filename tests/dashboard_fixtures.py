"""A small published warehouse with known answers, shaped like the marts the dashboard reads.

Three entities in two divisions and three countries, a handful of open items, five month ends
(the last four in a row, and the same month a year earlier). The marts are derived from the
open items and monthly figures below with plain SQL, and the DSO figures with a straightforward
Python countback, so the expected answers are written out here and checked by hand:

    entity  open balance   overdue     open invoices
    NL01        3,250.00   2,500.00       3,500.00   (an unapplied payment of -250.00)
    BE01        2,000.50     800.00       2,000.50   (one invoice due on the as-of date)
    DE01    1,257,500.25   7,500.25   1,257,500.25
    group   1,262,750.75  10,800.25   1,263,000.75

C002 (NL01) and C201 (DE01) are one group debtor, GD-01. INV-D3 is billed in USD (4,950.00,
worth 4,500.25 EUR). Beside the marts: scores, a decided reminder run, load ledger and
quarantine rows for every entity and a PSP feed, and a promoted model's card, so that every page
has something of every entity to show, and a restricted user has something not to see.
"""

from __future__ import annotations

import functools
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
from streamlit.testing.v1 import AppTest

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

CUSTOMERS = (  # entity_id, customer_id, customer_type, country_code, segment, group debtor
    ("NL01", "C001", "b2c", "NL", "consumer", None),
    ("NL01", "C002", "b2b", "NL", "sme", "GD-01"),
    ("BE01", "C101", "b2b", "BE", "sme", None),
    ("BE01", "C102", "b2c", "BE", "consumer", None),
    ("DE01", "C201", "b2b", "DE", "key_account", "GD-01"),
    ("DE01", "C202", "b2b", "DE", "sme", None),
)

OPEN_ITEMS = (  # entity_id, customer_id, item_id, item_type, due_date, open_amount_base
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
DOCUMENT_CURRENCY = {"INV-D3": ("USD", D("4950.00"))}  # item_id: (currency, open_amount)

MONTHS = (
    date(2023, 3, 31), date(2023, 12, 31), date(2024, 1, 31), date(2024, 2, 29),
    date(2024, 3, 31),
)  # fmt: skip
ENTITY_MONTHS = {  # entity_id: (ar_base, net_sales_base) per month end in MONTHS
    "NL01": ((D("2600.00"), D("2900.00")), (D("2900.00"), D("3000.00")),
             (D("3100.00"), D("2500.00")), (D("3000.00"), D("2800.00")),
             (D("3250.00"), D("3100.00"))),
    "BE01": ((D("1400.00"), D("1500.00")), (D("1500.00"), D("1800.00")),
             (D("1700.00"), D("1600.00")), (D("1900.00"), D("0.00")),
             (D("2000.50"), D("1500.00"))),
    "DE01": ((D("1000000.00"), D("520000.00")), (D("1100000.00"), D("500000.00")),
             (D("1150000.00"), D("600000.00")), (D("1200000.00"), D("400000.00")),
             (D("1257500.25"), D("450000.00"))),
}  # fmt: skip
WINDOW_MONTHS = 3
# Current (not yet due) AR per month end in MONTHS, for marts.kpi_monthly; the last month is the
# open items' Current bucket. The CEI window is one month (dbt's default cei_window_months).
ENTITY_CURRENT_AR = {
    "NL01": (D("1300.00"), D("1500.00"), D("1600.00"), D("1400.00"), D("1000.00")),
    "BE01": (D("700.00"), D("800.00"), D("900.00"), D("1000.00"), D("1200.50")),
    "DE01": (D("900000.00"), D("1000000.00"), D("1050000.00"), D("1100000.00"),
             D("1250000.00")),
}  # fmt: skip


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


SETTLED_INVOICES = (  # entity_id, customer_id, document_id, issue_date, due_date, settled, amount
    ("NL01", "C001", "INV-N0", date(2024, 1, 5), date(2024, 2, 4), date(2024, 2, 10), D("300.00")),
    ("NL01", "C002", "INV-N9", date(2023, 12, 1), date(2023, 12, 31), date(2023, 12, 20),
     D("1800.00")),
    ("BE01", "C101", "INV-B0", date(2024, 1, 10), date(2024, 2, 9), date(2024, 3, 1), D("950.00")),
    ("DE01", "C201", "INV-D0", date(2023, 11, 1), date(2023, 12, 1), date(2024, 1, 15),
     D("98000.00")),
)  # fmt: skip

CONTACTS = (  # entity_id, contact_id, customer_id, document_id, sent_date, channel, tone, offer
    ("NL01", "R-N1", "C002", "INV-N3", date(2024, 3, 1), "email", "neutral", "payment_link"),
    ("BE01", "R-B1", "C102", "INV-B2", date(2024, 2, 1), "letter", "firm", "epc_qr"),
    ("DE01", "R-D1", "C201", "INV-D2", date(2024, 3, 5), "phone", "neutral", "payment_plan"),
)

PAYMENT_SIGNALS = (  # entity_id, document_id, customer_id, last_status, provider, method
    ("NL01", "INV-N2", "C001", "pending", "mollie", "ideal"),
    ("DE01", "INV-D3", "C202", "failed", "adyen", "card"),
)

SCORES = {  # document_id: p_paid_within_horizon; the other open invoices score 0.5
    "INV-N1": 0.82, "INV-N2": 0.66, "INV-N3": 0.35, "INV-B1": 0.91, "INV-B2": 0.12,
    "INV-D1": 0.95, "INV-D2": 0.41, "INV-D3": 0.58,
}  # fmt: skip
MODEL_ID = "20240331T060000Z-abcdef0123"
RUN_ID = "run-2024-03-31"

DEBTOR_ACTIONS = (  # entity_id, customer_id, segment, band, channel, tone, offer, reason, docs
    ("NL01", "C001", "consumers", "medium", "sms", "neutral", "pay_in_3", "remind_overdue",
     ["INV-N2"]),
    ("NL01", "C002", "business", "low", None, None, None, "all_disputed", ["INV-N3"]),
    ("BE01", "C101", "business", "high", None, None, None, "not_overdue", []),
    ("BE01", "C102", "consumers", "low", "letter", "firm", "epc_qr", "remind_overdue",
     ["INV-B2"]),
    ("DE01", "C201", "key_accounts", "medium", "phone", "neutral", "payment_plan",
     "remind_channel_fallback", ["INV-D2"]),
    ("DE01", "C202", "business", "medium", None, None, None, "paid_signal", ["INV-D3"]),
)  # fmt: skip

EXPECTED_VALUE = {"C001": D("8.40"), "C102": D("21.10"), "C201": D("150.00")}  # reminded

LOADED_FILES = (  # source_file, table_name, rows_read, rows_loaded, rows_quarantined
    ("erp/NL01/documents.csv", "documents", 12, 11, 1),
    ("erp/BE01/documents.csv", "documents", 8, 8, 0),
    ("erp/DE01/documents.csv", "documents", 9, 8, 1),
    ("erp/NL01/customers.csv", "customers", 4, 2, 2),
    ("psp/mollie/psp_events.csv", "psp_events", 20, 19, 1),
    ("reference/fx_rates.csv", "fx_rates", 4, 4, 0),
)
QUARANTINE = (  # source_file, table_name, source_row, reason, record
    ("erp/NL01/documents.csv", "documents", 7, "amount: not a number",
     {"entity_id": "NL01", "document_id": "INV-NX", "amount": "12,50"}),
    ("erp/DE01/documents.csv", "documents", 4, "due_date: not a date",
     {"entity_id": "DE01", "document_id": "INV-DX", "due_date": "31.02.2024"}),
    ("psp/mollie/psp_events.csv", "psp_events", 3, "status: not an allowed value",
     {"event_id": "ev-1", "invoice_reference": "INV-D1", "status": "weird"}),
    # Personal data the data-quality page must not show in clear text (see PERSONAL_DATA):
    ("erp/NL01/customers.csv", "customers", 3,
     "email: not an e-mail address (jan.devries@example..nl)",
     {"entity_id": "NL01", "customer_id": "C003", "customer_name": "Jan de Vries",
      "email": "jan.devries@example..nl", "iban": "NL91ABNA0417164300",
      "phone": "+31 6 1234 5678", "segment": "consumer"}),
    ("erp/NL01/customers.csv", "customers", 4, "Expected Number of Columns: 9 Found: 10",
     "NL01;C004;Piet Jansen;b2c;NL;nl;consumer;piet@example.nl;NL02RABO0123456789;x"),
)  # fmt: skip
PERSONAL_DATA = (
    "Jan de Vries", "jan.devries", "NL91ABNA0417164300", "+31 6 1234 5678", "Piet Jansen",
    "piet@example.nl", "NL02RABO0123456789",
)  # fmt: skip

MODEL_CARD = {
    "model_id": MODEL_ID,
    "created_at": "2024-03-31T06:00:00+00:00",
    "as_of_date": "2024-03-31",
    "horizon_days": 14,
    "target": "paid within 14 days after the later of due date and snapshot",
    "estimator": {"class": "HistGradientBoostingClassifier", "params": {}},
    "features": ["amount_base", "days_past_due", "hist_late_share"],
    "data": {"n_train": 700, "n_test": 300, "positive_rate_test": 0.61},
    "training_window": {"cutoff_date": "2024-01-31", "n_snapshots": 12},
    "metrics": {
        "model": {"roc_auc": 0.8312, "brier": 0.1523, "log_loss": 0.4611, "n_samples": 300,
                  "positive_rate": 0.61},
        "baseline": {"roc_auc": 0.6512, "brier": 0.2401, "log_loss": 0.7302, "n_samples": 300,
                     "positive_rate": 0.61},
    },
}  # fmt: skip

_DDL = """
create schema marts;
create schema ml;
create schema reminders;
create schema raw;

create table marts.dim_entities (
    entity_id varchar, entity_name varchar, division varchar, country_code varchar,
    base_currency varchar, time_zone varchar
);

create table marts.dim_customers (
    entity_id varchar, customer_id varchar, customer_type varchar, country_code varchar,
    language varchar, segment varchar, has_email boolean, has_phone boolean,
    has_address boolean, has_iban boolean, group_debtor_id varchar,
    credit_limit decimal(18, 2), division varchar
);

create table marts.fct_open_items (
    as_of_date date, entity_id varchar, customer_id varchar, item_id varchar,
    item_type varchar, document_id varchar, document_number varchar, issue_date date,
    due_date date, currency varchar, amount decimal(18, 2), open_amount decimal(18, 2),
    base_currency varchar, open_amount_base decimal(18, 2), days_past_due bigint,
    aging_bucket varchar, bucket_order integer, is_overdue boolean, is_disputed boolean,
    is_unapplied_credit boolean
);

create table marts.fct_invoices (
    as_of_date date, entity_id varchar, customer_id varchar, document_id varchar,
    document_type varchar, document_number varchar, payment_reference varchar,
    issue_date date, due_date date, terms_days bigint, currency varchar,
    amount decimal(18, 2), amount_base decimal(18, 2), open_amount decimal(18, 2),
    open_amount_base decimal(18, 2), is_open boolean, settled_date date, days_to_pay bigint,
    days_late bigint, is_disputed boolean
);

create table marts.fct_contacts (
    entity_id varchar, contact_id varchar, customer_id varchar, document_id varchar,
    sent_at timestamp, sent_date date, channel varchar, tone varchar, language varchar,
    offer varchar, reminder_level integer
);

create table marts.fct_payment_signals (
    entity_id varchar, document_id varchar, customer_id varchar, last_status varchar,
    last_status_at timestamp, paid_amount decimal(18, 2), currency varchar, paid_at timestamp,
    provider varchar, method varchar, event_count bigint
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

create table marts.kpi_monthly (
    as_of_date date, scope_type varchar, scope_id varchar, month_end date,
    base_currency varchar, ar_base decimal(18, 2), current_ar_base decimal(18, 2),
    sales_window_base decimal(18, 2), window_days integer, cei_ar_start_base decimal(18, 2),
    cei_sales_base decimal(18, 2)
);

create table ml.invoice_scores (
    as_of_date date, entity_id varchar, customer_id varchar, document_id varchar,
    p_paid_within_horizon double, horizon_days integer, model_id varchar, scored_at timestamp
);

-- the decided run, in the layout the policy writes (reminders.* come from its ensure_tables)
create temp table fixture_actions (
    run_id varchar, as_of_date date, entity_id varchar, customer_id varchar, segment varchar,
    score_band varchar, action varchar, channel varchar, tone varchar, language varchar,
    offer varchar, document_ids varchar[], invoice_count integer,
    amount_due decimal(18, 2), currency varchar, reason_code varchar,
    amount_due_base decimal(18, 2), max_days_past_due integer,
    p_paid_within_horizon double, expected_value_base decimal(18, 2)
);

create table raw._load_ledger (
    source_file varchar, table_name varchar, content_sha256 varchar, load_id varchar,
    rows_read bigint, rows_loaded bigint, rows_quarantined bigint, loaded_at timestamp
);

create table raw._quarantine (
    load_id varchar, source_file varchar, table_name varchar, source_row bigint,
    reason varchar, record json, quarantined_at timestamp
);
"""

_DERIVED = """
create table marts.customer_balances as
select
    as_of_date,
    entity_id,
    customer_id,
    'EUR' as base_currency,
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
group by as_of_date, entity_id, customer_id;

create table marts.customer_aging as
select
    b.as_of_date,
    b.entity_id,
    b.customer_id,
    k.aging_bucket,
    k.bucket_order,
    'EUR' as base_currency,
    coalesce(sum(i.open_amount_base), 0)::decimal(18, 2) as open_amount_base,
    count(i.item_id) as item_count,
from marts.customer_balances as b
cross join buckets as k
left join marts.fct_open_items as i
    on i.entity_id = b.entity_id and i.customer_id = b.customer_id
    and i.bucket_order = k.bucket_order
group by all;

create table marts.entity_aging as
select
    $as_of::date as as_of_date,
    e.entity_id,
    e.division,
    e.country_code,
    b.aging_bucket,
    b.bucket_order,
    'EUR' as base_currency,
    coalesce(sum(i.open_amount_base), 0)::decimal(18, 2) as open_amount_base,
    count(i.item_id) as item_count,
from marts.dim_entities as e
cross join buckets as b
left join marts.fct_open_items as i
    on i.entity_id = e.entity_id and i.bucket_order = b.bucket_order
group by all;

create table marts.group_aging as
select
    as_of_date,
    aging_bucket,
    bucket_order,
    'EUR' as base_currency,
    sum(open_amount_base)::decimal(18, 2) as open_amount_base,
    sum(item_count) as item_count,
from marts.entity_aging
group by all;

insert into reminders.debtor_actions by name
select
    *,
    'strategy' as experiment_arm,
    case when action = 'remind' then 1 end as step_level,
    case when offer is null then [] else [offer] end as offers,
    [reason_code] as reason_codes,
from fixture_actions;

insert into reminders.reminder_runs by name
select *, $as_of::timestamp + interval 6 hour as created_at
from reminders.debtor_actions
where action = 'remind';
"""


def _open_item_rows() -> list[tuple]:
    rows = []
    for entity_id, customer_id, item_id, item_type, due_date, open_base in OPEN_ITEMS:
        order, bucket = _bucket(due_date)
        days_past_due = (AS_OF - due_date).days if due_date else None
        issue_date = (due_date or AS_OF) - timedelta(days=30)
        currency, open_amount = DOCUMENT_CURRENCY.get(item_id, ("EUR", open_base))
        is_credit = due_date is None
        rows.append(
            (AS_OF, entity_id, customer_id, item_id, item_type, None if is_credit else item_id,
             item_id, issue_date, due_date, currency, open_amount, open_amount, "EUR", open_base,
             days_past_due, bucket, order, bool(days_past_due and days_past_due > 0),
             item_id == "INV-N3", is_credit)
        )  # fmt: skip
    return rows


def _invoice_rows() -> list[tuple]:
    rows = []
    for entity_id, customer_id, item_id, _, due_date, open_base in OPEN_ITEMS:
        if due_date is None:
            continue
        currency, amount = DOCUMENT_CURRENCY.get(item_id, ("EUR", open_base))
        issue_date = due_date - timedelta(days=30)
        rows.append(
            (AS_OF, entity_id, customer_id, item_id, "invoice", item_id, f"RF{item_id}",
             issue_date, due_date, 30, currency, amount, open_base, amount, open_base, True,
             None, None, None, item_id == "INV-N3")
        )  # fmt: skip
    for entity_id, customer_id, document_id, issued, due, settled, amount in SETTLED_INVOICES:
        rows.append(
            (AS_OF, entity_id, customer_id, document_id, "invoice", document_id,
             f"RF{document_id}", issued, due, (due - issued).days, "EUR", amount, amount,
             D("0.00"), D("0.00"), False, settled, (settled - issued).days,
             (settled - due).days, False)
        )  # fmt: skip
    return rows


def _action_rows() -> list[tuple]:
    balances = {}
    for entity_id, customer_id, _, _, due_date, open_base in OPEN_ITEMS:
        if due_date is not None and (AS_OF - due_date).days > 0:
            key = (entity_id, customer_id)
            balances[key] = balances.get(key, D("0")) + open_base
    rows = []
    for entity_id, customer_id, segment, band, channel, tone, offer, reason, docs in DEBTOR_ACTIONS:
        overdue = balances.get((entity_id, customer_id), D("0.00"))
        action = "remind" if reason.startswith("remind") else "none"
        scores = [SCORES[d] for d in docs] or [None]
        value = EXPECTED_VALUE.get(customer_id)
        rows.append(
            (RUN_ID, AS_OF, entity_id, customer_id, segment, band, action, channel, tone, "en",
             offer, docs, len(docs), overdue, "EUR", reason, overdue, 30, scores[0], value)
        )  # fmt: skip
    return rows


def _kpi_rows() -> list[tuple]:
    """marts.kpi_monthly rows: every entity, and the group as their sum (which the dashboard
    must not need: it sums the entities it may show)."""
    rows = []
    for entity_id, months in ENTITY_MONTHS.items():
        dso = entity_dso(entity_id)
        for index, month_end in enumerate(MONTHS):
            ar, sales = months[index]
            ar_start = months[index - 1][0] if index else D("0.00")
            current = ENTITY_CURRENT_AR[entity_id][index]
            window_sales, window_days = dso[index][3], dso[index][4]
            rows.append(
                (AS_OF, "entity", entity_id, month_end, ar, current, window_sales, window_days,
                 ar_start, sales)
            )  # fmt: skip
    for month_end in MONTHS:
        parts = [row for row in rows if row[3] == month_end]
        sums = [sum((row[i] for row in parts), D("0")) for i in (4, 5, 6)]
        rows.append(
            (AS_OF, "group", "group", month_end, *sums, parts[0][7],
             sum((row[8] for row in parts), D("0")), sum((row[9] for row in parts), D("0")))
        )  # fmt: skip
    return rows


def write_model_registry(models_dir: Path) -> Path:
    """The promoted model's card, as `models_ml.registry` writes it (without the estimator)."""
    (models_dir / MODEL_ID).mkdir(parents=True, exist_ok=True)
    (models_dir / MODEL_ID / "metrics.json").write_text(json.dumps(MODEL_CARD, indent=2))
    pointer = {"model_id": MODEL_ID, "promoted_at": "2024-03-31T06:00:00+00:00"}
    (models_dir / "promoted.json").write_text(json.dumps(pointer))
    return models_dir


MESSAGES = (  # entity_id, customer_id, channel, subject, body, with a QR code
    ("NL01", "C001", "sms", None, "C001: please pay INV-N2 (500.00 EUR).", False),
    ("BE01", "C102", "letter", "Reminder", "C102: please pay INV-B2 (800.00 EUR).", True),
    ("DE01", "C201", "phone", None, "Call C201 about INV-D2 (3,000.00 EUR).", False),
)


def write_reminder_exports(data_dir: Path) -> Path:
    """The run folder the reminder export writes: messages.jsonl and a QR image."""
    import segno

    folder = data_dir / "exports" / "reminder_runs" / RUN_ID
    (folder / "qr").mkdir(parents=True, exist_ok=True)
    lines = []
    for entity_id, customer_id, channel, subject, body, has_qr in MESSAGES:
        qr_file = f"qr/{entity_id}_{customer_id}.png" if has_qr else None
        if qr_file:
            segno.make("BCD\n002\n1\nSCT\n\nTest\nBE68539007547034", error="m").save(
                folder / qr_file, scale=4
            )
        lines.append(
            json.dumps(
                {
                    "run_id": RUN_ID, "entity_id": entity_id, "customer_id": customer_id,
                    "channel": channel, "language": "en", "recipient": "someone@example.com",
                    "subject": subject, "body": body, "qr_file": qr_file,
                    "payment_link": f"https://pay.example.com/{entity_id}/{customer_id}",
                }
            )
        )  # fmt: skip
    (folder / "messages.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def build_published_warehouse(path: Path) -> Path:
    """Write the fixture warehouse to `path` (a .duckdb file) and return the path."""
    from models_ml.policy.tables import ensure_tables

    with duckdb.connect(str(path)) as con:
        con.execute(_DDL)
        ensure_tables(con)
        con.execute(
            "create temp table buckets (bucket_order integer, aging_bucket varchar, "
            "min_days_past_due integer, max_days_past_due integer)"
        )
        con.executemany("insert into buckets values (?, ?, ?, ?)", BUCKETS)
        con.executemany("insert into marts.dim_entities values (?, ?, ?, ?, ?, ?)", ENTITIES)

        divisions = {entity[0]: entity[2] for entity in ENTITIES}
        con.executemany(
            "insert into marts.dim_customers values (?, ?, ?, ?, 'en', ?, true, false, true, "
            "true, ?, 10000.00, ?)",
            [(*customer, divisions[customer[0]]) for customer in CUSTOMERS],
        )
        con.executemany(
            f"insert into marts.fct_open_items values ({', '.join('?' * 20)})", _open_item_rows()
        )
        con.executemany(
            f"insert into marts.fct_invoices values ({', '.join('?' * 20)})", _invoice_rows()
        )
        con.executemany(
            "insert into marts.fct_contacts values (?, ?, ?, ?, ?::timestamp + interval 9 hour, "
            "?, ?, ?, 'en', ?, 1)",
            [(e, c, k, d, sent, sent, ch, t, o) for e, c, k, d, sent, ch, t, o in CONTACTS],
        )
        con.executemany(
            "insert into marts.fct_payment_signals values (?, ?, ?, ?, "
            "timestamp '2024-03-30 10:00:00', null, 'EUR', null, ?, ?, 1)",
            PAYMENT_SIGNALS,
        )

        entity_rows = [(e, *row) for e in ENTITY_MONTHS for row in entity_dso(e)]
        con.executemany(
            "insert into marts.entity_dso_monthly values (?, ?, ?, ?, ?, ?, ?, ?)", entity_rows
        )
        con.executemany(
            "insert into marts.group_dso_monthly values (?, ?, ?, ?, ?, ?, ?)", group_dso()
        )

        con.executemany(
            "insert into marts.kpi_monthly values (?, ?, ?, ?, 'EUR', ?, ?, ?, ?, ?, ?)",
            _kpi_rows(),
        )
        scored_at = datetime(2024, 3, 31, 6, 0)
        con.executemany(
            "insert into ml.invoice_scores values (?, ?, ?, ?, ?, 14, ?, ?)",
            [
                (AS_OF, e, c, item, SCORES.get(item, 0.5), MODEL_ID, scored_at)
                for e, c, item, _, due, _ in OPEN_ITEMS
                if due is not None
            ],
        )
        con.executemany(
            f"insert into fixture_actions values ({', '.join('?' * 20)})",
            _action_rows(),
        )
        loaded_at = datetime(2024, 3, 31, 5, 0)
        con.executemany(
            "insert into raw._load_ledger values (?, ?, md5(?), 'load-1', ?, ?, ?, ?)",
            [(f, t, f, read, ok, bad, loaded_at) for f, t, read, ok, bad in LOADED_FILES],
        )
        con.executemany(
            "insert into raw._quarantine values ('load-1', ?, ?, ?, ?, ?, ?)",
            [(f, t, row, why, json.dumps(rec), loaded_at) for f, t, row, why, rec in QUARANTINE],
        )

        con.execute(_DERIVED.replace("$as_of", f"'{AS_OF.isoformat()}'"))
        con.execute("checkpoint")
    return path


# --- Signing in and driving the app in tests --------------------------------------------------

APP = str(Path(__file__).resolve().parent.parent / "dashboards" / "app.py")
PAGES = ("group_overview", "entity", "debtor", "segments", "reminder_run", "model", "data_quality")
PASSWORDS = {"cfo": "cfo-secret", "nl": "nl-secret"}

# A credit manager for NL01 must never see these: the other entities' ids and names, their
# customers and documents, and the group total that includes them.
NOT_FOR_NL01 = (
    "BE01", "DE01", "Retail Belgique NV", "Grosshandel GmbH",
    "C101", "C102", "C201", "C202", "INV-B1", "INV-B2", "INV-D1", "INV-D2", "INV-D3",
    "erp/BE01", "erp/DE01", "psp/mollie", "1,262,750.75", "1262750.75",
    "pay.example.com/DE01", "someone@example.com",
)  # fmt: skip


# An edit of the shipped segments.yml with a known effect on the fixture: business debtors get
# a formal letter at the first step, which changes DE01/C202 (b2b, 20 days past due, never
# reminded) and nobody else.
FIRST_BUSINESS_STEP = """\
      - days_past_due: 5
        channel: [email, phone]
        tone: [friendly, neutral]
        by_band:
          low: {channel: [email, phone], tone: [neutral, firm], offers: [payment_plan]}
"""
AS_LETTER = """\
      - days_past_due: 5
        channel: letter
        tone: formal
"""


def letters_for_business(segments_text: str) -> str:
    assert FIRST_BUSINESS_STEP in segments_text, "the shipped segments.yml changed"
    return segments_text.replace(FIRST_BUSINESS_STEP, AS_LETTER)


def write_users_file(path: Path) -> Path:
    """A CFO and a credit manager for NL01, with scrypt hashes of PASSWORDS."""
    from dashboards.auth import hash_password

    path.write_text(
        "users:\n"
        f"  cfo:\n    name: Test CFO\n    role: cfo\n"
        f"    password_hash: {hash_password(PASSWORDS['cfo'])}\n"
        f"  nl:\n    name: NL credit manager\n    role: credit_manager\n"
        f"    entities: [NL01]\n    email: nl@example.com\n"
        f"    password_hash: {hash_password(PASSWORDS['nl'])}\n"
    )
    return path


def _scan_component_manifests_once() -> None:
    """Every new AppTest scans the metadata of all installed packages for custom components
    (about a second each); the answer cannot change during a test run, so scan once."""
    from streamlit.components.v2 import manifest_scanner

    manifest_scanner.scan_component_manifests = functools.cache(
        manifest_scanner.scan_component_manifests
    )


_scan_component_manifests_once()


def run_app() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception, [exception.value for exception in app.exception]
    return app


def signed_in(username: str) -> AppTest:
    """The app as `username` sees it after signing in, without going through the form."""
    from dashboards.auth import User
    from dashboards.login import USER_KEY

    app = AppTest.from_file(APP, default_timeout=60)
    # The app reloads the user from the users file on every run; only the name matters here.
    app.session_state[USER_KEY] = User(username, username, "cfo", None)
    app.run()
    assert not app.exception, [exception.value for exception in app.exception]
    return app


def sign_in(username: str, password: str | None = None) -> AppTest:
    """The app after signing in through the form; the default page is the group overview."""
    app = run_app()
    app.text_input(key="sign_in_username").input(username)
    app.text_input(key="sign_in_password").input(password or PASSWORDS[username])
    app.button(key="FormSubmitter:sign_in-Sign in").click().run()
    assert not app.exception, [exception.value for exception in app.exception]
    return app


def open_page(app: AppTest, page: str) -> AppTest:
    app.switch_page(f"pages/{page}.py").run()
    assert not app.exception, [exception.value for exception in app.exception]
    return app


def rendered_bytes(app: AppTest) -> bytes:
    """Everything the page sent to the browser, sidebar included: text, tables (Arrow), chart
    data and widget options, as serialised protobuf."""
    chunks: list[bytes] = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "SerializeToString"):
            chunks.append(proto.SerializeToString())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(app._tree)
    return b"\n".join(chunks)
