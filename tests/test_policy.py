"""The reminder policy: segments file validation, the debtor decision and the reminder run.

Warehouses are tiny DuckDB files built by tests/policy_fixtures.py; the receivables cases
(C06, C08-C11 of the shared case list) are checked at decision level. Contact rules are in
test_policy_rules.py, strategies and the expected-value choice in test_policy_strategy.py,
messages and the EPC QR code in test_policy_messages.py.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_fixtures import (
    TEST_SEGMENTS_YAML,
    Customer,
    Item,
    PspEvent,
    Score,
    Signal,
    actions_by_customer,
    build_warehouse,
    decide,
    write_segments,
)

from models_ml.policy import (
    SegmentsConfigError,
    export_reminder_run,
    load_segments,
    run_id_for,
    segments_without_debtors,
)
from models_ml.policy.uplift import prior_uplift

REPO_ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2024, 7, 2)  # a Tuesday: phone tasks are possible
CREATED_AT = datetime(2024, 7, 2, 5, 0, 0)


def days_ago(days: int, as_of: date = AS_OF) -> date:
    return date.fromordinal(as_of.toordinal() - days)


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


@pytest.fixture
def segments(tmp_path) -> Path:
    return write_segments(tmp_path)


# --- segments.yml ------------------------------------------------------------------------


def decide_actions(con, segments, as_of):
    from models_ml.policy import decide_actions as decide_with_file

    return decide_with_file(con, segments, as_of, uplift=prior_uplift())


def test_shipped_segments_file_is_valid():
    config = load_segments(REPO_ROOT / "data" / "config" / "segments.yml")

    assert [band.name for band in config.score_bands] == ["high", "medium", "low"]
    assert config.segments[-1].is_default
    assert config.language_by_country["CZ"] == "cs"
    assert "easter+1" in config.contact_rules.holidays["NL"]
    assert config.channels["phone"].capacity_per_day == 15
    assert config.contact_rules.plan_grace_days == 14
    assert all(segment.holdout for segment in config.segments)


def _broken(tmp_path: Path, edit) -> str:
    """Apply `edit` to the test policy, write it and return the loader's error message."""
    document = yaml.safe_load(TEST_SEGMENTS_YAML)
    edit(document)
    path = write_segments(tmp_path, yaml.safe_dump(document, sort_keys=False))
    with pytest.raises(SegmentsConfigError) as error:
        load_segments(path)
    return str(error.value)


def test_unknown_channel_names_file_and_path(tmp_path):
    def edit(document):
        document["segments"][2]["steps"][0]["channel"] = "fax"

    message = _broken(tmp_path, edit)

    assert (
        "segments.yml: segments[2].steps[0].channel: 'fax' is not one of "
        "email, sms, whatsapp, letter, phone"
    ) in message


def test_missing_default_segment(tmp_path):
    message = _broken(tmp_path, lambda document: document["segments"].pop())

    assert "segments.yml: segments: no default segment: segments[1] has 'match'" in message


def test_default_segment_before_others_is_unreachable(tmp_path):
    def edit(document):
        del document["segments"][0]["match"]

    message = _broken(tmp_path, edit)

    assert "segments[0]: only the last segment may be without 'match'" in message


def test_band_thresholds_out_of_order(tmp_path):
    def edit(document):
        document["score_bands"][1]["min_score"] = 0.8

    message = _broken(tmp_path, edit)

    assert (
        "segments.yml: score_bands[1].min_score: 0.8 must be lower than "
        "score_bands[0].min_score (0.7)"
    ) in message


