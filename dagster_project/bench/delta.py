"""The daily delivery for the incremental benchmark: about 1% new documents and payments.

Written as ordinary landing files (the contract's columns, canonical CSV) into
`landing/erp/bench/`, dated the day after the last run: new invoices copied from a
deterministic sample of existing ones (new ids, the same terms from the new issue date), and
payments settling a deterministic sample of the invoices open at the last run. The files are
made in SQL from the warehouse, so writing them is no Python loop over rows.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb

from dagster_project.contract import ALLOCATIONS, DOCUMENTS

SHARE = 0.01

DOCUMENTS_SQL = """
select
    entity_id,
    document_id || '-D' || strftime($day, '%Y%m%d') as document_id,
    'invoice' as document_type,
    document_number || '-D' || strftime($day, '%Y%m%d') as document_number,
    customer_id,
    $day as issue_date,
    $day + cast(coalesce(due_date, issue_date) - issue_date as integer) as due_date,
    currency,
    amount,
    null as payment_reference,
    null as applies_to_document_id,
    false as is_disputed
from staging.stg_erp__documents
where document_type = 'invoice'
order by hash(document_id, $day)
limit $n
"""

ALLOCATIONS_SQL = """
select
    entity_id,
    'PAY-' || item_id || '-D' || strftime($day, '%Y%m%d') as allocation_id,
    customer_id,
    item_id as document_id,
    open_amount as amount,
    currency,
    $day as booked_date,
    'bank_transfer' as method,
    'erp' as source
from marts.fct_open_items
where item_type = 'invoice' and open_amount > 0
order by hash(item_id, $day)
limit $n
"""


def write_daily_delivery(warehouse: Path, landing_dir: Path, last_as_of: date) -> dict[str, int]:
    """Write the day after `last_as_of`'s files; return rows written per table."""
    day = last_as_of + timedelta(days=1)
    folder = landing_dir / "erp" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for spec, sql in ((DOCUMENTS, DOCUMENTS_SQL), (ALLOCATIONS, ALLOCATIONS_SQL)):
            total = con.execute(f"select count(*) from raw.{spec.name}").fetchone()[0]
            n = max(round(total * SHARE), 1)
            path = folder / f"{spec.name}_{day.isoformat()}.csv"
            columns = ", ".join(spec.column_names)
            con.execute(
                f"copy (select {columns} from ({sql})) to '{path}' (header, delimiter ',')",
                {"day": day, "n": n},
            )
            written[spec.name] = con.execute(
                "select count(*) from read_csv(?, all_varchar = true)", [str(path)]
            ).fetchone()[0]
    return written
