"""Properties of the ledger marts over more than a thousand random ledgers, in three dbt builds.

Hypothesis draws the ledgers (invoices, debit notes, linked and unlinked credit notes and
write-offs, partial, full, excess and returned payments, unapplied payments, refunds of
credits, EUR and USD). Each ledger becomes two entities in one warehouse: `A` holds only the
rows dated on or before PAST, `B` holds every row. Then:

1. build as of PAST: A and B agree on every mart (later bookings do not change a past date);
2. build as of NOW: the stored aging snapshot of PAST equals its recomputation (dbt test) and
   the plain-Python aging below;
3. build as of NOW again: every mart is identical to the second build.

In every build each customer's buckets equal an independent computation in plain Python, and
the dbt tie-out tests (buckets = balances = ledger) pass. Building every ledger in one
warehouse keeps this to three dbt runs; a failing ledger is reported with its rows.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt_helpers import CaseBook, failed_nodes, query, run_dbt_build
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

LEDGER_COUNT = 1000
NOW = date(2025, 6, 30)
PAST = date(2025, 5, 20)
START = NOW - timedelta(days=240)
GROUP_CURRENCY = "EUR"
# USD -> EUR from these dates; the first rate also covers earlier days.
USD_RATES = ((START + timedelta(days=40), Decimal("0.91234567")), (PAST, Decimal("0.8765")))
BUCKETS = ((None, 0, "Current"), (1, 30, "1-30"), (31, 60, "31-60"), (61, 90, "61-90"))
UNAPPLIED = "Unapplied credit"
RECEIVABLE = ("invoice", "debit_note")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Doc:
    document_id: str
    document_type: str
    customer: str
    issue: date
    due: date | None
    currency: str
    amount: Decimal
    applies_to: str | None


@dataclass(frozen=True)
class Alloc:
    allocation_id: str
    customer: str
    document_id: str | None
    amount: Decimal
    currency: str
    booked: date


@dataclass(frozen=True)
class Ledger:
    docs: tuple[Doc, ...]
    allocs: tuple[Alloc, ...]


def day(offset: int) -> date:
    return START + timedelta(days=offset)


# Strategies are built once: building them inside the composite costs more than drawing.
DAYS = st.integers(0, (NOW - START).days)
CUSTOMERS = st.sampled_from(["K1", "K2"])
CURRENCIES = st.sampled_from(["EUR", "EUR", "EUR", "USD"])
KINDS = st.sampled_from([*["invoice"] * 4, "debit_note", "credit_note", "write_off"])
PICK = st.integers(0, 1_000)
RECEIVABLE_CENTS = st.integers(-2_000, 300_000)
CREDIT_CENTS = st.integers(1, 80_000)
PAYMENT_CENTS = st.integers(1, 100_000)
TERMS = st.none() | st.integers(0, 75)
SHARES = st.sampled_from(["full", "part", "over", "return"])
PERCENT = st.integers(1, 99)
COUNT_DOCS, COUNT_ALLOCS = st.integers(1, 6), st.integers(0, 6)


@st.composite
def ledgers(draw: st.DrawFn) -> Ledger:
    """A small ledger of one entity with one or two customers."""
    docs: list[Doc] = []
    for number in range(draw(COUNT_DOCS)):
        kind, issue, currency = draw(KINDS), day(draw(DAYS)), draw(CURRENCIES)
        receivables = [doc for doc in docs if doc.document_type in RECEIVABLE]
        target = None
        if kind in ("credit_note", "write_off") and receivables and draw(st.booleans()):
            target = receivables[draw(PICK) % len(receivables)]
            issue, currency = dated_after(draw, target, issue), target.currency
        cents = draw(RECEIVABLE_CENTS if kind in RECEIVABLE else CREDIT_CENTS)
        terms = draw(TERMS)
        docs.append(
            Doc(
                document_id=f"D{number}",
                document_type=kind,
                customer=target.customer if target else draw(CUSTOMERS),
                issue=issue,
                due=issue + timedelta(days=terms) if terms is not None else None,
                currency=currency,
                amount=Decimal(cents) / 100,
                applies_to=target.document_id if target else None,
            )
        )

    allocs: list[Alloc] = []
    for number in range(draw(COUNT_ALLOCS)):
        pick = draw(PICK) % (len(docs) + 1)
        target = docs[pick] if pick < len(docs) else None
        booked = day(draw(DAYS))
        if target is None:
            amount = Decimal(draw(PAYMENT_CENTS)) / 100
            customer, currency = draw(CUSTOMERS), draw(CURRENCIES)
        else:
            booked = dated_after(draw, target, booked)
            amount = payment_amount(draw, target.amount, draw(SHARES))
            customer, currency = target.customer, target.currency
        allocs.append(
            Alloc(
                allocation_id=f"A{number}",
                customer=customer,
                document_id=target.document_id if target else None,
                amount=amount,
                currency=currency,
                booked=booked,
            )
        )
    return Ledger(tuple(docs), tuple(allocs))


def dated_after(draw: st.DrawFn, target: Doc, wanted: date) -> date:
    """A date for something that settles `target`: now and then before the target exists."""
    if draw(PICK) % 10 == 0:
        return wanted
    return max(wanted, target.issue)


def payment_amount(draw: st.DrawFn, document_amount: Decimal, share: str) -> Decimal:
    size = abs(document_amount) or Decimal("10.00")
    if share == "full":
        return size
    if share == "part":
        return (size * Decimal(draw(PERCENT)) / 100).quantize(CENT) or CENT
    if share == "over":
        return size + Decimal(draw(CREDIT_CENTS)) / 100
    return -(Decimal(draw(PAYMENT_CENTS)) / 100)


def draw_ledgers(count: int) -> list[Ledger]:
    """`count` ledgers from Hypothesis, collected first so that one dbt build tests them all."""
    drawn: list[Ledger] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(ledgers())
    def collect(ledger: Ledger) -> None:
        drawn.append(ledger)

    collect()
    return drawn


# The same rules as the marts, computed row by row in plain Python.


def usd_rate(on: date) -> Decimal:
    rate = USD_RATES[0][1]
    for rate_date, value in USD_RATES:
        if rate_date <= on:
            rate = value
    return rate


def to_base(amount: Decimal, currency: str, on: date) -> Decimal:
    rate = Decimal(1) if currency == GROUP_CURRENCY else usd_rate(on)
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def bucket_of(days_past_due: int) -> str:
    for low, high, name in BUCKETS:
        if (low is None or days_past_due >= low) and days_past_due <= high:
            return name
    return "91+"


@dataclass
class Item:
    customer: str
    currency: str
    rate_date: date
    due: date | None
    is_receivable: bool
    open_amount: Decimal = Decimal(0)


def open_items(ledger: Ledger, as_of: date) -> list[Item]:
    """The ledger's items at `as_of` with their open amounts (zero ones included)."""
    issued = {doc.document_id: doc for doc in ledger.docs if doc.issue <= as_of}
    items: dict[str, Item] = {}
    owner: dict[str, str] = {}
    for doc in issued.values():
        target = issued.get(doc.applies_to or "")
        is_receivable = doc.document_type in RECEIVABLE
        if not is_receivable and target and target.document_type in RECEIVABLE:
            owner[doc.document_id] = target.document_id
            continue
        owner[doc.document_id] = doc.document_id
        due = doc.due or doc.issue
        items[doc.document_id] = Item(doc.customer, doc.currency, doc.issue, due, is_receivable)
    for doc in issued.values():
        sign = 1 if doc.document_type in RECEIVABLE else -1
        items[owner[doc.document_id]].open_amount += sign * doc.amount

    for alloc in ledger.allocs:
        if alloc.booked > as_of:
            continue
        if alloc.document_id in issued:
            items[owner[alloc.document_id]].open_amount -= alloc.amount
        else:
            item = Item(alloc.customer, alloc.currency, alloc.booked, None, False, -alloc.amount)
            items[alloc.allocation_id] = item
    return list(items.values())


