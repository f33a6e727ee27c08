"""What a changed segments file would do today: the reminder policy run twice on today's scores.

The published warehouse is read-only, and the policy writes its result to `reminders.*`, so the
what-if works on a private copy of the published file (`Sandbox`), made once per published
copy and kept for later what-ifs. Both runs use the policy's own entry point
(`models_ml.policy.decide_with_config`) with the same uplift estimate (the one the day's run
stored, else estimated once from the history), so they differ only in the file:
- before: the live segments file;
- after: the edited text.
The policy decides the whole group (capacity is shared across entities); only the debtors in
the viewer's scope come back from `compare`.
"""

from __future__ import annotations

import atexit
import logging
import math
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from dashboards.data import Scope, scoped
from models_ml.policy import SegmentsConfig, decide_with_config, run_id_for
from models_ml.policy.uplift import Uplift, estimate_uplift

log = logging.getLogger(__name__)

MIX_FIELDS = ("channel", "tone", "offer")
NO_CONTACT = "no contact"

# The run's debtors in the viewer's scope, with what decides the comparison.
_RESULT_SQL = """
    select
        d.entity_id,
        d.customer_id,
        d.segment,
        d.score_band,
        d.action,
        d.channel,
        d.tone,
        d.offer,
        d.reason_code,
        d.amount_due_base,
        d.expected_value_base,
        d.contact_cost_base,
    from reminders.debtor_actions as d
    inner join scoped_customers as c
        on c.entity_id = d.entity_id and c.customer_id = d.customer_id
    where d.run_id = $run_id
    order by d.entity_id, d.customer_id
"""


@dataclass
class Sandbox:
    """A writable copy of one published warehouse, used by one what-if at a time."""

    path: Path
    threads: int = 2
    memory_limit: str = "2GB"
    lock: threading.Lock = field(default_factory=threading.Lock)
    uplift: dict[date, Uplift] = field(default_factory=dict)

    @classmethod
    def copy_of(cls, published: Path, threads: int = 2, memory_limit: str = "2GB") -> Sandbox:
        folder = Path(tempfile.mkdtemp(prefix="cm-whatif-"))
        target = folder / "whatif.duckdb"
        shutil.copyfile(published, target)
        log.info("what-if sandbox: copied %s to %s", published, target)
        return cls(target, threads, memory_limit)

    def connect(self) -> duckdb.DuckDBPyConnection:
        config = {"threads": self.threads, "memory_limit": self.memory_limit}
        return duckdb.connect(str(self.path), config=config)

    def remove(self) -> None:
        shutil.rmtree(self.path.parent, ignore_errors=True)


_SANDBOXES: dict[tuple[str, int], Sandbox] = {}
_SANDBOXES_LOCK = threading.Lock()


def sandbox_for(published: Path, mtime_ns: int, threads: int, memory_limit: str) -> Sandbox:
    """The sandbox of this published copy; a newer publication replaces (and removes) the
    older sandbox, so one copy at most is kept per server."""
    key = (str(published), mtime_ns)
    with _SANDBOXES_LOCK:
        if key not in _SANDBOXES:
            for old_key in list(_SANDBOXES):
                _SANDBOXES.pop(old_key).remove()
            _SANDBOXES[key] = Sandbox.copy_of(published, threads, memory_limit)
        return _SANDBOXES[key]


@atexit.register
def _remove_sandboxes() -> None:
    for sandbox in _SANDBOXES.values():
        sandbox.remove()


def _uplift(sandbox: Sandbox, con: duckdb.DuckDBPyConnection, as_of: date) -> Uplift:
    """The effects the day's run used (reminders.uplift_estimates), else estimated once."""
    if as_of in sandbox.uplift:
        return sandbox.uplift[as_of]
    stored = []
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'reminders' and table_name = 'uplift_estimates'"
    ).fetchone()[0]
    if exists:
        stored = con.execute(
            "select source, kind, value, log_hazard_ratio from reminders.uplift_estimates "
            "where run_id = ? order by kind, value",
            [run_id_for(as_of)],
        ).fetchall()
    if stored:
        effects: dict[str, dict[str, float]] = {}
        for _, kind, value, effect in stored:
            effects.setdefault(kind, {})[value] = effect
        uplift = Uplift(effects=effects, source=stored[0][0])
    else:
        uplift = estimate_uplift(con, as_of)
    sandbox.uplift[as_of] = uplift
    return uplift


