"""Load `segments.yml`, the reminder policy that credit managers edit, and validate it.

A mistake in a hand-edited file must come back as a message that names the file and the exact
key (`segments[2].strategy.low.channel`), not as a stack trace from the decision SQL, so
`load_segments` either returns a complete, consistent `SegmentsConfig` or raises
`SegmentsConfigError` listing every problem it found at once.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from models_ml.policy.checks import Checker, UniqueKeyLoader
from models_ml.policy.model import SegmentsConfig
from models_ml.policy.parsing import parse_config


class SegmentsConfigError(ValueError):
    """The segments file is missing, not YAML, or breaks a rule; one line per problem."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}: {problem}" for problem in problems))


def load_segments(path: Path) -> SegmentsConfig:
    """Read and validate a segments file; raise SegmentsConfigError naming every bad key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SegmentsConfigError(path, [f"cannot read the file ({error.strerror})"]) from error

    try:
        document = yaml.load(text, Loader=UniqueKeyLoader)
    except yaml.YAMLError as error:
        raise SegmentsConfigError(path, [f"not valid YAML: {error}"]) from error

    checker = Checker()
    config = parse_config(document, checker, path.parent)
    if checker.problems or config is None:
        raise SegmentsConfigError(path, checker.problems or ["the file is empty"])
    return config
