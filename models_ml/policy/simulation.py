"""Replay the demo group's last months under the reminder policy and under one size for all,
with payments drawn from the generator's true response model (effects_truth.json).

    python -m models_ml.policy.simulation --data-dir /tmp/i6demo --months 4

Both arms see the same invoices (issued from two months before the evaluation window until
the warehouse's as-of date) and the same random draws, so the difference is the policy's:
- one size for all: the same e-mail (neutral, payment link; a letter without an e-mail
  address) to every unpaid, undisputed invoice at 7 and 21 days past due;
- the policy: `decide_with_config` every day on marts rebuilt from the simulated state, with
  the uplift estimated from the real contact history before the simulation starts and a
  score per customer from its payment history before then (share of invoices settled within
  14 days after due, smoothed): the payment model itself is not re-run each day.
Figures: DSO (average receivable over the window / sales per day), the share of the amount
due in the window collected within 30 days after due, messages sent and their cost.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from models_ml.policy.config import load_segments
from models_ml.policy.decide import decide_with_config
from models_ml.policy.model import SegmentsConfig
from models_ml.policy.simulation_sql import (
    BALANCES_SQL,
    BASELINE_CONTACTS_SQL,
    DAY_SQL,
    FIGURES_SQL,
    MARTS_SQL,
    OPEN_SQL,
    POLICY_CONTACTS_SQL,
    STATE_SQL,
    WORLD_SQL,
)
from models_ml.policy.simulation_world import load_world
from models_ml.policy.tables import run_id_for
from models_ml.policy.uplift import Uplift, estimate_uplift

log = logging.getLogger(__name__)

WARM_UP_DAYS = 60
ARMS = ("one_size", "policy")


@dataclass(frozen=True)
class ArmResult:
    arm: str
    dso_days: float
    collected_30d_share: float | None
    collected_30d_base: float
    due_base: float
    paid_by_end_base: float
    messages: int
    contact_cost_base: float
    messages_by_channel: dict[str, int]
    phone_tasks: int
    collection_handovers: int


@dataclass(frozen=True)
class SimulationResult:
    first_issue: date
    first_eval: date
    last_eval: date
    invoices: int
    uplift_source: str
    estimated_vs_true: dict[str, dict[str, tuple[float, float]]]
    arms: tuple[ArmResult, ...]


def simulate(
    warehouse: Path,
    truth_dir: Path,
    config: SegmentsConfig,
    months: int = 4,
    seed: str = "1",
    warm_up_days: int = WARM_UP_DAYS,
    arms: tuple[str, ...] = ARMS,
) -> SimulationResult:
    """Run the arms (both by default); the warehouse is only read."""
    with duckdb.connect(str(warehouse), read_only=True) as source:
        end = source.execute("select max(as_of_date) from marts.fct_open_items").fetchone()[0]
        first_eval = _months_before(end, months)
        first_issue = first_eval - timedelta(warm_up_days)
        uplift = estimate_uplift(source, first_issue)

    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    truth = load_world(con, warehouse, truth_dir, config, first_issue)
    con.execute(WORLD_SQL, {"seed": seed, "first_issue": first_issue, "last_issue": end})
    invoices = con.execute("select count(*) from sim_invoices").fetchone()[0]
    log.info("simulation: %d invoices issued %s..%s", invoices, first_issue, end)

    results = tuple(
        _run_arm(con, arm, config, uplift, truth, first_issue, first_eval, end) for arm in arms
    )
    return SimulationResult(
        first_issue, first_eval, end, invoices, uplift.source, _compare(uplift, truth), results
    )


def _run_arm(
    con: duckdb.DuckDBPyConnection,
    arm: str,
    config: SegmentsConfig,
    uplift: Uplift,
    truth: dict,
    first_issue: date,
    first_eval: date,
    end: date,
) -> ArmResult:
    started = time.monotonic()
    con.execute(STATE_SQL, {"arm": arm})
    hazard = {
        "arm": arm,
        "base_rates": list(truth["baseline"]["daily_rates"]),
        "month_end_b2b": truth["month_end"]["log_ratio"]["b2b"],
        "month_end_b2c": truth["month_end"]["log_ratio"]["b2c"],
        "window": int(truth["contact_window_days"]),
    }
    day = first_issue
    while day <= end:
        _contact(con, arm, config, uplift, day)
        con.execute(DAY_SQL, {**hazard, "day": day})
        day += timedelta(1)
    log.info("simulation: arm %s done in %.0f s", arm, time.monotonic() - started)
    return _figures(con, arm, first_eval, end)


def _contact(
    con: duckdb.DuckDBPyConnection, arm: str, config: SegmentsConfig, uplift: Uplift, day: date
) -> None:
    """The day's contacts of one arm into sim_contacts, and its messages into sim_messages."""
    open_items = OPEN_SQL.replace("$arm", f"'{arm}'").replace("$day", f"'{day}'::date")
    if arm == "one_size":
        con.execute(BASELINE_CONTACTS_SQL.format(open_items=open_items), {"arm": arm, "day": day})
        con.execute(
            "insert into sim_messages select distinct arm, ?, entity_id, customer_id, channel, "
            "'remind' from sim_contacts where arm = ? and due_date + contact_day = ?",
            [day, arm, day],
        )
        return

    con.execute(MARTS_SQL.format(open_items=open_items), {"day": day})
    con.execute(BALANCES_SQL)
    con.execute(
        "create or replace table marts.fct_invoices as select * from history_invoices "
        "union all select invoices.entity_id, invoices.customer_id, invoices.document_id, "
        "invoices.due_date, state.paid_date, (state.paid_date - invoices.due_date)::int "
        "from sim_invoices as invoices inner join sim_state as state "
        "on invoices.entity_id = state.entity_id and invoices.document_id = state.document_id "
        "where state.arm = ? and state.paid_date < ?",
        [arm, day],
    )
    decide_with_config(con, config, day, uplift=uplift)
    run_id = run_id_for(day)
    con.execute(
        "insert into reminders.reminder_runs select *, null, null, null, ?::timestamp "
        "from reminders.debtor_actions where run_id = ? and action <> 'none'",
        [day, run_id],
    )
    con.execute(POLICY_CONTACTS_SQL, {"arm": arm, "day": day, "run_id": run_id})
    con.execute(
        "insert into sim_messages select ?, ?, entity_id, customer_id, "
        "coalesce(channel, 'none'), action from reminders.debtor_actions "
        "where run_id = ? and action <> 'none'",
        [arm, day, run_id],
    )


