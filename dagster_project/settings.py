"""One place for configuration: environment variables with sane defaults.

dbt's profiles.yml, the Dagster resources, the ML code and the dashboard all read their paths
and options from here, so switching the data folder (demo group, IBM sample, a real group)
is one variable: CM_DATA_DIR.

CM_RETRAIN_DAYS sets how often the payment model is trained: a run keeps the model that scores
its as-of date when that model learnt from data up to fewer than this many days before it
(default 7, a week; 0 trains on every run). A credit team's payment behaviour does not change
from one day to the next, and training is most of a daily run's time at group scale.
CM_TRAIN_MAX_INVOICES (default 200,000; 0 = no limit): above it, training learns from a sample
of debtors that holds about that many invoices (docs/decisions.md D49).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
GROUP_TIME_ZONE = "Europe/Amsterdam"


def _path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    if not value:
        return default
    path = Path(value)
    return path if path.is_absolute() else REPO_ROOT / path


def _flag(name: str) -> bool:
    """A yes/no environment variable; anything but true/false (1/0, yes/no) is an error."""
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "false", "0", "no"):
        return False
    if value in ("true", "1", "yes"):
        return True
    raise ValueError(f"{name} must be true or false, got {value!r}")


def _whole_number(name: str, default: int) -> int:
    """A whole number >= 0 from the environment; anything else is an error at start."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ValueError(f"{name} must be a whole number, 0 or more, got {value!r}")
    return int(value)


def _today_in_group_zone() -> date:
    return datetime.now(ZoneInfo(GROUP_TIME_ZONE)).date()


@dataclass(frozen=True)
class Settings:
    """Resolved configuration for one run; build it with `get_settings()`."""

    data_dir: Path
    warehouse_path: Path
    published_path: Path
    segments_file: Path
    as_of_date: date
    group_currency: str
    duckdb_threads: int
    duckdb_memory_limit: str
    # Aging and balances net each customer's unapplied credit into its oldest open items.
    net_unapplied_credit: bool = False
    # Days a trained payment model is kept before the next run trains again (0: every run).
    retrain_days: int = 7
    # Above this many invoices the payment model learns from a sample of debtors (D49).
    train_max_invoices: int = 200_000

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"

    @property
    def truth_dir(self) -> Path:
        """Ground truth of the demo generator, kept apart from anything the stack loads."""
        return self.data_dir / "demo" / "truth"

    def dbt_env(self) -> dict[str, str]:
        """Environment for a dbt subprocess, so its profile points at the same warehouse."""
        return {
            "CM_WAREHOUSE_PATH": str(self.warehouse_path),
            "CM_DUCKDB_THREADS": str(self.duckdb_threads),
            "CM_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
        }

    def dbt_vars(self) -> dict[str, str | bool]:
        return {
            "as_of_date": self.as_of_date.isoformat(),
            "group_currency": self.group_currency,
            "net_unapplied_credit": self.net_unapplied_credit,
        }

    def duckdb_config(self) -> dict[str, str | int]:
        return {"threads": self.duckdb_threads, "memory_limit": self.duckdb_memory_limit}


def load_env_file(path: Path | None = None) -> bool:
    """Read `.env` (default: the repository's) into the environment, as `.env.example` says.

    Variables already set in the shell win. The entry points (the CLI, the dashboard) call
    this; `dagster dev` reads `.env` itself. True when a file was read.
    """
    from dotenv import load_dotenv

    env_file = path or REPO_ROOT / ".env"
    return env_file.is_file() and load_dotenv(env_file, override=False)


def get_settings() -> Settings:
    """Read the environment now (not at import), so tests can point a run at a temp folder."""
    data_dir = _path("CM_DATA_DIR", REPO_ROOT / "data")
    as_of = os.environ.get("CM_AS_OF_DATE")
    return Settings(
        data_dir=data_dir,
        warehouse_path=_path("CM_WAREHOUSE_PATH", data_dir / "warehouse" / "warehouse.duckdb"),
        published_path=_path("CM_PUBLISHED_PATH", data_dir / "warehouse" / "published.duckdb"),
        segments_file=_path("CM_SEGMENTS_FILE", REPO_ROOT / "data" / "config" / "segments.yml"),
        as_of_date=date.fromisoformat(as_of) if as_of else _today_in_group_zone(),
        group_currency=os.environ.get("CM_GROUP_CURRENCY", "EUR"),
        duckdb_threads=int(os.environ.get("CM_DUCKDB_THREADS", "2")),
        duckdb_memory_limit=os.environ.get("CM_DUCKDB_MEMORY_LIMIT", "8GB"),
        net_unapplied_credit=_flag("CM_NET_UNAPPLIED_CREDIT"),
        retrain_days=_whole_number("CM_RETRAIN_DAYS", 7),
        train_max_invoices=_whole_number("CM_TRAIN_MAX_INVOICES", 200_000),
    )
