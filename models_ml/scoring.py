"""Score every open invoice with the promoted payment model into `ml.invoice_scores`.

The features stream out of DuckDB as Arrow record batches (read on a cursor, a second
connection to the same database), so memory stays flat however many invoices are open; each
batch's scores are inserted as they come. The rows of the as-of date are deleted and rewritten
in one transaction: a re-run replaces them, and a failed run leaves the previous scores.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from models_ml.features import open_item_feature_batches
from models_ml.registry import load_promoted

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 100_000

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
"""

INSERT_SQL = """
insert into ml.invoice_scores
select
    $as_of, entity_id, customer_id, document_id, p_paid_within_horizon, $horizon_days,
    $model_id, $scored_at
from scores_batch
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


def _insert_scores(
    con: duckdb.DuckDBPyConnection,
    batches: pa.RecordBatchReader,
    model: Any,
    features: list[str],
    constants: dict[str, Any],
) -> int:
    """Predict each feature batch and insert its scores; returns the number of rows."""
    written = 0
    for batch in batches:
        p_paid = model.predict_proba(batch.to_pandas()[features])[:, 1]
        scores = pa.table(
            {
                "entity_id": batch.column("entity_id"),
                "customer_id": batch.column("customer_id"),
                "document_id": batch.column("document_id"),
                "p_paid_within_horizon": pa.array(p_paid, pa.float64()),
            }
        )
        con.register("scores_batch", scores)
        con.execute(INSERT_SQL, constants)
        con.unregister("scores_batch")
        written += batch.num_rows
    return written


def score_open_invoices(
    con: duckdb.DuckDBPyConnection,
    models_dir: Path,
    as_of: date,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> int:
    """Write one score per open invoice of `marts.fct_open_items` on `as_of`; returns the count."""
    model_id, model, card = load_promoted(models_dir)
    _check_open_items_date(con, as_of)
    con.execute(SCORES_DDL)
    constants = {
        "as_of": as_of,
        "horizon_days": card["horizon_days"],
        "model_id": model_id,
        "scored_at": datetime.now(UTC).replace(tzinfo=None),
    }

    with con.cursor() as reader:
        batches = open_item_feature_batches(reader, as_of, batch_size)
        con.begin()
        try:
            con.execute("delete from ml.invoice_scores where as_of_date = $as_of", {"as_of": as_of})
            written = _insert_scores(con, batches, model, card["features"], constants)
            con.commit()
        except Exception:
            con.rollback()
            raise

    logger.info(
        "scored %d open invoices as of %s with model %s (horizon %d days)",
        written,
        as_of,
        model_id,
        card["horizon_days"],
    )
    return written
