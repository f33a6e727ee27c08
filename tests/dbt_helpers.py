"""Helpers for testing the dbt project on small warehouses built from hand-worked cases.

A `CaseBook` collects raw rows for many cases at once: each case gets its own entity and
customer, and its dates are shifted so that the case's own as-of date falls on the book's
common as-of date (days past due are preserved). One dbt build then answers every case.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.cli.main import dbtRunner, dbtRunnerResult

from dagster_project.connectors.landing import ensure_raw_tables
from dagster_project.contract import TABLES_BY_NAME

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt"
DEFAULT_LOADED_AT = datetime(2025, 1, 1, 6, 0, 0)
METADATA_COLUMNS = ("_source_file", "_source_row", "_load_id", "_row_hash", "_loaded_at")


def _as_date(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


@dataclass
class CaseBook:
    """Raw rows for many cases that share one as-of date."""

    as_of: date
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, table: str, loaded_at: datetime | None = None, **values: Any) -> None:
        """Append one raw row; metadata columns get fixed values (one file per table)."""
        spec = TABLES_BY_NAME[table]
        unknown = set(values) - set(spec.column_names)
        if unknown:
            raise ValueError(f"{table} has no columns {sorted(unknown)}")

        record = {name: values.get(name) for name in spec.column_names}
        record["_source_file"] = f"test/{table}.csv"
        record["_source_row"] = len(self.rows[table]) + 1
        record["_load_id"] = "test-load"
        record["_row_hash"] = hashlib.md5(repr(sorted(record.items())).encode()).hexdigest()
        record["_loaded_at"] = loaded_at or DEFAULT_LOADED_AT
        self.rows[table].append(record)

    def case(
        self,
        name: str,
        case_as_of: str | date | None = None,
        *,
        currency: str = "EUR",
        division: str = "retail",
        country_code: str = "NL",
        segment: str = "sme",
        group_debtor_id: str | None = None,
        iban: str | None = None,
        vat_number: str | None = None,
    ) -> Case:
        """A new case with its own entity and customer, dated as of `case_as_of`."""
        shift_days = (self.as_of - (_as_date(case_as_of) or self.as_of)).days
        case = Case(self, name, shift_days, currency)
        self.add(
            "entities",
            entity_id=case.entity_id,
            entity_name=f"Entity {name}",
            division=division,
            country_code=country_code,
            base_currency=currency,
            time_zone="Europe/Amsterdam",
        )
        self.add(
            "customers",
            entity_id=case.entity_id,
            customer_id=case.customer_id,
            customer_name=f"Customer {name}",
            customer_type="b2b",
            country_code="NL",
            language="nl",
            segment=segment,
            email=f"{name.lower()}@example.com",
            phone=None,
            iban=iban,
            group_debtor_id=group_debtor_id,
            credit_limit=Decimal("5000.00"),
            vat_number=vat_number,
        )
        return case

    def write(self, path: Path) -> Path:
        """Create a warehouse file with the raw schema and every collected row."""
        con = duckdb.connect(str(path))
        try:
            ensure_raw_tables(con)
            for table, records in self.rows.items():
                columns = [*TABLES_BY_NAME[table].column_names, *METADATA_COLUMNS]
                # One Arrow table per raw table: row-by-row inserts take minutes for the
                # thousands of rows of the property tests.
                batch = pa.table({name: [record[name] for record in records] for name in columns})
                con.register("batch", batch)
                con.execute(
                    f"insert into raw.{table} ({', '.join(columns)}) "
                    f"select {', '.join(columns)} from batch"
                )
                con.unregister("batch")
        finally:
            con.close()
        return path


@dataclass
class Case:
    """One case: an entity with one customer; every date given is shifted by `shift_days`."""

    book: CaseBook
    name: str
    shift_days: int
    currency: str

    @property
    def entity_id(self) -> str:
        return f"E-{self.name}"

    @property
    def customer_id(self) -> str:
        return f"C-{self.name}"

    def day(self, value: str | date | None) -> date | None:
        """The case's date moved onto the book's calendar."""
        parsed = _as_date(value)
        return parsed + timedelta(days=self.shift_days) if parsed else None

    def moment(self, value: str) -> datetime:
        return datetime.fromisoformat(value) + timedelta(days=self.shift_days)

    def document(
        self,
        document_type: str,
        document_id: str,
        issue: str | date,
        amount: str,
        *,
        due: str | date | None = None,
        applies_to: str | None = None,
        currency: str | None = None,
        payment_reference: str | None = None,
        is_disputed: bool | None = None,
        loaded_at: datetime | None = None,
    ) -> None:
        self.book.add(
            "documents",
            loaded_at=loaded_at,
            entity_id=self.entity_id,
            document_id=document_id,
            document_type=document_type,
            document_number=document_id,
            customer_id=self.customer_id,
            issue_date=self.day(issue),
            due_date=self.day(due),
            currency=currency or self.currency,
            amount=Decimal(amount),
            payment_reference=payment_reference,
            applies_to_document_id=applies_to,
            is_disputed=is_disputed,
        )

    def invoice(
        self,
        document_id: str,
        issue: str | date,
        due: str | date | None,
        amount: str,
        **options: Any,
    ) -> None:
        self.document("invoice", document_id, issue, amount, due=due, **options)

    def credit_note(
        self, document_id: str, issue: str | date, amount: str, applies_to: str | None = None
    ) -> None:
        self.document("credit_note", document_id, issue, amount, applies_to=applies_to)

    def write_off(self, document_id: str, issue: str | date, amount: str, applies_to: str) -> None:
        self.document("write_off", document_id, issue, amount, applies_to=applies_to)

    def payment(
        self,
        allocation_id: str,
        booked: str | date,
        amount: str,
        applies_to: str | None = None,
        currency: str | None = None,
    ) -> None:
        self.book.add(
            "allocations",
            entity_id=self.entity_id,
            allocation_id=allocation_id,
            customer_id=self.customer_id,
            document_id=applies_to,
            amount=Decimal(amount),
            currency=currency or self.currency,
            booked_date=self.day(booked),
            method="sepa_credit_transfer",
            source="erp",
        )

    def contact(self, contact_id: str, sent_at: str, document_id: str | None = None) -> None:
        self.book.add(
            "contacts",
            entity_id=self.entity_id,
            contact_id=contact_id,
            customer_id=self.customer_id,
            document_id=document_id,
            sent_at=self.moment(sent_at),
            channel="email",
            tone="friendly",
            language="nl",
            reminder_level=1,
        )

    def psp_event(
        self,
        event_id: str,
        status: str,
        reference: str,
        event_at: str,
        received_at: str,
        amount: str = "100.00",
        transaction_id: str = "tx-1",
        loaded_at: datetime | None = None,
    ) -> None:
        self.book.add(
            "psp_events",
            loaded_at=loaded_at,
            provider="mollie",
            event_id=event_id,
            transaction_id=transaction_id,
            entity_id=self.entity_id,
            invoice_reference=reference,
            amount=Decimal(amount),
            currency=self.currency,
            status=status,
            method="ideal",
            event_at=self.moment(event_at),
            received_at=self.moment(received_at),
        )

    def instalment(
        self,
        document_id: str,
        number: int,
        due: str | date,
        amount: str,
        currency: str | None = None,
    ) -> None:
        self.book.add(
            "instalments",
            entity_id=self.entity_id,
            document_id=document_id,
            instalment_number=number,
            due_date=self.day(due),
            amount=Decimal(amount),
            currency=currency or self.currency,
        )

    def fx_rate(self, rate_date: str, currency: str, quote_currency: str, rate: str) -> None:
        self.book.add(
            "fx_rates",
            rate_date=self.day(rate_date),
            currency=currency,
            quote_currency=quote_currency,
            rate=Decimal(rate),
        )


def run_dbt_build(
    target_dir: Path,
    dbt_vars: dict[str, Any],
    command: str = "build",
    extra_args: list[str] | None = None,
) -> dbtRunnerResult:
    """`dbt build` (or another command, e.g. "docs generate") in-process on the warehouse of
    CM_WAREHOUSE_PATH."""
    try:
        return dbtRunner().invoke(
            [
                *command.split(),
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--target-path",
                str(target_dir / "target"),
                "--log-path",
                str(target_dir / "logs"),
                "--vars",
                json.dumps(dbt_vars),
                "--quiet",
                *(extra_args or []),
            ]
        )
    finally:
        release_warehouse()


def release_warehouse() -> None:
    """Close the DuckDB instance dbt-duckdb keeps open in-process after a run.

    Without this the test cannot open the file itself (DuckDB refuses a second instance of
    the same file with another configuration in one process).
    """
    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        if environment is not None:
            environment.close()
        DuckDBConnectionManager.close_all_connections()


def failed_nodes(result: dbtRunnerResult) -> list[str]:
    """Nodes that did not pass cleanly (errors, failures, warnings, skips), for messages."""
    if result.result is None:
        return [repr(result.exception)]
    return [
        f"{run.node.unique_id}: {run.status} {run.message or ''}".strip()
        for run in result.result
        if str(run.status) not in ("success", "pass")
    ]


def query(path: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Rows of a query on a built warehouse, as dicts."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        cursor = con.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
