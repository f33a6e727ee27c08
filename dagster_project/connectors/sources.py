"""Which parser reads which landing file, and the one call an ingest asset makes per source.

Landing folders (see docs/landing.md):
- `bank/<entity_id>/*.xml` camt.05x; `bank/<entity_id>/*.{sta,940,942,mt940,txt}` MT940/MT942
- `psp/<provider>/<entity_id>/*` native notifications (JSON, or a Buckaroo form post `.txt`)
- `erp/<entity_id>/xaf/*.{xaf,xml}` XAF 3.2 auditfiles; `erp/<entity_id>/ubl/*.xml` UBL 2.1

The entity comes from the folder, the PSP received time from the file's modification time
(the webhook receiver writes one file per delivery).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import duckdb

from dagster_project.connectors.bank.camt import parse_camt
from dagster_project.connectors.bank.mt94x import parse_mt94x
from dagster_project.connectors.erp.ubl import parse_ubl
from dagster_project.connectors.erp.xaf import parse_xaf
from dagster_project.connectors.landing import FileLoad
from dagster_project.connectors.loader import Parser, ensure_tables, load_parsed_file
from dagster_project.connectors.psp import adyen, buckaroo, mollie, stripe
from dagster_project.contract import (
    ALLOCATIONS,
    BANK_TABLES,
    CUSTOMERS,
    DOCUMENTS,
    PSP_EVENTS,
    TableSpec,
)

MT94X_SUFFIXES = (".sta", ".940", ".942", ".mt940", ".txt")


@dataclass(frozen=True)
class Source:
    """A kind of landing file: where it lives, how it is parsed, which tables it feeds."""

    name: str
    globs: tuple[str, ...]
    tables: tuple[TableSpec, ...]
    parser: Callable[[Path], Parser]


def _psp_parser(path: Path) -> Parser:
    """The parser for one PSP file; the keys come from the environment, never the repo."""
    provider = path.parent.parent.name
    if provider == "buckaroo" and path.suffix == ".json":
        return buckaroo.parse_json_push
    if provider == "buckaroo":
        return partial(buckaroo.parse_form, secret=os.environ.get("CM_BUCKAROO_SECRET_KEY", ""))
    if provider == "adyen":
        return partial(adyen.parse_adyen, hmac_key=os.environ.get("CM_ADYEN_HMAC_KEY", ""))
    if provider == "mollie":
        return mollie.parse_mollie
    if provider == "stripe":
        return stripe.parse_stripe
    raise ValueError(f"no parser for PSP {provider!r} ({path})")


def _bank_parser(path: Path) -> Parser:
    return parse_camt if path.suffix.lower() == ".xml" else parse_mt94x


BANK = Source(
    "bank",
    ("bank/*/*.xml", *(f"bank/*/*{suffix}" for suffix in MT94X_SUFFIXES)),
    BANK_TABLES,
    _bank_parser,
)
PSP = Source(
    "psp",
    tuple(f"psp/{provider}/*/*" for provider in ("buckaroo", "mollie", "adyen", "stripe")),
    (PSP_EVENTS,),
    _psp_parser,
)
XAF = Source(
    "xaf",
    ("erp/*/xaf/*.xaf", "erp/*/xaf/*.xml"),
    (CUSTOMERS, DOCUMENTS, ALLOCATIONS),
    lambda path: parse_xaf,
)
UBL = Source("ubl", ("erp/*/ubl/*.xml",), (DOCUMENTS, CUSTOMERS), lambda path: parse_ubl)
SOURCES = (BANK, PSP, XAF, UBL)


def _constants(source: Source, path: Path) -> dict[str, str]:
    folder = path.parent.parent if source in (XAF, UBL) else path.parent
    constants = {"entity_id": folder.name}
    if source is PSP:
        received = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
        constants["received_at"] = received.isoformat(sep=" ")
    return constants


def landing_files(source: Source, landing_dir: Path) -> list[Path]:
    found = {path for pattern in source.globs for path in landing_dir.glob(pattern)}
    return sorted(path for path in found if path.is_file())


def load_source(
    con: duckdb.DuckDBPyConnection, source: Source, landing_dir: Path
) -> list[FileLoad]:
    """Load every new file of one source, in name order; one FileLoad per file and table."""
    ensure_tables(con, source.tables)
    loads: list[FileLoad] = []
    for path in landing_files(source, landing_dir):
        parse = source.parser(path)
        loads += load_parsed_file(
            con, path, landing_dir, parse, source.tables, _constants(source, path)
        )
    return loads
