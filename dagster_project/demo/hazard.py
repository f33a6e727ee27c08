"""Piecewise-constant hazard curves for many invoices at once.

Each row is one invoice: sorted edges (days relative to due), a constant daily hazard between
consecutive edges, and the cumulative hazard at each edge. Evaluating and inverting H(t) are a
comparison, a gather and one division per row, so a draw for a million invoices is a few array
operations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dagster_project.demo import response

HORIZON_DAYS = 100_000.0


@dataclass(frozen=True)
class Window:
    """A stretch [start, end) of days relative to due in which the hazard is multiplied."""

    start: np.ndarray
    end: np.ndarray
    log_ratio: np.ndarray


@dataclass(frozen=True)
class HazardCurves:
    edges: np.ndarray
    rates: np.ndarray
    cumulative: np.ndarray

    @classmethod
    def build(cls, terms: np.ndarray, eta: np.ndarray, windows: list[Window]) -> HazardCurves:
        """The baseline shape scaled by exp(eta), times each window's ratio inside it."""
        n = terms.size
        start = -terms.astype(float)
        fixed = np.tile(np.array(response.BASE_EDGES), (n, 1))
        base_edges = np.column_stack([start + response.RECEIPT_DAYS, fixed])
        parts = [start[:, None], base_edges]
        for window in windows:
            parts.append(np.maximum(window.start, start)[:, None])
            parts.append(np.maximum(window.end, start)[:, None])
        parts.append(np.full((n, 1), HORIZON_DAYS))
        edges = np.sort(np.hstack(parts), axis=1)

        lower = edges[:, :-1]
        stretch = (lower[:, :, None] >= base_edges[:, None, :]).sum(axis=2)
        rates = np.array(response.BASE_RATES)[stretch] * np.exp(eta)[:, None]
        for window in windows:
            inside = (lower >= window.start[:, None]) & (lower < window.end[:, None])
            rates = rates * np.where(inside, np.exp(window.log_ratio)[:, None], 1.0)
        steps = np.cumsum(rates * np.diff(edges, axis=1), axis=1)
        cumulative = np.hstack([np.zeros((n, 1)), steps])
        return cls(edges, rates, cumulative)

    def _gather(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = np.arange(self.edges.shape[0])
        index = np.clip(index, 0, self.rates.shape[1] - 1)
        return self.edges[rows, index], self.rates[rows, index], self.cumulative[rows, index]

    def at(self, t: np.ndarray) -> np.ndarray:
        """Cumulative hazard H(t); zero before the issue date."""
        edge, rate, cumulative = self._gather((self.edges <= t[:, None]).sum(axis=1) - 1)
        return np.maximum(cumulative + rate * (t - edge), 0.0)

    def invert(self, target: np.ndarray) -> np.ndarray:
        """The t with H(t) = target; beyond the horizon means never."""
        edge, rate, cumulative = self._gather((self.cumulative <= target[:, None]).sum(axis=1) - 1)
        t = edge + (target - cumulative) / rate
        return np.where(t > HORIZON_DAYS, np.inf, t)
