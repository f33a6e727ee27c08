"""Each entity's collection account, read from `marts.dim_entities` and checked with schwifty.

An EPC QR code credits the entity's own account (`collection_iban`, `collection_bic` in the
input contract). An entity without one, or with one that fails the IBAN or BIC check, gets
no QR code offer: its debtors still get the payment link, and the decision lists
`no_collection_account` among their reason codes. The log names the entities, never the
account numbers.
"""

from __future__ import annotations

import logging

import duckdb
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from models_ml.policy.providers import CreditorAccount

log = logging.getLogger(__name__)

ACCOUNT_COLUMNS = ("collection_iban", "collection_bic")


def iban_is_valid(iban: str) -> bool:
    """Format, length for the country and ISO 13616 check digits (schwifty)."""
    try:
        IBAN(iban)
    except SchwiftyException:
        return False
    return True


def bic_is_valid(bic: str) -> bool:
    try:
        BIC(bic)
    except SchwiftyException:
        return False
    return True


def collection_accounts(
    con: duckdb.DuckDBPyConnection,
) -> tuple[dict[str, str], dict[str, CreditorAccount]]:
    """(entity names, valid collection accounts) by entity_id from marts.dim_entities."""
    columns = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_catalog = current_database() "
            "and table_schema = 'marts' and table_name = 'dim_entities'"
        ).fetchall()
    }
    if set(ACCOUNT_COLUMNS) <= columns:
        select = "entity_id, entity_name, collection_iban, collection_bic"
    else:
        log.warning("marts.dim_entities has no collection account columns (built before them)")
        select = "entity_id, entity_name, null, null"
    rows = con.execute(f"select {select} from marts.dim_entities order by entity_id").fetchall()

    names = {entity: name for entity, name, _, _ in rows}
    accounts: dict[str, CreditorAccount] = {}
    missing, invalid = [], []
    for entity, name, iban, bic in rows:
        iban = (iban or "").replace(" ", "").upper()
        bic = (bic or "").replace(" ", "").upper() or None
        if not iban:
            missing.append(entity)
        elif not iban_is_valid(iban) or (bic is not None and not bic_is_valid(bic)):
            invalid.append(entity)
        else:
            accounts[entity] = CreditorAccount(name[:70], iban, bic)
    if missing:
        log.warning(
            "%d entities have no collection IBAN, so no EPC QR code for their debtors: %s",
            len(missing),
            ", ".join(missing),
        )
    if invalid:
        log.warning(
            "%d entities have a collection IBAN or BIC that fails its check, so no EPC QR "
            "code for their debtors: %s",
            len(invalid),
            ", ".join(invalid),
        )
    return names, accounts


def load_collection_accounts(con: duckdb.DuckDBPyConnection) -> dict[str, CreditorAccount]:
    """Create the temp table policy_collection_accounts (entity_id) of the entities an EPC QR
    code can credit; return their accounts."""
    _, accounts = collection_accounts(con)
    con.execute("create or replace temp table policy_collection_accounts (entity_id varchar)")
    if accounts:
        con.executemany(
            "insert into policy_collection_accounts values (?)", [[e] for e in accounts]
        )
    return accounts
