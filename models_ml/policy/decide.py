"""Decide, for every debtor with open items, whether to contact it today and how.

One row per (entity_id, customer_id) goes to reminders.debtor_actions under the run id of the
as-of date, and the invoices each row lists to reminders.action_invoices; deciding the same
date again replaces them in one transaction, unless the run was handed over already: then it
stays as it was sent and nothing is written. The work is set-based SQL in four steps
(`queries.py`, `queries_choice.py`): debtors and contact rules, candidate contacts with their
expected value, the choice within each channel's daily capacity, and the result. Python only
loads the policy, loops over the few capacity-limited channels and counts the outcome.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import duckdb

from models_ml.policy.accounts import load_collection_accounts
from models_ml.policy.config import load_segments
from models_ml.policy.inputs import OPT_IN_CHANNELS, load_optional_inputs
from models_ml.policy.model import SEPA_COUNTRIES, SegmentsConfig
from models_ml.policy.queries import DEBTORS_SQL, INVOICES_SQL, LISTED_SQL
from models_ml.policy.queries_choice import (
    ACTIONS_SQL,
    CANDIDATES_SQL,
    CAPACITY_SQL,
    CHOICE_SQL,
    REMOVE_OVER_CAPACITY_SQL,
)
from models_ml.policy.render import LANGUAGES
from models_ml.policy.rules import load_rules
from models_ml.policy.tables import (
    ACTION_INVOICE_COLUMNS,
    DEBTOR_ACTION_COLUMNS,
    SCHEMA,
    column_names,
    ensure_tables,
    handed_over_at,
    run_id_for,
)
from models_ml.policy.uplift import Uplift, estimate_uplift

log = logging.getLogger(__name__)


def decide_actions(
    con: duckdb.DuckDBPyConnection,
    segments_file: Path,
    as_of: date,
    *,
    uplift: Uplift | None = None,
) -> int:
    """Load the segments file and decide every debtor's action; return the rows written."""
    return decide_with_config(con, load_segments(segments_file), as_of, uplift=uplift)


def decide_with_config(
    con: duckdb.DuckDBPyConnection,
    config: SegmentsConfig,
    as_of: date,
    *,
    uplift: Uplift | None = None,
) -> int:
    """Same as `decide_actions` for a policy already in memory (what-if runs, simulation).

    `uplift` defaults to the estimate from the contact history before `as_of`.
    """
    if not config.segments or not config.segments[-1].is_default:
        raise ValueError("the last segment must be a default without match rules")
    run_id = run_id_for(as_of)
    ensure_tables(con)
    sent_at = handed_over_at(con, run_id)
    if sent_at is not None:
        return _keep_handed_over(con, run_id, sent_at)
    _check_marts_as_of(con, as_of)

    uplift = uplift or estimate_uplift(con, as_of)
    load_rules(con, config, as_of, uplift)
    load_optional_inputs(con)
    load_collection_accounts(con)
    params = _parameters(config, as_of)
    con.execute(INVOICES_SQL, {"as_of": as_of})
    con.execute(DEBTORS_SQL, _pick(params, DEBTORS_SQL))
    con.execute(LISTED_SQL)
    con.execute(CANDIDATES_SQL, _pick(params, CANDIDATES_SQL))
    _choose_within_capacity(con, config)

    _store(con, run_id, as_of, config, uplift)
    return _log_outcome(con, run_id)


def _parameters(config: SegmentsConfig, as_of: date) -> dict[str, object]:
    rules, offers = config.contact_rules, config.offer_rules
    pre_due = [segment.pre_due.days_before_due for segment in config.segments if segment.pre_due]
    return {
        "as_of": as_of,
        "unscored_band": config.unscored_band,
        "default_language": config.default_language,
        "quiet_days": rules.quiet_days,
        "max_per_month": rules.max_contacts_per_month,
        "plan_grace_days": rules.plan_grace_days,
        "seed": config.experiment_seed,
        "max_pre_due_days": max(pre_due, default=0),
        "sepa_countries": sorted(SEPA_COUNTRIES),
        "qr_currencies": list(offers.epc_qr_currencies),
        "pay_in_3_types": list(offers.pay_in_3_customer_types),
        "pay_in_3_min": offers.pay_in_3_min_amount_base,
        "pay_in_3_max": offers.pay_in_3_max_amount_base,
        "pay_in_3_min_score": offers.pay_in_3_min_score,
        "plan_min": offers.payment_plan_min_amount_base,
        "plan_max_score": offers.payment_plan_max_score,
        "debit_min_late": offers.direct_debit_min_late_invoices,
        "opt_in_channels": list(OPT_IN_CHANNELS),
        "window_days": 10,
    }


def _pick(params: dict[str, object], sql: str) -> dict[str, object]:
    """The parameters a statement uses (DuckDB refuses unused named parameters)."""
    return {name: value for name, value in params.items() if f"${name}" in sql}


def _choose_within_capacity(con: duckdb.DuckDBPyConnection, config: SegmentsConfig) -> None:
    """Best candidate per debtor, then per capacity-limited channel move the debtors beyond
    the day's capacity to their next best; repeated until no channel is over capacity."""
    con.execute(
        "create or replace temp table policy_capacity_moved "
        "(entity_id varchar, customer_id varchar, channel varchar)"
    )
    con.execute(CHOICE_SQL)
    limited = [
        (channel, cost)
        for channel, cost in config.channels.items()
        if cost.capacity_per_day is not None
    ]
    for _ in range(2 * len(limited)):
        moved = 0
        for channel, cost in limited:
            con.execute(
                CAPACITY_SQL,
                {
                    "channel": channel,
                    "capacity": cost.capacity_per_day,
                    "capacity_per": cost.capacity_per,
                },
            )
            over = con.execute("select count(*) from policy_over_capacity").fetchone()[0]
            if over:
                con.execute(REMOVE_OVER_CAPACITY_SQL)
                con.execute("insert into policy_capacity_moved select * from policy_over_capacity")
                con.execute(CHOICE_SQL)
                moved += over
        if not moved:
            break


