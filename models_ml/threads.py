"""How many threads the trees may use: one for small data, all of them for large.

HistGradientBoosting parallelises with OpenMP. On a few thousand rows the threads spend more
time waiting for each other than working, and on a busy machine (CI, a shared server) that
wait can make a fit of seconds take minutes; one thread is then both faster and predictable.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits

SINGLE_THREAD_ROWS = 2_000_000


def thread_limit(n_rows: int) -> threadpool_limits:
    """A context in which the numeric libraries use one thread for fewer than 2 million rows."""
    return threadpool_limits(limits=1 if n_rows < SINGLE_THREAD_ROWS else None)
