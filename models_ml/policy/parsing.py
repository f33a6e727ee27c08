"""Turn the YAML document of `segments.yml` into a `SegmentsConfig`, one section at a time.

The segments themselves are read in `parsing_segments.py`. Every parser records problems on
the shared `Checker` with the key path and returns None for what it could not read, so later
sections are still checked and a credit manager sees all mistakes in one go.
"""

from __future__ import annotations

from pathlib import Path

from models_ml.policy.checks import Checker, at, show
from models_ml.policy.model import CHANNELS, ScoreBand, SegmentsConfig
from models_ml.policy.parsing_rules import (
    parse_channels,
    parse_contact_rules,
    parse_offer_rules,
)
from models_ml.policy.parsing_segments import (
    COUNTRY,
    COUNTRY_HINT,
    NAME,
    NAME_HINT,
    parse_contact,
    parse_segments,
)

VERSION = 2
STANDARD = {"channel": "email", "tone": "neutral"}

LANGUAGE, LANGUAGE_HINT = r"[a-z]{2,3}", "a lower-case language code like nl"

DEFAULT_LANGUAGE = "en"
DEFAULT_LANGUAGE_BY_COUNTRY = {
    "NL": "nl",
    "BE": "nl",
    "DE": "de",
    "CZ": "cs",
    "AT": "de",
    "FR": "fr",
}
DEFAULT_CHANNEL_FALLBACK: dict[str, tuple[str, ...]] = {
    "email": ("letter",),
    "sms": ("email", "letter"),
    "whatsapp": ("sms", "email", "letter"),
    "phone": ("email", "letter"),
    "letter": (),
}


def parse_config(document: object, checker: Checker, folder: Path) -> SegmentsConfig | None:
    """The whole file; None when anything is wrong (the checker says what).

    `folder` is where the segments file lives: the holidays file is named relative to it.
    """
    if document is None:
        return None
    root = checker.mapping(
        document,
        "",
        required=("version", "score_bands", "unscored_band", "segments"),
        optional=(
            "languages",
            "channel_fallback",
            "contact_rules",
            "offers",
            "channels",
            "standard",
            "experiment_seed",
        ),
    )
    if root is None:
        return None
    if "version" in root and root["version"] != VERSION:
        checker.fail("version", f"{show(root['version'])} is not the supported version ({VERSION})")

    bands = _parse_bands(root["score_bands"], checker) if "score_bands" in root else None
    band_names = tuple(band.name for band in bands) if bands else None
    unscored = None
    if band_names and "unscored_band" in root:
        unscored = checker.choice(root["unscored_band"], "unscored_band", band_names)
    default_language, by_country = _parse_languages(root.get("languages"), checker)
    fallback = _parse_fallback(root.get("channel_fallback"), checker)
    rules = parse_contact_rules(root.get("contact_rules"), checker, folder)
    offers = parse_offer_rules(root.get("offers"), checker)
    channels = parse_channels(root.get("channels"), checker)
    standard = parse_contact(root.get("standard", STANDARD), "standard", checker, template=False)
    seed = checker.text(str(root.get("experiment_seed", "1")), "experiment_seed")
    segments = parse_segments(root["segments"], checker, band_names) if "segments" in root else None

    parts = (bands, unscored, default_language, fallback, rules, offers, channels, standard, seed)
    if checker.problems or None in (*parts, segments):
        return None
    return SegmentsConfig(
        score_bands=bands,
        unscored_band=unscored,
        default_language=default_language,
        language_by_country=by_country,
        channel_fallback=fallback,
        segments=segments,
        contact_rules=rules,
        offer_rules=offers,
        channels=channels,
        standard=standard,
        experiment_seed=seed,
    )


def _parse_bands(value: object, checker: Checker) -> tuple[ScoreBand, ...] | None:
    """Bands from the highest score to the lowest; the last one starts at 0."""
    items = checker.sequence(value, "score_bands")
    if items is None:
        return None

    bands = [
        _parse_band(item, f"score_bands[{index}]", checker) for index, item in enumerate(items)
    ]
    checker.unique([band.name if band else None for band in bands], "score_bands")
    checked = [band for band in bands if band is not None]
    if len(checked) < len(bands):
        return None

    for index in range(1, len(checked)):
        above, band = checked[index - 1], checked[index]
        if band.min_score >= above.min_score:
            checker.fail(
                f"score_bands[{index}].min_score",
                f"{band.min_score} must be lower than score_bands[{index - 1}].min_score "
                f"({above.min_score}); list the bands from the highest score to the lowest",
            )
    if checked[-1].min_score != 0:
        checker.fail(
            f"score_bands[{len(checked) - 1}].min_score",
            "the last band must start at 0 so that every score falls in a band",
        )
    return tuple(checked)


def _parse_band(value: object, where: str, checker: Checker) -> ScoreBand | None:
    fields = checker.mapping(value, where, required=("name", "min_score"))
    if fields is None or "name" not in fields or "min_score" not in fields:
        return None
    name = checker.text(fields["name"], at(where, "name"), NAME, NAME_HINT)
    score = checker.score(fields["min_score"], at(where, "min_score"))
    return None if name is None or score is None else ScoreBand(name=name, min_score=score)


def _parse_languages(value: object, checker: Checker) -> tuple[str | None, dict[str, str]]:
    """The language used when a customer has none: by the customer's country, else default."""
    if value is None:
        return DEFAULT_LANGUAGE, dict(DEFAULT_LANGUAGE_BY_COUNTRY)
    fields = checker.mapping(value, "languages", required=(), optional=("default", "by_country"))
    if fields is None:
        return None, {}

    default = checker.text(
        fields.get("default", DEFAULT_LANGUAGE), "languages.default", LANGUAGE, LANGUAGE_HINT
    )
    by_country = fields.get("by_country", DEFAULT_LANGUAGE_BY_COUNTRY)
    if not isinstance(by_country, dict):
        checker.fail("languages.by_country", f"expected a mapping, got {show(by_country)}")
        return default, {}
    for country, language in by_country.items():
        where = at("languages.by_country", str(country))
        checker.text(country, where, COUNTRY, COUNTRY_HINT)
        checker.text(language, where, LANGUAGE, LANGUAGE_HINT)
    return default, {str(country): str(language) for country, language in by_country.items()}


def _parse_fallback(value: object, checker: Checker) -> dict[str, tuple[str, ...]] | None:
    """Channels to try, in order, when the customer lacks the contact detail for the first.

    When the section is present it is complete: a channel it leaves out has no fallback.
    """
    if value is None:
        return dict(DEFAULT_CHANNEL_FALLBACK)
    fields = checker.mapping(value, "channel_fallback", required=(), optional=CHANNELS)
    if fields is None:
        return None

    fallback: dict[str, tuple[str, ...]] = dict.fromkeys(CHANNELS, ())
    for channel, alternatives in fields.items():
        where = at("channel_fallback", str(channel))
        if channel not in CHANNELS:
            continue
        if not isinstance(alternatives, list):
            checker.fail(where, f"expected a list of channels, got {show(alternatives)}")
            continue
        for index, alternative in enumerate(alternatives):
            item = f"{where}[{index}]"
            if checker.choice(alternative, item, CHANNELS) and alternative == channel:
                checker.fail(item, f"'{channel}' cannot fall back to itself")
        if len(set(alternatives)) < len(alternatives):
            checker.fail(where, "lists a channel twice")
        fallback[channel] = tuple(alternatives)
    return fallback
