"""The promoted payment model's card from the model folder, and the scores it produced.

The card (`data/models/<model_id>/metrics.json`) holds group-wide test figures, no entity's
rows; the score distribution is read from `ml.invoice_scores` through the scope.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from dashboards.data import Scope, Warehouse, has_table, query, scoped

SCORE_BINS = 10


def promoted_card(models_dir: Path) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(pointer, card) of the promoted model, or None when no model has been promoted."""
    pointer_file = models_dir / "promoted.json"
    if not pointer_file.is_file():
        return None
    pointer = json.loads(pointer_file.read_text())
    card_file = models_dir / pointer["model_id"] / "metrics.json"
    if not card_file.is_file():
        return None
    return pointer, json.loads(card_file.read_text())


def model_images(models_dir: Path, model_id: str) -> list[Path]:
    """Plots saved beside the model (reliability, backtest), if its training wrote any."""
    return sorted((models_dir / model_id).glob("*.png"))


@st.cache_data(show_spinner=False)
def score_distribution(warehouse: Warehouse, scope: Scope, dates: int = 6) -> pd.DataFrame:
    """Share of scored open invoices per score decile, for the last `dates` scoring dates up
    to the as-of date: the drift of the score distribution."""
    if not has_table(warehouse, "ml.invoice_scores"):
        return pd.DataFrame()
    sql = scoped("""
        , scored_dates as (
            select distinct as_of_date
            from ml.invoice_scores
            where as_of_date <= $as_of_date
            order by as_of_date desc
            limit $dates
        ),

        scores as (
            select
                s.as_of_date,
                least(floor(s.p_paid_within_horizon * $bins), $bins - 1)::integer as score_bin,
            from ml.invoice_scores as s
            inner join scoped_customers as c
                on c.entity_id = s.entity_id and c.customer_id = s.customer_id
            where s.as_of_date in (select as_of_date from scored_dates)
        )

        select
            as_of_date,
            score_bin,
            count(*) as invoice_count,
            count(*) / sum(count(*)) over (partition by as_of_date) as share,
        from scores
        group by as_of_date, score_bin
        order by as_of_date, score_bin
    """)
    return query(warehouse, sql, {**scope.params(), "dates": dates, "bins": SCORE_BINS})


@st.cache_data(show_spinner=False)
def score_summary(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """Count and mean score per scoring date and model, within the scope."""
    if not has_table(warehouse, "ml.invoice_scores"):
        return pd.DataFrame()
    sql = scoped("""
        select
            s.as_of_date,
            s.model_id,
            count(*) as invoice_count,
            avg(s.p_paid_within_horizon) as mean_score,
            max(s.scored_at) as scored_at,
        from ml.invoice_scores as s
        inner join scoped_customers as c
            on c.entity_id = s.entity_id and c.customer_id = s.customer_id
        where s.as_of_date <= $as_of_date
        group by s.as_of_date, s.model_id
        order by s.as_of_date desc
    """)
    return query(warehouse, sql, scope.params())


def population_stability(expected: pd.Series, actual: pd.Series) -> float:
    """PSI between two share distributions over the same bins (0.1 small, 0.25 large shift)."""
    floor = 1e-4
    e = expected.clip(lower=floor)
    a = actual.reindex(expected.index).fillna(0).clip(lower=floor)
    return float(((a - e) * np.log(a / e)).sum())
