"""Put a `SegmentsConfig` into small temporary tables, so the decision is one SQL join.

There are a handful of segments, bands and channels, so filling these tables row by row is
cheap; debtors and invoices never leave DuckDB. Text conditions are stored lower-case and
compared with lower(), so `B2C` in an ERP export still matches `b2c` in the file.
"""

from __future__ import annotations

import duckdb

from models_ml.policy.model import CHANNEL_NEEDS, SegmentsConfig


def load_rules(con: duckdb.DuckDBPyConnection, config: SegmentsConfig) -> None:
    """(Re)create the temp tables that the decision query joins, on this connection."""
    _fill(
        con,
        "policy_segments (segment_order integer, segment varchar, customer_types varchar[], "
        "divisions varchar[], customer_segments varchar[], entities varchar[], "
        "countries varchar[], min_overdue_amount_base decimal(18,2), "
        "max_overdue_amount_base decimal(18,2), min_days_past_due integer)",
        [
            (
                order,
                segment.name,
                _lower(segment.match.customer_types),
                _lower(segment.match.divisions),
                _lower(segment.match.customer_segments),
                _lower(segment.match.entities),
                _lower(segment.match.countries),
                segment.match.min_overdue_amount_base,
                segment.match.max_overdue_amount_base,
                segment.min_days_past_due,
            )
            for order, segment in enumerate(config.segments)
        ],
    )
    _fill(
        con,
        "policy_strategies (segment varchar, score_band varchar, channel varchar, "
        "tone varchar, offer varchar)",
        [
            (segment.name, band, choice.channel, choice.tone, choice.offer)
            for segment in config.segments
            for band, choice in segment.strategy.items()
        ],
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
        "policy_languages (country_code varchar, language varchar)",
        [(country.upper(), language) for country, language in config.language_by_country.items()],
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