def expected_aging(ledger: Ledger, as_of: date) -> dict[tuple[str, str, str], Decimal]:
    """Base amount per (customer, currency, bucket), only the non-zero ones."""
    totals: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for item in open_items(ledger, as_of):
        if item.open_amount == 0:
            continue
        if item.is_receivable and item.open_amount > 0:
            bucket = bucket_of((as_of - item.due).days)
        else:
            bucket = UNAPPLIED
        base = to_base(item.open_amount, item.currency, item.rate_date)
        totals[(item.customer, item.currency, bucket)] += base
    return {key: value for key, value in totals.items() if value != 0}


# Writing the ledgers and reading the marts.


def entity_id(number: int, variant: str) -> str:
    return f"P{number:04d}{variant}"


def add_ledger(book: CaseBook, entity: str, ledger: Ledger, until: date) -> None:
    book.add(
        "entities",
        entity_id=entity,
        entity_name=entity,
        division="random",
        country_code="NL",
        base_currency=GROUP_CURRENCY,
        time_zone="Europe/Amsterdam",
    )
    for customer in ("K1", "K2"):
        book.add(
            "customers",
            entity_id=entity,
            customer_id=customer,
            customer_name=customer,
            customer_type="b2b",
            country_code="NL",
            segment="sme",
        )
    for doc in ledger.docs:
        if doc.issue <= until:
            book.add(
                "documents",
                entity_id=entity,
                document_id=doc.document_id,
                document_type=doc.document_type,
                document_number=doc.document_id,
                customer_id=doc.customer,
                issue_date=doc.issue,
                due_date=doc.due,
                currency=doc.currency,
                amount=doc.amount,
                applies_to_document_id=doc.applies_to,
            )
    for alloc in ledger.allocs:
        if alloc.booked <= until:
            book.add(
                "allocations",
                entity_id=entity,
                allocation_id=alloc.allocation_id,
                customer_id=alloc.customer,
                document_id=alloc.document_id,
                amount=alloc.amount,
                currency=alloc.currency,
                booked_date=alloc.booked,
                method="sepa_credit_transfer",
                source="erp",
            )


