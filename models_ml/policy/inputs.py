"""Inputs of the contact rules besides the ledger marts (contract tables `arrangements` and
`contact_consents`, instalment plans; see docs/decisions.md D37).

- Arrangements (payment plans, promises to pay): while one is in force the debtor is not
  reminded. Read from `marts.fct_arrangements` (entity_id, customer_id, arrangement_type
  'payment_plan' or 'promise_to_pay', valid_from, valid_to: null while open-ended, and
  document_id: the invoice of an instalment plan, which the decision checks for a missed
  instalment).
- Consents per channel: a channel in OPT_IN_CHANNELS (WhatsApp) needs a recorded consent; any
  channel with a recorded refusal is not used. Read from `marts.fct_contact_consents`
  (entity_id, customer_id, channel, has_consent).
- PSP payments the ERP has booked (allocations with source 'psp'), so that a PSP payment is
  not deducted twice from an open amount that already reflects it. Read from
  `staging.stg_erp__allocations`; no mart carries allocations by source.

When a table is missing (a warehouse built before it) the rule has nothing to go on: no
arrangement is in force, no consent is recorded, no PSP payment counts as booked; the run's
log says so.
"""

from __future__ import annotations

import logging

import duckdb

log = logging.getLogger(__name__)

# temp table -> (source table, temp columns, select list, filter on the source)
OPTIONAL_INPUTS = {
    "policy_arrangements": (
        "marts.fct_arrangements",
        "entity_id varchar, customer_id varchar, arrangement_type varchar, valid_from date, "
        "valid_to date, document_id varchar",
        "entity_id, customer_id, arrangement_type, valid_from, valid_to, document_id",
        "true",
    ),
    "policy_consents": (
        "marts.fct_contact_consents",
        "entity_id varchar, customer_id varchar, channel varchar, has_consent boolean",
        "entity_id, customer_id, channel, has_consent",
        "true",
    ),
    "policy_psp_allocations": (
        "staging.stg_erp__allocations",
        "entity_id varchar, document_id varchar, currency varchar, amount decimal(18,2), "
        "booked_date date",
        "entity_id, document_id, currency, amount, booked_date",
        "source = 'psp' and document_id is not null",
    ),
}
ARRANGEMENT_TYPES = ("payment_plan", "promise_to_pay")
OPT_IN_CHANNELS = ("whatsapp",)


def load_optional_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """Create the temp tables policy_arrangements, policy_consents and policy_psp_allocations,
    empty when their source is not there."""
    for temp, (source, definition, columns, where) in OPTIONAL_INPUTS.items():
        con.execute(f"create or replace temp table {temp} ({definition})")
        schema, table = source.split(".")
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_catalog = current_database() "
            "and table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
        if not exists:
            log.info("%s is not in the warehouse; the policy reads it as empty", source)
            continue
        con.execute(f"insert into {temp} select {columns} from {source} where {where}")

    unknown = con.execute(
        "select count(*) from policy_arrangements where arrangement_type not in ?",
        [list(ARRANGEMENT_TYPES)],
    ).fetchone()[0]
    if unknown:
        raise ValueError(
            f"marts.fct_arrangements has {unknown} rows whose arrangement_type is not one of "
            f"{', '.join(ARRANGEMENT_TYPES)}"
        )
