"""Strategies: steps by days past due, pre-due nudges, escalation, offers, hold-outs, and the
expected-value choice within each channel's capacity."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
import yaml
from policy_fixtures import (
    TEST_SEGMENTS_YAML,
    Contact,
    Customer,
    Item,
    Score,
    Settled,
    build_warehouse,
    days_before,
    decide,
    write_segments,
)

from models_ml.policy.uplift import Uplift, paid_within, prior_uplift

AS_OF = date(2024, 7, 2)  # a Tuesday


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute("set threads = 1")
    yield connection
    connection.close()


def ago(days: int) -> date:
    return days_before(AS_OF, days)


def policy(tmp_path, edit=None):
    """The test policy, optionally changed by `edit(document)`."""
    document = yaml.safe_load(TEST_SEGMENTS_YAML)
    if edit:
        edit(document)
    return write_segments(tmp_path, yaml.safe_dump(document, sort_keys=False))


# --- steps and escalation -----------------------------------------------------------------


def test_steps_follow_days_past_due_and_what_was_sent(con, tmp_path):
    names = ("fresh", "second", "final", "handed", "done", "long_silent")
    build_warehouse(
        con,
        AS_OF,
        [Customer(name) for name in names],
        [
            Item("F-1", "fresh", ago(2), "100.00"),
            Item("S-1", "second", ago(20), "100.00"),
            Item("H-1", "final", ago(50), "100.00"),
            Item("D-1", "handed", ago(50), "100.00"),
            Item("E-1", "done", ago(60), "100.00"),
            Item("L-1", "long_silent", ago(90), "100.00"),
        ],
        contacts=[
            Contact("second", "S-1", ago(19), 1),
            Contact("final", "H-1", ago(40), 1),
            Contact("handed", "D-1", ago(40), 1),
            Contact("handed", "D-1", ago(20), 2),
            Contact("done", "E-1", ago(40), 3),
        ],
    )

    actions = decide(con, policy(tmp_path), AS_OF)

    summary = {c: (r["step_level"], r["action"], r["reason_code"]) for c, r in actions.items()}
    assert summary == {
        "fresh": (1, "remind", "remind_overdue"),
        "second": (2, "remind", "final_notice"),
        "final": (2, "remind", "final_notice"),
        "handed": (3, "collection_handover", "collection_handover"),
        "done": (None, "none", "strategy_complete"),
        "long_silent": (1, "remind", "remind_overdue"),  # never skips the first reminder
    }
    assert (actions["second"]["channel"], actions["second"]["tone"]) == ("letter", "formal")
    assert actions["second"]["template"] == "final_notice"
    assert actions["handed"]["channel"] is None


def test_no_step_is_sent_twice(con, tmp_path):
    build_warehouse(
        con,
        AS_OF,
        [Customer("anna")],
        [Item("A-1", "anna", ago(12), "100.00")],
        contacts=[Contact("anna", "A-1", ago(10), 1)],
    )

    anna = decide(con, policy(tmp_path), AS_OF)["anna"]

    assert (anna["action"], anna["reason_code"]) == ("none", "awaiting_next_step")


def test_a_band_can_skip_a_step(con, tmp_path):
    def edit(document):
        document["segments"][2]["steps"][0]["by_band"] = {"high": "skip"}

    build_warehouse(
        con,
        AS_OF,
        [Customer("good"), Customer("good_later")],
        [Item("G-1", "good", ago(5), "100.00"), Item("G-2", "good_later", ago(15), "100.00")],
        scores=[Score("G-1", "good", 0.9), Score("G-2", "good_later", 0.9)],
    )

    actions = decide(con, policy(tmp_path, edit), AS_OF)

    assert actions["good"]["reason_code"] == "awaiting_next_step"
    assert (actions["good_later"]["step_level"], actions["good_later"]["reason_code"]) == (
        2,
        "final_notice",
    )


def test_pre_due_nudge_for_the_listed_bands_once(con, tmp_path):
    def edit(document):
        document["segments"][2]["pre_due"] = {
            "days_before_due": 3,
            "bands": ["low"],
            "channel": "email",
            "tone": "friendly",
        }

    names = ("soon", "later", "likely", "nudged")
    build_warehouse(
        con,
        AS_OF,
        [Customer(name) for name in names],
        [
            Item("S-1", "soon", ago(-3), "100.00"),
            Item("S-2", "soon", ago(-20), "100.00"),
            Item("L-1", "later", ago(-4), "100.00"),
            Item("K-1", "likely", ago(-1), "100.00"),
            Item("N-1", "nudged", ago(-2), "100.00"),
        ],
        scores=[
            Score("S-1", "soon", 0.1),
            Score("S-2", "soon", 0.1),
            Score("L-1", "later", 0.1),
            Score("K-1", "likely", 0.95),
            Score("N-1", "nudged", 0.1),
        ],
        contacts=[Contact("nudged", "N-1", ago(8), 0)],
    )

    actions = decide(con, policy(tmp_path, edit), AS_OF)

    soon = actions["soon"]
    assert (soon["action"], soon["reason_code"], soon["template"]) == (
        "remind",
        "remind_pre_due",
        "pre_due",
    )
    assert (soon["step_level"], soon["document_ids"], soon["tone"]) == (0, ["S-1"], "friendly")
    assert {c: actions[c]["reason_code"] for c in ("later", "likely", "nudged")} == dict.fromkeys(
        ("later", "likely", "nudged"), "not_overdue"
    )


# --- offers -------------------------------------------------------------------------------


def test_offers_follow_the_rules(con, tmp_path):
    def edit(document):
        for segment in (0, 2):
            step = document["segments"][segment]["steps"][0]
            step.update(offers=["pay_in_3", "payment_plan", "direct_debit"], by_band={})

    customers = [
        Customer("shop", customer_type="b2c"),
        Customer("shop_big", customer_type="b2c"),
        Customer("firm_poor"),
        Customer("swiss", country_code="CH"),
        Customer("usd"),
        Customer("late_payer"),
    ]
    build_warehouse(
        con,
        AS_OF,
        customers,
        [
            Item("S-1", "shop", ago(5), "120.00"),
            Item("S-2", "shop_big", ago(5), "2500.00"),
            Item("F-1", "firm_poor", ago(5), "800.00"),
            Item("W-1", "swiss", ago(5), "100.00", currency="CHF"),
            Item("U-1", "usd", ago(5), "100.00", currency="USD"),
            Item("P-1", "late_payer", ago(5), "100.00"),
        ],
        scores=[
            Score("S-1", "shop", 0.5),
            Score("S-2", "shop_big", 0.4),
            Score("F-1", "firm_poor", 0.2),
        ],
        settled=[Settled(f"H-{n}", "late_payer", ago(200 + n), ago(180 + n)) for n in range(3)],
    )

    actions = decide(con, policy(tmp_path, edit), AS_OF)

    offers = {c: sorted(row["offers"]) for c, row in actions.items()}
    assert offers == {
        "shop": ["pay_in_3", "payment_link"],  # by SMS: no QR code
        "shop_big": ["payment_link", "payment_plan"],
        "firm_poor": ["epc_qr", "payment_link", "payment_plan"],
        "swiss": ["payment_link"],  # SEPA country, but not in euros
        "usd": ["payment_link"],
        "late_payer": ["direct_debit", "epc_qr", "payment_link"],
    }
    assert all(row["offer"] == row["offers"][0] for row in actions.values())


# --- hold-outs ----------------------------------------------------------------------------


def _many(con, count=200):
    names = [f"c{n:03d}" for n in range(count)]
    build_warehouse(
        con,
        AS_OF,
        [Customer(name, customer_type="b2c") for name in names],
        [Item(f"I-{name}", name, ago(5), "50.00") for name in names],
    )
    return names


def test_holdout_share_is_random_recorded_and_stable(con, tmp_path):
    def edit(document):
        document["segments"][0]["holdout"] = {"share": 0.2, "arm": "no_reminder"}

    _many(con)
    first = decide(con, policy(tmp_path, edit), AS_OF)
    again = decide(con, policy(tmp_path, edit), AS_OF)

    held = {c for c, row in first.items() if row["experiment_arm"] == "holdout_no_reminder"}
    assert 25 <= len(held) <= 55
    assert all(first[c]["reason_code"] == "holdout_no_reminder" for c in held)
    assert all(first[c]["action"] == "remind" for c in set(first) - held)
    assert held == {c for c, row in again.items() if row["experiment_arm"] != "strategy"}

    def reseeded(document):
        edit(document)
        document["experiment_seed"] = "another draw"

    moved = decide(con, policy(tmp_path, reseeded), AS_OF)
    assert held != {c for c, row in moved.items() if row["experiment_arm"] != "strategy"}


def test_standard_holdout_gets_the_standard_reminder(con, tmp_path):
    def edit(document):
        document["segments"][0]["holdout"] = {"share": 0.3, "arm": "standard"}
        document["standard"] = {"channel": "email", "tone": "neutral"}

    _many(con, 60)
    actions = decide(con, policy(tmp_path, edit), AS_OF)

    standard = [row for row in actions.values() if row["experiment_arm"] == "holdout_standard"]
    assert standard
    assert {(r["channel"], r["tone"], r["reason_code"]) for r in standard} == {
        ("email", "neutral", "holdout_standard")
    }
    assert {r["channel"] for r in actions.values() if r["experiment_arm"] == "strategy"} == {"sms"}
    assert all("pay_in_3" not in r["offers"] for r in standard)


# --- expected value and capacity ----------------------------------------------------------

UPLIFT = Uplift(
    effects={
        "channel": {"email": 0.2, "phone": 0.8, "letter": 0.1, "sms": 0.3},
        "tone": {"neutral": 0.0, "firm": 0.1},
        "offer": {"payment_link": 0.3, "epc_qr": 0.1},
    },
    source="test",
)


def _choice_policy(tmp_path, capacity=None):
    def edit(document):
        step = document["segments"][2]["steps"][0]
        step.update(channel=["email", "phone"], tone=["neutral", "firm"], by_band={})
        if capacity is not None:
            document["channels"]["phone"].update(capacity_per_day=capacity)

    return policy(tmp_path, edit)


def test_expected_value_picks_the_contact_worth_its_cost(con, tmp_path):
    build_warehouse(
        con,
        AS_OF,
        [Customer("big"), Customer("small"), Customer("sure")],
        [
            Item("B-1", "big", ago(5), "5000.00"),
            Item("S-1", "small", ago(5), "10.00"),
            Item("U-1", "sure", ago(5), "5000.00"),
        ],
        scores=[Score("B-1", "big", 0.3), Score("S-1", "small", 0.3), Score("U-1", "sure", 0.99)],
    )

    actions = decide(con, _choice_policy(tmp_path), AS_OF, uplift=UPLIFT)

    chosen = {c: (r["channel"], r["tone"], r["offer"]) for c, r in actions.items()}
    assert chosen == {
        "big": ("phone", "firm", "payment_link"),
        "small": ("email", "firm", "payment_link"),
        "sure": ("email", "firm", "payment_link"),
    }
    big = actions["big"]
    expected = paid_within(0.3, 0.8 + 0.1 + 0.3, 14, 10) - 0.3
    assert big["expected_uplift"] == pytest.approx(expected)
    assert float(big["expected_value_base"]) == pytest.approx(expected * 5000 - 4.5, abs=0.01)
    assert "best_expected_value" in big["reason_codes"]
    assert actions["sure"]["expected_uplift"] < 0.01  # a likely payer barely moves


def test_capacity_goes_to_the_debtors_who_gain_most(con, tmp_path):
    amounts = {"d1": "9000.00", "d2": "3000.00", "d3": "6000.00", "d4": "1500.00"}
    build_warehouse(
        con,
        AS_OF,
        [Customer(name) for name in amounts] + [Customer("other", entity_id="E2")],
        [Item(f"I-{c}", c, ago(5), amount) for c, amount in amounts.items()]
        + [Item("I-other", "other", ago(5), "1000.00", entity_id="E2")],
        scores=[Score(f"I-{c}", c, 0.3) for c in amounts]
        + [Score("I-other", "other", 0.3, entity_id="E2")],
    )

    actions = decide(con, _choice_policy(tmp_path, capacity=2), AS_OF, uplift=UPLIFT)

    channels = {c: r["channel"] for c, r in actions.items()}
    assert channels == {
        "d1": "phone",
        "d3": "phone",
        "d2": "email",
        "d4": "email",
        "other": "phone",
    }
    assert "capacity_moved:phone" in actions["d2"]["reason_codes"]
    assert "capacity_moved:phone" not in actions["d1"]["reason_codes"]


def test_a_phone_task_beyond_capacity_waits(con, tmp_path):
    def edit(document):
        document["channels"]["phone"].update(capacity_per_day=1)

    build_warehouse(
        con,
        AS_OF,
        [Customer("big"), Customer("bigger")],
        [Item("B-1", "big", ago(5), "20000.00"), Item("B-2", "bigger", ago(5), "30000.00")],
    )

    actions = decide(con, policy(tmp_path, edit), AS_OF, uplift=UPLIFT)

    assert actions["bigger"]["action"] == "phone_task"
    assert (actions["big"]["action"], actions["big"]["reason_code"]) == ("none", "capacity_full")


def test_uplift_is_recorded_with_the_run(con, tmp_path):
    build_warehouse(con, AS_OF, [Customer("a")], [Item("A-1", "a", ago(5), "10.00")])

    decide(con, policy(tmp_path), AS_OF, uplift=prior_uplift())

    rows = con.execute(
        "select source, kind, value, log_hazard_ratio from reminders.uplift_estimates "
        "where kind = 'channel' and value = 'phone'"
    ).fetchall()
    assert rows == [("prior", "channel", "phone", 0.4)]