def _figures(con: duckdb.DuckDBPyConnection, arm: str, first_eval: date, end: date) -> ArmResult:
    last_due = end - timedelta(30)
    dso, collected, collected_base, due_base, paid_base = con.execute(
        FIGURES_SQL,
        {"arm": arm, "first_eval": first_eval, "last_eval": end, "last_due": last_due},
    ).fetchone()
    rows = con.execute(
        "select messages.action, messages.channel, count(*), sum(coalesce(costs.cost_base, 0)) "
        "from sim_messages as messages left join sim_costs as costs "
        "on messages.channel = costs.channel "
        "where messages.arm = ? and messages.day between ? and ? group by all",
        [arm, first_eval, end],
    ).fetchall()
    sent = [row for row in rows if row[0] in ("remind", "phone_task")]
    by_channel: dict[str, int] = {}
    for _, channel, count, _ in sent:
        by_channel[channel] = by_channel.get(channel, 0) + int(count)
    return ArmResult(
        arm=arm,
        dso_days=round(float(dso), 2),
        collected_30d_share=None if collected is None else round(float(collected), 4),
        collected_30d_base=round(float(collected_base or 0), 2),
        due_base=round(float(due_base or 0), 2),
        paid_by_end_base=round(float(paid_base or 0), 2),
        messages=sum(by_channel.values()),
        contact_cost_base=round(sum(float(row[3]) for row in sent), 2),
        messages_by_channel=dict(sorted(by_channel.items())),
        phone_tasks=sum(int(row[2]) for row in rows if row[0] == "phone_task"),
        collection_handovers=sum(int(row[2]) for row in rows if row[0] == "collection_handover"),
    )


