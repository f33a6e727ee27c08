"""Inputs the contact rules need that the input contract does not carry yet.

- Arrangements (payment plans, promises to pay): while one is in force the debtor is not
  reminded. Read from `marts.fct_arrangements` (entity_id, customer_id, arrangement_type
  'payment_plan' or 'promise_to_pay', valid_from, valid_to: null while open-ended).
- Consents per channel: a channel in OPT_IN_CHANNELS (WhatsApp) needs a recorded consent; any
  channel with a recorded refusal is not used. Read from `marts.fct_contact_consents`
  (entity_id, customer_id, channel, has_consent).

When a table is missing the rule has nothing to go on: no arrangement is in force and no
consent is recorded, and the run's log says so.
"""

from __future__ import annotations

import logging

import duckdb

log = logging.getLogger(__name__)

OPTIONAL_INPUTS = {
    "policy_arrangements": (
        "fct_arrangements",
        "entity_id varchar, customer_id varchar, arrangement_type varchar, valid_from date, "
        "valid_to date",
        "entity_id, customer_id, arrangement_type, valid_from, valid_to",
    ),
    "policy_consents": (
        "fct_contact_consents",
        "entity_id varchar, customer_id varchar, channel varchar, has_consent boolean",
        "entity_id, customer_id, channel, has_consent",
    ),
}
ARRANGEMENT_TYPES = ("payment_plan", "promise_to_pay")
OPT_IN_CHANNELS = ("whatsapp",)


def load_optional_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """Create the temp tables policy_arrangements and policy_consents, empty when the mart
    is not there."""
    for temp, (mart, definition, columns) in OPTIONAL_INPUTS.items():
        con.execute(f"create or replace temp table {temp} ({definition})")
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = ?",
            [mart],
        ).fetchone()[0]
        if not exists:
            log.info("marts.%s is not in the warehouse; its contact rule has no input", mart)
            continue
        con.execute(f"insert into {temp} select {columns} from marts.{mart}")

    unknown = con.execute(
        "select count(*) from policy_arrangements where arrangement_type not in ?",
        [list(ARRANGEMENT_TYPES)],
    ).fetchone()[0]
    if unknown:
        raise ValueError(
            f"marts.fct_arrangements has {unknown} rows whose arrangement_type is not one of "
            f"{', '.join(ARRANGEMENT_TYPES)}"
        )
