"""The server loads the stance backend its settings name (STANCEWIRE_BACKEND)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from stancewire.api.server import create_app
from stancewire.api.settings import Settings
from tests.api.test_server import wait_until


@pytest.mark.parametrize("backend", ["onnx", "embedding"])
def test_server_serves_the_configured_backend(
    backend: str, tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STANCEWIRE_CACHE_DIR", str(tmp_path / "cache"))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        backend=backend,
        model_dir=tiny_model_dir,
        report_path=tmp_path / "runs",
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        wait_until(lambda: client.get("/readyz").status_code == 200, seconds=120)
        body = client.post("/v1/label", json={"text": '"We will stay," the general said.'})
        assert body.status_code == 200, body.text
        assert body.json()["quotes"][0]["speaker"] == "the general"
        model = body.json()["model"]
        assert model.startswith("embedding:") if backend == "embedding" else "stancewire" in model


def test_unknown_backend_stops_the_server_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="unknown backend 'nope'"):
        Settings(_env_file=None, backend="nope", report_path=tmp_path)  # type: ignore[call-arg]