def test_unknown_key(tmp_path):
    def edit(document):
        document["segments"][0]["match"]["colour"] = "blue"

    message = _broken(tmp_path, edit)

    assert "segments.yml: segments[0].match.colour: unknown key; expected one of" in message


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d["segments"][2]["steps"][0].pop("tone"),
            "segments[2].steps[0]: missing the required key 'tone'",
        ),
        (
            lambda d: d["segments"][0]["steps"][0].update(days_past_due=0),
            "segments[0].steps[0].days_past_due: expected a whole number >= 1, got 0",
        ),
        (
            lambda d: d["segments"][2]["steps"][1].update(days_past_due=1),
            "segments[2].steps[1].days_past_due: 1 must be later than the step before (1)",
        ),
        (
            lambda d: d["segments"][2]["steps"].append({"days_past_due": 90, "channel": "email"}),
            "segments[2].steps[2]: a collection hand-over must be the last step",
        ),
        (
            lambda d: d["segments"][2]["steps"][2].update(channel="email"),
            "segments[2].steps[2].channel: a collection hand-over sends no message",
        ),
        (
            lambda d: d["segments"][1]["steps"][0].update(channel=["phone", "email"]),
            "segments[1].steps[0]: a phone task needs channel: phone",
        ),
        (
            lambda d: d["segments"][0]["steps"][0].update(offers=["free_lunch"]),
            "segments[0].steps[0].offers[0]: 'free_lunch' is not one of pay_in_3",
        ),
        (
            lambda d: d["segments"][0]["steps"][0]["by_band"].update(top={"tone": "firm"}),
            "segments[0].steps[0].by_band.top: unknown key; expected one of high, medium, low",
        ),
        (
            lambda d: d["segments"][0]["steps"][0].update(tone=["firm", "firm"]),
            "segments[0].steps[0].tone: lists a value twice",
        ),
        (
            lambda d: d["segments"][0].update(holdout={"share": 0.7}),
            "segments[0].holdout.share: 0.7 leaves too few debtors in the strategy",
        ),
        (
            lambda d: d["segments"][0].update(holdout={"share": 0.1, "arm": "half"}),
            "segments[0].holdout.arm: 'half' is not one of no_reminder, standard",
        ),
        (
            lambda d: d["segments"][0].update(
                pre_due={"days_before_due": 3, "bands": ["top"], "channel": "sms", "tone": "firm"}
            ),
            "segments[0].pre_due.bands[0]: 'top' is not one of high, medium, low",
        ),
        (
            lambda d: d.update(contact_rules={"quiet_days": -1}),
            "contact_rules.quiet_days: expected a whole number >= 0, got -1",
        ),
        (
            lambda d: d.update(contact_rules={"plan_grace_days": "two weeks"}),
            "contact_rules.plan_grace_days: expected a whole number >= 0, got 'two weeks'",
        ),
        (
            lambda d: d.update(contact_rules={"holidays_file": "nowhere.yml"}),
            "contact_rules.holidays_file: cannot read nowhere.yml",
        ),
        (
            lambda d: d.update(channels={"phone": {"cost": 4, "capacity_per": "planet"}}),
            "channels.phone.capacity_per: 'planet' is not one of group, division, country, entity",
        ),
        (
            lambda d: d.update(
                offers={"pay_in_3": {"min_amount_base": 500, "max_amount_base": 50}}
            ),
            "offers.pay_in_3.max_amount_base: 50 must be higher than min_amount_base (500)",
        ),
        (lambda d: d.update(version=1), "version: 1 is not the supported version (2)"),
        (lambda d: d.update(unscored_band="unknown"), "unscored_band: 'unknown' is not one of"),
        (
            lambda d: d["score_bands"][2].update(min_score=0.1),
            "score_bands[2].min_score: the last band must start at 0",
        ),
        (
            lambda d: d["segments"][1]["match"].update(max_overdue_amount_base=500),
            "segments[1].match.max_overdue_amount_base: 500 must be higher than",
        ),
        (
            lambda d: d["segments"][1].update(name="consumers"),
            "segments[1].name: 'consumers' is used twice",
        ),
        (
            lambda d: d.update(channel_fallback={"email": ["letter", "pigeon"]}),
            "channel_fallback.email[1]: 'pigeon' is not one of",
        ),
        (
            lambda d: d["segments"][0]["match"].update(customer_type="B2C"),
            "segments[0].match.customer_type[0]: 'B2C' is not one of b2b, b2c",
        ),
        (
            lambda d: d.update(languages={"by_country": {"Czechia": "cs"}}),
            "languages.by_country.Czechia: expected an upper-case country code",
        ),
    ],
)
def test_other_rule_breaks_name_their_path(tmp_path, edit, expected):
    assert expected in _broken(tmp_path, edit)


