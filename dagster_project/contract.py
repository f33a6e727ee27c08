"""The canonical input contract: the tables every adapter produces and the loader reads.

Landing CSV files follow one format: UTF-8, comma separated, a header row, ISO dates
(YYYY-MM-DD), ISO timestamps in UTC, a dot as decimal separator, booleans as true/false.

Sign conventions (see docs/decisions.md):
- documents.amount is the amount printed on the document; its effect on the receivable comes
  from document_type: invoice and debit_note raise it, credit_note and write_off lower it.
- allocations.amount is cash (or a booked settlement) received: positive lowers the
  receivable, negative (a returned direct debit, a refund) raises it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    required: bool = False
    allowed: tuple[str, ...] = ()
    # Added to the contract later: a file whose header lacks the column loads as before, with
    # the column empty (an older export, or an ERP that does not know it).
    may_be_absent: bool = False


@dataclass(frozen=True)
class TableSpec:
    """One raw table: where its landing files live and what a valid row looks like."""

    name: str
    landing_glob: str
    key: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)
    # Columns that describe a delivery, not its content (a PSP's received time): two records
    # with the same key that differ only here are the same record delivered twice.
    delivery_columns: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


MONEY = "DECIMAL(18,2)"
DOCUMENT_TYPES = ("invoice", "debit_note", "credit_note", "write_off")
CHANNELS = ("email", "sms", "whatsapp", "letter", "phone")
PSP_STATUSES = ("paid", "pending", "failed", "refunded", "charged_back", "reversed")

ENTITIES = TableSpec(
    name="entities",
    landing_glob="erp/*/entities*.csv",
    key=("entity_id",),
    columns=(
        Column("entity_id", "VARCHAR", required=True),
        Column("entity_name", "VARCHAR", required=True),
        Column("division", "VARCHAR", required=True),
        Column("country_code", "VARCHAR", required=True),
        Column("base_currency", "VARCHAR", required=True),
        Column("time_zone", "VARCHAR", required=True),
        # The account debtors pay into, printed in the EPC QR code and the message.
        Column("collection_iban", "VARCHAR", may_be_absent=True),
        Column("collection_bic", "VARCHAR", may_be_absent=True),
    ),
)

CUSTOMERS = TableSpec(
    name="customers",
    landing_glob="erp/*/customers*.csv",
    key=("entity_id", "customer_id"),
    columns=(
        Column("entity_id", "VARCHAR", required=True),
        Column("customer_id", "VARCHAR", required=True),
        Column("customer_name", "VARCHAR", required=True),
        Column("customer_type", "VARCHAR", required=True, allowed=("b2b", "b2c")),
        Column("country_code", "VARCHAR", required=True),
        Column("language", "VARCHAR"),
        Column("segment", "VARCHAR"),
        Column("email", "VARCHAR"),
        Column("phone", "VARCHAR"),
        Column("iban", "VARCHAR"),
        Column("group_debtor_id", "VARCHAR"),
        Column("credit_limit", MONEY),
        Column("vat_number", "VARCHAR", may_be_absent=True),
    ),
)

DOCUMENTS = TableSpec(
    name="documents",
    landing_glob="erp/*/documents*.csv",
    key=("entity_id", "document_id"),
    columns=(
        Column("entity_id", "VARCHAR", required=True),
        Column("document_id", "VARCHAR", required=True),
        Column("document_type", "VARCHAR", required=True, allowed=DOCUMENT_TYPES),
        Column("document_number", "VARCHAR", required=True),
        Column("customer_id", "VARCHAR", required=True),
        Column("issue_date", "DATE", required=True),
        Column("due_date", "DATE"),
        Column("currency", "VARCHAR", required=True),
        Column("amount", MONEY, required=True),
        Column("payment_reference", "VARCHAR"),
        Column("applies_to_document_id", "VARCHAR"),
        Column("is_disputed", "BOOLEAN"),
    ),
)

ALLOCATIONS = TableSpec(
    name="allocations",
    landing_glob="erp/*/allocations*.csv",
    key=("entity_id", "allocation_id"),
    columns=(
        Column("entity_id", "VARCHAR", required=True),
        Column("allocation_id", "VARCHAR", required=True),
        Column("customer_id", "VARCHAR", required=True),
        Column("document_id", "VARCHAR"),
        Column("amount", MONEY, required=True),
        Column("currency", "VARCHAR", required=True),
        Column("booked_date", "DATE", required=True),
        Column("method", "VARCHAR"),
        Column("source", "VARCHAR", required=True, allowed=("erp", "psp", "bank")),
    ),
)

# Optional: an instalment plan splits an invoice or debit note into parts with their own due
# dates. An entity without plans delivers no file; a plan whose amounts do not add up to its
# document's amount (or whose currency differs) is reported by dbt and not used.
INSTALMENTS = TableSpec(
    name="instalments",
    landing_glob="erp/*/instalments*.csv",
    key=("entity_id", "document_id", "instalment_number"),
    columns=(
        Column("entity_id", "VARCHAR", required=True),
        Column("document_id", "VARCHAR", required=True),
        Column("instalment_number", "INTEGER", required=True),
        Column("due_date", "DATE", required=True),
        Column("amount", MONEY, required=True),
        Column("currency", "VARCHAR", required=True),
    ),
)

# Optional: what a debtor agreed to (a promise to pay by a date, a payment plan kept outside
# the instalments file). While one is in force the debtor is not reminded. valid_to is empty
# while the arrangement is open-ended; promised_amount is optional, with its currency.
ARRANGEMENT_TYPES = ("payment_plan", "promise_to_pay")
ARRANGEMENTS = TableSpec(
    name="arrangements",
    landing_glob="erp/*/arrangements*.csv",
    key=("entity_id", "arrangement_id"),
    columns=(
        Column("entity_id", "VARCHAR", required=True),
        Column("arrangement_id", "VARCHAR", required=True),
        Column("customer_id", "VARCHAR", required=True),
        Column("arrangement_type", "VARCHAR", required=True, allowed=ARRANGEMENT_TYPES),
        Column("valid_from", "DATE", required=True),
        Column("valid_to", "DATE"),
        Column("promised_amount", MONEY),
        Column("currency", "VARCHAR"),
        Column("recorded_at", "TIMESTAMP", required=True),
    ),
)

# Optional: a debtor's consent to, or refusal of, a contact channel. Every change is a new
# record; the latest one recorded by the as-of date counts.
CONTACT_CONSENTS = TableSpec(
    name="contact_consents",
    landing_glob="erp/*/contact_consents*.csv",
    key=("entity_id", "customer_id", "channel", "recorded_at"),
    columns=(
        Column("entity_id", "VARCHAR", required=True),
        Column("customer_id", "VARCHAR", required=True),
        Column("channel", "VARCHAR", required=True, allowed=CHANNELS),
        Column("has_consent", "BOOLEAN", required=True),
        Column("recorded_at", "TIMESTAMP", required=True),
    ),
)

CONTACTS = TableSpec(
    name="contacts",
    landing_glob="erp/*/contacts*.csv",
    key=("entity_id", "contact_id"),
    columns=(
        Column("entity_id", "VARCHAR", required=True),
        Column("contact_id", "VARCHAR", required=True),
        Column("customer_id", "VARCHAR", required=True),
        Column("document_id", "VARCHAR"),
        Column("sent_at", "TIMESTAMP", required=True),
        Column("channel", "VARCHAR", required=True, allowed=CHANNELS),
        Column("tone", "VARCHAR"),
        Column("language", "VARCHAR"),
        Column("offer", "VARCHAR"),
        Column("reminder_level", "INTEGER"),
    ),
)

PSP_EVENTS = TableSpec(
    name="psp_events",
    landing_glob="psp/*/psp_events*.csv",
    key=("provider", "event_id"),
    columns=(
        Column("provider", "VARCHAR", required=True),
        Column("event_id", "VARCHAR", required=True),
        Column("transaction_id", "VARCHAR", required=True),
        Column("entity_id", "VARCHAR", required=True),
        Column("invoice_reference", "VARCHAR"),
        Column("amount", MONEY, required=True),
        Column("currency", "VARCHAR", required=True),
        Column("status", "VARCHAR", required=True, allowed=PSP_STATUSES),
        Column("method", "VARCHAR"),
        Column("event_at", "TIMESTAMP", required=True),
        Column("received_at", "TIMESTAMP", required=True),
    ),
    delivery_columns=("received_at",),
)

FX_RATES = TableSpec(
    name="fx_rates",
    landing_glob="reference/fx_rates*.csv",
    key=("rate_date", "currency", "quote_currency"),
    columns=(
        Column("rate_date", "DATE", required=True),
        Column("currency", "VARCHAR", required=True),
        Column("quote_currency", "VARCHAR", required=True),
        Column("rate", "DECIMAL(18,8)", required=True),
    ),
)

# Bank statements come only from parsed files (CAMT, MT940), never from a landing CSV. Amounts
# keep five decimals: ISO 20022 allows them and the bank's figure must survive unrounded.
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

# Tables fed by landing CSV files (their `landing_glob`); the parsed formats (bank statements,
# native PSP notifications, XAF, UBL) feed these and the bank tables through connectors/sources.py.
TABLES: tuple[TableSpec, ...] = (
    ENTITIES,
    CUSTOMERS,
    DOCUMENTS,
    ALLOCATIONS,
    CONTACTS,
    PSP_EVENTS,
    FX_RATES,
    INSTALMENTS,
    ARRANGEMENTS,
    CONTACT_CONSENTS,
)
BANK_TABLES: tuple[TableSpec, ...] = (BANK_STATEMENTS, BANK_TRANSACTIONS)
RAW_TABLES: tuple[TableSpec, ...] = TABLES + BANK_TABLES
TABLES_BY_NAME = {table.name: table for table in RAW_TABLES}