def make_book(drawn: list[Ledger]) -> CaseBook:
    book = CaseBook(NOW)
    for rate_date, rate in USD_RATES:
        book.add("fx_rates", rate_date=rate_date, currency="USD", quote_currency="EUR", rate=rate)
    for number, ledger in enumerate(drawn):
        add_ledger(book, entity_id(number, "A"), ledger, PAST)
        add_ledger(book, entity_id(number, "B"), ledger, NOW)
    return book


MART_KEYS = {
    "fct_open_items": "entity_id, item_type, item_id",
    "fct_invoices": "entity_id, document_id",
    "customer_balances": "entity_id, customer_id",
    "customer_aging": "entity_id, customer_id, bucket_order",
    "entity_aging": "entity_id, bucket_order",
    "entity_dso_monthly": "entity_id, month_end",
    "group_aging": "bucket_order",
    "group_dso_monthly": "month_end",
    "kpi_monthly": "scope_type, scope_id, month_end",
    "entity_aging_history": "as_of_date, entity_id, currency, bucket_order",
}


def read_marts(warehouse: Path) -> dict[str, list[dict[str, Any]]]:
    return {
        mart: query(warehouse, f"select * from marts.{mart} order by {keys}")
        for mart, keys in MART_KEYS.items()
    }


def per_entity(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows keyed by entity with the entity column dropped, to compare A with B."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["entity_id"]].append({k: v for k, v in row.items() if k != "entity_id"})
    return grouped


def aging_from_marts(warehouse: Path) -> dict[str, dict[tuple[str, str, str], Decimal]]:
    rows = query(
        warehouse,
        """
        select entity_id, customer_id, currency, aging_bucket, sum(open_amount_base) as amount
        from marts.fct_open_items
        group by all
        having sum(open_amount_base) <> 0
        """,
    )
    aging: dict[str, dict[tuple[str, str, str], Decimal]] = defaultdict(dict)
    for row in rows:
        key = (row["customer_id"], row["currency"], row["aging_bucket"])
        aging[row["entity_id"]][key] = row["amount"]
    return aging


@dataclass
class Builds:
    drawn: list[Ledger]
    warehouse: Path
    target_dir: Path
    marts: dict[str, dict[str, list[dict[str, Any]]]]  # build name -> mart -> rows
    aging: dict[str, dict[str, dict[tuple[str, str, str], Decimal]]]  # build -> entity -> ...
    statuses: dict[str, str]  # node name -> status in the "now" build


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Builds]:
    drawn = draw_ledgers(LEDGER_COUNT)
    tmp = tmp_path_factory.mktemp("dbt_properties")
    warehouse = make_book(drawn).write(tmp / "random_ledgers.duckdb")
    marts, aging, statuses = {}, {}, {}
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CM_WAREHOUSE_PATH", str(warehouse))
        # The re-run only runs the models (the tests ran on the same data in "now") and shares
        # its target folder, so dbt parses the project once for both.
        for name, as_of, command, target in (
            ("past", PAST, "build", "past"),
            ("now", NOW, "build", "now"),
            ("rerun", NOW, "run", "now"),
        ):
            result = run_dbt_build(tmp / target, {"as_of_date": as_of.isoformat()}, command)
            assert result.success, failed_nodes(result)
            assert failed_nodes(result) == [], f"{name}: every data test passes, no warnings"
            marts[name] = read_marts(warehouse)
            aging[name] = aging_from_marts(warehouse)
            if name == "now":
                statuses = {run.node.name: str(run.status) for run in result.result}
    yield Builds(drawn, warehouse, tmp / "now", marts, aging, statuses)


def describe(ledger: Ledger) -> str:
    return "\n".join(repr(row) for row in (*ledger.docs, *ledger.allocs))


def test_enough_random_ledgers(builds: Builds) -> None:
    assert len(builds.drawn) >= 1000
    kinds = {doc.document_type for ledger in builds.drawn for doc in ledger.docs}
    assert kinds == {"invoice", "debit_note", "credit_note", "write_off"}
    assert any(alloc.amount < 0 for ledger in builds.drawn for alloc in ledger.allocs)


