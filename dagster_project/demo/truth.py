"""Ground truth of the demo group, written apart from the landing files.

customers_truth.parquet: latent propensity and the true chance to pay a typical invoice within
0, 14 and 30 days after due with no reminder. invoices_truth.parquet: per invoice the true
chance to be settled within 14 days after due with no reminder and what actually happened.
effects_truth.json: the response model. config.json: the generator config.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dagster_project.demo import behaviour, response
from dagster_project.demo.config import GeneratorConfig
from dagster_project.demo.history import EntityHistory


def customer_rows(entity: pd.Series, customers: pd.DataFrame) -> pa.Table:
    truth = behaviour.customer_truth(customers, str(entity["division"]))
    columns = {
        "entity_id": pa.array(np.full(len(customers), str(entity["entity_id"]))),
        "customer_id": pa.array(customers["customer_id"].to_numpy().astype(str)),
        "propensity": pa.array(truth["propensity"].to_numpy()),
    }
    for days in (0, 14, 30):
        name = f"true_p_paid_within_{days}d_after_due"
        columns[name] = pa.array(truth[name].to_numpy())
    columns["is_holdout"] = pa.array(customers["is_holdout"].to_numpy())
    columns["has_direct_debit"] = pa.array(customers["has_direct_debit"].to_numpy())
    return pa.table(columns)


def invoice_rows(
    entity: pd.Series, customers: pd.DataFrame, history: EntityHistory, document_id: np.ndarray
) -> pa.Table:
    invoices, driver, outcome = history.invoices, history.driver, history.outcome
    pay_day = outcome["pay_day"]
    never = pay_day >= behaviour.NEVER
    settled_day = history.cash.settled_day
    customer_id = customers["customer_id"].to_numpy().astype(str)[invoices["customer"]]
    p_14 = behaviour.p_settled_within(14, invoices["terms"], driver)
    return pa.table(
        {
            "entity_id": pa.array(np.full(document_id.size, str(entity["entity_id"]))),
            "document_id": pa.array(document_id),
            "customer_id": pa.array(customer_id),
            "true_p_paid_within_14d_after_due": pa.array(p_14),
            "days_late_drawn": pa.array(pay_day, mask=never, type=pa.int64()),
            "is_bad_debt": pa.array(never),
            "is_direct_debit": pa.array(driver["is_direct_debit"]),
            "direct_debit_returned": pa.array(outcome["direct_debit_returned"]),
            "log_hazard_ratio": pa.array(driver["eta"]),
            "contacts_sent": pa.array(history.sent.sum(axis=1).astype(np.int64)),
            "settled_date": pa.array(
                settled_day.astype("datetime64[D]"), mask=settled_day < 0, type=pa.date32()
            ),
        }
    )


def write_truth(
    truth_dir: Path, customers: list[pa.Table], invoices: list[pa.Table], config: GeneratorConfig
) -> None:
    truth_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.concat_tables(customers), truth_dir / "customers_truth.parquet")
    pq.write_table(pa.concat_tables(invoices), truth_dir / "invoices_truth.parquet")
    for name, content in (
        ("effects_truth.json", response.describe()),
        ("config.json", config.to_dict()),
    ):
        text = json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False)
        (truth_dir / name).write_text(text + "\n", encoding="utf-8")
