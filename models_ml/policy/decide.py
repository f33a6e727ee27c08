"""Decide, for every debtor with open items, whether to send a reminder and what kind.

One row per (entity_id, customer_id) goes to reminders.debtor_actions under the run id of the
as-of date; deciding the same date again replaces those rows in one transaction. The work is
one SQL statement (see `queries.py`); Python only loads the policy and counts the outcome.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import duckdb

from models_ml.policy.config import load_segments
from models_ml.policy.model import SegmentsConfig
from models_ml.policy.queries import DEBTOR_ACTIONS_SQL
from models_ml.policy.rules import load_rules
from models_ml.policy.tables import (
    DEBTOR_ACTION_COLUMNS,
    SCHEMA,
    column_names,
    ensure_tables,
    run_id_for,
)

log = logging.getLogger(__name__)


def decide_actions(con: duckdb.DuckDBPyConnection, segments_file: Path, as_of: date) -> int:
    """Load the segments file and decide every debtor's action; return the rows written."""
    return decide_with_config(con, load_segments(segments_file), as_of)


def decide_with_config(con: duckdb.DuckDBPyConnection, config: SegmentsConfig, as_of: date) -> int:
    """Same as `decide_actions` for a policy already in memory (what-if runs, tests)."""
    if not config.segments or not config.segments[-1].is_default:
        raise ValueError("the last segment must be a default without match rules")
    _check_marts_as_of(con, as_of)
    run_id = run_id_for(as_of)

    ensure_tables(con)
    load_rules(con, config)
    con.begin()
    try:
        con.execute(f"delete from {SCHEMA}.debtor_actions where run_id = ?", [run_id])
        con.execute(
            f"insert into {SCHEMA}.debtor_actions ({column_names(DEBTOR_ACTION_COLUMNS)}) "
            + DEBTOR_ACTIONS_SQL,
            {
                "as_of": as_of,
                "run_id": run_id,
                "unscored_band": config.unscored_band,
                "default_language": config.default_language,
            },
        )
        con.commit()
    except Exception:
        con.rollback()
        raise

    return _log_outcome(con, run_id)


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
    return total
