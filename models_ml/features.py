"""Invoice features as of a scoring date T, computed in DuckDB from the marts.

Point in time: every feature uses only what was known on T. The marts are built as of the
warehouse's as-of date, which is later than T for training snapshots, so each step filters by
date: documents issued on or before T, settlements on or before T (a settlement after T leaves
the invoice open at T), contacts sent on or before T. Amounts are features here, not money, so
they are cast to DOUBLE.

What they describe: the invoice (amount against the debtor's usual, terms, days to or past
due, month end), the debtor's history (how many paid, share late, mean days late overall and
over the last three, days since the last payment), what is open and overdue now, reminders
sent and what followed earlier ones (share of reminded invoices paid within 14 days, counted
only once those 14 days had passed by T), the usual payment method and share of direct
debits from the PSP signals first seen by T, and the debtor's type, segment, division,
entity, country and language. Known limits: customer attributes are today's values, and a PSP
signal's method is the mart's current one for that document (a later event on the same
document could change it).

Two populations share one query: the invoices open at T from `marts.fct_invoices` (training
snapshots) and the open invoices of `marts.fct_open_items` (scoring at the warehouse's as-of
date).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pyarrow as pa

NUMERIC_FEATURES = [
    "amount_base",
    "amount_to_median_ratio",
    "terms_days",
    "days_past_due",
    "is_due_month_end",
    "hist_settled_count",
    "hist_late_share",
    "hist_mean_days_late",
    "recent_mean_days_late",
    "days_since_last_payment",
    "open_invoice_count",
    "open_amount_base",
    "overdue_invoice_count",
    "overdue_amount_base",
    "invoice_reminder_count",
    "debtor_reminders_90d",
    "hist_paid_after_reminder_share",
    "hist_direct_debit_share",
]
CATEGORICAL_FEATURES = [
    "customer_type",
    "segment",
    "division",
    "entity_id",
    "country_code",
    "language",
    "usual_payment_method",
]
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES
KEY_COLUMNS = ["as_of_date", "entity_id", "customer_id", "document_id", "due_date"]
# Not a model input: the marts carry the dispute flag as it is today, not as it was on T
# (docs/decisions.md, D6). Kept beside the features for the decision policy.
CONTEXT_COLUMNS = ["is_disputed"]
MISSING_CATEGORY = "unknown"

REMINDER_WINDOW_DAYS = 90
RECENT_SETTLEMENTS = 3
# A reminder "worked" if the invoice was settled within this many days after it was sent.
REMINDER_RESPONSE_DAYS = 14
NO_METHOD = "none"

OPEN_INVOICES_AT_T = """
    select entity_id, customer_id, document_id, due_date, amount_base, terms_days, is_disputed
    from open_invoices
"""

OPEN_ITEMS_AT_AS_OF = """
    select
        items.entity_id,
        items.customer_id,
        items.item_id as document_id,
        coalesce(items.due_date, items.issue_date) as due_date,
        coalesce(invoices.amount_base, cast(items.open_amount_base as double)) as amount_base,
        coalesce(
            invoices.terms_days,
            cast(coalesce(items.due_date, items.issue_date) - items.issue_date as double)
        ) as terms_days,
        coalesce(items.is_disputed, invoices.is_disputed, false) as is_disputed,
    from marts.fct_open_items as items
    left join invoices
        on invoices.entity_id = items.entity_id and invoices.document_id = items.item_id
    where items.as_of_date = $as_of
        and items.item_type in ('invoice', 'debit_note')
        and items.open_amount > 0
"""

FEATURES_SQL = """
with

invoices as (
    select
        entity_id,
        customer_id,
        document_id,
        issue_date,
        coalesce(due_date, issue_date) as due_date,
        cast(coalesce(terms_days, coalesce(due_date, issue_date) - issue_date) as double)
            as terms_days,
        cast(amount_base as double) as amount_base,
        settled_date,
        settled_date - coalesce(due_date, issue_date) as days_late,
        coalesce(is_disputed, false) as is_disputed,
    from marts.fct_invoices
    where issue_date <= $as_of{debtor_sample}
),

open_invoices as (
    select * from invoices where settled_date is null or settled_date > $as_of
),

