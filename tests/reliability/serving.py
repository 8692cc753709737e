"""A real ``stancewire serve`` process on a loopback port, its log kept for inspection."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

import httpx


class ServerProcess:
    """``stancewire serve --port 0`` with extra ``STANCEWIRE_*`` settings.

    The port is read from uvicorn's start-up line; every line the server writes
    to stderr (start-up, warnings, errors, tracebacks) is kept in :attr:`log`,
    so a test can check that nothing went wrong inside the server while its
    clients misbehaved.
    """

    def __init__(self, model_dir: Path, cwd: Path, env: dict[str, str], *args: str) -> None:
        self.model_dir = model_dir
        self.cwd = cwd
        self.env = {**os.environ, **env}
        self.env.pop("STANCEWIRE_MODEL_DIR", None)
        self.args = args
        self.log: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        self.proc: subprocess.Popen[str] | None = None
        self.base = ""

    def __enter__(self) -> ServerProcess:
        cmd = [sys.executable, "-m", "stancewire", "serve", "--host", "127.0.0.1", "--port", "0"]
        self.proc = subprocess.Popen(
            [*cmd, "--model", str(self.model_dir), *self.args],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.DEVNULL,  # the access log
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._pump, daemon=True).start()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _pump(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in iter(self.proc.stderr.readline, ""):
            self._lines.put(line)

    def drain(self) -> list[str]:
        """Every log line so far."""
        while True:
            try:
                self.log.append(self._lines.get_nowait())
            except queue.Empty:
                return self.log

    def _wait_ready(self, timeout: float = 180) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        port = None
        while port is None and time.monotonic() < deadline and self.proc.poll() is None:
            try:
                line = self._lines.get(timeout=0.5)
            except queue.Empty:
                continue
            self.log.append(line)
            found = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", line)
            port = int(found.group(1)) if found else None
        if port is None:
            raise RuntimeError("server did not start:\n" + "".join(self.drain()))
        self.base = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/readyz", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server never became ready:\n" + "".join(self.drain()))

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def host_port(self) -> tuple[str, int]:
        host, port = self.base.removeprefix("http://").split(":")
        return host, int(port)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
