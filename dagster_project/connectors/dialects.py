"""How each source writes its CSV files: delimiter, decimals, encoding, date format.

Real ERP exports are rarely in the canonical format (comma, dot decimals, UTF-8, ISO dates).
The way a source writes is set per landing folder in `data/config/sources.yml` (or the file in
`CM_SOURCES_FILE`), never guessed: a file that does not parse under its folder's settings is
quarantined with the reason. A folder without settings uses the canonical format.

    csv:
      erp/NL01:                 # a landing folder; the longest matching folder wins
        delimiter: ";"          # ",", ";" or "tab"
        decimal_separator: ","  # "." or ","
        thousands_separator: "." # none (default), ".", ",", " " or "'"
        encoding: windows-1252  # utf-8 (a BOM is fine), windows-1252 or utf-16
        date_format: "%d-%m-%Y" # strptime format of DATE columns (default ISO)
        timestamp_format: "%d-%m-%Y %H:%M:%S"  # of TIMESTAMP columns (default ISO)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

import yaml

from dagster_project.settings import REPO_ROOT

DEFAULT_SOURCES_FILE = REPO_ROOT / "data" / "config" / "sources.yml"
DELIMITERS = {",": ",", ";": ";", "tab": "\t", "\t": "\t"}
DECIMAL_SEPARATORS = (".", ",")
THOUSANDS_SEPARATORS = (None, ".", ",", " ", "'")
# The names a config may use, and the Python codec each one means.
ENCODINGS = {
    "utf-8": "utf-8-sig",
    "utf-8-sig": "utf-8-sig",
    "windows-1252": "cp1252",
    "cp1252": "cp1252",
    "utf-16": "utf-16",
}
KEYS = {
    "delimiter",
    "decimal_separator",
    "thousands_separator",
    "encoding",
    "date_format",
    "timestamp_format",
}


class SourceConfigError(ValueError):
    """The sources file is wrong; the message names the file, the folder and the setting."""


@dataclass(frozen=True)
class CsvDialect:
    """How one source writes CSV. The defaults are the canonical landing format."""

    delimiter: str = ","
    decimal_separator: str = "."
    thousands_separator: str | None = None
    encoding: str = "utf-8"
    date_format: str | None = None
    timestamp_format: str | None = None

    @property
    def codec(self) -> str:
        return ENCODINGS[self.encoding]

    @property
    def is_utf8(self) -> bool:
        return self.codec == "utf-8-sig"

    @property
    def has_number_format(self) -> bool:
        return self.decimal_separator != "." or self.thousands_separator is not None

    def describe_numbers(self) -> str:
        thousands = self.thousands_separator or "none"
        return f"decimal {self.decimal_separator!r}, thousands {thousands!r}"


CANONICAL = CsvDialect()


@dataclass(frozen=True)
class SourceDialects:
    """The dialect of every configured landing folder."""

    folders: dict[str, CsvDialect]

    def for_file(self, source_file: str) -> CsvDialect:
        """The dialect of a file (path relative to the landing folder): longest folder wins."""
        parents = {parent.as_posix() for parent in PurePosixPath(source_file).parents}
        matches = [folder for folder in self.folders if folder in parents]
        return self.folders[max(matches, key=len)] if matches else CANONICAL


def _check_format(where: str, key: str, value: object, needs: tuple[str, ...]) -> str:
    if not isinstance(value, str) or not all(part in value for part in needs):
        raise SourceConfigError(f"{where}: {key} {value!r} must be a strptime format with {needs}")
    try:
        datetime.strptime(datetime(2024, 12, 31, 23, 59, 58).strftime(value), value)
    except ValueError as error:
        raise SourceConfigError(f"{where}: {key} {value!r} is not usable: {error}") from None
    return value


def _dialect(where: str, settings: object) -> CsvDialect:
    """One folder's settings, validated; every problem names the file and the folder."""
    if not isinstance(settings, dict):
        raise SourceConfigError(f"{where}: expected a mapping of settings, got {settings!r}")
    unknown = sorted(set(settings) - KEYS)
    if unknown:
        raise SourceConfigError(f"{where}: unknown setting(s) {unknown}; known: {sorted(KEYS)}")

    delimiter = settings.get("delimiter", ",")
    if delimiter not in DELIMITERS:
        raise SourceConfigError(f"{where}: delimiter {delimiter!r} is not one of ',', ';', tab")
    decimal = settings.get("decimal_separator", ".")
    if decimal not in DECIMAL_SEPARATORS:
        raise SourceConfigError(f"{where}: decimal_separator {decimal!r} is not '.' or ','")
    thousands = settings.get("thousands_separator")
    if thousands not in THOUSANDS_SEPARATORS or thousands == decimal:
        raise SourceConfigError(
            f"{where}: thousands_separator {thousands!r} must be one of "
            f"{THOUSANDS_SEPARATORS} and differ from the decimal separator"
        )
    if thousands is not None and thousands == DELIMITERS[delimiter]:
        raise SourceConfigError(f"{where}: thousands_separator equals the delimiter")
    if decimal == DELIMITERS[delimiter]:
        raise SourceConfigError(f"{where}: decimal_separator equals the delimiter")
    encoding = str(settings.get("encoding", "utf-8")).lower()
    if encoding not in ENCODINGS:
        raise SourceConfigError(f"{where}: encoding {encoding!r} is not one of {list(ENCODINGS)}")

    date_format = settings.get("date_format")
    timestamp_format = settings.get("timestamp_format")
    return CsvDialect(
        delimiter=DELIMITERS[delimiter],
        decimal_separator=decimal,
        thousands_separator=thousands,
        encoding=encoding,
        date_format=None
        if date_format is None
        else _check_format(where, "date_format", date_format, ("%d", "%m", "%Y")),
        timestamp_format=None
        if timestamp_format is None
        else _check_format(where, "timestamp_format", timestamp_format, ("%d", "%m", "%Y", "%H")),
    )


def read_dialects(path: Path | None = None) -> SourceDialects:
    """The dialects in the sources file; no file means every source is canonical."""
    path = path or Path(os.environ.get("CM_SOURCES_FILE") or DEFAULT_SOURCES_FILE)
    if not path.is_absolute():
        path = REPO_ROOT / path
    if not path.exists():
        return SourceDialects({})
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise SourceConfigError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(document, dict) or set(document) - {"csv"}:
        raise SourceConfigError(f"{path}: expected one top-level key 'csv'")
    folders = document.get("csv") or {}
    if not isinstance(folders, dict):
        raise SourceConfigError(f"{path}: 'csv' must map landing folders to settings")
    return SourceDialects(
        {
            str(folder).strip("/"): _dialect(f"{path}: csv.{folder}", settings)
            for folder, settings in folders.items()
        }
    )