def _compare(uplift: Uplift, truth: dict) -> dict[str, dict[str, tuple[float, float]]]:
    """Estimated and true log hazard ratio per channel, tone and offer."""
    return {
        kind: {
            value: (round(estimate, 3), round(float(truth[kind].get(value, 0.0)), 3))
            for value, estimate in sorted(values.items())
        }
        for kind, values in uplift.effects.items()
    }


def _months_before(day: date, months: int) -> date:
    """The first day of the window of `months` calendar months that ends with day's month."""
    month = day.month - months + 1
    year = day.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def report(result: SimulationResult) -> str:
    """The figures as a Markdown table."""
    one_size, policy = result.arms
    lines = [
        f"Evaluation window {result.first_eval} to {result.last_eval} "
        f"({result.invoices} invoices issued from {result.first_issue}); "
        f"uplift {result.uplift_source}.",
        "",
        "| | one size for all | policy |",
        "|---|---|---|",
        f"| DSO (days) | {one_size.dso_days:.1f} | {policy.dso_days:.1f} |",
        f"| collected within 30 days after due | {_share(one_size)} | {_share(policy)} |",
        f"| of the amount due (EUR), collected in 30 days "
        f"| {one_size.collected_30d_base:,.0f} of {one_size.due_base:,.0f} "
        f"| {policy.collected_30d_base:,.0f} of {policy.due_base:,.0f} |",
        f"| messages sent | {one_size.messages} | {policy.messages} |",
        f"| contact cost (EUR) | {one_size.contact_cost_base:,.2f} "
        f"| {policy.contact_cost_base:,.2f} |",
        f"| by channel | {_channels(one_size)} | {_channels(policy)} |",
        f"| hand-overs to collection | {one_size.collection_handovers} "
        f"| {policy.collection_handovers} |",
        "",
        "Uplift estimated from the contact history before the simulation; true tone effects "
        "are at average propensity (the truth adds a slope per unit of propensity).",
        "",
        "| effect (log hazard ratio) | estimated | true |",
        "|---|---|---|",
    ]
    for kind, values in result.estimated_vs_true.items():
        for value, (estimate, true) in values.items():
            lines.append(f"| {kind} {value} | {estimate:+.2f} | {true:+.2f} |")
    return "\n".join(lines) + "\n"


def _share(arm: ArmResult) -> str:
    return "n/a" if arm.collected_30d_share is None else f"{arm.collected_30d_share:.1%}"


def _channels(arm: ArmResult) -> str:
    return ", ".join(f"{channel} {count}" for channel, count in arm.messages_by_channel.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="the demo's CM_DATA_DIR")
    parser.add_argument("--segments", type=Path, default=Path("data/config/segments.yml"))
    parser.add_argument("--months", type=int, default=4, help="length of the window")
    parser.add_argument("--seed", default="1", help="seed of the payment draws")
    parser.add_argument("--json", type=Path, help="also write the result as JSON here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for name in ("models_ml.policy.decide", "models_ml.policy.inputs"):
        logging.getLogger(name).setLevel(logging.WARNING)  # one line per simulated day is noise

    result = simulate(
        args.data_dir / "warehouse" / "warehouse.duckdb",
        args.data_dir / "demo" / "truth",
        load_segments(args.segments),
        args.months,
        args.seed,
    )
    if args.json:
        args.json.write_text(json.dumps(asdict(result), indent=2, default=str), encoding="utf-8")
    sys.stdout.write(report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
