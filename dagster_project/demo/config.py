"""What the demo group generator builds: size, period, seed and the shares of rare events."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date


@dataclass(frozen=True)
class GeneratorConfig:
    """One demo group. The same config always gives byte-identical files.

    `n_invoices` is an approximate target over the whole history; `end_date` is the demo's
    "today": nothing is dated after it except the due dates of recent invoices.
    """

    seed: int = 42
    n_entities: int = 40
    n_invoices: int = 150_000
    start_date: date = date(2023, 12, 1)
    end_date: date = date(2026, 11, 30)
    holdout_share: float = 0.10
    dispute_share: float = 0.02
    credit_note_share: float = 0.03
    partial_payment_share: float = 0.08
    overpayment_share: float = 0.01
    advance_payment_share: float = 0.003
    chargeback_share: float = 0.002
    write_off_share: float = 0.85
    psp_failed_share: float = 0.05
    psp_duplicate_share: float = 0.03
    psp_out_of_order_share: float = 0.03

    def __post_init__(self) -> None:
        if self.n_entities < 1 or self.n_invoices < 1:
            raise ValueError("n_entities and n_invoices must be positive")
        if (self.end_date - self.start_date).days < 90:
            raise ValueError("the period must cover at least 90 days")

    def to_dict(self) -> dict[str, object]:
        """The config as JSON-ready values (dates as ISO strings)."""
        values = asdict(self)
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}
