"""One debtor across the group: its accounts at each entity, items, payments, contacts, scores
and next action.

A debtor is a group debtor (`group_debtor_id`, the same company as customer of several
entities) or, without one, a single customer of one entity; its key is the group debtor id or
`<entity_id> / <customer_id>`. Every query goes through `scoped_customers`, so a credit manager
sees a group debtor only at their own entities.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.data import Scope, Warehouse, query, scoped
from dashboards.queries.reminders import current_layout

# The debtor's customer accounts in scope, to join every other table on.
_ACCOUNTS = """
    , accounts as (
        select c.*
        from scoped_customers as c
        where coalesce(c.group_debtor_id, c.entity_id || ' / ' || c.customer_id) = $debtor
    )
"""


@st.cache_data(show_spinner=False)
def debtors(
    warehouse: Warehouse, scope: Scope, search: str = "", limit: int = 500, wanted: str = ""
) -> pd.DataFrame:
    """The debtors with open items in scope (a credit balance too) whose name or one of whose
    accounts ("entity / customer") holds `search` (any case), largest balance first: the first
    `limit` of them, and the one `wanted` names (itself or one of its accounts) whatever its
    rank, marked `is_wanted`, for the debtor picker. `matching` is how many match in all; a
    group has hundreds of thousands of debtors, too many to list."""
    sql = scoped("""
        , balances as (
            select
                coalesce(c.group_debtor_id, b.entity_id || ' / ' || b.customer_id) as debtor,
                count(distinct b.entity_id) as entity_count,
                sum(b.open_balance_base) as open_balance_base,
                sum(b.overdue_amount_base) as overdue_amount_base,
                list(b.entity_id || ' / ' || b.customer_id) as accounts,
            from marts.customer_balances as b
            inner join scoped_customers as c
                on c.entity_id = b.entity_id and c.customer_id = b.customer_id
            where b.as_of_date = $as_of_date
            group by debtor
        ),

        named as (
            select
                * exclude (accounts),
                debtor = $wanted or list_contains(accounts, $wanted) as is_wanted,
                contains(lower(debtor), lower($search))
                or len(list_filter(accounts, lambda a: contains(lower(a), lower($search)))) > 0
                    as is_found,
            from balances
        ),

        matching as (
            select * exclude (is_found), count(*) over () as matching
            from named
            where is_found
        ),

        listed as (
            select * from matching
            order by open_balance_base desc, debtor
            limit $limit
        )

        select * from listed
        union all
        select * exclude (is_found), null as matching from named
        where is_wanted and debtor not in (select debtor from listed)
        order by open_balance_base desc, debtor
    """)
    params = {**scope.params(), "search": search, "limit": limit, "wanted": wanted}
    return query(warehouse, sql, params)


@st.cache_data(show_spinner=False)
def accounts(warehouse: Warehouse, scope: Scope, debtor: str) -> pd.DataFrame:
    """Each entity where the debtor is a customer, with its balance there."""
    sql = scoped(
        _ACCOUNTS
        + """
        select
            a.entity_id,
            e.entity_name,
            e.division,
            a.customer_id,
            a.customer_type,
            a.segment,
            a.country_code,
            a.language,
            a.credit_limit,
            coalesce(b.open_balance_base, 0) as open_balance_base,
            coalesce(b.overdue_amount_base, 0) as overdue_amount_base,
            coalesce(b.unapplied_credit_base, 0) as unapplied_credit_base,
            b.max_days_past_due,
            coalesce(b.open_item_count, 0) as open_item_count,
            a.has_email,
            a.has_phone,
        from accounts as a
        inner join scoped_entities as e on e.entity_id = a.entity_id
        left join marts.customer_balances as b
            on b.entity_id = a.entity_id
            and b.customer_id = a.customer_id
            and b.as_of_date = $as_of_date
        order by open_balance_base desc, a.entity_id
    """
    )
    return query(warehouse, sql, {**scope.params(), "debtor": debtor})


@st.cache_data(show_spinner=False)
def open_items(warehouse: Warehouse, scope: Scope, debtor: str) -> pd.DataFrame:
    """The debtor's open items with their score, oldest due date first."""
    sql = scoped(
        _ACCOUNTS
        + """
        select
            i.entity_id,
            i.customer_id,
            i.item_id,
            i.item_type,
            i.document_number,
            i.issue_date,
            i.due_date,
            i.days_past_due,
            i.aging_bucket,
            i.currency,
            i.open_amount,
            i.open_amount_base,
            i.is_disputed,
            s.p_paid_within_horizon,
        from marts.fct_open_items as i
        inner join accounts as a
            on a.entity_id = i.entity_id and a.customer_id = i.customer_id
        left join ml.invoice_scores as s
            on s.entity_id = i.entity_id
            and s.document_id = i.item_id
            and s.as_of_date = i.as_of_date
        where i.as_of_date = $as_of_date
        order by i.due_date nulls last, i.entity_id, i.item_id
    """
    )
    return query(warehouse, sql, {**scope.params(), "debtor": debtor})


