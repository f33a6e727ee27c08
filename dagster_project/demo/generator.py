"""Generate the demo group: canonical landing files plus, apart from them, the ground truth.

    from dagster_project.demo.generator import GeneratorConfig, generate_demo_group
    summary = generate_demo_group(landing_dir, truth_dir, GeneratorConfig(n_invoices=3_000))

Every random number comes from numpy's PCG64 seeded with `config.seed`: one stream for the
organisation, one for FX, one for PSP delivery and one per entity (SeedSequence.spawn), so the
same config gives byte-identical files. Work is vectorised per entity.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from dagster_project.contract import (
    ALLOCATIONS,
    ARRANGEMENTS,
    CONTACT_CONSENTS,
    CONTACTS,
    CUSTOMERS,
    DOCUMENTS,
    ENTITIES,
    FX_RATES,
    INSTALMENTS,
    PSP_EVENTS,
)
from dagster_project.demo import dates, ledger, psp, truth
from dagster_project.demo.arrangements import contact_consents, promises_to_pay
from dagster_project.demo.config import GeneratorConfig
from dagster_project.demo.fx import fx_rates
from dagster_project.demo.group_debtors import attach_group_debtors
from dagster_project.demo.history import EntityHistory, Period, simulate_entity
from dagster_project.demo.instalments import instalment_plans
from dagster_project.demo.org import build_customers, build_entities
from dagster_project.demo.profiles import PROVIDERS
from dagster_project.demo.writer import write_table

__all__ = ["GeneratorConfig", "generate_demo_group"]

log = logging.getLogger(__name__)
DEFAULT_CONFIG = GeneratorConfig()
ORG_STREAM, FX_STREAM, PSP_STREAM, FIRST_ENTITY_STREAM = range(4)


def _period(config: GeneratorConfig) -> Period:
    """Day numbers of the period and the months in which lease instalments are billed."""
    first_day, end_day = dates.to_day(config.start_date), dates.to_day(config.end_date)
    first_month = int(dates.month_index(np.array([first_day]))[0])
    if config.start_date.day != 1:
        first_month += 1
    n_months = int(dates.month_index(np.array([end_day]))[0]) - first_month + 1
    return Period(first_day, end_day, first_month, n_months)


def _streams(config: GeneratorConfig) -> list[np.random.Generator]:
    seeds = np.random.SeedSequence(config.seed).spawn(FIRST_ENTITY_STREAM + config.n_entities)
    return [np.random.Generator(np.random.PCG64(seed)) for seed in seeds]


def _invoice_targets(entities: pd.DataFrame, n_invoices: int) -> np.ndarray:
    weight = entities["volume_weight"].to_numpy()
    return np.maximum(np.round(n_invoices * weight / weight.sum()).astype(np.int64), 1)


def _check_folders(landing_dir: Path, truth_dir: Path) -> tuple[Path, Path]:
    landing_dir, truth_dir = landing_dir.resolve(), truth_dir.resolve()
    if truth_dir == landing_dir or landing_dir in truth_dir.parents:
        raise ValueError("truth_dir must not be inside landing_dir: the stack would load it")
    return landing_dir, truth_dir


def _write_erp_files(
    folder: Path,
    entity: pd.Series,
    customers: pd.DataFrame,
    history: EntityHistory,
    end_day: int,
) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    """Write one entity's ERP files (seven, and instalments when it has plans); return (row
    counts, document ids, references)."""
    invoices = history.invoices
    documents, document_id, reference = ledger.documents(
        entity, customers, invoices, history.credits
    )
    tables = (
        (ENTITIES, ledger.entity_columns(entity)),
        (CUSTOMERS, ledger.customer_columns(entity, customers)),
        (DOCUMENTS, documents),
        (ALLOCATIONS, ledger.allocations(entity, customers, history.cash.allocations, document_id)),
        (
            CONTACTS,
            ledger.contacts(entity, customers, invoices, history.plan, history.sent, document_id),
        ),
        (
            ARRANGEMENTS,
            promises_to_pay(entity, customers, invoices, history.cash.settled_day, end_day),
        ),
        (CONTACT_CONSENTS, contact_consents(entity, customers, end_day)),
    )
    counts = {
        spec.name: write_table(folder / f"{spec.name}.csv", spec, columns)
        for spec, columns in tables
    }
    # Plans are optional in the contract: an entity without any writes no file.
    plans = instalment_plans(entity, customers, invoices, document_id)
    counts["instalments"] = plans["document_id"].size
    if counts["instalments"]:
        write_table(folder / f"{INSTALMENTS.name}.csv", INSTALMENTS, plans)
    kinds = history.credits.documents["kind"]
    counts |= {
        "invoices": document_id.size,
        "credit_notes": int((kinds == "credit_note").sum()),
        "write_offs": int((kinds == "write_off").sum()),
    }
    return counts, document_id, reference


def _organisation(
    config: GeneratorConfig, period: Period, streams: list[np.random.Generator]
) -> tuple[pd.DataFrame, list[pd.DataFrame], np.ndarray, int]:
    """(entities, customers per entity, invoice target per entity, number of group debtors)."""
    entities = build_entities(config, streams[ORG_STREAM])
    targets = _invoice_targets(entities, config.n_invoices)
    customers = [
        build_customers(entity, int(target), period.n_months, config, streams[stream])
        for stream, (_, entity), target in zip(
            range(FIRST_ENTITY_STREAM, len(streams)), entities.iterrows(), targets, strict=True
        )
    ]
    group_debtors = attach_group_debtors(entities, customers, streams[ORG_STREAM])
    return entities, customers, targets, group_debtors


def _write_shared_files(
    landing_dir: Path,
    events: dict[str, list],
    period: Period,
    config: GeneratorConfig,
    streams: list[np.random.Generator],
) -> dict[str, int]:
    """PSP event files (one per provider, also when empty) and the FX reference file."""
    psp_rows = 0
    for provider in PROVIDERS:
        columns = psp.provider_file(
            provider, events[provider], config, streams[PSP_STREAM], period.end_day
        )
        psp_rows += write_table(
            landing_dir / "psp" / provider / "psp_events.csv", PSP_EVENTS, columns
        )
    rates = fx_rates(period.first_day, period.end_day, streams[FX_STREAM])
    fx_rows = write_table(landing_dir / "reference" / "fx_rates.csv", FX_RATES, rates)
    return {"psp_events": psp_rows, "fx_rates": fx_rows}


def generate_demo_group(
    landing_dir: Path, truth_dir: Path, config: GeneratorConfig = DEFAULT_CONFIG
) -> dict[str, int]:
    """Write the demo group's landing files and ground truth; return row counts per table."""
    landing_dir, truth_dir = _check_folders(Path(landing_dir), Path(truth_dir))
    period, streams = _period(config), _streams(config)
    entities, customers, targets, group_debtors = _organisation(config, period, streams)

    totals = Counter(group_debtors=group_debtors)
    events: dict[str, list] = {provider: [] for provider in PROVIDERS}
    customer_truth, invoice_truth = [], []
    for number, (_, entity) in enumerate(entities.iterrows()):
        rng, frame = streams[FIRST_ENTITY_STREAM + number], customers[number]
        history = simulate_entity(entity, frame, int(targets[number]), period, config, rng)
        folder = landing_dir / "erp" / str(entity["entity_id"])
        counts, document_id, reference = _write_erp_files(
            folder, entity, frame, history, period.end_day
        )
        log.debug("%s: %s", entity["entity_id"], counts)
        totals.update(counts)

        payments = history.cash.psp_payments
        events[str(entity["provider"])].append(
            psp.entity_events(payments, reference, entity, config, rng)
        )
        customer_truth.append(truth.customer_rows(entity, frame))
        invoice_truth.append(truth.invoice_rows(entity, frame, history, document_id))

    totals.update(_write_shared_files(landing_dir, events, period, config, streams))
    truth.write_truth(truth_dir, customer_truth, invoice_truth, config)
    summary = dict(totals)
    log.info("demo group written to %s (truth in %s): %s", landing_dir, truth_dir, summary)
    return summary
