"""Loads, quarantined rows and check figures.

A landing file belongs to an entity when it sits under `erp/<entity_id>/`; PSP feeds and
reference data serve the whole group, so only a user who sees every entity sees them.

Quarantined records are shown masked (file, line and reason stay readable): in a record the
loader could split (a JSON object), every field whose name says personal data (names, e-mail,
phone, IBAN, address) is replaced; in a line it could not split, a line of a table that holds
such fields (from the input contract) is hidden as a whole, since its fields cannot be told
apart. E-mail addresses, IBANs and international phone numbers are masked anywhere, the
reason included (DuckDB's reader quotes the line in its message).
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from dagster_project.contract import TABLES_BY_NAME
from dashboards.data import Scope, Warehouse, query, scoped

MASK = "•••"
PERSONAL_FIELD = r"[a-z_]*(name|email|phone|iban|address|street|city|postcode|zip)[a-z_]*"
PERSONAL_TABLES = tuple(
    sorted(
        table.name
        for table in TABLES_BY_NAME.values()
        if any(re.fullmatch(PERSONAL_FIELD, column.name) for column in table.columns)
    )
)
# (pattern, replacement) applied in this order, as DuckDB regexp_replace (RE2) with 'g'.
_FREE_TEXT_MASKS = (
    (r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", f"{MASK}@{MASK}"),
    (r"\b([A-Z]{2})[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b", f"\\1{MASK}"),
    (r"(?:\+|\b00)[0-9][0-9 ()/-]{6,}[0-9]", f"+{MASK}"),
)
_FIELD_MASK = (rf'"({PERSONAL_FIELD})"\s*:\s*"(?:[^"\\]|\\.)*"', f'"\\1": "{MASK}"')


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def masked(expression: str) -> str:
    """SQL masking the personal data in the text `expression` (see the module's docstring)."""
    for pattern, replacement in (_FIELD_MASK, *_FREE_TEXT_MASKS):
        expression = (
            f"regexp_replace({expression}, {_sql_text(pattern)}, {_sql_text(replacement)}, 'g')"
        )
    return expression


# The entity of a landing file, from its path; null for group-wide feeds.
_FILE_ENTITY = """
    case when split_part({column}, '/', 1) = 'erp' then split_part({column}, '/', 2) end
"""

# A file is in scope when its entity is; a group-wide feed only for a user who sees everything
# and has not narrowed the entities.
_FILE_IN_SCOPE = """
    (
        f.entity_id in (select entity_id from scoped_entities)
        or (
            f.entity_id is null
            and $sees_everything
            and len($divisions::varchar[]) = 0
            and len($entity_ids::varchar[]) = 0
            and len($country_codes::varchar[]) = 0
        )
    )
"""


@st.cache_data(show_spinner=False)
def loads(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """One row per loaded file, newest load first."""
    sql = scoped(f"""
        , files as (
            select l.*, {_FILE_ENTITY.format(column="l.source_file")} as entity_id
            from raw._load_ledger as l
        )

        select
            f.loaded_at,
            f.source_file,
            f.entity_id,
            f.table_name,
            f.rows_read,
            f.rows_loaded,
            f.rows_quarantined,
            f.rows_loaded + f.rows_quarantined = f.rows_read as reconciles,
            f.load_id,
        from files as f
        where {_FILE_IN_SCOPE}
        order by f.loaded_at desc, f.source_file
    """)
    return query(warehouse, sql, scope.params())


@st.cache_data(show_spinner=False)
def quarantine(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """Every quarantined row with its file, line, reason and the record as delivered."""
    sql = scoped(f"""
        , files as (
            select q.*, {_FILE_ENTITY.format(column="q.source_file")} as entity_id
            from raw._quarantine as q
        )

        select
            f.quarantined_at,
            f.source_file,
            f.entity_id,
            f.table_name,
            f.source_row,
            {masked("f.reason")} as reason,
            case
                when json_type(f.record) <> 'OBJECT'
                    and list_contains($personal_tables, f.table_name)
                    then '(line hidden: it may hold personal data)'
                else {masked("cast(f.record as varchar)")}
            end as record,
        from files as f
        where {_FILE_IN_SCOPE}
        order by f.quarantined_at desc, f.source_file, f.source_row
    """)
    return query(warehouse, sql, {**scope.params(), "personal_tables": list(PERSONAL_TABLES)})


@st.cache_data(show_spinner=False)
def balance_checks(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """Per entity: aging buckets against the debtors' open balance, and against the AR of the
    as-of month end; both differences must be 0.00."""
    sql = scoped("""
        , aging as (
            select a.entity_id, sum(a.open_amount_base) as aging_total_base
            from marts.entity_aging as a
            inner join scoped_entities as e on e.entity_id = a.entity_id
            where a.as_of_date = $as_of_date
            group by a.entity_id
        ),

        balances as (
            select b.entity_id, sum(b.open_balance_base) as open_balance_base
            from marts.customer_balances as b
            inner join scoped_entities as e on e.entity_id = b.entity_id
            where b.as_of_date = $as_of_date
            group by b.entity_id
        ),

        ledger as (
            select d.entity_id, d.ar_base
            from marts.entity_dso_monthly as d
            inner join scoped_entities as e on e.entity_id = d.entity_id
            where d.month_end = $as_of_date
        )

        select
            e.entity_id,
            coalesce(a.aging_total_base, 0) as aging_total_base,
            coalesce(b.open_balance_base, 0) as open_balance_base,
            l.ar_base,
            coalesce(a.aging_total_base, 0) - coalesce(b.open_balance_base, 0)
                as aging_minus_balance,
            coalesce(b.open_balance_base, 0) - l.ar_base as balance_minus_ar,
        from scoped_entities as e
        left join aging as a on a.entity_id = e.entity_id
        left join balances as b on b.entity_id = e.entity_id
        left join ledger as l on l.entity_id = e.entity_id
        order by e.entity_id
    """)
    return query(warehouse, sql, scope.params())