def test_every_problem_is_reported_at_once(tmp_path):
    def edit(document):
        document["segments"][0]["steps"][0]["by_band"]["high"]["tone"] = "rude"
        document["segments"][2]["steps"][0]["offers"] = ["discount"]

    message = _broken(tmp_path, edit)

    assert "segments[0].steps[0].by_band.high.tone: 'rude'" in message
    assert "segments[2].steps[0].offers[0]: 'discount'" in message


def test_duplicate_key_bad_yaml_and_missing_file(tmp_path):
    duplicated = write_segments(tmp_path, TEST_SEGMENTS_YAML + "unscored_band: low\n")
    with pytest.raises(SegmentsConfigError, match="found the key 'unscored_band' twice"):
        load_segments(duplicated)

    broken = write_segments(tmp_path, "segments: [\n")
    with pytest.raises(SegmentsConfigError, match=r"segments\.yml: not valid YAML"):
        load_segments(broken)

    with pytest.raises(SegmentsConfigError, match="cannot read the file"):
        load_segments(tmp_path / "missing.yml")


# --- decisions: the receivables cases ----------------------------------------------------


def test_c06_customer_in_credit_gets_no_reminder(con, segments):
    as_of = date(2024, 2, 10)
    build_warehouse(
        con,
        as_of,
        [Customer("heron")],
        [
            Item("INV-72", "heron", date(2024, 2, 5), "100.00"),
            Item("PAY-71", "heron", None, "-500.00", item_type="unapplied_payment"),
        ],
    )

    heron = decide(con, segments, as_of)["heron"]

    assert (heron["action"], heron["reason_code"]) == ("none", "net_credit")
    assert heron["channel"] is None


def test_c08_due_today_is_not_reminded_until_the_next_day(con, segments):
    customers = [Customer("lark")]
    items = [
        Item("INV-131", "lark", date(2024, 8, 19), "100.00"),
        Item("INV-132", "lark", date(2024, 8, 31), "200.00"),
    ]

    build_warehouse(con, date(2024, 8, 19), customers, items)
    due_today = decide(con, segments, date(2024, 8, 19))["lark"]
    build_warehouse(con, date(2024, 8, 20), customers, items)
    next_day = decide(con, segments, date(2024, 8, 20))["lark"]

    assert (due_today["action"], due_today["reason_code"]) == ("none", "not_overdue")
    assert due_today["document_ids"] == []
    assert next_day["action"] == "remind"
    assert next_day["document_ids"] == ["INV-131"]


def test_c09_partly_paid_invoice_is_reminded_on_its_open_amount(con, segments):
    as_of = date(2023, 10, 16)
    build_warehouse(
        con,
        as_of,
        [Customer("merlin", country_code="FR")],
        [
            Item("INV-151", "merlin", date(2023, 9, 15), "600.00", amount="1000.00"),
            Item("INV-152", "merlin", date(2023, 10, 30), "300.00"),
        ],
    )

    merlin = decide(con, segments, as_of)["merlin"]

    assert (merlin["action"], merlin["reason_code"]) == ("remind", "remind_overdue")
    assert merlin["document_ids"] == ["INV-151"]
    assert merlin["amount_due"] == Decimal("600.00")
    assert merlin["currency"] == "EUR"
    assert merlin["max_days_past_due"] == 31