def test_buckets_equal_plain_python_aging(builds: Builds) -> None:
    for number, ledger in enumerate(builds.drawn):
        for build, as_of, variant in (("past", PAST, "A"), ("past", PAST, "B"), ("now", NOW, "B")):
            got = builds.aging[build].get(entity_id(number, variant), {})
            assert got == expected_aging(ledger, as_of), describe(ledger)


def test_buckets_sum_to_balance_for_every_customer(builds: Builds) -> None:
    for marts in (builds.marts["past"], builds.marts["now"]):
        aging: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for row in marts["customer_aging"]:
            aging[(row["entity_id"], row["customer_id"])] += row["open_amount_base"]
        balances = {
            (row["entity_id"], row["customer_id"]): row["open_balance_base"]
            for row in marts["customer_balances"]
        }
        assert aging == balances
        group_total = sum(row["open_amount_base"] for row in marts["group_aging"])
        assert group_total == sum(balances.values())


def test_past_date_ignores_later_bookings(builds: Builds) -> None:
    for mart in ("fct_open_items", "fct_invoices", "customer_aging", "entity_dso_monthly"):
        rows = per_entity(builds.marts["past"][mart])
        for number, ledger in enumerate(builds.drawn):
            early, full = rows.get(entity_id(number, "A")), rows.get(entity_id(number, "B"))
            assert early == full, f"{mart}\n{describe(ledger)}"

    entity_kpis = per_entity(
        [
            {**row, "entity_id": row["scope_id"], "scope_id": None}
            for row in builds.marts["past"]["kpi_monthly"]
            if row["scope_type"] == "entity"
        ]
    )
    for number, ledger in enumerate(builds.drawn):
        early = entity_kpis.get(entity_id(number, "A"))
        assert early == entity_kpis.get(entity_id(number, "B")), describe(ledger)


def test_past_months_keep_their_kpis(builds: Builds) -> None:
    """Complete months before PAST read the same in the build as of PAST and as of NOW."""
    moving = {"as_of_date", "is_at_risk_final", "at_risk_open_base", "at_risk_rate_pct"}
    before = PAST.replace(day=1)

    def months(rows: list[dict[str, Any]]) -> dict[tuple[str, str, date], dict[str, Any]]:
        return {
            (row["scope_type"], row["scope_id"], row["month_end"]): {
                k: v for k, v in row.items() if k not in moving
            }
            for row in rows
            if row["month_end"] < before and row["scope_id"].endswith("B")
        }

    assert months(builds.marts["past"]["kpi_monthly"]) == months(builds.marts["now"]["kpi_monthly"])


def test_stored_snapshot_of_the_past_date_equals_plain_python(builds: Builds) -> None:
    stored: dict[str, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    for row in builds.marts["now"]["entity_aging_history"]:
        if row["as_of_date"] == PAST:
            stored[row["entity_id"]][(row["currency"], row["aging_bucket"])] = row[
                "open_amount_base"
            ]
    assert {row["as_of_date"] for row in builds.marts["now"]["entity_aging_history"]} == {PAST, NOW}
    for number, ledger in enumerate(builds.drawn):
        expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for (_, currency, bucket), amount in expected_aging(ledger, PAST).items():
            expected[(currency, bucket)] += amount
        for variant in ("A", "B"):
            got = {k: v for k, v in stored.get(entity_id(number, variant), {}).items() if v != 0}
            assert got == {k: v for k, v in expected.items() if v != 0}, describe(ledger)


def test_snapshot_check_passes_and_catches_a_changed_past(
    builds: Builds, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check = "assert_aging_history_matches_recomputation"
    assert builds.statuses[check] == "pass"

    stored = next(r for r in builds.marts["now"]["entity_aging_history"] if r["as_of_date"] == PAST)
    tampered = Path(shutil.copy(builds.warehouse, tmp_path / "tampered.duckdb"))
    with duckdb.connect(str(tampered)) as con:
        con.execute(
            """
            update marts.entity_aging_history set open_amount_base = open_amount_base + 0.01
            where as_of_date = ? and entity_id = ? and currency = ? and aging_bucket = ?
            """,
            [PAST, stored["entity_id"], stored["currency"], stored["aging_bucket"]],
        )
    monkeypatch.setenv("CM_WAREHOUSE_PATH", str(tampered))
    # In the target folder of the "now" build: same vars, so dbt does not parse again.
    result = run_dbt_build(
        builds.target_dir, {"as_of_date": NOW.isoformat()}, "test", ["--select", check]
    )
    assert [str(run.status) for run in result.result] == ["warn"]


def test_rerun_gives_identical_marts(builds: Builds) -> None:
    for mart, rows in builds.marts["now"].items():
        assert builds.marts["rerun"][mart] == rows, mart
