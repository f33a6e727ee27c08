"""Score every open invoice with the promoted payment model into `ml.invoice_scores`.

Per invoice: the chance of payment within the primary horizon (`p_paid_within_horizon`), by
the due date and within 14 and 30 days after the later of due date and today, and the expected
days until paid (a mean restricted to the model's window: a payment later than that counts at
the window's end) with the date it implies. Per debtor, `ml.debtor_scores` sums them up: open
amount, the amount expected within 0, 14 and 30 days, the amount-weighted chance and days,
and the two or three facts that moved the score of the debtor's largest open invoice most, in
plain words (models_ml/explain.py).

The features stream out of DuckDB as Arrow record batches (read on a cursor, a second
connection to the same database), so memory stays flat however many invoices are open; the
query also marks each debtor's largest open invoice, the one its factors explain. A batch
becomes the trees' input without a Python object per row, the whole payment curve comes from
one walk of each tree per group of grid days, on worker threads (models_ml/trees.py: the same
figures as `predict_cdf`; docs/decisions.md D43), and the batch's scores go back in one insert
from Arrow. The rows of the as-of date are deleted and rewritten in one transaction: a re-run
replaces them, and a failed run leaves the previous scores.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from models_ml.explain import N_FACTORS, top_factors, what_if_effects
from models_ml.features import LARGEST_FLAG, open_item_feature_batches
from models_ml.registry import load_for_date
from models_ml.threads import thread_limit
from models_ml.trees import default_workers

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 100_000

CURVE_DAYS = (0, 14, 30)
FACTOR_COLUMNS = [f"factor_{i + 1}" for i in range(N_FACTORS)]
CURVE_COLUMNS = [f"p_paid_within_{days}d" for days in CURVE_DAYS]

SCORES_DDL = """
create schema if not exists ml;
create table if not exists ml.invoice_scores (
    as_of_date date not null,
    entity_id varchar not null,
    customer_id varchar not null,
    document_id varchar not null,
    p_paid_within_horizon double not null,
    horizon_days integer not null,
    model_id varchar not null,
    scored_at timestamp not null
);
alter table ml.invoice_scores add column if not exists p_paid_within_0d double;
alter table ml.invoice_scores add column if not exists p_paid_within_14d double;
alter table ml.invoice_scores add column if not exists p_paid_within_30d double;
alter table ml.invoice_scores add column if not exists expected_days_until_paid double;
alter table ml.invoice_scores add column if not exists expected_payment_date date;
"""

INSERT_SQL = """
insert into ml.invoice_scores by name
select
    $as_of as as_of_date,
    entity_id,
    customer_id,
    document_id,
    p_paid_within_horizon,
    $horizon_days as horizon_days,
    $model_id as model_id,
    $scored_at as scored_at,
    p_paid_within_0d,
    p_paid_within_14d,
    p_paid_within_30d,
    expected_days_until_paid,
    ($as_of + cast(round(expected_days_until_paid) as integer)) as expected_payment_date,
from scores_batch
"""

DEBTOR_SCORES_DDL = """
create table if not exists ml.debtor_scores (
    as_of_date date not null,
    entity_id varchar not null,
    customer_id varchar not null,
    model_id varchar not null,
    open_invoice_count bigint not null,
    open_amount_base decimal(18, 2),
    expected_paid_by_due_base decimal(18, 2),
    expected_paid_within_14d_base decimal(18, 2),
    expected_paid_within_30d_base decimal(18, 2),
    p_paid_within_horizon_weighted double,
    expected_days_until_paid_weighted double,
    explained_document_id varchar,
    factor_1 varchar,
    factor_2 varchar,
    factor_3 varchar
);
"""

DEBTOR_SCORES_SQL = """
insert into ml.debtor_scores by name
with

scores as (
    select * from ml.invoice_scores where as_of_date = $as_of
),

amounts as (
    select entity_id, item_id as document_id, open_amount_base as open_amount,
    from marts.fct_open_items
    where as_of_date = $as_of
),