population as ({population}),

debtor_history as (
    select
        entity_id,
        customer_id,
        count(*) as settled_count,
        avg(case when days_late > 0 then 1.0 else 0.0 end) as late_share,
        avg(days_late) as mean_days_late,
        max(settled_date) as last_payment_date,
    from invoices
    where settled_date <= $as_of
    group by entity_id, customer_id
),

recent_settlements as (
    select entity_id, customer_id, avg(days_late) as recent_mean_days_late,
    from (
        select
            entity_id,
            customer_id,
            days_late,
            row_number() over (
                partition by entity_id, customer_id order by settled_date desc, document_id desc
            ) as recency,
        from invoices
        where settled_date <= $as_of
    )
    where recency <= {recent}
    group by entity_id, customer_id
),

debtor_amounts as (
    select entity_id, customer_id, median(amount_base) as median_amount_base,
    from invoices
    where issue_date < $as_of
    group by entity_id, customer_id
),

debtor_open as (
    select
        entity_id,
        customer_id,
        count(*) as open_count,
        sum(amount_base) as open_amount,
        count(*) filter (where due_date < $as_of) as overdue_count,
        coalesce(sum(amount_base) filter (where due_date < $as_of), 0) as overdue_amount,
    from open_invoices
    group by entity_id, customer_id
),

-- Payment signals first seen on or before T (PSP events); the method of the debtor's
-- payments, and how often it was a direct debit.
signal_methods as (
    select entity_id, customer_id, method, count(*) as signal_count,
    from marts.fct_payment_signals
    where cast(first_event_at as date) <= $as_of and method is not null
    group by entity_id, customer_id, method
),

debtor_methods as (
    select
        entity_id,
        customer_id,
        any_value(method) filter (where method_rank = 1) as usual_method,
        sum(case when method = 'sepa_direct_debit' then signal_count else 0 end)
            / sum(signal_count) as direct_debit_share,
    from (
        select
            *,
            row_number() over (
                partition by entity_id, customer_id order by signal_count desc, method
            ) as method_rank,
        from signal_methods
    )
    group by entity_id, customer_id
),

contacts as (
    select entity_id, customer_id, document_id, sent_date,
    from marts.fct_contacts
    where sent_date <= $as_of
),

invoice_reminders as (
    select entity_id, document_id, count(*) as reminder_count,
    from contacts
    where document_id is not null
    group by entity_id, document_id
),

debtor_reminders as (
    select entity_id, customer_id, count(*) as reminder_count,
    from contacts
    where sent_date > $as_of - {reminder_window}
    group by entity_id, customer_id
),

-- What followed the debtor's earlier reminders: paid within the response window? Only
-- reminders whose window closed by T count.
reminder_outcomes as (
    select
        contacts.entity_id,
        contacts.customer_id,
        avg(
            case when invoices.settled_date <= contacts.sent_date + {response} then 1.0 else 0.0 end
        ) as paid_after_reminder_share,
    from contacts
    inner join invoices using (entity_id, document_id)
    where contacts.sent_date <= $as_of - {response}
    group by contacts.entity_id, contacts.customer_id
),

