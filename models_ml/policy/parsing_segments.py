"""Read the `segments` list of `segments.yml`: who falls in each segment and how to remind.

Segments are tried in order, so exactly the last one has no `match` and takes every debtor the
others leave. Each segment has reminder steps by days past due, an optional pre-due nudge and
an optional hold-out; a step's contact may differ per score band.
"""

from __future__ import annotations

from typing import Any

from models_ml.policy.checks import Checker, at, show
from models_ml.policy.model import (
    CHANNELS,
    ESCALATIONS,
    HOLDOUT_ARMS,
    OPTIONAL_OFFERS,
    TEMPLATES,
    TONES,
    Contact,
    Holdout,
    PreDue,
    Segment,
    SegmentMatch,
    Step,
)

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
MATCH_DAY_KEYS = ("min_days_past_due", "max_days_past_due", "min_late_invoices")
CONTACT_KEYS = ("channel", "tone", "offers", "template")
DEFAULT_TEMPLATE = {
    "none": "reminder",
    "phone_task": "phone_task",
    "final_notice": "final_notice",
    "collection_handover": "reminder",
}


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
        required=("name", "steps"),
        optional=("description", "match", "holdout", "pre_due"),
    )
    if fields is None:
        return None

    name = checker.text(fields.get("name"), at(where, "name"), NAME, NAME_HINT)
    match = _parse_match(fields.get("match"), at(where, "match"), checker, band_names)
    holdout = None
    if "holdout" in fields:
        holdout = _parse_holdout(fields["holdout"], at(where, "holdout"), checker)
    pre_due = None
    if "pre_due" in fields and band_names:
        pre_due = _parse_pre_due(fields["pre_due"], at(where, "pre_due"), checker, band_names)
    steps = None
    if "steps" in fields and band_names:
        steps = _parse_steps(fields["steps"], at(where, "steps"), checker, band_names)

    if name is None or match is None or steps is None:
        return None
    if ("holdout" in fields and holdout is None) or ("pre_due" in fields and pre_due is None):
        return None
    return Segment(name=name, match=match, steps=steps, pre_due=pre_due, holdout=holdout)