def test_c10_written_off_invoice_gives_no_reminder(con, segments):
    as_of = date(2024, 3, 15)
    build_warehouse(
        con,
        as_of,
        [Customer("oriole"), Customer("zero")],
        [Item("INV-999", "zero", date(2024, 1, 31), "0.00", amount="1000.00")],
    )

    actions = decide(con, segments, as_of)

    assert "oriole" not in actions  # INV-171 is settled, so it is not an open item at all
    assert actions["zero"]["action"] == "none"  # a stray zero row would not be reminded
    assert actions["zero"]["document_ids"] == []


def test_c11_reminder_stops_once_a_credit_settles_the_invoice(con, segments):
    customers = [Customer("pelican")]
    build_warehouse(
        con, date(2024, 1, 20), customers, [Item("INV-181", "pelican", date(2024, 1, 1), "50.00")]
    )
    before = decide(con, segments, date(2024, 1, 20))
    build_warehouse(con, date(2024, 1, 25), customers, [])
    after = decide(con, segments, date(2024, 1, 25))

    assert before["pelican"]["action"] == "remind"
    assert before["pelican"]["max_days_past_due"] == 19
    assert after == {}


# --- decisions: suppression and choices --------------------------------------------------


def test_suppression_reasons_in_precedence(con, segments):
    build_warehouse(
        con,
        AS_OF,
        [Customer(name) for name in ("credit", "disputed", "paid", "current", "mixed")],
        [
            Item("C-1", "credit", days_ago(10), "100.00", is_disputed=True),
            Item("C-2", "credit", None, "-150.00", item_type="credit_note"),
            Item("D-1", "disputed", days_ago(10), "100.00", is_disputed=True),
            Item("D-2", "disputed", days_ago(-5), "100.00"),
            Item("P-1", "paid", days_ago(10), "100.00"),
            Item("P-2", "paid", days_ago(12), "50.00", is_disputed=True),
            Item("N-1", "current", days_ago(0), "100.00"),
            Item("M-1", "mixed", days_ago(10), "100.00", is_disputed=True),
            Item("M-2", "mixed", days_ago(11), "70.00"),
            Item("M-3", "mixed", days_ago(12), "80.00"),
            Item("M-4", "mixed", days_ago(13), "90.00"),
        ],
        signals=[Signal("P-1", "paid"), Signal("M-3", "paid"), Signal("M-4", "pending")],
    )

    actions = decide(con, segments, AS_OF)

    reasons = {customer: row["reason_code"] for customer, row in actions.items()}
    assert reasons == {
        "credit": "net_credit",
        "disputed": "all_disputed",
        "paid": "paid_signal",
        "current": "not_overdue",
        "mixed": "remind_overdue",
    }
    assert actions["mixed"]["document_ids"] == ["M-4", "M-2"]  # oldest due date first
    assert actions["mixed"]["amount_due"] == Decimal("160.00")


def test_segment_grace_delays_the_reminder(con, segments):
    build_warehouse(
        con,
        AS_OF,
        [Customer("early", customer_type="b2c"), Customer("late", customer_type="b2c")],
        [
            Item("E-1", "early", days_ago(2), "40.00"),
            Item("L-1", "late", days_ago(3), "40.00"),
        ],
    )

    actions = decide(con, segments, AS_OF)

    assert actions["early"]["reason_code"] == "before_first_step"
    assert actions["late"]["action"] == "remind"
    assert actions["late"]["segment"] == "consumers"


def test_segments_match_in_order(con, segments):
    build_warehouse(
        con,
        AS_OF,
        [Customer("shop", customer_type="b2c"), Customer("big"), Customer("small")],
        [
            Item("S-1", "shop", days_ago(20), "20000.00"),
            Item("B-1", "big", days_ago(20), "20000.00"),
            Item("X-1", "small", days_ago(20), "200.00"),
        ],
        scores=[Score("B-1", "big", 0.2)],
    )

    actions = decide(con, segments, AS_OF)

    assert {c: row["segment"] for c, row in actions.items()} == {
        "shop": "consumers",
        "big": "large",
        "small": "default",
    }
    assert (actions["big"]["action"], actions["big"]["channel"]) == ("phone_task", "phone")
    assert actions["big"]["offers"] == ["payment_link", "payment_plan"]  # no QR on the phone