def _store(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    as_of: date,
    config: SegmentsConfig,
    uplift: Uplift,
) -> None:
    """Replace the run's rows in debtor_actions, action_invoices and uplift_estimates."""
    params = {
        "as_of": as_of,
        "run_id": run_id,
        "default_language": config.default_language,
        "uplift_source": uplift.source,
        "languages": list(LANGUAGES),
        "sepa_countries": sorted(SEPA_COUNTRIES),
        "qr_currencies": list(config.offer_rules.epc_qr_currencies),
    }
    con.begin()
    try:
        for table in ("debtor_actions", "action_invoices", "uplift_estimates"):
            con.execute(f"delete from {SCHEMA}.{table} where run_id = ?", [run_id])
        con.execute(
            f"insert into {SCHEMA}.debtor_actions ({column_names(DEBTOR_ACTION_COLUMNS)}) "
            + ACTIONS_SQL,
            params,
        )
        con.execute(
            f"insert into {SCHEMA}.action_invoices ({column_names(ACTION_INVOICE_COLUMNS)}) "
            "select ?, ?, entity_id, customer_id, document_id, document_number, due_date, "
            "currency, open_amount, open_amount_base, days_past_due, psp_paid_amount, "
            "amount_due, amount_due_base from policy_listed",
            [run_id, as_of],
        )
        for kind, value, effect in uplift.rows():
            count = uplift.counts.get(kind, {}).get(value)
            con.execute(
                f"insert into {SCHEMA}.uplift_estimates values (?, ?, ?, ?, ?, ?, ?)",
                [run_id, as_of, uplift.source, kind, value, effect, count],
            )
        con.commit()
    except Exception:
        con.rollback()
        raise


def _check_marts_as_of(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """Refuse to decide on marts built for another date: the result would be empty, or
    silently wrong, instead of failing where the cause is visible."""
    built_for = con.execute(
        "select distinct as_of_date from marts.fct_open_items order by as_of_date"
    ).fetchall()
    dates = [row[0] for row in built_for]
    if dates and as_of not in dates:
        shown = ", ".join(str(day) for day in dates[:3])
        raise ValueError(f"marts.fct_open_items is built as of {shown}, not {as_of}")


def _keep_handed_over(con: duckdb.DuckDBPyConnection, run_id: str, sent_at: object) -> int:
    """A run handed over is what was sent: it is not decided again. Return its rows."""
    rows = con.execute(
        f"select count(*) from {SCHEMA}.debtor_actions where run_id = ?", [run_id]
    ).fetchone()[0]
    log.info(
        "%s was handed over at %s; kept as it was (%d debtors), nothing decided again",
        run_id,
        sent_at,
        rows,
    )
    return int(rows)


def _log_outcome(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """Log how many debtors got each reason code; return the number of rows."""
    counts = dict(
        con.execute(
            f"select reason_code, count(*) from {SCHEMA}.debtor_actions "
            "where run_id = ? group by reason_code order by reason_code",
            [run_id],
        ).fetchall()
    )
    total = sum(counts.values())
    log.info(
        "%s: decided %d debtors into %s.debtor_actions (%s)",
        run_id,
        total,
        SCHEMA,
        ", ".join(f"{reason} {count}" for reason, count in counts.items()) or "none open",
    )
    no_account = con.execute(
        f"select count(*) from {SCHEMA}.debtor_actions "
        "where run_id = ? and list_contains(reason_codes, 'no_collection_account')",
        [run_id],
    ).fetchone()[0]
    if no_account:
        log.warning(
            "%s: %d debtors get no EPC QR code: their entity has no valid collection account",
            run_id,
            no_account,
        )
    broken = con.execute("select count(*) from policy_debtors where has_broken_plan").fetchone()[0]
    if broken:
        log.info(
            "%s: %d debtors have a broken instalment plan (reason code plan_broken)",
            run_id,
            broken,
        )
    paid = con.execute(
        "select payment_state, count(*) from policy_invoices "
        "where payment_state is not null group by payment_state order by payment_state"
    ).fetchall()
    if paid:
        log.info(
            "%s: open invoices with a PSP payment not booked yet: %s",
            run_id,
            ", ".join(f"{state} {count}" for state, count in paid),
        )
    return total


def segments_without_debtors(
    con: duckdb.DuckDBPyConnection, config: SegmentsConfig, as_of: date
) -> list[str]:
    """The segments with match rules that took no debtor on `as_of`, in file order.

    The schema cannot know the warehouse's divisions, entities or customer segments, so a
    misspelt value passes validation and its debtors fall through to a later segment; the run
    names such segments so that a credit manager sees it the same day (D46).
    """
    taken = {
        row[0]
        for row in con.execute(
            "select distinct segment from reminders.debtor_actions where as_of_date = ?",
            [as_of],
        ).fetchall()
    }
    return [s.name for s in config.segments if not s.is_default and s.name not in taken]
