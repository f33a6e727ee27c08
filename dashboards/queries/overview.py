"""Receivables of a scope: totals, aging, DSO, largest debtors, countries.

Without filters a CFO reads the group marts; any filter or a restricted user reads the entity
and customer marts through `scoped_entities` and `scoped_customers`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.data import Scope, Warehouse, query, scoped


@st.cache_data(show_spinner=False)
def receivables_summary(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """One row: open balance, open invoices, unapplied credit and overdue amount of the scope."""
    sql = scoped("""
        select
            coalesce(sum(b.open_balance_base), 0) as open_balance_base,
            coalesce(sum(b.invoiced_open_base), 0) as invoiced_open_base,
            coalesce(sum(b.unapplied_credit_base), 0) as unapplied_credit_base,
            coalesce(sum(b.overdue_amount_base), 0) as overdue_amount_base,
            count(*) as debtor_count,
            count(*) filter (where b.overdue_amount_base > 0) as overdue_debtor_count,
        from marts.customer_balances as b
        inner join scoped_customers as c
            on c.entity_id = b.entity_id and c.customer_id = b.customer_id
        where b.as_of_date = $as_of_date
    """)
    return query(warehouse, sql, scope.params())


@st.cache_data(show_spinner=False)
def receivables_by_currency(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """Open and overdue amounts per document currency, in that currency and in base."""
    sql = scoped("""
        select
            i.currency,
            sum(i.open_amount) as open_amount,
            coalesce(sum(i.open_amount) filter (where i.is_overdue), 0) as overdue_amount,
            sum(i.open_amount_base) as open_amount_base,
            coalesce(sum(i.open_amount_base) filter (where i.is_overdue), 0)
                as overdue_amount_base,
            count(*) as item_count,
        from marts.fct_open_items as i
        inner join scoped_customers as c
            on c.entity_id = i.entity_id and c.customer_id = i.customer_id
        where i.as_of_date = $as_of_date
        group by i.currency
        order by open_amount_base desc
    """)
    return query(warehouse, sql, scope.params())


@st.cache_data(show_spinner=False)
def aging_by_entity(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """Long format: one row per entity and aging bucket, all buckets present.

    With a segment filter the entity mart no longer answers, so the customers' aging is summed.
    """
    if scope.segments:
        source = """
            select
                a.entity_id,
                a.aging_bucket,
                a.bucket_order,
                sum(a.open_amount_base) as open_amount_base,
                sum(a.item_count) as item_count,
            from marts.customer_aging as a
            inner join scoped_customers as c
                on c.entity_id = a.entity_id and c.customer_id = a.customer_id
            where a.as_of_date = $as_of_date
            group by a.entity_id, a.aging_bucket, a.bucket_order
        """
    else:
        source = """
            select a.entity_id, a.aging_bucket, a.bucket_order, a.open_amount_base, a.item_count
            from marts.entity_aging as a
            inner join scoped_entities as e on e.entity_id = a.entity_id
            where a.as_of_date = $as_of_date
        """
    sql = scoped(f"""
        , aging as ({source})

        select
            a.entity_id,
            e.entity_name,
            e.division,
            e.country_code,
            a.aging_bucket,
            a.bucket_order,
            a.open_amount_base,
            a.item_count,
        from aging as a
        inner join scoped_entities as e on e.entity_id = a.entity_id
        order by a.entity_id, a.bucket_order
    """)
    return query(warehouse, sql, scope.params())


@st.cache_data(show_spinner=False)
def aging_by_bucket(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """Open balance per aging bucket: group_aging for the whole group, else the entities'."""
    if scope.is_whole_group:
        sql = """
            select
                aging_bucket,
                bucket_order,
                sum(open_amount_base) as open_amount_base,
                sum(item_count) as item_count,
            from marts.group_aging
            where as_of_date = $as_of_date
            group by aging_bucket, bucket_order
            order by bucket_order
        """
        return query(warehouse, sql, scope.params())

    by_entity = aging_by_entity(warehouse, scope)
    return (
        by_entity.groupby(["aging_bucket", "bucket_order"], as_index=False)[
            ["open_amount_base", "item_count"]
        ]
        .sum()
        .sort_values("bucket_order")
        .reset_index(drop=True)
    )


