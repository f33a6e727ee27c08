"""Scoring throughput: how many open invoices per second, and how much memory, at scale.

`python -m models_ml.benchmark_scoring --open-invoices 1000000 [--debtors N] [--batch-size B]
[--no-explain] [--repeat R] [--workers W]`

Builds a throwaway warehouse in a temporary folder with marts shaped like the real ones (made
with DuckDB's `range`, so millions of rows take seconds): every debtor with a settled history
and some open invoices on the as-of date. A payment-timing model is fitted on a sample of the
open invoices' features with made-up outcomes (the benchmark measures speed, not skill), saved
and promoted, and `score_open_invoices` is timed end to end: features in SQL, Arrow batches,
predictions, inserts, debtor aggregates and explanations. With `--repeat` it scores several
times on the same warehouse (a shared machine's other work slows some runs) and reports the
fastest run, with its seconds per step (`phases_seconds`), CPU seconds, the load average
before it and the peak resident memory while it ran, beside every run's time. The result is
logged and printed as JSON. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import psutil

from models_ml.explain import MAX_EXPLAINED_FEATURES
from models_ml.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES, build_features
from models_ml.registry import promote, save_model
from models_ml.scoring import DEFAULT_BATCH_SIZE, Phases, score_open_invoices
from models_ml.timing import PaymentTimingModel
from models_ml.trees import default_workers

log = logging.getLogger("models_ml.benchmark_scoring")

AS_OF = date(2025, 12, 31)
HISTORY_PER_DEBTOR = 8
TRAINING_SAMPLE = 20_000

MARTS_SQL = """
create schema marts;

create table marts.dim_entities as
select
    'E' || lpad(i::varchar, 2, '0') as entity_id, 'Entity ' || i as entity_name,
    ['retail', 'wholesale', 'leasing'][i % 3 + 1] as division,
    ['NL', 'BE', 'DE', 'CZ'][i % 4 + 1] as country_code, 'EUR' as base_currency,
    'Europe/Amsterdam' as time_zone,
from range(10) as t(i);

create table marts.dim_customers as
select
    'E' || lpad((i % 10)::varchar, 2, '0') as entity_id, 'C' || i as customer_id,
    case when i % 3 = 0 then 'b2c' else 'b2b' end as customer_type,
    ['NL', 'BE', 'DE', 'CZ'][i % 4 + 1] as country_code,
    ['nl', 'fr', 'de', 'cs'][i % 4 + 1] as language,
    ['key', 'standard', 'small'][i % 3 + 1] as segment,
    true as has_email, false as has_phone, true as has_address,
    null::varchar as group_debtor_id, 10000.00::decimal(18, 2) as credit_limit,
    ['retail', 'wholesale', 'leasing'][(i % 10) % 3 + 1] as division,
from range($debtors) as t(i);

create table marts.fct_invoices as
with drawn as (
    select
        i,
        i % $debtors as debtor,
        i < $open as is_open,
        (30 + (hash(i) % 3) * 15)::integer as terms_days,
        (20 + hash(i * 7) % 2000)::decimal(18, 2) as amount,
        (hash(i * 13) % 60)::integer - 10 as days_late,
        (hash(i * 17) % 400)::integer as age_days,
    from range($open + $debtors * $history) as t(i)
)
select
    'E' || lpad((debtor % 10)::varchar, 2, '0') as entity_id, 'C' || debtor as customer_id,
    'D' || i as document_id, 'D' || i as document_number, 'RF' || i as payment_reference,
    ($as_of::date - case when is_open then age_days % 60 else 60 + age_days end)::date
        as issue_date,
    (issue_date + terms_days)::date as due_date, terms_days, 'EUR' as currency, amount,
    amount as amount_base,
    case when is_open then amount else 0 end::decimal(18, 2) as open_amount,
    case when not is_open then least(due_date + days_late, $as_of::date) end as settled_date,
    false as is_disputed,
from drawn;

create table marts.fct_open_items as
select
    $as_of::date as as_of_date, entity_id, customer_id, document_id as item_id,
    'invoice' as item_type, document_number, issue_date, due_date, currency, amount,
    open_amount, open_amount as open_amount_base,
    ($as_of::date - due_date)::integer as days_past_due, 'any' as aging_bucket,
    1 as bucket_order, $as_of::date > due_date as is_overdue, is_disputed,
    false as is_unapplied_credit,
from marts.fct_invoices
where settled_date is null;

create table marts.fct_payment_signals (
    entity_id varchar, document_id varchar, customer_id varchar, last_status varchar,
    last_status_at timestamp, paid_amount decimal(18, 2), currency varchar, paid_at timestamp,
    provider varchar, method varchar, event_count bigint, first_event_at timestamp,
    last_event_at timestamp
);

