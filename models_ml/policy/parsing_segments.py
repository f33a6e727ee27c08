"""Read the `segments` list of `segments.yml`: who falls in each segment and how to remind.

Segments are tried in order, so exactly the last one has no `match` and takes every debtor the
others leave; each segment names a channel, tone and offer for every score band.
"""

from __future__ import annotations

from typing import Any

from models_ml.policy.checks import Checker, at
from models_ml.policy.model import CHANNELS, OFFERS, TONES, BandStrategy, Segment, SegmentMatch

NAME = r"[a-z][a-z0-9_]*"
NAME_HINT = "a lower-case name like key_accounts"
COUNTRY, COUNTRY_HINT = r"[A-Z]{2}", "an upper-case country code like NL"

# YAML key under `match` -> SegmentMatch field.
MATCH_TEXT_KEYS = {
    "customer_type": "customer_types",
    "division": "divisions",
    "customer_segment": "customer_segments",
    "entity": "entities",
    "country": "countries",
}
MATCH_AMOUNT_KEYS = ("min_overdue_amount_base", "max_overdue_amount_base")


def parse_segments(
    value: object, checker: Checker, band_names: tuple[str, ...] | None
) -> tuple[Segment, ...] | None:
    """Segments in matching order; exactly the last one has no `match` (the default)."""
    items = checker.sequence(value, "segments")
    if items is None:
        return None

    segments = [
        _parse_segment(item, f"segments[{index}]", checker, band_names)
        for index, item in enumerate(items)
    ]
    # None for an item that is not a mapping: its own error says so, guessing would mislead.
    without_match = [not item.get("match") if isinstance(item, dict) else None for item in items]
    for index, is_default in enumerate(without_match[:-1]):
        if is_default:
            checker.fail(
                f"segments[{index}]",
                "only the last segment may be without 'match'; the segments after it "
                "could never be chosen",
            )
    if without_match[-1] is False:
        checker.fail(
            "segments",
            f"no default segment: segments[{len(items) - 1}] has 'match' rules; add a last "
            "segment without 'match' so that every debtor gets a strategy",
        )
    checker.unique([segment.name if segment else None for segment in segments], "segments")
    return None if None in segments else tuple(segment for segment in segments if segment)


def _parse_segment(
    value: object, where: str, checker: Checker, band_names: tuple[str, ...] | None
) -> Segment | None:
    fields = checker.mapping(
        value,
        where,
        required=("name", "strategy"),
        optional=("description", "match", "min_days_past_due"),
    )
    if fields is None:
        return None

    name = checker.text(fields.get("name"), at(where, "name"), NAME, NAME_HINT)
    match = _parse_match(fields.get("match"), at(where, "match"), checker)
    grace = checker.integer(fields.get("min_days_past_due", 1), at(where, "min_days_past_due"), 1)
    strategy = None
    if "strategy" in fields and band_names:
        strategy = _parse_strategy(fields["strategy"], at(where, "strategy"), checker, band_names)

    if name is None or match is None or grace is None or strategy is None:
        return None
    return Segment(name=name, match=match, min_days_past_due=grace, strategy=strategy)


def _parse_match(value: object, where: str, checker: Checker) -> SegmentMatch | None:
    if value is None:
        return SegmentMatch()
    fields = checker.mapping(
        value, where, required=(), optional=(*MATCH_TEXT_KEYS, *MATCH_AMOUNT_KEYS)
    )
    if fields is None:
        return None

    texts: dict[str, Any] = {
        attribute: checker.texts(fields[key], at(where, key))
        for key, attribute in MATCH_TEXT_KEYS.items()
        if key in fields
    }
    for index, customer_type in enumerate(texts.get("customer_types") or ()):
        checker.choice(customer_type, f"{where}.customer_type[{index}]", ("b2b", "b2c"))
    for index, country in enumerate(texts.get("countries") or ()):
        checker.text(country, f"{where}.country[{index}]", COUNTRY, COUNTRY_HINT)
    amounts = {
        key: checker.amount(fields[key], at(where, key))
        for key in MATCH_AMOUNT_KEYS
        if key in fields
    }

    low, high = amounts.get("min_overdue_amount_base"), amounts.get("max_overdue_amount_base")
    if low is not None and high is not None and high <= low:
        checker.fail(
            at(where, "max_overdue_amount_base"),
            f"{high} must be higher than min_overdue_amount_base ({low})",
        )
    if None in texts.values() or None in amounts.values():
        return None
    return SegmentMatch(**texts, **amounts)


def _parse_strategy(
    value: object, where: str, checker: Checker, band_names: tuple[str, ...]
) -> dict[str, BandStrategy] | None:
    """One channel, tone and offer for every score band, and for no other key."""
    fields = checker.mapping(value, where, required=band_names)
    if fields is None:
        return None

    strategy: dict[str, BandStrategy] = {}
    for band in band_names:
        if band not in fields:
            continue
        band_where = at(where, band)
        choice = checker.mapping(fields[band], band_where, ("channel", "tone", "offer"))
        if choice is None:
            continue
        picked = {
            key: checker.choice(choice[key], at(band_where, key), allowed)
            for key, allowed in (("channel", CHANNELS), ("tone", TONES), ("offer", OFFERS))
            if key in choice
        }
        if len(picked) == 3 and None not in picked.values():
            strategy[band] = BandStrategy(**picked)
    return strategy if len(strategy) == len(band_names) else None
