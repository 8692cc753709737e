"""Give freed heap memory back to the operating system.

A long-running server labels articles of every length, so torch and spaCy
allocate buffers of ever-changing sizes. glibc's ``malloc`` keeps freed
blocks in its arenas for reuse; with changing sizes those arenas fragment and
the process's resident memory creeps up run after run even though nothing
leaks. ``malloc_trim(0)`` returns the free pages at the top and inside the
arenas to the kernel. It costs a few milliseconds, so :class:`MemoryTrimmer`
runs it at most once per interval, after a batch, off the event loop.

On a platform without glibc (macOS, musl, Windows) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


def _load_malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_MALLOC_TRIM = _load_malloc_trim()


def trim_supported() -> bool:
    """True where the C library has ``malloc_trim`` (glibc)."""
    return _MALLOC_TRIM is not None


def release_free_memory() -> bool:
    """Return free heap pages to the OS now; True if anything was released."""
    if _MALLOC_TRIM is None:
        return False
    return bool(_MALLOC_TRIM(0))


class MemoryTrimmer:
    """Call :func:`release_free_memory` after work, at most once per ``interval_s``.

    Thread-safe: the server's model thread calls :meth:`after_work` after each
    batch; a trim already under way makes other callers skip, not wait.
    """

    def __init__(self, interval_s: float = 1.0, *, enabled: bool = True) -> None:
        self.interval_s = interval_s
        self.enabled = enabled and trim_supported()
        self.trims = 0
        self._last = float("-inf")
        self._lock = threading.Lock()

    def after_work(self) -> None:
        """Trim if enabled and the last trim is ``interval_s`` old."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.interval_s or not self._lock.acquire(blocking=False):
            return
        try:
            release_free_memory()
            self.trims += 1
            self._last = time.monotonic()
        finally:
            self._lock.release()
