"""One entity's simulated history: invoices, reminders, settlement, credits and cash.

The steps run in a fixed order on the entity's own random stream, which keeps every entity
reproducible on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dagster_project.demo import behaviour
from dagster_project.demo.config import GeneratorConfig
from dagster_project.demo.credits import Credits, credit_notes_and_write_offs
from dagster_project.demo.invoices import issue_invoices
from dagster_project.demo.payments import Cash, settle
from dagster_project.demo.profiles import CURRENCY_SCALE
from dagster_project.demo.reminders import ContactPlan, plan_contacts


@dataclass(frozen=True)
class Period:
    """The generated period as day numbers, and the months in which leases are billed."""

    first_day: int
    end_day: int
    first_month: int
    n_months: int


@dataclass(frozen=True)
class EntityHistory:
    """Everything simulated for one entity, before it is written out."""

    invoices: dict[str, np.ndarray]
    driver: dict[str, np.ndarray]
    outcome: dict[str, np.ndarray]
    plan: ContactPlan
    sent: np.ndarray
    credits: Credits
    cash: Cash


def simulate_entity(
    entity: pd.Series,
    customers: pd.DataFrame,
    n_invoices: int,
    period: Period,
    config: GeneratorConfig,
    rng: np.random.Generator,
) -> EntityHistory:
    """Invoices, the reminder plan, settlement draws, credits and cash of one entity."""
    scale = CURRENCY_SCALE[str(entity["base_currency"])]
    span = (period.first_day, period.end_day, period.first_month)
    invoices = issue_invoices(entity, customers, n_invoices, span, config, rng)
    driver = behaviour.drivers(invoices, customers, str(entity["division"]))
    plan = plan_contacts(invoices, customers, rng)
    outcome = behaviour.draw_settlement(invoices, driver, plan.windows(), rng)
    outcome["is_direct_debit"] = driver["is_direct_debit"]
    sent = plan.sent(outcome["pay_day"], invoices["due"], period.end_day)

    pay_day, is_debit = outcome["pay_day"], driver["is_direct_debit"]
    credits = credit_notes_and_write_offs(
        invoices, pay_day, is_debit, scale, config, rng, period.end_day
    )
    days = (period.first_day, period.end_day)
    cash = settle(invoices, customers, outcome, credits, (plan, sent), scale, config, rng, days)
    return EntityHistory(invoices, driver, outcome, plan, sent, credits, cash)
