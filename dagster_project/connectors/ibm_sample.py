"""Map the public IBM accounts-receivable sample onto the canonical contract.

The file (../shared/samples/ar/ibm_accounts_receivable.csv) holds 2,466 paid invoices of 100
customers in 5 countries. Each country code becomes an entity (`IBM-<code>`), each customer a
b2b customer of that entity, each row an invoice, and its SettledDate a full payment on that
date. Disputed becomes the document's dispute flag. The file states no currency; amounts are
taken as USD and the run's group currency is set to USD, so no conversion applies.
Set-based: DuckDB reads the file once and writes each landing table with COPY.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

IBM_CURRENCY = "USD"

_SOURCE = """
    select
        'IBM-' || countryCode as entity_id,
        countryCode as country_code,
        customerID as customer_id,
        invoiceNumber as invoice_number,
        strptime(InvoiceDate, '%m/%d/%Y')::date as issue_date,
        strptime(DueDate, '%m/%d/%Y')::date as due_date,
        strptime(SettledDate, '%m/%d/%Y')::date as settled_date,
        cast(InvoiceAmount as decimal(18, 2)) as amount,
        Disputed = 'Yes' as is_disputed
    from read_csv(?, all_varchar = true, header = true)
"""

_TABLES = {
    "entities": """
        select distinct
            entity_id,
            'IBM sample ' || country_code as entity_name,
            'sample' as division,
            country_code,
            '{currency}' as base_currency,
            'UTC' as time_zone
        from ibm
    """,
    "customers": """
        select distinct
            entity_id,
            customer_id,
            'Customer ' || customer_id as customer_name,
            'b2b' as customer_type,
            country_code,
            null as language,
            null as segment,
            null as email,
            null as phone,
            null as iban,
            customer_id as group_debtor_id,
            null as credit_limit
        from ibm
    """,
    "documents": """
        select
            entity_id,
            invoice_number as document_id,
            'invoice' as document_type,
            invoice_number as document_number,
            customer_id,
            issue_date,
            due_date,
            '{currency}' as currency,
            amount,
            invoice_number as payment_reference,
            null as applies_to_document_id,
            is_disputed
        from ibm
    """,
    "allocations": """
        select
            entity_id,
            'PAY-' || invoice_number as allocation_id,
            customer_id,
            invoice_number as document_id,
            amount,
            '{currency}' as currency,
            settled_date as booked_date,
            'bank_transfer' as method,
            'erp' as source
        from ibm
        where settled_date is not null
    """,
}


def write_ibm_landing(csv_path: Path, landing_dir: Path) -> dict[str, int]:
    """Write the sample as landing files under `landing_dir/erp/ibm/`; return rows per table."""
    target = landing_dir / "erp" / "ibm"
    target.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with duckdb.connect() as con:
        con.execute(f"create temp table ibm as {_SOURCE}", [str(csv_path)])
        for table, sql in _TABLES.items():
            query = sql.format(currency=IBM_CURRENCY)
            path = target / f"{table}.csv"
            con.execute(f"copy ({query} order by all) to '{path}' (header, delimiter ',')")
            row = con.execute(f"select count(*) from ({query})").fetchone()
            counts[table] = int(row[0]) if row else 0
    log.info("IBM sample mapped from %s: %s", csv_path.name, counts)
    return counts
