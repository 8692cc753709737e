"""A real ``stancewire serve`` process on a loopback port, spoken to over HTTP."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ARTICLE = '"We will stay," the general said. "US forces must leave Iraq now," the cleric said.'
KEY = "process-test-key"


def _pump(stream: object, lines: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        lines.put(line)


@pytest.fixture(scope="module")
def server(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """``stancewire serve --port 0``: the port is read from uvicorn's start-up line."""
    env = {**os.environ, "STANCEWIRE_API_KEY": KEY, "STANCEWIRE_MAX_WAIT_MS": "20"}
    env.pop("STANCEWIRE_MODEL_DIR", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stancewire",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--model",
            str(tiny_model_dir),
            "--max-batch",
            "4",
        ],
        cwd=tmp_path_factory.mktemp("serve-cwd"),
        env=env,
        stdout=subprocess.DEVNULL,  # access log; the start-up lines go to stderr
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stderr, lines), daemon=True).start()
    log: list[str] = []
    try:
        port = None
        deadline = time.monotonic() + 120
        while port is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            log.append(line)
            found = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", line)
            if found:
                port = int(found.group(1))
        assert port is not None, "server did not start:\n" + "".join(log)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30) as client:
            while time.monotonic() < deadline:
                if client.get("/readyz").status_code == 200:
                    break
                time.sleep(0.2)
            yield {"client": client, "proc": proc, "lines": lines, "log": log}
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_real_server_over_http(server: dict) -> None:
    client: httpx.Client = server["client"]
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"
    assert client.get("/healthz").json() == {"status": "ok"}

    refused = client.post("/v1/label", json={"text": ARTICLE})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "SW901"

    headers = {"X-API-Key": KEY}
    response = client.post("/v1/label", json={"id": "p1", "text": ARTICLE}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == "p1"
    assert [s["speaker"] for s in body["speakers"]] == ["the general", "the cleric"]

    batch = client.post(
        "/v1/label/batch",
        json={"articles": [{"text": ARTICLE}, {"text": ""}]},
        headers=headers,
    )
    assert [r["status"] for r in batch.json()["results"]] == [200, 422]

    page = client.get("/")
    assert page.status_code == 200 and "stancewire" in page.text

    metrics = client.get("/metrics", headers={"Authorization": f"Bearer {KEY}"})
    assert metrics.status_code == 200
    assert 'route="/v1/label",status="200"} 1.0' in metrics.text
    assert 'route="/v1/label",status="401"} 1.0' in metrics.text


def test_server_shuts_down_cleanly(server: dict) -> None:
    proc: subprocess.Popen[str] = server["proc"]
    proc.terminate()
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells why
    assert proc.wait(timeout=30) in (0, -15)
    deadline = time.monotonic() + 10
    log = server["log"]
    while time.monotonic() < deadline and not any("shutdown complete" in x for x in log):
        try:
            log.append(server["lines"].get(timeout=0.5))
        except queue.Empty:
            continue
    assert any("Application shutdown complete" in x for x in log), "".join(log)


# --------------------------------------------------------------------------- the command itself


def test_serve_flags_override_the_environment(
    tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flags win over STANCEWIRE_* and are handed on to worker processes via the env."""
    import uvicorn
    from typer.testing import CliRunner

    from stancewire.api.cli import app

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append({"target": target, **kw}))
    for name, value in {"PORT": "9000", "MAX_BATCH": "2", "HOST": "0.0.0.0"}.items():
        monkeypatch.setenv(f"STANCEWIRE_{name}", value)
    monkeypatch.setenv("STANCEWIRE_MODEL_DIR", str(tiny_model_dir))  # restored afterwards
    monkeypatch.setenv("STANCEWIRE_WORKERS", "1")
    result = CliRunner().invoke(
        app, ["serve", "--port", "8123", "--max-batch", "5", "--workers", "2"]
    )
    assert result.exit_code == 0, result.output
    (call,) = calls
    assert call["target"] == "stancewire.api.server:create_app" and call["factory"] is True
    assert (call["host"], call["port"], call["workers"]) == ("0.0.0.0", 8123, 2)
    assert os.environ["STANCEWIRE_MAX_BATCH"] == "5"
    assert os.environ["STANCEWIRE_PORT"] == "8123"
    assert call["log_config"]["loggers"]["stancewire"]["level"] == "INFO"


def test_serve_refuses_bad_settings_and_model_dirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from stancewire.api.cli import app
    from stancewire.models.errors import ConfigError, ModelLoadError

    monkeypatch.delenv("STANCEWIRE_MODEL_DIR", raising=False)
    result = CliRunner().invoke(app, ["serve", "--max-batch", "0"])
    assert isinstance(result.exception, ConfigError)
    assert "STANCEWIRE_MAX_BATCH" in str(result.exception)
    result = CliRunner().invoke(app, ["serve", "--model", str(tmp_path)])
    assert isinstance(result.exception, ModelLoadError)
    assert "no model.json" in str(result.exception)