final as (
    select
        scores.as_of_date,
        scores.entity_id,
        scores.customer_id,
        any_value(scores.model_id) as model_id,
        count(*) as open_invoice_count,
        sum(amounts.open_amount) as open_amount_base,
        -- Expected cash is a probability times an exact amount: rounded back to cents.
        cast(round(sum(amounts.open_amount * scores.p_paid_within_0d), 2) as decimal(18, 2))
            as expected_paid_by_due_base,
        cast(round(sum(amounts.open_amount * scores.p_paid_within_14d), 2) as decimal(18, 2))
            as expected_paid_within_14d_base,
        cast(round(sum(amounts.open_amount * scores.p_paid_within_30d), 2) as decimal(18, 2))
            as expected_paid_within_30d_base,
        sum(amounts.open_amount * scores.p_paid_within_horizon)
            / nullif(sum(amounts.open_amount), 0) as p_paid_within_horizon_weighted,
        sum(amounts.open_amount * scores.expected_days_until_paid)
            / nullif(sum(amounts.open_amount), 0) as expected_days_until_paid_weighted,
    from scores
    inner join amounts using (entity_id, document_id)
    group by scores.as_of_date, scores.entity_id, scores.customer_id
)

select
    final.*,
    factors.document_id as explained_document_id,
    factors.factor_1,
    factors.factor_2,
    factors.factor_3,
from final
left join debtor_factors as factors using (entity_id, customer_id)
"""


def _check_open_items_date(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """Refuse to score marts built for another date: the open items would be the wrong ones."""
    query = "select distinct as_of_date from marts.fct_open_items order by 1"
    built_for = [row[0] for row in con.execute(query).fetchall()]
    if built_for and as_of not in built_for:
        raise ValueError(
            f"marts.fct_open_items is as of {', '.join(map(str, built_for))}, not {as_of}: "
            "rebuild the marts for that date before scoring"
        )


class Phases:
    """Seconds spent in each step of a scoring run, summed over the batches."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def __str__(self) -> str:
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.seconds.items())


def predict_batch(
    model: Any,
    batch: pa.RecordBatch,
    features: list[str],
    workers: int = 1,
    phases: Phases | None = None,
) -> dict[str, pa.Array]:
    """The score columns of one batch; the timing columns are null for a one-target model."""
    phases = phases or Phases()
    if not hasattr(model, "cdf_from_matrix"):
        with phases("trees"):
            p_paid = model.predict_proba(batch.to_pandas()[features])[:, 1]
        columns = {"p_paid_within_horizon": pa.array(p_paid, pa.float64())}
        empty = pa.nulls(batch.num_rows, pa.float64())
        return columns | dict.fromkeys([*CURVE_COLUMNS, "expected_days_until_paid"], empty)

    with phases("encode"):
        matrix = model.matrix_from_arrow(batch)
    with phases("trees"):
        cdf = model.cdf_from_matrix(matrix, workers)
    grid = list(model.grid)
    columns = {"p_paid_within_horizon": pa.array(cdf[:, grid.index(model.primary_days)])}
    for days, name in zip(CURVE_DAYS, CURVE_COLUMNS, strict=True):
        columns[name] = pa.array(cdf[:, grid.index(days)])
    # The model counts days from the later of due date and as-of date: for an invoice not yet
    # due that is -days_past_due days ahead, for an overdue one it is today.
    days_past_due = batch.column("days_past_due").to_numpy(zero_copy_only=False)
    until_origin = np.maximum(-days_past_due.astype(float), 0.0)
    days = until_origin + model.expected_days(cdf)
    columns["expected_days_until_paid"] = pa.array(np.maximum(days, 0.0))
    return columns


