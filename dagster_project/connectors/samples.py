"""Put every in-scope public sample (../shared/samples) into a landing folder and load it.

In scope are the files a connector reads: CAMT and MT940/MT942 statements, Buckaroo, Mollie,
Adyen and Stripe notifications, XAF auditfiles, UBL invoices, and the IBM accounts-receivable
CSV (mapped to the canonical landing CSVs by `ibm_sample`). Left out: the parser output that
genkgo/camt expects (`camt053.v2.minimal.json`), licences and READMEs, and the SEPA folder
(outgoing pain.008 collections and an EPC QR image: nothing the stack reads).

Files are copied, never changed, under one entity (`SAMPLES`), named after their source folder
so that two sources' `sample.txt` cannot collide. Loading runs the same loaders, in the same
order, as the ingest asset. The signature keys are the public test keys that the samples'
README gives; they are set only while the samples load.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from dagster_project.connectors.dialects import SourceDialects
from dagster_project.connectors.ibm_sample import write_ibm_landing
from dagster_project.connectors.landing import FileLoad, load_table
from dagster_project.connectors.sources import MT94X_SUFFIXES, SOURCES, load_source
from dagster_project.contract import TABLES
from dagster_project.settings import REPO_ROOT

SAMPLES_DIR = REPO_ROOT.parent / "shared" / "samples"
ENTITY = "SAMPLES"
# Published with the fixtures (see the samples' README); not secrets of any real account.
SAMPLE_KEYS = {
    "CM_BUCKAROO_SECRET_KEY": "7C222FB2927D828AF22F592134E8932480637C0D",
    "CM_ADYEN_HMAC_KEY": "74F490DD33F7327BAECC88B2947C011FC02D014A473AAA33A8EC93E4DC069174",
}
PSP_PROVIDERS = ("buckaroo", "mollie", "adyen", "stripe")
SKIPPED_NAMES = ("LICENSE", "README", "COPYRIGHT")


def sample_files(folder: Path, *suffixes: str) -> list[Path]:
    """Every sample file under a folder (licences and READMEs left out), in name order."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not path.name.upper().startswith(SKIPPED_NAMES)
        and (not suffixes or path.suffix in suffixes)
    )


def _copy(path: Path, folder: Path, suffix: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    name = (
        f"{path.parent.name}-{path.stem}{suffix}" if suffix else f"{path.parent.name}-{path.name}"
    )
    shutil.copy(path, folder / name)


def stage_samples(landing_dir: Path, samples_dir: Path = SAMPLES_DIR) -> None:
    """Copy the in-scope samples into `landing_dir` in the landing layout (docs/landing.md)."""
    bank = landing_dir / "bank" / ENTITY
    for path in sample_files(samples_dir / "bank" / "camt", ".xml"):
        _copy(path, bank)
    for path in sample_files(samples_dir / "bank" / "mt940"):
        # Some MT940 samples have no suffix or a bank's own: the landing folder wants one of its.
        _copy(path, bank, path.suffix if path.suffix in MT94X_SUFFIXES else ".sta")
    for provider in PSP_PROVIDERS:
        for path in sample_files(samples_dir / "psp" / provider, ".json", ".txt"):
            _copy(path, landing_dir / "psp" / provider / ENTITY)
    for path in sample_files(samples_dir / "erp" / "xaf", ".xml", ".xaf"):
        _copy(path, landing_dir / "erp" / ENTITY / "xaf")
    for path in sample_files(samples_dir / "erp" / "ubl", ".xml"):
        _copy(path, landing_dir / "erp" / ENTITY / "ubl")
    write_ibm_landing(samples_dir / "ar" / "ibm_accounts_receivable.csv", landing_dir)


@contextmanager
def sample_keys() -> Iterator[None]:
    """The samples' signature keys in the environment, and the previous values back after."""
    previous = {name: os.environ.get(name) for name in SAMPLE_KEYS}
    os.environ.update(SAMPLE_KEYS)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def load_landing(con: duckdb.DuckDBPyConnection, landing_dir: Path) -> list[FileLoad]:
    """Every landing file through the ingest asset's loaders: canonical CSVs, then parsed files.

    The CSVs are read as canonical (the IBM mapping writes them so), whatever sources.yml says.
    """
    loads: list[FileLoad] = []
    with sample_keys():
        for table in TABLES:
            loads += load_table(con, table, landing_dir, SourceDialects({}))
        for source in SOURCES:
            loads += load_source(con, source, landing_dir)
    return loads
