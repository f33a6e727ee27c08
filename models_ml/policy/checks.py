"""Small type checks for hand-written YAML that record a problem with its key path.

Each check returns the value in the expected type, or None after recording why it is not;
the caller keeps going so one run reports every mistake in the file, not just the first.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from decimal import Decimal
from typing import Any

import yaml

# An amount as a credit manager should write it: digits, and a dot before at most 2 decimals.
AMOUNT_TEXT = re.compile(r"\d+(\.\d{1,2})?")
# What an amount with a thousands separator looks like: 25.000, 1,500, 1.250.000,00.
THOUSANDS_TEXT = re.compile(r"[1-9]\d{0,2}([.,]\d{3})+([.,]\d{1,2})?")


class YamlFloat(float):
    """A YAML float that remembers how it was written: `25.000` reads as 25.0, but an amount
    written like that is more likely twenty-five thousand, and only the text tells."""

    source: str


class YamlInt(int):
    """A YAML integer that remembers how it was written (`1_000`, `0x10`, `1:30` are ints)."""

    source: str


class UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that rejects a key written twice in one mapping instead of keeping the
    last one, which would silently drop half of a credit manager's edit, and keeps the
    source text of numbers so that amounts can be checked as written."""

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        number = YamlFloat(super().construct_yaml_float(node))
        number.source = str(node.value)
        return number

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        number = YamlInt(super().construct_yaml_int(node))
        number.source = str(node.value)
        return number

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"found the key '{key}' twice",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


UniqueKeyLoader.add_constructor("tag:yaml.org,2002:float", UniqueKeyLoader.construct_yaml_float)
UniqueKeyLoader.add_constructor("tag:yaml.org,2002:int", UniqueKeyLoader.construct_yaml_int)


def at(where: str, key: str) -> str:
    """The path of a key inside a mapping: `segments[0]` + `match` -> `segments[0].match`."""
    return f"{where}.{key}" if where else key


def show(value: object) -> str:
    """A value as it should appear in a message: quoted text, YAML-ish null."""
    if value is None:
        return "nothing"
    if isinstance(value, YamlFloat | YamlInt):
        return value.source
    return repr(value) if isinstance(value, str) else str(value)


class Checker:
    """Collects problems as `path: message` lines while a document is being read."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where or 'top level'}: {message}")

    def mapping(
        self, value: object, where: str, required: Sequence[str], optional: Sequence[str] = ()
    ) -> dict[str, Any] | None:
        """A mapping with only the known keys; missing required keys are reported."""
        if not isinstance(value, dict):
            self.fail(where, f"expected a mapping of keys, got {show(value)}")
            return None
        known = [*required, *optional]
        for key in value:
            if key not in known:
                self.fail(at(where, str(key)), f"unknown key; expected one of {', '.join(known)}")
        for key in required:
            if key not in value:
                self.fail(where, f"missing the required key '{key}'")
        return value

    def sequence(self, value: object, where: str) -> list[Any] | None:
        if not isinstance(value, list) or not value:
            self.fail(where, f"expected a non-empty list, got {show(value)}")
            return None
        return value

    def text(
        self, value: object, where: str, pattern: str = r"\S.*", hint: str = "some text"
    ) -> str | None:
        """Text matching a pattern; `hint` says in words what the pattern wants."""
        if not isinstance(value, str) or not re.fullmatch(pattern, value):
            self.fail(where, f"expected {hint}, got {show(value)}")
            return None
        return value

    def choice(self, value: object, where: str, allowed: Sequence[str]) -> str | None:
        if value not in allowed:
            self.fail(where, f"{show(value)} is not one of {', '.join(allowed)}")
            return None
        return str(value)

    def texts(self, value: object, where: str) -> tuple[str, ...] | None:
        """One text or a list of texts, as a tuple."""
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            self.fail(where, f"expected a text or a non-empty list of texts, got {show(value)}")
            return None
        checked = [self.text(item, f"{where}[{index}]") for index, item in enumerate(items)]
        return None if None in checked else tuple(str(item) for item in checked)

    def integer(self, value: object, where: str, minimum: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(where, f"expected a whole number >= {minimum}, got {show(value)}")
            return None
        return int(value)

    def score(self, value: object, where: str) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            self.fail(where, f"expected a score between 0 and 1, got {show(value)}")
            return None
        return float(value)

    def amount(self, value: object, where: str) -> Decimal | None:
        """A money amount >= 0 as written in the file: digits and at most 2 decimals after a
        dot. `25.000` or `1,500` are refused rather than guessed: YAML reads `25.000` as 25,
        while a credit manager who writes it may mean twenty-five thousand."""
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.fail(where, f"expected an amount like 2500 or 0.50, got {show(value)}")
            return None
        text = value.source if isinstance(value, YamlFloat | YamlInt) else str(value).strip()
        if THOUSANDS_TEXT.fullmatch(text) and not AMOUNT_TEXT.fullmatch(text):
            self.fail(
                where,
                f"{show(value)} looks like an amount with a thousands separator; write it "
                "without one (25000, not 25.000 or 25,000) and use a dot only before at most "
                "2 decimals (25.50)",
            )
            return None
        if not AMOUNT_TEXT.fullmatch(text):
            self.fail(
                where,
                f"expected an amount >= 0 with a dot before at most 2 decimals, like 2500 or "
                f"0.50, got {show(value)}",
            )
            return None
        return Decimal(text)

    def unique(self, names: list[str | None], where: str) -> None:
        """Report a name used by two items of a list (unreadable items are None, skipped)."""
        for index, name in enumerate(names):
            if name is not None and name in names[:index]:
                self.fail(f"{where}[{index}].name", f"'{name}' is used twice")
