"""Run a command and measure it from outside: wall time and peak RSS of its process tree.

The main job starts dbt as a child process, so the peak is the largest sum over the process
and all its descendants, sampled every `interval_s` (a peak shorter than that can be missed).
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass(frozen=True)
class Measured:
    wall_s: float
    peak_rss_mb: float
    returncode: int


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def run_measured(
    command: list[str], env: dict[str, str], log_path: Path, interval_s: float = 0.1
) -> Measured:
    """Run `command` with `env`, output to `log_path`; raise with the log's tail on failure."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    peak = 0
    with log_path.open("wb") as log:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        watched = psutil.Process(child.pid)
        while child.poll() is None:
            try:
                peak = max(peak, _tree_rss(watched))
            except psutil.NoSuchProcess:
                break
            time.sleep(interval_s)
        returncode = child.wait()
        wall = time.perf_counter() - started

    if returncode != 0:
        tail = log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(command)} failed ({returncode}); log {log_path}:\n{tail}")
    return Measured(wall_s=wall, peak_rss_mb=peak / 2**20, returncode=returncode)