def decide(sandbox: Sandbox, config: SegmentsConfig, as_of: date, scope: Scope) -> pd.DataFrame:
    """Run the policy with `config` on the sandbox; the debtors in `scope`, one row each."""
    with sandbox.lock, sandbox.connect() as con:
        uplift = _uplift(sandbox, con, as_of)
        decide_with_config(con, config, as_of, uplift=uplift)
        params = {**scope.params(), "run_id": run_id_for(as_of)}
        used = {name: value for name, value in params.items() if f"${name}" in _SQL_WITH_SCOPE}
        # Through Arrow, so DECIMAL amounts stay Decimal.
        return con.sql(_SQL_WITH_SCOPE, params=used).to_arrow_table().to_pandas()


_SQL_WITH_SCOPE = scoped(_RESULT_SQL)


@dataclass(frozen=True)
class Comparison:
    """Before (live file) against after (edited text), for the debtors in scope."""

    totals: pd.DataFrame  # measure, before, after, change
    mix: pd.DataFrame  # field, value, before, after, change (debtors in the run)
    changed: pd.DataFrame  # one row per debtor whose decision changed


def compare(before: pd.DataFrame, after: pd.DataFrame) -> Comparison:
    return Comparison(_totals(before, after), _mix(before, after), _changed(before, after))


def _in_run(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["action"] != "none"]


def _money_sum(values: pd.Series) -> Decimal:
    """Exact sum of a column of Decimals; empty and missing values add nothing."""
    present = (v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v)))
    return sum(present, Decimal("0.00"))


def _totals(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    def measures(frame: pd.DataFrame) -> dict[str, object]:
        run = _in_run(frame)
        return {
            "Debtors in the run": len(run),
            "Held back": len(frame) - len(run),
            "Amount due in the run": _money_sum(run["amount_due_base"]),
            "Expected cash": _money_sum(run["expected_value_base"]),
            "Contact cost": _money_sum(run["contact_cost_base"]),
        }

    old, new = measures(before), measures(after)
    return pd.DataFrame(
        [{"measure": name, "before": old[name], "after": new[name]} for name in old]
    ).assign(change=lambda frame: frame["after"] - frame["before"])


def _mix(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Debtors in the run per channel, tone and offer, before and after."""
    parts = []
    for name in MIX_FIELDS:
        old = _in_run(before)[name].fillna("none").value_counts()
        new = _in_run(after)[name].fillna("none").value_counts()
        both = pd.concat([old.rename("before"), new.rename("after")], axis=1).fillna(0)
        both = both.astype("int64").rename_axis("value").reset_index()
        parts.append(both.assign(field=name))
    mix = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    mix = mix.assign(change=mix["after"] - mix["before"])
    return mix[["field", "value", "before", "after", "change"]].sort_values(
        ["field", "after", "value"], ascending=[True, False, True], kind="stable"
    )


def _changed(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    keys = ["entity_id", "customer_id"]
    shown = ["segment", "action", "channel", "tone", "offer", "reason_code", "expected_value_base"]
    joined = before[keys + shown + ["amount_due_base"]].merge(
        after[keys + shown], on=keys, how="outer", suffixes=("_before", "_after")
    )
    decided = ["segment", "action", "channel", "tone", "offer", "reason_code"]
    differs = pd.Series(False, index=joined.index)
    for name in decided:
        old = joined[f"{name}_before"].fillna(NO_CONTACT)
        new = joined[f"{name}_after"].fillna(NO_CONTACT)
        differs |= old != new
    return joined[differs].reset_index(drop=True)