create table marts.fct_contacts (
    entity_id varchar, contact_id varchar, customer_id varchar, document_id varchar,
    sent_at timestamp, sent_date date, channel varchar, tone varchar, language varchar,
    offer varchar, reminder_level integer
);
"""


def build_warehouse(path: Path, open_invoices: int, debtors: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    params = {
        "open": open_invoices,
        "debtors": debtors,
        "history": HISTORY_PER_DEBTOR,
        "as_of": AS_OF,
    }
    for statement in MARTS_SQL.split(";"):
        if statement.strip():
            used = {name: value for name, value in params.items() if f"${name}" in statement}
            con.execute(statement, used or None)
    return con


def fit_throwaway_model(con: duckdb.DuckDBPyConnection) -> PaymentTimingModel:
    """A model of the right shape, fitted on made-up outcomes of a sample of open invoices."""
    features = build_features(con, AS_OF).sample(n=TRAINING_SAMPLE, replace=True, random_state=0)
    rng = np.random.default_rng(0)
    days_to_settle = rng.integers(-10, 90, size=len(features)).astype(float)
    censor_days = np.full(len(features), 200.0)
    model = PaymentTimingModel(NUMERIC_FEATURES, CATEGORICAL_FEATURES)
    model.fit(features, days_to_settle, censor_days)
    model.explained_features_ = model.features[:MAX_EXPLAINED_FEATURES]
    return model.calibrate(features, days_to_settle, censor_days)


class PeakMemory:
    """The process's largest resident set while it runs, sampled every 50 ms (psutil)."""

    def __init__(self) -> None:
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        process = psutil.Process()
        while True:
            self.peak = max(self.peak, process.memory_info().rss)
            if self._stop.wait(0.05):
                return


def score_once(
    con: duckdb.DuckDBPyConnection, models_dir: Path, batch_size: int, explain: bool, workers: int
) -> dict[str, Any]:
    """One timed scoring run: wall and CPU seconds, seconds per step, load, peak memory."""
    load_before = os.getloadavg()
    rss_before = psutil.Process().memory_info().rss
    phases = Phases()
    with PeakMemory() as memory:
        started, cpu_started = time.perf_counter(), time.process_time()
        scored = score_open_invoices(
            con,
            models_dir,
            AS_OF,
            batch_size=batch_size,
            explain=explain,
            workers=workers,
            phases=phases,
        )
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "open_invoices": scored,
        "seconds": seconds,
        "cpu_seconds": round(cpu, 1),
        "phases_seconds": {name: round(value, 2) for name, value in phases.seconds.items()},
        "load_average": [round(value, 2) for value in load_before],
        "peak_rss_mb": round(memory.peak / 2**20),
        "rss_before_mb": round(rss_before / 2**20),
    }


def run(
    open_invoices: int,
    debtors: int,
    batch_size: int,
    explain: bool,
    repeat: int = 1,
    workers: int | None = None,
) -> dict[str, Any]:
    """Build, fit, then score `repeat` times; the best run is reported, with every run's time."""
    workers = workers or default_workers()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        con = build_warehouse(Path(folder) / "bench.duckdb", open_invoices, debtors)
        built = time.perf_counter() - started

        model = fit_throwaway_model(con)
        models_dir = Path(folder) / "models"
        card = {
            "horizon_days": model.primary_days,
            "features": model.features,
            "as_of_date": AS_OF.isoformat(),
        }
        save_model(models_dir, "benchmark", model, card)
        promote(models_dir, "benchmark", "benchmark")

        runs = [score_once(con, models_dir, batch_size, explain, workers) for _ in range(repeat)]
        con.close()
    best = min(runs, key=lambda run: run["seconds"])
    return {
        "open_invoices": best["open_invoices"],
        "debtors": debtors,
        "batch_size": batch_size,
        "explained": explain,
        "workers": workers,
        "warehouse_build_seconds": round(built, 1),
        "scoring_seconds": round(best["seconds"], 1),
        "invoices_per_second": round(best["open_invoices"] / best["seconds"]),
        "cpu_seconds": best["cpu_seconds"],
        "phases_seconds": best["phases_seconds"],
        "load_average_before": best["load_average"],
        "runs_seconds": [round(run["seconds"], 1) for run in runs],
        "peak_scoring_rss_mb": best["peak_rss_mb"],
        "rss_before_scoring_mb": best["rss_before_mb"],
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m models_ml.benchmark_scoring")
    parser.add_argument("--open-invoices", type=int, default=1_000_000)
    parser.add_argument("--debtors", type=int, help="default: one per 5 open invoices")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--no-explain", action="store_true", help="skip the debtors' factors")
    parser.add_argument("--repeat", type=int, default=1, help="score N times, report the best")
    parser.add_argument("--workers", type=int, help="threads walking the trees (default: cores)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    debtors = args.debtors or max(args.open_invoices // 5, 1)
    result = run(
        args.open_invoices,
        debtors,
        args.batch_size,
        not args.no_explain,
        repeat=args.repeat,
        workers=args.workers,
    )
    log.info("scoring benchmark: %s", result)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