def test_score_band_is_amount_weighted_and_unscored_falls_back(con, segments):
    build_warehouse(
        con,
        AS_OF,
        [Customer("good"), Customer("poor"), Customer("new")],
        [
            Item("G-1", "good", days_ago(5), "900.00"),
            Item("G-2", "good", days_ago(5), "100.00"),
            Item("P-1", "poor", days_ago(5), "100.00"),
            Item("P-2", "poor", days_ago(5), "900.00"),
            Item("N-1", "new", days_ago(5), "100.00"),
        ],
        scores=[
            Score("G-1", "good", 0.8),
            Score("G-2", "good", 0.0),
            Score("P-1", "poor", 0.8),
            Score("P-2", "poor", 0.0),
        ],
    )

    actions = decide(con, segments, AS_OF)

    assert actions["good"]["p_paid_within_horizon"] == pytest.approx(0.72)
    assert (actions["good"]["score_band"], actions["good"]["channel"]) == ("high", "email")
    assert (actions["poor"]["score_band"], actions["poor"]["channel"]) == ("low", "letter")
    assert actions["new"]["score_band"] == "medium"


def test_language_is_the_customers_own_else_by_country_else_english(con, segments):
    build_warehouse(
        con,
        AS_OF,
        [
            Customer("own", country_code="NL", language="FR"),
            Customer("czech", country_code="CZ"),
            Customer("belgian", country_code="BE", language=""),
            Customer("spanish", country_code="ES"),
            Customer("italian_in_nl", country_code="NL", language="it"),  # no Italian texts
        ],
        [
            Item(f"I-{c}", c, days_ago(5), "10.00")
            for c in ("own", "czech", "belgian", "spanish", "italian_in_nl")
        ],
    )

    actions = decide(con, segments, AS_OF)

    assert {c: row["language"] for c, row in actions.items()} == {
        "own": "fr",
        "czech": "cs",
        "belgian": "nl",
        "spanish": "en",
        "italian_in_nl": "nl",
    }


def test_channel_falls_back_when_contact_data_is_missing(con, segments):
    build_warehouse(
        con,
        AS_OF,
        [
            Customer("no_email", has_email=False, has_address=False),
            Customer("no_phone", customer_type="b2c", has_phone=False),
            Customer("big_no_phone", has_phone=False),
            Customer("big_nothing", has_email=False, has_phone=False),
        ],
        [
            Item("I-1", "no_email", days_ago(5), "10.00"),
            Item("I-2", "no_phone", days_ago(5), "10.00"),
            Item("I-3", "big_no_phone", days_ago(5), "20000.00"),
            Item("I-4", "big_nothing", days_ago(5), "20000.00"),
        ],
    )

    actions = decide(con, segments, AS_OF)

    # A letter goes to the ERP's billing address, so it needs no has_address (not in marts).
    assert actions["no_email"]["channel"] == "letter"
    assert actions["no_email"]["reason_code"] == "remind_overdue"
    assert "channel_fallback" in actions["no_email"]["reason_codes"]
    assert actions["no_phone"]["channel"] == "email"  # consumers: sms -> email
    assert actions["big_no_phone"]["channel"] == "email"  # large: phone -> email
    assert (actions["big_nothing"]["action"], actions["big_nothing"]["reason_code"]) == (
        "none",
        "no_contact",
    )
    assert actions["big_nothing"]["channel"] is None


