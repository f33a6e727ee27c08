"""The demo group generator on a small group: six entities, about 3,000 invoices."""

from __future__ import annotations

import csv
import dataclasses
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from schwifty import BIC, IBAN

from dagster_project.contract import TABLES
from dagster_project.demo.generator import GeneratorConfig, generate_demo_group

SMALL = GeneratorConfig(n_entities=6, n_invoices=3_000)
END = SMALL.end_date.isoformat()
MONEY = re.compile(r"^-?\d+\.\d{2}$")
TRUTH_FILES = ("customers_truth.parquet", "invoices_truth.parquet", "effects_truth.json")
TABLES_ERP = (
    "entities",
    "customers",
    "documents",
    "allocations",
    "contacts",
    "arrangements",
    "contact_consents",
)


@pytest.fixture(scope="module")
def group(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("demo")
    summary = generate_demo_group(root / "landing", root / "truth", SMALL)
    return root / "landing", root / "truth", summary


@pytest.fixture(scope="module")
def con(group: tuple[Path, Path, dict[str, int]]) -> duckdb.DuckDBPyConnection:
    """Every contract table read from its landing files, typed as the contract says."""
    landing, truth, _ = group
    connection = duckdb.connect()
    for table in TABLES:
        types = ", ".join(f"'{c.name}': '{c.sql_type}'" for c in table.columns)
        connection.execute(
            f"create table {table.name} as select * from read_csv("
            f"'{landing}/{table.landing_glob}', header = true, columns = {{{types}}})"
        )
    connection.execute(
        f"create table invoices_truth as select * from '{truth}/invoices_truth.parquet'"
    )
    connection.execute(
        f"create table customers_truth as select * from '{truth}/customers_truth.parquet'"
    )
    return connection


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_same_config_gives_byte_identical_files(group, tmp_path):
    landing, truth, _ = group
    generate_demo_group(tmp_path / "landing", tmp_path / "truth", SMALL)

    assert _files(tmp_path / "landing") == _files(landing)
    assert _files(tmp_path / "truth") == _files(truth)


def test_another_seed_gives_other_data(group, tmp_path):
    landing, _, _ = group
    generate_demo_group(
        tmp_path / "landing", tmp_path / "truth", dataclasses.replace(SMALL, seed=7)
    )

    path = "erp/NL-RET-01/documents.csv"
    assert (tmp_path / "landing" / path).read_bytes() != (landing / path).read_bytes()


def test_layout_and_size(group):
    landing, _, summary = group
    entities = sorted(p.name for p in (landing / "erp").iterdir())
    providers = sorted(p.name for p in (landing / "psp").iterdir())

    assert len(entities) == 6 and "NL-RET-01" in entities
    with_plans = 0
    for entity in entities:
        names = sorted(p.name for p in (landing / "erp" / entity).iterdir())
        with_plans += "instalments.csv" in names
        assert [n for n in names if n != "instalments.csv"] == [
            f"{t}.csv" for t in sorted(TABLES_ERP)
        ]
    assert 0 < with_plans < len(entities), "instalment plans are optional per entity"
    assert providers == ["adyen", "buckaroo", "mollie", "stripe"]
    assert (landing / "reference" / "fx_rates.csv").is_file()
    assert 2_700 <= summary["invoices"] <= 3_300
    assert summary["entities"] == 6


def test_files_follow_the_contract(group, con):
    landing, _, _ = group
    for table in TABLES:
        paths = sorted(landing.glob(table.landing_glob))
        assert paths, table.name
        for path in paths:
            header = path.read_text(encoding="utf-8").splitlines()[0]
            assert header.split(",") == table.column_names, path

        assert _scalar(con, f"select count(*) from {table.name}") > 0
        for column in table.columns:
            if column.required:
                nulls = _scalar(con, f"select count(*) - count({column.name}) from {table.name}")
                assert nulls == 0, (table.name, column.name)
            if column.allowed:
                values = con.execute(f"select distinct {column.name} from {table.name}").fetchall()
                assert {v for (v,) in values} <= {*column.allowed, None}, column.name


def _rows(landing: Path, glob: str) -> list[tuple[Path, dict[str, str]]]:
    rows = []
    for path in sorted(landing.glob(glob)):
        with path.open(encoding="utf-8", newline="") as handle:
            rows += [(path, row) for row in csv.DictReader(handle)]
    return rows


def test_money_has_exactly_two_decimals(group):
    landing, _, _ = group
    for glob in ("erp/*/documents.csv", "erp/*/allocations.csv", "psp/*/psp_events.csv"):
        amounts = [row["amount"] for _, row in _rows(landing, glob)]
        assert amounts and all(MONEY.match(amount) for amount in amounts), glob


def test_each_entity_folder_holds_only_its_own_rows(group):
    landing, _, _ = group
    for table in TABLES_ERP:
        rows = _rows(landing, f"erp/*/{table}.csv")
        assert all(row["entity_id"] == path.parent.name for path, row in rows), table


def test_keys_are_unique(con):
    for table in TABLES:
        if table.name == "psp_events":
            continue  # duplicate deliveries are part of the demo, see below
        key = ", ".join(table.key)
        groups = f"select {key} from {table.name} group by all having count(*) > 1"
        duplicates = _scalar(con, f"select count(*) from ({groups})")
        assert duplicates == 0, table.name


def test_references_point_to_existing_rows(con):
    orphans = {
        "document without customer": """
            select count(*) from documents d anti join customers c using (entity_id, customer_id)
        """,
        "allocation on a missing or foreign document": """
            select count(*) from allocations a
            anti join documents d using (entity_id, document_id, customer_id)
            where a.document_id is not null
        """,
        "allocation without customer": """
            select count(*) from allocations a anti join customers c using (entity_id, customer_id)
        """,
        "contact on a missing or foreign document": """
            select count(*) from contacts c
            anti join documents d using (entity_id, document_id, customer_id)
        """,
        "credit not on an invoice of the same customer": """
            select count(*) from documents c
            anti join documents i
                on i.entity_id = c.entity_id and i.document_id = c.applies_to_document_id
                and i.customer_id = c.customer_id and i.document_type = 'invoice'
            where c.applies_to_document_id is not null
        """,
        "PSP event without a payment reference of the entity": """
            select count(*) from psp_events e anti join documents d
                on d.entity_id = e.entity_id and d.payment_reference = e.invoice_reference
        """,
    }
    for label, sql in orphans.items():
        assert _scalar(con, sql) == 0, label


def test_instalment_plans_add_up_to_their_invoice(con):
    plans = con.execute(
        """
        select
            count(*) as plans,
            count(*) filter (where d.amount <> p.total) as wrong_total,
            count(*) filter (where d.due_date <> p.first_due) as wrong_first_due,
            count(*) filter (where d.document_type <> 'invoice') as not_invoice,
            count(*) filter (where p.parts not between 2 and 4) as wrong_parts
        from (
            select entity_id, document_id, sum(amount) as total, min(due_date) as first_due,
                count(*) as parts
            from instalments group by all
        ) as p
        join documents as d using (entity_id, document_id)
        """
    ).fetchone()
    invoices = _scalar(con, "select count(*) from documents where document_type = 'invoice'")
    assert plans[1:] == (0, 0, 0, 0)
    assert 0 < plans[0] < 0.05 * invoices


def test_allocations_add_up_to_the_invoice_amount(con):
    balances = """
        with paid as (
            select entity_id, document_id, sum(amount) as paid
            from allocations where document_id is not null group by all
        ),
        credited as (
            select entity_id, applies_to_document_id as document_id, sum(amount) as credited
            from documents where applies_to_document_id is not null group by all
        )
        select
            d.amount - coalesce(credited, 0) as due_amount,
            coalesce(paid, 0) as paid,
            t.settled_date is not null as is_settled
        from documents d
        join invoices_truth t using (entity_id, document_id)
        left join paid using (entity_id, document_id)
        left join credited using (entity_id, document_id)
        where d.document_type = 'invoice'
    """
    wrong = _scalar(
        con, f"select count(*) from ({balances}) where is_settled and paid <> due_amount"
    )
    over = _scalar(con, f"select count(*) from ({balances}) where paid > due_amount")
    settled = _scalar(con, f"select count(*) from ({balances}) where is_settled")

    assert wrong == 0 and over == 0
    assert settled > 0.8 * _scalar(con, "select count(*) from invoices_truth")


def test_payment_patterns_are_present(con):
    partial = """
        select count(*) from (
            select entity_id, document_id from allocations
            where document_id is not null and amount > 0 group by all having count(*) >= 2
        )
    """
    assert _scalar(con, partial) > 0.03 * _scalar(con, "select count(*) from invoices_truth")
    assert _scalar(con, "select count(*) from allocations where document_id is null") > 0
    assert _scalar(con, "select count(*) from allocations where amount < 0") > 0
    assert _scalar(con, "select count(*) from documents where document_type = 'credit_note'") > 0
    assert _scalar(con, "select count(*) from documents where is_disputed") > 0
    psp_share = _scalar(
        con,
        """
        select avg((source = 'psp')::int) from allocations
        where document_id is not null and amount > 0 and source <> 'erp'
        """,
    )
    assert 0.3 < psp_share < 0.7


def test_nothing_is_dated_after_the_end_date(con):
    checks = (
        "select max(booked_date) from allocations",
        "select max(sent_at)::date from contacts",
        "select max(event_at)::date from psp_events",
        "select max(received_at)::date from psp_events",
        "select max(issue_date) from documents",
        "select max(rate_date) from fx_rates",
    )
    for sql in checks:
        assert _scalar(con, sql) <= date.fromisoformat(END), sql


def test_reminders_go_only_to_overdue_unpaid_invoices(con):
    early = _scalar(
        con,
        """
        select count(*) from contacts c join documents d using (entity_id, document_id)
        where c.sent_at::date <= d.due_date
        """,
    )
    after_payment = _scalar(
        con,
        """
        select count(*) from contacts c join invoices_truth t using (entity_id, document_id)
        where t.settled_date is not null and c.sent_at::date >= t.settled_date
        """,
    )
    held_out = _scalar(
        con,
        """
        select count(*) from contacts c join customers_truth t using (entity_id, customer_id)
        where t.is_holdout
        """,
    )
    assert _scalar(con, "select count(*) from contacts") > 0
    assert (early, after_payment, held_out) == (0, 0, 0)
    assert _scalar(con, "select count(distinct reminder_level) from contacts") == 3


def test_psp_delivery_has_duplicates_and_late_events(con):
    duplicates = _scalar(
        con, "select count(*) - count(distinct (provider, event_id)) from psp_events"
    )
    late_failures = _scalar(
        con,
        """
        select count(*) from psp_events f join psp_events p
            on p.provider = f.provider and p.invoice_reference = f.invoice_reference
        where f.status = 'failed' and p.status = 'paid' and f.received_at > p.received_at
        """,
    )
    late_pending = _scalar(
        con,
        """
        select count(*) from psp_events e join psp_events p using (provider, transaction_id)
        where e.status = 'pending' and p.status = 'paid' and e.received_at > p.received_at
        """,
    )
    assert duplicates > 0 and late_failures > 0 and late_pending > 0


def test_truth_is_written_apart_and_complete(group, con):
    landing, truth, summary = group

    for name in (*TRUTH_FILES, "config.json"):
        assert (truth / name).is_file()
    assert not list(landing.rglob("*.parquet")) and not list(landing.rglob("*.json"))
    assert pq.read_metadata(truth / "invoices_truth.parquet").num_rows == summary["invoices"]
    assert pq.read_metadata(truth / "customers_truth.parquet").num_rows == summary["customers"]
    assert (
        _scalar(
            con,
            """
        select count(*) from customers_truth where not (
            0 <= true_p_paid_within_0d_after_due
            and true_p_paid_within_0d_after_due <= true_p_paid_within_14d_after_due
            and true_p_paid_within_14d_after_due <= true_p_paid_within_30d_after_due
            and true_p_paid_within_30d_after_due <= 1)
        """,
        )
        == 0
    )


def test_truth_inside_landing_is_refused(tmp_path):
    with pytest.raises(ValueError, match="truth_dir"):
        generate_demo_group(tmp_path, tmp_path / "truth", SMALL)


def test_truth_matches_what_happened_without_reminders(con):
    """Held-out debtors get no reminders, so their invoices follow the no-contact truth."""
    expected, realised, count = con.execute(
        f"""
        select
            avg(t.true_p_paid_within_14d_after_due),
            avg((coalesce(t.days_late_drawn, 10000) <= 14)::int),
            count(*)
        from invoices_truth t
        join customers_truth c using (entity_id, customer_id)
        join documents d using (entity_id, document_id)
        where c.is_holdout and d.due_date <= date '{END}' - 15
        """
    ).fetchone()
    assert count > 100
    assert abs(expected - realised) < 0.05


def test_identifiers_carry_valid_check_digits(con):
    def mod97(text: str) -> int:
        digits = "".join(str(int(ch, 36)) for ch in text)
        return int(digits) % 97

    ibans = [
        v for (v,) in con.execute("select iban from customers where iban is not null").fetchall()
    ]
    assert ibans and all(mod97(iban[4:] + iban[:4]) == 1 for iban in ibans)

    references = [
        v for (v,) in con.execute("select payment_reference from documents").fetchall() if v
    ]
    rf = [r for r in references if r.startswith("RF")]
    assert rf and all(mod97(r[4:] + r[:4]) == 1 for r in rf)

    weights = [2, 4, 8, 5, 10, 9, 7, 3, 6, 1] * 2
    dutch = [r for r in references if r.isdigit() and len(r) == 16]
    assert dutch
    for reference in dutch:
        total = sum(int(d) * w for d, w in zip(reversed(reference[1:]), weights, strict=False))
        check = {10: 1, 11: 0}.get(11 - total % 11, 11 - total % 11)
        assert int(reference[0]) == check, reference


def test_config_is_frozen_and_serialisable():
    config = GeneratorConfig()

    with pytest.raises(dataclasses.FrozenInstanceError):
        config.seed = 1  # type: ignore[misc]
    assert config.to_dict()["end_date"] == "2026-11-30"
    assert (config.n_entities, config.n_invoices, config.seed) == (40, 150_000, 42)


def test_generator_imports_neither_dagster_nor_streamlit():
    code = (
        "import sys, dagster_project.demo.generator; "
        "sys.exit(any(m.split('.')[0] in ('dagster', 'streamlit') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_entities_collect_into_a_valid_iban_of_their_country(con):
    rows = con.execute(
        "select entity_id, country_code, collection_iban, collection_bic from entities"
    ).fetchall()

    assert len({iban for _, _, iban, _ in rows}) == len(rows)
    for entity_id, country, iban, bic in rows:
        account = IBAN(iban)
        assert account.country_code == country, entity_id
        assert bic and BIC(bic).country_code == country, entity_id


def test_promises_to_pay_come_from_debtors_with_an_overdue_invoice(con):
    promises = con.execute(
        f"""
        select
            count(*) as promises,
            count(*) filter (where a.valid_from <= date '{END}'
                and a.valid_to >= date '{END}') as in_force,
            count(*) filter (where overdue.customer_id is null) as without_overdue,
            count(*) filter (where a.arrangement_type <> 'promise_to_pay'
                or a.valid_to <= a.valid_from or a.recorded_at::date <> a.valid_from
                or a.currency <> e.base_currency or a.promised_amount <= 0) as malformed
        from arrangements as a
        join entities as e using (entity_id)
        left join (
            select distinct d.entity_id, d.customer_id
            from documents as d
            join invoices_truth as t using (entity_id, document_id)
            where d.document_type = 'invoice' and d.due_date < date '{END}'
                and t.settled_date is null
        ) as overdue using (entity_id, customer_id)
        """
    ).fetchone()

    assert promises[0] > 0 and promises[1] > 0
    assert promises[2:] == (0, 0)


def test_consents_hold_opt_ins_withdrawals_and_refusals_of_known_customers(con):
    latest = con.execute(
        """
        select channel, has_consent, count(*) as customers
        from (
            select *, row_number() over (
                partition by entity_id, customer_id, channel order by recorded_at desc
            ) as position
            from contact_consents
        )
        where position = 1
        group by all
        """
    ).fetchall()
    withdrawn = _scalar(
        con,
        """
        select count(*) from (
            select entity_id, customer_id from contact_consents where channel = 'whatsapp'
            group by all having count(*) = 2 and arg_max(has_consent, recorded_at) = false
        )
        """,
    )
    unknown = _scalar(
        con,
        "select count(*) from contact_consents left join customers using "
        "(entity_id, customer_id) where customers.customer_id is null",
    )
    no_phone = _scalar(
        con,
        "select count(*) from contact_consents join customers using (entity_id, customer_id) "
        "where channel in ('whatsapp', 'sms') and coalesce(phone, '') = ''",
    )

    counts = {(channel, consent): n for channel, consent, n in latest}
    assert counts.get(("whatsapp", True), 0) > 0
    assert counts.get(("sms", False), 0) > 0
    assert withdrawn > 0
    assert (unknown, no_phone) == (0, 0)
