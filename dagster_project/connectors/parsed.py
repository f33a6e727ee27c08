"""What every file parser returns: rows per raw table, rejected records, and warnings.

Parsers are pure functions of a file's bytes. They raise `ParseError` when the file as a whole
cannot be read (the loader then quarantines the file), put a record they must refuse (a bad
signature) in `rejected`, and note anything a reader should know (a statement that does not tie
out, a reference whose check digit fails) in `warnings`.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

# ISO 4217 currencies whose minor unit is not 1/100 (PSPs send amounts in minor units).
CURRENCY_EXPONENTS = {
    **dict.fromkeys(
        (
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}


# An amount as XML (xs:decimal) and the PSPs' APIs write it: a sign, ASCII digits and at most
# one decimal point. Python's Decimal would also read "1,000" (after a comma swap), "1e3",
# "1_000" and other scripts' digits; each of those is a guess, so they are refused.
PLAIN_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
# A date as XML writes it (xs:date, with an optional time zone), or a date-time whose date is
# taken as written; nothing else may follow the date.
ZONE = r"(Z|[+-][0-9]{2}:[0-9]{2})"
ISO_DATE = re.compile(rf"([0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})({ZONE}|T[0-9]{{2}}:[0-9:.]*{ZONE}?)?")


class ParseError(ValueError):
    """A file that cannot be read at all; the message names the file and the problem."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


@dataclass(frozen=True)
class Row:
    """One record for a raw table; `source_row` is its line in the file (or its position)."""

    table: str
    source_row: int
    values: dict[str, object]


@dataclass(frozen=True)
class Rejected:
    """A record refused by the parser, kept for the quarantine with the reason."""

    table: str
    source_row: int | None
    reason: str
    record: dict[str, object] | None = None


@dataclass
class ParseResult:
    rows: list[Row] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def table(self, name: str) -> list[dict[str, object]]:
        """The values of the rows for one table, in file order (handy in tests)."""
        return [row.values for row in self.rows if row.table == name]

    def extend(self, other: ParseResult) -> None:
        self.rows.extend(other.rows)
        self.rejected.extend(other.rejected)
        self.warnings.extend(other.warnings)


def decimal_amount(value: object, source: str, what: str) -> Decimal:
    """An exact Decimal from plain decimal text, an int or a Decimal; never through float."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        # A float has already lost exactness; JSON parsers here read numbers as Decimal.
        raise ParseError(source, f"{what} {value!r} is not an exact amount")
    if isinstance(value, int | Decimal):
        amount = Decimal(value)
    elif PLAIN_DECIMAL.fullmatch(str(value).strip()):
        amount = Decimal(str(value).strip())
    else:
        raise ParseError(source, f"{what} {value!r} is not a number (digits, one decimal point)")
    if not amount.is_finite():
        raise ParseError(source, f"{what} {value!r} is not a finite amount")
    return amount


def minor_units(value: object, currency: str, source: str) -> Decimal:
    """An amount sent in minor units (cents) as a Decimal in major units of its currency."""
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise ParseError(source, f"amount {value!r} is not a whole number of minor units")
    units = decimal_amount(value, source, "amount")
    if units != units.to_integral_value():
        raise ParseError(source, f"amount {value!r} is not a whole number of minor units")
    return units.scaleb(-CURRENCY_EXPONENTS.get(currency.upper(), 2))


def utc_timestamp(value: str, source: str, local_zone: str | None = None) -> datetime:
    """An ISO timestamp as naive UTC; a timestamp without offset is read in `local_zone`."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise ParseError(source, f"timestamp {value!r} is not an ISO date and time") from None
    if moment.tzinfo is None:
        if local_zone is None:
            raise ParseError(source, f"timestamp {value!r} has no time zone")
        moment = moment.replace(tzinfo=ZoneInfo(local_zone))
    return moment.astimezone(UTC).replace(tzinfo=None)


def epoch_timestamp(value: object, source: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParseError(source, f"timestamp {value!r} is not a Unix time in seconds")
    try:
        return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        raise ParseError(source, f"timestamp {value!r} is out of range") from None


def iso_date(value: str, source: str) -> date:
    """The date of an xs:date or a date-time, as written (a time zone does not move it)."""
    found = ISO_DATE.fullmatch(value.strip()) if isinstance(value, str) else None
    if found:
        with suppress(ValueError):  # a 13th month or a 30 February falls through
            return date.fromisoformat(found.group(1))
    raise ParseError(source, f"date {value!r} is not an ISO date")
