"""Run a command and measure its wall time and the peak memory of its process tree.

Peak memory is the largest sum of resident set sizes over the process and all
its children (worker processes included), sampled every 20 ms with psutil:
what the machine actually has to hold, unlike ``ru_maxrss``, which is per process.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass

import psutil


@dataclass
class Measured:
    """What one run cost."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def tree_rss(proc: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants (0 once it is gone)."""
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def measure(cmd: Sequence[str], *, env: dict[str, str] | None = None) -> Measured:
    """Run ``cmd`` to completion, sampling its tree's memory; never raises on failure."""
    t0 = time.perf_counter()
    popen = subprocess.Popen(
        list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    proc = psutil.Process(popen.pid)
    peak = 0
    while popen.poll() is None:
        peak = max(peak, tree_rss(proc))
        time.sleep(0.02)
    out, err = popen.communicate()
    return Measured(time.perf_counter() - t0, peak / 2**20, popen.returncode, out, err)


class Sampler:
    """Peak tree RSS of a long-running process (a server) between ``reset`` and ``peak``."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self._peak = 0

    def sample(self) -> None:
        self._peak = max(self._peak, tree_rss(self.proc))

    def reset(self) -> None:
        self._peak = 0

    @property
    def peak_mb(self) -> float:
        return self._peak / 2**20