final as (
    select
        $as_of as as_of_date,
        population.entity_id,
        population.customer_id,
        population.document_id,
        population.due_date,
        population.amount_base,
        population.amount_base / nullif(debtor_amounts.median_amount_base, 0)
            as amount_to_median_ratio,
        population.terms_days,
        cast($as_of - population.due_date as double) as days_past_due,
        cast(population.due_date = last_day(population.due_date) as double)
            as is_due_month_end,
        cast(coalesce(debtor_history.settled_count, 0) as double) as hist_settled_count,
        debtor_history.late_share as hist_late_share,
        debtor_history.mean_days_late as hist_mean_days_late,
        recent_settlements.recent_mean_days_late,
        cast($as_of - debtor_history.last_payment_date as double) as days_since_last_payment,
        cast(coalesce(debtor_open.open_count, 0) as double) as open_invoice_count,
        coalesce(debtor_open.open_amount, 0) as open_amount_base,
        cast(coalesce(debtor_open.overdue_count, 0) as double) as overdue_invoice_count,
        coalesce(debtor_open.overdue_amount, 0) as overdue_amount_base,
        cast(coalesce(invoice_reminders.reminder_count, 0) as double)
            as invoice_reminder_count,
        cast(coalesce(debtor_reminders.reminder_count, 0) as double) as debtor_reminders_90d,
        reminder_outcomes.paid_after_reminder_share as hist_paid_after_reminder_share,
        debtor_methods.direct_debit_share as hist_direct_debit_share,
        coalesce(customers.customer_type, '{missing}') as customer_type,
        coalesce(customers.segment, '{missing}') as segment,
        coalesce(customers.division, entities.division, '{missing}') as division,
        coalesce(customers.country_code, entities.country_code, '{missing}') as country_code,
        coalesce(customers.language, '{missing}') as language,
        coalesce(debtor_methods.usual_method, '{no_method}') as usual_payment_method,
        -- The population's context beside the features (is_disputed; scoring's flag).
        population.* exclude (
            entity_id, customer_id, document_id, due_date, amount_base, terms_days
        ),
    from population
    left join debtor_history using (entity_id, customer_id)
    left join recent_settlements using (entity_id, customer_id)
    left join debtor_amounts using (entity_id, customer_id)
    left join debtor_open using (entity_id, customer_id)
    left join debtor_methods using (entity_id, customer_id)
    left join reminder_outcomes using (entity_id, customer_id)
    left join invoice_reminders using (entity_id, document_id)
    left join debtor_reminders using (entity_id, customer_id)
    left join marts.dim_customers as customers using (entity_id, customer_id)
    left join marts.dim_entities as entities using (entity_id)
)

select * from final
{order_by}
"""

# Scoring explains each debtor by its largest open invoice (ties: the highest document id).
LARGEST_FLAG = "is_largest_open_invoice"
OPEN_ITEMS_TO_SCORE = f"""
    select
        *,
        row_number() over (
            partition by entity_id, customer_id
            order by amount_base desc nulls first, document_id desc
        ) = 1 as {LARGEST_FLAG},
    from ({OPEN_ITEMS_AT_AS_OF})
"""


# A debtor is in the sample when DuckDB's hash of its entity and customer ids, in ten-thousandths,
# falls under the share. hash() is a hundred times cheaper than md5 here; it is stable for the
# DuckDB version in requirements.lock, and the model card keeps the data hash either way.
DEBTOR_SAMPLE_FILTER = """
        and hash(entity_id, customer_id) % 10000 < $sample_per_10k"""


def features_sql(
    population: str = OPEN_INVOICES_AT_T, *, ordered: bool = True, debtor_sample: bool = False
) -> str:
    """The feature query for a population of invoices; its one parameter is `$as_of`.

    `ordered`: rows sorted by entity and document (a stable order for training).
    `debtor_sample`: only the debtors whose hash falls under the second parameter,
    `$sample_per_10k`; every feature is per invoice or per debtor, so a sampled debtor's
    features are exactly those of the full query (tests/test_ml_features.py).
    """
    return FEATURES_SQL.format(
        debtor_sample=DEBTOR_SAMPLE_FILTER if debtor_sample else "",
        population=population,
        order_by="order by entity_id, document_id" if ordered else "",
        reminder_window=REMINDER_WINDOW_DAYS,
        recent=RECENT_SETTLEMENTS,
        response=REMINDER_RESPONSE_DAYS,
        missing=MISSING_CATEGORY,
        no_method=NO_METHOD,
    )


def build_features(con: duckdb.DuckDBPyConnection, as_of: date) -> pd.DataFrame:
    """Features of every invoice open on `as_of`, as known on that date; one row per invoice."""
    return con.execute(features_sql(), {"as_of": as_of}).df()


def open_item_feature_batches(
    con: duckdb.DuckDBPyConnection, as_of: date, batch_size: int
) -> pa.RecordBatchReader:
    """Stream the features of the open invoices in `marts.fct_open_items` as Arrow batches.

    In no particular order; `is_largest_open_invoice` marks each debtor's largest one.
    """
    query = features_sql(OPEN_ITEMS_TO_SCORE, ordered=False)
    return con.sql(query, params={"as_of": as_of}).to_arrow_reader(batch_size=batch_size)
