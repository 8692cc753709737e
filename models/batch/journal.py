"""A crash-safe, append-only JSON Lines record store: the source of truth of a batch run.

Why it is safe to kill a run at any moment:

- each record is one whole line appended with a single ``write`` on an
  ``O_APPEND`` descriptor: no buffer holds half a record, and lines written
  before a crash are complete;
- the file is ``fsync``-ed every few seconds and on close, so an operating
  system crash loses at most those seconds, never the order of records;
- a record counts only once its newline is on disk: on resume, whatever
  follows the last newline (a record cut short by a kill) is truncated away,
  and that article is labelled again.

On resume the ids already present are read back, so the run skips them: the
finished journal holds exactly one record per article.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from types import TracebackType

from stancewire.models.errors import ConfigError

FSYNC_SECONDS = 5.0


def repair(path: Path) -> int:
    """Truncate ``path`` after its last newline; returns how many bytes were dropped.

    Only the tail can be partial (records are appended whole), so this scans
    backwards from the end in blocks and never reads the whole file.
    """
    with path.open("r+b") as fh:
        end = fh.seek(0, os.SEEK_END)
        pos = end
        block = 1 << 16
        while pos > 0:
            start = max(0, pos - block)
            fh.seek(start)
            data = fh.read(pos - start)
            idx = data.rfind(b"\n")
            if idx >= 0:
                keep = start + idx + 1
                break
            pos = start
        else:
            keep = 0
        if keep < end:
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
        return end - keep


def read_ids(path: Path) -> list[str]:
    """The ``id`` of every record in a (repaired) journal, in file order.

    Raises:
        ConfigError: a complete line is not a JSON record with an ``id``: the
            file is not a journal of this tool, or was edited by hand.
    """
    ids: list[str] = []
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                ids.append(str(record["id"]))
            except (ValueError, KeyError, TypeError) as err:
                raise ConfigError(
                    f"{path} line {lineno} is not a stancewire record ({err}); "
                    "fix or remove that line, or start over with --overwrite"
                ) from err
    return ids


class Journal:
    """Append whole JSON lines to a file, crash-safely (see the module docstring).

    Args:
        path: the file; created (with its directory) if missing.
        resume: keep existing records (after repairing a partial last line)
            and load their ids into :attr:`ids`; otherwise start empty.
        fsync_seconds: how often appended data is forced to disk.

    Attributes:
        ids: ids of the records already in the file when it was opened.
        appended: records appended since.
        dropped_bytes: size of the partial last line removed on resume.
    """

    def __init__(self, path: Path, *, resume: bool, fsync_seconds: float = FSYNC_SECONDS) -> None:
        self.path = path
        self.fsync_seconds = fsync_seconds
        self.dropped_bytes = 0
        self.appended = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        if resume and path.exists():
            self.dropped_bytes = repair(path)
            self.ids: set[str] = set(read_ids(path))
            flags = os.O_WRONLY | os.O_APPEND
        else:
            self.ids = set()
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC
        self._fd: int | None = os.open(path, flags, 0o644)
        self._last_sync = time.monotonic()
        self._dirty = False

    @property
    def total(self) -> int:
        """Records in the file: those found on opening plus those appended."""
        return len(self.ids) + self.appended

    def append(self, line: str) -> None:
        """Append one record (a JSON object on one line, without the newline)."""
        if self._fd is None:
            raise ValueError(f"journal {self.path} is closed")
        data = (line + "\n").encode("utf-8")
        view = memoryview(data)
        while view:  # one write in practice; the loop only covers a short write
            written = os.write(self._fd, view)
            view = view[written:]
        self.appended += 1
        self._dirty = True
        if time.monotonic() - self._last_sync >= self.fsync_seconds:
            self.sync()

    def sync(self) -> None:
        """Force what was appended to disk."""
        if self._fd is not None and self._dirty:
            os.fsync(self._fd)
            self._dirty = False
        self._last_sync = time.monotonic()

    def close(self) -> None:
        """Sync and close; safe to call twice."""
        if self._fd is not None:
            self.sync()
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