@st.cache_data(show_spinner=False)
def payments(warehouse: Warehouse, scope: Scope, debtor: str) -> pd.DataFrame:
    """Invoices the debtor settled in the 12 months up to the as-of date, newest first."""
    sql = scoped(
        _ACCOUNTS
        + """
        select
            f.entity_id,
            f.customer_id,
            f.document_number,
            f.issue_date,
            f.due_date,
            f.settled_date,
            f.days_to_pay,
            f.days_late,
            f.currency,
            f.amount,
            f.amount_base,
        from marts.fct_invoices as f
        inner join accounts as a
            on a.entity_id = f.entity_id and a.customer_id = f.customer_id
        where f.settled_date is not null
            and f.settled_date > $as_of_date - interval 1 year
            and f.settled_date <= $as_of_date
        order by f.settled_date desc, f.entity_id, f.document_number
    """
    )
    return query(warehouse, sql, {**scope.params(), "debtor": debtor})


@st.cache_data(show_spinner=False)
def payment_signals(warehouse: Warehouse, scope: Scope, debtor: str) -> pd.DataFrame:
    """The latest PSP signal per document of the debtor (paid, pending, failed, ...)."""
    sql = scoped(
        _ACCOUNTS
        + """
        select
            p.entity_id,
            p.document_id,
            p.last_status,
            p.last_status_at,
            p.provider,
            p.method,
            p.paid_amount,
            p.currency,
            p.event_count,
        from marts.fct_payment_signals as p
        inner join accounts as a
            on a.entity_id = p.entity_id and a.customer_id = p.customer_id
        where cast(p.last_status_at as date) <= $as_of_date
        order by p.last_status_at desc
        limit 50
    """
    )
    return query(warehouse, sql, {**scope.params(), "debtor": debtor})


@st.cache_data(show_spinner=False)
def contacts(warehouse: Warehouse, scope: Scope, debtor: str) -> pd.DataFrame:
    """Reminders and calls the debtor received, newest first."""
    sql = scoped(
        _ACCOUNTS
        + """
        select
            k.entity_id,
            k.sent_date,
            k.channel,
            k.tone,
            k.offer,
            k.reminder_level,
            k.document_id,
        from marts.fct_contacts as k
        inner join accounts as a
            on a.entity_id = k.entity_id and a.customer_id = k.customer_id
        where k.sent_date <= $as_of_date
        order by k.sent_at desc
        limit 100
    """
    )
    return query(warehouse, sql, {**scope.params(), "debtor": debtor})


@st.cache_data(show_spinner=False)
def next_actions(warehouse: Warehouse, scope: Scope, debtor: str) -> pd.DataFrame:
    """The decided action per account of the debtor in the run of the as-of date."""
    sql = scoped(
        _ACCOUNTS
        + """
        select d.*
        from reminders.debtor_actions as d
        inner join accounts as a
            on a.entity_id = d.entity_id and a.customer_id = d.customer_id
        where d.as_of_date = $as_of_date
        order by d.entity_id
    """
    )
    frame = query(warehouse, sql, {**scope.params(), "debtor": debtor})
    return current_layout(frame)