def _insert_scores(
    con: duckdb.DuckDBPyConnection,
    batches: pa.RecordBatchReader,
    model: Any,
    features: list[str],
    constants: dict[str, Any],
    workers: int,
    phases: Phases,
) -> tuple[int, pa.Table]:
    """Predict each feature batch and insert its scores, one statement per batch.

    Returns the number of rows and each debtor's largest open invoice (to explain the debtor).
    """
    written, largest = 0, []
    batch_iterator = iter(batches)
    while True:
        with phases("features"):
            batch = next(batch_iterator, None)
        if batch is None:
            break
        scores = pa.table(
            {
                "entity_id": batch.column("entity_id"),
                "customer_id": batch.column("customer_id"),
                "document_id": batch.column("document_id"),
                **predict_batch(model, batch, features, workers, phases),
            }
        )
        with phases("write"):
            con.register("scores_batch", scores)
            con.execute(INSERT_SQL, constants)
            con.unregister("scores_batch")
        written += batch.num_rows
        largest.append(batch.filter(batch.column(LARGEST_FLAG)))
    return written, pa.Table.from_batches(largest, schema=batches.schema)


def debtor_factors(model: Any, invoices: pa.Table, workers: int = 1) -> pd.DataFrame:
    """The factors that moved each debtor's largest open invoice most, in words.

    Only the model's most important features are tried (`explained_features_`, set by
    training). Empty (no factors) for a model without usual values to compare with.
    """
    columns = ["entity_id", "customer_id", "document_id", *FACTOR_COLUMNS]
    if invoices.num_rows == 0 or not hasattr(model, "typical_"):
        return pd.DataFrame(columns=columns).astype("string")

    explained = getattr(model, "explained_features_", list(model.typical_))
    usual = {name: model.typical_[name] for name in explained if name in model.typical_}
    frame = invoices.to_pandas()
    if hasattr(model, "what_if_effects"):
        effects = model.what_if_effects(model.matrix_from_arrow(invoices), usual, workers)
        effects.index = frame.index
    else:
        effects = what_if_effects(
            lambda rows: model.p_within(rows, model.primary_days), frame, usual
        )
    return pd.concat([frame, top_factors(effects, frame)], axis=1)[columns]


def score_open_invoices(
    con: duckdb.DuckDBPyConnection,
    models_dir: Path,
    as_of: date,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    explain: bool = True,
    workers: int | None = None,
    phases: Phases | None = None,
) -> int:
    """Write one score per open invoice of `marts.fct_open_items` on `as_of`; returns the count.

    `explain=False` leaves the debtors' factors empty. `workers`: threads that walk the trees
    (default: the cores this process may use). `phases` collects the seconds of each step.
    """
    workers = workers or default_workers()
    phases = phases if phases is not None else Phases()
    with phases("model"):
        model_id, model, card = load_for_date(models_dir, as_of)
    _check_open_items_date(con, as_of)
    con.execute(SCORES_DDL + DEBTOR_SCORES_DDL)
    constants = {
        "as_of": as_of,
        "horizon_days": card["horizon_days"],
        "model_id": model_id,
        "scored_at": datetime.now(UTC).replace(tzinfo=None),
    }

    with con.cursor() as reader:
        with phases("features"):
            batches = open_item_feature_batches(reader, as_of, batch_size)
        con.begin()
        try:
            with phases("write"):
                delete = "delete from ml.invoice_scores where as_of_date = $as_of"
                con.execute(delete, {"as_of": as_of})
            with thread_limit(batch_size):
                written, largest = _insert_scores(
                    con, batches, model, card["features"], constants, workers, phases
                )
                with phases("explain"):
                    explained = largest if explain else largest.slice(0, 0)
                    factors = debtor_factors(model, explained, workers)
            with phases("debtors"):
                delete = "delete from ml.debtor_scores where as_of_date = $as_of"
                con.execute(delete, {"as_of": as_of})
                con.register("debtor_factors", factors)
                con.execute(DEBTOR_SCORES_SQL, {"as_of": as_of})
                con.unregister("debtor_factors")
                con.commit()
        except Exception:
            con.rollback()
            raise

    logger.info(
        "scored %d open invoices as of %s with model %s (horizon %d days) on %d threads: %s",
        written,
        as_of,
        model_id,
        card["horizon_days"],
        workers,
        phases,
    )
    return written