def _parse_match(
    value: object, where: str, checker: Checker, band_names: tuple[str, ...] | None
) -> SegmentMatch | None:
    if value is None:
        return SegmentMatch()
    fields = checker.mapping(
        value,
        where,
        required=(),
        optional=(*MATCH_TEXT_KEYS, "score_band", *MATCH_AMOUNT_KEYS, *MATCH_DAY_KEYS),
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
    if "score_band" in fields:
        texts["score_bands"] = checker.texts(fields["score_band"], at(where, "score_band"))
        for index, band in enumerate(texts["score_bands"] or ()):
            checker.choice(band, f"{where}.score_band[{index}]", band_names or ())
    amounts = {
        key: checker.amount(fields[key], at(where, key))
        for key in MATCH_AMOUNT_KEYS
        if key in fields
    }
    days = {
        key: checker.integer(fields[key], at(where, key), 0)
        for key in MATCH_DAY_KEYS
        if key in fields
    }

    _check_range(amounts, "overdue_amount_base", where, checker)
    _check_range(days, "days_past_due", where, checker)
    if None in texts.values() or None in amounts.values() or None in days.values():
        return None
    return SegmentMatch(**texts, **amounts, **days)


def _check_range(values: dict[str, Any], name: str, where: str, checker: Checker) -> None:
    low, high = values.get(f"min_{name}"), values.get(f"max_{name}")
    if low is not None and high is not None and high <= low:
        checker.fail(at(where, f"max_{name}"), f"{high} must be higher than min_{name} ({low})")


def _parse_holdout(value: object, where: str, checker: Checker) -> Holdout | None:
    fields = checker.mapping(value, where, ("share",), ("arm",))
    if fields is None or "share" not in fields:
        return None
    share = checker.score(fields["share"], at(where, "share"))
    if share is not None and share >= 0.5:
        checker.fail(at(where, "share"), f"{share} leaves too few debtors in the strategy (< 0.5)")
    arm = checker.choice(fields.get("arm", "no_reminder"), at(where, "arm"), HOLDOUT_ARMS)
    return None if share is None or arm is None else Holdout(share=share, arm=arm)


def _parse_pre_due(
    value: object, where: str, checker: Checker, band_names: tuple[str, ...]
) -> PreDue | None:
    fields = checker.mapping(value, where, ("days_before_due", "bands", "channel", "tone"))
    if fields is None or "days_before_due" not in fields or "bands" not in fields:
        return None
    days = checker.integer(fields["days_before_due"], at(where, "days_before_due"), 1)
    bands = checker.texts(fields["bands"], at(where, "bands"))
    for index, band in enumerate(bands or ()):
        checker.choice(band, f"{where}.bands[{index}]", band_names)
    contact_fields = {key: fields[key] for key in ("channel", "tone") if key in fields}
    contact = parse_contact(contact_fields, where, checker, default_template="pre_due")
    if days is None or bands is None or contact is None:
        return None
    return PreDue(days_before_due=days, bands=bands, contact=contact)


def _parse_steps(
    value: object, where: str, checker: Checker, band_names: tuple[str, ...]
) -> tuple[Step, ...] | None:
    """Steps in order of days past due; the first is at least 1 (due today is not late)."""
    items = checker.sequence(value, where)
    if items is None:
        return None
    steps = [
        _parse_step(item, f"{where}[{index}]", index + 1, checker, band_names)
        for index, item in enumerate(items)
    ]
    checked = [step for step in steps if step is not None]
    for index in range(1, len(checked)):
        if checked[index].days_past_due <= checked[index - 1].days_past_due:
            checker.fail(
                f"{where}[{index}].days_past_due",
                f"{checked[index].days_past_due} must be later than the step before "
                f"({checked[index - 1].days_past_due})",
            )
    handovers = [step.level for step in checked if step.escalation == "collection_handover"]
    if handovers and handovers[0] != len(items):
        checker.fail(f"{where}[{handovers[0] - 1}]", "a collection hand-over must be the last step")
    return None if len(checked) < len(steps) else tuple(checked)


def _parse_step(
    value: object, where: str, level: int, checker: Checker, band_names: tuple[str, ...]
) -> Step | None:
    fields = checker.mapping(
        value, where, ("days_past_due",), (*CONTACT_KEYS, "escalation", "by_band")
    )
    if fields is None or "days_past_due" not in fields:
        return None
    days = checker.integer(fields["days_past_due"], at(where, "days_past_due"), 1)
    escalation = checker.choice(
        fields.get("escalation", "none"), at(where, "escalation"), ESCALATIONS
    )
    if escalation is None or days is None:
        return None

    if escalation == "collection_handover":
        for key in (*CONTACT_KEYS, "by_band"):
            if key in fields:
                checker.fail(at(where, key), "a collection hand-over sends no message")
        return Step(level=level, days_past_due=days, escalation=escalation, contact=None)

    template = DEFAULT_TEMPLATE[escalation]
    contact_fields = {key: fields[key] for key in CONTACT_KEYS if key in fields}
    contact = parse_contact(contact_fields, where, checker, default_template=template)
    by_band: dict[str, Contact | None] = {}
    bands = fields.get("by_band") or {}
    if checker.mapping(bands, at(where, "by_band"), (), band_names) is None:
        return None
    broken = contact is None
    for band, override in bands.items():
        band_where = at(where, f"by_band.{band}")
        if band not in band_names:
            continue
        if override == "skip":
            by_band[band] = None
        elif isinstance(override, dict):
            merged = {**contact_fields, **override}
            by_band[band] = parse_contact(merged, band_where, checker, default_template=template)
            broken = broken or by_band[band] is None
        else:
            checker.fail(band_where, f"expected a mapping or skip, got {show(override)}")
            broken = True
    options = [("", contact), *((f"by_band.{band}", c) for band, c in by_band.items())]
    for name, option in options:
        if escalation == "phone_task" and option is not None and option.channels != ("phone",):
            checker.fail(at(where, name) if name else where, "a phone task needs channel: phone")
    if broken:
        return None
    return Step(level, days, escalation, contact, by_band)


def parse_contact(
    value: object,
    where: str,
    checker: Checker,
    default_template: str = "reminder",
    template: bool = True,
) -> Contact | None:
    """Channel(s), tone(s), optional offers and template of one kind of message."""
    keys = CONTACT_KEYS if template else ("channel", "tone")
    fields = checker.mapping(value, where, ("channel", "tone"), keys)
    if fields is None or "channel" not in fields or "tone" not in fields:
        return None
    channels = _choices(fields["channel"], at(where, "channel"), CHANNELS, checker)
    tones = _choices(fields["tone"], at(where, "tone"), TONES, checker)
    offers: tuple[str, ...] | None = ()
    if "offers" in fields:
        offers = _choices(fields["offers"], at(where, "offers"), OPTIONAL_OFFERS, checker)
    chosen = checker.choice(
        fields.get("template", default_template), at(where, "template"), TEMPLATES
    )
    if channels is None or tones is None or offers is None or chosen is None:
        return None
    return Contact(channels=channels, tones=tones, offers=offers, template=chosen)


def _choices(
    value: object, where: str, allowed: tuple[str, ...], checker: Checker
) -> tuple[str, ...] | None:
    """One allowed value or a list of them, without repeats."""
    if isinstance(value, str):
        picked = checker.choice(value, where, allowed)
        return None if picked is None else (picked,)
    if not isinstance(value, list) or not value:
        checker.fail(where, f"expected one of {', '.join(allowed)} or a list, got {show(value)}")
        return None
    picked = [checker.choice(item, f"{where}[{i}]", allowed) for i, item in enumerate(value)]
    if None in picked:
        return None
    if len(set(picked)) < len(picked):
        checker.fail(where, "lists a value twice")
        return None
    return tuple(str(item) for item in picked)