def test_mixed_currencies_keep_their_amounts_apart(con, segments):
    build_warehouse(
        con,
        AS_OF,
        [Customer("rook")],
        [
            Item("INV-201", "rook", days_ago(21), "1000.00", currency="EUR", fx_rate="1.10"),
            Item("INV-202", "rook", days_ago(16), "500.00", currency="USD"),
        ],
    )

    rook = decide(con, segments, AS_OF)["rook"]

    assert rook["action"] == "remind"
    assert (rook["currency"], rook["amount_due"]) == (None, None)
    assert rook["amount_due_base"] == Decimal("1600.00")


def test_marts_built_for_another_date_are_refused(con, segments):
    build_warehouse(con, AS_OF, [Customer("a")], [Item("A-1", "a", days_ago(5), "10.00")])

    with pytest.raises(ValueError, match="built as of 2024-07-02, not 2024-07-03"):
        decide_actions(con, segments, date(2024, 7, 3))


# --- the reminder run --------------------------------------------------------------------


def _reminder_warehouse(con, paid_too: bool = False) -> None:
    build_warehouse(
        con,
        AS_OF,
        [Customer("anna"), Customer("bert"), Customer("cees")],
        [
            Item("A-1", "anna", days_ago(10), "120.00"),
            Item("A-2", "anna", days_ago(40), "30.50"),
            Item("B-1", "bert", days_ago(10), "99.99"),
            Item("C-1", "cees", days_ago(10), "10.00", is_disputed=True),
        ],
        signals=[Signal("B-1", "paid")] if paid_too else [],
    )


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_export_writes_the_run_and_the_suppressed(con, segments, tmp_path):
    _reminder_warehouse(con)
    decide_actions(con, segments, AS_OF)

    run_dir = export_reminder_run(con, tmp_path / "exports", AS_OF, created_at=CREATED_AT)

    assert run_dir == tmp_path / "exports" / "reminder_runs" / "run-2024-07-02"
    rows = _read_csv(run_dir / "reminder_run.csv")
    assert [(r["customer_id"], r["document_ids"], r["amount_due"]) for r in rows] == [
        ("anna", "A-2;A-1", "150.50"),
        ("bert", "B-1", "99.99"),
    ]
    assert not {"customer_name", "email", "phone", "iban"} & set(rows[0])
    lines = (run_dir / "reminder_run.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    assert (first["document_ids"], first["amount_due"]) == (["A-2", "A-1"], "150.50")
    assert first["payment_link"].startswith("https://pay.demo.invalid/E1/")
    assert first["qr_file"] == "qr/E1_anna.png" and (run_dir / first["qr_file"]).is_file()
    messages = [json.loads(line) for line in (run_dir / "messages.jsonl").open(encoding="utf-8")]
    assert [m["customer_id"] for m in messages] == ["anna", "bert"]
    assert messages[0]["recipient"] == "anna@example.com" and "Anna Ltd" in messages[0]["body"]
    assert first["created_at"] == "2024-07-02T05:00:00Z"
    suppressed = _read_csv(run_dir / "suppressed.csv")
    assert [(r["customer_id"], r["reason_code"]) for r in suppressed] == [("cees", "all_disputed")]
    stored = con.execute("select count(*), min(created_at) from reminders.reminder_runs").fetchone()
    assert stored == (2, CREATED_AT)


def test_redeciding_before_the_hand_over_replaces_the_rows(con, segments):
    _reminder_warehouse(con)
    decide_actions(con, segments, AS_OF)

    _reminder_warehouse(con, paid_too=True)
    decide_actions(con, segments, AS_OF)

    actions = actions_by_customer(con, AS_OF)
    assert con.execute("select count(*) from reminders.debtor_actions").fetchone()[0] == 3
    assert (actions["bert"]["action"], actions["bert"]["reason_code"]) == ("none", "paid_signal")


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _reminder_tables(con) -> list[list[tuple]]:
    return [
        con.execute(f"select * from reminders.{table} order by all").fetchall()
        for table in ("debtor_actions", "action_invoices", "reminder_runs", "handovers")
    ]


def test_a_run_handed_over_is_kept_as_it_was_sent(con, segments, tmp_path, caplog):
    _reminder_warehouse(con)
    decide_actions(con, segments, AS_OF)
    run_dir = export_reminder_run(con, tmp_path, AS_OF, created_at=CREATED_AT)
    tables, files = _reminder_tables(con), _folder_bytes(run_dir)

    # bert pays after the hand-over and the day is run again: what was sent stays
    _reminder_warehouse(con, paid_too=True)
    caplog.set_level("INFO", logger="models_ml.policy")
    rows = decide_actions(con, segments, AS_OF)
    again = export_reminder_run(con, tmp_path, AS_OF, created_at=CREATED_AT + timedelta(hours=1))

    assert (rows, again) == (3, run_dir)
    assert _reminder_tables(con) == tables
    assert _folder_bytes(run_dir) == files
    assert [r["customer_id"] for r in _read_csv(run_dir / "reminder_run.csv")] == ["anna", "bert"]
    handovers = con.execute(
        "select run_id, handed_over_at, actions, suppressed from reminders.handovers"
    )
    assert handovers.fetchall() == [("run-2024-07-02", CREATED_AT, 2, 1)]
    logged = [record.getMessage() for record in caplog.records]
    assert (
        "run-2024-07-02 was handed over at 2024-07-02 05:00:00; kept as it was (3 debtors), "
        "nothing decided again" in logged
    )
    assert any("was handed over at" in line and "nothing written again" in line for line in logged)
    assert sorted(path.name for path in (tmp_path / "reminder_runs").iterdir()) == [
        run_id_for(AS_OF)
    ]


def test_other_dates_keep_their_runs(con, segments, tmp_path):
    _reminder_warehouse(con)
    decide_actions(con, segments, AS_OF)
    export_reminder_run(con, tmp_path, AS_OF, created_at=CREATED_AT)
    later = date(2024, 7, 12)  # past the quiet period after the first run's reminder
    build_warehouse(con, later, [Customer("anna")], [Item("A-1", "anna", days_ago(11), "5.00")])
    decide_actions(con, segments, later)
    export_reminder_run(con, tmp_path, later, created_at=CREATED_AT)

    runs = con.execute(
        "select run_id, count(*) from reminders.reminder_runs group by run_id order by run_id"
    ).fetchall()

    assert runs == [("run-2024-07-02", 2), ("run-2024-07-12", 1)]
    anna = actions_by_customer(con, later)["anna"]
    assert (anna["document_ids"], anna["step_level"], anna["reason_code"]) == (
        ["A-1"],
        2,
        "final_notice",
    )


# --- property: what a run may never contain ----------------------------------------------


def _paid_by(events: list[PspEvent], cutoff_at: datetime) -> set[str]:
    """Invoices whose last paid event by the cut-off is not undone by a later refund."""
    paid: set[str] = set()
    for reference in {event.invoice_reference for event in events}:
        seen = [e for e in events if e.invoice_reference == reference and e.event_at <= cutoff_at]
        paid_at = max((e.event_at for e in seen if e.status == "paid"), default=None)
        undone_at = max((e.event_at for e in seen if e.status == "refunded"), default=None)
        if paid_at and (undone_at is None or undone_at < paid_at):
            paid.add(reference)
    return paid


CUSTOMER_IDS = ("c0", "c1", "c2", "c3")

items_strategy = st.lists(
    st.tuples(
        st.sampled_from(CUSTOMER_IDS),
        st.integers(min_value=-5, max_value=20),  # days past due
        st.sampled_from(["0.00", "0.01", "10.00", "250.00", "-40.00"]),
        st.booleans(),  # disputed
        st.sampled_from([None, "paid", "pending", "failed", "refunded"]),
        st.one_of(st.none(), st.floats(min_value=0, max_value=1)),
        # PSP events that arrive after the marts were built, minutes from the cut-off
        st.lists(
            st.tuples(st.sampled_from(["paid", "failed", "refunded"]), st.integers(-600, 600)),
            max_size=2,
        ),
    ),
    min_size=0,
    max_size=12,
)
CUTOFF_AT = datetime(2024, 7, 3, 6, 0, 0)


@pytest.fixture(scope="module")
def property_warehouse(tmp_path_factory):
    """One connection and policy file for all examples; each example rebuilds the marts and
    decides and hands over the same run id anew."""
    folder = tmp_path_factory.mktemp("property")
    connection = duckdb.connect()
    connection.execute("set threads = 1")  # tiny tables: thread start-up costs more than it saves
    yield connection, folder, write_segments(folder)
    connection.close()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=items_strategy,
    contact=st.tuples(st.booleans(), st.booleans(), st.booleans()),
    customer_type=st.sampled_from(["b2b", "b2c"]),
)
def test_a_run_never_holds_paid_disputed_or_not_overdue_invoices(
    property_warehouse, rows, contact, customer_type
):
    con, folder, segments = property_warehouse
    items, signals, scores, events = [], [], [], []
    for index, (customer, dpd, amount, disputed, status, p, late) in enumerate(rows):
        item_id = f"D{index}"
        is_credit = amount.startswith("-")
        items.append(
            Item(
                item_id,
                customer,
                None if is_credit else days_ago(dpd),
                amount,
                item_type="credit_note" if is_credit else "invoice",
                is_disputed=disputed,
            )
        )
        if status:
            signals.append(Signal(item_id, status))
        if p is not None:
            scores.append(Score(item_id, customer, p))
        for event_status, minutes in late:
            events.append(PspEvent(item_id, event_status, CUTOFF_AT + timedelta(minutes=minutes)))
    email, phone, address = contact
    customers = [
        Customer(c, customer_type, has_email=email, has_phone=phone, has_address=address)
        for c in CUSTOMER_IDS
    ]

    build_warehouse(con, AS_OF, customers, items, signals, scores, events=events)
    con.execute("drop schema if exists reminders cascade")  # each example is a first run
    decide_actions(con, segments, AS_OF)
    run_dir = export_reminder_run(con, folder, AS_OF, cutoff_at=CUTOFF_AT)

    by_id = {item.item_id: item for item in items}
    paid = {signal.document_id for signal in signals if signal.last_status == "paid"}
    paid |= _paid_by(events, CUTOFF_AT)
    reminded = con.execute(
        "select customer_id, unnest(document_ids) from reminders.reminder_runs"
    ).fetchall()
    for customer, document_id in reminded:
        item = by_id[document_id]
        assert item.customer_id == customer
        assert document_id not in paid
        assert not item.is_disputed
        assert Decimal(item.open_amount) > 0
        assert (AS_OF - item.due_date).days >= 1
    debtors = con.execute("select customer_id from reminders.debtor_actions").fetchall()
    assert sorted(c for (c,) in debtors) == sorted({item.customer_id for item in items})
    exported = {row["customer_id"] for row in _read_csv(run_dir / "reminder_run.csv")}
    assert exported == {customer for customer, _ in reminded}


def test_segments_that_took_no_debtor_are_named(con, segments):
    as_of = date(2023, 10, 16)
    build_warehouse(
        con,
        as_of,
        [Customer("merlin", country_code="FR")],
        [Item("INV-151", "merlin", date(2023, 9, 15), "600.00", amount="1000.00")],
    )
    merlin = decide(con, segments, as_of)["merlin"]
    config = load_segments(segments)

    unmatched = segments_without_debtors(con, config, as_of)

    assert merlin["segment"] not in unmatched
    assert unmatched == [
        s.name for s in config.segments if not s.is_default and s.name != merlin["segment"]
    ]
    assert unmatched  # the fixture has segments merlin does not fall into
