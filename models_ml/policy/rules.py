"""Put a `SegmentsConfig` into small temporary tables, so the decision is a few SQL joins.

There are a handful of segments, steps, bands and channels, so filling these tables row by row
is cheap; debtors and invoices never leave DuckDB. Text conditions are stored lower-case and
compared with lower(), so `B2C` in an ERP export still matches `b2c` in the file.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from models_ml.policy.holidays import holiday_rows
from models_ml.policy.model import CHANNEL_NEEDS, Contact, SegmentsConfig
from models_ml.policy.uplift import Uplift

STEP_COLUMNS = (
    "policy_steps (segment varchar, score_band varchar, level integer, days_past_due integer, "
    "escalation varchar, has_contact boolean, channels varchar[], tones varchar[], "
    "offers varchar[], template varchar)"
)


def load_rules(
    con: duckdb.DuckDBPyConnection, config: SegmentsConfig, as_of: date, uplift: Uplift
) -> None:
    """(Re)create the temp tables that the decision queries join, on this connection."""
    _fill(
        con,
        "policy_segments (segment_order integer, segment varchar, customer_types varchar[], "
        "divisions varchar[], customer_segments varchar[], entities varchar[], "
        "countries varchar[], score_bands varchar[], min_overdue_amount_base decimal(18,2), "
        "max_overdue_amount_base decimal(18,2), min_days_past_due integer, "
        "max_days_past_due integer, min_late_invoices integer, holdout_share double, "
        "holdout_arm varchar)",
        [
            (
                order,
                segment.name,
                _lower(segment.match.customer_types),
                _lower(segment.match.divisions),
                _lower(segment.match.customer_segments),
                _lower(segment.match.entities),
                _lower(segment.match.countries),
                list(segment.match.score_bands) or None,
                segment.match.min_overdue_amount_base,
                segment.match.max_overdue_amount_base,
                segment.match.min_days_past_due,
                segment.match.max_days_past_due,
                segment.match.min_late_invoices,
                segment.holdout.share if segment.holdout else 0.0,
                segment.holdout.arm if segment.holdout else None,
            )
            for order, segment in enumerate(config.segments)
        ],
    )
    _fill(con, STEP_COLUMNS, _step_rows(config))
    _fill(
        con,
        "policy_standard (channels varchar[], tones varchar[])",
        [(list(config.standard.channels), list(config.standard.tones))],
    )
    _fill(
        con,
        "policy_bands (score_band varchar, min_score double)",
        [(band.name, band.min_score) for band in config.score_bands],
    )
    _fill(
        con,
        "policy_channel_options (channel varchar, option_rank integer, "
        "option_channel varchar, needs varchar)",
        [
            (channel, rank, option, CHANNEL_NEEDS[option])
            for channel, fallback in config.channel_fallback.items()
            for rank, option in enumerate((channel, *fallback))
        ],
    )
    _fill(
        con,
        "policy_channels (channel varchar, cost_base decimal(18,2), capacity_per_day integer, "
        "capacity_per varchar)",
        [
            (channel, cost.cost, cost.capacity_per_day, cost.capacity_per)
            for channel, cost in config.channels.items()
        ],
    )
    _fill(
        con,
        "policy_languages (country_code varchar, language varchar)",
        [(country.upper(), language) for country, language in config.language_by_country.items()],
    )
    _fill(
        con,
        "policy_holidays (country_code varchar, holiday_date date)",
        holiday_rows(config.contact_rules.holidays, as_of - timedelta(7), as_of + timedelta(7)),
    )
    _fill(
        con,
        "policy_uplift (kind varchar, value varchar, log_hazard_ratio double)",
        uplift.rows(),
    )


def _step_rows(config: SegmentsConfig) -> list[tuple[object, ...]]:
    """One row per segment, score band and step; a pre-due nudge is level 0 at minus days."""
    rows: list[tuple[object, ...]] = []
    bands = [band.name for band in config.score_bands]
    for segment in config.segments:
        for band in bands:
            pre_due = segment.pre_due
            if pre_due and band in pre_due.bands:
                rows.append(
                    _step_row(
                        segment.name, band, 0, -pre_due.days_before_due, "none", pre_due.contact
                    )
                )
            for step in segment.steps:
                contact = step.for_band(band)
                rows.append(
                    _step_row(
                        segment.name, band, step.level, step.days_past_due, step.escalation, contact
                    )
                )
    return rows


def _step_row(
    segment: str, band: str, level: int, days: int, escalation: str, contact: Contact | None
) -> tuple[object, ...]:
    if contact is None:
        return (segment, band, level, days, escalation, False, None, None, None, None)
    return (
        segment,
        band,
        level,
        days,
        escalation,
        True,
        list(contact.channels),
        list(contact.tones),
        list(contact.offers),
        contact.template,
    )


def _fill(con: duckdb.DuckDBPyConnection, definition: str, rows: list[tuple[object, ...]]) -> None:
    """Create one temp table from `name (columns)` and insert the rows, if any.

    One INSERT with a VALUES row per policy row: executemany costs a round trip per row.
    """
    con.execute(f"create or replace temp table {definition}")
    if rows:
        name = definition.split(" ", 1)[0]
        row_marks = "(" + ", ".join("?" for _ in rows[0]) + ")"
        values = ", ".join(row_marks for _ in rows)
        con.execute(f"insert into {name} values {values}", [value for row in rows for value in row])


def _lower(values: tuple[str, ...]) -> list[str] | None:
    """None means "any value" in a match; a list means "one of these"."""
    return [value.lower() for value in values] if values else None