@st.cache_data(show_spinner=False)
def aging_by_currency(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """Open amount per document currency and aging bucket, in the document currency."""
    sql = scoped("""
        select
            i.currency,
            i.aging_bucket,
            i.bucket_order,
            sum(i.open_amount) as open_amount,
            sum(i.open_amount_base) as open_amount_base,
            count(*) as item_count,
        from marts.fct_open_items as i
        inner join scoped_customers as c
            on c.entity_id = i.entity_id and c.customer_id = i.customer_id
        where i.as_of_date = $as_of_date
        group by i.currency, i.aging_bucket, i.bucket_order
        order by i.currency, i.bucket_order
    """)
    return query(warehouse, sql, scope.params())


@st.cache_data(show_spinner=False)
def top_debtors(warehouse: Warehouse, scope: Scope, limit: int = 10) -> pd.DataFrame:
    """The debtors with the largest open balance; a group debtor sums its customers at every
    entity in scope (and only those)."""
    sql = scoped("""
        , debtors as (
            select
                coalesce(c.group_debtor_id, b.entity_id || ' / ' || b.customer_id) as debtor,
                c.group_debtor_id is not null as is_group_debtor,
                b.entity_id,
                c.segment,
                c.customer_type,
                c.country_code,
                b.open_balance_base,
                b.overdue_amount_base,
                b.unapplied_credit_base,
                b.max_days_past_due,
                b.open_item_count,
                b.has_disputed_item,
            from marts.customer_balances as b
            inner join scoped_customers as c
                on c.entity_id = b.entity_id and c.customer_id = b.customer_id
            where b.as_of_date = $as_of_date
        ),

        -- the largest first, then their details: the modes and entity lists are costly over
        -- every debtor of a group (0.40 s -> 0.12 s at 10M invoices)
        largest as (
            select debtor, sum(open_balance_base) as open_balance_base
            from debtors
            group by debtor
            order by open_balance_base desc, debtor
            limit $limit
        )

        select
            debtor,
            bool_or(is_group_debtor) as is_group_debtor,
            count(distinct entity_id) as entity_count,
            string_agg(distinct entity_id, ', ' order by entity_id) as entity_ids,
            mode(segment) as segment,
            mode(customer_type) as customer_type,
            mode(country_code) as country_code,
            sum(open_balance_base) as open_balance_base,
            sum(overdue_amount_base) as overdue_amount_base,
            sum(unapplied_credit_base) as unapplied_credit_base,
            max(max_days_past_due) as max_days_past_due,
            sum(open_item_count) as open_item_count,
            bool_or(has_disputed_item) as has_disputed_item,
        from debtors
        where debtor in (select debtor from largest)
        group by debtor
        order by open_balance_base desc, debtor
    """)
    return query(warehouse, sql, {**scope.params(), "limit": int(limit)})


@st.cache_data(show_spinner=False)
def receivables_by_country(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """Open balance, current and overdue per debtor country."""
    sql = scoped("""
        select
            c.country_code,
            sum(b.open_balance_base) as open_balance_base,
            sum(b.open_balance_base - b.overdue_amount_base) as not_overdue_base,
            sum(b.overdue_amount_base) as overdue_amount_base,
            count(*) as debtor_count,
        from marts.customer_balances as b
        inner join scoped_customers as c
            on c.entity_id = b.entity_id and c.customer_id = b.customer_id
        where b.as_of_date = $as_of_date
        group by c.country_code
        order by open_balance_base desc
    """)
    return query(warehouse, sql, scope.params())
