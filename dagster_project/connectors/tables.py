"""Raw tables the bank connectors add to the canonical contract.

Proposed for `dagster_project/contract.py` (the lead moves them there and into `TABLES`); they
live here until then so the parsers and the loader can be built and tested. Amounts keep five
decimals: ISO 20022 allows them and the bank's figure must survive unrounded.
"""

from __future__ import annotations

from dagster_project.contract import Column, TableSpec

BANK_AMOUNT = "DECIMAL(18,5)"

BANK_STATEMENTS = TableSpec(
    name="bank_statements",
    landing_glob="bank/*/*",
    key=("account_id", "statement_id"),
    columns=(
        Column("entity_id", "VARCHAR", required=True),
        Column("account_id", "VARCHAR", required=True),
        Column("account_iban", "VARCHAR"),
        Column("statement_id", "VARCHAR", required=True),
        Column("statement_format", "VARCHAR", required=True),
        Column("currency", "VARCHAR"),
        Column("opening_date", "DATE"),
        Column("opening_balance", BANK_AMOUNT),
        Column("closing_date", "DATE"),
        Column("closing_balance", BANK_AMOUNT),
        Column("entry_count", "INTEGER", required=True),
        Column("entries_total", BANK_AMOUNT, required=True),
        Column("tie_out_difference", BANK_AMOUNT),
        Column("is_tied_out", "BOOLEAN"),
    ),
)

BANK_TRANSACTIONS = TableSpec(
    name="bank_transactions",
    landing_glob="bank/*/*",
    key=("account_id", "statement_id", "entry_index", "detail_index"),
    columns=(
        Column("entity_id", "VARCHAR", required=True),
        Column("account_id", "VARCHAR", required=True),
        Column("account_iban", "VARCHAR"),
        Column("statement_id", "VARCHAR", required=True),
        Column("statement_format", "VARCHAR", required=True),
        Column("entry_index", "INTEGER", required=True),
        Column("detail_index", "INTEGER", required=True),
        Column("entry_status", "VARCHAR"),
        Column("booking_date", "DATE"),
        Column("value_date", "DATE"),
        Column("amount", BANK_AMOUNT, required=True),
        Column("currency", "VARCHAR", required=True),
        Column("credit_debit", "VARCHAR", required=True, allowed=("credit", "debit")),
        Column("is_reversal", "BOOLEAN", required=True),
        Column("entry_amount", BANK_AMOUNT, required=True),
        Column("transaction_code", "VARCHAR"),
        Column("counterparty_name", "VARCHAR"),
        Column("counterparty_iban", "VARCHAR"),
        Column("remittance_text", "VARCHAR"),
        Column("structured_reference", "VARCHAR"),
        Column("reference_type", "VARCHAR", allowed=("betalingskenmerk", "rf", "other")),
        Column("is_reference_valid", "BOOLEAN"),
        Column("end_to_end_id", "VARCHAR"),
        Column("bank_reference", "VARCHAR"),
        Column("return_reason", "VARCHAR"),
    ),
)

BANK_TABLES = (BANK_STATEMENTS, BANK_TRANSACTIONS)
